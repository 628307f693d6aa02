"""Choosing the code size from the data, as PCA(n_components=0.9) does.

Plots the held-out reconstruction R^2 against the code size for PCA and for
AutoencoderTransformer on scikit-learn's digits and on ADBench's cardio
data, and marks the size that n_components=0.9 chooses for each. Writes
docs/images/choosing_size.png. About a minute on two cores.

    python examples/choosing_size.py [--data-dir ../shared/datasets/adbench]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderTransformer

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.9


def pca_curve(X_train, X_test):
    """Held-out R^2 of PCA for every code size."""
    pca = PCA().fit(X_train)
    centred = X_test - pca.mean_
    total = np.sum(centred**2)
    r2 = []
    for k in range(1, X_train.shape[1] + 1):
        rebuilt = centred @ pca.components_[:k].T @ pca.components_[:k]
        r2.append(1 - np.sum((rebuilt - centred) ** 2) / total)
    return np.arange(1, X_train.shape[1] + 1), np.array(r2)


def load(name, data_dir):
    if name == "digits":
        X = load_digits().data
    else:
        X = np.load(Path(data_dir) / f"{name}.npz")["X"].astype(float)
        X = StandardScaler().fit_transform(X)
    return train_test_split(X, test_size=0.3, random_state=0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=ROOT.parent / "shared/datasets/adbench")
    args = p.parse_args()
    names = ["digits", "6_cardio"]
    fig, axes = plt.subplots(1, len(names), figsize=(11, 4))
    for ax, name in zip(axes, names, strict=True):
        X_train, X_test = load(name, args.data_dir)
        sizes, pca_r2 = pca_curve(X_train, X_test)
        ae = AutoencoderTransformer(TARGET, random_state=0).fit(X_train)
        tried = np.array(list(ae.candidate_r2_.items()))
        pca_size = int(sizes[np.argmax(pca_r2 >= TARGET)])
        ax.plot(sizes, pca_r2, color="tab:gray", label="PCA (test rows)")
        ax.plot(
            tried[:, 0],
            tried[:, 1],
            "o-",
            color="tab:blue",
            label="autoencoder (sizes tried, validation rows)",
        )
        ax.axhline(TARGET, color="black", lw=0.8, ls=":")
        ax.axvline(
            pca_size,
            color="tab:gray",
            ls="--",
            label=f"PCA(n_components={TARGET}): {pca_size}",
        )
        ax.axvline(
            ae.n_components_,
            color="tab:blue",
            ls="--",
            label=f"AutoencoderTransformer({TARGET}): {ae.n_components_}",
        )
        ax.set(
            title=f"{name} ({X_train.shape[1]} features)",
            xlabel="code size",
            ylabel="held-out reconstruction $R^2$",
            ylim=(0, 1.02),
        )
        ax.legend(loc="lower right", fontsize=8)
        print(
            f"{name}: PCA needs {pca_size}, the autoencoder {ae.n_components_} "
            f"components for R^2 >= {TARGET}"
        )
    fig.tight_layout()
    out = ROOT / "docs" / "images" / "choosing_size.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
