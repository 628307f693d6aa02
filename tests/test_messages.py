"""Mistakes a user makes get an error that names the problem, before training."""

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from _params import TINY, FailWhenTrainingStarts
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, LRScheduler
from torch import nn

from sk_autoencoder import (
    AutoencoderEmbedding,
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)


def refused(estimator, X, error, match):
    """Fit ``estimator`` on ``X``: it must raise ``error`` before training."""
    estimator.set_params(callbacks=[FailWhenTrainingStarts()])
    with pytest.raises(error, match=match):
        estimator.fit(X)
    assert not hasattr(estimator, "net_")


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(60, 6))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:7"])
def test_a_missing_gpu_is_named(X, device):
    refused(
        AutoencoderTransformer(2, device=device, **TINY),
        X,
        ValueError,
        rf"device='{device}' is not available: torch sees 0 CUDA device",
    )


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_a_missing_mps_device_is_named(X):
    refused(
        AutoencoderTransformer(2, device="mps", **TINY),
        X,
        ValueError,
        r"device='mps' is not available",
    )


def test_a_device_that_cannot_train_is_refused(X):
    refused(
        AutoencoderTransformer(2, device="meta", **TINY),
        X,
        ValueError,
        r"device='meta' cannot train a network here",
    )


@pytest.mark.parametrize("callback", [object(), "print_log", ("name", object())])
def test_callbacks_that_are_not_skorch_callbacks_are_named(X, callback):
    estimator = AutoencoderTransformer(2, callbacks=[callback], **TINY)
    with pytest.raises(TypeError, match=r"callbacks must hold skorch Callback"):
        estimator.fit(X)


@pytest.mark.parametrize("name", ["early_stopping", "weight_average", "print_log"])
def test_callback_names_the_estimator_uses_are_refused(X, name):
    estimator = AutoencoderTransformer(2, callbacks=[(name, EpochTimer())], **TINY)
    with pytest.raises(ValueError, match=rf"callbacks: the name '{name}' is taken"):
        estimator.fit(X)
    assert not hasattr(estimator, "net_")


def test_a_callback_name_given_twice_is_refused(X):
    callbacks = [("timer", EpochTimer()), ("timer", EpochTimer())]
    estimator = AutoencoderTransformer(2, callbacks=callbacks, **TINY)
    with pytest.raises(ValueError, match=r"callbacks: the name 'timer' is given twice"):
        estimator.fit(X)
    assert not hasattr(estimator, "net_")


def test_unnamed_callbacks_of_one_class_are_all_taken(X):
    estimator = AutoencoderTransformer(
        2, callbacks=[EpochTimer(), EpochTimer()], **TINY
    )
    estimator.fit(X)
    names = [name for name, _ in estimator.net_.callbacks_]
    assert {"EpochTimer_1", "EpochTimer_2"} <= set(names)


class Counter(Callback):
    """Keeps run state set in __init__, which clone cannot rebuild."""

    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def test_callbacks_that_cannot_be_cloned_are_named(X):
    estimator = AutoencoderTransformer(2, callbacks=[Counter()], **TINY)
    with pytest.raises(TypeError, match=r"callbacks: .*Counter.* cannot be cloned"):
        estimator.fit(X)
    assert not hasattr(estimator, "net_")


def test_callbacks_take_skorch_name_callback_pairs(X):
    timer = EpochTimer()
    estimator = AutoencoderTransformer(2, callbacks=[("timer", timer)], **TINY)
    estimator.fit(X)
    used = dict(estimator.net_.callbacks_)["timer"]
    assert isinstance(used, EpochTimer) and used is not timer  # a clone


class Tiny(nn.Module):
    def __init__(self, n_features, n_components, code_width=None, dtype=None):
        super().__init__()
        self.encoder = nn.Linear(n_features, code_width or n_components, dtype=dtype)
        self.decoder = nn.Linear(n_components, n_features, dtype=dtype)
        self.n_components = n_components

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        code = self.encode(x)[:, : self.n_components]
        return self.decode(code), code


class NoParameters(Tiny):
    def __init__(self, n_features, n_components):
        nn.Module.__init__(self)
        self.encoder = self.decoder = nn.Identity()
        self.n_components = n_components


class Frozen(Tiny):
    def __init__(self, n_features, n_components):
        super().__init__(n_features, n_components)
        self.requires_grad_(False)


class CastsToFloat32(Tiny):
    """float32 parameters, and a cast that the float64 copy cannot run."""

    def encode(self, x):
        return self.encoder(x.float())


def not_a_module(n_features, n_components):
    return "a network"


@pytest.mark.parametrize(
    ("module", "params", "error", "match"),
    [
        (not_a_module, None, TypeError, r"must build a torch.nn.Module, got str"),
        (NoParameters, None, ValueError, r"has no trainable parameters"),
        (Frozen, None, ValueError, r"has no trainable parameters"),
        (Tiny, {"code_width": 5}, ValueError, r"encode\(x\) must return codes"),
        (Tiny, {"dtype": torch.float64}, TypeError, r"dtype \['torch.float64'\]"),
        (Tiny(6, 2), None, TypeError, r"got an instance of Tiny: the estimator"),
    ],
    ids=[
        "not-a-module",
        "no-parameters",
        "frozen",
        "encode-too-wide",
        "float64",
        "an-instance",
    ],
)
def test_modules_that_break_the_contract_are_named(X, module, params, error, match):
    estimator = AutoencoderTransformer(2, module=module, module_params=params, **TINY)
    refused(estimator, X, error, match)


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_a_module_whose_float64_copy_fails_is_refused_before_training(X, estimator):
    refused(
        estimator(2, module=CastsToFloat32, **TINY),
        X,
        TypeError,
        r"fails in float64 .*scores are computed by a float64 copy",
    )


def test_an_imputer_takes_a_module_that_runs_in_float32_alone(X):
    imputer = AutoencoderImputer(module=CastsToFloat32, **TINY).fit(X)
    assert imputer.transform(X).shape == X.shape


VALIDATION_WATCHERS = [
    EarlyStopping(patience=1),
    LRScheduler("ReduceLROnPlateau", monitor="valid_loss"),
]


@pytest.mark.parametrize("callback", VALIDATION_WATCHERS)
@pytest.mark.parametrize(
    "training", ["first partial_fit", "no early stopping", "partial_fit after fit"]
)
def test_callbacks_watching_validation_are_refused_where_no_rows_are_held_out(
    X, callback, training
):
    estimator = AutoencoderTransformer(2, callbacks=[callback], **TINY)
    match = rf"{type(callback).__name__} monitors 'valid_loss', but this"
    with pytest.raises(ValueError, match=match):
        if training == "first partial_fit":
            estimator.partial_fit(X)
        elif training == "no early stopping":
            estimator.set_params(early_stopping=False).fit(X)
        else:
            estimator.fit(X).partial_fit(X)


def test_callbacks_watching_the_training_loss_take_any_training(X):
    estimator = AutoencoderTransformer(
        2, callbacks=[EarlyStopping(monitor="train_loss")], **TINY
    )
    estimator.partial_fit(X).partial_fit(X)
    estimator.set_params(early_stopping=False).fit(X)


@pytest.mark.parametrize("key", ["n_features", "n_components"])
def test_module_params_that_set_the_widths_are_refused(X, key):
    estimator = AutoencoderTransformer(2, module=Tiny, module_params={key: 3}, **TINY)
    refused(estimator, X, ValueError, rf"module_params must not set {key}")


def test_a_module_that_fails_to_build_keeps_its_reason(X):
    estimator = AutoencoderTransformer(
        2, module=Tiny, module_params={"bogus": 1}, **TINY
    )
    refused(
        estimator,
        X,
        TypeError,
        r"failed to build .*unexpected keyword argument 'bogus'",
    )


class FailsToInitialize(EpochTimer):
    def initialize(self):
        raise RuntimeError("this callback cannot start")


def test_a_failing_callback_is_not_blamed_on_the_module(X):
    estimator = AutoencoderTransformer(
        2, module=Tiny, callbacks=[FailsToInitialize()], **TINY
    )
    with pytest.raises(RuntimeError, match="this callback cannot start"):
        estimator.fit(X)


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (AutoencoderTransformer, {"n_components": True}),
        (AutoencoderOutlierDetector, {"n_components": True}),
        (AutoencoderTransformer, {"n_jobs": True}),
        (AutoencoderTransformer, {"batch_size": True}),
        (AutoencoderTransformer, {"max_iter": True}),
        (AutoencoderImputer, {"n_iter_no_change": True}),
        (AutoencoderOutlierDetector, {"n_neighbors": True}),
        (AutoencoderEmbedding, {"n_components": True}),
        (AutoencoderEmbedding, {"n_jobs": True}),
        (AutoencoderImputer, {"random_state": True}),
        (AutoencoderEmbedding, {"random_state": True}),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_a_bool_is_refused_where_an_int_is_asked(X, estimator, params):
    (name,) = params
    with pytest.raises(ValueError, match=rf"'{name}' parameter .* Got True"):
        estimator(**params).fit(X)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_layer_sizes": ((8, 4),)}, r"hidden_layer_sizes must be a tuple"),
        ({"hidden_layer_sizes": (8, True)}, r"hidden_layer_sizes must be a tuple"),
        ({"image_shape": (True, 6)}, r"image_shape must be \(height, width\)"),
    ],
    ids=str,
)
def test_nested_or_bool_sizes_are_refused(X, params, match):
    refused(AutoencoderTransformer(2, **{**TINY, **params}), X, ValueError, match)


@pytest.mark.parametrize("factor", [np.inf, 1e40], ids=["inf", "beyond-float32"])
def test_noise_that_returns_inf_is_named(X, factor):
    def explode(batch, rng):
        return batch * factor

    refused(
        AutoencoderTransformer(2, noise=explode, **TINY),
        X,
        ValueError,
        r"noise=.* returned inf, or values beyond float32's range",
    )


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer(2, **TINY), AutoencoderOutlierDetector(**TINY)]
)
def test_nan_is_refused_even_when_scikit_learn_assumes_finite(X, estimator):
    X = X.copy()
    X[3, 2] = np.nan
    with sklearn.config_context(assume_finite=True):
        refused(estimator, X, ValueError, r"Input X contains NaN")


def test_imputer_takes_pandas_na_as_missing_values():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60, 4))
    frame = pd.DataFrame(values).astype("Float64")
    frame.iloc[::7, 1] = pd.NA
    filled = AutoencoderImputer(missing_values=pd.NA, **TINY).fit_transform(frame)
    assert not np.isnan(filled).any()
    observed = ~frame.isna().to_numpy()
    assert np.array_equal(filled[observed], values[observed])


def test_a_huge_column_with_an_offset_trains(X):
    # Near float32's limit but within it: scaled in float64, it trains.
    X = X.copy()
    X[:, 0] = 3.3e38 * np.sign(X[:, 0]) + 1e37
    ae = AutoencoderTransformer(2, **TINY).fit(X)
    assert np.isfinite(ae.score_samples(X)).all()


@pytest.mark.parametrize(
    "estimator",
    [AutoencoderOutlierDetector(**TINY), AutoencoderImputer(**TINY)],
    ids=["detector", "imputer"],
)
def test_a_failed_refit_leaves_nothing_of_the_earlier_fit(X, estimator):
    estimator.fit(X)
    estimator.set_params(callbacks=[FailWhenTrainingStarts()])
    with pytest.raises(RuntimeError, match="training started"):
        estimator.fit(X)
    assert set(vars(estimator)) == set(vars(clone(estimator)))


@pytest.mark.parametrize(
    ("estimator", "bad_value"),
    [
        (AutoencoderTransformer(2, **TINY), np.inf),
        (AutoencoderOutlierDetector(2, **TINY), np.nan),
        (AutoencoderTransformer(0.5, **TINY), 0.0),
    ],
    ids=["transformer-inf", "detector-nan", "searched-width"],
)
def test_a_first_partial_fit_refused_leaves_the_estimator_unfitted(
    X, estimator, bad_value
):
    bad = X.copy()
    bad[0, 0] = bad_value
    with pytest.raises(ValueError):
        estimator.partial_fit(bad)
    assert not [name for name in vars(estimator) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        estimator.transform(X)


@pytest.mark.parametrize(
    "estimator",
    [AutoencoderTransformer(2, **TINY), AutoencoderOutlierDetector(2, **TINY)],
    ids=["transformer", "detector"],
)
def test_a_first_partial_fit_of_one_row_is_refused(X, estimator):
    # One row has no scale and no principal direction: every code would
    # stay 0, and later calls keep that scaling.
    with pytest.raises(ValueError, match="first partial_fit call got n_samples=1"):
        estimator.partial_fit(X[:1])
    assert not [name for name in vars(estimator) if name.endswith("_")]
    estimator.partial_fit(X[:2])


def test_a_later_partial_fit_refused_for_its_input_keeps_the_fit(X):
    estimator = AutoencoderTransformer(2, **TINY).partial_fit(X)
    codes = estimator.transform(X)
    with pytest.raises(ValueError):
        estimator.partial_fit(np.full_like(X, np.inf))
    np.testing.assert_array_equal(estimator.transform(X), codes)


@pytest.mark.parametrize(
    "estimator",
    [AutoencoderTransformer(2, **TINY), AutoencoderEmbedding(max_iter=20)],
    ids=["transformer", "embedding"],
)
def test_a_fit_refused_for_its_input_leaves_the_estimator_unfitted(X, estimator):
    # Also a refit: the old model goes with the failed fit.
    bad = X.copy()
    bad[0, 0] = np.nan
    for _ in range(2):
        with pytest.raises(ValueError):
            estimator.fit(bad)
        assert not [name for name in vars(estimator) if name.endswith("_")]
        assert not hasattr(estimator, "_encoder_float64")
        with pytest.raises(NotFittedError):
            estimator.transform(X)
        estimator.fit(X)
