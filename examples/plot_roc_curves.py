"""ROC curves of AutoencoderOutlierDetector, IsolationForest and PCA.

Two ADBench datasets, chosen to show both sides: 24_mnist, where the
autoencoder detector beats IsolationForest, and 28_pendigits, where
IsolationForest beats it by far (see benchmarks/results/adbench.md for all
43). The protocol of the benchmark, with one seed: a stratified 70/30
split, a StandardScaler fit on the training rows, each method fitted with
its defaults on the training rows without labels, the curve on the test
rows. PCA scores rows by their reconstruction error with a code as wide as
the detector's (half the features). Writes docs/images/roc_curves.png.
About ten seconds on two cores.

    python examples/roc_curves.py [--data-dir ../shared/datasets/adbench]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderOutlierDetector

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ["24_mnist", "28_pendigits"]


def pca_scores(X_train, X_test):
    """Negative PCA reconstruction error: higher means more normal."""
    pca = PCA(max(1, X_train.shape[1] // 2)).fit(X_train)
    rebuilt = pca.inverse_transform(pca.transform(X_test))
    return -np.mean((X_test - rebuilt) ** 2, axis=1)


def scores(X_train, X_test):
    """Outlier scores of the test rows per method, higher = more normal."""
    detector = AutoencoderOutlierDetector(random_state=0).fit(X_train)
    forest = IsolationForest(random_state=0).fit(X_train)
    return {
        "AutoencoderOutlierDetector": detector.score_samples(X_test),
        "IsolationForest": forest.score_samples(X_test),
        "PCA reconstruction error": pca_scores(X_train, X_test),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=ROOT.parent / "shared/datasets/adbench")
    args = p.parse_args()
    fig, axes = plt.subplots(1, len(DATASETS), figsize=(11, 5))
    for ax, name in zip(axes, DATASETS, strict=True):
        # Both have under 20,000 rows: the protocol's subsample does not apply.
        data = np.load(Path(args.data_dir) / f"{name}.npz")
        X, y = data["X"].astype(np.float64), data["y"].astype(int)
        X_train, X_test, _, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        print(f"{name} ({X.shape[0]} rows, {X.shape[1]} features): ROC-AUC")
        for method, score in scores(X_train, X_test).items():
            # Outliers are the positive class: rank by lowest score first.
            fpr, tpr, _ = roc_curve(y_test, -score)
            auc = roc_auc_score(y_test, -score)
            ax.plot(fpr, tpr, label=f"{method} (AUC {auc:.3f})")
            print(f"  {method:<28} {auc:.3f}")
        ax.plot([0, 1], [0, 1], color="black", lw=0.8, ls=":")
        ax.set(
            title=f"{name}: {y.mean():.1%} outliers",
            xlabel="false positive rate",
            ylabel="true positive rate",
            aspect="equal",
        )
        ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    out = ROOT / "docs" / "images" / "roc_curves.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
