"""Property tests: fit once per module, vary the inputs given to inference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_iris

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)
from sk_autoencoder._data import MIN_DISTINCT_VALID, row_keys, split_rows
from sk_autoencoder._imputer import (
    feature_blend_weights,
    shrink_factors,
    shrink_toward_even_blend,
)

N_FEATURES = 5
# Sums or entries per row (axis 0) and feature (axis 1).
ROWS_BY_FEATURES = arrays(
    np.float64,
    st.tuples(st.integers(1, 20), st.integers(1, 6)),
    elements=st.floats(-10, 10),
)
PARAMS = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}


@pytest.fixture(scope="module")
def transformer():
    X = np.random.default_rng(0).normal(size=(200, N_FEATURES))
    return AutoencoderTransformer(2, **PARAMS).fit(X)


@pytest.fixture(scope="module")
def detector():
    X = np.random.default_rng(0).normal(size=(200, N_FEATURES))
    return AutoencoderOutlierDetector(**PARAMS).fit(X)


@pytest.fixture(scope="module")
def imputer():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, N_FEATURES))
    X = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    return AutoencoderImputer(**PARAMS).fit(X), X


def rows(dtype=np.float64):
    return arrays(
        dtype,
        st.tuples(st.integers(1, 30), st.just(N_FEATURES)),
        elements=st.floats(-1e3, 1e3, width=np.dtype(dtype).itemsize * 8),
    )


@settings(max_examples=40, deadline=None)
@given(X=st.one_of(rows(np.float64), rows(np.float32)))
def test_transform_shapes_dtypes_and_finiteness(transformer, X):
    Z = transformer.transform(X)
    assert Z.shape == (len(X), 2) and Z.dtype == X.dtype
    X_rebuilt = transformer.inverse_transform(Z)
    assert X_rebuilt.shape == X.shape and X_rebuilt.dtype == X.dtype
    assert np.isfinite(Z).all() and np.isfinite(X_rebuilt).all()
    scores = transformer.score_samples(X)
    assert scores.shape == (len(X),) and scores.dtype == np.float64
    assert np.all(scores <= 0)


@settings(max_examples=40, deadline=None)
@given(X=rows())
def test_detector_outputs_are_consistent(detector, X):
    scores = detector.score_samples(X)
    assert np.isfinite(scores).all()
    assert_allclose(detector.decision_function(X), scores - detector.offset_)
    labels = detector.predict(X)
    assert set(np.unique(labels)) <= {-1, 1}
    # The outlyingness is the reconstruction error or, when larger, the
    # neighbour distance in error units.
    errors = np.sqrt(detector.reconstruction_errors(X).mean(axis=1))
    assert np.all(-scores >= errors * (1 - 1e-6))


@settings(max_examples=25, deadline=None)
@given(X=rows(), seed=st.integers(0, 2**16))
def test_row_order_does_not_change_row_results(transformer, X, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    # Where a row lands in the matrix kernel's tiling may change the order
    # in which its dot products accumulate: float32's rounding at the scale
    # of the row's own entries, no more.
    scale = np.maximum(1.0, np.abs(X[order]).max(axis=1, keepdims=True))
    Z = transformer.transform(X[order])
    expected = transformer.transform(X)[order]
    tolerance = 8 * np.finfo(np.float32).eps * scale + 1e-5 * np.abs(expected)
    assert np.all(np.abs(Z - expected) <= tolerance)
    assert_allclose(
        transformer.score_samples(X[order]),
        transformer.score_samples(X)[order],
        rtol=1e-5,
        atol=1e-8,
    )


@settings(max_examples=40, deadline=None)
@given(
    X=rows(),
    missing=arrays(bool, st.tuples(st.just(30), st.just(N_FEATURES))),
)
def test_imputer_fills_every_hole_within_its_bounds(imputer, X, missing):
    imputer, X_train = imputer
    X_missing = np.where(missing[: len(X)], np.nan, X)
    X_filled = imputer.transform(X_missing)
    observed = ~np.isnan(X_missing)
    assert_allclose(X_filled[observed], X_missing[observed], rtol=0, atol=0)
    # The observed range, or beyond it as far as the Gaussian filled in the
    # training rows: set in fit, whatever the rows to fill.
    low, high = imputer._limits_
    assert np.all(low <= np.nanmin(X_train, axis=0))
    assert np.all(high >= np.nanmax(X_train, axis=0))
    assert np.all((X_filled >= low) | observed)
    assert np.all((X_filled <= high) | observed)


@settings(max_examples=50, deadline=None)
@given(
    n_rows=st.integers(2, 60),
    times=st.integers(2, 5),
    fraction=st.floats(0.05, 0.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_copies_of_a_row_are_held_out_together(n_rows, times, fraction, seed):
    # A table of distinct rows held several times over, NaN entries
    # included (not in the first column: rows all NaN would be copies of
    # each other), in any order.
    rng = np.random.default_rng(seed)
    table = np.where(
        rng.random((n_rows, 3)) < 0.2, np.nan, rng.normal(size=(n_rows, 3))
    )
    table[:, 0] = rng.normal(size=n_rows)
    X = rng.permutation(np.tile(table, (times, 1)))
    n_valid = max(1, round(fraction * len(X)))
    order, held_out = split_rows(X, n_valid, np.random.default_rng(seed))
    assert sorted(order) == list(range(len(X)))
    keys = row_keys(X)[order]
    if times <= n_valid <= n_rows and n_rows * n_valid >= MIN_DISTINCT_VALID * len(X):
        assert 0 < held_out < 2 * n_valid
        assert not set(keys[:held_out]) & set(keys[held_out:])
    else:
        # Rows held more often than n_valid times, or fewer distinct rows
        # than n_valid, are values of the data; too few distinct rows to
        # hold out cannot judge a network.
        assert held_out == n_valid


@pytest.mark.parametrize("seed", range(20))
def test_copies_straddling_the_split_leave_the_training_rows_it_asks_for(seed):
    # 30 distinct rows held twice, 29 to hold out and at most 29: where the
    # split falls between two copies, it moves to the copies' start, not
    # their end, which would hold out 30 rows.
    X = np.repeat(np.arange(30.0), 2)[:, None]
    order, held_out = split_rows(X, 29, np.random.default_rng(seed), max_valid=29)
    assert 0 < held_out <= 29
    keys = row_keys(X)[order]
    assert not set(keys[:held_out]) & set(keys[held_out:])


def test_a_few_distinct_rows_copied_are_split_as_a_permutation():
    # Three categories of 4, 3 and 2 levels one-hot encoded, all 24 rows
    # they can take about equally common, 210 rows: held out together, the
    # 21 validation rows would be two or three of them, none seen in
    # training.
    rng = np.random.default_rng(0)
    X = np.hstack([np.eye(k)[rng.integers(0, k, 210)] for k in (4, 3, 2)])
    assert len(np.unique(X, axis=0)) == 24
    order, n_valid = split_rows(X, 21, np.random.default_rng(1))
    assert n_valid == 21
    np.testing.assert_array_equal(order, np.random.default_rng(1).permutation(210))


@pytest.mark.parametrize("n_valid", [4, 150], ids=["groups above", "groups below"])
def test_the_few_rows_of_discrete_data_fall_on_both_sides(n_valid):
    # 4 distinct rows of 400, each held about 100 times: above n_valid, or
    # below it but fewer distinct rows than n_valid.
    X = (np.random.default_rng(0).normal(size=(400, 2)) > 0).astype(float)
    order, held_out = split_rows(X, n_valid, np.random.default_rng(1))
    assert held_out == n_valid
    np.testing.assert_array_equal(order, np.random.default_rng(1).permutation(400))


@pytest.mark.parametrize(
    "levels, n_features", [(2, 10), (3, 8)], ids=["binary", "graded"]
)
def test_rows_of_few_values_per_feature_are_split_as_a_permutation(levels, n_features):
    # 1,000 rows of features of a few levels each: most rows have
    # copies, each held fewer times than n_valid, in more distinct rows than
    # n_valid; but held as unevenly as their combinations of values are
    # common, and new rows repeat them as much.
    rng = np.random.default_rng(0)
    X = np.floor(levels * rng.random((1000, n_features)) ** 3)
    _, sizes = np.unique(X, axis=0, return_counts=True)
    assert 100 <= len(sizes) and ((sizes > 1) & (sizes <= 100)) @ sizes > 500
    order, n_valid = split_rows(X, 100, np.random.default_rng(1))
    assert n_valid == 100
    np.testing.assert_array_equal(order, np.random.default_rng(1).permutation(1000))


@pytest.mark.parametrize(
    "name, times, resampled",
    [("iris", 2, False), ("iris", 5, False), ("iris", 3, True), ("digits", 3, False)],
    ids=["iris twice", "iris five times", "iris drawn three times", "digits thrice"],
)
def test_a_table_of_coarse_measurements_copied_keeps_copies_together(
    name, times, resampled
):
    # Iris is measured to a millimetre and digits in 17 grey levels: no
    # feature takes as many values as there are rows, yet new rows rarely
    # repeat a row. Copied or drawn again, the table's copies are held out
    # together (a rule by the number of values per feature held out 22 of
    # iris twice's 26 validation rows with copies in training).
    X = {"iris": load_iris, "digits": load_digits}[name]().data
    rng = np.random.default_rng(0)
    if resampled:
        X = X[rng.integers(0, len(X), times * len(X))]
    else:
        X = np.tile(X, (times, 1))
    order, held_out = split_rows(X, round(0.1 * len(X)), np.random.default_rng(1))
    keys = row_keys(X)[order]
    assert held_out > 0
    assert not set(keys[:held_out]) & set(keys[held_out:])


@pytest.mark.parametrize("n_pairs", [0, 10], ids=["none", "under half"])
def test_rows_mostly_without_copies_are_split_as_a_permutation(n_pairs):
    # Twins among under half of the rows, as discrete data has.
    X = np.random.default_rng(0).normal(size=(50, 3))
    X[1 : 2 * n_pairs : 2] = X[0 : 2 * n_pairs : 2]
    order, n_valid = split_rows(X, 5, np.random.default_rng(1))
    assert n_valid == 5
    np.testing.assert_array_equal(order, np.random.default_rng(1).permutation(50))


@pytest.mark.parametrize("kind", ["binary", "one-hot", "small integers", "halves"])
def test_row_keys_tell_apart_rows_of_few_distinct_values(kind):
    # The bits of 0, 1, 2, 0.5 end in 52 zeros; summed unmixed, rows of 0s
    # and 1s fell into 4,096 keys, and different rows were taken for copies.
    rng = np.random.default_rng(0)
    X = {
        "binary": (rng.random((3000, 40)) < 0.3).astype(float),
        "one-hot": np.eye(200)[rng.integers(0, 200, 3000)],
        "small integers": rng.integers(0, 4, (3000, 12)).astype(float),
        "halves": rng.integers(-8, 8, (3000, 6)) / 2.0,
    }[kind]
    assert len(np.unique(row_keys(X))) == len(np.unique(X, axis=0))


def test_row_keys_tell_rows_apart_and_ignore_batches():
    X = np.random.default_rng(0).normal(size=(1000, 4))
    X[1] = X[0]
    X[2, 0] = -0.0
    X[3] = X[2] + 0.0
    keys = row_keys(X, batch_size=7)
    np.testing.assert_array_equal(keys, row_keys(X))
    assert keys[0] == keys[1] and keys[2] == keys[3]
    assert len(np.unique(keys)) == len(X) - 2


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 30), elements=st.floats(-10, 10)),
    st.data(),
)
def test_the_blend_weight_lies_between_an_even_blend_and_least_squares(agreement, data):
    spread = data.draw(arrays(np.float64, agreement.shape, elements=st.floats(0, 10)))
    weight = shrink_toward_even_blend(agreement, spread)
    assert 0.0 <= weight <= 1.0
    if spread.sum() > 0 and (spread > 0).sum() >= 2:
        least_squares = float(np.clip(agreement.sum() / spread.sum(), 0, 1))
        slack = 1e-12  # rounding of 0.5 + (w - 0.5) * factor
        assert min(0.5, least_squares) - slack <= weight
        assert weight <= max(0.5, least_squares) + slack


@settings(max_examples=200, deadline=None)
@given(ROWS_BY_FEATURES, st.data())
def test_each_feature_weight_lies_in_the_unit_interval(agreement, data):
    spread = data.draw(arrays(np.float64, agreement.shape, elements=st.floats(0, 10)))
    weights = feature_blend_weights(agreement, spread)
    assert weights.shape == (agreement.shape[1],)
    assert np.all((weights >= 0.0) & (weights <= 1.0))


def test_a_spread_too_small_to_divide_by_gives_an_even_blend():
    # Found by hypothesis: the least-squares weight of 2 / 1e-323 is inf.
    weights = feature_blend_weights(np.ones((2, 3)), np.full((2, 3), 5e-324))
    assert_allclose(weights, 0.5)


@settings(max_examples=200, deadline=None)
@given(ROWS_BY_FEATURES, st.data())
def test_shrunk_fills_do_as_well_as_each_mean_and_as_all_the_fills(fill, data):
    # Hidden entries (axis 0) of each feature (axis 1) in scaled units:
    # the means are 0. Each feature judged on its own does as well as its
    # mean; all of them together as well as the fills.
    target = data.draw(arrays(np.float64, fill.shape, elements=st.floats(-10, 10)))
    judged = data.draw(arrays(np.bool_, fill.shape[1]))
    factor = shrink_factors((fill * target).sum(axis=0), (fill**2).sum(axis=0), judged)
    assert np.all((factor >= 0.0) & (factor <= 1.0))
    shrunk = ((factor * fill - target) ** 2).sum(axis=0)
    spread = (target**2).sum(axis=0)
    assert np.all(shrunk[judged] <= spread[judged] * (1 + 1e-9) + 1e-9)
    assert len(np.unique(factor[~judged])) <= 1  # that of all the features
    unshrunk = ((fill - target) ** 2).sum()
    assert shrunk.sum() <= unshrunk * (1 + 1e-9) + 1e-9
