"""A 2-D embedding of scikit-learn's digits: PCA beside the autoencoder.

Fits PCA(2) and AutoencoderTransformer(n_components=2) on 70 % of the
digits, plots the held-out 30 % in each 2-D code, coloured by digit, and
prints how well a 5-nearest-neighbour classifier trained on the training
codes labels the held-out codes: a number for how much the classes are
pulled apart. Writes docs/images/embedding.png. A few seconds on two cores.

    python examples/embedding.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from sk_autoencoder import AutoencoderTransformer

ROOT = Path(__file__).resolve().parents[1]


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    reducers = {
        "PCA(2)": PCA(2),
        "AutoencoderTransformer(2)": AutoencoderTransformer(
            2, hidden_layer_sizes=(128, 64), random_state=0
        ),
    }
    fig, axes = plt.subplots(1, len(reducers), figsize=(11, 5))
    print("5-NN accuracy on held-out 2-D codes")
    for ax, (name, reducer) in zip(axes, reducers.items(), strict=True):
        Z_train = reducer.fit_transform(X_train)
        Z_test = reducer.transform(X_test)
        knn = KNeighborsClassifier(5).fit(Z_train, y_train)
        accuracy = knn.score(Z_test, y_test)
        print(f"  {name:<27} {accuracy:.3f}")
        points = ax.scatter(*Z_test.T, c=y_test, cmap="tab10", s=8, vmin=-0.5, vmax=9.5)
        for digit in range(10):
            ax.annotate(
                str(digit),
                Z_test[y_test == digit].mean(axis=0),
                fontsize=13,
                fontweight="bold",
                ha="center",
                va="center",
                bbox={"boxstyle": "circle", "fc": "white", "alpha": 0.7},
            )
        ax.set(
            title=f"{name}\nheld-out 5-NN accuracy {accuracy:.3f}",
            xticks=[],
            yticks=[],
        )
    fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
    out = ROOT / "docs" / "images" / "embedding.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
