"""
================================================
Inpainting digits: filling a missing 3 x 3 block
================================================

:class:`~sk_autoencoder.AutoencoderImputer` fills missing entries as
scikit-learn's imputers do. For images, it can be trained on holes shaped
like the ones it will fill, and given a path around its code that reads
each hole's surroundings at full resolution. This example removes a random
3 x 3 block of pixels from each held-out digit and fills the blocks with
:class:`~sklearn.impute.KNNImputer` and with an
:class:`~sk_autoencoder.AutoencoderImputer` set up for images, then
compares them by the error on the missing pixels.

To keep the documentation build short, the autoencoder here is a lighter
version of the setting in the user guide (32 channels instead of 64, 100
epochs instead of 150, one thread): it still beats KNNImputer, by less.
The end of the example says what the longer fit gains, and where the
autoencoder loses.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from sklearn.datasets import load_digits
from sklearn.impute import KNNImputer
from sklearn.model_selection import train_test_split
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR

from sk_autoencoder import AutoencoderImputer

N_SHOWN = 8
EPOCHS = 100

# %%
# Holes to fill, and holes to train on
# ------------------------------------
#
# Pixels are scaled to [0, 1] and the digits split 70/30. Each held-out
# digit loses one 3 x 3 block at a random place (set to NaN). The
# autoencoder is trained with a callable ``noise`` that hides what it
# should learn to fill: a block of the same size in each training image,
# and a tenth of the other pixels besides. The loss counts the hidden
# pixels, so the network learns to fill what it does not see.


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


X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
holes = remove_blocks(X_test, np.random.default_rng(0))
missing = np.isnan(holes)

# %%
# The two imputers
# ----------------
#
# KNNImputer runs with its defaults: each hole is filled with the mean of
# the five training digits nearest on the visible pixels.
#
# The autoencoder is the convolutional network for 8 x 8 images
# (``image_shape``), with six (``local_layers``) full-resolution 3 x 3
# convolutions of 32 channels (``hidden_layer_sizes``) in a path around
# the 32-number code: the code keeps the
# digit's overall shape, the local path the pixels around each hole. It
# trains for a fixed number of epochs (``early_stopping=False``) while the
# learning rate decays to 0 on a cosine (skorch's ``LRScheduler``, passed
# through ``callbacks``), without weight decay (``alpha=0``), and its
# filled pixels stay within [0, 1] (``min_value``, ``max_value``).

imputers = {
    "KNNImputer": KNNImputer(),
    "AutoencoderImputer": AutoencoderImputer(
        32,
        image_shape=(8, 8),
        hidden_layer_sizes=(32,),
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
        random_state=0,
    ),
}

# %%
# Filling the blocks
# ------------------
#
# Both are fitted on the complete training digits and fill the held-out
# ones; the score is the root mean squared error on the missing pixels
# only (every visible pixel is returned as given). The figure shows eight
# held-out digits: with the block missing (grey), filled by each imputer,
# and the truth, the block outlined in red.

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
plt.show()

# %%
# What it shows, and what it costs
# --------------------------------
#
# The autoencoder's fills are closer to the truth than KNNImputer's: an
# RMSE of 0.179 against 0.183 in this light version. KNNImputer averages
# whole digits that resemble the visible pixels; the autoencoder's local
# path also reads the strokes right around each hole.
#
# A longer fit gains more. With 150 epochs instead of 100 (32 channels
# still), this split reaches 0.172, in about 55 s on two cores. The
# setting of the user guide, 64 channels and 150 epochs, reaches 0.160, in
# under two minutes on two cores; with ``local_layers=13`` and 300 epochs
# the benchmark reaches 0.148 against KNNImputer's 0.181 over three seeds,
# at about eleven minutes a fit on one thread (``doc/quality.md``).
#
# That is the cost: KNNImputer needs no training, and the autoencoder
# wins only once set up for the task. With its defaults (a dense network,
# random entries masked in training, no local path) the same benchmark
# gives it 0.226, worse than KNNImputer (``doc/quality.md``). Train it on
# holes shaped like the ones to fill, and pay for the epochs.
