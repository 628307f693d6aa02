"""The detector's training budget on wide data, outside ADBench.

``max_iter="auto"`` stops AutoencoderOutlierDetector after the updates that
pass ``AUTO_MAX_ENTRIES`` values (rows times features) through the network.
It was chosen on ADBench, whose only data it shortens is 17_InternetAds
(1,555 features); this script checks it on wide tasks that are not in
ADBench, against the budget before it (the same detector with the bound set
out of reach) and IsolationForest:

- digits-d x1024: the tasks digits-d of outside_adbench.py (the nine other
  classes normal, 5 % as many rows of class d as anomalies), each image
  mapped to 1,024 features by one fixed random ReLU layer;
- lowrank-2000: 3,000 rows near a 5-dimensional curved surface in 2,000
  dimensions, plus 100 rows off it.

Each task is split 70 / 30 (stratified) for two seeds and standardized on
the training rows, as in the ADBench protocol; test ROC-AUC and average
precision are means over seeds, fit seconds the median, epochs those of
seed 0. Torch and BLAS on one thread.

    python benchmarks/detector_wide.py
"""

import time

import numpy as np
import torch
from _common import environment, markdown_table, write_result
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderOutlierDetector, _outlier

SEEDS = (0, 1)
BUDGETS = {"before (no bound on values)": 2**62, "now": _outlier.AUTO_MAX_ENTRIES}


def tasks(rng):
    X, y = load_digits(return_X_y=True)
    features = rng.normal(size=(X.shape[1], 1024)) / np.sqrt(X.shape[1])
    for digit in range(10):
        normal = X[y != digit]
        anomalies = X[y == digit]
        picked = rng.choice(len(anomalies), int(0.05 * len(normal)), replace=False)
        rows = np.vstack([normal, anomalies[picked]])
        yield f"digits-{digit} x1024", np.maximum(rows @ features, 0), len(normal)
    basis = rng.normal(size=(5, 2000))
    normal = np.tanh(rng.normal(size=(3000, 5))) @ basis
    anomalies = 0.5 * rng.normal(size=(100, 5)) @ basis
    anomalies += 0.3 * rng.normal(size=anomalies.shape)
    rows = np.vstack([normal, anomalies]) + 0.1 * rng.normal(size=(3100, 2000))
    yield "lowrank-2000", rows, len(normal)


def detectors(seed):
    for name, entries in BUDGETS.items():
        _outlier.AUTO_MAX_ENTRIES = entries
        yield name, AutoencoderOutlierDetector(random_state=seed)
    yield "IsolationForest", IsolationForest(random_state=seed)


def evaluate(X, n_normal):
    y = np.arange(len(X)) >= n_normal
    figures = {}
    for seed in SEEDS:
        X_train, X_test, _, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        for name, model in detectors(seed):
            start = time.perf_counter()
            model.fit(X_train)
            seconds = time.perf_counter() - start
            outlyingness = -model.score_samples(X_test)
            figures.setdefault(name, []).append(
                (
                    roc_auc_score(y_test, outlyingness),
                    average_precision_score(y_test, outlyingness),
                    seconds,
                    getattr(model, "n_iter_", "-"),
                )
            )
    return figures


def main():
    torch.set_num_threads(1)
    rows, totals = [], {}
    with threadpool_limits(1):
        for task, X, n_normal in tasks(np.random.default_rng(0)):
            for name, runs in evaluate(X, n_normal).items():
                roc, ap, seconds, epochs = zip(*runs, strict=True)
                figures = (np.mean(roc), np.mean(ap), np.median(seconds))
                totals.setdefault(name, []).append(figures)
                roc, ap, seconds = figures
                rows.append(
                    [task, name, f"{roc:.3f}", f"{ap:.3f}", f"{seconds:.2f}", epochs[0]]
                )
                print(rows[-1], flush=True)
    for name, figures in totals.items():
        roc, ap, seconds = np.array(figures).T
        means = [f"**{roc.mean():.4f}**", f"**{ap.mean():.4f}**"]
        rows.append(["**all**", name, *means, f"**{seconds.sum():.1f}**", ""])
    write_result(
        "detector_wide.md",
        "# The detector's training budget on wide data outside ADBench\n\n"
        f"{environment()}\n\n"
        f"Seeds {list(SEEDS)}; see the script's docstring for the tasks. The "
        "last rows give the mean ROC-AUC and AP over tasks and the total of "
        "the median fit seconds.\n\n"
        + markdown_table(
            ["task", "detector", "ROC-AUC", "AP", "fit s", "epochs (seed 0)"], rows
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
