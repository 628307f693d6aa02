"""Anomaly detection on ADBench: AutoencoderOutlierDetector vs the anchors.

The protocol of ``../shared/datasets/adbench/README.md``: per seed a
stratified 70/30 split (datasets over 20,000 rows subsampled to 20,000
first), a StandardScaler fit on the training rows, fit without labels,
ROC-AUC and average precision on the test rows, means over seeds. Every
method runs with its defaults on one torch thread and one BLAS thread.

The anchors are the unsupervised detectors a user would otherwise pick:
IsolationForest (scikit-learn) and, through PyOD (the ``benchmark``
extra), MCD, COPOD, ECOD, HBOS, CBLOF, OCSVM, kNN, PCA, LOF and VAE. A fit
that runs over ``--time-limit`` seconds is stopped and counted as chance
(ROC-AUC 0.5, AP the share of anomalies, nothing flagged), as is one that
raises or gives scores that are not all finite; the summary says how
often. The limit is an alarm, which waits for a running C call (libsvm's,
in OCSVM) to return before it stops the fit. Beside the means, the
summary gives each method's average rank by ROC-AUC over the datasets,
the datasets where ours has the higher ROC-AUC, the two-sided Wilcoxon
signed-rank p-value of ours against it (per-dataset means), and the
precision, recall and F1 of ``predict`` with the method's own default
threshold (ours and IsolationForest
``contamination="auto"``, PyOD's contamination 0.1).

``--constants`` overrides module constants of the detector
(``sk_autoencoder._outlier``, or of its training,
``sk_autoencoder._skorch``), for ablations of choices that are not
parameters: ``'{"NOISE_LEVEL": 0}'`` trains without noise,
``'{"TRIM_FENCE": 0}'`` leaves the worst-rebuilt quarter of each batch
out of the loss, as before the fence.

``pca_error`` (PCA's reconstruction error with a code of half the
features), ``knn_mean`` (mean distance to the 10 nearest training rows),
``ours_quantile`` (ours after a QuantileTransformer to normal margins)
and ``ae`` (PyOD's AutoEncoder) are there on request.

    python benchmarks/adbench.py [--data-dir DIR] [--seeds 0 1 2]
        [--methods ours iforest mcd ...] [--params '{"max_iter": 20}']
        [--constants '{"NOISE_LEVEL": 0}'] [--time-limit 180] [--jobs 2]
"""

import json
import multiprocessing
import signal
import time
import warnings

import numpy as np
import torch
from _common import (
    KNNDistance,
    adbench_names,
    environment,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from scipy.stats import rankdata, wilcoxon
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from threadpoolctl import threadpool_limits

import sk_autoencoder._outlier as outlier_module
import sk_autoencoder._skorch as skorch_module
from sk_autoencoder import AutoencoderOutlierDetector


class PCAReconstruction:
    """PCA's reconstruction error as an outlier score (higher = more normal).

    The code is as wide as our detector's default: half the features.
    """

    def fit(self, X):
        n_components = max(1, X.shape[1] // 2)
        self.pca_ = PCA(min(n_components, X.shape[0])).fit(X)
        return self

    def score_samples(self, X):
        rebuilt = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.mean((X - rebuilt) ** 2, axis=1)


class PyOD:
    """A PyOD detector with its defaults, as a scikit-learn outlier detector:
    higher ``score_samples`` = more normal, ``predict`` -1 for outliers."""

    def __init__(self, name, **params):
        import importlib

        module, cls = PYOD_DETECTORS[name]
        self.model = getattr(importlib.import_module(f"pyod.models.{module}"), cls)(
            **params
        )

    def fit(self, X):
        self.model.fit(X)
        return self

    def score_samples(self, X):
        return -self.model.decision_function(X)

    def predict(self, X):
        return np.where(self.model.predict(X) == 1, -1, 1)


PYOD_DETECTORS = {
    "mcd": ("mcd", "MCD"),
    "copod": ("copod", "COPOD"),
    "ecod": ("ecod", "ECOD"),
    "hbos": ("hbos", "HBOS"),
    "cblof": ("cblof", "CBLOF"),
    "ocsvm": ("ocsvm", "OCSVM"),
    "knn": ("knn", "KNN"),
    "pca": ("pca", "PCA"),
    "lof": ("lof", "LOF"),
    "vae": ("vae", "VAE"),
    "ae": ("auto_encoder", "AutoEncoder"),
}
SEEDED = {"mcd", "cblof", "pca", "vae", "ae"}
QUIET = {"vae", "ae"}
ANCHORS = ["iforest", "mcd", "copod", "ecod", "hbos", "cblof", "ocsvm", "knn"]
ANCHORS += ["pca", "lof", "vae"]


def make(method, seed, params):
    if method == "ours":
        return AutoencoderOutlierDetector(random_state=seed, **params)
    if method == "ours_quantile":
        return make_pipeline(
            QuantileTransformer(output_distribution="normal", random_state=seed),
            AutoencoderOutlierDetector(random_state=seed, **params),
        )
    if method == "iforest":
        return IsolationForest(random_state=seed)
    if method == "pca_error":
        return PCAReconstruction()
    if method == "knn_mean":
        return KNNDistance()
    if method in PYOD_DETECTORS:
        extra = {"random_state": seed} if method in SEEDED else {}
        if method in QUIET:
            extra["verbose"] = 0
        return PyOD(method, **extra)
    raise ValueError(f"unknown method {method!r}")


class FitTimeout(Exception):
    pass


# Constants the detector's class binds at import, as its hooks of the
# base: a new value of the module's constant alone would not reach them.
CLASS_BOUND = {
    "AUTO_MAX_UPDATES": "_auto_max_updates",
    "AUTO_MAX_EPOCHS": "_auto_max_epochs",
    "MAX_AUTO_COMPONENTS": "_auto_max_components",
}


def _raise_timeout(signum, frame):
    raise FitTimeout


def fit_within(model, X, seconds):
    """Fit ``model``; False if it ran over ``seconds`` (then it is stopped)."""
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        model.fit(X)
        return True
    except FitTimeout:
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_dataset(task):
    """The records of one dataset: every method and seed."""
    data_dir, name, methods, seeds, params, time_limit = task
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    records = []
    X, y = load_adbench(data_dir, name)
    with threadpool_limits(1):
        for seed in seeds:
            X_train, X_test, _, y_test = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
            for method in methods:
                records.append(
                    evaluate(method, seed, params, time_limit, X_train, X_test, y_test)
                )
                records[-1]["dataset"] = name
    return records


_WARMED_UP = set()


def warm_up(method, params):
    """Fit once, untimed, on a small array: imports and numba's compilation
    happen once per process, not in the first timed fit."""
    if method not in _WARMED_UP:
        X = np.random.default_rng(0).normal(size=(200, 4))
        make(method, 0, params).fit(X)
        _WARMED_UP.add(method)


def evaluate(method, seed, params, time_limit, X_train, X_test, y_test):
    warm_up(method, params)
    model = make(method, seed, params)
    start = time.perf_counter()
    try:
        finished = fit_within(model, X_train, time_limit)
        error = None
    except Exception as exception:  # a method's own failure, counted below
        finished, error = True, exception
    record = {
        "method": method,
        "seed": seed,
        "fit_seconds": time.perf_counter() - start,
        "timed_out": not finished,
    }
    scores = model.score_samples(X_test) if finished and error is None else None
    # A fit that raised, or whose scores are not all finite (PyOD's PCA on
    # 5_campaign), counts as chance, as a fit over the time limit does.
    record["failed"] = error is not None or (
        scores is not None and not np.isfinite(scores).all()
    )
    has_predict = hasattr(model, "predict")
    if finished and not record["failed"]:
        record["roc_auc"] = roc_auc_score(y_test, -scores)
        record["ap"] = average_precision_score(y_test, -scores)
        flagged = model.predict(X_test) == -1 if has_predict else None
    else:
        record["roc_auc"], record["ap"] = 0.5, float(np.mean(y_test))
        flagged = np.zeros(len(y_test), dtype=bool) if has_predict else None
    if flagged is not None:
        record["precision"] = precision_score(y_test, flagged, zero_division=0)
        record["recall"] = recall_score(y_test, flagged)
        record["f1"] = f1_score(y_test, flagged)
    return record


def summarize(records, methods):
    names = list(dict.fromkeys(r["dataset"] for r in records))

    def mean_of(name, method, key):
        values = [
            r[key] for r in records if r["dataset"] == name and r["method"] == method
        ]
        return float(np.mean(values))

    roc = {m: np.array([mean_of(n, m, "roc_auc") for n in names]) for m in methods}
    ap = {m: np.array([mean_of(n, m, "ap") for n in names]) for m in methods}
    # Rank 1 is the best ROC-AUC on a dataset; ties share their mean rank.
    ranks = np.array(
        [rankdata([-roc[m][i] for m in methods]) for i in range(len(names))]
    )
    rows = [
        [name] + [f"{roc[m][i]:.3f} / {ap[m][i]:.3f}" for m in methods]
        for i, name in enumerate(names)
    ]
    detail = markdown_table(["dataset"] + [f"{m} ROC / AP" for m in methods], rows)

    summary_rows = []
    for j, method in enumerate(methods):
        own = [r for r in records if r["method"] == method]
        wins = p_value = ""
        if "ours" in methods and method != "ours":
            wins = f"{int(np.sum(roc['ours'] > roc[method]))}/{len(names)}"
            differs = roc["ours"] != roc[method]
            if differs.any():
                p_value = f"{wilcoxon(roc['ours'], roc[method]).pvalue:.2g}"
        threshold = ["-", "-", "-"]
        if "f1" in own[0]:
            threshold = [
                f"{np.mean([r[k] for r in own]):.3f}"
                for k in ("precision", "recall", "f1")
            ]
        summary_rows.append(
            [
                method,
                f"{roc[method].mean():.3f}",
                f"{ap[method].mean():.3f}",
                f"{ranks[:, j].mean():.2f}",
                wins,
                p_value,
                *threshold,
                f"{sum(r['fit_seconds'] for r in own):.1f}",
                str(sum(r["timed_out"] for r in own)),
                str(sum(r["failed"] for r in own)),
            ]
        )
    summary_rows.sort(key=lambda row: -float(row[1]))
    header = [
        "method",
        "mean ROC-AUC",
        "mean AP",
        f"average rank (of {len(methods)})",
        "datasets where ours has the higher ROC-AUC",
        "Wilcoxon p, ours vs it",
        "predict precision",
        "predict recall",
        "predict F1",
        "total fit s",
        "fits over the time limit",
        "fits with non-finite scores",
    ]
    return markdown_table(header, summary_rows), detail


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=["ours", *ANCHORS])
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--params", type=json.loads, default={})
    p.add_argument("--constants", type=json.loads, default={})
    p.add_argument("--time-limit", type=float, default=180.0)
    p.add_argument("--jobs", type=int, default=1, help="datasets run in parallel")
    p.add_argument("--output", default="adbench.md")
    args = p.parse_args()
    for constant, value in args.constants.items():
        module = next(
            (m for m in (outlier_module, skorch_module) if hasattr(m, constant)), None
        )
        if module is None:
            p.error(f"sk_autoencoder._outlier and _skorch have no constant {constant}")
        # The pool forks after this: every worker sees the new value.
        setattr(module, constant, value)
        if constant in CLASS_BOUND:
            setattr(AutoencoderOutlierDetector, CLASS_BOUND[constant], value)
    names = args.datasets or adbench_names(args.data_dir)
    if not names:
        p.error(f"no ADBench datasets (.npz) in {args.data_dir}; pass --data-dir")
    tasks = [
        (args.data_dir, name, args.methods, args.seeds, args.params, args.time_limit)
        for name in names
    ]
    records = []
    with multiprocessing.get_context("fork").Pool(
        args.jobs, maxtasksperchild=1
    ) as pool:
        for dataset_records in pool.imap(run_dataset, tasks):
            records += dataset_records
            for r in dataset_records:
                print(
                    f"{r['dataset']:<22} {r['method']:<8} seed {r['seed']}"
                    f"  ROC {r['roc_auc']:.3f}  AP {r['ap']:.3f}"
                    f"  fit {r['fit_seconds']:.2f}s"
                    + ("  (over the time limit)" if r["timed_out"] else ""),
                    flush=True,
                )
    summary, detail = summarize(records, args.methods)
    text = (
        "# ADBench: AutoencoderOutlierDetector vs the anchors\n\n"
        f"{environment()}\n\nSeeds {args.seeds}; detector parameters "
        f"{args.params or 'defaults'}"
        + (f", module constants {args.constants}" if args.constants else "")
        + "; every method with its defaults, torch and "
        f"BLAS on one thread; {args.jobs} dataset(s) at a time; a fit over "
        f"{args.time_limit:g} s counts as chance.\n\n{summary}\n\n"
        f"## Per dataset (mean over seeds)\n\n{detail}\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
