"""The promises AutoencoderImputer makes, one test each."""

import pickle

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sk_autoencoder import AutoencoderImputer
from sk_autoencoder._training import ReconstructionLoss

FAST = {"hidden_layer_sizes": (16,), "max_iter": 30, "random_state": 0}


@pytest.fixture(scope="module")
def low_rank():
    """Rows of rank 2 in 8-D, and a copy with 15 % of entries missing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 8))
    X_missing = np.where(rng.random(X.shape) < 0.15, np.nan, X)
    return X, X_missing


@pytest.fixture(scope="module")
def imputer(low_rank):
    return AutoencoderImputer(**FAST).fit(low_rank[1])


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


def test_missing_values_placeholder(low_rank):
    X_missing = low_rank[1]
    X_placeholder = np.where(np.isnan(X_missing), -999.0, X_missing)
    nan_fill = AutoencoderImputer(**FAST).fit_transform(X_missing)
    placeholder = AutoencoderImputer(missing_values=-999.0, **FAST)
    assert_array_equal(placeholder.fit_transform(X_placeholder), nan_fill)


def test_nan_is_refused_when_it_is_not_the_placeholder(low_rank):
    imputer = AutoencoderImputer(missing_values=-1, **FAST)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        imputer.fit(low_rank[1])


def test_add_indicator_appends_the_missing_indicator(low_rank):
    X_missing = low_rank[1]
    imputer = AutoencoderImputer(add_indicator=True, **FAST).fit(X_missing)
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
    pipe = make_pipeline(AutoencoderImputer(**FAST), LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.8


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(low_rank, dtype):
    X_missing = low_rank[1].astype(dtype)
    assert AutoencoderImputer(**FAST).fit_transform(X_missing).dtype == dtype


def test_fit_without_missing_values_then_impute(low_rank):
    X, X_missing = low_rank
    imputer = AutoencoderImputer(**FAST).fit(X)
    assert np.isfinite(imputer.transform(X_missing)).all()


def test_a_feature_never_observed_is_filled(low_rank):
    X_missing = low_rank[1].copy()
    X_missing[:, 3] = np.nan
    filled = AutoencoderImputer(**FAST).fit_transform(X_missing)
    assert np.isfinite(filled).all()


def test_masking_is_the_default_training_noise(imputer):
    assert imputer.net_.iterator_train__noise == "mask"
    assert imputer.net_.criterion_.missing


@pytest.mark.parametrize(
    ("noise", "hidden_targets"),
    [("mask", True), (lambda X, rng: X, True), ("gaussian", False), (None, False)],
    ids=["mask", "callable", "gaussian", "none"],
)
def test_training_counts_the_entries_the_noise_hides(low_rank, noise, hidden_targets):
    imputer = AutoencoderImputer(noise=noise, **{**FAST, "max_iter": 1})
    imputer.fit(low_rank[1])
    assert imputer.net_.iterator_train__hidden_targets is hidden_targets
    assert imputer.net_.iterator_valid__hidden_targets is hidden_targets


def test_reconstruction_r2_measures_the_entries_the_imputer_fills(low_rank):
    # Rank-2 rows: a hidden entry follows from the others, so filling it is
    # nearly exact, while the output for visible entries is never trained.
    imputer = AutoencoderImputer(**{**FAST, "max_iter": 60}).fit(low_rank[1])
    assert imputer.reconstruction_r2_ > 0.8


def test_inference_follows_the_fitted_network_not_later_params(imputer, low_rank):
    fitted = pickle.loads(pickle.dumps(imputer))
    expected = fitted.transform(low_rank[1])
    fitted.set_params(module=torch.nn.Identity)
    assert_array_equal(fitted.transform(low_rank[1]), expected)
