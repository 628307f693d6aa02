"""scikit-learn's estimator checks on every public estimator."""

import pytest
from _params import CHECKS
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_global_set_output_transform_polars,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from sk_autoencoder import (
    AutoencoderEmbedding,
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)

ESTIMATORS = [
    AutoencoderTransformer(**CHECKS),
    AutoencoderOutlierDetector(**CHECKS),
    AutoencoderImputer(**CHECKS),
    AutoencoderImputer(add_indicator=True, **CHECKS),
    AutoencoderEmbedding(hidden_layer_sizes=(8,), max_iter=3),
    # And as a user gets them.
    AutoencoderTransformer(),
    AutoencoderOutlierDetector(),
    AutoencoderImputer(),
    AutoencoderEmbedding(),
]

# Expected failures, each with its reason; empty means every check passes.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(
        type(est).__name__, {}
    ),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: type(est).__name__)
@pytest.mark.parametrize(
    "check",
    [check_param_validation, check_dataframe_column_names_consistency],
)
def test_checks_not_yielded(estimator, check):
    check(type(estimator).__name__, estimator)


TRANSFORMERS = [est for est in ESTIMATORS if hasattr(est, "transform")]


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=lambda est: type(est).__name__)
@pytest.mark.parametrize(
    "check",
    [
        check_get_feature_names_out_error,
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
        check_set_output_transform_polars,
        check_global_set_output_transform_polars,
    ],
)
def test_transformer_output_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator", ESTIMATORS[:5], ids=lambda est: type(est).__name__
)
def test_tags_say_float32_is_preserved(estimator):
    # scikit-learn's check_transformer_preserve_dtypes reads the tag to
    # test float32 output; TransformerMixin resets it unless set after.
    tags = estimator.__sklearn_tags__()
    assert tags.transformer_tags.preserves_dtype == ["float64", "float32"]
