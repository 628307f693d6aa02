"""Large offsets and units: held-out error against PCA's as the offset grows.

Rank-2 rows in 10 features plus noise of standard deviation 0.1 (2,000
rows, 70/30 split), shifted by an offset (every feature) or put in other
units. For each: the held-out mean squared reconstruction error of
``AutoencoderTransformer(2)`` (defaults) over PCA(2)'s (``svd_solver="full"``:
scikit-learn's default solver for such shapes, ``"covariance_eigh"``, forms
``X.T @ X`` before centring and loses the detail itself at large offsets),
and the RMSE of
``AutoencoderImputer()`` on 10 % of the held-out entries hidden, over its
RMSE at offset 0. A ratio near 1 means the offset or unit costs nothing.

    python benchmarks/offsets.py
"""

import numpy as np
from _common import environment, markdown_table, write_result
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderImputer, AutoencoderTransformer

OFFSETS = [0.0, 1e4, 1e8, 1e12]
UNITS = [1e-20, 1.0, 1e20]


def low_rank(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2000, 2)) @ rng.normal(size=(2, 10))
    X += 0.1 * rng.normal(size=X.shape)
    return X[:1400], X[1400:]


def held_out_mse(model, X_test):
    return np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)


def imputation_rmse(X_train, X_test, shift, unit):
    rng = np.random.default_rng(1)
    missing = rng.random(X_test.shape) < 0.1
    imputer = AutoencoderImputer(random_state=0).fit(X_train * unit + shift)
    filled = imputer.transform(np.where(missing, np.nan, X_test * unit + shift))
    return np.sqrt(np.mean(((filled - shift) / unit - X_test)[missing] ** 2))


def main():
    X_train, X_test = low_rank()
    cases = [(offset, 1.0) for offset in OFFSETS] + [
        (0.0, unit) for unit in UNITS if unit != 1.0
    ]
    base_rmse = imputation_rmse(X_train, X_test, 0.0, 1.0)
    rows = []
    with threadpool_limits(1):
        for offset, unit in cases:
            train, test = X_train * unit + offset, X_test * unit + offset
            ours = AutoencoderTransformer(2, random_state=0).fit(train)
            pca = PCA(2, svd_solver="full").fit(train)
            ratio = held_out_mse(ours, test) / held_out_mse(pca, test)
            rmse = imputation_rmse(X_train, X_test, offset, unit)
            rows.append(
                [f"{offset:g}", f"{unit:g}", f"{ratio:.3f}", f"{rmse / base_rmse:.3f}"]
            )
            print(rows[-1], flush=True)
    header = [
        "offset",
        "unit",
        "AE / PCA held-out MSE",
        "imputer RMSE / at offset 0, unit 1",
    ]
    write_result(
        "offsets.md",
        "# Large offsets and units\n\n"
        + f"{environment()}\n\n"
        + markdown_table(header, rows)
        + "\n",
    )


if __name__ == "__main__":
    main()
