"""Scale-out and ecosystem: parallel searches, out-of-core fits, persistence.

The Dask tests need the ``dask`` extra (``pip install -e ".[test,dask]"``)
and skip with the reason when it is absent.
"""

import pickle
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import torch
from _params import QUICK
from numpy.testing import assert_array_equal
from scipy.stats import loguniform, randint
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sk_autoencoder import (
    AutoencoderEmbedding,
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)
from sk_autoencoder._data import Corruption, corrupt
from sk_autoencoder._network import MLPAutoencoder
from sk_autoencoder._utils import flushes_denormals
from sk_autoencoder.persistence import load, save

EVERY_ESTIMATOR = [
    AutoencoderTransformer,
    AutoencoderOutlierDetector,
    AutoencoderImputer,
    AutoencoderEmbedding,
]


def rows_for(Estimator):
    """50 x 4 normal rows, with holes for the imputer to fill."""
    X = np.random.default_rng(0).normal(size=(50, 4))
    if Estimator is AutoencoderImputer:
        X[::3, 1] = np.nan
    return X


NO_DASK = "the Dask tests need the dask extra: pip install -e '.[test,dask]'"


@pytest.fixture(scope="module")
def shuffled_digits():
    """All of digits in a random row order, split 1500 / 297."""
    X = load_digits().data
    X = X[np.random.default_rng(0).permutation(len(X))]
    return X[:1500], X[1500:]


# ------------------------------------------------------- parallel searches

# Log loss, not accuracy: a continuous score that any change in the codes
# would show, and that tells every candidate apart.
SEARCHES = {
    "grid": lambda pipe: GridSearchCV(
        pipe,
        {
            "autoencodertransformer__n_components": [2, 8],
            "autoencodertransformer__hidden_layer_sizes": [(8,), (16,)],
        },
        cv=2,
        scoring="neg_log_loss",
    ),
    "randomized": lambda pipe: RandomizedSearchCV(
        pipe,
        {
            "autoencodertransformer__n_components": randint(2, 12),
            "autoencodertransformer__learning_rate_init": loguniform(1e-3, 1e-2),
        },
        n_iter=3,
        cv=2,
        scoring="neg_log_loss",
        random_state=0,
    ),
}


def run_search(kind, X, y, n_jobs=None):
    # No early stopping: three epochs rarely beat the PCA start on held-out
    # rows, and restoring that start would make every candidate PCA.
    pipe = make_pipeline(
        StandardScaler(),
        AutoencoderTransformer(4, **QUICK, early_stopping=False),
        LogisticRegression(max_iter=1000),
    )
    search = SEARCHES[kind](pipe).set_params(n_jobs=n_jobs).fit(X, y)
    return search.cv_results_["mean_test_score"], search.best_params_


@pytest.fixture(scope="module")
def sequential_results(digits):
    return {kind: run_search(kind, *digits) for kind in SEARCHES}


@pytest.mark.parametrize("kind", SEARCHES)
def test_search_results_identical_with_loky_and_threads(
    digits, sequential_results, kind
):
    scores, best_params = sequential_results[kind]
    assert len(set(scores)) == len(scores)  # the candidates are told apart
    parallel = [run_search(kind, *digits, n_jobs=2)]
    with joblib.parallel_backend("threading", n_jobs=2):
        parallel.append(run_search(kind, *digits))
    for parallel_scores, parallel_best in parallel:
        assert_array_equal(parallel_scores, scores)
        assert parallel_best == best_params


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason=NO_DASK)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.parametrize("kind", SEARCHES)
def test_search_results_identical_on_a_dask_cluster(
    digits, sequential_results, dask_client, kind
):
    scores, best_params = sequential_results[kind]
    with joblib.parallel_backend("dask"):
        dask_scores, dask_best = run_search(kind, *digits)
    assert_array_equal(dask_scores, scores)
    assert dask_best == best_params


class RecordThreads(Callback):
    """Record torch's intra-op thread count while the net trains."""

    def on_epoch_begin(self, net, **kwargs):
        self.threads_ = torch.get_num_threads()


def torch_threads_in_fit(n_jobs, outside=2):
    """Torch's thread count inside fit, where it is ``outside`` around fit."""
    previous = torch.get_num_threads()
    torch.set_num_threads(outside)
    try:
        X = np.random.default_rng(0).normal(size=(50, 4))
        ae = AutoencoderTransformer(
            2, **QUICK, n_jobs=n_jobs, callbacks=[RecordThreads()]
        ).fit(X)
    finally:
        torch.set_num_threads(previous)
    return dict(ae.net_.callbacks_)["RecordThreads"].threads_


def test_each_dask_worker_fits_on_one_torch_thread_by_default(dask_client):
    # The recorder sees the thread count that fit sets.
    two = min(2, joblib.cpu_count())  # n_jobs starts no more than the cores
    assert torch_threads_in_fit(2, outside=1) == two
    workers = list(dask_client.scheduler_info()["workers"])
    assert len(workers) == 2
    futures = [
        dask_client.submit(torch_threads_in_fit, None, workers=worker)
        for worker in workers
    ]
    assert dask_client.gather(futures) == [1, 1]
    # An explicit n_jobs is honoured inside a worker too (joblib would say
    # 1 there: it counts processes a worker may start, not threads).
    assert dask_client.submit(torch_threads_in_fit, 2).result() == two


def test_n_jobs_beyond_the_cores_starts_one_thread_per_core():
    assert torch_threads_in_fit(2**31, outside=1) == joblib.cpu_count()


def test_n_jobs_may_be_a_numpy_integer():
    X = np.random.default_rng(0).normal(size=(50, 4))
    detector = AutoencoderOutlierDetector(2, **QUICK, n_jobs=np.int64(1)).fit(X)
    assert detector.score_samples(X).shape == (50,)


@pytest.mark.parametrize("outside", [False, True])
@pytest.mark.parametrize("Estimator", EVERY_ESTIMATOR)
def test_training_flushes_denormals_and_restores_the_flag(
    monkeypatch, Estimator, outside
):
    seen, encode = [], MLPAutoencoder.encode

    def recording_encode(module, x):
        if module.training:
            seen.append(flushes_denormals())
        return encode(module, x)

    monkeypatch.setattr(MLPAutoencoder, "encode", recording_encode)
    X = np.random.default_rng(0).normal(size=(50, 4))
    torch.set_flush_denormal(outside)
    try:
        Estimator(**QUICK).fit(X)
        assert flushes_denormals() == outside
    finally:
        torch.set_flush_denormal(False)
    assert seen
    assert all(seen)


@pytest.mark.parametrize("Estimator", EVERY_ESTIMATOR)
def test_a_float64_default_dtype_changes_no_result_and_stays_set(Estimator, tmp_path):
    X = rows_for(Estimator)
    expected = Estimator(**QUICK).fit(X).transform(X)
    torch.set_default_dtype(torch.float64)
    try:
        estimator = Estimator(**QUICK).fit(X)
        found = estimator.transform(X)
        loaded = found
        if Estimator is not AutoencoderEmbedding:  # save does not write it
            save(estimator, tmp_path / "estimator.safetensors")
            loaded = load(tmp_path / "estimator.safetensors").transform(X)
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert_array_equal(found, expected)
    assert_array_equal(loaded, expected)


@pytest.mark.parametrize(
    "corruption",
    [
        Corruption("gaussian", 0.5),
        Corruption("mask", 0.2),
        # 0.2 x 45 / heights ties at .5 in float32, not in float64.
        Corruption("mask", 0.2, image_shape=(1, 3, 15)),
        Corruption(
            "mask", 0.2, patterns=torch.eye(45, dtype=torch.bool)[:3], pattern_share=0.5
        ),
    ],
    ids=["gaussian", "mask", "rectangles", "patterns"],
)
def test_corruption_draws_the_same_under_a_float64_default_dtype(corruption):
    # The imputer draws the masks it averages fills over outside its
    # float32 block: a float64 default drew other masks from the same seed.
    def drawn():
        x = torch.zeros(64, 45)
        return corrupt(x, corruption, torch.Generator().manual_seed(0))

    expected = drawn()
    torch.set_default_dtype(torch.float64)
    try:
        found = drawn()
    finally:
        torch.set_default_dtype(torch.float32)
    torch.testing.assert_close(found, expected, equal_nan=True, check_dtype=False)


def test_a_float64_default_dtype_survives_fits_from_four_threads():
    X = np.random.default_rng(0).normal(size=(50, 4))
    torch.set_default_dtype(torch.float64)
    try:
        with ThreadPoolExecutor(4) as pool:
            fits = pool.map(
                lambda seed: (
                    AutoencoderTransformer(2, **{**QUICK, "random_state": seed})
                    .fit(X)
                    .transform(X)
                ),
                range(8),
            )
            found = list(fits)
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert all(codes.shape == (50, 2) for codes in found)


@pytest.mark.parametrize("no_autograd", [torch.no_grad, torch.inference_mode])
@pytest.mark.parametrize("Estimator", EVERY_ESTIMATOR)
def test_fit_inside_no_grad_or_inference_mode_trains_as_outside(Estimator, no_autograd):
    X = rows_for(Estimator)
    expected = Estimator(**QUICK).fit(X).transform(X)
    with no_autograd():
        estimator = Estimator(**QUICK).fit(X)
        found = estimator.transform(X)
        if hasattr(estimator, "partial_fit"):
            estimator.partial_fit(X)
    assert_array_equal(found, expected)
    # What it built there trains on outside as any network.
    if hasattr(estimator, "partial_fit"):
        estimator.partial_fit(X)


# ------------------------------------------------------------- out of core

# A learning rate high enough that five passes move the model well away
# from its PCA start (to about 0.75 of PCA's held-out error), so that
# agreeing with the in-memory fit says something about the training; and
# batches of 150, so that a pass over the 300-row chunks takes as many
# steps as an epoch over all 1500 rows.
STREAM = {
    "hidden_layer_sizes": (32,),
    "learning_rate_init": 1e-2,
    "batch_size": 150,
    "random_state": 0,
}
CHUNK, PASSES = 300, 5


def held_out_error(estimator, X):
    """Mean squared reconstruction error in the original units."""
    return np.mean((estimator.inverse_transform(estimator.transform(X)) - X) ** 2)


@pytest.fixture(scope="module")
def in_memory(shuffled_digits):
    X_train, X_test = shuffled_digits
    ae = AutoencoderTransformer(8, max_iter=PASSES, early_stopping=False, **STREAM)
    return held_out_error(ae.fit(X_train), X_test)


@pytest.fixture
def memmap(shuffled_digits, tmp_path):
    X_train = shuffled_digits[0]
    X = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=X_train.shape)
    X[:] = X_train
    X.flush()
    return np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="r", shape=X.shape)


def test_partial_fit_over_memmap_chunks_matches_in_memory_fit(
    shuffled_digits, memmap, in_memory
):
    X_test = shuffled_digits[1]
    ae = AutoencoderTransformer(8, **STREAM)
    for _ in range(PASSES):
        for start in range(0, len(memmap), CHUNK):
            ae.partial_fit(memmap[start : start + CHUNK])
    assert ae.n_iter_ == PASSES * len(memmap) // CHUNK
    # Measured over random_state 0-9: the streamed model's held-out error
    # is 0.990-1.006 times the in-memory fit's, and both are 0.73-0.76
    # times PCA's. 3 % allows three times the largest gap; the PCA bound
    # shows the agreement is not just the shared start.
    streamed = held_out_error(ae, X_test)
    assert streamed == pytest.approx(in_memory, rel=0.03)
    assert streamed < 0.85 * held_out_error(PCA(8).fit(memmap), X_test)


def test_partial_fit_scaling_is_fixed_by_the_first_chunk(memmap):
    ae = AutoencoderTransformer(8, **{**STREAM, "standardize": True})
    ae.partial_fit(memmap[:CHUNK])
    mean, scale = ae.mean_.copy(), ae.scale_.copy()
    assert_array_equal(mean, memmap[:CHUNK].mean(axis=0))
    for start in range(CHUNK, len(memmap), CHUNK):
        ae.partial_fit(memmap[start : start + CHUNK])
    assert_array_equal(ae.mean_, mean)
    assert_array_equal(ae.scale_, scale)
    # ... not the statistics of all the rows seen.
    assert not np.allclose(ae.mean_, memmap.mean(axis=0))


STREAMING = [AutoencoderTransformer, AutoencoderOutlierDetector]


@pytest.mark.parametrize("Estimator", STREAMING)
def test_a_later_partial_fit_applies_a_new_learning_rate_and_alpha(Estimator):
    X = np.random.default_rng(0).normal(size=(60, 4))
    estimator = Estimator(2, batch_size=30, **QUICK).fit(X)
    estimator.set_params(learning_rate_init=0.25, alpha=0.125).partial_fit(X)
    for group in estimator.net_.optimizer_.param_groups:
        assert (group["lr"], group["weight_decay"]) == (0.25, 0.125)


@pytest.mark.parametrize("Estimator", STREAMING)
def test_chunks_smaller_than_a_batch_train_at_a_lower_rate(Estimator):
    X = np.random.default_rng(0).normal(size=(60, 4))
    estimator = Estimator(2, batch_size=30, **QUICK).fit(X)
    estimator.set_params(learning_rate_init=0.25).partial_fit(X[:3])
    for group in estimator.net_.optimizer_.param_groups:
        assert group["lr"] == pytest.approx(0.25 * np.sqrt(3 / 30))
    estimator.partial_fit(X[:30])
    for group in estimator.net_.optimizer_.param_groups:
        assert group["lr"] == 0.25


def test_rows_streamed_one_at_a_time_keep_a_fitted_network_close():
    X = load_digits().data
    X = X[np.random.default_rng(0).permutation(len(X))]
    X_test = X[1400:]
    ae = AutoencoderTransformer(4, random_state=0).fit(X[:1000])

    def error():
        return np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2)

    fitted = error()
    for row in X[1000:1020]:
        ae.partial_fit(row[None])
    # Every step at the full rate: 3.8 times the fitted network's error.
    assert error() < 1.5 * fitted


@pytest.mark.parametrize("Estimator", STREAMING)
@pytest.mark.parametrize(
    "change",
    [
        {"hidden_layer_sizes": (8,)},
        {"activation": "tanh"},
        {"batch_size": 7},
        {"standardize": None},  # toggled
        {"random_state": 1},
    ],
)
def test_a_later_partial_fit_refuses_a_change_it_cannot_apply(Estimator, change):
    X = np.random.default_rng(0).normal(size=(60, 4))
    estimator = Estimator(2, **QUICK).fit(X)
    n_epochs = len(estimator.net_.history)
    if "standardize" in change:
        change = {"standardize": not estimator.standardize}
    estimator.set_params(**change)
    with pytest.raises(ValueError, match=f"^{next(iter(change))} changed since"):
        estimator.partial_fit(X)
    assert len(estimator.net_.history) == n_epochs


@pytest.mark.parametrize("Estimator", STREAMING)
def test_a_later_chunk_trains_in_batches_sized_for_it(Estimator):
    # Not in those of a small first chunk: a chunk of 4 rows held every
    # later one to batches of 4, and the detector's trimmed loss then
    # kept every row of each batch.
    X = np.random.default_rng(0).normal(size=(1_000, 4))
    estimator = Estimator(2, **QUICK, batch_size=100).partial_fit(X[:4])
    estimator.partial_fit(X)
    assert estimator.net_.history[-1, "train_batch_count"] == 10
    estimator.partial_fit(X[:30])
    assert estimator.net_.history[-1, "train_batch_count"] == 1


def test_a_later_partial_fit_shows_its_epochs_as_verbose_now_says(capsys):
    X = np.random.default_rng(0).normal(size=(60, 4))
    transformer = AutoencoderTransformer(2, **QUICK).fit(X)
    capsys.readouterr()
    transformer.set_params(verbose=1).partial_fit(X)
    assert "train_loss" in capsys.readouterr().out
    transformer.set_params(verbose=0).partial_fit(X)
    assert capsys.readouterr().out == ""


def test_a_later_partial_fit_takes_none_and_empty_as_the_same():
    X = np.random.default_rng(0).normal(size=(60, 4))
    transformer = AutoencoderTransformer(2, **QUICK).fit(X)
    transformer.set_params(callbacks=[], module_params={}, hidden_layer_sizes=[16])
    transformer.partial_fit(X)


@pytest.mark.parametrize("Estimator", STREAMING)
def test_a_later_partial_fit_takes_parameters_fit_alone_reads(Estimator):
    X = np.random.default_rng(0).normal(size=(60, 4))
    estimator = Estimator(2, **QUICK).fit(X)
    estimator.set_params(max_iter=50, early_stopping=False, tol=0.5)
    assert len(estimator.partial_fit(X).net_.history) == 4


def test_a_later_partial_fit_after_pickling_sees_no_change():
    X = np.random.default_rng(0).normal(size=(60, 4))
    transformer = AutoencoderTransformer(
        2,
        **{**QUICK, "random_state": np.random.RandomState(0)},
        image_shape=np.array([2, 2]),
        callbacks=[RecordThreads()],
    )
    pickle.loads(pickle.dumps(transformer.fit(X))).partial_fit(X)


def test_dask_ml_incremental_is_partial_fit_over_the_blocks(
    shuffled_digits, memmap, in_memory
):
    pytest.importorskip("dask_ml", reason=NO_DASK)
    import dask
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X_test = shuffled_digits[1]
    X = da.from_array(memmap, chunks=(CHUNK, memmap.shape[1]))
    incremental = Incremental(AutoencoderTransformer(8, **STREAM), shuffle_blocks=False)
    # Dask's local threads, whether or not a cluster's client is active:
    # the searches above already send estimators to worker processes.
    with dask.config.set(scheduler="threads"):
        for _ in range(PASSES):
            incremental.partial_fit(X)
        Z = incremental.transform(da.from_array(X_test, chunks=(100, -1)))
        assert isinstance(Z, da.Array)
        Z = Z.compute()

    by_hand = AutoencoderTransformer(8, **STREAM)
    for _ in range(PASSES):
        for start in range(0, len(memmap), CHUNK):
            by_hand.partial_fit(memmap[start : start + CHUNK])
    assert_array_equal(Z, by_hand.transform(X_test))
    fitted = incremental.estimator_
    assert held_out_error(fitted, X_test) == pytest.approx(in_memory, rel=0.03)


# ------------------------------------------------------------- persistence


@pytest.fixture(scope="module")
def fitted(digits):
    X = digits[0]
    return [
        AutoencoderTransformer(4, **QUICK).fit(X),
        AutoencoderOutlierDetector(**QUICK).fit(X),
    ]


def outputs(estimator, X):
    methods = ["transform", "score_samples", "decision_function", "predict"]
    return {
        name: getattr(estimator, name)(X)
        for name in methods
        if hasattr(estimator, name)
    }


@pytest.mark.parametrize("via", ["pickle", "joblib"])
def test_round_trip_gives_identical_outputs(digits, fitted, tmp_path, via):
    X = digits[0]
    for estimator in fitted:
        if via == "pickle":
            restored = pickle.loads(pickle.dumps(estimator))
        else:
            joblib.dump(estimator, tmp_path / "model.joblib")
            restored = joblib.load(tmp_path / "model.joblib")
        expected = outputs(estimator, X)
        got = outputs(restored, X)
        assert got.keys() == expected.keys()
        for name in expected:
            assert_array_equal(got[name], expected[name], err_msg=name)


def test_html_repr_names_the_class(fitted):
    for estimator in fitted:
        unfitted = type(estimator)(callbacks=[RecordThreads()])
        for shown in (unfitted, estimator):
            html = shown._repr_html_()
            assert type(estimator).__name__ in html
