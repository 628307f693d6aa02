"""n_components as a fraction: the code size searched from the data."""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

from sk_autoencoder import AutoencoderTransformer

PARAMS = {"hidden_layer_sizes": (32,), "max_iter": 20, "random_state": 0}


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:500]


@pytest.fixture(scope="module")
def searched(X):
    return AutoencoderTransformer(0.8, **PARAMS).fit(X)


def test_float_n_components_picks_the_smallest_size_reaching_the_target(searched):
    size, r2 = searched.n_components_, searched.candidate_r2_
    assert r2[size] >= 0.8
    assert size == 1 or r2[size - 1] < 0.8
    assert searched.reconstruction_r2_ == pytest.approx(r2[size])
    assert searched.transform(np.zeros((2, 64))).shape == (2, size)


def test_size_search_trains_only_a_few_candidates(searched, X):
    assert len(searched.candidate_r2_) <= math.ceil(math.log2(X.shape[1])) + 1


def test_size_search_is_deterministic(searched, X):
    again = AutoencoderTransformer(0.8, **PARAMS).fit(X)
    assert again.n_components_ == searched.n_components_
    assert again.candidate_r2_ == searched.candidate_r2_
    assert_array_equal(again.transform(X), searched.transform(X))


def test_higher_target_needs_a_wider_code(searched, X):
    wider = AutoencoderTransformer(0.95, **PARAMS).fit(X)
    assert wider.n_components_ > searched.n_components_


def test_integer_n_components_keeps_its_meaning_and_reports_r2(X):
    ae = AutoencoderTransformer(5, **PARAMS).fit(X)
    assert ae.n_components_ == 5
    assert not hasattr(ae, "candidate_r2_")
    assert 0.0 < ae.reconstruction_r2_ <= 1.0


def test_partial_fit_refuses_a_searched_size(X):
    with pytest.raises(ValueError, match="partial_fit needs an int n_components"):
        AutoencoderTransformer(0.8, **PARAMS).partial_fit(X)


@pytest.mark.parametrize("seed", range(3))
def test_a_target_out_of_reach_of_few_wide_rows_warns_at_their_span(seed):
    # 15 rows of 40 features of noise: 14 training rows beside one held-out
    # row span 13 directions, and no code rebuilds the held-out row to an
    # R^2 of 0.9. The search used to go on to all 40 features and end on a
    # code judged on its training rows, without a word.
    X = np.random.default_rng(seed).normal(size=(15, 40))
    message = r"No code reached .* R\^2 of n_components=0.9"
    with pytest.warns(UserWarning, match=message):
        ae = AutoencoderTransformer(0.9, **PARAMS).fit(X)
    assert ae.n_components_ == 13
    assert max(ae.candidate_r2_) == 13 and ae.reconstruction_r2_ < 0.9


def test_a_target_in_reach_gives_no_warning(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        AutoencoderTransformer(0.8, **PARAMS).fit(X)
