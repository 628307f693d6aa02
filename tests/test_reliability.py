"""Bad input, failing training, parallel use and large data."""

import json
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest
from _params import TINY
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, EarlyStopping

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)

N_FEATURES = 6


def make_X(n_samples=60, seed=0):
    return np.random.default_rng(seed).normal(size=(n_samples, N_FEATURES))


ESTIMATORS = {
    "transformer": lambda: AutoencoderTransformer(2, **TINY),
    "detector": lambda: AutoencoderOutlierDetector(**TINY),
}

# The bad-input matrix also covers the imputer, whose API differs.
MATRIX_ESTIMATORS = {
    **ESTIMATORS,
    "imputer": lambda: AutoencoderImputer(**TINY),
}

# Every method that takes X, per estimator; the fit methods come first.
FIT_METHODS = {
    "transformer": ["fit", "partial_fit", "fit_transform"],
    "detector": ["fit", "partial_fit", "fit_predict", "fit_transform"],
    "imputer": ["fit", "fit_transform"],
}
INFERENCE_METHODS = {
    "transformer": ["transform", "inverse_transform", "score_samples", "score"],
    "detector": [
        "transform",
        "inverse_transform",
        "score_samples",
        "decision_function",
        "predict",
        "reconstruction_errors",
    ],
    "imputer": ["transform"],
}
# Inputs that are not bad for an estimator: missing values, for the imputer.
ACCEPTED = {"imputer": {"nan", "object with None"}}

# The bad inputs, each with the error a user gets and the words it names.
BAD_INPUTS = {
    "nan": (
        lambda: np.where(np.eye(5, N_FEATURES) == 1, np.nan, 1.0),
        ValueError,
        "Input X contains NaN",
    ),
    "inf": (
        lambda: np.where(np.eye(5, N_FEATURES) == 1, np.inf, 1.0),
        ValueError,
        "Input X contains infinity",
    ),
    "beyond float32": (
        lambda: np.where(np.eye(5, N_FEATURES) == 1, -1e39, 1.0),
        ValueError,
        "beyond what float32 holds",
    ),
    "zero rows": (lambda: np.empty((0, N_FEATURES)), ValueError, r"0 sample\(s\)"),
    "zero columns": (lambda: np.empty((5, 0)), ValueError, r"0 feature\(s\)"),
    "1-D": (lambda: np.ones(N_FEATURES), ValueError, "Expected 2D array, got 1D array"),
    "3-D": (lambda: np.ones((3, N_FEATURES, 2)), ValueError, "Found array with dim 3"),
    "complex": (
        lambda: np.ones((5, N_FEATURES)) * 1j,
        ValueError,
        "Complex data not supported",
    ),
    "strings": (
        lambda: np.full((5, N_FEATURES), "a"),
        ValueError,
        "could not convert string to float",
    ),
    "object with None": (
        lambda: np.full((5, N_FEATURES), None, dtype=object),
        (TypeError, ValueError),
        "float|NaN",
    ),
    "sparse": (
        lambda: sparse.csr_matrix(np.ones((5, N_FEATURES))),
        TypeError,
        "Sparse data was passed",
    ),
}


def cases(methods):
    for est, names in methods.items():
        for method in names:
            for bad in BAD_INPUTS.keys() - ACCEPTED.get(est, set()):
                yield pytest.param(est, method, bad, id=f"{est}-{method}-{bad}")


@pytest.mark.parametrize(("est", "method", "bad"), list(cases(FIT_METHODS)))
def test_bad_input_to_fit_raises_before_training(est, method, bad):
    make_bad, error, match = BAD_INPUTS[bad]
    estimator = MATRIX_ESTIMATORS[est]()
    with pytest.raises(error, match=match):
        getattr(estimator, method)(make_bad())
    assert not hasattr(estimator, "net_")


@pytest.fixture(scope="module")
def fitted():
    X = make_X()
    return {name: make().fit(X) for name, make in MATRIX_ESTIMATORS.items()}


@pytest.mark.parametrize(("est", "method", "bad"), list(cases(INFERENCE_METHODS)))
def test_bad_input_to_inference_raises(fitted, est, method, bad):
    make_bad, error, match = BAD_INPUTS[bad]
    with pytest.raises(error, match=match):
        getattr(fitted[est], method)(make_bad())


@pytest.mark.parametrize("est", list(ESTIMATORS))
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_wrong_number_of_features_names_both_counts(fitted, est, method):
    with pytest.raises(ValueError, match=r"X has 4 features, but .* is expecting 6"):
        getattr(fitted[est], method)(np.ones((3, 4)))


def test_inverse_transform_rejects_codes_of_the_wrong_width(fitted):
    for estimator in (fitted[name] for name in ESTIMATORS):
        with pytest.raises(ValueError, match="n_components_="):
            estimator.inverse_transform(np.ones((3, 5)))


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_dataframe_column_names_must_match_fit(est):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(make_X(), columns=[f"f{i}" for i in range(N_FEATURES)])
    estimator = ESTIMATORS[est]().fit(X)
    renamed = X.rename(columns={"f0": "other"})
    with pytest.raises(ValueError, match="feature names should match"):
        estimator.transform(renamed)


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_pandas_dataframes_give_no_warnings(est):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(make_X(), columns=[f"f{i}" for i in range(N_FEATURES)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator = ESTIMATORS[est]().fit(X)
        estimator.transform(X)
        estimator.score_samples(X)


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_read_only_and_memmapped_inputs_work_without_warnings(est, tmp_path):
    X = make_X().astype(np.float32)
    path = tmp_path / "X.npy"
    np.save(path, X)
    memmapped = np.load(path, mmap_mode="r")
    read_only = X.copy()
    read_only.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data in (memmapped, read_only):
            estimator = ESTIMATORS[est]().fit(data)
            assert np.isfinite(estimator.score_samples(data)).all()


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_float32_rows_near_float32s_limits_both_ways_give_no_warnings(est):
    # Their float32 sum overflows to inf - inf: the finiteness check must
    # not warn about it.
    X = make_X(40).astype(np.float32)
    X[::2, 0], X[1::2, 1] = 2e38, -2e38
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator = ESTIMATORS[est]().fit(X)
        estimator.transform(X)
        estimator.score_samples(X)


def test_one_row_fits_and_scores():
    X = make_X(1)
    for make in ESTIMATORS.values():
        estimator = make().fit(X)
        assert np.isfinite(estimator.score_samples(X)).all()


def test_two_rows_train_on_both_and_keep_them_apart():
    # With one of them held out, the PCA start saw a single row: no
    # direction, and every code stayed 0.
    X = make_X(2)
    estimator = AutoencoderTransformer(n_components=1, random_state=0).fit(X)
    codes = estimator.transform(X)
    assert abs(codes[0, 0] - codes[1, 0]) > 0.1
    assert_allclose(estimator.inverse_transform(codes), X, atol=0.1)


@pytest.mark.parametrize("seed", range(6))
def test_training_rows_that_are_copies_of_one_still_give_the_codes_a_direction(seed):
    # With the other row held out, the PCA start of the training rows alone
    # had no direction, and every code stayed 0.
    X = np.repeat(make_X(2), [2, 1], axis=0)
    estimator = AutoencoderTransformer(n_components=1, random_state=seed).fit(X)
    assert np.ptp(estimator.transform(X)) > 0.1


@pytest.mark.parametrize(
    "X",
    [
        np.ones((40, N_FEATURES)),
        np.zeros((40, N_FEATURES)),
        np.c_[make_X(40)[:, :3], np.full((40, 3), 7.0)],
        make_X(40) * 1e12,
        make_X(5),
    ],
    ids=[
        "constant",
        "all zero",
        "some constant",
        "1e12 scale",
        "fewer rows than a batch",
    ],
)
def test_awkward_data_trains_and_scores_finitely(X):
    for make in ESTIMATORS.values():
        estimator = make().fit(X)
        assert np.isfinite(estimator.score_samples(X)).all()
        assert np.isfinite(estimator.transform(X)).all()


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_diverging_training_raises_and_leaves_no_fitted_model(est):
    estimator = ESTIMATORS[est]().set_params(learning_rate_init=1e8, max_iter=20)
    with pytest.raises(
        ValueError, match=r"Training diverged.*Lower learning_rate_init"
    ):
        estimator.fit(make_X(300))
    with pytest.raises(NotFittedError):
        estimator.transform(make_X(3))


def test_diverging_with_gaussian_noise_names_noise_level():
    estimator = AutoencoderTransformer(2, noise="gaussian", noise_level=1e30, **TINY)
    with pytest.raises(
        ValueError, match=r"Lower learning_rate_init .*, lower noise_level \(it is"
    ):
        estimator.fit(make_X(300))


def test_diverging_with_sparsity_names_sparsity():
    estimator = AutoencoderTransformer(2, sparsity=1e300, **TINY)
    with pytest.raises(ValueError, match=r", lower sparsity \(it is 1e\+300\),"):
        estimator.fit(make_X(300))


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_a_later_partial_fit_that_diverges_keeps_the_fit_as_it_was(est):
    X = make_X(300)
    estimator, twin = ESTIMATORS[est]().fit(X), ESTIMATORS[est]().fit(X)
    codes, scores = estimator.transform(X), estimator.score_samples(X)
    exploding = X.copy()
    exploding[:, 0] = 1e30
    with pytest.raises(ValueError, match=r"Training diverged"):
        estimator.partial_fit(exploding)
    np.testing.assert_array_equal(estimator.transform(X), codes)
    np.testing.assert_array_equal(estimator.score_samples(X), scores)
    # Training goes on as if the failed call had not been made.
    estimator.partial_fit(X)
    twin.partial_fit(X)
    assert estimator.n_iter_ == twin.n_iter_
    np.testing.assert_array_equal(estimator.transform(X), twin.transform(X))


def test_a_diverging_small_chunk_quotes_learning_rate_init():
    X = make_X(300)
    estimator = AutoencoderTransformer(2, learning_rate_init=0.25, **TINY).fit(X)
    exploding = X[:2].copy()
    exploding[:, 0] = 1e30
    # The chunk trains at a lower rate than learning_rate_init.
    with pytest.raises(ValueError, match=r"Lower learning_rate_init \(it is 0\.25\)"):
        estimator.partial_fit(exploding)


def test_diverging_candidate_gets_nan_score_in_grid_search():
    search = GridSearchCV(
        AutoencoderTransformer(2, **TINY),
        {"learning_rate_init": [1e-3, 1e8]},
        cv=2,
    )
    with pytest.warns(FitFailedWarning):
        search.fit(make_X(300))
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    assert search.best_params_ == {"learning_rate_init": 1e-3}


class InterruptAtEpoch(Callback):
    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_keeps_the_epochs_trained_so_far():
    # skorch ends training on KeyboardInterrupt and keeps the weights: the
    # estimator is then fitted on the epochs that ran (documented).
    X = make_X(200)
    estimator = AutoencoderTransformer(
        2, callbacks=[InterruptAtEpoch(2)], **{**TINY, "max_iter": 10}
    ).fit(X)
    assert estimator.n_iter_ == 2
    assert np.isfinite(estimator.score_samples(X)).all()


class InterruptAtBatch(Callback):
    def __init__(self, batch):
        self.batch = batch

    def initialize(self):
        self.batches_ = 0
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        self.batches_ += training
        if self.batches_ == self.batch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("est", list(MATRIX_ESTIMATORS))
@pytest.mark.parametrize(("batch", "epochs"), [(2, 0), (13, 1)])
def test_keyboard_interrupt_within_an_epoch_counts_the_whole_ones(est, batch, epochs):
    # 200 rows, 180 trained on, in batches of 16: 12 batches an epoch.
    X = make_X(200)
    if est == "imputer":
        X[::7, 1] = np.nan
    estimator = MATRIX_ESTIMATORS[est]().set_params(
        callbacks=[InterruptAtBatch(batch)], max_iter=10, batch_size=16
    )
    estimator.fit(X)
    assert estimator.n_iter_ == len(estimator.loss_curve_) == epochs
    assert np.isfinite(estimator.transform(X)).all()


def test_keyboard_interrupt_ends_a_code_size_search():
    estimator = AutoencoderTransformer(
        0.9, callbacks=[InterruptAtEpoch(2)], **{**TINY, "max_iter": 10}
    )
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(make_X(200))
    assert not hasattr(estimator, "net_")


def test_a_users_early_stopping_does_not_end_a_code_size_search():
    # skorch's EarlyStopping stops by raising KeyboardInterrupt too: a stop
    # it asked for is not the user's Ctrl-C.
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    estimator = AutoencoderTransformer(
        0.9, callbacks=[("my_stop", stop)], **{**TINY, "max_iter": 10}
    ).fit(make_X(200))
    assert estimator.n_iter_ < 10
    assert estimator.candidate_r2_


@pytest.mark.parametrize("est", list(ESTIMATORS))
def test_inference_from_four_threads_matches_serial(fitted, est):
    estimator = fitted[est]
    batches = [make_X(500, seed) for seed in range(8)]
    serial = [(estimator.transform(X), estimator.score_samples(X)) for X in batches]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(
            pool.map(
                lambda X: (estimator.transform(X), estimator.score_samples(X)), batches
            )
        )
    for (Z, s), (Z_par, s_par) in zip(serial, parallel, strict=True):
        assert_array_equal(Z, Z_par)
        assert_array_equal(s, s_par)


# Each case runs in an interpreter of its own, which prints how much the
# fit raised its peak resident memory, and X's size. Resident memory counts
# what torch allocates too; tracemalloc sees Python's and NumPy's
# allocations only (a 19 MB torch copy of X shows there as a few hundred
# bytes). The peak is VmHWM, not ru_maxrss: a child's ru_maxrss starts at
# its parent's peak (Linux carries it over exec), which late in a test run
# is above anything the child reaches.
PEAK_MEMORY = """
def peak_memory():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # given in kB
"""

FIT_MEMORY = """
import json, sys

import numpy as np
import torch
from sklearn.base import clone

from sk_autoencoder import AutoencoderTransformer, _data


early_stopping, copy_in_torch = json.loads(sys.argv[1])
if copy_in_torch:
    # The fault to catch, made on purpose: the training data keeps a torch
    # copy of X.
    init = _data.ScaledRows.__init__

    def init_keeping_a_copy(self, X, *args, **kwargs):
        init(self, X, *args, **kwargs)
        self.X_copy = torch.tensor(X)

    _data.ScaledRows.__init__ = init_keeping_a_copy

# Drawn as float32: no float64 draft to raise the peak before the fit.
X = np.random.default_rng(0).standard_normal((400_000, 32), dtype=np.float32)
estimator = AutoencoderTransformer(
    4,
    hidden_layer_sizes=(8,),
    max_iter=1,
    batch_size=2000,
    early_stopping=early_stopping,
)
# The first fit in a process loads parts of torch (the first Adam step
# imports torch._dynamo): tens of MB that are not about X.
clone(estimator).fit(X[:100])
before = peak_memory()
estimator.fit(X)
print(json.dumps({"grown": peak_memory() - before, "nbytes": X.nbytes}))
"""

# (early_stopping, copy_in_torch)
MEMORY_CASES = {
    "early stopping": (True, False),
    "no early stopping": (False, False),
    "copy kept by torch": (False, True),
}

# Measured on Linux: a fit's own batches and indices raise the peak by
# about 0.2 times X's size (51 MB); a copy of X adds at least its size
# (1.2 times, with the copy made on purpose above).
COPY_LIMIT = 0.5


def memory_in_a_child(script, case):
    child = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY + script, json.dumps(case)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if child.returncode:
        pytest.fail(f"The child process failed:\n{child.stderr}")
    return json.loads(child.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def fit_memory():
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the peak memory from /proc/self/status (Linux)")
    # Started together: each spends seconds importing torch. A fresh
    # process each, as the peak only ever rises.
    with ThreadPoolExecutor(len(MEMORY_CASES)) as pool:
        results = pool.map(
            partial(memory_in_a_child, FIT_MEMORY), MEMORY_CASES.values()
        )
        return dict(zip(MEMORY_CASES, results, strict=True))


@pytest.mark.parametrize("case", ["early stopping", "no early stopping"])
def test_fit_makes_no_full_copy_of_float32_input(fit_memory, case):
    grown, nbytes = fit_memory[case]["grown"], fit_memory[case]["nbytes"]
    assert grown < COPY_LIMIT * nbytes


def test_fit_memory_check_fails_on_a_copy_made_by_torch(fit_memory):
    result = fit_memory["copy kept by torch"]
    grown, nbytes = result["grown"], result["nbytes"]
    assert grown >= COPY_LIMIT * nbytes  # the test above fails on it
    assert grown >= nbytes  # having seen the whole copy


IMPUTE_MEMORY = """
import json, sys

import numpy as np

from sk_autoencoder import AutoencoderImputer


dtype = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
X = rng.standard_normal((400_000, 32)).astype(dtype)
X[rng.random(X.shape) < 0.1] = np.nan  # holes in 97 % of the rows
imputer = AutoencoderImputer(max_iter=1, random_state=0).fit(X[:2000])
imputer.transform(X[:1000])  # loads what a first call loads
before = peak_memory()
imputer.transform(X)
print(json.dumps({"grown": peak_memory() - before, "nbytes": X.nbytes}))
"""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_imputer_fills_with_little_memory_beyond_its_output(dtype):
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the peak memory from /proc/self/status (Linux)")
    result = memory_in_a_child(IMPUTE_MEMORY, dtype)
    # The output is a copy of X; filling all rows at once took several
    # times X's size (benchmarks/results/imputer_memory.md).
    assert result["grown"] < 2.5 * result["nbytes"]


@pytest.mark.parametrize("est", list(MATRIX_ESTIMATORS))
def test_values_beyond_float32_are_refused_among_missing_ones(est):
    # A positive value too large for float32 next to a NaN (missing for
    # the imputer, refused as NaN by the others).
    X = make_X()
    X[0, 0], X[1, 1] = 1e39, np.nan
    message = "beyond what float32 holds" if est == "imputer" else "contains NaN"
    with pytest.raises(ValueError, match=message):
        MATRIX_ESTIMATORS[est]().fit(X)
    X[1, 1] = 0.0
    with pytest.raises(ValueError, match="magnitude 1e\\+39, beyond what float32"):
        MATRIX_ESTIMATORS[est]().fit(X)
