"""Neighbour-distance ideas for AutoencoderOutlierDetector, against masking.

An experiment for issue 26, not part of the package. Where the anomalies
form a cluster of their own in the training data (ADBench's 26_optdigits
and 28_pendigits: one digit class), they are each other's nearest
neighbours and are rebuilt well: the detector's neighbour distance misses
them. Subsampling is what lets IsolationForest see such clusters. The
variants below change only the neighbour part of the score; each is
computed from ONE default detector per dataset and seed, fitted as in
``adbench.py``:

  V0  the detector's score (-score_samples)
  V1  the neighbour distance searched among the (at most 2,048) rows that
      set the threshold, instead of the (at most 4,096) kept rows
  V2  V1 without the tenth of those rows that the network rebuilds worst
  V3  V0 and, when larger, a subsample ensemble (the mean, over disjoint
      blocks of 16 kept rows, of the distance to the nearest row of the
      block; LeSiNN, Pang et al. 2015), put on the errors' scale as the
      neighbour distance is (median and interquartile range)
  V4  V2 and V3's ensemble, on V2's reference rows
  V5  the subsample ensemble alone
  V6  V0 with the code bounds, the neighbours' reference rows, the
      distances' scale and the threshold set again from the three quarters
      of the kept rows that V0 finds least outlying (the share the trimmed
      loss keeps): a cluster of anomalies then no longer hides itself
  V7  V6 from the kept rows within V0's fence Q3 + 3 (Q3 - Q1) instead

Reported: mean ROC-AUC and AP on ADBench (all 43 datasets, the odd-numbered
development half, the even-numbered held-out half) and the mean ROC-AUC on
the tasks of ``outside_adbench.py``.

    python benchmarks/neighbour_ideas.py [--data-dir DIR] [--jobs 2]
"""

import copy
import multiprocessing
import warnings

import numpy as np
import torch
from _common import (
    adbench_names,
    environment,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from outside_adbench import tasks as outside_tasks
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderOutlierDetector
from sk_autoencoder._outlier import (
    MAX_THRESHOLD_ROWS,
    _center_and_spread,
    _n_kept_rows,
)
from sk_autoencoder._utils import spread_sample

VARIANTS = {
    "V0": "the detector's score",
    "V1": "neighbours among the threshold rows",
    "V2": "V1 without the worst-rebuilt tenth",
    "V3": "V0 and a subsample ensemble (blocks of 16), max",
    "V4": "V2 and the ensemble, max",
    "V5": "the subsample ensemble alone",
    "V6": "V0 set again from its least outlying three quarters",
    "V7": "V0 set again from the rows within a fence of 3 IQR",
}
N_NEIGHBORS = 10
BLOCK = 16
TRIMMED = 0.1
TYPICAL_SHARE = 0.75
TYPICAL_FENCE = 3.0


def distances(A, B):
    squared = (A * A).sum(1)[:, None] + (B * B).sum(1)[None] - 2 * A @ B.T
    return np.sqrt(np.maximum(squared, 0.0))


def mean_nearest(queries, reference, itself=None):
    """Mean distance to the ``N_NEIGHBORS`` nearest reference rows; a query
    that is reference row ``itself[i]`` (>= 0) does not count that row."""
    found = distances(queries, reference)
    if itself is not None:
        rows = np.flatnonzero(itself >= 0)
        found[rows, itself[rows]] = np.inf
    k = min(N_NEIGHBORS, len(reference) - 1)
    return np.partition(found, k, axis=1)[:, :k].mean(axis=1)


def block_nearest(queries, reference, rng, itself=None):
    """Mean over disjoint blocks of ``BLOCK`` reference rows of the distance
    to the block's nearest row (the row itself left out)."""
    n_blocks = max(len(reference) // BLOCK, 1)
    order = rng.permutation(len(reference))[: n_blocks * BLOCK]
    found = distances(queries, reference[order])
    if itself is not None:
        found[(itself[:, None] == order[None, :]) & (itself[:, None] >= 0)] = np.inf
    return found.reshape(len(queries), n_blocks, -1).min(axis=2).mean(axis=1)


def on_error_scale(errors, calibration, values):
    """``values`` mapped by the line that takes ``calibration``'s median and
    interquartile range to ``errors``', as the detector maps its distances."""
    error_center, error_spread = _center_and_spread(errors)
    center, spread = _center_and_spread(calibration)
    return error_center + error_spread / (spread or 1.0) * (values - center)


def variant_scores(X_train, X_test, seed):
    detector = AutoencoderOutlierDetector(random_state=seed).fit(X_train)
    kept_rows = spread_sample(np.arange(len(X_train)), _n_kept_rows(*X_train.shape))
    calibration = spread_sample(np.arange(len(kept_rows)), MAX_THRESHOLD_ROWS)
    scaler = detector._scaler()
    kept = scaler.transform_array(X_train[kept_rows])
    test = scaler.transform_array(X_test)
    rows = kept[calibration]
    errors = detector._clipped_error(X_train[kept_rows][calibration])
    test_errors = detector._clipped_error(X_test)
    rng = np.random.default_rng(seed)
    scores = {"V0": -detector.score_samples(X_test)}

    def with_neighbours(reference, itself):
        near = on_error_scale(
            errors, mean_nearest(rows, reference, itself), mean_nearest(test, reference)
        )
        return np.maximum(test_errors, near)

    def ensemble(reference, itself):
        return on_error_scale(
            errors,
            block_nearest(rows, reference, rng, itself),
            block_nearest(test, reference, rng),
        )

    everyone = np.arange(len(rows))
    scores["V1"] = with_neighbours(rows, everyone)
    kept_ones = errors <= np.quantile(errors, 1 - TRIMMED)
    position = np.full(len(rows), -1)
    position[kept_ones] = np.arange(kept_ones.sum())
    scores["V2"] = with_neighbours(rows[kept_ones], position)
    blocks = ensemble(kept, calibration)
    scores["V3"] = np.maximum(scores["V0"], blocks)
    scores["V4"] = np.maximum(scores["V2"], ensemble(rows[kept_ones], position))
    scores["V5"] = block_nearest(test, kept, rng)
    outlyingness = -detector.score_samples(X_train[kept_rows])
    q1, q3 = np.percentile(outlyingness, [25, 75])
    for v, typical in (
        ("V6", outlyingness <= np.quantile(outlyingness, TYPICAL_SHARE)),
        ("V7", outlyingness <= q3 + TYPICAL_FENCE * (q3 - q1)),
    ):
        again = copy.deepcopy(detector)
        # Set from the typical rows alone: a detector that has kept rows
        # counts them with new ones, as after partial_fit.
        del again._kept_rows_
        again._fit_after_training(X_train[kept_rows][typical])
        scores[v] = -again.score_samples(X_test)
    return scores


def evaluate(X, y, seeds, scores_of=variant_scores):
    """ROC-AUC and AP of each variant that ``scores_of(X_train, X_test,
    seed)`` scores, mean over seeds."""
    found = {}
    for seed in seeds:
        X_train, X_test, _, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        scaler = StandardScaler().fit(X_train)
        scores = scores_of(scaler.transform(X_train), scaler.transform(X_test), seed)
        for v, s in scores.items():
            found.setdefault(v, []).append(
                (roc_auc_score(y_test, s), average_precision_score(y_test, s))
            )
    return {v: np.mean(values, axis=0) for v, values in found.items()}


def run_adbench(task, scores_of=variant_scores):
    data_dir, name = task
    return name, evaluate(*load_adbench(data_dir, name), (0, 1, 2), scores_of)


def run_outside(task, scores_of=variant_scores):
    name, normal, anomalies = task
    X = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(len(normal)), np.ones(len(anomalies))]
    return name, evaluate(X, y, (0, 1), scores_of)


def initialize():
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    threadpool_limits(1)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--output", default="neighbour_ideas.md")
    args = p.parse_args()
    names = adbench_names(args.data_dir)
    with multiprocessing.Pool(args.jobs, initializer=initialize) as pool:
        adbench = dict(pool.map(run_adbench, [(args.data_dir, n) for n in names]))
        outside = dict(
            pool.map(run_outside, list(outside_tasks(np.random.default_rng(0))))
        )
    development = [n for n in names if int(n.split("_")[0]) % 2 == 1]
    held_out = [n for n in names if int(n.split("_")[0]) % 2 == 0]
    rows = []
    for v, label in VARIANTS.items():
        row = [f"{v} {label}"]
        for subset in (names, development, held_out):
            means = np.mean([adbench[n][v] for n in subset], axis=0)
            row += [f"{means[0]:.4f}", f"{means[1]:.4f}"]
        row.append(f"{np.mean([outside[t][v][0] for t in outside]):.4f}")
        rows.append(row)
    header = ["variant"]
    for part in ("ADBench", "development", "held out"):
        header += [f"{part} ROC-AUC", f"{part} AP"]
    header.append("outside ADBench ROC-AUC")
    per_dataset = [[n] + [f"{adbench[n][v][0]:.3f}" for v in VARIANTS] for n in names]
    text = (
        "# Neighbour-distance ideas for AutoencoderOutlierDetector\n\n"
        f"{environment()}\n\n"
        "ADBench: 43 datasets x seeds 0-2, development = odd numbers, held out "
        "= even; outside ADBench: the tasks of outside_adbench.py, seeds 0-1. "
        "Means over seeds, then datasets. See the script's docstring for the "
        "variants.\n\n"
        + markdown_table(header, rows)
        + "\n\n## ROC-AUC per ADBench dataset\n\n"
        + markdown_table(["dataset", *VARIANTS], per_dataset)
        + "\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
