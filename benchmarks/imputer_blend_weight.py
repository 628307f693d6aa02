"""AutoencoderImputer's blend weight on small tables: read off few entries.

On a small table the imputer's ``network_weight_`` (the network's share of
each fill, the Gaussian's conditional mean having the rest) is read off
the few validation rows, and a new-user hunt found it swinging to either
end where those rows observe a feature a handful of times (diabetes with
its first feature missing in 80-95 % of the rows). Since this change the
least-squares weight is shrunk toward an even blend by its standard error
(``shrink_toward_even_blend``). This runs ``AutoencoderImputer(
random_state=seed).fit_transform`` of this checkout and, with
``--before``, of another, on:

- small tables of the protocol of ``defaults.py --part impute``: each
  standardized, 20 % of the entries missing (MCAR and MAR), seeds 0-2,
  RMSE on the missing entries; ADBench's odd-numbered tables were the
  development tables of the rule (with iris and wine, looked at while
  choosing it), its even-numbered ones, diabetes and breast cancer held
  out;
- diabetes with only its first feature missing, in 80, 90 and 95 % of the
  rows (the hunt's case; RMSE of that feature, standardized), against
  the feature's mean.

Each checkout runs in a fresh process per table on one thread.

    python benchmarks/imputer_blend_weight.py [--data-dir DIR]
        [--before /path/to/checkout]
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import (
    checkouts,
    environment,
    json_from_python,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from defaults import MECHANISMS, SKLEARN_DATASETS, make_missing
from sklearn.preprocessing import StandardScaler

DEVELOPMENT = ["15_Hepatitis", "21_Lymphography", "29_Pima", "37_Stamps"]
DEVELOPMENT += ["39_vertebral", "45_wine", "47_yeast", "iris", "wine"]
HELD_OUT = ["14_glass", "18_Ionosphere", "42_WBC", "46_WPBC"]
HELD_OUT += ["diabetes", "breast_cancer"]
SEEDS = (0, 1, 2)
RATE = 0.2
ONE_FEATURE_RATES = (0.8, 0.9, 0.95)

FIT = """
import json, warnings
import numpy as np
from sk_autoencoder import AutoencoderImputer

warnings.filterwarnings("ignore")
cases = np.load("{path}")
X = cases["X"]
results = []
for seed, missing in zip(cases["seeds"], cases["masks"]):
    imputer = AutoencoderImputer(random_state=int(seed))
    filled = imputer.fit_transform(np.where(missing, np.nan, X))
    error = float(np.sqrt(np.mean((filled[missing] - X[missing]) ** 2)))
    results.append([error, imputer.network_weight_])
print(json.dumps(results))
"""


def load(data_dir, name):
    if name in SKLEARN_DATASETS:
        X = SKLEARN_DATASETS[name](return_X_y=True)[0]
    else:
        X = load_adbench(data_dir, name)[0]
    return StandardScaler().fit_transform(X.astype(np.float64))


def run(code_dirs, X, masks, seeds):
    """``{label: [(rmse, weight) per mask]}``, one process per checkout."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.npz"
        np.savez(path, X=X, masks=np.array(masks), seeds=np.array(seeds))
        code = FIT.format(path=path)
        return {label: json_from_python(code, d) for label, d in code_dirs.items()}


def cells(results):
    return [
        f"{np.mean([r[0] for r in rows]):.3f} ({np.mean([r[1] for r in rows]):.2f})"
        for rows in results.values()
    ]


def main():
    args = parser(__doc__.splitlines()[0], before=True).parse_args()
    code_dirs = checkouts(args.before)
    labels = list(code_dirs)
    rows, totals = [], {}
    for task, names in ("development", DEVELOPMENT), ("held-out", HELD_OUT):
        for name in names:
            X = load(args.data_dir, name)
            for mechanism in MECHANISMS:
                masks = [
                    make_missing(mechanism, X, RATE, np.random.default_rng(seed))
                    for seed in SEEDS
                ]
                results = run(code_dirs, X, masks, list(SEEDS))
                for label, values in results.items():
                    totals.setdefault((task, label), []).extend(r[0] for r in values)
                rows.append([name, task, mechanism, *cells(results)])
                print(rows[-1], flush=True)
    summary = [
        [task, label, f"{np.mean(errors):.4f}"]
        for (task, label), errors in totals.items()
    ]
    one_feature = []
    X = load(args.data_dir, "diabetes")
    for rate in ONE_FEATURE_RATES:
        masks = []
        for seed in SEEDS:
            missing = np.zeros(X.shape, dtype=bool)
            missing[:, 0] = np.random.default_rng(seed).random(len(X)) < rate
            masks.append(missing)
        results = run(code_dirs, X, masks, list(SEEDS))
        # The mean of the observed entries of feature 0, per seed.
        means = [
            np.sqrt(np.mean((X[m[:, 0], 0] - X[~m[:, 0], 0].mean()) ** 2))
            for m in masks
        ]
        for seed, mean_error in zip(SEEDS, means, strict=True):
            one_feature.append(
                [f"{rate:.0%}", seed]
                + [f"{results[label][seed][0]:.3f}" for label in labels]
                + [f"{results[label][seed][1]:.2f}" for label in labels]
                + [f"{mean_error:.3f}"]
            )
            print(one_feature[-1], flush=True)
    write_result(
        "imputer_blend_weight.md",
        "# The imputer's blend weight on small tables\n\n"
        f"{environment()}\n\n"
        "## Small tables, 20 % missing\n\n"
        f"RMSE on the missing entries (standardized units), mean over seeds "
        f"{list(SEEDS)}, with the mean `network_weight_` in brackets.\n\n"
        + markdown_table(["table", "task", "holes", *labels], rows)
        + "\n\nMean RMSE over tables, mechanisms and seeds:\n\n"
        + markdown_table(["task", "imputer", "mean RMSE"], summary)
        + "\n\n## Diabetes, only its first feature missing\n\n"
        "RMSE of that feature's fills (standardized units) and "
        "`network_weight_`; the last column fills it with the mean of its "
        "observed entries.\n\n"
        + markdown_table(
            [
                *["missing", "seed"],
                *[f"RMSE, {label}" for label in labels],
                *[f"weight, {label}" for label in labels],
                "feature mean",
            ],
            one_feature,
        )
        + "\n",
    )


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main()
