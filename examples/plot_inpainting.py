"""Inpainting digits: a missing 3 x 3 block filled by KNNImputer and AutoencoderImputer.

Fits both imputers on 70 % of scikit-learn's digits scaled to [0, 1],
removes a random 3 x 3 block of pixels from each held-out digit (NaN),
fills the blocks, prints the RMSE on the missing pixels and draws masked /
KNNImputer / AutoencoderImputer / truth rows for a few held-out digits.
Writes docs/images/inpainting.png. About two minutes on two cores.

    python examples/inpainting.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from sklearn.datasets import load_digits
from sklearn.impute import KNNImputer
from sklearn.model_selection import train_test_split
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR

from sk_autoencoder import AutoencoderImputer

ROOT = Path(__file__).resolve().parents[1]
N_SHOWN = 8
EPOCHS = 150


def remove_blocks(X, rng, size=3, side=8):
    """``X`` with a random ``size`` x ``size`` block of each image set to NaN."""
    holes = X.copy()
    for image in holes.reshape(len(X), side, side):
        top, left = rng.integers(0, side - size + 1, size=2)
        image[top : top + size, left : left + size] = np.nan
    return holes


def hide_blocks_and_pixels(X, rng):
    """Training noise shaped like the holes to fill: a block per image, and
    a tenth of the pixels besides (NaN marks what the network must fill)."""
    X = remove_blocks(X, rng)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


def main():
    X = load_digits().data / 16.0
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    holes = remove_blocks(X_test, np.random.default_rng(0))
    missing = np.isnan(holes)
    imputers = {
        "KNNImputer": KNNImputer(),
        # The convolutional network, with a path around the code that reads
        # each hole's surroundings at full resolution (local_layers).
        # Training hides blocks like the ones to fill (a callable noise) for
        # a fixed number of epochs, the learning rate decaying to 0 on a
        # cosine; pixels share one scale and stay within [0, 1].
        "AutoencoderImputer": AutoencoderImputer(
            32,
            image_shape=(8, 8),
            hidden_layer_sizes=(64,),
            local_layers=6,
            standardize=False,
            min_value=0.0,
            max_value=1.0,
            noise=hide_blocks_and_pixels,
            alpha=0.0,
            batch_size=64,
            max_iter=EPOCHS,
            early_stopping=False,
            n_iter_no_change=EPOCHS,
            callbacks=[LRScheduler(policy=CosineAnnealingLR, T_max=EPOCHS)],
            n_jobs=-1,
            random_state=0,
        ),
    }
    rows = {"masked": np.where(missing, 0.5, holes)}
    print("RMSE on the missing pixels")
    for name, imputer in imputers.items():
        filled = imputer.fit(X_train).transform(holes)
        rmse = np.sqrt(np.mean((filled[missing] - X_test[missing]) ** 2))
        print(f"  {name:<20} {rmse:.3f}")
        rows[f"{name}\nRMSE {rmse:.3f}"] = filled
    rows["truth"] = X_test

    fig, axes = plt.subplots(len(rows), N_SHOWN, figsize=(N_SHOWN * 1.1, 6))
    for r, (label, images) in enumerate(rows.items()):
        for c in range(N_SHOWN):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            block_rows, block_cols = np.nonzero(missing[c].reshape(8, 8))
            corner = (block_cols.min() - 0.5, block_rows.min() - 0.5)
            ax.add_patch(Rectangle(corner, 3, 3, fill=False, ec="tab:red", lw=1.5))
            ax.set(xticks=[], yticks=[])
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle("Filling a missing 3 x 3 block (red) of held-out digits")
    fig.tight_layout()
    out = ROOT / "docs" / "images" / "inpainting.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
