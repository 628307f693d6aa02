"""AutoencoderImputer's fills averaged over training-like masks, or not.

Training masks each row on top of its own holes, so on wide tables of few
rows, trained long, the network may fill rows that miss only their own
holes worse than rows masked as in training. ``fit`` then keeps masks,
drawn as in training, over whose fills ``transform`` averages, where the
held-out rows show that this rebuilds better (see ``_check_fills``;
only on tables filled by the network alone, without the Gaussian of the
blend). Per table, a fifth of the entries missing completely at random,
every imputer fills the table it is fitted on (``fit_transform``); RMSE
on the missing entries in units of each feature's standard deviation:

- KNNImputer and IterativeImputer with their defaults (MissForest-style
  imputation held over 11 GB on 500 features and is left out);
- network alone: ``AutoencoderImputer(random_state=0)`` with its fills
  never averaged, within the bounds its fit set;
- default: ``AutoencoderImputer(random_state=0)``, with "averaged" saying
  whether its fit chose to average;
- default clipped: the same fills clipped to each feature's observed
  range, as ``min_value="observed"`` did before the held-out rows could
  lift it (see ``_check_fills``); "bounds lifted" says whether they did.

Development table (the rule was built on it): a low-rank linear table of
100 rows and 500 features (rank 5, noise 0.2). Held out: a linear table
of 120 rows and 600 features (rank 8), nonlinear tables of 80 rows and
400 features (rank 3) and of 150 rows and 250 features (rank 6). All are
too wide for the Gaussian on so many rows.

    python benchmarks/imputer_averaged_fills.py
"""

import time
import warnings

import numpy as np
import torch
from _common import environment, markdown_table, parser, write_result
from imputer_few_rows import linear, nonlinear
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderImputer

RATE = 0.2
METHODS = [
    "KNNImputer",
    "IterativeImputer",
    "network alone",
    "default clipped",
    "default",
]


def tables():
    """``task, name, X`` of every table."""
    yield "development", "linear, rank 5", linear(100, 500, 5, 0)
    yield "held out", "linear, rank 8", linear(120, 600, 8, 3)
    yield "held out", "nonlinear, rank 3", nonlinear(80, 400, 3, 11)
    yield "held out", "nonlinear, rank 6", nonlinear(150, 250, 6)


def fills(X_holes):
    """Each method's fill of ``X_holes`` and fit seconds; whether the
    default averaged."""
    found = {}
    for name, imputer in {
        "KNNImputer": KNNImputer(),
        "IterativeImputer": IterativeImputer(random_state=0),
    }.items():
        start = time.perf_counter()
        found[name] = imputer.fit_transform(X_holes), time.perf_counter() - start
    start = time.perf_counter()
    imputer = AutoencoderImputer(random_state=0).fit(X_holes)
    seconds = time.perf_counter() - start
    found["default"] = imputer.transform(X_holes), seconds
    observed = np.nanmin(X_holes, axis=0), np.nanmax(X_holes, axis=0)
    found["default clipped"] = np.clip(found["default"][0], *observed), seconds
    lifted = bool(np.isinf(imputer._limits_).all())
    averaged = imputer._fill_masks_ is not None
    imputer._fill_masks_ = None
    found["network alone"] = imputer.transform(X_holes), seconds
    return found, averaged, lifted


def main():
    parser(__doc__.splitlines()[0]).parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    rows = []
    for task, name, X in tables():
        X = StandardScaler().fit_transform(X)
        missing = np.random.default_rng(0).random(X.shape) < RATE
        found, averaged, lifted = fills(np.where(missing, np.nan, X))
        rmse = {
            method: np.sqrt(np.mean((filled - X)[missing] ** 2))
            for method, (filled, _) in found.items()
        }
        gain = rmse["default"] / rmse["network alone"] - 1.0
        rows.append(
            [name, task, f"{X.shape[0]} x {X.shape[1]}"]
            + [f"{rmse[method]:.3f}" for method in METHODS]
            + ["yes" if averaged else "no", "yes" if lifted else "no"]
            + [f"{gain:+.1%}"]
            + [" / ".join(f"{found[m][1]:.0f}" for m in METHODS[:3])]
        )
        print(rows[-1], flush=True)
    header = [
        *["table", "task", "rows x features", *METHODS],
        *["default averaged", "bounds lifted", "default vs network alone"],
        "fit seconds (KNN / Iterative / ours)",
    ]
    write_result(
        "imputer_averaged_fills.md",
        "# The imputer's fills averaged over training-like masks, or not\n\n"
        f"{environment()}\n\n{RATE:.0%} of the entries missing completely at "
        "random; RMSE on them in units of each feature's standard deviation; "
        "one thread; see the script's docstring for the tables.\n\n"
        + markdown_table(header, rows)
        + "\n",
    )


if __name__ == "__main__":
    main()
