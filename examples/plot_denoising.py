"""Denoising digits: noisy input, PCA, and a denoising autoencoder.

Fits PCA and a denoising AutoencoderTransformer on 70 % of scikit-learn's
digits scaled to [0, 1]; corrupts the held-out 30 % with Gaussian noise of
sigma 0.2 and 0.4, clipped to [0, 1] (``add_noise``). The autoencoder is
trained to rebuild clean digits from copies with that same corruption
(``noise=add_noise``: the corruption you expect, as a function). Prints
the PSNR of each
reconstruction and draws clean / noisy / PCA / autoencoder rows for a few
held-out digits. PCA gets its best number of components on the test set
(an upper bound for PCA). Writes docs/images/denoising.png. About a minute
on two cores.

    python examples/denoising.py
"""

from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sk_autoencoder import AutoencoderTransformer

ROOT = Path(__file__).resolve().parents[1]
SIGMAS = (0.2, 0.4)
N_SHOWN = 8


def add_noise(X, rng, sigma):
    """The corruption to undo: Gaussian noise, clipped to the pixel range."""
    return np.clip(X + sigma * rng.normal(size=X.shape), 0, 1)


def psnr(estimate, truth):
    return 10 * np.log10(1.0 / np.mean((estimate - truth) ** 2))


def best_pca(X_train, noisy, X_test):
    """PCA's reconstruction of ``noisy`` with the k that is best on the test set."""
    best = None
    for k in range(1, X_train.shape[1]):
        pca = PCA(k).fit(X_train)
        rebuilt = np.clip(pca.inverse_transform(pca.transform(noisy)), 0, 1)
        if best is None or psnr(rebuilt, X_test) > psnr(best[1], X_test):
            best = k, rebuilt
    return best


def main():
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
            64,
            hidden_layer_sizes=(1024,),
            batch_size=32,
            max_iter=300,
            n_iter_no_change=30,
            noise=partial(add_noise, sigma=sigma),
            random_state=0,
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
    out = ROOT / "docs" / "images" / "denoising.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
