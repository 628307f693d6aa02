"""Setting AutoencoderOutlierDetector again from its typical rows: which part
gains on ADBench, and which loses outside it.

An experiment for issue 26, not part of the package. In
``neighbour_ideas.py``, V6 sets the code bounds, the neighbours' reference
rows and the distances' scale again from the three quarters of the kept
training rows that the detector finds least outlying: it raised ADBench's
mean ROC-AUC and AP, and lowered the tasks' of ``outside_adbench.py``.
Here each of the three parts is set from the typical rows alone or with
the others, from one default detector per dataset and seed (fitted as in
``adbench.py``), the score being the detector's: the worse of the
clipped reconstruction error and the mean distance to the 10 nearest
reference rows, mapped onto the errors' scale by matching medians and
interquartile ranges. Parts:

  B  the code bounds (the 10 % and 90 % quantiles of the codes)
  R  the reference rows of the neighbour search
  C  the rows whose errors and distances set the distances' scale

B and C are set from the (at most 2,048) rows among the kept ones that
set them in the detector, R from the kept rows, or from the typical ones
among those: the least outlying share (0.75, 0.9, 0.95) of the kept
rows, or those the detector's own ``predict`` keeps ("fence"). "none"
sets no part from the typical rows: this script's copy of the detector's
score, without its handling of copied rows.

    python benchmarks/typical_rows.py [--data-dir DIR] [--jobs 2]
"""

import multiprocessing
from functools import partial

import numpy as np
from _common import (
    adbench_names,
    environment,
    markdown_table,
    parser,
    write_result,
)
from neighbour_ideas import (
    initialize,
    mean_nearest,
    on_error_scale,
    run_adbench,
    run_outside,
)
from outside_adbench import tasks as outside_tasks

from sk_autoencoder import AutoencoderOutlierDetector
from sk_autoencoder._outlier import CODE_QUANTILE, MAX_THRESHOLD_ROWS, _n_kept_rows
from sk_autoencoder._utils import spread_sample

TYPICAL = {"0.75": 0.75, "0.9": 0.9, "0.95": 0.95, "fence": None}
VARIANTS = ["V0", "none"]
VARIANTS += [f"{p}@0.75" for p in ("B", "R", "C", "BR", "RC", "BRC")]
VARIANTS += [f"{p}@{t}" for t in ("0.9", "0.95", "fence") for p in ("B", "RC", "BRC")]


class Parts:
    """One default detector fitted to ``X_train`` (as in ``adbench.py``)
    and its score of ``X_test`` with its parts set from chosen kept rows:
    the code bounds, the rows its neighbours are searched among, and the
    rows whose errors and distances set the distances' scale."""

    def __init__(self, X_train, X_test, seed):
        self.detector = AutoencoderOutlierDetector(random_state=seed).fit(X_train)
        n_kept = _n_kept_rows(*X_train.shape)
        kept_rows = spread_sample(np.arange(len(X_train)), n_kept)
        self.X_kept, self.X_test = X_train[kept_rows], X_test
        self.calibration = np.zeros(len(kept_rows), dtype=bool)
        calibration = spread_sample(np.arange(len(kept_rows)), MAX_THRESHOLD_ROWS)
        self.calibration[calibration] = True
        scaler = self.detector._scaler()
        self.kept = scaler.transform_array(self.X_kept)
        self.test = scaler.transform_array(X_test)
        self.codes = self.detector._encode(self.X_kept)
        self.everyone = np.ones(len(kept_rows), dtype=bool)

    def error(self, X, rows):
        """Root mean squared errors of ``X``, codes clipped to the bounds set
        from the kept ``rows`` (among the calibration rows)."""
        quantiles = [CODE_QUANTILE, 1 - CODE_QUANTILE]
        bounds = np.quantile(self.codes[rows & self.calibration], quantiles, axis=0)
        errors = self.detector._reconstruction_error(X, code_bounds=tuple(bounds))
        return np.sqrt(errors)

    def score(self, bound_rows, searched_rows, scale_rows):
        """The test rows' outlyingness with each part set from the kept rows
        it is given (boolean masks over the kept rows)."""
        position = np.full(len(self.kept), -1)
        position[searched_rows] = np.arange(searched_rows.sum())
        scale = np.flatnonzero(scale_rows & self.calibration)
        searched = self.kept[searched_rows]
        near = on_error_scale(
            self.error(self.X_kept[scale], bound_rows),
            mean_nearest(self.kept[scale], searched, position[scale]),
            mean_nearest(self.test, searched),
        )
        return np.maximum(self.error(self.X_test, bound_rows), near)


def variant_scores(X_train, X_test, seed):
    setup = Parts(X_train, X_test, seed)
    detector, everyone, score = setup.detector, setup.everyone, setup.score
    outlyingness = -detector.score_samples(setup.X_kept)
    scores = {"V0": -detector.score_samples(X_test)}
    scores["none"] = score(everyone, everyone, everyone)
    for name, share in TYPICAL.items():
        if share is None:
            typical = detector.predict(setup.X_kept) == 1
        else:
            typical = outlyingness <= np.quantile(outlyingness, share)
        if (typical & setup.calibration).sum() < 3:
            typical = everyone
        for variant in VARIANTS:
            parts, _, at = variant.partition("@")
            if at == name:
                rows = [typical if part in parts else everyone for part in "BRC"]
                scores[variant] = score(*rows)
    return scores


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--output", default="typical_rows.md")
    args = p.parse_args()
    names = adbench_names(args.data_dir)
    with multiprocessing.Pool(args.jobs, initializer=initialize) as pool:
        tasks = [(args.data_dir, n) for n in names]
        on_adbench = partial(run_adbench, scores_of=variant_scores)
        adbench = dict(pool.map(on_adbench, tasks, chunksize=1))
        outside = list(outside_tasks(np.random.default_rng(0)))
        on_outside = partial(run_outside, scores_of=variant_scores)
        outside = dict(pool.map(on_outside, outside, chunksize=1))
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
        ):
            means = np.mean([results[n][v] for n in subset], axis=0)
            row += [f"{means[0]:.4f}", f"{means[1]:.4f}"]
        gain = np.array([adbench[n][v][0] - adbench[n]["V0"][0] for n in names])
        row.append(f"{(gain > 0).sum()} / {(gain < 0).sum()}")
        rows.append(row)
    header = ["variant"]
    for part in ("ADBench", "development", "held out", "outside ADBench"):
        header += [f"{part} ROC-AUC", f"{part} AP"]
    header.append("ADBench datasets above / below V0 (ROC-AUC)")
    shown = ["V0", "B@0.75", "RC@0.75", "BRC@0.75", "BRC@fence"]
    per_task = [
        [t] + [f"{outside[t][v][0]:.3f} / {outside[t][v][1]:.3f}" for v in shown]
        for t in outside
    ]
    text = (
        "# The detector set again from its typical rows, part by part\n\n"
        f"{environment()}\n\n"
        "ADBench: 43 datasets x seeds 0-2, development = odd numbers, held out "
        "= even; outside ADBench: the tasks of outside_adbench.py, seeds 0-1. "
        "Means over seeds, then datasets. Variants: the parts set from the "
        "typical rows (B code bounds, R reference rows, C the distances' "
        "scale) @ which rows are typical; see the script's docstring.\n\n"
        + markdown_table(header, rows)
        + "\n\n## Outside ADBench, per task (ROC-AUC / AP)\n\n"
        + markdown_table(["task", *shown], per_task)
        + "\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
