"""AutoencoderImputer on tables of a few rows and thousands of features.

Found by a new-user hunt: on 40 rows of 3,000 features the imputer's
training diverged, and it filled no better than the features' means. Each
table holds 40 rows of ``tanh(Z @ M)`` plus noise of 0.05 (``Z`` three
standard normal factors per row, ``M`` a standard normal 3 x p mixing),
with a fifth of the entries missing completely at random; every imputer is
fitted on the table with holes and fills it (``fit_transform``), RMSE on
the missing entries. Imputers: ``AutoencoderImputer(random_state=0)`` with
its defaults (of this checkout and, with ``--before``, of another),
the same with ``n_components=40`` (a code as wide as the table has rows),
``KNNImputer()`` and ``SimpleImputer()`` (the features' means). Each fit
runs in a fresh process on one thread.

The tables were used to choose the learning-rate rule for wide layers
(``MAX_FULL_RATE_INPUTS``) and the widest code of ``n_components="auto"``
for tables: they are development data for both.

    python benchmarks/imputer_wide.py [--before /path/to/checkout]
"""

from _common import (
    FILL_HOLES,
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

TABLES = ((1000, 0), (2000, 0), (2000, 1), (3000, 0))  # (features, seed)
N_ROWS = 40

CASE = (
    """
import json, time, warnings
import numpy as np

warnings.filterwarnings("ignore")
rng = np.random.default_rng({seed})
Z = rng.normal(size=({n_rows}, 3))
M = rng.normal(size=(3, {n_features}))
X = np.tanh(Z @ M) + 0.05 * rng.normal(size=({n_rows}, {n_features}))
mask = rng.random(X.shape) < 0.2
holes = np.where(mask, np.nan, X)
"""
    + FILL_HOLES
    + """
result["rmse"] = float(np.sqrt(np.mean((filled[mask] - X[mask]) ** 2)))
print(json.dumps(result))
"""
)


def main():
    args = parser(__doc__.splitlines()[0], data_dir=False, before=True).parse_args()
    runs = {
        f"AutoencoderImputer(), {label}": (code_dir, "ours", {"random_state": 0})
        for label, code_dir in checkouts(args.before).items()
    }
    here = checkouts()["this checkout"]
    runs["AutoencoderImputer(n_components=40)"] = (
        here,
        "ours",
        {"random_state": 0, "n_components": 40},
    )
    runs["KNNImputer()"] = (None, "KNNImputer", {})
    runs["SimpleImputer() (means)"] = (None, "means", {})
    rows = []
    for n_features, seed in TABLES:
        for label, (code_dir, method, params) in runs.items():
            code = CASE.format(
                seed=seed,
                n_rows=N_ROWS,
                n_features=n_features,
                method=method,
                params=params,
            )
            result = json_from_python(code, code_dir)
            table = f"{N_ROWS} x {n_features:,}, seed {seed}"
            rows.append([table, label, f"{result['rmse']:.4f}", f"{result['fit']:.1f}"])
            print(rows[-1], flush=True)
    write_result(
        "imputer_wide.md",
        "# Imputing tables of few rows and many features\n\n"
        f"{environment()}\n\n"
        f"{N_ROWS} rows of a nonlinear table of three factors, a fifth of the "
        "entries missing completely at random; RMSE on the missing entries, "
        "fit and fill seconds on one thread. Development tables of the wide "
        "layers' learning-rate rule and of the tables' widest code.\n\n"
        + markdown_table(["table", "imputer", "RMSE", "seconds"], rows)
        + "\n",
    )


if __name__ == "__main__":
    main()
