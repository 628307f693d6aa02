"""AutoencoderEmbedding's inverse on few rows, against PCA's.

Found by new-user hunts: on data near a plane, or a few tight clusters,
and few training rows, the decoder rebuilt held-out rows far worse than
PCA with as many components. Each task: held-out reconstruction MSE of
``inverse_transform(transform(X))``, as a ratio to PCA(2)'s; defaults.

- plane: a 2-D Gaussian (standard deviations 2 and 1) in 10 dimensions
  plus noise of 0.05, 20, 50 or 200 training rows, 300 held-out rows,
  seeds 0-1;
- blobs: ``make_blobs`` with 3 centres in 6 dimensions, 40 or 150 rows,
  30 % held out, seeds 0-2.

    python benchmarks/embedding_inverse.py [--output FILE]
"""

import warnings

import numpy as np
from _common import environment, markdown_table, parser, write_result
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sk_autoencoder import AutoencoderEmbedding


def ratio_to_pca(train, test, seed):
    embedding = AutoencoderEmbedding(random_state=seed).fit(train)
    pca = PCA(2).fit(train)
    decoded = embedding.inverse_transform(embedding.transform(test))
    pca_decoded = pca.inverse_transform(pca.transform(test))
    return np.mean((decoded - test) ** 2) / np.mean((pca_decoded - test) ** 2)


def plane(n_train, seed):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(10, 2)))[0].T
    latent = rng.normal(size=(n_train + 300, 2)) * [2.0, 1.0]
    X = latent @ basis + 0.05 * rng.normal(size=(n_train + 300, 10))
    return X[:n_train], X[n_train:]


def blobs(n_samples, seed):
    X, _ = make_blobs(n_samples=n_samples, n_features=6, centers=3, random_state=seed)
    return train_test_split(X, test_size=0.3, random_state=seed)


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False)
    p.add_argument("--output", default="embedding_inverse.md")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    for task, draw, sizes, seeds in (
        ("plane", plane, (20, 50, 200), (0, 1)),
        ("blobs", blobs, (40, 150), (0, 1, 2)),
    ):
        for size in sizes:
            ratios = []
            for seed in seeds:
                train, test = draw(size, seed)
                ratios.append(ratio_to_pca(train, test, seed))
            rows.append([task, len(train), " / ".join(f"{r:.2f}" for r in ratios)])
            print(rows[-1], flush=True)
    text = (
        "# AutoencoderEmbedding's inverse on few rows, against PCA's\n\n"
        f"{environment()}\n\n"
        "Held-out reconstruction MSE as a ratio to PCA(2)'s, one per seed; see "
        "the script's docstring for the tasks.\n\n"
        + markdown_table(["task", "training rows", "ratio to PCA, per seed"], rows)
        + "\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
