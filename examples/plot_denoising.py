"""
=================================================
Denoising digits: PCA and a denoising autoencoder
=================================================

A denoising autoencoder is trained to rebuild clean rows from corrupted
copies of them, so that, fed a noisy row, it returns a clean one. This
example fits :class:`~sklearn.decomposition.PCA` and a denoising
:class:`~sk_autoencoder.AutoencoderTransformer` on clean digits, corrupts
held-out digits with Gaussian noise of two strengths, and compares the
reconstructions by their PSNR (peak signal-to-noise ratio, in dB: higher is
closer to the clean digit).

The autoencoder, told that the rows are 8 x 8 images (``image_shape``),
gains 2 to 3 dB over PCA at both noise levels, although PCA gets the
number of components that is best on the test set itself. The gain has
conditions: the network is trained for the corruption it will see, and
its training takes most of a minute where PCA's fits take milliseconds.
"""

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sk_autoencoder import AutoencoderTransformer

SIGMAS = (0.2, 0.4)
N_SHOWN = 8

# %%
# The corruption, and the score
# -----------------------------
#
# Pixels are scaled to [0, 1]. The noise adds Gaussian noise of standard
# deviation ``sigma`` to every pixel and clips the result back to [0, 1].
# The same function, with the ``sigma`` of the test, is given to the
# autoencoder as its ``noise``: a callable noise tells it exactly which
# corruption to undo, the clipping included.


def add_noise(X, rng, sigma):
    """The corruption to undo: Gaussian noise, clipped to the pixel range."""
    return np.clip(X + sigma * rng.normal(size=X.shape), 0, 1)


def psnr(estimate, truth):
    return 10 * np.log10(1.0 / np.mean((estimate - truth) ** 2))


# %%
# PCA, given its best chance
# --------------------------
#
# PCA denoises by projecting a noisy digit on its first ``k`` components,
# fitted on clean digits. Too few components lose the digit, too many keep
# the noise. Every ``k`` is tried and the one with the best PSNR *on the
# test set* is kept: an upper bound for PCA that no real use reaches, since
# it looks at the clean test digits.


def best_pca(X_train, noisy, X_test):
    """PCA's reconstruction of ``noisy`` with the k that is best on the test set."""
    best = None
    for k in range(1, X_train.shape[1]):
        pca = PCA(k).fit(X_train)
        rebuilt = np.clip(pca.inverse_transform(pca.transform(noisy)), 0, 1)
        if best is None or psnr(rebuilt, X_test) > psnr(best[1], X_test):
            best = k, rebuilt
    return best


# %%
# Fitting and denoising
# ---------------------
#
# Both are fitted on 70 % of the digits, clean; the other 30 % are
# corrupted with each ``sigma`` in turn. The autoencoder keeps its
# defaults but for the code, 64 numbers as wide as the input: for
# denoising, the corruption, not a narrow code, keeps it from copying its
# input. Its width and training budget follow from the data. For each noise
# level the figure shows four rows of eight held-out digits: clean, noisy,
# PCA's reconstruction and the autoencoder's, each labelled with its PSNR
# over the whole test set.

X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
rng = np.random.default_rng(0)

fig, axes = plt.subplots(
    2 * 4, N_SHOWN, figsize=(N_SHOWN * 1.1, 2 * 4 * 1.2), squeeze=False
)
print(f"{'sigma':>5}  {'noisy':>6}  {'PCA (best k)':>14}  {'autoencoder':>11}")
for block, sigma in enumerate(SIGMAS):
    noisy = add_noise(X_test, rng, sigma)
    k, pca_rebuilt = best_pca(X_train, noisy, X_test)
    ae = AutoencoderTransformer(
        64, image_shape=(8, 8), noise=partial(add_noise, sigma=sigma), random_state=0
    ).fit(X_train)
    denoised = np.clip(ae.inverse_transform(ae.transform(noisy)), 0, 1)
    print(
        f"{sigma:>5}  {psnr(noisy, X_test):6.2f}  "
        f"{psnr(pca_rebuilt, X_test):8.2f} (k={k:<2})  "
        f"{psnr(denoised, X_test):11.2f}   dB"
    )
    rows = {
        "clean": X_test,
        f"noisy sigma={sigma}\n{psnr(noisy, X_test):.1f} dB": noisy,
        f"PCA k={k}\n{psnr(pca_rebuilt, X_test):.1f} dB": pca_rebuilt,
        f"autoencoder\n{psnr(denoised, X_test):.1f} dB": denoised,
    }
    for r, (label, images) in enumerate(rows.items()):
        for c in range(N_SHOWN):
            ax = axes[4 * block + r, c]
            ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set(xticks=[], yticks=[])
        axes[4 * block + r, 0].set_ylabel(label, fontsize=8)
fig.suptitle("Denoising held-out digits (PSNR over the whole test set)")
fig.tight_layout()
plt.show()

# %%
# What the numbers say
# --------------------
#
# At both noise levels the autoencoder's reconstructions are about 2 dB
# closer to the clean digits than PCA's best, and PCA's best ``k`` shrinks
# as the noise grows: with more noise, fewer components are worth keeping.
# ``benchmarks/defaults.py`` measures it over three seeds and at noise
# levels the defaults were not chosen on (``doc/quality.md``).
#
# The limits: the autoencoder here was told the corruption, as a function.
# The built-in ``noise="gaussian"`` with ``noise_level=sigma``, which does
# not know that pixels are clipped, gains less. And the autoencoder's fits
# take most of this example's run time, where each of PCA's 63 fits takes
# milliseconds.
