"""Training-time corruption (noise, noise_level): one test per promise."""

import pickle
from functools import partial

import numpy as np
import pytest
import torch
from _params import SHORT, first_batch
from numpy.testing import assert_allclose, assert_array_equal
from skorch.callbacks import Callback

from sk_autoencoder import AutoencoderTransformer
from sk_autoencoder._data import BatchIterator, Corruption, ScaledRows, Scaler


@pytest.fixture(scope="module")
def curved():
    """Rows near a curved 2-D surface in 10-D, and a noisy copy."""
    rng = np.random.default_rng(0)
    t = rng.uniform(-2, 2, size=(800, 2))
    basis = rng.normal(size=(4, 10))
    X = np.c_[t, np.sin(2 * t)] @ basis + 0.01 * rng.normal(size=(800, 10))
    return X, X + 0.5 * rng.normal(size=X.shape)


def rows(X, mean=0.0, scale=1.0, missing=False):
    mean, scale = np.broadcast_to(mean, X.shape[1]), np.broadcast_to(scale, X.shape[1])
    return ScaledRows(X, np.arange(len(X)), Scaler(mean, scale), missing)


def iterate(dataset, batch_size, fixed_noise=False, **corruption):
    return BatchIterator(
        dataset,
        batch_size,
        corruption=Corruption(**corruption),
        fixed_noise=fixed_noise,
    )


def test_gaussian_noise_corrupts_inputs_and_keeps_targets_clean():
    X = np.zeros((2000, 5))
    batches = iterate(rows(X), 500, noise="gaussian", level=0.3)
    for x, target in batches:
        assert torch.equal(target, torch.zeros_like(target))
        assert x.std().item() == pytest.approx(0.3, rel=0.05)


def test_mask_noise_sets_that_share_of_entries_to_the_mean():
    X = np.ones((2000, 5))
    batches = iterate(rows(X), 2000, noise="mask", level=0.25)
    x, target = next(iter(batches))
    assert torch.equal(target, torch.ones_like(target))
    assert set(x.unique().tolist()) == {0.0, 1.0}
    assert (x == 0).float().mean().item() == pytest.approx(0.25, abs=0.02)


def test_corruption_is_drawn_anew_for_every_batch_and_pass():
    batches = iterate(rows(np.zeros((10, 3))), 5, noise="gaussian", level=1)
    first, second = [x for x, _ in batches], [x for x, _ in batches]
    assert not torch.equal(first[0], first[1])
    assert not torch.equal(first[0], second[0])


def test_validation_corruption_is_the_same_every_pass():
    batches = iterate(
        rows(np.zeros((10, 3))), 5, noise="gaussian", level=1, fixed_noise=True
    )
    first, second = [x for x, _ in batches], [x for x, _ in batches]
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize("noise", ["gaussian", "mask"])
def test_noise_reaches_training_only(curved, noise):
    X = curved[0]
    ae = AutoencoderTransformer(2, noise=noise, noise_level=0.3, **SHORT).fit(X)
    assert ae.net_.iterator_train__corruption.noise == noise
    # Inference sees X as given: deterministic, and equal to the module
    # applied to the scaled rows.
    codes = ae.transform(X)
    assert_array_equal(ae.transform(X), codes)
    scaled = torch.as_tensor((X - ae.mean_) / ae.scale_, dtype=torch.float32)
    with torch.no_grad():
        expected = ae.net_.module_.encode(scaled).numpy()
    np.testing.assert_allclose(codes, expected, rtol=1e-5, atol=1e-5)


def add_noise(X, rng, sigma):
    """A user's corruption: Gaussian noise in the input's units."""
    return X + sigma * rng.normal(size=X.shape)


@pytest.mark.parametrize(
    "noise",
    [
        {"noise": "gaussian", "noise_level": 0.5},
        {"noise": partial(add_noise, sigma=0.5)},
    ],
    ids=["gaussian", "callable"],
)
def test_noise_is_seeded_by_random_state(curved, noise):
    X = curved[0]
    params = {**SHORT, **noise}
    first = AutoencoderTransformer(2, **params).fit(X).transform(X)
    again = AutoencoderTransformer(2, **params).fit(X).transform(X)
    other = AutoencoderTransformer(2, **{**params, "random_state": 1}).fit(X)
    assert_array_equal(first, again)
    assert not np.array_equal(first, other.transform(X))


def test_noise_changes_what_is_learned(curved):
    X = curved[0]
    clean = AutoencoderTransformer(2, **SHORT).fit(X)
    noisy = AutoencoderTransformer(2, noise="gaussian", noise_level=0.5, **SHORT)
    assert not np.array_equal(clean.transform(X), noisy.fit(X).transform(X))


def test_denoising_autoencoder_rebuilds_closer_to_the_clean_rows(curved):
    X, X_noisy = curved
    ae = AutoencoderTransformer(
        4,
        hidden_layer_sizes=(64,),
        noise="gaussian",
        noise_level=0.5,
        max_iter=60,
        random_state=0,
    ).fit(X)
    denoised = ae.inverse_transform(ae.transform(X_noisy))
    assert np.mean((denoised - X) ** 2) < 0.5 * np.mean((X_noisy - X) ** 2)


def test_mask_noise_level_must_be_below_one(curved):
    ae = AutoencoderTransformer(2, noise="mask", noise_level=1.0, **SHORT)
    with pytest.raises(ValueError, match=r"noise_level=1\.0 must be below 1"):
        ae.fit(curved[0])
    assert not hasattr(ae, "net_")


def unchanged(X, rng):
    return X


@pytest.mark.parametrize("noise", [None, unchanged], ids=["none", "callable"])
def test_noise_level_without_built_in_noise_warns(curved, noise):
    ae = AutoencoderTransformer(2, noise=noise, noise_level=0.3, **SHORT)
    with pytest.warns(
        UserWarning, match=r"noise_level=0\.3 is unused .* noise='gaussian'"
    ):
        ae.fit(curved[0][:100])


def test_mask_noise_level_none_is_a_tenth(curved):
    X = curved[0][:100]
    default = AutoencoderTransformer(2, noise="mask", **SHORT).fit(X)
    tenth = AutoencoderTransformer(2, noise="mask", noise_level=0.1, **SHORT).fit(X)
    assert_array_equal(default.transform(X), tenth.transform(X))


@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("units", [1e-3, 1.0, 1e3])
def test_gaussian_noise_level_none_is_a_fifth_of_each_features_scale(
    standardize, units
):
    # Whatever the data's units, the default noise is a fifth of the scale
    # each feature is divided by: as mild on pixels in [0, 255] as on
    # features of a hundredth.
    rng = np.random.default_rng(0)
    X = units * rng.normal(size=(2000, 3)) * [1.0, 10.0, 100.0]
    ae = AutoencoderTransformer(
        2, noise="gaussian", standardize=standardize, random_state=0
    )
    x, target = first_batch(ae, X)
    assert_allclose((x - target).std(axis=0), 0.2, rtol=0.05)


def test_callable_noise_corrupts_rows_in_the_inputs_units():
    X = np.full((6, 2), 10.0)
    scaled = rows(X, 10.0, 2.0)
    seen = []

    def shift(batch, rng):
        seen.append(batch)
        assert isinstance(rng, np.random.Generator)
        return batch + 1.0

    x, target = next(iter(iterate(scaled, 6, noise=shift)))
    assert_array_equal(seen[0], X)  # a copy in the input's units
    assert torch.equal(target, torch.zeros_like(target))
    assert torch.equal(x, torch.full_like(x, 0.5))  # (11 - 10) / 2


def test_callable_noise_nan_entries_enter_as_the_mean():
    def hide_first_column(batch, rng):
        batch[:, 0] = np.nan
        return batch

    X = np.full((4, 3), 5.0)
    scaled = rows(X, 3.0)
    x, target = next(iter(iterate(scaled, 4, noise=hide_first_column)))
    assert torch.equal(x[:, 0], torch.zeros(4))  # the mean, 3, scaled
    assert torch.equal(x[:, 1:], torch.full((4, 2), 2.0))
    assert torch.equal(target, torch.full((4, 3), 2.0))


def test_masked_targets_keep_only_the_entries_the_input_masks():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((300, 6)) < 0.1, np.nan, rng.normal(size=(300, 6)))
    scaled = rows(X, missing=True)
    batches = iterate(scaled, 300, noise="mask", level=0.3, masked_targets=True)
    x, target = next(iter(batches))
    missing = torch.from_numpy(np.isnan(X))
    hidden = (x == 0) & ~missing  # masked entries enter as 0, the mean
    assert hidden.float().mean().item() == pytest.approx(0.3 * 0.9, abs=0.02)
    assert torch.equal(~torch.isnan(target), hidden)
    assert torch.equal(target[hidden], torch.from_numpy(X).float()[hidden])


def test_a_batch_that_masks_nothing_keeps_its_whole_target():
    batches = iterate(
        rows(np.ones((4, 3))), 4, noise=lambda batch, rng: batch, masked_targets=True
    )
    assert torch.equal(next(iter(batches))[1], torch.ones(4, 3))


def test_masked_entries_stay_nan_for_a_network_that_reads_them():
    def hide_first_column(batch, rng):
        batch[:, 0] = np.nan
        return batch

    batches = iterate(
        rows(np.ones((4, 3))), 4, noise=hide_first_column, fill_masked=False
    )
    x, target = next(iter(batches))
    assert torch.isnan(x[:, 0]).all() and torch.equal(x[:, 1:], torch.ones(4, 2))
    assert torch.equal(target, torch.ones(4, 3))


def test_callable_validation_corruption_is_the_same_every_pass():
    noise = partial(add_noise, sigma=1.0)
    batches = iterate(rows(np.zeros((10, 3))), 5, noise=noise, fixed_noise=True)
    first, second = [x for x, _ in batches], [x for x, _ in batches]
    assert not torch.equal(first[0], first[1])
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    training = iterate(rows(np.zeros((10, 3))), 5, noise=noise)
    assert not torch.equal(next(iter(training))[0], first[0])  # a stream of its own


def test_callable_noise_denoises_the_corruption_it_describes(curved):
    X, X_noisy = curved  # X_noisy: X plus Gaussian noise of sigma 0.5
    # A code as wide as the input: only the corruption keeps the network
    # from passing the noise through.
    params = {"hidden_layer_sizes": (64,), "max_iter": 60, "random_state": 0}
    noise = partial(add_noise, sigma=0.5)
    denoiser = AutoencoderTransformer(10, noise=noise, **params).fit(X)
    plain = AutoencoderTransformer(10, **params).fit(X)

    def error(model):
        return np.mean((model.inverse_transform(model.transform(X_noisy)) - X) ** 2)

    assert error(denoiser) < 0.5 * error(plain)


def test_estimator_with_callable_noise_pickles(curved):
    X = curved[0]
    ae = AutoencoderTransformer(2, noise=partial(add_noise, sigma=0.5), **SHORT).fit(X)
    restored = pickle.loads(pickle.dumps(ae))
    assert_array_equal(restored.transform(X), ae.transform(X))


def test_callable_noise_of_another_shape_is_refused_before_training(curved):
    def drop_a_column(batch, rng):
        return batch[:, 1:]

    ae = AutoencoderTransformer(2, noise=drop_a_column, **SHORT)
    with pytest.raises(ValueError, match=r"noise=.*returned shape \(2, 9\)"):
        ae.fit(curved[0])
    assert not hasattr(ae, "net_")


def test_callable_noise_of_another_signature_is_refused_naming_noise(curved):
    ae = AutoencoderTransformer(2, noise=lambda batch: batch, **SHORT)
    with pytest.raises(TypeError, match=r"noise=.*noise\(X_batch, rng\)"):
        ae.fit(curved[0])
    assert not hasattr(ae, "net_")


class FirstBatchInputs(Callback):
    """Records the input of the first training batch of every epoch."""

    def initialize(self):
        self.inputs = []
        self._seen = None
        return self

    def on_epoch_begin(self, net, **kwargs):
        self._seen = False

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training and not self._seen:
            self.inputs.append(batch[0].clone())
            self._seen = True


def test_each_partial_fit_call_draws_new_shuffles_and_noise(curved):
    X = curved[0]

    def inputs(random_state):
        ae = AutoencoderTransformer(
            2,
            noise="gaussian",
            noise_level=0.5,
            callbacks=[FirstBatchInputs()],
            **{**SHORT, "random_state": random_state},
        )
        for _ in range(3):
            ae.partial_fit(X)
        return dict(ae.net_.callbacks_)["FirstBatchInputs"].inputs

    first = inputs(0)
    assert len(first) == 3
    assert not torch.equal(first[1], first[2])  # the same rows, seen anew
    assert all(torch.equal(a, b) for a, b in zip(first, inputs(0), strict=True))


@pytest.mark.parametrize("standardize", [False, True])
def test_gaussian_noise_level_is_in_the_units_of_X(standardize):
    # Features in units a hundredfold apart get noise of the same standard
    # deviation in those units, whatever the scaling the network sees.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3)) * [1.0, 10.0, 100.0]
    ae = AutoencoderTransformer(
        2, noise="gaussian", noise_level=0.5, standardize=standardize, random_state=0
    )
    x, target = first_batch(ae, X)
    noise_in_units_of_X = (x - target) * ae.scale_
    assert_allclose(noise_in_units_of_X.std(axis=0), 0.5, rtol=0.05)
