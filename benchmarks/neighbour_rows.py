"""Which training rows should the detector's neighbour search hold?

An experiment for issue 26, not part of the package; the rule it chose was
not adopted (see the pulsed signal below). ADBench's 16_http holds 2,211
anomalies in 72 distinct rows: mixed into the training rows, they are each
other's near neighbours, and a new one is as near to the training rows as
a normal row is. Leaving rows out of the search undoes that, if the rows
left out are the outliers and not the normal rows far out along the data
(see ``typical_rows.py``, which left out the rows the detector's own score
finds most outlying, and lost on low-rank data outside ADBench). Here the
rows left out are those the network rebuilds worst, from one default
detector per dataset and seed (fitted as in ``adbench.py``), the score
being the detector's: the worse of the clipped reconstruction error and
the mean distance to the 10 nearest searched rows, mapped onto the errors'
scale by matching medians and interquartile ranges. Variants:

  V0     the detector's score
  none   this script's copy of it (without its handling of copied rows)
  Q90, Q99  the distances mapped by matching the median and the 90th or
         99th percentile instead of the interquartile range
  P@T    the parts P set from the typical kept rows T alone: B the code
         bounds, R the rows searched, C the rows whose errors and
         distances set the distances' scale. T: u0.75, u0.9 the share of
         the rows with the smallest unclipped reconstruction error
         (codes not clipped); ufence2, ufence3 those within
         median + 2 (or 3) times the lower half's spread of those errors,
         at most a quarter left out (the trimmed loss's fence); c0.75,
         cfence2 the same by the clipped error.

Reported: mean ROC-AUC and AP on ADBench (all 43 datasets, the
odd-numbered development half, the even-numbered held-out half) and on the
tasks of ``outside_adbench.py``; rules are chosen on the development half.
Both protocols train on data with the anomalies mixed in. A third check
trains on clean data, as a user who knows a stretch of a signal is normal
does (found by a new-user hunt): sliding windows (32 points) of a sensor
idle at zero with a normal pulse every 80-220 points; the detector is
fitted on the windows of the first 4,000 points and scores those of the
next 4,000, where 8 pulses have an odd shape (inverted, doubled, widened,
a flat blip); noise of std 0.01 and 0.1, seeds 0-2.

    python benchmarks/neighbour_rows.py [--data-dir DIR] [--jobs 2]
"""

import multiprocessing
from functools import partial

import numpy as np
from _common import adbench_names, environment, markdown_table, parser, write_result
from neighbour_ideas import (
    initialize,
    mean_nearest,
    run_adbench,
    run_outside,
)
from numpy.lib.stride_tricks import sliding_window_view
from outside_adbench import tasks as outside_tasks
from sklearn.metrics import average_precision_score, roc_auc_score
from typical_rows import Parts

from sk_autoencoder._outlier import (
    lower_half_fence,
)

VARIANTS = ["V0", "none", "Q90", "Q99"]
VARIANTS += ["R@u0.75", "R@u0.9", "R@ufence2", "R@ufence3"]
VARIANTS += ["RC@ufence2", "BR@ufence2", "BRC@ufence2", "R@c0.75", "R@cfence2"]
SHOWN = ["V0", "R@ufence2", "BR@ufence2", "R@c0.75"]


def within_fence(errors, factor):
    fence = max(lower_half_fence(errors, factor), np.quantile(errors, 0.75))
    return errors <= fence


def variant_scores(X_train, X_test, seed):
    setup = Parts(X_train, X_test, seed)
    detector, everyone = setup.detector, setup.everyone
    error, score, calibration = setup.error, setup.score, setup.calibration
    X_kept, kept, test = setup.X_kept, setup.kept, setup.test
    scores = {"V0": -detector.score_samples(X_test)}
    scores["none"] = score(everyone, everyone, everyone)
    scale = np.flatnonzero(calibration)
    errors = error(X_kept[scale], everyone)
    distances = mean_nearest(kept[scale], kept, scale)
    test_errors, test_distances = error(X_test, everyone), mean_nearest(test, kept)
    for name, q in (("Q90", 90), ("Q99", 99)):
        error_median, error_q = np.median(errors), np.percentile(errors, q)
        median, upper = np.median(distances), np.percentile(distances, q)
        slope = (error_q - error_median) / ((upper - median) or 1.0)
        scores[name] = np.maximum(
            test_errors, error_median + slope * (test_distances - median)
        )
    unclipped = np.sqrt(detector._reconstruction_error(X_kept))
    clipped = error(X_kept, everyone)
    typical = {
        "u0.75": unclipped <= np.quantile(unclipped, 0.75),
        "u0.9": unclipped <= np.quantile(unclipped, 0.9),
        "ufence2": within_fence(unclipped, 2.0),
        "ufence3": within_fence(unclipped, 3.0),
        "c0.75": clipped <= np.quantile(clipped, 0.75),
        "cfence2": within_fence(clipped, 2.0),
    }
    for variant in VARIANTS:
        parts, _, at = variant.partition("@")
        if not at:
            continue
        rows = typical[at] if (typical[at] & calibration).sum() >= 3 else everyone
        scores[variant] = score(*[rows if p in parts else everyone for p in "BRC"])
    return scores


def pulse_windows(seed, noise, width=32, n=8000):
    """Training windows of an idle signal with normal pulses, and test
    windows with some pulses of an odd shape, with their labels."""
    rng = np.random.default_rng(seed)
    signal = np.zeros(n)
    pulse = 2 * np.sin(np.linspace(0, np.pi, 20))
    starts = np.cumsum(rng.integers(80, 220, 100))
    starts = starts[starts < n - 50]
    for start in starts:
        signal[start : start + 20] += pulse
    signal += noise * rng.normal(size=n)
    odd = np.zeros(n, dtype=bool)
    shapes = [
        -pulse,
        2 * pulse,
        2 * np.sin(np.linspace(0, np.pi, 40)),
        0.7 * np.ones(5),
    ]
    for start in starts[(starts > 4200) & (starts < 7800)][::3][:8]:
        shape = shapes[rng.integers(0, 4)]
        signal[start - 5 : start + 45] = noise * rng.normal(size=50)
        signal[start : start + len(shape)] += shape
        odd[start : start + len(shape)] = True
    windows = sliding_window_view(signal, width)
    labels = sliding_window_view(odd, width).any(axis=1)
    first_test = 4000 - width + 1
    return windows[:first_test], windows[first_test:], labels[first_test:]


def run_pulses(task):
    seed, noise = task
    X_train, X_test, y_test = pulse_windows(seed, noise)
    scores = variant_scores(X_train, X_test, seed)
    return task, {
        v: (roc_auc_score(y_test, s), average_precision_score(y_test, s))
        for v, s in scores.items()
    }


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--output", default="neighbour_rows.md")
    args = p.parse_args()
    names = adbench_names(args.data_dir)
    with multiprocessing.Pool(args.jobs, initializer=initialize) as pool:
        tasks = [(args.data_dir, n) for n in names]
        on_adbench = partial(run_adbench, scores_of=variant_scores)
        adbench = dict(pool.map(on_adbench, tasks, chunksize=1))
        outside = list(outside_tasks(np.random.default_rng(0)))
        on_outside = partial(run_outside, scores_of=variant_scores)
        outside = dict(pool.map(on_outside, outside, chunksize=1))
        pulse_tasks = [(seed, noise) for seed in (0, 1, 2) for noise in (0.01, 0.1)]
        pulses = dict(pool.map(run_pulses, pulse_tasks, chunksize=1))
    development = [n for n in names if int(n.split("_")[0]) % 2 == 1]
    held_out = [n for n in names if int(n.split("_")[0]) % 2 == 0]
    rows = []
    for v in VARIANTS:
        row = [v]
        for results, subset in (
            (adbench, names),
            (adbench, development),
            (adbench, held_out),
            (outside, list(outside)),
            (pulses, list(pulses)),
        ):
            means = np.mean([results[n][v] for n in subset], axis=0)
            row += [f"{means[0]:.4f}", f"{means[1]:.4f}"]
        gain = np.array([adbench[n][v][0] - adbench[n]["V0"][0] for n in names])
        row.append(f"{(gain > 0).sum()} / {(gain < 0).sum()}")
        rows.append(row)
    header = ["variant"]
    parts = ("ADBench", "development", "held out", "outside ADBench", "pulses")
    for part in parts:
        header += [f"{part} ROC-AUC", f"{part} AP"]
    header.append("ADBench datasets above / below V0 (ROC-AUC)")

    def per_task(results):
        return [
            [", ".join(map(str, t)) if isinstance(t, tuple) else t]
            + [f"{results[t][v][0]:.3f} / {results[t][v][1]:.3f}" for v in SHOWN]
            for t in results
        ]

    text = (
        "# Which training rows the detector's neighbour search holds\n\n"
        f"{environment()}\n\n"
        "ADBench: 43 datasets x seeds 0-2, development = odd numbers, held out "
        "= even; outside ADBench: the tasks of outside_adbench.py, seeds 0-1. "
        "Means over seeds, then datasets; pulses: the clean-training windows "
        "of a pulsed signal, six runs. See the script's docstring for the "
        "variants.\n\n"
        + markdown_table(header, rows)
        + "\n\n## Clean training windows of a pulsed signal (ROC-AUC / AP)\n\n"
        + markdown_table(["seed, noise", *SHOWN], per_task(pulses))
        + "\n\n## Outside ADBench, per task (ROC-AUC / AP)\n\n"
        + markdown_table(["task", *SHOWN], per_task(outside))
        + "\n\n## ADBench, per dataset (ROC-AUC / AP)\n\n"
        + markdown_table(["dataset", *SHOWN], per_task(adbench))
        + "\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
