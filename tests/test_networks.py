"""Convolutional networks for image rows, and networks of the user's own."""

import pickle

import numpy as np
import pytest
import torch
from _params import FEW_EPOCHS
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from torch import nn

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    _data,
)
from sk_autoencoder._data import fit_scaler, leading_axes, scaled_covariance
from sk_autoencoder._network import (
    ConvAutoencoder,
    LocalConv,
    MLPAutoencoder,
    principal_axes,
)
from sk_autoencoder._skorch import MAX_FULL_RATE_INPUTS
from sk_autoencoder._utils import INFERENCE_BATCH_SIZE, inference_batch_rows


@pytest.fixture(scope="module")
def images():
    """400 digits as rows of 8 x 8 pixels, scaled to [0, 1]."""
    return load_digits().data[:400] / 16.0


class TinyAutoencoder(nn.Module):
    """A user's network: one linear layer each way, a tanh code."""

    def __init__(self, n_features, n_components, scale=1.0):
        super().__init__()
        self.scale = scale
        self.encoder = nn.Linear(n_features, n_components)
        self.decoder = nn.Linear(n_components, n_features)

    def encode(self, x):
        return self.scale * torch.tanh(self.encoder(x))

    def decode(self, code):
        return self.decoder(code)

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code), code


@pytest.mark.parametrize("image_shape", [(8, 8), (1, 8, 8), [8, 8]])
def test_image_shape_selects_a_convolutional_network(images, image_shape):
    ae = AutoencoderTransformer(
        4, image_shape=image_shape, hidden_layer_sizes=(4, 8), **FEW_EPOCHS
    ).fit(images)
    assert isinstance(ae.net_.module_, ConvAutoencoder)
    assert ae.transform(images).shape == (len(images), 4)
    assert ae.inverse_transform(ae.transform(images)).shape == images.shape


@pytest.mark.parametrize("rank", [3, 8])
def test_principal_axes_are_pcas_components_and_zero_beyond_the_rank(rank):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, rank)) @ rng.normal(size=(rank, 8))
    X -= X.mean(axis=0)
    axes = principal_axes(X.T @ X / len(X), 5)
    found = min(rank, 5)
    components = PCA(found, svd_solver="full").fit(X).components_
    np.testing.assert_allclose(axes[:found], components, atol=1e-8)
    assert_array_equal(axes[found:], 0.0)


@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("n_components", [3, 12])
def test_axes_of_fewer_rows_than_features_are_those_of_their_covariance(
    standardize, n_components
):
    # Rank 5 plus a constant feature far from zero: beyond the rank, the
    # axes are zero either way.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 5)) @ rng.normal(size=(5, 40)) + 3.0
    X[:, 7] = 1e12
    scaler = fit_scaler(X, standardize)
    rows = np.arange(1, 9)
    axes = leading_axes(X, scaler, n_components, rows=rows)
    cov = scaled_covariance(X, scaler, rows=rows)
    np.testing.assert_allclose(axes, principal_axes(cov, n_components), atol=1e-8)
    assert np.count_nonzero(axes.any(axis=1)) == min(n_components, 5)


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_a_table_wider_than_long_never_forms_its_covariance(monkeypatch, estimator):
    # n_features ** 2 entries, decomposed at a cost cubic in n_features:
    # minutes for a few dozen rows of 8,000 features.
    def refuse(*args, **kwargs):
        raise AssertionError("the covariance matrix was formed")

    monkeypatch.setattr(_data, "scaled_covariance", refuse)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 200))
    fitted = estimator(n_components=3, **FEW_EPOCHS).fit(X)
    # It starts from the principal axes all the same: rank 3, rebuilt.
    rebuilt = fitted.inverse_transform(fitted.transform(X))
    assert np.mean((rebuilt - X) ** 2) < 0.01 * np.var(X)


@pytest.mark.parametrize("hidden_layer_sizes", [(), (8,), (8, 4)])
def test_mlp_network_starts_at_pca(hidden_layer_sizes):
    # Each half is a linear map plus a correction whose last layer starts at
    # zero, so after start_from_pca the network is PCA's projection.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6)) @ rng.normal(size=(6, 6))
    X -= X.mean(axis=0)
    axes = principal_axes(X.T @ X / len(X), 2)
    module = MLPAutoencoder(6, 2, hidden_layer_sizes)
    module.start_from_pca(axes)
    x = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        rebuilt, code = module(x)
        assert torch.allclose(code, module.encoder.linear(x), atol=1e-5)
    expected = X @ axes.T
    np.testing.assert_allclose(code.numpy(), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(rebuilt.numpy(), expected @ axes, rtol=1e-4, atol=1e-4)


def test_convolutional_network_starts_at_its_linear_path():
    # The decoder's correction ends in a zero-initialised convolution, so
    # before training the network is exactly its linear path (the PCA
    # axes, once start_from_pca has set them).
    module = ConvAutoencoder(64, 4, (1, 8, 8), (8,))
    x = torch.randn(5, 64)
    with torch.no_grad():
        linear = module.decoder.linear(module.encoder.linear(x))
        assert torch.equal(module(x)[0], linear)


@pytest.mark.parametrize(
    "module",
    [
        MLPAutoencoder(64, 4, (16,), missing_indicator=True),
        ConvAutoencoder(64, 4, (1, 8, 8), (8,), missing_indicator=True),
    ],
    ids=["mlp", "conv"],
)
def test_missing_indicator_tells_a_missing_entry_from_one_at_the_mean(module):
    x = torch.randn(5, 64)
    holes = x.clone()
    holes[:, :10] = torch.nan
    at_mean = holes.nan_to_num(nan=0.0)
    rng = np.random.default_rng(0)
    module.start_from_pca(np.linalg.qr(rng.normal(size=(64, 4)))[0].T)
    with torch.no_grad():
        # The indicator starts with no weight on the linear path and the
        # correction starts at zero: the PCA start, whatever is missing.
        assert torch.equal(module(holes)[0], module(at_mean)[0])
        for parameter in module.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
        rebuilt = module(holes)[0]
        assert torch.isfinite(rebuilt).all()
        assert not torch.allclose(rebuilt, module(at_mean)[0])


def test_local_path_starts_at_zero():
    # Its last convolution starts at zero: the PCA start is unchanged.
    module = ConvAutoencoder(
        64, 4, (1, 8, 8), (8,), missing_indicator=True, local_layers=2
    )
    holes = torch.randn(5, 64)
    holes[:, 20:23] = torch.nan
    with torch.no_grad():
        inputs = module._inputs(holes)
        assert torch.equal(module(holes)[0], module.decoder(module.encoder(inputs)))


@pytest.mark.parametrize("local_layers", [1, 2, 3, 4])
@pytest.mark.parametrize("n_channels", [1, 3])
def test_local_path_reads_the_pixels_within_local_layers(local_layers, n_channels):
    # Each output pixel of the path around the code reads the input (and
    # its indicator) within local_layers pixels, whatever the code holds;
    # hiding a pixel of the last channel changes that neighbourhood, in
    # every channel.
    torch.manual_seed(0)
    shape = (n_channels, 8, 8)
    module = ConvAutoencoder(
        64 * n_channels,
        4,
        shape,
        (8,),
        missing_indicator=True,
        local_layers=local_layers,
    )
    nn.init.normal_(module.local.layers[-2].weight)
    x = torch.zeros(1, 64 * n_channels)
    hidden = x.clone()
    hidden[0, 64 * (n_channels - 1)] = torch.nan  # pixel (0, 0) of the last channel
    with torch.no_grad():
        before = module.local(module._inputs(x))
        changed = (module.local(module._inputs(hidden)) != before).reshape(shape)
    for channel in changed:
        rows, cols = np.nonzero(channel.numpy())
        assert max(rows.max(), cols.max()) == local_layers


def test_refining_path_starts_at_zero_and_is_part_of_decode():
    # The decoder's refinement starts at zero, so the PCA start is
    # unchanged; it belongs to decode, so inverse_transform(transform(x))
    # rebuilds what forward(x) does.
    torch.manual_seed(0)
    module = ConvAutoencoder(64, 4, (1, 8, 8), (8,), refine_layers=2)
    x = torch.randn(5, 64)
    with torch.no_grad():
        code = module.encode(x)
        assert torch.equal(module.decode(code), module.decoder(code))
        nn.init.normal_(module.refine.layers[-2].weight)
        refined = module.decode(code)
        assert not torch.allclose(refined, module.decoder(code))
        assert torch.equal(module(x)[0], refined)


def test_refining_path_reads_the_decoded_pixels_within_refine_layers():
    torch.manual_seed(0)
    module = ConvAutoencoder(64, 4, (1, 8, 8), (8,), refine_layers=3)
    nn.init.normal_(module.refine.layers[-2].weight)
    image = torch.zeros(1, 64)
    changed_pixel = image.clone()
    changed_pixel[0, 0] = 1.0  # pixel (0, 0)
    with torch.no_grad():
        changed = module.refine(changed_pixel) != module.refine(image)
    rows, cols = np.nonzero(changed.reshape(8, 8).numpy())
    assert max(rows.max(), cols.max()) == 3


def test_local_path_needs_a_layer():
    with pytest.raises(ValueError, match="n_layers must be at least 1, got 0"):
        LocalConv((2, 8, 8), 1, 8, 0, "relu")


def test_a_deep_local_path_keeps_its_signal():
    # Its steps are residual, so the features reaching the last convolution
    # do not fade with depth as they would through a plain stack of
    # convolutions (at PyTorch's default initialization, a plain stack of
    # 16 shrinks them about sevenfold; over 200 seeds, residual steps keep
    # at least 0.56 of them, a plain stack at most 0.42).
    torch.manual_seed(0)
    x = torch.rand(32, 2, 8, 8)

    def feature_scale(n_layers):
        module = ConvAutoencoder(
            64, 4, (1, 8, 8), (16,), missing_indicator=True, local_layers=n_layers
        )
        with torch.no_grad():
            return module.local.layers[:-2](x).std().item()

    assert 0.5 < feature_scale(16) / feature_scale(1) < 100


@pytest.mark.parametrize("image_shape", [None, (8, 8)])
def test_imputer_networks_read_which_entries_are_missing(images, image_shape):
    holes = images.copy()
    holes[:, 27:29] = np.nan
    imputer = AutoencoderImputer(image_shape=image_shape, **FEW_EPOCHS).fit(holes)
    assert imputer.net_.module_.missing_indicator
    transformer = AutoencoderTransformer(4, image_shape=image_shape, **FEW_EPOCHS)
    assert not transformer.fit(images).net_.module_.missing_indicator


class NoNaNAutoencoder(TinyAutoencoder):
    """A user's network that refuses NaN input."""

    def encode(self, x):
        assert not torch.isnan(x).any()
        return super().encode(x)


def test_imputer_gives_a_module_of_your_own_missing_entries_as_the_mean(images):
    holes = images.copy()
    holes[::3, 27:29] = np.nan
    imputer = AutoencoderImputer(3, module=NoNaNAutoencoder, **FEW_EPOCHS).fit(holes)
    assert np.isfinite(imputer.transform(holes)).all()


def test_images_with_channels(images):
    rgb = np.repeat(images[:, None, :], 3, axis=1).reshape(len(images), -1)
    ae = AutoencoderTransformer(4, image_shape=(3, 8, 8), **FEW_EPOCHS).fit(rgb)
    assert ae.inverse_transform(ae.transform(rgb)).shape == rgb.shape


@pytest.mark.parametrize(
    ("image_shape", "match"),
    [
        ((8, 7), r"image_shape=\(8, 7\) holds 56 values per image, but X has 64"),
        ((2, 4, 4), r"holds 32 values"),
        ((64,), r"must be \(height, width\) or \(channels, height, width\)"),
        ((8.0, 8.0), r"in positive ints"),
        ((0, 8), r"in positive ints"),
    ],
)
def test_bad_image_shape_is_refused_before_training(images, image_shape, match):
    ae = AutoencoderTransformer(4, image_shape=image_shape, **FEW_EPOCHS)
    with pytest.raises(ValueError, match=match):
        ae.fit(images)
    assert not hasattr(ae, "net_")


def test_image_shape_needs_a_convolution(images):
    ae = AutoencoderTransformer(
        4, image_shape=(8, 8), hidden_layer_sizes=(), **FEW_EPOCHS
    )
    with pytest.raises(ValueError, match="give at least one"):
        ae.fit(images)


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_image_shape_reaches_every_estimator(images, estimator):
    fitted = estimator(n_components=4, image_shape=(8, 8), **FEW_EPOCHS).fit(images)
    assert isinstance(fitted.net_.module_, ConvAutoencoder)


def test_image_transformer_decodes_through_a_refining_path(images):
    ae = AutoencoderTransformer(4, image_shape=(8, 8), **FEW_EPOCHS).fit(images)
    refine = ae.net_.module_.refine
    assert refine is not None
    # Trained: its last convolution no longer holds its zero start.
    assert refine.layers[-2].weight.abs().sum() > 0


def test_imputer_fills_images_with_a_convolutional_network(images):
    holes = images.copy()
    holes[:, 27:29] = np.nan
    imputer = AutoencoderImputer(image_shape=(8, 8), **FEW_EPOCHS).fit(holes)
    assert isinstance(imputer.net_.module_, ConvAutoencoder)
    assert np.isfinite(imputer.transform(holes)).all()


def test_custom_module_is_trained_with_its_params(images):
    ae = AutoencoderTransformer(
        3, module=TinyAutoencoder, module_params={"scale": 2.0}, **FEW_EPOCHS
    ).fit(images)
    module = ae.net_.module_
    assert isinstance(module, TinyAutoencoder) and module.scale == 2.0
    assert ae.n_iter_ == 3 and ae.loss_curve_[-1] < ae.loss_curve_[0]
    codes = ae.transform(images)
    assert codes.shape == (len(images), 3) and np.abs(codes).max() <= 2.0


def test_custom_module_is_seeded_and_pickles(images):
    params = {"module": TinyAutoencoder, **FEW_EPOCHS}
    ae = AutoencoderTransformer(3, **params).fit(images)
    again = AutoencoderTransformer(3, **params).fit(images)
    assert_array_equal(ae.transform(images), again.transform(images))
    restored = pickle.loads(pickle.dumps(ae))
    assert_array_equal(restored.transform(images), ae.transform(images))
    assert_array_equal(restored.score_samples(images), ae.score_samples(images))


def test_custom_module_scores_rows_in_the_detector(images):
    detector = AutoencoderOutlierDetector(3, module=TinyAutoencoder, **FEW_EPOCHS)
    assert set(np.unique(detector.fit(images).predict(images))) <= {-1, 1}


class WithBatchNorm(TinyAutoencoder):
    """A user's network with batch norm on the code, which cannot train on
    a batch of one row."""

    def __init__(self, n_features, n_components):
        super().__init__(n_features, n_components)
        self.norm = nn.BatchNorm1d(n_components)

    def encode(self, x):
        return self.norm(self.encoder(x))


def test_no_training_batch_holds_a_single_row(images):
    # 65 training rows (none held out) in batches of 16: the last would hold
    # one row, which joins the batch before it.
    ae = AutoencoderTransformer(
        2, module=WithBatchNorm, batch_size=16, early_stopping=False, **FEW_EPOCHS
    ).fit(images[:65])
    assert ae.n_iter_ == 3 and np.isfinite(ae.transform(images)).all()


class WithDropout(TinyAutoencoder):
    """A user's network whose output in training mode is random."""

    def __init__(self, n_features, n_components):
        super().__init__(n_features, n_components)
        self.dropout = nn.Dropout(0.5)

    def encode(self, x):
        return super().encode(self.dropout(x))


def test_a_later_partial_fit_that_diverges_leaves_the_network_in_eval_mode(images):
    ae = AutoencoderTransformer(2, module=WithDropout, **FEW_EPOCHS).fit(images)
    codes = ae.transform(images)
    exploding = images.copy()
    exploding[:, 0] = 1e30
    with pytest.raises(ValueError, match="Training diverged"):
        ae.partial_fit(exploding)
    assert not ae.net_.module_.training
    assert_array_equal(ae.transform(images), codes)


class NoDecode(nn.Module):
    def __init__(self, n_features, n_components):
        super().__init__()
        self.encoder = nn.Linear(n_features, n_components)

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return x, self.encode(x)


class ReconstructionOnly(TinyAutoencoder):
    def forward(self, x):
        return self.decode(self.encode(x))


@pytest.mark.parametrize(
    ("module", "params", "error", "match"),
    [
        (NoDecode, {}, TypeError, "must define decode"),
        (ReconstructionOnly, {}, ValueError, r"must return \(reconstruction, code\)"),
        (TinyAutoencoder, {"image_shape": (8, 8)}, ValueError, "in module_params"),
        (None, {"module_params": {"scale": 2}}, ValueError, "set module too"),
    ],
)
def test_module_contract_is_checked_before_training(
    images, module, params, error, match
):
    ae = AutoencoderTransformer(3, module=module, **params, **FEW_EPOCHS)
    with pytest.raises(error, match=match):
        ae.fit(images)
    assert not hasattr(ae, "net_")


def test_scoring_images_splits_batches_by_the_networks_activations():
    # A float64 convolution on the CPU unrolls its input, one copy of the
    # kernel's reach per pixel: batches of 4,096 rows of 32 x 32 images
    # took about 5 GB to score, and 64 x 64 images ran out of memory.
    X = np.random.default_rng(0).random((300, 32 * 32))
    detector = AutoencoderOutlierDetector(image_shape=(32, 32), **FEW_EPOCHS).fit(X)
    first_convolution = next(
        layer
        for layer in detector.net_.module_.modules()
        if isinstance(layer, nn.Conv2d)
    )
    seen = []
    hook = first_convolution.register_forward_pre_hook(
        lambda layer, args: seen.append(len(args[0]))
    )
    try:
        scores = detector.score_samples(X)
    finally:
        hook.remove()
    assert 0 < max(seen) < 100
    # Equal up to float64 rounding: on some CPUs a float64 matrix product
    # rounds 3 rows otherwise than 90, a last bit apart.
    np.testing.assert_allclose(
        detector.score_samples(X[-3:]), scores[-3:], rtol=1e-12, atol=0
    )


@pytest.mark.parametrize("hidden_layer_sizes", [(64,), (1024, 1024)])
def test_tables_keep_full_inference_batches(hidden_layer_sizes):
    module = MLPAutoencoder(100, 8, hidden_layer_sizes)
    assert inference_batch_rows(module, 100) == INFERENCE_BATCH_SIZE


def test_inference_batch_rows_walks_a_module_once(monkeypatch):
    module = MLPAutoencoder(20, 2, (32,))
    walks = []
    walk = torch.nn.Module.modules
    monkeypatch.setattr(
        torch.nn.Module, "modules", lambda self: walks.append(self) or walk(self)
    )
    first = inference_batch_rows(module, 20)
    assert inference_batch_rows(module, 20) == first
    assert walks == [module]
    inference_batch_rows(MLPAutoencoder(20, 2, (32,)), 20)
    assert len(walks) == 2


def _rates(estimator):
    """The learning rate of each of ``estimator``'s parameters, by name."""
    group_of = {
        id(p): group
        for group in estimator.net_.optimizer_.param_groups
        for p in group["params"]
    }
    return {
        name: group_of[id(p)]["lr"]
        for name, p in estimator.net_.module_.named_parameters()
    }


def test_table_layers_summing_many_inputs_train_at_a_lower_rate():
    # 600 features and their missing indicators: the encoder's first layer
    # sums 1,200 inputs, every other layer at most 1,024.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 600))
    X[rng.random(X.shape) < 0.2] = np.nan
    imputer = AutoencoderImputer(learning_rate_init=1e-3, max_iter=1, random_state=0)
    rates = _rates(imputer.fit(X))
    assert imputer.net_.module_.encoder.first.in_features == 1200
    assert rates.pop("encoder.first.weight") == pytest.approx(
        1e-3 * MAX_FULL_RATE_INPUTS / 1200
    )
    assert set(rates.values()) == {1e-3}


def test_partial_fit_keeps_the_lower_rate_of_wide_layers():
    X = np.random.default_rng(0).normal(size=(40, 1100))
    ae = AutoencoderTransformer(2, learning_rate_init=1e-3, random_state=0)
    ae.partial_fit(X)
    ae.set_params(learning_rate_init=1e-4).partial_fit(X)
    rates = _rates(ae)
    assert rates.pop("encoder.first.weight") == pytest.approx(
        1e-4 * MAX_FULL_RATE_INPUTS / 1100
    )
    assert set(rates.values()) == {1e-4}


def test_layers_summing_few_inputs_train_at_the_full_rate(digits):
    ae = AutoencoderTransformer(4, max_iter=1, random_state=0).fit(digits[0])
    assert set(_rates(ae).values()) == {ae.learning_rate_init}


def test_image_networks_train_at_the_full_rate():
    # 48 x 48 images: the convolutions' flattened features number far more
    # than MAX_FULL_RATE_INPUTS.
    X = np.random.default_rng(0).random((20, 48 * 48))
    ae = AutoencoderTransformer(2, image_shape=(48, 48), max_iter=1, random_state=0)
    widest = max(
        p[0].numel() for p in ae.fit(X).net_.module_.parameters() if p.dim() > 1
    )
    assert widest > MAX_FULL_RATE_INPUTS
    assert set(_rates(ae).values()) == {ae.learning_rate_init}
