"""AutoencoderImputer on wide tables of few rows, with and without the Gaussian.

The Gaussian that the imputer blends into its fills is fitted where that
costs no more than on 2,000 rows of 100 features (about rows x
features^3): so also on tables of over 100 features that hold few rows,
which were filled by the network alone before. Per table, a fifth of the
entries missing completely at random, every imputer fitted on the table
with holes (``fit_transform``); RMSE on the missing entries in units of
each feature's standard deviation:

- KNNImputer and IterativeImputer with their defaults;
- network alone: ``AutoencoderImputer(random_state=0)`` with no Gaussian
  (the default before on these tables);
- default: ``AutoencoderImputer(random_state=0)``.

Development tables (the new-user hunt's, on which the rule was tried
first): low-rank linear tables, 50 x 200 (rank 4) and 60 x 120 (rank 5),
two seeds each, noise 0.2. Held out: low-rank nonlinear tables (80 x 150,
rank 3; 150 x 250, rank 6) and ADBench's 25_musk subsampled to 60 and 150
rows (166 features, constant ones dropped).

    python benchmarks/imputer_few_rows.py [--data-dir DIR]
"""

import time
import warnings

import numpy as np
import torch
from _common import environment, load_adbench, markdown_table, parser, write_result
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer

import sk_autoencoder._imputer as imputer_module
from sk_autoencoder import AutoencoderImputer

MISSING = 0.2


def linear(n_rows, n_features, rank, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, rank)) @ rng.normal(size=(rank, n_features))
    return X + 0.2 * rng.normal(size=X.shape)


def nonlinear(n_rows, n_features, rank, seed=10):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n_rows, rank))
    X = np.tanh(Z @ rng.normal(size=(rank, n_features)))
    X += 0.3 * np.sin(2 * Z @ rng.normal(size=(rank, n_features)))
    return X + 0.1 * rng.normal(size=X.shape)


def musk(data_dir, n_rows):
    X = load_adbench(data_dir, "25_musk", max_rows=None)[0]
    X = X[np.random.default_rng(n_rows).choice(len(X), n_rows, replace=False)]
    return X[:, X.std(axis=0) > 0]


def tables(data_dir):
    for n_rows, n_features, rank in [(50, 200, 4), (60, 120, 5)]:
        for seed in (0, 1):
            X = linear(n_rows, n_features, rank, seed)
            yield "development", f"linear, rank {rank}, seed {seed}", X, seed
    for n_rows, n_features, rank in [(80, 150, 3), (150, 250, 6)]:
        X = nonlinear(n_rows, n_features, rank)
        yield "held out", f"nonlinear, rank {rank}", X, 10
    for n_rows in (60, 150):
        yield "held out", "25_musk", musk(data_dir, n_rows), n_rows


def imputers():
    return {
        "KNNImputer": (KNNImputer, {}),
        "IterativeImputer": (lambda: IterativeImputer(random_state=0), {}),
        "network alone": (
            lambda: AutoencoderImputer(random_state=0),
            {"MAX_GAUSSIAN_FEATURES": 0},
        ),
        "default": (lambda: AutoencoderImputer(random_state=0), {}),
    }


def run(make, constants, X_holes):
    saved = {name: getattr(imputer_module, name) for name in constants}
    vars(imputer_module).update(constants)
    try:
        imputer = make()
        start = time.perf_counter()
        filled = imputer.fit_transform(X_holes)
        return filled, time.perf_counter() - start, imputer
    finally:
        vars(imputer_module).update(saved)


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    rows = []
    for task, name, X, seed in tables(args.data_dir):
        holes = np.random.default_rng(seed).random(X.shape) < MISSING
        X_holes = np.where(holes, np.nan, X)
        spread = X.std(axis=0)
        row = [name, task, f"{X.shape[0]} x {X.shape[1]}"]
        seconds, weight = [], "-"
        for label, (make, constants) in imputers().items():
            filled, fit_seconds, imputer = run(make, constants, X_holes)
            error = ((filled - X) / spread)[holes]
            row.append(f"{np.sqrt(np.mean(error**2)):.3f}")
            seconds.append(f"{fit_seconds:.0f}")
            if label == "default":
                weight = f"{np.mean(imputer.network_weight_):.2f}"
        rows.append([*row, weight, " / ".join(seconds)])
        print(rows[-1], flush=True)
    header = [
        "table",
        "task",
        "rows x features",
        *imputers(),
        "default's network_weight_",
        "seconds (each, in this order)",
    ]
    write_result(
        "imputer_few_rows.md",
        "# Wide tables of few rows: the imputer with and without the Gaussian\n\n"
        f"{environment()}\n\n{MISSING:.0%} of the entries missing completely "
        "at random; RMSE on them in units of each feature's standard "
        "deviation; one thread; see the script's docstring for the tables."
        "\n\n" + markdown_table(header, rows) + "\n",
    )


if __name__ == "__main__":
    main()
