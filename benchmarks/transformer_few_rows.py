"""AutoencoderTransformer against PCA on few rows of linear data.

Low-rank Gaussian factors plus isotropic noise, the data PCA is the right
model for, with few training rows: the autoencoder's defaults must then
come back to PCA, or near it. Each table is drawn anew per seed and
standardized on its training rows; the held-out error is measured on
5,000 new rows of the same distribution, so that it is the expected
error, not one of a few dozen rows:

- 105 x 10: rank 4, noise 0.5;
- 56 x 40: rank 4, noise 0.5;
- 42 x 150: rank 5, noise 0.1 (more features than rows);
- 280 x 10: rank 4, noise 0.5.

Ratio = the autoencoder's held-out mean squared error over PCA's, with
the same number of components; ``AutoencoderTransformer(k,
random_state=seed)``, everything else default, one thread.

    python benchmarks/transformer_few_rows.py [--seeds 0 1 2 3 4 5]
"""

import numpy as np
import torch
from _common import environment, markdown_table, parser, write_result
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderTransformer

# Rows, features, rank, noise.
TABLES = [(105, 10, 4, 0.5), (56, 40, 4, 0.5), (42, 150, 5, 0.1), (280, 10, 4, 0.5)]
KS = (2, 4)
N_NEW = 5000


def draw(n_rows, n_features, rank, noise, seed):
    rng = np.random.default_rng(100 + seed)
    loadings = rng.normal(size=(rank, n_features))

    def rows(n):
        factors = rng.normal(size=(n, rank))
        return factors @ loadings + noise * rng.normal(size=(n, n_features))

    return rows(n_rows), rows(N_NEW)


def held_out_mse(reducer, X_new):
    return np.mean((reducer.inverse_transform(reducer.transform(X_new)) - X_new) ** 2)


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = p.parse_args()
    torch.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        for n_rows, n_features, rank, noise in TABLES:
            for k in KS:
                ratios = []
                for seed in args.seeds:
                    X, X_new = draw(n_rows, n_features, rank, noise, seed)
                    scaler = StandardScaler().fit(X)
                    X, X_new = scaler.transform(X), scaler.transform(X_new)
                    pca = PCA(k).fit(X)
                    ae = AutoencoderTransformer(k, random_state=seed).fit(X)
                    ratios.append(held_out_mse(ae, X_new) / held_out_mse(pca, X_new))
                rows.append(
                    [
                        f"{n_rows} x {n_features}",
                        k,
                        f"{np.median(ratios):.3f}",
                        f"{max(ratios):.3f}",
                        " ".join(f"{r:.3f}" for r in ratios),
                    ]
                )
                print(rows[-1], flush=True)
    write_result(
        "transformer_few_rows.md",
        "# AutoencoderTransformer against PCA on few rows of linear data\n\n"
        f"{environment()}\n\n"
        f"Held-out MSE of the autoencoder over PCA's, on {N_NEW:,} new rows, "
        f"seeds {args.seeds}; see the script's docstring for the tables.\n\n"
        + markdown_table(
            ["training rows x features", "k", "median ratio", "largest", "per seed"],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
