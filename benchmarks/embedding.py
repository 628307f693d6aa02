"""2-D maps of held-out rows: AutoencoderEmbedding against UMAP, PCA, Isomap.

Digits (raw pixels), breast cancer and wine (standardized), and four
ADBench datasets (standardized on the training rows); 30 % held out
(stratified, seed 0). Every method is fitted on the training rows with
its defaults (two components) and maps the held-out rows with its
transform. Reported: trustworthiness of the held-out map (k=5), the
accuracy of a 5-nearest-neighbour classifier trained on the training
codes and scored on the held-out codes (only where the labels are
classes; ADBench's are anomaly flags), the held-out reconstruction MSE
(in the units given to the method) of the methods with an inverse, and
the seconds to fit and to transform the held-out rows (the median of
25 calls). UMAP is umap-learn (``pip install -e ".[benchmark]"``); its
first fit in the process includes numba's compilation, so a small
warm-up fit comes first.

    python benchmarks/embedding.py [--data-dir DIR]
"""

import time

import numpy as np
from _common import environment, load_adbench, markdown_table, parser, write_result
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.manifold import Isomap, trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderEmbedding

ADBENCH = ["20_letter", "30_satellite", "6_cardio", "22_magic.gamma"]
# Transform times are the median of this many calls on the held-out rows
# (the codes are the first call's): a single call of a millisecond or two
# moves with whatever ran just before it, and the first few calls after a
# fit run slower than the rest (the median of 5 was wine's third call).
TRANSFORM_REPEATS = 25
CLASSES = {"digits", "breast_cancer", "wine"}


def datasets(data_dir):
    for name, loader in [
        ("digits", load_digits),
        ("breast_cancer", load_breast_cancer),
        ("wine", load_wine),
    ]:
        X, y = loader(return_X_y=True)
        yield name, split(X, y, standardize=name != "digits")
    for name in ADBENCH:
        yield name, split(*load_adbench(data_dir, name), standardize=True)


def split(X, y, standardize):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    if standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, y_train, y_test


def methods():
    import umap

    yield "AutoencoderEmbedding", lambda: AutoencoderEmbedding(random_state=0)
    yield "UMAP", lambda: umap.UMAP(random_state=0)
    yield "PCA", lambda: PCA(2)
    yield "Isomap", lambda: Isomap(n_components=2)


def measure(make, X_train, X_test, y_train, y_test, classes):
    reducer = make()
    start = time.perf_counter()
    reducer.fit(X_train)
    fit_seconds = time.perf_counter() - start
    codes, transform_seconds = None, []
    for _ in range(TRANSFORM_REPEATS):
        start = time.perf_counter()
        mapped = reducer.transform(X_test)
        transform_seconds.append(time.perf_counter() - start)
        codes = mapped if codes is None else codes
    row = {
        "trust": trustworthiness(X_test, codes, n_neighbors=5),
        "knn": None,
        "mse": None,
        "fit": fit_seconds,
        "transform": float(np.median(transform_seconds)),
    }
    if classes:
        knn = KNeighborsClassifier(5).fit(reducer.transform(X_train), y_train)
        row["knn"] = knn.score(codes, y_test)
    if hasattr(reducer, "inverse_transform") and not hasattr(reducer, "graph_"):
        row["mse"] = float(np.mean((reducer.inverse_transform(codes) - X_test) ** 2))
    return row


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    import umap

    # numba compiles UMAP's functions on its first fit: not part of a fit.
    warm = np.random.default_rng(0).normal(size=(300, 5))
    umap.UMAP(random_state=0).fit(warm).transform(warm[:10])

    table, targets = [], []
    with threadpool_limits(2):
        for name, (X_train, X_test, y_train, y_test) in datasets(args.data_dir):
            results = {}
            for method, make in methods():
                row = measure(make, X_train, X_test, y_train, y_test, name in CLASSES)
                results[method] = row
                table.append(
                    [
                        name,
                        X_train.shape,
                        method,
                        f"{row['trust']:.3f}",
                        "-" if row["knn"] is None else f"{row['knn']:.3f}",
                        "-" if row["mse"] is None else f"{row['mse']:.4g}",
                        f"{row['fit']:.2f}",
                        f"{row['transform']:.4f}",
                    ]
                )
                print(*table[-1], flush=True)
            ours, ref, pca = (
                results["AutoencoderEmbedding"],
                results["UMAP"],
                results["PCA"],
            )
            targets.append(
                [
                    name,
                    f"{ours['trust'] - ref['trust']:+.3f}",
                    "-" if ours["knn"] is None else f"{ours['knn'] - ref['knn']:+.3f}",
                    f"{ours['mse'] / pca['mse']:.3f}",
                    f"{ref['transform'] / ours['transform']:.0f}",
                    f"{ours['fit'] / ref['fit']:.2f}",
                ]
            )
    text = "\n\n".join(
        [
            "# 2-D maps of held-out rows: AutoencoderEmbedding, UMAP, PCA, Isomap",
            environment() + f", umap-learn {umap.__version__}",
            "Two threads for torch, BLAS and OpenMP; defaults for every method; "
            "trust = trustworthiness of the held-out map (k=5); 5-NN = accuracy "
            "on held-out codes of a 5-NN classifier fitted on the training codes "
            "(class labels only); MSE = held-out reconstruction error; seconds "
            "to fit and to transform the held-out rows (median of "
            f"{TRANSFORM_REPEATS} calls).",
            markdown_table(
                [
                    "dataset",
                    "train shape",
                    "method",
                    "trust",
                    "5-NN",
                    "MSE",
                    "fit s",
                    "transform s",
                ],
                table,
            ),
            "## The targets: ours against UMAP (and PCA for the MSE)",
            "Targets: trust difference >= -0.01, 5-NN difference >= -0.02, "
            "MSE / PCA's < 1, UMAP's transform time / ours >= 50, "
            "fit time / UMAP's <= 2.",
            markdown_table(
                [
                    "dataset",
                    "trust - UMAP",
                    "5-NN - UMAP",
                    "MSE / PCA",
                    "transform speed-up",
                    "fit / UMAP",
                ],
                targets,
            ),
        ]
    )
    write_result("embedding.md", text + "\n")


if __name__ == "__main__":
    main()
