"""Anomaly detection on ADBench: AutoencoderOutlierDetector vs the baselines.

The protocol of ``../shared/datasets/adbench/README.md``: per seed a
stratified 70/30 split (datasets over 20,000 rows subsampled to 20,000
first), a StandardScaler fit on the training rows, fit without labels,
ROC-AUC and average precision on the test rows, means over seeds. Every
method runs with its defaults on one torch thread and one BLAS thread.

The kNN detector (mean distance to the 10 nearest training rows) is there
to show what the detector's neighbour distance alone would do.

    python benchmarks/adbench.py [--data-dir DIR] [--seeds 0 1 2]
        [--methods ours iforest pca pyod knn] [--params '{"max_iter": 20}']
"""

import json
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
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import (
    average_precision_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

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


class PyODAutoEncoder:
    """PyOD's AutoEncoder with its defaults, scores flipped to higher = normal."""

    def __init__(self, random_state):
        from pyod.models.auto_encoder import AutoEncoder

        self.model = AutoEncoder(random_state=random_state, verbose=0)

    def fit(self, X):
        self.model.fit(X)
        return self

    def score_samples(self, X):
        return -self.model.decision_function(X)


def make(method, seed, params):
    if method == "ours":
        return AutoencoderOutlierDetector(random_state=seed, **params)
    if method == "iforest":
        return IsolationForest(random_state=seed)
    if method == "pca":
        return PCAReconstruction()
    if method == "pyod":
        return PyODAutoEncoder(random_state=seed)
    if method == "knn":
        return KNNDistance()
    raise ValueError(f"unknown method {method!r}")


def run(data_dir, names, methods, seeds, params):
    """Yield one record per dataset, method and seed."""
    for name in names:
        X, y = load_adbench(data_dir, name)
        for seed in seeds:
            X_train, X_test, _, y_test = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
            for method in methods:
                model = make(method, seed, params)
                start = time.perf_counter()
                model.fit(X_train)
                fit_seconds = time.perf_counter() - start
                scores = model.score_samples(X_test)
                record = {
                    "dataset": name,
                    "method": method,
                    "seed": seed,
                    "roc_auc": roc_auc_score(y_test, -scores),
                    "ap": average_precision_score(y_test, -scores),
                    "fit_seconds": fit_seconds,
                }
                if method == "ours":
                    flagged = model.predict(X_test) == -1
                    record["precision"] = precision_score(
                        y_test, flagged, zero_division=0
                    )
                    record["recall"] = recall_score(y_test, flagged)
                    record["normal_flagged"] = flagged[y_test == 0].mean()
                yield record


def summarize(records, methods):
    names = list(dict.fromkeys(r["dataset"] for r in records))

    def mean_of(name, method, key):
        values = [
            r[key] for r in records if r["dataset"] == name and r["method"] == method
        ]
        return float(np.mean(values))

    per_dataset = {
        (name, method, key): mean_of(name, method, key)
        for name in names
        for method in methods
        for key in ("roc_auc", "ap", "fit_seconds")
    }
    rows = []
    for name in names:
        row = [name]
        for method in methods:
            row += [
                f"{per_dataset[name, method, 'roc_auc']:.3f}",
                f"{per_dataset[name, method, 'ap']:.3f}",
            ]
        rows.append(row)
    header = ["dataset"] + [f"{m} {k}" for m in methods for k in ("ROC", "AP")]
    detail = markdown_table(header, rows)

    summary_rows = []
    for method in methods:
        roc = [per_dataset[n, method, "roc_auc"] for n in names]
        ap = [per_dataset[n, method, "ap"] for n in names]
        total_fit = sum(r["fit_seconds"] for r in records if r["method"] == method)
        wins = ""
        if "iforest" in methods and method != "iforest":
            iforest = [per_dataset[n, "iforest", "roc_auc"] for n in names]
            wins = (
                f"{sum(a > b for a, b in zip(roc, iforest, strict=True))}/{len(names)}"
            )
        summary_rows.append(
            [
                method,
                f"{np.mean(roc):.3f}",
                f"{np.mean(ap):.3f}",
                wins,
                f"{total_fit:.1f}",
            ]
        )
    summary = markdown_table(
        ["method", "mean ROC-AUC", "mean AP", "ROC wins vs iforest", "total fit s"],
        summary_rows,
    )
    ours = [r for r in records if r["method"] == "ours"]
    flagged = ""
    if ours:
        flagged = (
            "\n\n`predict` of ours with contamination='auto' on the test rows: mean "
            f"precision {np.mean([r['precision'] for r in ours]):.3f}, mean recall "
            f"{np.mean([r['recall'] for r in ours]):.3f}; share of normal rows "
            f"flagged {np.mean([r['normal_flagged'] for r in ours]):.3f} (means over "
            "datasets and seeds)."
        )
    return summary + flagged, detail


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument(
        "--methods", nargs="+", default=["ours", "iforest", "pca", "pyod", "knn"]
    )
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--params", type=json.loads, default={})
    p.add_argument("--output", default="adbench.md")
    args = p.parse_args()
    names = args.datasets or adbench_names(args.data_dir)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    records = []
    with threadpool_limits(1):
        for record in run(args.data_dir, names, args.methods, args.seeds, args.params):
            records.append(record)
            print(
                f"{record['dataset']:<22} {record['method']:<8} seed {record['seed']}"
                f"  ROC {record['roc_auc']:.3f}  AP {record['ap']:.3f}"
                f"  fit {record['fit_seconds']:.2f}s",
                flush=True,
            )
    summary, detail = summarize(records, args.methods)
    text = (
        "# ADBench: AutoencoderOutlierDetector vs baselines\n\n"
        f"{environment()}\n\nSeeds {args.seeds}; detector parameters "
        f"{args.params or 'defaults'}; torch and BLAS on one thread for every "
        f"method.\n\n{summary}\n\n## Per dataset (mean over seeds)\n\n{detail}\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
