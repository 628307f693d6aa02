"""Data the test modules share."""

import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="module")
def digits():
    """The first 300 digits: 64 pixel values (0 to 16) per row, and labels."""
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]
