"""The promises AutoencoderTransformer makes, one test each."""

import pickle
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from _params import SHORT, EpochWeights, moving_average
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning

from sk_autoencoder import AutoencoderTransformer, _skorch
from sk_autoencoder._base import WEIGHT_AVERAGE_DECAY
from sk_autoencoder._skorch import BREAKDOWN_RATIO, WeightAverage, validation_loss


def test_pipeline_swap_for_pca(digits):
    X, y = digits
    for reducer in (PCA(4), AutoencoderTransformer(4, **SHORT)):
        pipe = make_pipeline(StandardScaler(), reducer, LogisticRegression())
        assert pipe.fit(X, y).score(X, y) > 0.5


def test_grid_search_tunes_without_labels(digits):
    X, _ = digits
    search = GridSearchCV(
        AutoencoderTransformer(**SHORT), {"n_components": [1, 8]}, cv=2
    )
    search.fit(X)
    assert search.best_params_ == {"n_components": 8}


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)],
)
def test_output_dtype_follows_input(digits, dtype, expected):
    X = digits[0].astype(dtype)
    ae = AutoencoderTransformer(3, **SHORT).fit(X)
    Z = ae.transform(X)
    assert Z.dtype == expected
    assert ae.inverse_transform(Z).dtype == expected
    assert ae.score_samples(X).dtype == np.float64


def test_float32_and_float64_inputs_give_the_same_codes(digits):
    # Both are scaled in float64: the same values give the same codes.
    X = digits[0]
    ae = AutoencoderTransformer(3, **SHORT).fit(X)
    codes = ae.transform(X)
    assert_array_equal(ae.transform(X.astype(np.float32)), codes.astype(np.float32))


def test_float32_and_float64_copies_of_the_data_train_the_same_network(digits):
    # Digits are small integers, the same in either precision: scaled apart,
    # the two differed by a unit in the last place in a few entries, and
    # training grew that into other networks.
    X = digits[0]
    params = {**SHORT, "max_iter": 20}
    ae = AutoencoderTransformer(3, **params).fit(X)
    ae32 = AutoencoderTransformer(3, **params).fit(X.astype(np.float32))
    assert_array_equal(ae32.transform(X), ae.transform(X))


def test_inverse_transform_returns_original_units():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) * [1, 10, 100, 1e4] + [0, -5, 1e3, 1e6]
    for standardize in (False, True):
        ae = AutoencoderTransformer(4, standardize=standardize, **SHORT).fit(X)
        assert_allclose(ae.inverse_transform(ae.transform(X)), X, rtol=1e-3, atol=0.05)


def test_score_samples_is_negative_scaled_mse(digits):
    X = digits[0]
    ae = AutoencoderTransformer(3, **SHORT).fit(X)
    X_rebuilt = ae.inverse_transform(ae.transform(X))
    expected = -np.mean(((X_rebuilt - X) / ae.scale_) ** 2, axis=1)
    assert_allclose(ae.score_samples(X), expected, rtol=1e-4, atol=1e-6)
    assert ae.score(X) == pytest.approx(np.mean(ae.score_samples(X)))


class TrainingRows(Callback):
    """Records the indices of the rows that training gets, and the weights
    it starts from."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.rows = X.indices.copy()
        self.start = {k: v.clone() for k, v in net.module_.state_dict().items()}


def pca_start(ae, X, rows):
    """What a network started at the PCA of the scaled ``rows`` rebuilds."""
    scaled = (X - ae.mean_) / ae.scale_
    axes = PCA(ae.n_components_).fit(scaled[rows]).components_
    return ae.mean_ + ae.scale_ * (scaled @ axes.T @ axes)


def test_never_worse_than_pca_on_validation_rows(digits):
    # A learning rate this large wrecks every epoch; early stopping must then
    # restore the starting point, the PCA solution, taken again from all
    # the rows.
    X = StandardScaler().fit_transform(digits[0])
    ae = AutoencoderTransformer(
        5, learning_rate_init=50.0, max_iter=8, n_iter_no_change=3, random_state=0
    ).fit(X)
    assert_allclose(
        ae.inverse_transform(ae.transform(X)),
        pca_start(ae, X, np.arange(len(X))),
        atol=1e-4,
    )


def test_the_pca_start_comes_from_the_training_rows_and_once_kept_from_all(
    digits,
):
    # The validation rows judge the start, so it must not have seen them;
    # once it is kept, they have nothing left to judge, and the fit is PCA
    # of all the rows.
    X = StandardScaler().fit_transform(digits[0])
    ae = AutoencoderTransformer(
        5,
        learning_rate_init=1e-12,  # the network stays where it starts
        max_iter=1,
        callbacks=[("rows", TrainingRows())],
        random_state=0,
    ).fit(X)
    recorded = dict(ae.net_.callbacks_)["rows"]
    assert len(recorded.rows) == len(X) - round(0.1 * len(X))
    every_row = pca_start(ae, X, np.arange(len(X)))
    assert_allclose(ae.inverse_transform(ae.transform(X)), every_row, atol=1e-4)
    ae.net_.module_.load_state_dict(recorded.start)
    started = ae.inverse_transform(ae.transform(X))
    assert_allclose(started, pca_start(ae, X, recorded.rows), atol=1e-4)
    assert not np.allclose(started, every_row, atol=1e-4)


@pytest.mark.parametrize("seed", [1, 4])
def test_a_table_too_small_to_judge_training_is_rebuilt_as_pca_rebuilds_it(seed):
    # 21 rows hold out two, too few to tell a trained network from its
    # start: the network trained on the others rebuilt new rows 1.8 times
    # worse than PCA at these seeds (a new-user hunt's table), and the
    # start, PCA of 19 rows, 1.5-1.8 times.
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 8))
    X += 0.1 * rng.normal(size=X.shape)
    train, new = X[:21], X[21:]
    ae = AutoencoderTransformer(2, random_state=seed).fit(train)
    pca = PCA(2).fit(train)
    assert_allclose(
        ae.inverse_transform(ae.transform(new)),
        pca.inverse_transform(pca.transform(new)),
        atol=1e-4,
    )


@pytest.mark.parametrize(("n_rows", "n_components"), [(3, 2), (5, 4), (6, 5)])
def test_as_few_rows_as_components_still_give_every_component(n_rows, n_components):
    # A validation row would leave n_components or fewer training rows,
    # whose axes stop short of n_components: no row is held out, and the
    # fit rebuilds the rows as PCA does (exactly: n_rows - 1 components),
    # within what training moves it from the start.
    X = np.random.default_rng(0).normal(size=(n_rows, 6))
    ae = AutoencoderTransformer(n_components, random_state=0).fit(X)
    codes = ae.transform(X)
    assert np.all(np.abs(codes).max(axis=0) > 0.1)
    assert_allclose(ae.inverse_transform(codes), X, atol=1e-2)


def test_rows_are_held_out_where_the_rest_still_span_the_code():
    X = np.random.default_rng(0).normal(size=(4, 6))
    ae = AutoencoderTransformer(2, max_iter=5, random_state=0).fit(X)
    assert ae.validation_scores_ is not None


def test_training_improves_on_pca(digits):
    X = digits[0]
    ae = AutoencoderTransformer(4, max_iter=200, random_state=0).fit(X)
    pca = PCA(4).fit(X)
    ae_error = np.mean((ae.inverse_transform(ae.transform(X)) - X) ** 2)
    pca_error = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    assert ae_error < 0.9 * pca_error


def test_same_random_state_is_bit_identical(digits):
    X = digits[0]
    ae = AutoencoderTransformer(3, **SHORT)
    reference = ae.fit(X).transform(X)
    assert_array_equal(ae.fit(X).transform(X), reference)
    assert_array_equal(clone(ae).fit(X).transform(X), reference)
    assert_array_equal(pickle.loads(pickle.dumps(ae)).transform(X), reference)
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: clone(ae).fit(X).transform(X), range(4)))
    for Z in codes:
        assert_array_equal(Z, reference)


def test_different_random_state_differs(digits):
    X = digits[0]
    params = {**SHORT, "early_stopping": False}
    Z0 = AutoencoderTransformer(3, **params).fit_transform(X)
    Z1 = AutoencoderTransformer(3, **{**params, "random_state": 1}).fit_transform(X)
    assert not np.array_equal(Z0, Z1)


@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_global_state_unchanged(digits, random_state):
    X = digits[0]
    numpy_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    threads = torch.get_num_threads()
    AutoencoderTransformer(3, **{**SHORT, "random_state": random_state}).fit(X)
    assert_array_equal(np.random.get_state()[1], numpy_state[1])
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert torch.get_num_threads() == threads


def test_verbose_0_prints_nothing(digits, capsys):
    AutoencoderTransformer(3, **SHORT).fit(digits[0])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_prints_one_line_per_epoch(digits, capsys):
    ae = AutoencoderTransformer(3, **{**SHORT, "verbose": 1}).fit(digits[0])
    out = capsys.readouterr().out
    assert re.search(r"epoch\s+train_loss\s+valid_loss\s+dur", out)
    epoch_lines = [line for line in out.splitlines() if re.match(r"\s+\d+\s", line)]
    assert len(epoch_lines) == ae.n_iter_


def test_verbose_2_shows_progress_bars_over_batches(digits, capsys):
    X = digits[0]
    ae = AutoencoderTransformer(3, **{**SHORT, "max_iter": 2, "verbose": 2}).fit(X)
    capsys.readouterr()
    ae.transform(np.vstack([X] * 3))  # two inference batches
    assert "batches" in capsys.readouterr().err


def test_device_auto_trains_on_the_cpu_without_a_gpu(digits, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    ae = AutoencoderTransformer(3, **{**SHORT, "device": "auto"}).fit(digits[0])
    assert ae.net_.device == "cpu"
    assert ae.device == "auto"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_device_cuda_trains_and_infers_on_the_gpu(digits):
    ae = AutoencoderTransformer(3, **{**SHORT, "device": "cuda"}).fit(digits[0])
    assert next(ae.net_.module_.parameters()).is_cuda
    assert ae.transform(digits[0]).shape == (len(digits[0]), 3)


def test_model_saved_from_a_gpu_loads_and_runs_without_one(digits):
    # Simulated: the net is marked as a CUDA net before pickling, as a net
    # fitted with device="cuda" is; unpickling where torch sees no GPU
    # must map it to the CPU rather than fail.
    X = digits[0]
    ae = AutoencoderTransformer(3, **{**SHORT, "device": "cuda"})
    ae.set_params(device="cpu").fit(X)
    expected = ae.transform(X)
    ae.set_params(device="cuda")
    ae.net_.device = "cuda"
    with pytest.warns(DeviceWarning, match="no CUDA devices"):
        restored = pickle.loads(pickle.dumps(ae))
    assert str(restored.net_.device) == "cpu"
    assert_array_equal(restored.transform(X), expected)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"device": "gpu0"}, ValueError, "device='gpu0' is not a torch device"),
        ({"n_components": 0}, InvalidParameterError, "n_components"),
        ({"activation": "swish"}, InvalidParameterError, "activation"),
        ({"learning_rate_init": -1.0}, InvalidParameterError, "learning_rate_init"),
        ({"validation_fraction": 1.0}, InvalidParameterError, "validation_fraction"),
        ({"batch_size": 0}, InvalidParameterError, "batch_size"),
        ({"hidden_layer_sizes": (8, 0)}, ValueError, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (8.5,)}, ValueError, "hidden_layer_sizes"),
        ({"n_components": 65}, ValueError, "n_components=65 must be at most"),
    ],
)
def test_bad_parameters_raise_before_training(digits, params, error, match):
    ae = AutoencoderTransformer(**{**SHORT, **params})
    with pytest.raises(error, match=match):
        ae.fit(digits[0])
    assert not hasattr(ae, "net_")


def test_fitted_attributes(digits):
    X = digits[0]
    ae = AutoencoderTransformer(3, **SHORT).fit(X)
    assert ae.n_features_in_ == 64
    assert ae.n_components_ == 3
    assert len(ae.loss_curve_) == ae.n_iter_ <= SHORT["max_iter"]
    assert len(ae.validation_scores_) == ae.n_iter_
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    assert ae.net_.module_ is not None
    no_stopping = AutoencoderTransformer(3, early_stopping=False, **SHORT).fit(X)
    assert no_stopping.validation_scores_ is None


def test_feature_names(digits):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(digits[0], columns=[f"pixel{i}" for i in range(64)])
    ae = AutoencoderTransformer(3, **SHORT).fit(X)
    assert_array_equal(ae.feature_names_in_, X.columns)
    assert_array_equal(
        ae.get_feature_names_out(),
        [
            "autoencodertransformer0",
            "autoencodertransformer1",
            "autoencodertransformer2",
        ],
    )


def test_partial_fit_after_a_searched_width_keeps_it(digits):
    X = digits[0][:300]
    ae = AutoencoderTransformer(0.8, **SHORT).fit(X)
    width, epochs = ae.n_components_, ae.n_iter_
    ae.partial_fit(X)
    assert ae.n_components_ == width
    assert ae.n_iter_ == epochs + 1


@pytest.mark.parametrize(("fitted_with", "changed_to"), [(4, 0.5), (0.8, 0.5)])
def test_partial_fit_refuses_a_width_to_search_anew(digits, fitted_with, changed_to):
    X = digits[0][:300]
    ae = AutoencoderTransformer(fitted_with, **SHORT).fit(X)
    ae.set_params(n_components=changed_to)
    with pytest.raises(ValueError, match=f"n_components={changed_to} differs"):
        ae.partial_fit(X)


def test_partial_fit_after_a_searched_width_of_an_older_pickle(digits):
    # A fit pickled before the built parameters were kept has none.
    X = digits[0][:300]
    ae = AutoencoderTransformer(0.8, **SHORT).fit(X)
    del ae._built_with
    ae.partial_fit(X)


def test_partial_fit_initializes_then_trains_one_epoch_per_call(digits):
    X = digits[0]
    ae = AutoencoderTransformer(3, random_state=0, hidden_layer_sizes=(16,))
    ae.partial_fit(X[:150])
    mean = ae.mean_.copy()
    assert ae.n_iter_ == 1
    for _ in range(3):
        ae.partial_fit(X[150:])
    assert ae.n_iter_ == 4
    assert len(ae.loss_curve_) == 4
    assert_array_equal(ae.mean_, mean)
    with pytest.raises(ValueError, match="features"):
        ae.partial_fit(X[:, :10])


class Count(Callback):
    """Counts epochs and batches; listening to batches, it makes skorch run
    its own epochs instead of the lean ones."""

    def initialize(self):
        self.epochs_ = self.batches_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1

    def on_batch_end(self, net, **kwargs):
        self.batches_ += 1


def test_callbacks_are_cloned_before_use(digits):
    callback = Count()
    ae = AutoencoderTransformer(3, **{**SHORT, "callbacks": [callback]}).fit(digits[0])
    assert not hasattr(callback, "epochs_")
    used = dict(ae.net_.callbacks_)["Count"]
    assert used is not callback
    assert used.epochs_ == ae.n_iter_


def test_lean_epochs_make_skorchs_updates_and_history(digits):
    lean = AutoencoderTransformer(3, **SHORT).fit(digits[0])
    stock = AutoencoderTransformer(3, callbacks=[Count()], **SHORT).fit(digits[0])
    assert lean.net_._batch_listeners() == []
    assert stock.net_._batch_listeners() == ["Count"]
    assert_array_equal(lean.transform(digits[0]), stock.transform(digits[0]))
    assert lean.net_.history[:, "batches"] == stock.net_.history[:, "batches"]
    assert lean.net_.history[:, "train_loss"] == stock.net_.history[:, "train_loss"]
    assert lean.net_.history[:, "valid_loss"] == stock.net_.history[:, "valid_loss"]


def test_callbacks_listening_to_batches_see_every_batch(digits):
    ae = AutoencoderTransformer(3, callbacks=[Count()], **SHORT).fit(digits[0])
    batches = sum(len(epoch["batches"]) for epoch in ae.net_.history)
    assert dict(ae.net_.callbacks_)["Count"].batches_ == batches > 0


def test_inverse_transform_checks_code_width(digits):
    ae = AutoencoderTransformer(3, **SHORT).fit(digits[0])
    with pytest.raises(ValueError, match="n_components_=3"):
        ae.inverse_transform(np.zeros((2, 4)))


def test_network_computes_in_float32(digits):
    ae = AutoencoderTransformer(3, **SHORT).fit(digits[0])
    assert {p.dtype for p in ae.net_.module_.parameters()} == {torch.float32}


def test_pickle_carries_no_training_data_and_training_continues():
    X = np.random.default_rng(0).normal(size=(5000, 64))
    ae = AutoencoderTransformer(4, **SHORT).fit(X)
    assert "weight_average" in dict(ae.net_.callbacks_)
    blob = pickle.dumps(ae)
    assert len(blob) < X.nbytes / 10
    restored = pickle.loads(blob)
    assert_array_equal(restored.transform(X), ae.transform(X))
    restored.partial_fit(X[:500])
    assert restored.n_iter_ == ae.n_iter_ + 1


def noisy_digits():
    """Denoising digits with a large step: single epochs are noisy, and
    their average does better on the validation rows (by about 2 %)."""
    X = load_digits().data[:600] / 16
    params = {"noise": "gaussian", "noise_level": 0.5, "learning_rate_init": 3e-2}
    return X, {**params, "max_iter": 100}


def low_rank_rows():
    """Rows the PCA start already rebuilds best, and a large step: no epoch
    beats the start, which early stopping restores, and the average of the
    epochs does worse (by about 5 %)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 8))
    X += 0.3 * rng.normal(size=X.shape)
    return X, {"learning_rate_init": 0.1, "max_iter": 30}


@pytest.mark.parametrize(
    ("data", "kept"), [(noisy_digits, "average"), (low_rank_rows, "restored")]
)
def test_ends_on_the_weight_average_only_when_it_does_no_worse(data, kept, monkeypatch):
    # The weights early stopping restored, not the start taken again from
    # all the rows where those are the start (tested above).
    monkeypatch.setattr(
        AutoencoderTransformer, "_fit_after_training", lambda self, X: None
    )
    X, params = data()
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(16,), callbacks=[EpochWeights()], random_state=0
    )
    ae.set_params(**params).fit(X)
    callbacks = dict(ae.net_.callbacks_)
    epochs = callbacks["EpochWeights"].weights_
    assert len(epochs) == ae.n_iter_ > 1
    stopping = callbacks["early_stopping"]
    candidates = {
        "average": moving_average(epochs, WEIGHT_AVERAGE_DECAY),
        "restored": stopping.best_model_weights_,
    }
    fitted = {k: v.clone() for k, v in ae.net_.module_.state_dict().items()}
    losses = {}
    for name, weights in candidates.items():
        ae.net_.module_.load_state_dict(weights)
        losses[name] = validation_loss(ae.net_, stopping.valid_batches)
    # The rows early stopping judged on: its best epoch's loss is theirs
    # (epoch 0 being the start).
    scores = [-stopping.start_loss_, *ae.validation_scores_]
    best_loss = -scores[stopping.best_epoch_]
    assert losses["restored"] == pytest.approx(best_loss, rel=1e-6)
    other = {"average": "restored", "restored": "average"}[kept]
    assert losses[kept] < losses[other]
    for name, value in candidates[kept].items():
        torch.testing.assert_close(fitted[name], value)


class OneWeight:
    """A stand-in for a net: one weight, whose value is its validation loss
    (see the test below)."""

    def __init__(self, value):
        self.module_ = torch.nn.Linear(1, 1, bias=False)
        self.module_.weight.data.fill_(value)


@pytest.mark.parametrize(
    ("last", "best", "restored", "keep_restored", "kept"),
    [
        (0.95 * BREAKDOWN_RATIO, 1.0, 9.0, False, "last"),  # ordinary drift
        (1.05 * BREAKDOWN_RATIO, 1.0, 9.0, False, "best"),  # a breakdown
        (float("nan"), 1.0, 9.0, False, "best"),  # a NaN loss: a breakdown
        (1.0, float("nan"), 9.0, False, "last"),  # the fallback must be finite
        (1.05 * BREAKDOWN_RATIO, 1.0, 1.5, True, "best"),
        (1.05 * BREAKDOWN_RATIO, 1.0, 0.5, True, "restored"),
    ],
)
def test_weight_average_gives_way_to_the_best_epochs_only_on_a_breakdown(
    monkeypatch, last, best, restored, keep_restored, kept
):
    monkeypatch.setattr(
        _skorch, "validation_loss", lambda net, _: net.module_.weight.item()
    )
    net = OneWeight(restored)
    callback = WeightAverage(0.9, valid_batches=[], keep_restored=keep_restored)
    callback.average_ = {"weight": torch.tensor([[last]])}
    callback.best_average_ = {"weight": torch.tensor([[best]])}
    callback.best_epoch_, callback.last_epoch_ = 3, 7
    callback.on_train_end(net)
    expected = {"last": last, "best": best, "restored": restored}[kept]
    assert net.module_.weight.item() == pytest.approx(expected)


@pytest.mark.parametrize(
    ("n_train", "budget"),
    [
        (500, (32, 1_000, 50)),  # 16 batches: the epoch bounds hold
        (3_200, (100, 625, 32)),  # 32 batches: 20,000 and 1,024 updates
        (100_000, (200, 40, 2)),  # 500 batches of 200
    ],
)
def test_auto_budget_counts_updates_not_epochs(n_train, budget):
    # (batch size, most epochs, patience in epochs) for n_train rows.
    assert AutoencoderTransformer()._budget(n_train) == budget


@pytest.mark.parametrize(
    ("n_rows", "n_features", "width"),
    [
        (40, 5, 64),
        (200, 30, 120),
        (1100, 400, 1024),
        # No more units than rows.
        (100, 30, 100),
        (40, 400, 64),
    ],
)
def test_auto_width_is_four_units_per_feature_and_row_within_bounds(
    n_rows, n_features, width
):
    X = np.random.default_rng(0).normal(size=(n_rows, n_features))
    ae = AutoencoderTransformer(2, max_iter=1, random_state=0).fit(X)
    assert ae.net_.module_.encoder.first.out_features == 2 + width


def test_a_table_of_more_features_than_rows_is_rebuilt_about_as_pca_rebuilds_it():
    # 42 rows of 150 features, rank 5 plus noise: 600 hidden units (four
    # per feature) rebuilt new rows with 2.1 times PCA's error at this
    # seed (benchmarks/transformer_few_rows.py), 64 (one per row, at
    # least 64) as PCA does.
    rng = np.random.default_rng(105)
    loadings = rng.normal(size=(5, 150))

    def rows(n):
        return rng.normal(size=(n, 5)) @ loadings + 0.1 * rng.normal(size=(n, 150))

    X, X_new = rows(42), rows(5000)
    scaler = StandardScaler().fit(X)
    X, X_new = scaler.transform(X), scaler.transform(X_new)

    def error(model):
        return np.mean((model.inverse_transform(model.transform(X_new)) - X_new) ** 2)

    ae = AutoencoderTransformer(4, random_state=5).fit(X)
    assert error(ae) < 1.1 * error(PCA(4).fit(X))


def test_categories_one_hot_encoded_are_rebuilt_far_better_than_by_pca():
    # Three categories of 4, 3 and 2 levels: 24 rows the data can take, each
    # about as common, 210 training rows. Their validation rows, held out
    # as a table's copies, were two or three of them unseen in training,
    # and early stopping kept the PCA start (held-out MSE 0.1294, PCA's).
    rng = np.random.default_rng(0)
    X = np.hstack([np.eye(k)[rng.integers(0, k, 300)] for k in (4, 3, 2)])
    X_train, X_test = X[:210], X[210:]

    def error(model):
        return np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)

    transformer = AutoencoderTransformer(2, random_state=0).fit(X_train)
    assert error(transformer) < 0.1 * error(PCA(2).fit(X_train))
