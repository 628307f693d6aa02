"""Denoising, inpainting and imputation against PCA and scikit-learn's imputers.

Three parts, each one table in benchmarks/results/denoising.md (a run of
some parts, or of another split, writes denoising_<parts>[_splitN].md):

- denoise: scikit-learn digits scaled to [0, 1], 30 % held out, Gaussian
  noise of sigma 0.2 and 0.4 clipped to [0, 1]. PSNR of the noisy images,
  of PCA fitted on the clean training images with the best k chosen on the
  test set (1 ... 63), and of two denoising AutoencoderTransformers fitted
  on the clean training images: one with the built-in ``noise="gaussian"``
  (``noise_level`` = sigma, in pixel units, unclipped), one whose ``noise``
  is the benchmark's own corruption (the callable ``clipped_gaussian``).
  Mean over seeds (noise draw and random_state).
- inpaint: the same split; a random 3 x 3 block of each held-out digit is
  missing. RMSE on the missing pixels of imputers fitted on the training
  images: mean, KNNImputer, IterativeImputer, AutoencoderImputer with its
  defaults, and AutoencoderImputer set up for images (IMPUTER_IMAGES: the
  convolutional network with a local path, trained on block-shaped holes).
- impute: ADBench datasets (those with 3 to 100 features, subsampled to
  2,000 rows), standardized, 20 % of the entries missing completely at
  random; each imputer is fitted on the data with holes and fills them
  (fit_transform). RMSE on the missing entries in standardized units.

The autoencoders use one setting for every dataset and noise level (see
DENOISER and IMPUTER below); nothing is tuned per dataset.

The digits split is the one the targets were set on (``--split 0``). That
split has no validation part, so settings compared on it are chosen on the
test set; ``--split N`` reruns the digits parts on another split
(``train_test_split``'s random_state N), to check that a choice holds
there too. Results of another split go to a file of their own.

    python benchmarks/denoising.py [--part denoise inpaint impute] [--seeds 0 1 2]
        [--split 0]
"""

import time
from functools import partial

import numpy as np
from _common import (
    adbench_names,
    environment,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import LRScheduler
from threadpoolctl import threadpool_limits
from torch.optim.lr_scheduler import CosineAnnealingLR

from sk_autoencoder import AutoencoderImputer, AutoencoderTransformer

# A wide network with no bottleneck to speak of: for denoising, the
# corruption, not the code width, is what keeps it from copying its input.
DENOISER = {
    "n_components": 64,
    "hidden_layer_sizes": (1024,),
    "batch_size": 32,
    "max_iter": 300,
    "n_iter_no_change": 30,
}
# Image pixels share one scale; standardizing would blow up rare pixels.
IMPUTER_DIGITS = {"standardize": False}
# For images with holes of a known shape: the convolutional network with a
# path around the code (local_layers), trained on holes shaped like the ones
# to fill, for a fixed number of epochs with a cosine learning-rate decay
# (no weight decay), imputed pixels kept within [0, 1].
IMAGE_EPOCHS = 300
IMPUTER_IMAGES = {
    "n_components": 32,
    "image_shape": (8, 8),
    "hidden_layer_sizes": (64,),
    "local_layers": 13,
    "standardize": False,
    "alpha": 0.0,
    "batch_size": 64,
    "max_iter": IMAGE_EPOCHS,
    "early_stopping": False,
    "n_iter_no_change": IMAGE_EPOCHS,
    "min_value": 0.0,
    "max_value": 1.0,
}
SIGMAS = (0.2, 0.4)


def digits_split(split):
    X = load_digits().data / 16.0
    return train_test_split(X, test_size=0.3, random_state=split)


def clipped_gaussian(X, rng, sigma):
    """The corruption denoised here: Gaussian noise, clipped to [0, 1]."""
    return np.clip(X + sigma * rng.normal(size=X.shape), 0, 1)


def psnr(estimate, truth):
    return 10 * np.log10(1.0 / np.mean((estimate - truth) ** 2))


def denoise(seeds, split):
    X_train, X_test = digits_split(split)
    rows = []
    for sigma in SIGMAS:
        noises = {
            "gaussian": {"noise": "gaussian", "noise_level": sigma},
            "corruption": {"noise": partial(clipped_gaussian, sigma=sigma)},
        }
        scores = {"noisy": [], "pca": [], "k": [], "seconds": []}
        for seed in seeds:
            noisy = clipped_gaussian(X_test, np.random.default_rng(seed), sigma)
            scores["noisy"].append(psnr(noisy, X_test))
            pca = {}
            for k in range(1, 64):
                reducer = PCA(k).fit(X_train)
                rebuilt = reducer.inverse_transform(reducer.transform(noisy))
                pca[k] = psnr(rebuilt, X_test)
            best_k = max(pca, key=pca.get)
            scores["pca"].append(pca[best_k])
            scores["k"].append(best_k)
            for name, noise in noises.items():
                ae = AutoencoderTransformer(random_state=seed, **noise, **DENOISER)
                start = time.perf_counter()
                ae.fit(X_train)
                scores["seconds"].append(time.perf_counter() - start)
                denoised = np.clip(ae.inverse_transform(ae.transform(noisy)), 0, 1)
                scores.setdefault(name, []).append(psnr(denoised, X_test))
        row = [
            sigma,
            f"{np.mean(scores['noisy']):.2f}",
            f"{np.mean(scores['pca']):.2f} (k {sorted(set(scores['k']))})",
        ]
        for name in noises:
            gain = np.mean(scores[name]) - np.mean(scores["pca"])
            worst = min(scores[name]) - max(scores["pca"])
            row.append(f"{np.mean(scores[name]):.2f} ({gain:+.2f}, worst {worst:+.2f})")
        rows.append([*row, f"{np.median(scores['seconds']):.1f}"])
        print(rows[-1], flush=True)
    header = [
        "sigma",
        "noisy dB",
        "best-k PCA dB",
        'noise="gaussian" dB (gain)',
        "noise=clipped_gaussian dB (gain)",
        "fit s (median of both)",
    ]
    return (
        "## Denoising digits (PSNR, mean over seeds)\n\n"
        f"Autoencoder: {DENOISER}. Gain: over best-k PCA; worst: the lowest "
        "autoencoder PSNR minus the highest PCA PSNR over the seeds. "
        'noise="gaussian" trains on unclipped Gaussian noise of the same '
        "sigma; noise=clipped_gaussian on the corruption the test images "
        "get.\n\n" + markdown_table(header, rows)
    )


def block_holes(X, rng, size=3, side=8):
    """``X`` with a random ``size`` x ``size`` block of each image missing."""
    holes = X.copy()
    for row in holes.reshape(len(X), side, side):
        top, left = rng.integers(0, side - size + 1, size=2)
        row[top : top + size, left : left + size] = np.nan
    return holes


def block_noise(X, rng):
    """Training noise for IMPUTER_IMAGES: a block per image, and a tenth of
    the pixels besides, hidden (NaN)."""
    X = block_holes(X, rng)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


def imputers(seed, digits=False):
    ours = {**IMPUTER_DIGITS} if digits else {}
    methods = {
        "mean": SimpleImputer(),
        "KNNImputer": KNNImputer(),
        "IterativeImputer": IterativeImputer(random_state=seed),
        "AutoencoderImputer": AutoencoderImputer(random_state=seed, **ours),
    }
    if digits:
        cosine = LRScheduler(policy=CosineAnnealingLR, T_max=IMAGE_EPOCHS)
        methods["AutoencoderImputer for images"] = AutoencoderImputer(
            noise=block_noise, callbacks=[cosine], random_state=seed, **IMPUTER_IMAGES
        )
    return methods


def missing_rmse(filled, truth, missing):
    return np.sqrt(np.mean((filled[missing] - truth[missing]) ** 2))


def inpaint(seeds, split):
    X_train, X_test = digits_split(split)
    results, seconds = {}, {}
    for seed in seeds:
        holes = block_holes(X_test, np.random.default_rng(seed))
        missing = np.isnan(holes)
        for name, imputer in imputers(seed, digits=True).items():
            start = time.perf_counter()
            filled = imputer.fit(X_train).transform(holes)
            seconds.setdefault(name, []).append(time.perf_counter() - start)
            results.setdefault(name, []).append(missing_rmse(filled, X_test, missing))
            print(name, seed, round(results[name][-1], 4), flush=True)
    rows = [
        [
            name,
            f"{np.mean(values):.3f}",
            " / ".join(f"{value:.3f}" for value in values),
            f"{np.median(seconds[name]):.1f}",
        ]
        for name, values in results.items()
    ]
    return (
        "## Inpainting a 3 x 3 block per held-out digit (RMSE on the block)\n\n"
        f"AutoencoderImputer: defaults plus {IMPUTER_DIGITS}. "
        f"AutoencoderImputer for images: {IMPUTER_IMAGES}, noise=block_noise "
        "(a random 3 x 3 block per image and a tenth of the pixels hidden), "
        f"callbacks=[LRScheduler(CosineAnnealingLR, T_max={IMAGE_EPOCHS})]. "
        "One torch thread.\n\n"
        + markdown_table(["imputer", "RMSE", "per seed", "fit + transform s"], rows)
    )


def impute(data_dir, seeds, datasets=None, max_rows=2000, rate=0.2):
    rows, wins, fit_seconds = [], 0, {}
    names = []
    for name in datasets or adbench_names(data_dir):
        X, _ = load_adbench(data_dir, name, max_rows=max_rows)
        if 3 <= X.shape[1] <= 100:
            names.append(name)
    for name in names:
        X, _ = load_adbench(data_dir, name, max_rows=max_rows)
        X = StandardScaler().fit_transform(X)
        results = {}
        for seed in seeds:
            rng = np.random.default_rng(seed)
            missing = rng.random(X.shape) < rate
            holes = np.where(missing, np.nan, X)
            for method, imputer in imputers(seed).items():
                start = time.perf_counter()
                filled = imputer.fit_transform(holes)
                fit_seconds[method] = fit_seconds.get(method, 0.0) + (
                    time.perf_counter() - start
                )
                results.setdefault(method, []).append(missing_rmse(filled, X, missing))
        means = {method: np.mean(values) for method, values in results.items()}
        ours = means["AutoencoderImputer"]
        win = ours < means["KNNImputer"] and ours < means["IterativeImputer"]
        wins += win
        rows.append(
            [name, X.shape[1]]
            + [f"{means[m]:.3f}" for m in means]
            + ["yes" if win else ""]
        )
        print(rows[-1], flush=True)
    header = ["dataset", "features", *results, "ours best"]
    return (
        f"## Imputing ADBench datasets, {rate:.0%} missing completely at random\n\n"
        f"RMSE on the missing entries in standardized units, mean over seeds; "
        f"rows subsampled to {max_rows}. AutoencoderImputer with its defaults. "
        f"Ours below both KNNImputer and IterativeImputer on **{wins} of "
        f"{len(names)}** datasets.\n\n"
        + markdown_table(header, rows)
        + "\n\nTotal fit_transform seconds: "
        + ", ".join(f"{m} {s:.0f}" for m, s in fit_seconds.items())
    )


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--part",
        nargs="+",
        default=["denoise", "inpaint", "impute"],
        choices=["denoise", "inpaint", "impute"],
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", help="ADBench names for --part impute")
    p.add_argument(
        "--split",
        type=int,
        default=0,
        help="random_state of the digits split (denoise and inpaint only)",
    )
    args = p.parse_args()
    if args.split and "impute" in args.part:
        p.error("--split applies to the digits parts only: add --part denoise inpaint")
    sections = []
    with threadpool_limits(1):
        if "denoise" in args.part:
            sections.append(denoise(args.seeds, args.split))
        if "inpaint" in args.part:
            sections.append(inpaint(args.seeds, args.split))
        if "impute" in args.part:
            sections.append(impute(args.data_dir, args.seeds, args.datasets))
    parts = "" if len(args.part) == 3 else "_" + "_".join(args.part)
    split = f"_split{args.split}" if args.split else ""
    write_result(
        f"denoising{parts}{split}.md",
        "# Denoising, inpainting, imputation\n\n"
        + f"{environment()}\n\n"
        + "\n\n".join(sections)
        + "\n",
    )


if __name__ == "__main__":
    main()
