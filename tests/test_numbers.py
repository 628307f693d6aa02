"""Real data's numbers: large offsets, tiny units, extreme rows, refits."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.decomposition import PCA

from sk_autoencoder import (
    AutoencoderEmbedding,
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)
from sk_autoencoder._data import (
    column_moments,
    fit_scaler,
    resistant_variances,
)

PARAMS = {"hidden_layer_sizes": (16,), "max_iter": 30, "random_state": 0}
# The imputer without its default bounds (the observed range), so that the
# tests see the network's own fills.
UNBOUNDED = {"min_value": None, "max_value": None}


@pytest.fixture(scope="module")
def low_rank():
    """Rank-2 rows in 8 features with noise 0.1, split 400 / 200."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 8))
    X += 0.1 * rng.normal(size=X.shape)
    return X[:400], X[400:]


def held_out_error(ae, X):
    return np.mean((ae.inverse_transform(ae.transform(X)) - X) ** 2)


@pytest.mark.parametrize("offset", [1e4, 1e8, 1e12])
def test_large_offsets_keep_their_detail(low_rank, offset):
    train, test = low_rank
    plain = AutoencoderTransformer(2, **PARAMS).fit(train)
    shifted = AutoencoderTransformer(2, **PARAMS).fit(train + offset)
    error = held_out_error(shifted, test + offset)
    assert error < 1.1 * held_out_error(plain, test)


@pytest.mark.parametrize("offset", [0.0, 1e4, -3e5, 1e7])
def test_float32_rows_are_scaled_as_exactly_as_in_float64(offset):
    # float32 rows are scaled in float32, the mean subtracted in two parts;
    # subtracting its float32 rounding alone would shift every row by up to
    # half a float32 step of the offset, 0.005 of the spread at 1e4.
    rng = np.random.default_rng(0)
    X = (offset + 0.1 * rng.normal(size=(500, 3))).astype(np.float32)
    scaler = fit_scaler(X, standardize=True)
    exact = (X.astype(np.float64) - scaler.mean) / scaler.scale
    scaled = scaler.transform(X).numpy()
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, exact, rtol=0, atol=8 * np.finfo(np.float32).eps)


def test_imputer_keeps_the_detail_of_features_with_a_large_offset(low_rank):
    train, _ = low_rank
    rng = np.random.default_rng(1)
    missing = rng.random(train.shape) < 0.1
    errors = []
    for offset in (0.0, 1e8):
        X = np.where(missing, np.nan, train + offset)
        filled = AutoencoderImputer(**PARAMS, **UNBOUNDED).fit_transform(X)
        errors.append(np.sqrt(np.mean((filled - offset - train)[missing] ** 2)))
    assert errors[1] < 1.1 * errors[0]


@pytest.mark.parametrize("unit", [1e-20, 1e20, 1e-200, 1e-300])
def test_features_in_tiny_or_huge_units_keep_their_scale(low_rank, unit):
    # Below about 1e-154 the squares of the deviations underflow to 0: the
    # features looked constant, and the model rebuilt every row as the mean.
    train, test = low_rank
    plain = AutoencoderTransformer(2, **PARAMS).fit(train)
    scaled = AutoencoderTransformer(2, **PARAMS).fit(train * unit)
    rebuilt = scaled.inverse_transform(scaled.transform(test * unit)) / unit
    assert np.mean((rebuilt - test) ** 2) < 1.1 * held_out_error(plain, test)
    np.testing.assert_allclose(scaled.scale_ / unit, plain.scale_)


@pytest.mark.parametrize(("constant", "unit"), [(1.0, 1e-200), (2.0**100, 1e-140)])
def test_a_constant_feature_leaves_tiny_units_their_scale(low_rank, constant, unit):
    # One scale for all features (standardize=False): taken in the unit of
    # the largest value, a constant column's, the tiny features' squares
    # underflowed as before.
    train, test = low_rank

    def beside_a_constant(X):
        return np.c_[np.full(len(X), constant), X * unit]

    plain = AutoencoderTransformer(2, **PARAMS).fit(train)
    model = AutoencoderTransformer(2, **PARAMS).fit(beside_a_constant(train))
    rebuilt = model.inverse_transform(model.transform(beside_a_constant(test)))
    error = np.mean((rebuilt[:, 1:] / unit - test) ** 2)
    assert error < 1.1 * held_out_error(plain, test)


@pytest.mark.parametrize("constant", [1.7e18, 1e22, 1e36])
def test_a_constant_feature_far_from_zero_leaves_the_others_their_detail(
    low_rank, constant
):
    # Its mean summed over the rows was rounded, millions of units off at
    # 1e22: scaled by 1, the network saw that offset in every row and
    # rebuilt the other features as their means (at 1e36, training
    # diverged). A constant timestamp in nanoseconds is about 1.7e18.
    train, test = low_rank

    def beside_a_constant(X):
        return np.c_[np.full(len(X), constant), X]

    assert (
        not fit_scaler(beside_a_constant(train), standardize=False)
        .transform_array(beside_a_constant(test))[:, 0]
        .any()
    )
    plain = AutoencoderTransformer(2, **PARAMS).fit(train)
    model = AutoencoderTransformer(2, **PARAMS).fit(beside_a_constant(train))
    rebuilt = model.inverse_transform(model.transform(beside_a_constant(test)))
    assert np.mean((rebuilt[:, 1:] - test) ** 2) < 1.1 * held_out_error(plain, test)


@pytest.mark.parametrize("n_samples", [300, 5000])
@pytest.mark.parametrize("value", [0.1, 1 / 3, 2.7, 1234.567, 1e6 + 0.1, 1e22])
def test_a_feature_constant_at_any_value_gets_the_typical_scale(n_samples, value):
    # A value binary cannot hold exactly, in every row, leaves a spread of
    # rounding errors that grows with the rows: taken for its scale, it
    # blew a new row that moved the feature a little up to about 1e14.
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(n_samples, 2)), np.full(n_samples, value)]
    typical = np.median(X[:, :2].std(axis=0))
    assert fit_scaler(X, standardize=True).scale[2] == pytest.approx(typical)
    # One scale shared by all features: theirs, the constant one adding 0.
    common = fit_scaler(X, standardize=False).scale
    assert_allclose(common, np.sqrt(X[:, :2].var(axis=0).sum() / 3))
    # Alone, it has no scale to take but 1.
    assert fit_scaler(X[:, 2:], standardize=False).scale[0] == 1.0


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("units", [1e-3, 1e3])
def test_constant_and_mostly_blank_features_are_scaled_in_the_datas_units(
    standardize, units
):
    # A constant feature, and one blank but for a few values (a digit's
    # edge pixel, whose rare strokes the gross-error rule leaves out),
    # were scaled by 1 in the data's units: the same rows in other units
    # were trained and scored otherwise (a new-user hunt).
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(1000, 3)), np.zeros(1000), np.zeros(1000)]
    X[:3, 3] = [16.0, 8.0, 4.0]
    plain = fit_scaler(X, standardize, resist_gross_errors=True).scale
    scaled = fit_scaler(X * units, standardize, resist_gross_errors=True).scale
    assert_allclose(scaled, units * plain, rtol=1e-12)
    assert plain[3] == plain[4]


def test_one_wrong_entry_in_a_constant_feature_does_not_set_its_scale():
    # Nor does it give the feature one of its own: new rows that move the
    # feature by 5 units of the data still lie far out.
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(500, 3)), np.zeros(500)]
    typo = X.copy()
    typo[0, 3] = 1000.0
    clean = fit_scaler(X, standardize=True, resist_gross_errors=True).scale
    assert_allclose(
        fit_scaler(typo, standardize=True, resist_gross_errors=True).scale, clean
    )


def test_a_constant_feature_that_moves_a_little_is_flagged_in_no_units():
    # Fitted on pixels in [0, 16000] with a pixel always blank, the
    # detector flagged every new digit with that pixel at 2 / 16 of the
    # range (a new-user hunt): the blank pixel's scale was 1.
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(500, 2)) @ rng.normal(size=(2, 6))
    X = np.c_[rows[:400], np.zeros(400)]
    new = np.c_[rows[400:], np.full(100, 0.1 * rows.std())]
    far = new.copy()
    far[:, -1] = 10 * rows.std()
    for units in (1.0, 1e3):
        detector = AutoencoderOutlierDetector(random_state=0).fit(X * units)
        assert np.mean(detector.predict(new * units) == -1) < 0.3
        assert np.mean(detector.predict(far * units) == -1) > 0.9


@pytest.mark.parametrize("standardize", [True, False])
def test_a_tiny_spread_next_to_a_large_offset_keeps_its_scale(standardize):
    # Real variation of many float64 steps, not rounding, on many rows.
    rng = np.random.default_rng(0)
    X = 1e8 + 1e-3 * rng.normal(size=(100_000, 1))
    assert fit_scaler(X, standardize).scale[0] == pytest.approx(1e-3, rel=0.01)


def test_a_constant_feature_that_moves_a_little_scores_a_little():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(300, 4)), np.full(300, 0.1)]
    detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    moved = X[:5].copy()
    moved[:, 4] = 0.2
    assert np.all(np.abs(detector.score_samples(moved)) < 10)


@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer,
        AutoencoderOutlierDetector,
        AutoencoderImputer,
        AutoencoderEmbedding,
    ],
)
def test_float32_features_too_fine_for_float32_are_refused(low_rank, estimator):
    # The network's arithmetic flushes float32 values below float32's
    # smallest normal number to 0: at a scale of 1e-35 that lost the
    # codes' detail without a word.
    train, _ = low_rank
    fine = train * 1e-35
    params = {"max_iter": 2, "random_state": 0}
    with pytest.raises(ValueError, match=r"X is float32, but feature\(s\) 0, 1"):
        estimator(**params).fit(fine.astype(np.float32))
    model = estimator(**params).fit(fine)
    rows = fine.astype(np.float32)
    if estimator is AutoencoderImputer:
        rows[0, 0] = np.nan  # something to fill
    with pytest.raises(ValueError, match="Pass X as float64"):
        model.transform(rows)


def test_the_float32_refusal_counts_the_features_it_does_not_list():
    X = np.random.default_rng(0).normal(size=(40, 7)) * 1e-35
    model = AutoencoderTransformer(2, max_iter=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"0, 1, 2, 3, 4, \.\.\. \(7 in all\)"):
        model.transform(X.astype(np.float32))


@pytest.mark.parametrize(
    "estimator",
    [AutoencoderTransformer, AutoencoderOutlierDetector, AutoencoderEmbedding],
)
def test_float32_codes_of_features_too_fine_for_float32_are_refused(
    low_rank, estimator
):
    # Decoded in float32, they would flush to 0 as the rows above would.
    train, test = low_rank
    model = estimator(2, max_iter=2, random_state=0).fit(train * 1e-35)
    codes = model.transform(test * 1e-35)
    with pytest.raises(ValueError, match=r"decode to feature\(s\) 0, 1"):
        model.inverse_transform(codes.astype(np.float32))
    assert model.inverse_transform(codes).dtype == np.float64


def test_callable_noise_may_return_another_float_dtype(low_rank):
    # float32 back for rows that only float64 holds in detail: the rows
    # are the input's, whatever noise returns.
    train, _ = low_rank
    model = AutoencoderTransformer(
        2, noise=lambda X, rng: X.astype(np.float32), max_iter=2, random_state=0
    )
    assert model.fit(train * 1e-35).n_iter_ == 2


def test_float32_features_at_the_finest_scale_map_as_in_float64(low_rank):
    train, test = low_rank
    unit = 1e-30
    model = AutoencoderTransformer(2, **PARAMS).fit(train * unit)
    codes = model.transform(test * unit)
    np.testing.assert_allclose(
        model.transform((test * unit).astype(np.float32)),
        codes,
        rtol=0,
        atol=1e-5 * np.abs(codes).max(),
    )


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer(2, **PARAMS), AutoencoderOutlierDetector()]
)
def test_float32_features_at_the_largest_scale_map_as_in_float64(estimator):
    # Their inverse scale is below float32's smallest normal number, which
    # the network's arithmetic flushes to 0: every row mapped to the mean.
    # Uniform rows: a spread that large leaves float32 room for the values.
    X = np.random.default_rng(0).uniform(-2e38, 2e38, size=(300, 4))
    train, test = X[:200], X[200:]
    model = estimator.set_params(random_state=0).fit(train)
    assert model.scale_.min() > 1 / np.finfo(np.float32).tiny
    codes = model.transform(test)
    np.testing.assert_allclose(
        model.transform(test.astype(np.float32)),
        codes,
        rtol=0,
        atol=1e-5 * np.abs(codes).max(),
    )
    # Trained on the float32 rows, it learns what it learns from float64.
    fitted_on_float32 = clone(model).fit(train.astype(np.float32))
    assert fitted_on_float32.reconstruction_r2_ == pytest.approx(
        model.reconstruction_r2_, abs=1e-4
    )


@pytest.mark.parametrize("unit", [1e-200, 1e-300])
def test_imputer_fills_features_in_tiny_units_as_in_plain_units(low_rank, unit):
    X = np.where(np.random.default_rng(3).random((400, 8)) < 0.1, np.nan, low_rank[0])
    plain = AutoencoderImputer(**PARAMS).fit_transform(X)
    tiny = AutoencoderImputer(**PARAMS).fit_transform(X * unit)
    np.testing.assert_allclose(tiny / unit, plain, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("standardize", [True, False])
def test_scaling_in_units_of_a_power_of_two_changes_no_bit(low_rank, standardize):
    # The units that keep tiny features' squares from underflowing are
    # powers of two: dividing by them is exact, so ordinary data is scaled
    # exactly as it was before.
    X = low_rank[0] * np.geomspace(1e-3, 1e3, 8) + 1e6
    mean = np.mean(X, axis=0)
    variances = np.mean((X - mean) ** 2, axis=0)
    scaler = fit_scaler(X, standardize)
    expected = np.sqrt(variances) if standardize else np.sqrt(variances.mean())
    np.testing.assert_array_equal(scaler.mean, mean)
    np.testing.assert_array_equal(scaler.scale, np.broadcast_to(expected, (8,)))


@pytest.mark.parametrize("estimator", [AutoencoderImputer, AutoencoderOutlierDetector])
def test_image_pixels_share_one_scale_by_default(estimator):
    # Pixels share one unit: a nearly blank pixel is not blown up to the
    # spread of the others, as a table's features are.
    X = np.random.default_rng(0).random((40, 16)) * np.geomspace(1e-3, 1, 16)
    quick = {"max_iter": 1, "random_state": 0}
    assert np.unique(estimator(image_shape=(4, 4), **quick).fit(X).scale_).size == 1
    assert np.unique(estimator(**quick).fit(X).scale_).size == 16
    asked = estimator(image_shape=(4, 4), standardize=True, **quick)
    assert np.unique(asked.fit(X).scale_).size == 16


@pytest.mark.parametrize(
    "estimator",
    [AutoencoderTransformer, AutoencoderOutlierDetector, AutoencoderEmbedding],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rows_or_columns_read_backwards_are_mapped_as_their_copies(
    low_rank, estimator, dtype
):
    # X[::-1] or a DataFrame's .iloc[::-1] is a view with a negative stride,
    # which torch takes for no tensor.
    X = low_rank[1].astype(dtype)
    model = estimator(max_iter=2, random_state=0).fit(low_rank[0].astype(dtype))
    backwards_columns = np.ascontiguousarray(X[:, ::-1])[:, ::-1]
    for view, copy in [
        (X[::-1], np.ascontiguousarray(X[::-1])),
        (backwards_columns, X),
    ]:
        np.testing.assert_array_equal(model.transform(view), model.transform(copy))
        np.testing.assert_array_equal(
            model.score_samples(view), model.score_samples(copy)
        )


def test_imputed_tiny_unit_feature_stays_in_its_range(low_rank):
    X = low_rank[0].copy()
    X[:, 0] *= 1e-20
    missing = np.random.default_rng(2).random(X.shape) < 0.1
    imputer = AutoencoderImputer(**PARAMS, **UNBOUNDED)
    filled = imputer.fit_transform(np.where(missing, np.nan, X))
    column = filled[missing[:, 0], 0]
    low, high = X[:, 0].min(), X[:, 0].max()
    spread = high - low
    assert np.all((column > low - spread) & (column < high + spread))


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_scores_are_finite_and_ordered_for_extreme_finite_rows(low_rank, estimator):
    train, test = low_rank
    model = estimator(**PARAMS).fit(train)
    extreme = test[:3].copy()
    extreme[0, 0], extreme[1, 0], extreme[2, 0] = 1e10, 1e20, 1e30
    scores = model.score_samples(np.vstack([test, extreme]))
    assert np.isfinite(scores).all()
    assert scores[-3] > scores[-2] > scores[-1]
    assert scores[-3] < scores[:-3].min()


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_a_row_that_overflows_float32_once_scaled_is_refused(low_rank, estimator):
    # Finite in float64, and within float32, but not once divided by a
    # feature's scale of about 1e-6: never NaN codes out.
    train, test = low_rank
    model = estimator(**PARAMS).fit(train * 1e-6)
    far = test[:3] * 1e-6
    far[1, 0] = 1e33
    with pytest.raises(ValueError, match="gives inf or NaN"):
        model.transform(far)


def test_a_float32_row_whose_difference_from_the_mean_overflows_maps_as_float64():
    # Near float32's largest value, on the other side of a mean near it:
    # the difference overflowed float32 and the row was refused, though
    # its scaled values are small.
    rng = np.random.default_rng(0)
    X = np.full((300, 2), 3e38) + rng.normal(scale=1e36, size=(300, 2))
    X[0] = -3e38
    model = AutoencoderTransformer(1, **PARAMS).fit(X)
    assert model.scale_.max() < 1 / np.finfo(np.float32).tiny
    codes = model.transform(X[:3])
    np.testing.assert_allclose(
        model.transform(X[:3].astype(np.float32)), codes, rtol=1e-5
    )
    # And trained on as float64 rows are.
    fitted_on_float32 = clone(model).fit(X.astype(np.float32))
    assert fitted_on_float32.reconstruction_r2_ == pytest.approx(
        model.reconstruction_r2_, abs=1e-4
    )


def test_a_refit_keeps_nothing_from_the_earlier_fit(low_rank):
    train, _ = low_rank
    ae = AutoencoderTransformer(0.9, **PARAMS).fit(train)
    assert hasattr(ae, "candidate_r2_") and hasattr(ae, "best_validation_score_")
    ae.set_params(n_components=2, early_stopping=False).fit(train)
    assert not hasattr(ae, "candidate_r2_")
    assert not hasattr(ae, "best_validation_score_")


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_partial_fit_refuses_a_changed_n_components(low_rank, estimator):
    train, _ = low_rank
    model = estimator(2, **PARAMS).partial_fit(train)
    model.set_params(n_components=4)
    with pytest.raises(ValueError, match=r"n_components=4 .* n_components_=2"):
        model.partial_fit(train)


@st.composite
def awkward_data(draw):
    """Low-rank rows in any dtype, memory order, offset, unit and shape."""
    n_samples, n_features = draw(st.integers(20, 80)), draw(st.integers(2, 6))
    dtype = draw(st.sampled_from(["<f8", ">f8", "<f4", "<f2", "<i8", "<i4", "?"]))
    if dtype in ("<f8", ">f8", "<f4"):
        offset = draw(st.sampled_from([0.0, -1e4, 1e8, 1e12]))
        unit = draw(st.sampled_from([1e-20, 1e-3, 1.0, 1e6, 1e20]))
    else:
        offset, unit = draw(st.sampled_from([0.0, 100.0])), 10.0
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(n_samples, 2)) @ rng.normal(size=(2, n_features))
    X += 0.1 * rng.normal(size=X.shape)
    if dtype == "?":
        X = X > 0
    else:
        X = (X * unit + offset).astype(dtype)
    return np.asfortranarray(X) if draw(st.booleans()) else X


def widened_range(X):
    X = np.asarray(X, dtype=np.float64)
    low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    return low - 3 * (high - low), high + 3 * (high - low)


def expected_dtype(X):
    return np.float32 if X.dtype == np.float32 else np.float64


@settings(max_examples=25, deadline=None)
@given(X=awkward_data())
# Found by hypothesis: 20 rows of float16, two of them far out.
@example(
    X=np.array(
        [
            [-3.137, -2.887, -3.678, 1.112, 7.863],
            [-6.37, -1.807, 6.34, -12.11, -12.25],
            [-10.63, -5.754, -3.895, -7.01, 3.287],
            [6.68, 4.11, -1.796, 6.875, 5.96],
            [-2.969, -2.684, -2.562, -0.946, 2.516],
            [1.069, -0.345, -4.27, 2.867, 4.4],
            [9.66, 5.168, -0.2754, 4.797, 0.1558],
            [7.168, 2.867, -2.686, 8.555, 6.277],
            [0.10944, -0.11896, 1.357, -2.371, -1.59],
            [7.1, 5.113, 1.898, 4.434, -1.19],
            [-1.015, 0.7085, 1.264, -1.044, -1.245],
            [-14.54, -9.36, -7.543, -4.496, 7.59],
            [30.78, 18.0, 11.33, 15.25, -14.13],
            [1.756, 0.3293, 2.732, -1.89, -2.924],
            [-0.8906, -2.906, -3.72, -0.11115, 4.273],
            [-28.06, -16.11, 4.69, -27.45, -12.5],
            [6.24, 3.838, -10.48, 15.98, 18.4],
            [-8.15, -4.504, -4.773, -2.166, 4.15],
            [3.643, 4.383, 8.664, -4.984, -13.67],
            [-2.373, -1.334, -0.2474, -0.6523, -0.3523],
        ],
        dtype=np.float16,
    ),
)
def test_transformer_on_awkward_data_matches_pca_and_keeps_its_promises(X):
    ae = AutoencoderTransformer(1, **{**PARAMS, "max_iter": 3}).fit(X)
    Z = ae.transform(X)
    X_rebuilt = ae.inverse_transform(Z)
    assert Z.dtype == X_rebuilt.dtype == expected_dtype(X)
    assert np.isfinite(Z).all() and np.isfinite(ae.score_samples(X)).all()
    low, high = widened_range(X)
    assert np.all((X_rebuilt >= low) & (X_rebuilt <= high))
    # Against PCA of the training rows, where the fit starts: the rows held
    # out for early stopping do not shape the start, and on 20 rows an
    # extreme one held out tilts it (the example above). skorch's
    # predefined_split returns the data it is given and the validation
    # rows.
    _, valid = ae.net_.train_split(None)
    training = np.setdiff1d(np.arange(len(X)), valid.indices)
    X64 = np.asarray(X, dtype=np.float64)
    pca = PCA(1).fit(X64[training])
    pca_error = np.mean((pca.inverse_transform(pca.transform(X64)) - X64) ** 2)
    error = np.mean((np.asarray(X_rebuilt, dtype=np.float64) - X64) ** 2)
    # float32's resolution of the spread, for rows PCA rebuilds exactly.
    floor = 1e-10 * np.var(X64, axis=0).sum()
    # float32 output rounds each entry by up to half a spacing, which a
    # large offset makes comparable to PCA's error; the root of the mean
    # squared error grows by at most the root of the rounding's.
    rounding = 0.0
    if X_rebuilt.dtype == np.float32:
        rounding = np.sqrt(np.mean((np.spacing(np.abs(X_rebuilt)) / 2.0) ** 2))
    assert np.sqrt(error) <= np.sqrt(1.25 * pca_error + floor) + rounding


@settings(max_examples=25, deadline=None)
@given(X=awkward_data())
def test_detector_on_awkward_data_gives_finite_ordered_scores(X):
    detector = AutoencoderOutlierDetector(**{**PARAMS, "max_iter": 3}).fit(X)
    scores = detector.score_samples(X)
    assert scores.dtype == np.float64 and np.isfinite(scores).all()
    assert set(np.unique(detector.predict(X))) <= {-1, 1}
    assert detector.transform(X).dtype == expected_dtype(X)


@settings(max_examples=25, deadline=None)
@given(X=awkward_data(), seed=st.integers(0, 2**16))
def test_imputer_on_awkward_data_fills_within_range(X, seed):
    X = np.asarray(X, dtype=np.float64 if X.dtype != np.float32 else np.float32)
    missing = np.random.default_rng(seed).random(X.shape) < 0.15
    missing[0] = False  # every feature keeps observed entries
    holes = np.where(missing, np.nan, X)
    imputer = AutoencoderImputer(**{**PARAMS, "max_iter": 3}, **UNBOUNDED)
    filled = imputer.fit_transform(holes)
    assert filled.dtype == X.dtype and np.isfinite(filled).all()
    assert np.array_equal(filled[~missing], X[~missing])
    low, high = widened_range(holes)
    assert np.all((filled >= low) & (filled <= high))


@pytest.mark.parametrize("missing", [False, True])
def test_column_variances_are_the_covariance_diagonal(missing):
    # fit_scaler takes the variances alone, the PCA start the covariance:
    # both must agree on every feature, NaN entries left out alike.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * [1.0, 10.0, 0.1, 3.0] + 5.0
    if missing:
        X[rng.random(X.shape) < 0.3] = np.nan
    rows = rng.permutation(300)[:200]
    mean, cov = column_moments(X, missing, rows=rows, batch_size=64)
    same_mean, variances = column_moments(
        X, missing, rows=rows, covariance=False, batch_size=64
    )
    np.testing.assert_array_equal(mean, same_mean)
    np.testing.assert_allclose(variances, np.diag(cov), rtol=1e-12)
    np.testing.assert_allclose(variances, np.nanvar(X[rows], axis=0), rtol=1e-12)


def test_resistant_variances_are_the_plain_ones_without_gross_errors():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=1000), rng.laplace(size=1000)])
    units = np.ones(2)
    assert_allclose(resistant_variances(X, units), X.var(axis=0), rtol=1e-12)


@pytest.mark.parametrize("offset, unit", [(0.0, 1.0), (1e8, 0.1), (0.0, 1e-200)])
@pytest.mark.parametrize("error", [1e3, -1e6, 1e12])
def test_a_gross_error_is_left_out_of_the_scale(offset, unit, error):
    rng = np.random.default_rng(0)
    clean = rng.normal(size=1000)
    wrong = clean.copy()
    wrong[0] = error
    X = (offset + unit * wrong)[:, None]
    resisted = fit_scaler(X, True, resist_gross_errors=True)
    assert_allclose(resisted.scale, unit * clean[1:].std(), rtol=1e-6)
    assert fit_scaler(X, True).scale[0] > 30 * unit


def test_gross_errors_on_both_sides_are_left_out_of_the_scale():
    rng = np.random.default_rng(0)
    clean = rng.normal(size=2000)
    wrong = clean.copy()
    wrong[:3] = [1e4, -1e5, 3e4]
    resisted = fit_scaler(wrong[:, None], True, resist_gross_errors=True)
    assert_allclose(resisted.scale, clean[3:].std(), rtol=1e-9)


def test_a_tail_of_many_values_is_no_gross_error():
    # Two in a hundred values far out: each has others near it.
    rng = np.random.default_rng(0)
    X = rng.normal(scale=1e-3, size=(1000, 1))
    X[:20] += 50.0
    resisted = fit_scaler(X, True, resist_gross_errors=True)
    assert_allclose(resisted.scale, fit_scaler(X, True).scale)
