"""Data the test modules share."""

import copy

import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="module")
def digits():
    """The first 300 digits: 64 pixel values (0 to 16) per row, and labels."""
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="session")
def hidden_tail():
    """Rows of rank 2 in 4-D whose last feature is hidden wherever it is
    above its 30th percentile: every hidden value lies beyond the observed
    ones, where a network that learned how the feature follows the others
    fills it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 4))
    X_missing = X.copy()
    X_missing[X[:, 3] > np.quantile(X[:, 3], 0.3), 3] = np.nan
    return X_missing


@pytest.fixture(scope="session")
def wide_few_rows():
    """An imputer trained long on 100 rows of rank 3 in 300-D (too wide for
    the Gaussian), a fifth of the entries missing at random; 100 new rows
    of the same kind with holes, and the same rows complete."""
    from sk_autoencoder import AutoencoderImputer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 300))
    X += 0.2 * rng.normal(size=X.shape)
    X_holes = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    imputer = AutoencoderImputer(
        hidden_layer_sizes=(128, 128), max_iter=200, random_state=0
    ).fit(X_holes[:100])
    return imputer, X[100:], X_holes[100:]


@pytest.fixture(scope="session")
def structureless_wide():
    """An imputer fitted on 200 rows of 250 independent features (too wide
    for the Gaussian), a fifth of the entries missing at random; those
    rows with holes, and complete."""
    from sk_autoencoder import AutoencoderImputer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 250))
    X_holes = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    imputer = AutoencoderImputer(
        hidden_layer_sizes=(64,), max_iter=50, random_state=0
    ).fit(X_holes)
    return imputer, X, X_holes


@pytest.fixture(params=["as-fitted", "graded"])
def shrunk_imputer(request, structureless_wide):
    """structureless_wide's imputer, whose fills its fit shrank toward the
    means (about all the way), or a copy whose features' factors run
    evenly from 0 to 1, so that most fills are neither the means nor the
    network's; and its rows with holes."""
    imputer, _, X_holes = structureless_wide
    assert np.all(imputer._fill_shrink_ < 1.0)
    if request.param == "graded":
        imputer = copy.deepcopy(imputer)
        imputer._fill_shrink_ = np.linspace(0.0, 1.0, imputer.n_features_in_)
    return imputer, X_holes
