"""AutoencoderImputer's fills averaged over training-like masks, or not.

Training masks each row on top of its own holes, so on small tables,
trained long, the network may fill rows that miss only their own holes
worse than rows masked as in training. ``fit`` then keeps masks, drawn as
in training, over whose fills ``transform`` averages, where the held-out
rows show that this rebuilds better (see ``_choose_fill_masks``). Per
table, every imputer fills the table it is fitted on (``fit_transform``);
RMSE on the missing entries in units of each feature's standard deviation:

- KNNImputer, IterativeImputer and MissForest-style imputation
  (IterativeImputer with ExtraTreesRegressor(n_estimators=50); not on
  the wide tables, where it ran out of memory) with their defaults;
- network alone: ``AutoencoderImputer(random_state=seed)`` with its fills
  never averaged (the default before);
- default: ``AutoencoderImputer(random_state=seed)``, with "averaged"
  saying whether its fit chose to average.

Development tables (the rule was built on them): a low-rank linear table
of 100 rows and 500 features (rank 5, noise 0.2: too wide for the
Gaussian of the blend), and ADBench's small tables with an odd leading
number. Held out: a linear table of 120 rows and 600 features (rank 8),
nonlinear tables of 80 rows and 400 features (rank 3) and of 150 rows and
250 features (rank 6; all three without the Gaussian), 150 rows of
ADBench's 25_musk, and ADBench's
small tables with an even number. Small tables: at most 700 rows, 20 %
of the entries missing completely at random (MCAR) or at random given an
observed feature (MAR, as in defaults.py), seeds 0-2; wide ones: MCAR,
seed 0.

    python benchmarks/imputer_averaged_fills.py [--data-dir DIR]
"""

import time
import warnings

import numpy as np
import torch
from _common import environment, load_adbench, markdown_table, parser, write_result
from defaults import make_missing
from imputer_few_rows import linear, musk, nonlinear
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderImputer

RATE = 0.2
# MissForest-style imputation keeps a forest per feature and iteration:
# on 500 features it held over 11 GB before its tenth iteration.
MAX_FOREST_FEATURES = 100
SMALL = {
    "development": [
        "15_Hepatitis",
        "21_Lymphography",
        "37_Stamps",
        "39_vertebral",
        "43_WDBC",
        "45_wine",
    ],
    "held out": ["4_breastw", "14_glass", "18_Ionosphere", "42_WBC", "46_WPBC"],
}
METHODS = [
    "KNNImputer",
    "IterativeImputer",
    "MissForest-style",
    "network alone",
    "default",
]


def tables(data_dir):
    """``task, name, X, mechanism, seeds`` of every table."""
    yield "development", "linear, rank 5", linear(100, 500, 5, 0), "MCAR", [0]
    for name in SMALL["development"]:
        for mechanism in ("MCAR", "MAR"):
            X = load_adbench(data_dir, name, max_rows=None)[0]
            yield "development", name, X, mechanism, [0, 1, 2]
    yield "held out", "linear, rank 8", linear(120, 600, 8, 3), "MCAR", [0]
    yield "held out", "nonlinear, rank 3", nonlinear(80, 400, 3, 11), "MCAR", [0]
    yield "held out", "nonlinear, rank 6", nonlinear(150, 250, 6), "MCAR", [0]
    yield "held out", "25_musk", musk(data_dir, 150), "MCAR", [0]
    for name in SMALL["held out"]:
        for mechanism in ("MCAR", "MAR"):
            X = load_adbench(data_dir, name, max_rows=None)[0]
            yield "held out", name, X, mechanism, [0, 1, 2]


def fills(X_holes, seed):
    """Each method's fill of ``X_holes`` and fit seconds; whether the
    default averaged."""
    forest = ExtraTreesRegressor(n_estimators=50, random_state=seed, n_jobs=1)
    anchors = {
        "KNNImputer": KNNImputer(),
        "IterativeImputer": IterativeImputer(random_state=seed),
        "MissForest-style": IterativeImputer(estimator=forest, random_state=seed),
    }
    if X_holes.shape[1] > MAX_FOREST_FEATURES:
        del anchors["MissForest-style"]
    found = {"MissForest-style": (np.full_like(X_holes, np.nan), 0.0)}
    for name, imputer in anchors.items():
        start = time.perf_counter()
        found[name] = imputer.fit_transform(X_holes), time.perf_counter() - start
    start = time.perf_counter()
    imputer = AutoencoderImputer(random_state=seed).fit(X_holes)
    seconds = time.perf_counter() - start
    found["default"] = imputer.transform(X_holes), seconds
    averaged = imputer._fill_masks_ is not None
    imputer._fill_masks_ = None
    found["network alone"] = imputer.transform(X_holes), seconds
    return found, averaged


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    rows, summary = [], {}
    for task, name, X, mechanism, seeds in tables(args.data_dir):
        X = StandardScaler().fit_transform(X[:, X.std(axis=0) > 0])
        rmse = {method: [] for method in METHODS}
        seconds = {method: 0.0 for method in METHODS}
        averaged = 0
        for seed in seeds:
            missing = make_missing(mechanism, X, RATE, np.random.default_rng(seed))
            found, chose = fills(np.where(missing, np.nan, X), seed)
            averaged += chose
            for method, (filled, fit_seconds) in found.items():
                rmse[method].append(np.sqrt(np.mean((filled - X)[missing] ** 2)))
                seconds[method] += fit_seconds / len(seeds)
        means = {method: np.mean(values) for method, values in rmse.items()}
        best = min((m for m in means if np.isfinite(means[m])), key=means.get)
        gain = means["default"] / means["network alone"] - 1.0
        summary.setdefault(task, []).append((gain, best))
        rows.append(
            [name, task, f"{X.shape[0]} x {X.shape[1]}", mechanism, len(seeds)]
            + [f"{means[method]:.3f}".replace("nan", "-") for method in METHODS]
            + [f"{averaged} / {len(seeds)}", f"{gain:+.1%}", best]
            + [" / ".join(f"{seconds[method]:.0f}" for method in METHODS[:4])]
        )
        print(rows[-1], flush=True)
    lines = [
        [
            task,
            len(items),
            f"{np.expm1(np.mean([np.log1p(g) for g, _ in items])):+.1%}",
            sum(g < 0 for g, _ in items),
            sum(g > 0 for g, _ in items),
            sum(best == "default" for _, best in items),
        ]
        for task, items in summary.items()
    ]
    header = [
        *["table", "task", "rows x features", "holes", "seeds", *METHODS],
        *["default averaged", "default vs network alone", "best"],
        "mean fit seconds (KNN / Iterative / MissForest / ours)",
    ]
    write_result(
        "imputer_averaged_fills.md",
        "# The imputer's fills averaged over training-like masks, or not\n\n"
        f"{environment()}\n\n{RATE:.0%} of the entries missing; RMSE on them "
        "in units of each feature's standard deviation, mean over seeds; one "
        "thread; see the script's docstring for the tables.\n\n"
        + markdown_table(header, rows)
        + "\n\nPer task: rows, the default's RMSE against the network alone "
        "(geometric mean), rows where it is lower / higher, rows where the "
        "default is the best of the five:\n\n"
        + markdown_table(
            ["task", "rows", "change", "lower", "higher", "default best"], lines
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
