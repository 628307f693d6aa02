"""ONNX export: onnxruntime gives our outputs on held-out rows."""

import logging
import warnings

import numpy as np
import pytest
from _params import QUICK
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)

pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from sk_autoencoder.onnx import (  # noqa: E402
    inverse_transform_to_onnx,
    register_converters,
    to_onnx,
)

N_TRAIN, N_HELD_OUT, N_FEATURES = 300, 10_000, 20
DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def rows():
    """Training rows and 10,000 held-out rows of one low-rank distribution,
    with a label, and copies with a tenth of the entries missing."""
    rng = np.random.default_rng(0)
    n = N_TRAIN + N_HELD_OUT
    X = np.tanh(rng.normal(size=(n, 4)) @ rng.normal(size=(4, N_FEATURES)))
    X = 10.0 + 3.0 * X + 0.1 * rng.normal(size=X.shape)
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    X_missing = np.where(rng.random(X.shape) < 0.1, np.nan, X)
    split = slice(None, N_TRAIN), slice(N_TRAIN, None)
    return [(X[part], y[part], X_missing[part]) for part in split]


def run(onnx_model, X):
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_float32_close(actual, expected):
    """Equal within what float32 arithmetic leaves: a relative 1e-5 of the
    largest magnitude."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    tolerance = 1e-5 * max(1.0, float(np.nanmax(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=tolerance)


def held_out_batches(X, dtype):
    """One held-out row, then all 10,000."""
    X = X.astype(dtype)
    return [X[:1], X]


def assert_labels_match(labels, decision, expected_labels):
    """Labels equal wherever the decision is not within float32 rounding of
    the threshold."""
    clear = np.abs(decision) > 1e-5 * max(1.0, float(np.abs(decision).max()))
    np.testing.assert_array_equal(labels[clear], expected_labels[clear])
    assert clear.mean() > 0.99


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformer_onnx_matches_transform(rows, dtype):
    (X, _, _), (X_test, _, _) = rows
    ae = AutoencoderTransformer(4, **QUICK).fit(X)
    onnx_model = to_onnx(ae, X_test[:1].astype(dtype))
    for batch in held_out_batches(X_test, dtype):
        (codes,) = run(onnx_model, batch)
        assert_float32_close(codes, ae.transform(batch))


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_onnx_matches_transform_and_inverse_transform(rows, dtype):
    from sk_autoencoder import AutoencoderEmbedding

    (X, _, _), (X_test, _, _) = rows
    embedding = AutoencoderEmbedding(max_iter=200, random_state=0).fit(X)
    batch = X_test.astype(dtype)
    (codes,) = run(to_onnx(embedding, batch[:1]), batch)
    assert_float32_close(codes, embedding.transform(batch))
    (rebuilt,) = run(inverse_transform_to_onnx(embedding, dtype), codes)
    assert_float32_close(rebuilt, embedding.inverse_transform(codes))


@pytest.mark.parametrize("dtype", DTYPES)
def test_inverse_transform_onnx_matches_inverse_transform(rows, dtype):
    (X, _, _), (X_test, _, _) = rows
    ae = AutoencoderTransformer(4, **QUICK).fit(X)
    onnx_model = inverse_transform_to_onnx(ae, dtype)
    for batch in held_out_batches(X_test, dtype):
        codes = ae.transform(batch)
        (rebuilt,) = run(onnx_model, codes)
        assert_float32_close(rebuilt, ae.inverse_transform(codes))


@pytest.mark.parametrize("dtype", DTYPES)
def test_detector_onnx_matches_predict_and_decision_function(rows, dtype):
    (X, _, _), (X_test, _, _) = rows
    detector = AutoencoderOutlierDetector(**QUICK).fit(X)
    assert detector.neighbors_ is not None  # the neighbour term is exported
    onnx_model = to_onnx(detector, X_test[:1].astype(dtype))
    assert [output.name for output in onnx_model.graph.output] == ["label", "scores"]
    # The training rows too: each is found among the kept rows and left out.
    for batch in [*held_out_batches(X_test, dtype), X.astype(dtype)]:
        labels, scores = run(onnx_model, batch)
        assert labels.shape == scores.shape == (len(batch), 1)
        decision = detector.decision_function(batch)
        assert_float32_close(scores[:, 0], decision.astype(dtype))
        assert_labels_match(labels[:, 0], decision, detector.predict(batch))


@pytest.mark.parametrize("jitter", [0.0, 1e-3], ids=["exact", "jittered"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_detector_onnx_drops_copies_of_a_repeated_table(rows, dtype, jitter):
    (X, _, _), (X_test, _, _) = rows
    table = np.tile(X[:100], (3, 1))
    table += jitter * np.random.default_rng(0).normal(size=table.shape)
    detector = AutoencoderOutlierDetector(**QUICK).fit(table)
    assert detector._copies_ == 3
    onnx_model = to_onnx(detector, X_test[:1].astype(dtype))
    for batch in [X_test[:1000].astype(dtype), X[:100].astype(dtype)]:
        labels, scores = run(onnx_model, batch)
        decision = detector.decision_function(batch)
        assert_float32_close(scores[:, 0], decision.astype(dtype))
        assert_labels_match(labels[:, 0], decision, detector.predict(batch))


@pytest.mark.parametrize(
    "bounds",
    [{}, {"min_value": None, "max_value": None}],
    ids=["observed-range", "unbounded"],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_imputer_onnx_matches_transform(rows, dtype, bounds):
    (_, _, X_missing), (_, _, X_test) = rows
    imputer = AutoencoderImputer(add_indicator=True, **bounds, **QUICK)
    imputer.fit(X_missing)
    onnx_model = to_onnx(imputer, X_test[:1].astype(dtype))
    for batch in held_out_batches(X_test, dtype):
        (imputed,) = run(onnx_model, batch)
        expected = imputer.transform(batch)
        assert expected.shape[1] == 2 * N_FEATURES  # with the indicator
        assert_float32_close(imputed, expected)
        observed = ~np.isnan(batch)
        np.testing.assert_array_equal(
            imputed[:, :N_FEATURES][observed], batch[observed]
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_imputer_onnx_widens_observed_bounds_as_transform(hidden_tail, dtype):
    imputer = AutoencoderImputer(**QUICK).fit(hidden_tail)
    batch = hidden_tail.astype(dtype)
    (imputed,) = run(to_onnx(imputer, batch[:1]), batch)
    expected = imputer.transform(batch)
    # Fills beyond the observed range, where the Gaussian's conditional
    # means reach: the widened bounds are exercised.
    low, high = np.nanmin(batch[:, 3]), np.nanmax(batch[:, 3])
    assert np.any(expected[:, 3] > high + 0.01 * (high - low))
    assert_float32_close(imputed, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_imputer_onnx_fills_a_feature_never_missing_in_fit_as_transform(rows, dtype):
    (X, _, X_missing), (_, _, X_test) = rows
    X_fit = X_missing.copy()
    X_fit[:, 0] = X[:, 0]
    imputer = AutoencoderImputer(**QUICK).fit(X_fit)
    batch = X_test[:500].astype(dtype)
    assert np.isnan(batch[:, 0]).any()
    (imputed,) = run(to_onnx(imputer, batch[:1]), batch)
    assert_float32_close(imputed, imputer.transform(batch))


@pytest.mark.parametrize("dtype", DTYPES)
def test_imputer_onnx_averages_the_fills_of_masked_rows_as_transform(
    wide_few_rows, dtype
):
    imputer, _, X_holes = wide_few_rows
    assert imputer._fill_masks_ is not None
    batch = X_holes.astype(dtype)
    (imputed,) = run(to_onnx(imputer, batch[:1]), batch)
    assert_float32_close(imputed, imputer.transform(batch))


@pytest.mark.parametrize("dtype", DTYPES)
def test_imputer_onnx_shrinks_the_fills_toward_the_means_as_transform(
    shrunk_imputer, dtype
):
    imputer, X_holes = shrunk_imputer
    batch = X_holes[:100].astype(dtype)
    (imputed,) = run(to_onnx(imputer, batch[:1]), batch)
    assert_float32_close(imputed, imputer.transform(batch))


def test_imputer_onnx_takes_pandas_na_as_nan(rows):
    pd = pytest.importorskip("pandas")
    (_, _, X_missing), (_, _, X_test) = rows
    imputer = AutoencoderImputer(missing_values=pd.NA, **QUICK).fit(X_missing)
    batch = X_test[:500]
    (imputed,) = run(to_onnx(imputer, batch[:1]), batch)
    assert_float32_close(imputed, imputer.transform(batch))


@pytest.mark.parametrize("dtype", DTYPES)
def test_imputer_onnx_fills_entries_marked_by_a_number(rows, dtype):
    # A marker that float32 cannot hold exactly: every entry equal to it in
    # the input's dtype is missing, as NumPy compares them.
    (_, _, X_missing), (_, _, X_test) = rows
    marker = 0.1
    imputer = AutoencoderImputer(missing_values=marker, **QUICK)
    imputer.fit(np.nan_to_num(X_missing, nan=marker))
    batch = np.nan_to_num(X_test[:500], nan=marker).astype(dtype)
    (imputed,) = run(to_onnx(imputer, batch[:1]), batch)
    expected = imputer.transform(batch)
    assert not np.any(expected == batch.dtype.type(marker))
    assert_float32_close(imputed, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_with_transformer_and_classifier_converts(rows, dtype):
    (X, y, _), (X_test, _, _) = rows
    pipe = make_pipeline(
        StandardScaler(), AutoencoderTransformer(8, **QUICK), LogisticRegression()
    ).fit(X, y)
    register_converters()
    # skl2onnx's ZipMap takes no float64 probabilities: plain arrays out.
    onnx_model = skl2onnx.to_onnx(
        pipe,
        X_test[:1].astype(dtype),
        options={LogisticRegression: {"zipmap": False}},
    )
    for batch in held_out_batches(X_test, dtype):
        labels, probabilities = run(onnx_model, batch)
        # scikit-learn's probabilities are float64 whatever the input.
        expected = pipe.predict_proba(batch)
        assert_float32_close(probabilities, expected.astype(dtype))
        margin = np.abs(expected[:, 1] - 0.5)
        assert_labels_match(labels, margin, pipe.predict(batch))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_ending_in_detector_converts(rows, dtype):
    (X, _, _), (X_test, _, _) = rows
    pipe = make_pipeline(StandardScaler(), AutoencoderOutlierDetector(**QUICK)).fit(X)
    register_converters()
    onnx_model = skl2onnx.to_onnx(pipe, X_test[:1].astype(dtype))
    for batch in held_out_batches(X_test, dtype):
        labels, scores = run(onnx_model, batch)
        decision = pipe.decision_function(batch)
        assert_float32_close(scores[:, 0], decision.astype(dtype))
        assert_labels_match(labels[:, 0], decision, pipe.predict(batch))


# Images of 4 x 5: the decoder upsamples 2 x 3 to 4 x 5, a scale of 2
# on one side and not on the other.
IMAGE = {**QUICK, "image_shape": (4, 5)}


@pytest.mark.parametrize("dtype", DTYPES)
def test_image_models_export_their_decoder(rows, dtype):
    (X, _, X_missing), (X_test, _, X_test_missing) = rows
    batch = X_test[:500].astype(dtype)
    detector = AutoencoderOutlierDetector(**IMAGE).fit(X)
    labels, scores = run(to_onnx(detector, batch[:1]), batch)
    decision = detector.decision_function(batch)
    assert_float32_close(scores[:, 0], decision.astype(dtype))
    assert_labels_match(labels[:, 0], decision, detector.predict(batch))
    ae = AutoencoderTransformer(2, **IMAGE).fit(X)
    codes = ae.transform(batch)
    (rebuilt,) = run(inverse_transform_to_onnx(ae, dtype), codes)
    assert_float32_close(rebuilt, ae.inverse_transform(codes))
    pipe = make_pipeline(StandardScaler(), AutoencoderImputer(**IMAGE)).fit(X_missing)
    register_converters()
    holes = X_test_missing[:500].astype(dtype)
    (imputed,) = run(skl2onnx.to_onnx(pipe, holes[:1]), holes)
    assert_float32_close(imputed, pipe.transform(holes))


def test_export_logs_and_warns_nothing(rows, caplog):
    (X, _, _), _ = rows
    ae = AutoencoderTransformer(2, **QUICK).fit(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        to_onnx(ae, X[:1])
    assert [str(warning.message) for warning in caught] == []
    # What a user would see: records of WARNING and above.
    shown = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in shown] == []


def test_opset_before_18_is_refused(rows):
    (X, _, _), _ = rows
    ae = AutoencoderTransformer(2, **QUICK).fit(X)
    with pytest.raises(ValueError, match="target_opset=15 is too old"):
        to_onnx(ae, X[:1], target_opset=15)
    with pytest.raises(ValueError, match="target_opset=15 is too old"):
        inverse_transform_to_onnx(ae, target_opset=15)


def test_inverse_transform_onnx_needs_an_inverse(rows):
    (_, _, X_missing), _ = rows
    imputer = AutoencoderImputer(**QUICK).fit(X_missing)
    with pytest.raises(TypeError, match="no inverse_transform"):
        inverse_transform_to_onnx(imputer)


def test_an_unfitted_estimator_is_refused_as_not_fitted(rows):
    (X_train, *_), _ = rows
    with pytest.raises(NotFittedError):
        to_onnx(AutoencoderTransformer(), X_train[:1])


def test_a_one_dimensional_sample_is_refused(rows):
    (X_train, *_), _ = rows
    transformer = AutoencoderTransformer(**QUICK).fit(X_train)
    with pytest.raises(ValueError, match="X must be 2-D"):
        to_onnx(transformer, X_train[0])
