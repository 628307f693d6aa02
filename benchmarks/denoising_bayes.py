"""How far denoising digits can go with the training images alone: the
posterior mean under the training images as the prior.

An anchor for issue 22's denoising target (+2 dB over best-k PCA at every
noise level), not part of the package. The split and the corruption of
``defaults.py``'s denoise part: scikit-learn's digits scaled to [0, 1], 30 %
held out, Gaussian noise of std sigma clipped to [0, 1]. For each noisy
held-out image ``y``, the estimate is the mean of the training images
``x_i`` weighted by the likelihood of ``y`` given ``x_i`` under that exact
corruption (a Gaussian density for a pixel inside (0, 1), the probability
mass of the clipped tail for one at 0 or 1): the best denoiser for a
source that draws its images from the training set alone. A network that
generalizes can beat it (it can place an image between the training
ones), and does where the noise is light; where the noise is heavy, the
posterior is spread over many training images, and this estimate shows
what they hold.

Reported: PSNR of the noisy images, of PCA with the best k chosen on the
test set, and of this estimate; mean over seeds (the noise draw), as in
``defaults.py``, whose results (``defaults_denoise_inpaint.md``) give the
autoencoders' figures for the same draws.

    python benchmarks/denoising_bayes.py [--seeds 0 1 2]
"""

import numpy as np
from _common import environment, markdown_table, parser, write_result
from defaults import SIGMAS
from denoising import clipped_gaussian, digits_split, psnr
from scipy.special import log_ndtr, logsumexp
from sklearn.decomposition import PCA


def log_likelihoods(noisy, clean, sigma):
    """Log-likelihood of each noisy image given each clean one, under
    Gaussian noise of std ``sigma`` clipped to [0, 1]: shape (noisy, clean)."""
    total = np.zeros((len(noisy), len(clean)))
    for pixel in range(noisy.shape[1]):
        y, x = noisy[:, pixel, None], clean[None, :, pixel]
        inside = -((y - x) ** 2) / (2 * sigma**2)
        # Clipped pixels: all the noise that took them beyond 0 or 1.
        at_zero = log_ndtr(-x / sigma)
        at_one = log_ndtr((x - 1) / sigma)
        total += np.where(y <= 0, at_zero, np.where(y >= 1, at_one, inside))
    return total


def posterior_mean(noisy, clean, sigma):
    log_weights = log_likelihoods(noisy, clean, sigma)
    weights = np.exp(log_weights - logsumexp(log_weights, axis=1, keepdims=True))
    return weights @ clean


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--output", default="denoising_bayes.md")
    args = p.parse_args()
    X_train, X_test = digits_split(0)
    pcas = [PCA(k).fit(X_train) for k in range(1, 64)]
    rows = []
    for task, sigmas in SIGMAS.items():
        for sigma in sigmas:
            noisy_psnr, pca_psnr, bayes_psnr = [], [], []
            for seed in args.seeds:
                noisy = clipped_gaussian(X_test, np.random.default_rng(seed), sigma)
                noisy_psnr.append(psnr(noisy, X_test))
                pca_psnr.append(
                    max(
                        psnr(p.inverse_transform(p.transform(noisy)), X_test)
                        for p in pcas
                    )
                )
                bayes_psnr.append(psnr(posterior_mean(noisy, X_train, sigma), X_test))
            pca = np.mean(pca_psnr)
            bayes = np.mean(bayes_psnr)
            rows.append(
                [
                    sigma,
                    task,
                    f"{np.mean(noisy_psnr):.2f}",
                    f"{pca:.2f}",
                    f"{bayes:.2f} ({bayes - pca:+.2f})",
                ]
            )
    header = ["sigma", "task", "noisy", "best-k PCA", "posterior mean (gain)"]
    text = (
        "# Denoising digits: the posterior mean under the training images\n\n"
        f"{environment()}\n\n"
        f"Seeds {args.seeds}; PSNR dB, mean over seeds; the split and noise "
        "draws of defaults.py's denoise part. Gain over best-k PCA.\n\n"
        + markdown_table(header, rows)
        + "\n"
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
