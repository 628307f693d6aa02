"""The promises AutoencoderImputer makes, one test each."""

import pickle

import numpy as np
import pytest
import torch
from _params import (
    IMPUTER,
    QUICK,
    EpochWeights,
    FailWhenTrainingStarts,
    first_batch,
    moving_average,
)
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from skorch.callbacks import BatchScoring, Callback, EpochScoring

from sk_autoencoder import AutoencoderImputer, AutoencoderTransformer, _imputer
from sk_autoencoder._base import WEIGHT_AVERAGE_DECAY
from sk_autoencoder._imputer import (
    GAUSSIAN_ITERATIONS,
    GAUSSIAN_PATIENCE,
    GAUSSIAN_RIDGE,
    GAUSSIAN_TOLERANCE,
    MAX_GAUSSIAN_FEATURES,
    MAX_GAUSSIAN_ITERATIONS,
    MAX_GAUSSIAN_PIXELS,
    MAX_GAUSSIAN_ROWS,
    conditional_mean,
    feature_blend_weights,
    fit_gaussian,
    left_out_means,
    shrink_toward_even_blend,
)
from sk_autoencoder._network import ConvAutoencoder, MLPAutoencoder
from sk_autoencoder._skorch import ReconstructionLoss


@pytest.fixture(scope="module")
def low_rank():
    """Rows of rank 2 in 8-D, and a copy with 15 % of entries missing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 8))
    X_missing = np.where(rng.random(X.shape) < 0.15, np.nan, X)
    return X, X_missing


@pytest.fixture(scope="module")
def imputer(low_rank):
    return AutoencoderImputer(**IMPUTER).fit(low_rank[1])


def test_fitted_weights_are_the_moving_average_of_the_epochs(low_rank):
    imputer = AutoencoderImputer(**{**IMPUTER, "callbacks": [EpochWeights()]})
    imputer.fit(low_rank[1])
    epochs = dict(imputer.net_.callbacks_)["EpochWeights"].weights_
    expected = moving_average(epochs, WEIGHT_AVERAGE_DECAY)
    fitted = imputer.net_.module_.state_dict()
    assert len(epochs) == imputer.n_iter_ > 1
    for name, value in expected.items():
        torch.testing.assert_close(fitted[name], value)


class Spoil(Callback):
    """Scales every weight by 50 at the end of epoch ``epoch``: training
    breaks down there."""

    def __init__(self, epoch=8):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                for weight in net.module_.parameters():
                    weight.mul_(50.0)


def test_a_breakdown_after_the_best_epoch_keeps_the_average_of_that_epoch(
    low_rank,
):
    params = {**IMPUTER, "max_iter": 200, "n_iter_no_change": 3}
    imputer = AutoencoderImputer(**params, callbacks=[EpochWeights(), Spoil()])
    imputer.fit(low_rank[1])
    callbacks = dict(imputer.net_.callbacks_)
    best = callbacks["early_stopping"].best_epoch_
    assert best <= Spoil().epoch < imputer.n_iter_
    epochs = callbacks["EpochWeights"].weights_
    expected = moving_average(epochs[:best], WEIGHT_AVERAGE_DECAY)
    fitted = imputer.net_.module_.state_dict()
    for name, value in expected.items():
        torch.testing.assert_close(fitted[name], value)


class WithBatchNorm(torch.nn.Module):
    """A module of one's own whose state dict holds a counter."""

    def __init__(self, n_features, n_components):
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(n_features)
        self.encoder = torch.nn.Linear(n_features, n_components)
        self.decoder = torch.nn.Linear(n_components, n_features)

    def encode(self, x):
        return self.encoder(self.norm(x))

    def decode(self, code):
        return self.decoder(code)

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code), code


class LastCounter(Callback):
    """Records the batch norm's counter at the end of the last epoch."""

    def on_epoch_end(self, net, **kwargs):
        self.counter_ = int(net.module_.state_dict()["norm.num_batches_tracked"])


def test_weight_average_keeps_the_latest_counters(low_rank):
    imputer = AutoencoderImputer(
        module=WithBatchNorm, **{**IMPUTER, "callbacks": [LastCounter()]}
    ).fit(low_rank[1])
    last = dict(imputer.net_.callbacks_)["LastCounter"].counter_
    tracked = imputer.net_.module_.state_dict()["norm.num_batches_tracked"]
    assert int(tracked) == last > 100


def test_only_the_transformer_falls_back_on_its_start(low_rank):
    # Too small a step for any epoch to beat the start by tol: the
    # transformer restores the start (epoch 0), the imputer an epoch.
    X, X_missing = low_rank
    params = {**IMPUTER, "n_components": 2, "learning_rate_init": 1e-9, "max_iter": 3}
    transformer = AutoencoderTransformer(**params).fit(X)
    imputer = AutoencoderImputer(**params).fit(X_missing)

    def restored_epoch(fitted):
        return dict(fitted.net_.callbacks_)["early_stopping"].best_epoch_

    assert restored_epoch(transformer) == 0
    assert restored_epoch(imputer) >= 1


def test_observed_entries_are_returned_exactly(imputer, low_rank):
    X_missing = low_rank[1]
    observed = ~np.isnan(X_missing)
    assert_array_equal(imputer.transform(X_missing)[observed], X_missing[observed])


def test_every_missing_entry_is_filled(imputer, low_rank):
    assert np.isfinite(imputer.transform(low_rank[1])).all()


def test_fills_better_than_the_mean(imputer, low_rank):
    X, X_missing = low_rank
    missing = np.isnan(X_missing)
    ours = imputer.transform(X_missing)[missing]
    means = SimpleImputer().fit_transform(X_missing)[missing]
    rmse = np.sqrt(np.mean((ours - X[missing]) ** 2))
    assert rmse < 0.5 * np.sqrt(np.mean((means - X[missing]) ** 2))


def test_a_constant_feature_is_filled_with_its_value(low_rank):
    X = low_rank[1].copy()
    rng = np.random.default_rng(0)
    # Constant to float64's precision: a spread of a few units in the last
    # place of 1e12.
    X[:, 0] = 1e12 + 1e-3 * rng.normal(size=len(X))
    X[::3, 0] = np.nan
    X[:, 1] = np.nan  # never observed
    with pytest.warns(UserWarning, match="no observed value"):
        filled = AutoencoderImputer(**IMPUTER).fit_transform(X)
    observed = X[~np.isnan(X[:, 0]), 0]
    assert (filled[::3, 0] >= observed.min()).all()
    assert (filled[::3, 0] <= observed.max()).all()
    assert (filled[:, 1] == 0).all()


def test_loss_counts_observed_entries_only():
    loss = ReconstructionLoss(missing=True)
    target = torch.tensor([[1.0, np.nan], [np.nan, np.nan], [0.0, 2.0]])
    rebuilt = torch.tensor([[2.0, 50.0], [7.0, 7.0], [0.0, 0.0]], requires_grad=True)
    value = loss((rebuilt, None), target)
    # Row errors: 1 (one observed entry), 0 (none observed), 2 (mean of 0, 4).
    assert value.item() == pytest.approx(1.0)
    value.backward()
    assert torch.isfinite(rebuilt.grad).all()
    assert rebuilt.grad[0, 1] == 0 and (rebuilt.grad[1] == 0).all()


# -1e300: a placeholder beyond what float32 holds is replaced, not refused.
@pytest.mark.parametrize("marker", [-999.0, -1e300])
def test_missing_values_placeholder(low_rank, marker):
    X_missing = low_rank[1]
    X_placeholder = np.where(np.isnan(X_missing), marker, X_missing)
    nan_fill = AutoencoderImputer(**IMPUTER).fit_transform(X_missing)
    placeholder = AutoencoderImputer(missing_values=marker, **IMPUTER)
    assert_array_equal(placeholder.fit_transform(X_placeholder), nan_fill)


def test_nan_is_refused_when_it_is_not_the_placeholder(low_rank):
    imputer = AutoencoderImputer(missing_values=-1, **IMPUTER)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        imputer.fit(low_rank[1])


@pytest.mark.parametrize("marker, allows_nan", [(np.nan, True), (-1, False)])
def test_the_allow_nan_tag_says_whether_nan_marks_the_missing(marker, allows_nan):
    assert get_tags(AutoencoderImputer(missing_values=marker)).input_tags.allow_nan is (
        allows_nan
    )


@pytest.mark.parametrize(
    "scoring",
    [
        EpochScoring("neg_mean_squared_error"),
        ("mse", BatchScoring("neg_mean_squared_error")),
    ],
)
def test_scoring_callbacks_are_refused_before_training(low_rank, scoring):
    imputer = AutoencoderImputer(
        callbacks=[FailWhenTrainingStarts(), scoring], **IMPUTER
    )
    with pytest.raises(ValueError, match=r"callbacks: .*Scoring cannot score"):
        imputer.fit(low_rank[1])


def test_a_scoring_callback_with_a_scorer_of_ones_own_is_kept(low_rank):
    def zero(net, X, y):
        return 0.0

    scoring = EpochScoring(zero, name="zero")
    imputer = AutoencoderImputer(callbacks=[scoring], **IMPUTER).fit(low_rank[1])
    assert "zero" in imputer.net_.history[-1]


def test_add_indicator_appends_the_missing_indicator(low_rank):
    X_missing = low_rank[1]
    imputer = AutoencoderImputer(add_indicator=True, **IMPUTER).fit(X_missing)
    out = imputer.transform(X_missing)
    indicator = MissingIndicator().fit_transform(X_missing)
    assert out.shape == (len(X_missing), 8 + indicator.shape[1])
    assert_array_equal(out[:, 8:], indicator)
    names = imputer.get_feature_names_out()
    assert list(names[:2]) == ["x0", "x1"]
    assert names[8] == "missingindicator_x0"


def test_works_in_a_pipeline_before_a_classifier():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X[rng.random(X.shape) < 0.1] = np.nan
    pipe = make_pipeline(AutoencoderImputer(**IMPUTER), LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.8


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(low_rank, dtype):
    X_missing = low_rank[1].astype(dtype)
    assert AutoencoderImputer(**IMPUTER).fit_transform(X_missing).dtype == dtype


def test_fit_without_missing_values_then_impute(low_rank):
    X, X_missing = low_rank
    imputer = AutoencoderImputer(**IMPUTER).fit(X)
    assert np.isfinite(imputer.transform(X_missing)).all()


def test_a_feature_never_observed_is_filled_with_0_and_a_warning(low_rank):
    X_missing = low_rank[1].copy()
    X_missing[:, 3] = np.nan
    with pytest.warns(UserWarning, match=r"Features \[3\] have no observed value"):
        filled = AutoencoderImputer(**IMPUTER).fit_transform(X_missing)
    assert np.isfinite(filled).all()
    assert (filled[:, 3] == 0).all()


@pytest.mark.parametrize(
    "call",
    [
        lambda X: AutoencoderImputer(**IMPUTER).fit(X),
        lambda X: AutoencoderImputer(**IMPUTER).fit_transform(X),
        lambda X: make_pipeline(AutoencoderImputer(**IMPUTER)).fit_transform(X),
    ],
    ids=["fit", "fit_transform", "pipeline"],
)
def test_the_never_observed_warning_points_at_the_users_call(low_rank, call):
    X_missing = low_rank[1].copy()
    X_missing[:, 3] = np.nan
    with pytest.warns(UserWarning, match=r"have no observed value") as record:
        call(X_missing)
    (warning,) = [w for w in record if "have no observed value" in str(w.message)]
    assert warning.filename == __file__


def test_masking_is_the_default_training_noise(imputer):
    assert imputer.net_.iterator_train__corruption.noise == "mask"
    assert imputer.net_.criterion_.missing


@pytest.mark.parametrize("noise", ["mask", lambda X, rng: X], ids=["mask", "callable"])
def test_training_counts_the_entries_the_noise_masks(low_rank, noise):
    imputer = AutoencoderImputer(noise=noise, **{**IMPUTER, "max_iter": 1})
    imputer.fit(low_rank[1])
    net = imputer.net_
    assert net.iterator_train__corruption.masked_targets
    assert net.iterator_valid__corruption.masked_targets


def test_reconstruction_r2_measures_the_entries_the_imputer_fills(low_rank):
    # Rank-2 rows: a hidden entry follows from the others, so filling it is
    # nearly exact, while the output for visible entries is never trained.
    imputer = AutoencoderImputer(**{**IMPUTER, "max_iter": 60}).fit(low_rank[1])
    assert imputer.reconstruction_r2_ > 0.8


def test_inference_follows_the_fitted_network_not_later_params(imputer, low_rank):
    fitted = pickle.loads(pickle.dumps(imputer))
    expected = fitted.transform(low_rank[1])
    fitted.set_params(module=torch.nn.Identity)
    assert_array_equal(fitted.transform(low_rank[1]), expected)


def test_imputed_entries_stay_within_min_value_and_max_value(imputer, low_rank):
    X_missing = low_rank[1]
    missing = np.isnan(X_missing)
    unbounded = clone(imputer).set_params(min_value=None, max_value=None)
    unbounded = unbounded.fit(X_missing).transform(X_missing)[missing]
    low, high = np.quantile(unbounded, [0.25, 0.75])
    bounded = clone(imputer).set_params(min_value=low, max_value=high)
    filled = bounded.fit(X_missing).transform(X_missing)
    assert_array_equal(filled[missing], np.clip(unbounded, low, high))
    # Observed entries are returned as given, even outside the limits.
    assert_array_equal(filled[~missing], X_missing[~missing])


def test_observed_bounds_reach_the_gaussians_fills_of_the_training_rows(hidden_tail):
    high = np.nanmax(hidden_tail, axis=0)
    unbounded = AutoencoderImputer(min_value=None, max_value=None, **IMPUTER)
    fills = unbounded.fit_transform(hidden_tail)
    imputer = AutoencoderImputer(**IMPUTER).fit(hidden_tail)
    low_limit, high_limit = imputer._limits_
    # The hidden tail lies above the observed values: the Gaussian's fills
    # of the training rows reach beyond them, and the bound with them.
    assert high_limit[3] > high[3]
    # The same fit (bounds do not change training), clipped.
    filled = imputer.transform(hidden_tail)
    assert_array_equal(filled, np.clip(fills, low_limit, high_limit))
    assert np.any(filled[np.isnan(hidden_tail)[:, 3], 3] > high[3])


def test_a_row_far_outside_the_training_rows_is_filled_within_their_fills(
    hidden_tail,
):
    # The Gaussian's conditional mean of such a row lies far beyond every
    # training row's; the bounds, set in fit, hold.
    imputer = AutoencoderImputer(**IMPUTER).fit(hidden_tail)
    low, high = imputer._limits_
    assert np.all(np.isfinite([low[3], high[3]]))
    far = imputer.transform(np.array([[1e3, 1e3, 1e3, np.nan]]))[0, 3]
    assert low[3] <= far <= high[3]


def test_fills_stay_within_the_observed_range_without_a_gaussian(
    hidden_tail, monkeypatch
):
    # Images without a Gaussian are filled by the network alone: nothing
    # widens a bound.
    monkeypatch.setattr(_imputer, "MAX_GAUSSIAN_PIXELS", 0)
    params = {**IMPUTER, "image_shape": (1, 2, 2)}
    low, high = np.nanmin(hidden_tail, axis=0), np.nanmax(hidden_tail, axis=0)
    unbounded = AutoencoderImputer(min_value=None, max_value=None, **params)
    unbounded = unbounded.fit_transform(hidden_tail)
    assert np.any(unbounded[np.isnan(hidden_tail)[:, 3], 3] > high[3])
    filled = AutoencoderImputer(**params).fit_transform(hidden_tail)
    assert_array_equal(filled, np.clip(unbounded, low, high))


@pytest.mark.parametrize("name", ["min_value", "max_value"])
def test_an_observed_bound_gives_way_to_the_users_other_one(
    hidden_tail, name, monkeypatch
):
    # A bound beyond every observed value on the other side.
    if name == "min_value":
        bound = np.nanmax(hidden_tail, axis=0) + 1.0
    else:
        bound = np.nanmin(hidden_tail, axis=0) - 1.0
    # As images without a Gaussian are: nothing widens the observed bound
    # (see above).
    monkeypatch.setattr(_imputer, "MAX_GAUSSIAN_PIXELS", 0)
    params = {**IMPUTER, "image_shape": (1, 2, 2), "max_iter": 1, name: bound}
    imputer = AutoencoderImputer(**params)
    filled = imputer.fit_transform(hidden_tail)
    missing = np.isnan(hidden_tail)
    assert_array_equal(filled[missing], np.broadcast_to(bound, filled.shape)[missing])


@pytest.mark.parametrize("name", ["min_value", "max_value"])
def test_min_value_and_max_value_per_feature(imputer, low_rank, name):
    # 0 bounds every feature but the first, left unbounded on that side.
    X_missing = low_rank[1]
    unbounded = -np.inf if name == "min_value" else np.inf
    limits = np.array([unbounded] + [0.0] * (X_missing.shape[1] - 1))
    filled = clone(imputer).set_params(**{name: limits}).fit_transform(X_missing)
    missing = np.isnan(X_missing)
    sign = 1 if name == "min_value" else -1
    assert (sign * filled[:, 1:][missing[:, 1:]] >= 0).all()
    assert (sign * filled[:, 0][missing[:, 0]] < 0).any()


BAD_NUMBER = "must be a number or hold one number per feature"


@pytest.mark.parametrize(
    "limits, error, message",
    [
        ({"min_value": 1.0, "max_value": 0.0}, ValueError, "min_value=1.0 is above"),
        (
            {"min_value": [0.0, 1.0]},
            ValueError,
            r"min_value must .* one value per feature \(8\)",
        ),
        ({"max_value": [np.nan] + [1.0] * 7}, ValueError, "max_value holds NaN"),
        ({"max_value": [None] + [1.0] * 7}, ValueError, "max_value holds NaN"),
        ({"min_value": np.inf}, ValueError, "min_value holds inf, a bound no value"),
        ({"max_value": [-np.inf] + [1.0] * 7}, ValueError, "max_value holds -inf"),
        ({"min_value": 1e39}, ValueError, "min_value holds a value beyond float32's"),
        ({"max_value": ["a"] * 8}, TypeError, f"max_value {BAD_NUMBER}"),
        ({"max_value": ["5"] * 8}, TypeError, f"max_value {BAD_NUMBER}"),
        ({"min_value": [True] * 8}, TypeError, f"min_value {BAD_NUMBER}"),
    ],
)
def test_bad_limits_are_refused_before_training(
    imputer, low_rank, limits, error, message
):
    # Also on a refit: the failed fit leaves the estimator unfitted.
    for candidate in (
        AutoencoderImputer(**IMPUTER),
        pickle.loads(pickle.dumps(imputer)),
    ):
        candidate.set_params(callbacks=[FailWhenTrainingStarts()], **limits)
        with pytest.raises(error, match=message):
            candidate.fit(low_rank[1])
        assert not hasattr(candidate, "net_")
        assert not hasattr(candidate, "n_features_in_")


def stripes(n_images, rng):
    """8 x 8 images whose rows are constant, each at a random level: a
    pixel equals its neighbours in its row, and no short code holds an
    image (its 8 levels are independent)."""
    levels = rng.random((n_images, 8, 1))
    return np.repeat(levels, 8, axis=2).reshape(n_images, 64)


def test_local_layers_fill_a_pixel_from_its_neighbours(monkeypatch):
    # The network's fills alone: a Gaussian fills these stripes exactly.
    monkeypatch.setattr(_imputer, "MAX_GAUSSIAN_PIXELS", 0)
    rng = np.random.default_rng(0)
    X, X_test = stripes(500, rng), stripes(100, rng)
    holes = X_test.copy()
    holes[np.arange(100), rng.integers(0, 64, size=100)] = np.nan
    missing = np.isnan(holes)
    params = {
        "n_components": 2,
        "image_shape": (8, 8),
        "hidden_layer_sizes": (8,),
        "alpha": 0.0,
        "learning_rate_init": 1e-2,
        "max_iter": 20,
        "random_state": 0,
    }
    errors = {}
    for local_layers in (0, 1):
        imputer = AutoencoderImputer(local_layers=local_layers, **params).fit(X)
        filled = imputer.transform(holes)
        errors[local_layers] = np.sqrt(np.mean((filled - X_test)[missing] ** 2))
    # Through a code of 2 the hidden pixel's level is lost; one convolution
    # around the code copies it from the pixels beside it.
    assert errors[0] > 0.2
    assert errors[1] < 0.5 * errors[0]


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "set image_shape"),
        ({"module": MLPAutoencoder}, "set image_shape"),
        (
            {"module": ConvAutoencoder, "module_params": {"image_shape": (1, 2, 4)}},
            "set image_shape",
        ),
    ],
    ids=[
        "no image_shape",
        "own module",
        "ConvAutoencoder as own",
    ],
)
def test_bad_local_layers_are_refused_before_training(low_rank, params, message):
    imputer = AutoencoderImputer(
        local_layers=2, callbacks=[FailWhenTrainingStarts()], **IMPUTER, **params
    )
    with pytest.raises(ValueError, match=f"local_layers=2 .*{message}"):
        imputer.fit(low_rank[1])
    assert not hasattr(imputer, "net_")


@pytest.mark.parametrize(
    ("image_shape", "n_layers"), [((8, 8), 8), ((1, 3, 5), 5), ((2, 12, 10), 8)]
)
def test_images_get_a_local_path_across_the_image_by_default(image_shape, n_layers):
    # "auto" reaches across the image, up to 8 pixels, with 32 channels.
    X = np.random.default_rng(0).random((20, int(np.prod(image_shape))))
    imputer = AutoencoderImputer(image_shape=image_shape, max_iter=1, random_state=0)
    local = imputer.fit(X).net_.module_.local
    convolutions = [m for m in local.modules() if isinstance(m, torch.nn.Conv2d)]
    assert sum(m.kernel_size == (3, 3) for m in convolutions) == n_layers
    assert convolutions[0].out_channels == 32
    assert imputer.set_params(local_layers=0).fit(X).net_.module_.local is None


def test_rows_that_are_not_images_get_no_local_path(low_rank):
    imputer = AutoencoderImputer(**IMPUTER).fit(low_rank[1])
    assert isinstance(imputer.net_.module_, MLPAutoencoder)


@pytest.mark.parametrize(("n_features", "width"), [(5, 256), (100, 400), (300, 1024)])
def test_tables_get_two_wide_layers_around_a_code_as_wide_as_the_input(
    n_features, width
):
    # Four units per feature, within [256, 1024], in two layers each side.
    X = np.random.default_rng(0).normal(size=(40, n_features))
    X[::3, 0] = np.nan
    module = AutoencoderImputer(max_iter=1, random_state=0).fit(X).net_.module_
    code = module.encode(torch.zeros(2, n_features))
    assert code.shape == (2, n_features)
    for half in module.encoder, module.decoder:
        layers = [m for m in half.modules() if isinstance(m, torch.nn.Linear)]
        assert layers[0].out_features == half.n_out + width
        assert [(m.in_features, m.out_features) for m in layers[1:]] == [(width, width)]


def test_images_keep_a_code_of_half_the_pixels():
    X = np.random.default_rng(0).random((20, 16))
    imputer = AutoencoderImputer(image_shape=(4, 4), max_iter=1, random_state=0)
    code = imputer.fit(X).net_.module_.encode(torch.zeros(2, 16))
    assert code.shape == (2, 8)


class RaiseWithBudget(Callback):
    """Ends fit before training, naming the batch size and most epochs."""

    def on_train_begin(self, net, **kwargs):
        raise RuntimeError(f"budget {net.batch_size} {net.max_epochs}")


@pytest.mark.parametrize("image_shape", [(1, 8, 8), (3, 16, 16)])
def test_images_train_on_a_budget_of_entries_passed_through(image_shape):
    # 630 training rows: batches of 64 images, and as many epochs as pass
    # 12 million entries through the network (the last one may overshoot).
    entries = int(np.prod(image_shape))
    X = np.random.default_rng(0).random((700, entries))
    imputer = AutoencoderImputer(
        image_shape=image_shape, callbacks=[RaiseWithBudget()], random_state=0
    )
    with pytest.raises(RuntimeError, match="budget") as raised:
        imputer.fit(X)
    batch_size, epochs = (int(word) for word in str(raised.value).split()[1:])
    assert batch_size == 64
    per_epoch = -(-630 // batch_size) * batch_size * entries
    assert 0 <= epochs * per_epoch - 12_000_000 < per_epoch


@pytest.mark.parametrize(
    ("n_train", "transformer", "imputer"),
    [
        (500, 50, 200),  # 16 batches: the upper bounds
        (1_800, 31, 152),  # 33 batches: 1,000 and 5,000 updates
        (20_000, 10, 50),  # 100 batches of 200
        (300_000, 2, 25),  # 1,500 batches: the lower bounds
    ],
)
def test_auto_patience_waits_5000_updates_for_the_imputer(
    n_train, transformer, imputer
):
    # Patience in epochs: the transformer's 1,000 updates, the imputer's
    # 5,000 (its validation loss counts the masked entries alone).
    assert AutoencoderTransformer()._budget(n_train)[2] == transformer
    assert AutoencoderImputer()._budget(n_train)[2] == imputer


def test_mask_noise_hides_a_rectangle_in_half_the_images():
    # (2, 6, 5) images: a rectangle is the same in both channels; the other
    # images lose scattered pixels.
    X = np.random.default_rng(0).random((1000, 60))
    imputer = AutoencoderImputer(image_shape=(2, 6, 5), local_layers=0, random_state=0)
    x, _ = first_batch(imputer, X)
    masks = np.isnan(x).reshape(1000, 2, 6, 5)
    areas = np.array([rectangle_area(mask) for mask in masks])
    assert (areas > 0).mean() == pytest.approx(0.5, abs=0.05)


def test_mask_noise_hides_from_a_few_pixels_to_most_of_an_image():
    # Each image loses a share of its 30 pixels drawn uniformly between 0
    # and IMAGE_MASKED_SHARE (0.6): trained on a fifth of every image, the
    # network filled larger holes worse than KNNImputer.
    X = np.random.default_rng(0).random((1000, 60))
    imputer = AutoencoderImputer(image_shape=(2, 6, 5), local_layers=0, random_state=0)
    x, _ = first_batch(imputer, X)
    masks = np.isnan(x).reshape(1000, 2, 6, 5)
    areas = np.array([rectangle_area(mask) for mask in masks])
    rectangles = areas[areas > 0]
    # Rounded to whole rows and columns of at most 5 pixels.
    assert rectangles.min() <= 3 and rectangles.max() >= 15
    assert rectangles.max() <= 0.6 * 30 + 3
    shares = masks[areas == 0].reshape(-1, 60).mean(axis=1)
    assert shares.mean() == pytest.approx(0.3, abs=0.02)
    assert np.mean(shares < 0.1) == pytest.approx(1 / 6, abs=0.05)
    assert np.mean(shares > 0.5) == pytest.approx(1 / 6, abs=0.05)


def rectangle_area(mask):
    """The pixels of the one rectangle ``mask`` (channels, height, width)
    hides alike in every channel; 0 where it hides none or another shape."""
    if not (mask.any() and all(np.array_equal(mask[0], m) for m in mask[1:])):
        return 0
    rows, cols = np.nonzero(mask[0])
    box = mask[0, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return box.size if box.all() else 0


def test_mask_noise_copies_the_missingness_patterns_of_the_training_rows():
    # Every row misses the first feature or the second: training masks
    # those alone, in about as many rows as miss them, and never a feature
    # the data always has.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2)) @ rng.normal(size=(2, 6))
    first = rng.random(1000) < 0.3
    X[first, 0] = np.nan
    X[~first, 1] = np.nan
    x, _ = first_batch(AutoencoderImputer(random_state=0), X)
    assert not np.isnan(x[:, 2:]).any()
    # Missing (0.3) or masked by a drawn pattern (0.3 of the rest).
    assert np.isnan(x[:, 0]).mean() == pytest.approx(0.51, abs=0.06)


def test_mask_noise_masks_at_random_the_rows_that_draw_a_complete_rows_pattern():
    # The first feature misses in 30 % of the rows and the others never: a
    # row that draws the pattern of one of the complete 70 % is masked at
    # random in a fifth of its entries, as rows of a complete table are.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2)) @ rng.normal(size=(2, 6))
    X[rng.random(2000) < 0.3, 0] = np.nan
    x, _ = first_batch(AutoencoderImputer(random_state=0), X)
    assert np.isnan(x[:, 1:]).mean() == pytest.approx(0.7 * 0.2, abs=0.03)
    # Missing (0.3), or masked by a drawn pattern with the hole (0.3 of
    # the rest) or at random (0.2 of the 0.7 of the rest that draw none).
    expected = 0.3 + 0.7 * (0.3 + 0.7 * 0.2)
    assert np.isnan(x[:, 0]).mean() == pytest.approx(expected, abs=0.04)


def test_a_few_holes_in_training_leave_the_masks_of_a_complete_table():
    # One missing entry among 6,000: the rows were masked as that one row
    # is, and the others not at all, so the network hardly trained to fill
    # (new rows with a fifth missing: RMSE 0.814 against 0.396 after a fit
    # on the complete table, in a new-user hunt).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2)) @ rng.normal(size=(2, 6))
    complete, _ = first_batch(AutoencoderImputer(random_state=0), X)
    X[0, 0] = np.nan
    x, _ = first_batch(AutoencoderImputer(random_state=0), X)
    assert np.isnan(x).mean() == pytest.approx(np.isnan(complete).mean(), abs=0.01)
    assert np.isnan(x).mean(axis=0) == pytest.approx(0.2, abs=0.04)


@pytest.mark.parametrize(
    "n_features, params",
    [(MAX_GAUSSIAN_FEATURES + 1, {}), (64, {"image_shape": (8, 8)})],
    ids=["wide", "image"],
)
def test_mask_noise_also_hides_features_the_patterns_never_miss_without_gaussian(
    n_features, params, monkeypatch
):
    # No Gaussian fills a feature the data never misses: half the rows copy
    # a pattern, the others are masked at random, a table's in 0.2 of its
    # entries; an image's scattered pixels (half the rows) in 0.2, and its
    # rectangles (the other half) cover a central pixel in most rows.
    monkeypatch.setattr(_imputer, "MAX_GAUSSIAN_PIXELS", 0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, n_features))
    complete = n_features // 2 + 4  # for 8 x 8 images, pixel (4, 4)
    holes = rng.random(X.shape) < 0.1
    holes[:, complete] = False
    X[holes] = np.nan
    x, _ = first_batch(AutoencoderImputer(random_state=0, **params), X)
    share = np.isnan(x[:, complete]).mean()
    if "image_shape" in params:
        assert 0.5 * 0.5 * 0.2 < share < 0.5
    else:
        assert share == pytest.approx(0.5 * 0.2, abs=0.03)


def test_a_feature_never_missing_in_fit_of_a_wide_table_is_filled_from_the_others():
    rng = np.random.default_rng(0)
    # Wide enough that no Gaussian is fitted on 300 rows.
    n_features = 400
    factors = rng.normal(size=(3, n_features))
    X = rng.normal(size=(400, 3)) @ factors
    X_fit = X[:300].copy()
    X_fit[:, 10:][rng.random((300, n_features - 10)) < 0.1] = np.nan
    imputer = AutoencoderImputer(max_iter=100, random_state=0).fit(X_fit)
    X_holes = X[300:].copy()
    X_holes[:, :5] = np.nan
    error = imputer.transform(X_holes)[:, :5] - X[300:, :5]
    assert np.sqrt(np.mean(error**2)) < 0.5 * X[:, :5].std()


def random_covariance(rng, n_features):
    factor = rng.normal(size=(n_features, n_features))
    return factor @ factor.T / n_features + 0.1 * np.eye(n_features)


def test_conditional_mean_is_the_gaussian_regression_of_the_missing_entries():
    rng = np.random.default_rng(0)
    mean, covariance = rng.normal(size=6), random_covariance(rng, 6)
    X = rng.multivariate_normal(mean, covariance, size=50)
    X[rng.random(X.shape) < 0.4] = np.nan
    X[0] = np.nan
    filled = conditional_mean(
        torch.from_numpy(X),
        torch.from_numpy(mean),
        torch.from_numpy(np.linalg.inv(covariance)),
    ).numpy()
    for x, row in zip(X, filled, strict=True):
        missing = np.isnan(x)
        observed = ~missing
        expected = x.copy()
        expected[missing] = mean[missing]
        if observed.any():
            gain = np.linalg.solve(
                covariance[np.ix_(observed, observed)],
                covariance[np.ix_(observed, missing)],
            )
            expected[missing] += (x[observed] - mean[observed]) @ gain
        np.testing.assert_allclose(row, expected, rtol=1e-9, atol=1e-9)


def test_em_fits_the_gaussian_of_rows_with_missing_entries():
    rng = np.random.default_rng(1)
    X = rng.multivariate_normal(rng.normal(size=5), random_covariance(rng, 5), 20_000)
    X_missing = np.where(rng.random(X.shape) < 0.3, np.nan, X)
    mean, precision = fit_gaussian(torch.from_numpy(X_missing))
    # The estimates from the complete rows, within sampling error.
    np.testing.assert_allclose(mean.numpy(), X.mean(axis=0), atol=0.02)
    ridged = np.cov(X, rowvar=False) + GAUSSIAN_RIDGE * np.eye(5)
    np.testing.assert_allclose(np.linalg.inv(precision.numpy()), ridged, atol=0.02)


def held_out_check(X, rng, share=0.5):
    """``fit_gaussian``'s check from the rows ``X``: a ``share`` of their
    observed entries hidden, and the hidden entries' values."""
    hide = ~np.isnan(X) & (rng.random(X.shape) < share)
    return (
        torch.from_numpy(np.where(hide, np.nan, X)),
        torch.from_numpy(np.where(hide, X, np.nan)),
    )


def slowly_converging_table(seed=0):
    """Three factors mixed into 30 features plus noise 0.1, standardized,
    each feature missing more often (half the entries in all) where the
    feature before it is high: EM is far from converged after
    GAUSSIAN_ITERATIONS."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 3)) @ rng.normal(size=(3, 30))
    X += 0.1 * rng.normal(size=X.shape)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    missing = rng.random(X.shape) < 1 / (1 + np.exp(-3 * np.roll(X, 1, axis=1)))
    missing[:, 0] = False
    return X, missing, rng


def test_em_returns_the_iteration_that_rebuilds_the_hidden_entries_best(
    monkeypatch,
):
    X, missing, rng = slowly_converging_table()
    holes = np.where(missing, np.nan, X)
    training, check = torch.from_numpy(holes[:500]), held_out_check(holes[500:], rng)
    hidden_error, seen = _imputer._hidden_error, []

    def recorded(check, mean, precision):
        seen.append((hidden_error(check, mean, precision), mean, precision))
        return seen[-1][0]

    monkeypatch.setattr(_imputer, "_hidden_error", recorded)
    mean, precision = fit_gaussian(training, check, MAX_GAUSSIAN_ITERATIONS)
    best = 0
    for iteration, (error, _, _) in enumerate(seen):
        if error < (1 - GAUSSIAN_TOLERANCE) * seen[best][0]:
            best = iteration
    # The table asks for more than the fixed number, and EM stops
    # GAUSSIAN_PATIENCE iterations after the best.
    assert best + 1 > GAUSSIAN_ITERATIONS
    assert len(seen) == min(best + 1 + GAUSSIAN_PATIENCE, MAX_GAUSSIAN_ITERATIONS)
    assert mean is seen[best][1]
    assert precision is seen[best][2]
    expected_mean, expected_precision = fit_gaussian(training, max_iterations=best + 1)
    assert_array_equal(mean, expected_mean)
    assert_array_equal(precision, expected_precision)


def test_em_runs_on_while_the_hidden_entries_are_rebuilt_better():
    X, missing, rng = slowly_converging_table()
    holes = np.where(missing, np.nan, X)
    training, check = torch.from_numpy(holes[:500]), held_out_check(holes[500:], rng)

    def error(mean, precision):
        filled = conditional_mean(training, mean, precision).numpy()
        return np.sqrt(np.mean((filled - X[:500])[missing[:500]] ** 2))

    fixed = error(*fit_gaussian(training))
    chosen = error(*fit_gaussian(training, check, MAX_GAUSSIAN_ITERATIONS))
    assert chosen < 0.95 * fixed


def test_em_without_hidden_entries_to_check_runs_the_fixed_iterations():
    X, missing, _ = slowly_converging_table()
    training = torch.from_numpy(np.where(missing, np.nan, X)[:500])
    rows = training[:10]
    check = (rows, torch.full_like(rows, np.nan))
    mean, precision = fit_gaussian(training, check, MAX_GAUSSIAN_ITERATIONS)
    expected_mean, expected_precision = fit_gaussian(training)
    assert_array_equal(mean, expected_mean)
    assert_array_equal(precision, expected_precision)


def test_em_runs_longer_on_tables_cheaper_than_the_widest():
    imputer = AutoencoderImputer()

    def iterations(n_rows, n_features):
        return imputer._gaussian_iterations(torch.zeros(n_rows, n_features))

    assert iterations(MAX_GAUSSIAN_ROWS, MAX_GAUSSIAN_FEATURES) == GAUSSIAN_ITERATIONS
    assert iterations(MAX_GAUSSIAN_ROWS, MAX_GAUSSIAN_FEATURES // 2) == 8 * 20
    assert iterations(200, 10) == MAX_GAUSSIAN_ITERATIONS
    assert (
        AutoencoderImputer(image_shape=(8, 8))._gaussian_iterations(
            torch.zeros(100, 64)
        )
        == GAUSSIAN_ITERATIONS
    )


@pytest.fixture(scope="module")
def unbounded_imputer(low_rank):
    params = {**IMPUTER, "max_iter": 3, "min_value": None, "max_value": None}
    return AutoencoderImputer(**params).fit(low_rank[1])


def with_weight(imputer, weight):
    copy = pickle.loads(pickle.dumps(imputer))
    copy.network_weight_ = weight
    return copy


def test_fills_blend_the_network_and_the_gaussian_by_network_weight(
    unbounded_imputer, low_rank
):
    X_missing = low_rank[1]
    missing = np.isnan(X_missing)
    weight = 0.3
    network = with_weight(unbounded_imputer, 1.0).transform(X_missing)
    gaussian = with_weight(unbounded_imputer, 0.0).transform(X_missing)
    assert not np.allclose(network[missing], gaussian[missing], atol=1e-3)
    np.testing.assert_allclose(
        with_weight(unbounded_imputer, weight).transform(X_missing)[missing],
        (weight * network + (1.0 - weight) * gaussian)[missing],
        rtol=1e-6,
        atol=1e-6,
    )


def test_the_blend_fills_better_than_the_network_alone(unbounded_imputer, low_rank):
    # Rows of rank 2, which a Gaussian fills almost exactly and a network
    # trained for 3 epochs does not: the weight leans to the Gaussian.
    X, X_missing = low_rank
    missing = np.isnan(X_missing)

    def rmse(imputer):
        return np.sqrt(np.mean((imputer.transform(X_missing) - X)[missing] ** 2))

    assert unbounded_imputer.network_weight_.mean() < 0.5
    assert rmse(unbounded_imputer) < 0.5 * rmse(with_weight(unbounded_imputer, 1.0))


def test_network_weight_favours_the_network_where_relations_are_nonlinear():
    # Points on a circle: each coordinate is known up to its sign from the
    # other, which a Gaussian (whose conditional mean is linear) cannot use.
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, size=2000)
    X = np.column_stack([np.cos(angle), np.sin(angle), np.cos(angle) ** 2])
    X += 0.01 * rng.normal(size=X.shape)
    X_missing = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    imputer = AutoencoderImputer(random_state=0).fit(X_missing)
    assert imputer.network_weight_.mean() > 0.5


def test_a_blend_weight_read_off_few_rows_is_shrunk_toward_an_even_blend():
    # Per validation row, the sums of gap * error and gap ** 2: two rows
    # say the network alone, one the Gaussian alone; least squares: 2 / 3.
    agreement, spread = np.array([1.0, 0.0, 1.0]), np.ones(3)
    assert shrink_toward_even_blend(agreement, spread) == 0.5
    # The same disagreement over 300 rows leaves the weight about as it is.
    many = shrink_toward_even_blend(np.tile(agreement, 100), np.ones(300))
    assert 0.65 < many < 2 / 3


def test_a_blend_weight_read_off_one_row_is_an_even_blend():
    assert shrink_toward_even_blend(np.array([0.0, 3.0]), np.array([0.0, 4.0])) == 0.5


def test_a_blend_weight_with_nothing_to_read_is_the_network_alone():
    assert shrink_toward_even_blend(np.zeros(4), np.zeros(4)) == 1.0


def test_network_weight_holds_one_weight_per_feature(unbounded_imputer):
    assert unbounded_imputer.network_weight_.shape == (
        unbounded_imputer.n_features_in_,
    )


def test_a_feature_one_model_fills_far_better_gets_its_own_weight():
    # Per validation row and feature: on features 1-4 the network's fills
    # are worth 0.8 of the blend, give or take; on feature 0 the Gaussian's
    # are right on every row.
    rng = np.random.default_rng(0)
    spread = rng.uniform(0.5, 1.5, size=(50, 5))
    agreement = spread * (0.8 + 0.1 * rng.normal(size=(50, 5)))
    agreement[:, 0] = 0.0
    weights = feature_blend_weights(agreement, spread)
    assert weights[0] < 0.05
    assert np.all(np.abs(weights[1:] - 0.8) < 0.1)


def test_features_whose_weights_differ_by_their_noise_keep_the_pooled_one():
    # Each row says the network alone (1) or the Gaussian alone (0) at
    # random: the features' least-squares weights, 0.50 to 0.63, differ
    # by their noise only.
    agreement = np.random.default_rng(0).integers(0, 2, size=(40, 6)).astype(float)
    spread = np.ones_like(agreement)
    pooled = shrink_toward_even_blend(agreement.sum(axis=1), spread.sum(axis=1))
    assert np.ptp(agreement.mean(axis=0)) > 0.1
    assert_array_equal(feature_blend_weights(agreement, spread), pooled)


def test_two_features_keep_the_pooled_weight():
    agreement = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    spread = np.ones_like(agreement)
    assert_array_equal(feature_blend_weights(agreement, spread), 0.5)


def test_a_feature_observed_in_few_rows_does_not_swing_the_blend_weight():
    # Found by a new-user hunt: diabetes with its first feature missing in
    # 95 % of the rows, the others complete. The weight is read off the two
    # or so validation rows that observe that feature: least squares gave
    # 0.0 here (1.0 with seeds 1 and 2), noise either way.
    X = load_diabetes().data
    rng = np.random.default_rng(0)
    X_missing = X.copy()
    X_missing[rng.random(len(X)) < 0.95, 0] = np.nan
    imputer = AutoencoderImputer(random_state=0).fit(X_missing)
    assert 0.4 <= imputer.network_weight_[0] <= 0.6


@pytest.fixture(scope="module")
def first_feature_complete():
    """An imputer fitted with feature 0 (the sum of features 1 and 2) never
    missing and the others, some nonlinear in 1 and 2, missing at random,
    in half their entries: a sixteenth of the rows are complete, too few
    for their random masks to teach feature 0 (see MIN_COMPLETE_SHARE);
    new rows that miss feature 0 alone, and the same rows complete."""
    rng = np.random.default_rng(0)

    def rows(n):
        a, b = rng.normal(size=(2, n))
        return np.column_stack([a + b, a, b, a * b, np.abs(a)])

    X_fit = rows(600)
    X_fit[:, 1:][rng.random((600, 4)) < 0.5] = np.nan
    imputer = AutoencoderImputer(**IMPUTER).fit(X_fit)
    X_new = rows(300)
    X_holes = X_new.copy()
    X_holes[rng.random(300) < 0.5, 0] = np.nan
    return imputer, X_new, X_holes


def test_a_feature_never_missing_in_fit_is_filled_by_the_gaussian(
    first_feature_complete,
):
    imputer, _, X_holes = first_feature_complete
    holes = np.isnan(X_holes[:, 0])
    assert imputer.network_weight_[0] == 0.0
    assert imputer.network_weight_[1:].max() > 0.0
    gaussian = with_weight(imputer, 0.0).transform(X_holes)
    np.testing.assert_array_equal(
        imputer.transform(X_holes)[holes, 0], gaussian[holes, 0]
    )


def test_an_imputer_fitted_before_unmasked_features_were_kept_still_blends(
    first_feature_complete,
):
    # As every feature was then: blended by network_weight_, one float.
    imputer, _, X_holes = first_feature_complete
    older, blended = (pickle.loads(pickle.dumps(imputer)) for _ in range(2))
    older.network_weight_ = blended.network_weight_ = 0.3
    del older._unmasked_features_
    blended._unmasked_features_ = np.zeros(imputer.n_features_in_, dtype=bool)
    assert_array_equal(older.transform(X_holes), blended.transform(X_holes))


def test_a_feature_never_missing_in_fit_is_filled_from_the_others(
    first_feature_complete,
):
    imputer, X_new, X_holes = first_feature_complete
    holes = np.isnan(X_holes[:, 0])
    error = imputer.transform(X_holes)[holes, 0] - X_new[holes, 0]
    assert np.sqrt(np.mean(error**2)) < 0.1 * X_new[:, 0].std()


@pytest.mark.parametrize(
    "n_samples, image_shape, share",
    [
        (MAX_GAUSSIAN_ROWS, None, 0.1),
        (50, (33, 33), 0.1),
        (MAX_GAUSSIAN_ROWS, (32, 32), 0.2),
    ],
    ids=["wide table", "large image", "large holes"],
)
def test_wide_tables_and_costly_images_are_filled_by_the_network_alone(
    n_samples, image_shape, share
):
    # Over MAX_GAUSSIAN_PIXELS pixels, or rows missing about 200 pixels
    # each: solving their missing blocks would cost far more than the
    # products with the precision matrix.
    assert MAX_GAUSSIAN_PIXELS == 32 * 32
    n_features = MAX_GAUSSIAN_FEATURES + 1 if image_shape is None else 0
    n_features = n_features or image_shape[0] * image_shape[1]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features))
    X[rng.random(X.shape) < share] = np.nan
    params = {**QUICK, "max_iter": 1, "image_shape": image_shape}
    imputer = AutoencoderImputer(**params).fit(X)
    assert np.all(imputer.network_weight_ == 1.0)
    assert imputer._gaussian_mean_ is None


def test_images_with_a_few_rows_of_nothing_keep_their_gaussian():
    # Each row with every pixel missing would cost a solve of the whole
    # precision matrix (1,024^3): two would pass the images' bound. They
    # tell the Gaussian nothing and are left out.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 32 * 32))
    X[:3] = np.nan
    params = {"hidden_layer_sizes": (4,), "local_layers": 0, "max_iter": 1}
    imputer = AutoencoderImputer(image_shape=(32, 32), random_state=0, **params)
    assert imputer.fit(X)._gaussian_mean_ is not None
    assert np.isfinite(imputer.transform(X)).all()


def test_smooth_images_are_filled_as_their_gaussian_fills_them():
    # Images of 10 x 10 drawn from a smooth Gaussian field, with noise of
    # a tenth of its spread: the conditional mean under the field's own
    # covariance is the best fill of a block; the imputer's fitted
    # Gaussian comes close, where a briefly trained network alone does not.
    rng = np.random.default_rng(0)
    grid = np.stack(np.meshgrid(np.arange(10), np.arange(10)), -1).reshape(-1, 2)
    distance = ((grid[:, None] - grid[None]) ** 2).sum(-1)
    covariance = np.exp(-distance / (2 * 2.0**2)) + 1e-2 * np.eye(100)
    X = rng.multivariate_normal(np.zeros(100), covariance, size=1200)
    X_train, X_test = X[:1000], X[1000:]
    holes = np.zeros((200, 10, 10), dtype=bool)
    for image, (top, left) in zip(
        holes, rng.integers(0, 7, size=(200, 2)), strict=True
    ):
        image[top : top + 4, left : left + 4] = True
    holes = holes.reshape(200, -1)
    X_holes = np.where(holes, np.nan, X_test)
    imputer = AutoencoderImputer(image_shape=(10, 10), max_iter=2, random_state=0)
    filled = imputer.fit(X_train).transform(X_holes)
    best = conditional_mean(
        torch.from_numpy(X_holes),
        torch.zeros(100),
        torch.linalg.inv(torch.from_numpy(covariance)),
    ).numpy()
    error = np.sqrt(np.mean((filled - X_test)[holes] ** 2))
    best_error = np.sqrt(np.mean((best - X_test)[holes] ** 2))
    assert imputer.network_weight_.max() < 0.5
    # Pixels are alike: one weight for all of them.
    assert np.ptp(imputer.network_weight_) == 0.0
    assert error < 1.1 * best_error


def test_rows_missing_many_entries_are_solved_a_few_at_a_time(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 12))
    X += 0.1 * rng.normal(size=X.shape)
    X[rng.random(X.shape) < 0.3] = np.nan
    x = torch.from_numpy(X)
    mean, precision = fit_gaussian(x)
    filled = conditional_mean(x, mean, precision)
    monkeypatch.setattr(_imputer, "GAUSSIAN_BLOCK_VALUES", 2 * 3**2)
    rows = torch.arange(5)
    assert [len(group) for group in _imputer._solved_together(rows, 3)] == [2, 2, 1]
    assert [len(group) for group in _imputer._solved_together(rows, 9)] == [1] * 5
    assert_array_equal(conditional_mean(x, mean, precision), filled)
    mean_apart, precision_apart = fit_gaussian(x)
    np.testing.assert_allclose(precision_apart, precision, rtol=1e-10)
    np.testing.assert_allclose(mean_apart, mean, rtol=1e-10)


def test_a_table_as_wide_as_long_keeps_its_validation_rows():
    # The imputer's code is as wide as the table: more than its rows can
    # span, whether or not rows are held out.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(31, 3)) @ rng.normal(size=(3, 30))
    X[rng.random(X.shape) < 0.2] = np.nan
    imputer = AutoencoderImputer(**QUICK).fit(X)
    assert imputer.validation_scores_ is not None


@pytest.mark.parametrize(("n_samples", "n_features"), [(50, 300), (100, 250)])
def test_a_wide_table_of_few_rows_blends_in_the_gaussian(n_samples, n_features):
    # Fitting the Gaussian costs about rows x features^3: on so few rows,
    # no more than on 2,000 rows of 100 features.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 3)) @ rng.normal(size=(3, n_features))
    X[rng.random(X.shape) < 0.1] = np.nan
    imputer = AutoencoderImputer(**QUICK).fit(X)
    assert imputer._gaussian_mean_.shape == (n_features,)
    assert imputer.network_weight_.min() < 1.0


def test_a_table_held_twice_is_filled_as_well_as_once():
    # Validation rows with copies among the training rows let the network
    # learn its rows by heart unnoticed: it trained to the end of its budget
    # and the blend leant on it.
    X = StandardScaler().fit_transform(load_diabetes().data)
    missing = np.random.default_rng(0).random(X.shape) < 0.2
    holes = np.where(missing, np.nan, X)

    def rmse(table):
        filled = AutoencoderImputer(random_state=0).fit_transform(table)[: len(X)]
        return np.sqrt(np.mean((filled - X)[missing] ** 2))

    assert rmse(np.tile(holes, (2, 1))) < 1.05 * rmse(holes)


def test_fills_average_over_masks_where_that_fills_held_out_rows_better(
    wide_few_rows,
):
    # Trained long on few rows, each masked on top of its own holes, the
    # network fills rows with only their own holes worse than rows masked
    # as in training; the held-out rows show it, and the fills average
    # over rows masked as in training.
    imputer, X_new, X_holes = wide_few_rows
    missing = np.isnan(X_holes)
    alone = pickle.loads(pickle.dumps(imputer))
    alone._fill_masks_ = None

    def rmse(fitted):
        return np.sqrt(np.mean((fitted.transform(X_holes) - X_new)[missing] ** 2))

    assert imputer._fill_masks_.shape == (_imputer.FILL_DRAWS, 300)
    assert rmse(imputer) < 0.9 * rmse(alone)


def test_fills_of_a_wide_table_without_structure_do_as_well_as_the_means(
    structureless_wide,
):
    # The network, filling alone, fits the noise: its fills had 1.24 times
    # the squared error of the features' means.
    imputer, X, X_holes = structureless_wide
    assert not imputer._has_gaussian()
    missing = np.isnan(X_holes)
    means = np.broadcast_to(np.nanmean(X_holes, axis=0), X.shape)
    error = np.mean((imputer.transform(X_holes) - X)[missing] ** 2)
    assert error <= 1.01 * np.mean((means - X)[missing] ** 2)


def test_fills_of_features_that_beat_their_means_are_kept(wide_few_rows):
    # Every feature is related to the others; on the few held-out rows, by
    # chance, a feature's fills may do worse than its mean.
    imputer = wide_few_rows[0]
    assert np.mean(imputer._fill_shrink_ == 1.0) >= 0.99


def test_features_nothing_else_predicts_are_filled_about_by_their_means():
    # 150 features of rank 3 beside 100 of pure noise, too wide for the
    # Gaussian: the network fills the related ones well and fits the noise
    # of the others (unshrunk, their RMSE was 1.12 where the means' is 1.03).
    rng = np.random.default_rng(0)
    related = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 150))
    X = np.hstack([related, rng.normal(size=(200, 100))])
    X += 0.2 * rng.normal(size=X.shape)
    X_holes = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    imputer = AutoencoderImputer(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    imputer.fit(X_holes)
    assert not imputer._has_gaussian()
    shrink = imputer._fill_shrink_
    assert np.all(shrink[:150] == 1.0) and np.mean(shrink[150:]) < 0.5
    unshrunk = pickle.loads(pickle.dumps(imputer))
    unshrunk._fill_shrink_ = np.ones(250)
    noise = np.isnan(X_holes) & (np.arange(250) >= 150)

    def rmse(filled):
        return np.sqrt(np.mean((filled - X)[noise] ** 2))

    means = np.broadcast_to(np.nanmean(X_holes, axis=0), X.shape)
    assert rmse(imputer.transform(X_holes)) < rmse(unshrunk.transform(X_holes))
    assert rmse(imputer.transform(X_holes)) <= 1.05 * rmse(means)


def test_fills_of_rare_values_the_hidden_entries_missed_are_kept():
    # 50 binary features, 1 in about 2 % of the rows, which the 150 related
    # features foretell: most of their few hidden entries are 0, which the
    # means fill better. Judged on those, 62 % of them were shrunk.
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 3))
    related = Z @ rng.normal(size=(3, 150)) + 0.2 * rng.normal(size=(300, 150))
    rare = (Z[:, :1] + 0.3 * rng.normal(size=(300, 50)) > 2.0).astype(float)
    X_holes = np.hstack([related, rare])
    X_holes[rng.random(X_holes.shape) < 0.2] = np.nan
    imputer = AutoencoderImputer(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    shrink = imputer.fit(X_holes)._fill_shrink_
    assert np.mean(shrink[150:] == 1.0) >= 0.9


def test_observed_bounds_are_lifted_where_they_spoil_held_out_fills():
    # 100 rows of rank 3 in 300-D: a few percent of the missing values lie
    # beyond the observed range, and the network rebuilds them.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3)) @ rng.normal(size=(3, 300))
    X += 0.2 * rng.normal(size=X.shape)
    missing = rng.random(X.shape) < 0.2
    X_holes = np.where(missing, np.nan, X)
    params = {"hidden_layer_sizes": (128, 128), "max_iter": 100, "random_state": 0}
    imputer = AutoencoderImputer(**params).fit(X_holes)
    low, high = imputer._limits_
    assert (low == -np.inf).all() and (high == np.inf).all()
    clipped = np.clip(
        imputer.transform(X_holes),
        np.nanmin(X_holes, axis=0),
        np.nanmax(X_holes, axis=0),
    )

    def rmse(filled):
        return np.sqrt(np.mean((filled - X)[missing] ** 2))

    assert rmse(imputer.transform(X_holes)) < 0.97 * rmse(clipped)
    # A bound given stays; only the "observed" one is lifted.
    bounded = AutoencoderImputer(**params, min_value=-1.0).fit(X_holes)
    low, high = bounded._limits_
    assert (low == -1.0).all() and (high == np.inf).all()
    # Without an "observed" bound there is nothing to lift.
    free = AutoencoderImputer(**params, min_value=None, max_value=None)
    assert np.isinf(free.fit(X_holes)._limits_).all()


def test_a_feature_unseen_in_the_rows_has_no_observed_range():
    # Neither bound, rather than an empty range that would clip every fill.
    X = np.array([[1.0, np.nan], [2.0, np.nan], [np.nan, 5.0]])
    low, high = _imputer._observed_range(X, np.array([0, 1]))
    assert_array_equal(low, [1.0, -np.inf])
    assert_array_equal(high, [2.0, np.inf])


def test_averaged_fills_are_the_mean_of_the_fills_of_the_masked_rows(
    wide_few_rows,
):
    # Unclipped: transform clips the mean, not each fill.
    imputer, _, X_holes = wide_few_rows
    imputer, alone = (pickle.loads(pickle.dumps(imputer)) for _ in range(2))
    imputer._limits_ = alone._limits_ = (-np.inf, np.inf)
    alone._fill_masks_ = None
    rows = X_holes[:5]
    mean = np.mean(
        [
            alone.transform(np.where(mask, np.nan, rows))
            for mask in imputer._fill_masks_
        ],
        axis=0,
    )
    missing = np.isnan(rows)
    np.testing.assert_allclose(
        imputer.transform(rows)[missing], mean[missing], rtol=1e-5, atol=1e-6
    )


def test_blended_fills_take_one_pass_of_the_network():
    # The blend's weight is chosen for the network's own fills. On 80 rows
    # of diabetes (blended), trained long, the averaged fills rebuild the
    # held-out rows better: they were chosen before blended tables were
    # left out.
    X = StandardScaler().fit_transform(load_diabetes().data)[:80]
    X_holes = np.where(np.random.default_rng(0).random(X.shape) < 0.2, np.nan, X)
    imputer = AutoencoderImputer(max_iter=300, random_state=0).fit(X_holes)
    assert imputer._gaussian_mean_ is not None
    assert imputer._fill_masks_ is None


def test_two_rows_are_both_trained_on_and_filled():
    # Too few to hold one out: the Gaussian of the blend is fitted on the
    # training rows, which must then be all of them.
    X = np.array([[0.0, np.nan, 2.0], [3.0, 5.0, 1.0]])
    imputer = AutoencoderImputer(**QUICK).fit(X)
    assert imputer.net_.train_split is None
    assert np.isfinite(imputer.transform(X)).all()


def test_image_budget_trains_at_least_one_whole_epoch(monkeypatch):
    # A pixel budget of 10 updates of 64 images of 8 x 8, fewer than an
    # epoch over the training rows takes. Cut to the budget, large image
    # sets trained on too few updates.
    monkeypatch.setattr(_imputer, "AUTO_IMAGE_ENTRY_BUDGET", 10 * 64 * 64)
    X = np.random.default_rng(0).random((1_800, 64))
    imputer = AutoencoderImputer(
        image_shape=(8, 8), hidden_layer_sizes=(4,), local_layers=0, random_state=0
    ).fit(X)
    batches = imputer.net_.history[0]["batches"]
    trained = [batch["train_batch_size"] for batch in batches if "train_loss" in batch]
    validated = [
        batch["valid_batch_size"] for batch in batches if "valid_loss" in batch
    ]
    assert imputer.n_iter_ == 1
    assert len(trained) > 10
    assert sum(trained) + sum(validated) == len(X)  # every training row


def test_verbose_2_shows_one_progress_bar_over_the_rows_transform_fills(
    monkeypatch, capsys
):
    monkeypatch.setattr(_imputer, "FILL_CHUNK_VALUES", 100 * 8)  # 100 rows
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8))
    X[rng.random(X.shape) < 0.2] = np.nan
    imputer = AutoencoderImputer(max_iter=1, random_state=0).fit(X)
    capsys.readouterr()
    imputer.set_params(verbose=2).transform(X)  # 6 chunks of rows
    bars = capsys.readouterr().err
    assert bars.count("rows:   0%") == 1
    assert "batches" not in bars


@pytest.mark.parametrize("n_features, width", [(50, 50), (1100, 1024)])
def test_a_table_code_is_as_wide_as_the_input_up_to_the_widest_layer(n_features, width):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_features))
    X[rng.random(X.shape) < 0.2] = np.nan
    imputer = AutoencoderImputer(max_iter=1, random_state=0).fit(X)
    assert imputer.n_components_ == width


def positive_and_indicator_features(seed=0, n_samples=600):
    """Rows of three factors: four log-normal features (all positive) and
    three 0/1 indicators, a fifth of the entries missing at random."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n_samples, 3))
    positive = np.exp(0.7 * factors @ rng.normal(size=(3, 4)))
    positive *= np.exp(0.3 * rng.normal(size=positive.shape))
    indicators = factors @ rng.normal(size=(3, 3)) + 0.5 * rng.normal(
        size=(n_samples, 3)
    )
    X = np.hstack([positive, (indicators > 0).astype(float)])
    return X, rng.random(X.shape) < 0.2


def test_left_out_means_are_the_conditional_means_of_each_entry_hidden():
    rng = np.random.default_rng(0)
    spread = rng.normal(size=(6, 6))
    precision = torch.from_numpy(np.linalg.inv(spread @ spread.T + np.eye(6)))
    mean = torch.from_numpy(rng.normal(size=6))
    x = torch.from_numpy(rng.normal(size=(40, 6)))
    x[torch.from_numpy(rng.random((40, 6)) < 0.3)] = np.nan
    left_out = left_out_means(x, mean, precision)
    for row, feature in torch.nonzero(~torch.isnan(x)).tolist():
        hidden = x[row : row + 1].clone()
        hidden[0, feature] = np.nan
        expected = conditional_mean(hidden, mean, precision)[0, feature]
        assert torch.isclose(left_out[row, feature], expected, rtol=0, atol=1e-12)
    assert torch.equal(torch.isnan(left_out), torch.isnan(x))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_entries_missing_at_random_are_filled_within_the_observed_values(seed):
    # A linear Gaussian places some fills of skewed or 0/1 features beyond
    # any value the data shows; entries missing at random lie within them.
    # The bounds reached those fills before: indicators filled at -0.4 or
    # 2.5, positive features at -11 (bounds down to -31).
    X, missing = positive_and_indicator_features(seed)
    holes = np.where(missing, np.nan, X)
    filled = AutoencoderImputer(**IMPUTER).fit_transform(holes)
    assert filled[:, :4].min() >= 0.0
    assert np.all((filled[:, 4:] >= 0.0) & (filled[:, 4:] <= 1.0))


def test_bounds_reach_beyond_the_observed_values_where_the_largest_go_missing(
    hidden_tail,
):
    imputer = AutoencoderImputer(**IMPUTER).fit(hidden_tail)
    high = imputer._limits_[1][3]
    observed = np.nanmax(hidden_tail[:, 3])
    observed_span = observed - np.nanmin(hidden_tail[:, 3])
    assert high > observed + 0.5 * observed_span
