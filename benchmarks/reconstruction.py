"""Held-out reconstruction error of AutoencoderTransformer against PCA.

Digits (raw pixels) and eight ADBench datasets (standardized on the
training rows), 30 % held out, k in {2, 8, 16}; default autoencoder
parameters apart from ``n_components`` and ``random_state``. Also the
digits classification pipeline StandardScaler -> reducer(16) ->
LogisticRegression with either reducer.

    python benchmarks/reconstruction.py [--data-dir DIR]
    python benchmarks/reconstruction.py --part sizes   # code size per target R^2
"""

import time

import numpy as np
from _common import environment, load_adbench, markdown_table, parser, write_result
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderTransformer

ADBENCH = [
    "6_cardio",
    "12_fault",
    "18_Ionosphere",
    "24_mnist",
    "25_musk",
    "30_satellite",
    "35_SpamBase",
    "5_campaign",
]
KS = (2, 8, 16)


def datasets(data_dir, names=("digits", *ADBENCH)):
    if "digits" in names:
        X, _ = load_digits(return_X_y=True)
        X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
        yield "digits", X_train, X_test
    for name in names:
        if name == "digits":
            continue
        X, y = load_adbench(data_dir, name)
        X_train, X_test = train_test_split(X, test_size=0.3, stratify=y, random_state=0)
        scaler = StandardScaler().fit(X_train)
        yield name, scaler.transform(X_train), scaler.transform(X_test)


def held_out_mse(reducer, X_train, X_test):
    start = time.perf_counter()
    reducer.fit(X_train)
    seconds = time.perf_counter() - start
    X_rebuilt = reducer.inverse_transform(reducer.transform(X_test))
    return np.mean((X_rebuilt - X_test) ** 2), seconds


def digits_pipeline_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scores = {}
    for name, reducer in [
        ("PCA(16)", PCA(16, random_state=0)),
        ("AutoencoderTransformer(16)", AutoencoderTransformer(16, random_state=0)),
    ]:
        pipe = make_pipeline(
            StandardScaler(), reducer, LogisticRegression(max_iter=2000)
        )
        scores[name] = pipe.fit(X_train, y_train).score(X_test, y_test)
    return scores


SIZE_DATASETS = [
    "digits",
    "6_cardio",
    "12_fault",
    "24_mnist",
    "25_musk",
    "30_satellite",
    "35_SpamBase",
]
TARGETS = (0.8, 0.9, 0.95)


def held_out_r2(X_rebuilt, X_test, mean, scale):
    residual = np.sum(((X_rebuilt - X_test) / scale) ** 2)
    return 1.0 - residual / np.sum(((X_test - mean) / scale) ** 2)


def pca_size(X_train, X_test, target):
    """Smallest k whose PCA reaches ``target`` held-out R^2 on the test rows."""
    pca = PCA(random_state=0).fit(X_train)
    scale = np.sqrt(np.mean(np.var(X_train, axis=0)))
    for k in range(1, X_train.shape[1] + 1):
        Z = (X_test - pca.mean_) @ pca.components_[:k].T
        rebuilt = Z @ pca.components_[:k] + pca.mean_
        if held_out_r2(rebuilt, X_test, pca.mean_, scale) >= target:
            return k
    return X_train.shape[1]


def size_rows(data_dir):
    rows = []
    for name, X_train, X_test in datasets(data_dir, SIZE_DATASETS):
        for target in TARGETS:
            start = time.perf_counter()
            ae = AutoencoderTransformer(target, random_state=0).fit(X_train)
            seconds = time.perf_counter() - start
            rebuilt = ae.inverse_transform(ae.transform(X_test))
            test_r2 = held_out_r2(rebuilt, X_test, ae.mean_, ae.scale_)
            rows.append(
                [
                    name,
                    target,
                    pca_size(X_train, X_test, target),
                    ae.n_components_,
                    f"{test_r2:.3f}",
                    len(ae.candidate_r2_),
                    f"{seconds:.1f}",
                ]
            )
            print(*rows[-1], flush=True)
    return rows


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--part", choices=["ratios", "sizes"], default="ratios")
    args = p.parse_args()
    if args.part == "sizes":
        with threadpool_limits(1):
            rows = size_rows(args.data_dir)
        table = markdown_table(
            [
                "dataset",
                "target R2",
                "PCA size",
                "AE size",
                "AE test R2",
                "AE candidates fitted",
                "AE search s",
            ],
            rows,
        )
        write_result(
            "code_size.md",
            "# Code size chosen for a held-out R^2: PCA vs AutoencoderTransformer\n\n"
            f"{environment()}\n\nOne thread for torch and BLAS. PCA size: the "
            "smallest k whose held-out R^2 on the test rows reaches the target. AE "
            "size: AutoencoderTransformer(n_components=target) with defaults, "
            "whose search uses its own validation rows (10 % of the training "
            "rows); AE test R2 is its R^2 on the test rows. R^2 is measured "
            "after scaling by one common scale (raw digits, standardized "
            f"ADBench).\n\n{table}\n",
        )
        return
    rows, ratios = [], []
    with threadpool_limits(1):
        for name, X_train, X_test in datasets(args.data_dir):
            for k in KS:
                pca_mse, pca_s = held_out_mse(PCA(k, random_state=0), X_train, X_test)
                ae = AutoencoderTransformer(k, random_state=0)
                ae_mse, ae_s = held_out_mse(ae, X_train, X_test)
                ratios.append(ae_mse / pca_mse)
                rows.append(
                    [
                        name,
                        X_train.shape,
                        k,
                        f"{pca_mse:.4f}",
                        f"{ae_mse:.4f}",
                        f"{ae_mse / pca_mse:.3f}",
                        f"{pca_s:.3f}",
                        f"{ae_s:.1f}",
                        ae.n_iter_,
                    ]
                )
                print(*rows[-1], flush=True)
        accuracy = digits_pipeline_accuracy()
    table = markdown_table(
        [
            "dataset",
            "train shape",
            "k",
            "PCA MSE",
            "AE MSE",
            "AE/PCA",
            "PCA fit s",
            "AE fit s",
            "AE epochs",
        ],
        rows,
    )
    text = (
        "# Held-out reconstruction: AutoencoderTransformer vs PCA\n\n"
        f"{environment()}\n\nOne thread for torch and BLAS.\n\n{table}\n\n"
        f"AE/PCA ratio: max {max(ratios):.3f}, median {np.median(ratios):.3f}, "
        f"geometric mean {np.exp(np.mean(np.log(ratios))):.3f}\n\n"
        "Digits, StandardScaler -> reducer -> LogisticRegression, test accuracy: "
        + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items())
        + "\n"
    )
    write_result("reconstruction.md", text)


if __name__ == "__main__":
    main()
