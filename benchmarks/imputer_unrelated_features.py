"""AutoencoderImputer on wide tables whose features are not all related.

Found by a new-user hunt: on a table too wide for the Gaussian (filled by
the network alone), the features that nothing else in the row predicts
were filled worse than by their means, while the others were filled far
better, so the one shrink factor of all the features stayed at 1. Each
imputer is fitted on the table with holes (a fifth of the entries missing
completely at random) and fills it (``fit_transform``); RMSE on the
missing entries, in standardized units, overall and, on the synthetic
tables, on the related and the unrelated features apart. Imputers:
``AutoencoderImputer(random_state=seed)`` with its defaults (of this
checkout and, with ``--before``, of another), ``KNNImputer()`` and
``SimpleImputer()`` (the features' means). Each fit runs in a fresh
process on one thread.

Tables: development (used to choose the rule, one factor per feature):
300 rows of 150 features that mix 10 standard normal factors plus noise of
0.3, beside 100 features of pure noise. Held out: the same with 100 rows
and 400 features (200 of them noise); ADBench's 25_musk (166 features)
and 17_InternetAds (1,555 mostly binary features), 2,000 rows each,
standardized. 17_InternetAds, held out for the rule, showed that it
needed a gate (only features whose hidden entries show the spread of
their values are judged alone, ``MIN_SPREAD_SHARE``): it is development
data for that gate.

    python benchmarks/imputer_unrelated_features.py [--before CHECKOUT]
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

# (name, task): a synthetic table is (rows, related features, unrelated).
TABLES = (
    ((300, 150, 100), "development"),
    ((100, 200, 200), "held-out"),
    ("25_musk", "held-out"),
    ("17_InternetAds", "held-out"),
)
# The synthetic tables are drawn and holed anew with each seed; the
# ADBench ones, whose fits take minutes, run the first only.
SEEDS = (0, 1)

CASE = (
    """
import json, time, warnings
import numpy as np
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
rng = np.random.default_rng({seed})
table = {table!r}
if isinstance(table, tuple):
    n_rows, n_related, n_unrelated = table
    Z = rng.normal(size=(n_rows, 10))
    related = Z @ rng.normal(size=(10, n_related))
    related += 0.3 * rng.normal(size=related.shape)
    X = np.hstack([related, rng.normal(size=(n_rows, n_unrelated))])
else:
    X = np.load("{data_dir}/" + table + ".npz")["X"].astype(np.float64)
    X = X[rng.choice(len(X), min(2000, len(X)), replace=False)]
    X = X[:, X.std(axis=0) > 0]
    n_related = X.shape[1]
X = StandardScaler().fit_transform(X)
mask = rng.random(X.shape) < 0.2
holes = np.where(mask, np.nan, X)
"""
    + FILL_HOLES
    + """
error = (filled - X) ** 2
result["rmse"] = float(np.sqrt(error[mask].mean()))
columns = np.arange(X.shape[1]) < n_related
result["related"] = float(np.sqrt(error[mask & columns].mean()))
result["unrelated"] = float(np.sqrt(error[mask & ~columns].mean()))
print(json.dumps(result))
"""
)


def main():
    args = parser(__doc__.splitlines()[0], before=True).parse_args()
    runs = {
        f"AutoencoderImputer(), {label}": (code_dir, "ours")
        for label, code_dir in checkouts(args.before).items()
    }
    runs["KNNImputer()"] = (None, "KNNImputer")
    runs["SimpleImputer() (means)"] = (None, "means")
    rows = []
    for table, task in TABLES:
        if isinstance(table, tuple):
            name = f"{table[0]} x ({table[1]} related + {table[2]} noise)"
        else:
            name = table
        for label, (code_dir, method) in runs.items():
            results = [
                json_from_python(
                    CASE.format(
                        seed=seed,
                        table=table,
                        data_dir=args.data_dir.resolve(),
                        method=method,
                        params={"random_state": seed},
                    ),
                    code_dir,
                )
                for seed in (SEEDS if isinstance(table, tuple) else SEEDS[:1])
            ]

            def mean(key, results=results):
                return sum(result[key] for result in results) / len(results)

            synthetic = isinstance(table, tuple)
            rows.append(
                [
                    name,
                    task,
                    label,
                    f"{mean('rmse'):.4f}",
                    f"{mean('related'):.4f}" if synthetic else "",
                    f"{mean('unrelated'):.4f}" if synthetic else "",
                    f"{mean('fit'):.1f}",
                ]
            )
            print(rows[-1], flush=True)
    header = ["table", "task", "imputer", "RMSE", "related", "noise", "seconds"]
    write_result(
        "imputer_unrelated_features.md",
        "# Imputing wide tables whose features are not all related\n\n"
        f"{environment()}\n\n"
        "A fifth of the entries missing completely at random; RMSE on the "
        "missing entries in standardized units (on the synthetic tables "
        "also on the related features and the noise features apart) and "
        "fit and fill seconds on one thread; means over seeds "
        f"{list(SEEDS)} on the synthetic tables, seed {SEEDS[0]} on ADBench's."
        "\n\n" + markdown_table(header, rows) + "\n",
    )


if __name__ == "__main__":
    main()
