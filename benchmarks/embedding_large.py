"""2-D maps of 100,000 rows: how AutoencoderEmbedding's fit scales.

The three ADBench datasets with more than 100,000 rows and more than three
features, each drawn down to 102,000 rows (stratified, seed 0), split into
100,000 training rows and 2,000 held-out ones, and standardized on the
training rows. AutoencoderEmbedding and UMAP with their defaults, and
PCA(2), are fitted on the training rows; reported: the seconds of the fit
(ours split into the neighbour graph and the training), the held-out
rows' trustworthiness (k=5) and, for the methods with an inverse, their
reconstruction MSE, and the seconds to map the held-out rows (median of
5 calls). Torch, BLAS and OpenMP on two threads; one seed.

    python benchmarks/embedding_large.py [--data-dir DIR]
"""

import time

import numpy as np
from _common import environment, load_adbench, markdown_table, parser, write_result
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import sk_autoencoder._embedding as embedding
from sk_autoencoder import AutoencoderEmbedding

DATASETS = ["10_cover", "11_donors", "8_celeba"]
N_TRAIN, N_TEST = 100_000, 2_000
TRANSFORM_REPEATS = 5


def split(data_dir, name):
    X, y = load_adbench(data_dir, name, max_rows=N_TRAIN + N_TEST)
    X_train, X_test = train_test_split(X, test_size=N_TEST, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


class GraphTimer:
    """Wraps the embedding's neighbour search to time it."""

    def __init__(self):
        self.seconds = 0.0
        self._search = embedding.nearest_neighbors

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._search(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def measure(reducer, X_train, X_test):
    start = time.perf_counter()
    reducer.fit(X_train)
    fit_seconds = time.perf_counter() - start
    seconds = []
    for _ in range(TRANSFORM_REPEATS):
        start = time.perf_counter()
        codes = reducer.transform(X_test)
        seconds.append(time.perf_counter() - start)
    mse = None
    if hasattr(reducer, "inverse_transform") and not hasattr(reducer, "graph_"):
        mse = float(np.mean((reducer.inverse_transform(codes) - X_test) ** 2))
    trust = trustworthiness(X_test, codes, n_neighbors=5)
    return fit_seconds, trust, mse, float(np.median(seconds))


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    import umap

    # numba compiles UMAP's functions on its first fit: not part of a fit.
    warm = np.random.default_rng(0).normal(size=(300, 5))
    umap.UMAP(random_state=0).fit(warm).transform(warm[:10])

    rows = []
    with threadpool_limits(2):
        for name in DATASETS:
            X_train, X_test = split(args.data_dir, name)
            timer = GraphTimer()
            embedding.nearest_neighbors = timer
            try:
                ours = AutoencoderEmbedding(random_state=0, n_jobs=2)
                fit, trust, mse, transform = measure(ours, X_train, X_test)
            finally:
                embedding.nearest_neighbors = timer._search
            rows.append(
                [
                    name,
                    X_train.shape,
                    "AutoencoderEmbedding",
                    f"{fit:.1f} ({timer.seconds:.1f} + {fit - timer.seconds:.1f})",
                    f"{trust:.3f}",
                    f"{mse:.4g}",
                    f"{transform:.4f}",
                ]
            )
            print(*rows[-1], flush=True)
            for method, reducer in [
                ("UMAP", umap.UMAP(random_state=0)),
                ("PCA", PCA(2)),
            ]:
                fit, trust, mse, transform = measure(reducer, X_train, X_test)
                rows.append(
                    [
                        name,
                        X_train.shape,
                        method,
                        f"{fit:.1f}",
                        f"{trust:.3f}",
                        "-" if mse is None else f"{mse:.4g}",
                        f"{transform:.4f}",
                    ]
                )
                print(*rows[-1], flush=True)
    header = [
        "dataset",
        "train shape",
        "method",
        "fit s (ours: graph + training)",
        "held-out trust",
        "held-out MSE",
        "transform s",
    ]
    text = (
        f"# {__doc__.splitlines()[0]}\n\n{environment()}\n\n"
        f"{' '.join(__doc__.split(chr(10) + chr(10))[1].split())}\n\n"
        f"{markdown_table(header, rows)}\n"
    )
    write_result("embedding_large.md", text)


if __name__ == "__main__":
    main()
