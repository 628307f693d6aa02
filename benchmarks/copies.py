"""Copies of a row: a table copied, or values that repeat? (``split_rows``)

Where most rows have copies, ``split_rows`` holds the copies of a row out
for validation together only where they are held about equally often
(``_evenly_copied``: the 90th percentile of a copied row's count at most
``EVEN_COPIES`` times its median), as copying or resampling a table makes
them; rows of discrete data repeat as unevenly as their combinations of
values are common, and new rows repeat them too. This script prints that
ratio, and the split's choice, for tables copied or resampled and for
discrete data: scikit-learn's tables held several times or drawn again,
binary and graded tables, and the ADBench datasets a quarter of whose
training rows (the benchmark's split, seed 0) have copies; ``split_rows``
looks at the ratio only where most rows have copies, in at least as many
distinct rows as it holds out, and where the rows held out would hold at
least ``MIN_DISTINCT_VALID`` distinct rows (their share of them): not the
few rows that one-hot categories or fair binary features take, each about
as common.

    python benchmarks/copies.py [--data-dir DIR]
"""

import numpy as np
from _common import (
    adbench_names,
    environment,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_wine
from sklearn.model_selection import train_test_split

from sk_autoencoder._data import (
    EVEN_COPIES,
    MIN_DISTINCT_VALID,
    row_keys,
    split_rows,
)

VALIDATION_FRACTION = 0.1


def copy_counts(X):
    """How many rows the group of copies of each row holds, for the rows
    held more than once and at most as often as the validation rows."""
    n_valid = round(VALIDATION_FRACTION * len(X))
    _, sizes = np.unique(row_keys(X), return_counts=True)
    held = np.repeat(sizes, sizes)
    return held[(held > 1) & (held <= n_valid)], len(sizes)


def tables(data_dir):
    rng = np.random.default_rng(0)
    for name, load in [("iris", load_iris), ("digits", load_digits)]:
        X = load().data
        for times in (2, 3, 5):
            yield "copied", f"{name} held {times} times", np.tile(X, (times, 1))
        yield (
            "copied",
            f"{name} drawn 3 times over",
            X[rng.integers(0, len(X), 3 * len(X))],
        )
    for name, load in [("diabetes", load_diabetes), ("wine", load_wine)]:
        yield "copied", f"{name} held twice", np.tile(load().data, (2, 1))
    binary = (rng.random((2000, 20)) < 0.2).astype(float)
    binary[:, 10:] = binary[:, :10]
    yield "discrete", "ten binary features and a copy of each", binary
    for levels, n_features in [(2, 10), (3, 8)]:
        X = np.floor(levels * np.random.default_rng(0).random((1000, n_features)) ** 3)
        yield "discrete", f"{n_features} features of {levels} skewed levels", X
    levels = (4, 3, 2)
    X = np.hstack([np.eye(k)[rng.integers(0, k, 210)] for k in levels])
    yield "discrete", "categories of 4, 3 and 2 levels, one-hot", X
    yield "discrete", "five fair binary features", (rng.random((280, 5)) < 0.5) * 1.0
    for name in adbench_names(data_dir):
        X, y = load_adbench(data_dir, name)
        X = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)[0]
        held, _ = copy_counts(X)
        if len(held) > len(X) / 4:
            yield "ADBench", name, X


def main():
    args = parser(__doc__).parse_args()
    rows = []
    for kind, name, X in tables(args.data_dir):
        held, n_distinct = copy_counts(X)
        median, high = np.percentile(held, [50, 90])
        n_valid = round(VALIDATION_FRACTION * len(X))
        order, n_held_out = split_rows(X, n_valid, np.random.default_rng(0))
        keys = row_keys(X)[order]
        leaked = int(np.isin(keys[:n_held_out], keys[n_held_out:]).sum())
        looked = (
            n_distinct >= n_valid
            and len(held) > len(X) / 2
            and n_distinct * n_valid >= MIN_DISTINCT_VALID * len(X)
        )
        rows.append(
            [
                kind,
                name,
                len(X),
                n_distinct,
                f"{len(held) / len(X):.0%}",
                "yes" if looked else "no",
                f"{median:.0f}",
                f"{high:.0f}",
                f"{high / median:.2f}",
                f"{leaked} of {n_held_out}",
            ]
        )
        print(rows[-1], flush=True)
    write_result(
        "copies.md",
        "# Copies of a row: a table copied, or values that repeat?\n\n"
        f"{environment()}\n\n"
        "Copied rows: rows held more than once (and at most as often as "
        f"the {VALIDATION_FRACTION:.0%} of validation rows). Copies are held "
        f"out together where the ratio is at most EVEN_COPIES = {EVEN_COPIES}; "
        "the last column counts the validation rows of split_rows that have "
        "a copy among the training rows.\n\n"
        + markdown_table(
            [
                "kind",
                "table",
                "rows",
                "distinct rows",
                "rows with copies",
                "ratio looked at",
                "count, median",
                "count, 90th percentile",
                "ratio",
                "held out with a copy in training",
            ],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
