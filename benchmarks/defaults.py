"""What a user gets who states the task and keeps every default.

Each part sets the estimators' defaults beside a tuned setting and the anchors
a user would otherwise pick, with fit times, in one section of
benchmarks/results/defaults.md (a run of some parts, or with --quick, writes
defaults_<parts>[_quick].md):

- denoise: scikit-learn digits scaled to [0, 1], 30 % held out; the held-out
  images get Gaussian noise of std sigma clipped to [0, 1]. PSNR of the noisy
  images, of PCA fitted on the clean training images with the best k chosen
  on the test set, of AutoencoderTransformer(16) with its defaults trained on
  the user's own corruption (``noise=clipped_gaussian``) or on the built-in
  ``noise="gaussian"`` with ``noise_level=sigma`` in pixel units, and of the
  tuned DENOISER of denoising.py. Mean over seeds (noise draw and
  random_state).
- inpaint: the same split; holes in the held-out images only. The imputers
  are fitted on the clean training images, then fill the held-out images.
  RMSE on the missing pixels of SimpleImputer, KNNImputer, AutoencoderImputer
  with its defaults (with and without ``image_shape``) and the setup for
  images of denoising.py (trained on 3 x 3 blocks; minutes per fit).
- impute: tabular datasets with 3 to 100 features (ADBench, subsampled to
  2,000 rows, and scikit-learn's bundled ones), standardized, with entries
  missing completely at random (MCAR) or at random given an observed feature
  (MAR). Each imputer fills the data it is fitted on (fit_transform); RMSE on
  the missing entries in standardized units, the winner of each row, and per
  mechanism how often each method wins and its mean rank.

Development tasks are those the defaults may be chosen on: sigma 0.2 and 0.4,
3 x 3 blocks, ADBench datasets with an odd leading number. Everything else
is held out and never used to choose a default: sigma 0.1, 0.3 and 0.5, the
other hole shapes, ADBench datasets with an even number and the scikit-learn
datasets. Every row names its kind.

    python benchmarks/defaults.py [--part denoise inpaint impute] [--seeds 0 1 2]
        [--impute-seeds 0] [--rates 0.2] [--datasets NAME ...] [--max-datasets N]
        [--no-tuned] [--quick] [--output FILE]
"""

import time
import warnings
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
from denoising import (
    DENOISER,
    IMAGE_EPOCHS,
    IMPUTER_IMAGES,
    block_noise,
    clipped_gaussian,
    digits_split,
    missing_rmse,
    psnr,
)
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import rankdata
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import LRScheduler
from threadpoolctl import threadpool_limits
from torch.optim.lr_scheduler import CosineAnnealingLR

from sk_autoencoder import AutoencoderImputer, AutoencoderTransformer

PARTS = ["denoise", "inpaint", "impute"]
DEV, HELD_OUT = "development", "held-out"
SIGMAS = {DEV: (0.2, 0.4), HELD_OUT: (0.1, 0.3, 0.5)}
SKLEARN_DATASETS = {
    "breast_cancer": load_breast_cancer,
    "diabetes": load_diabetes,
    "iris": load_iris,
    "wine": load_wine,
}
MAX_ROWS = 2000
# Slope of the MAR logistic in standardized units: the missing share of a
# feature moves from a few percent to most of it across its driver's range.
MAR_SLOPE = 2.0


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def denoisers(corruption, sigma, seed):
    return {
        "defaults, noise=clipped_gaussian": AutoencoderTransformer(
            16, noise=corruption, random_state=seed
        ),
        'defaults, noise="gaussian"': AutoencoderTransformer(
            16, noise="gaussian", noise_level=sigma, random_state=seed
        ),
        # A code as wide as the input: the corruption, not the code's
        # width, keeps a denoiser from copying its input.
        "defaults, 64 components, noise=clipped_gaussian": AutoencoderTransformer(
            64, noise=corruption, random_state=seed
        ),
        # Told that the rows are images.
        "defaults, image_shape, noise=clipped_gaussian": AutoencoderTransformer(
            16, image_shape=(8, 8), noise=corruption, random_state=seed
        ),
        "defaults, 64 components, image_shape, noise=clipped_gaussian": (
            AutoencoderTransformer(
                64, image_shape=(8, 8), noise=corruption, random_state=seed
            )
        ),
        "tuned, noise=clipped_gaussian": AutoencoderTransformer(
            random_state=seed, noise=corruption, **DENOISER
        ),
    }


def denoise(seeds):
    X_train, X_test = digits_split(0)
    pcas = [PCA(k).fit(X_train) for k in range(1, 64)]
    rows = []
    for task, sigmas in SIGMAS.items():
        for sigma in sigmas:
            corruption = partial(clipped_gaussian, sigma=sigma)
            scores = {"noisy": [], "PCA": [], "k": []}
            seconds = {}
            for seed in seeds:
                models = denoisers(corruption, sigma, seed)
                noisy = corruption(X_test, np.random.default_rng(seed))
                scores["noisy"].append(psnr(noisy, X_test))
                pca_psnr = [
                    psnr(p.inverse_transform(p.transform(noisy)), X_test) for p in pcas
                ]
                scores["PCA"].append(max(pca_psnr))
                scores["k"].append(int(np.argmax(pca_psnr)) + 1)
                for name, model in models.items():
                    ae, fit_seconds = timed(model.fit, X_train)
                    seconds.setdefault(name, []).append(fit_seconds)
                    denoised = np.clip(ae.inverse_transform(ae.transform(noisy)), 0, 1)
                    scores.setdefault(name, []).append(psnr(denoised, X_test))
            pca = np.mean(scores["PCA"])
            rows.append(
                [
                    sigma,
                    task,
                    f"{np.mean(scores['noisy']):.2f}",
                    f"{pca:.2f} (k {sorted(set(scores['k']))})",
                    *(
                        f"{np.mean(scores[m]):.2f} ({np.mean(scores[m]) - pca:+.2f})"
                        for m in models
                    ),
                    " / ".join(f"{np.median(seconds[m]):.1f}" for m in models),
                ]
            )
            print(rows[-1], flush=True)
    header = [
        "sigma",
        "task",
        "noisy",
        "best-k PCA",
        *(f"{m} (gain)" for m in models),
        "fit s (each model, in this order)",
    ]
    return (
        "## Denoising digits (PSNR dB, mean over seeds)\n\n"
        "Defaults: AutoencoderTransformer(16, noise=...), noise=clipped_gaussian "
        'being the test corruption itself and noise="gaussian" the built-in '
        "noise with noise_level=sigma; and AutoencoderTransformer(64, "
        "noise=clipped_gaussian); and both with image_shape=(8, 8). Tuned: "
        f"{DENOISER} with noise=clipped_gaussian. Gain over best-k PCA (k chosen "
        "on the test set); fit s: median over seeds.\n\n" + markdown_table(header, rows)
    )


def block_holes(X, rng, height, width, side=8):
    """``X`` with a random ``height`` x ``width`` block of each image missing."""
    holes = X.copy()
    for image in holes.reshape(len(X), side, side):
        top = rng.integers(side - height + 1)
        left = rng.integers(side - width + 1)
        image[top : top + height, left : left + width] = np.nan
    return holes


def scattered_holes(X, rng, share=0.2):
    return np.where(rng.random(X.shape) < share, np.nan, X)


def left_half_holes(X, rng, side=8):
    """``X`` with the left half of each image missing."""
    holes = X.copy()
    holes.reshape(len(X), side, side)[:, :, : side // 2] = np.nan
    return holes


# The 4 x 4 blocks also chose the image imputer's training masks (issue 22).
HOLE_SHAPES = {
    "3 x 3 block": (DEV, partial(block_holes, height=3, width=3)),
    "2 x 4 block": (HELD_OUT, partial(block_holes, height=2, width=4)),
    "4 x 4 block": (DEV, partial(block_holes, height=4, width=4)),
    "line of 8": (HELD_OUT, partial(block_holes, height=1, width=8)),
    "20 % of pixels": (HELD_OUT, scattered_holes),
    "5 x 5 block": (HELD_OUT, partial(block_holes, height=5, width=5)),
    "left half": (HELD_OUT, left_half_holes),
    "60 % of pixels": (HELD_OUT, partial(scattered_holes, share=0.6)),
}


def tuned_image_imputer(seed):
    cosine = LRScheduler(policy=CosineAnnealingLR, T_max=IMAGE_EPOCHS)
    return AutoencoderImputer(
        noise=block_noise, callbacks=[cosine], random_state=seed, **IMPUTER_IMAGES
    )


def inpaint(seeds, tuned):
    X_train, X_test = digits_split(0)
    rmse = {shape: {} for shape in HOLE_SHAPES}
    fit_seconds, transform_seconds, note = {}, {}, ""
    for seed in seeds:
        imputers = {
            "SimpleImputer": SimpleImputer(),
            "KNNImputer": KNNImputer(),
            "defaults, image_shape=(8, 8)": AutoencoderImputer(
                image_shape=(8, 8), random_state=seed
            ),
            "defaults": AutoencoderImputer(random_state=seed),
        }
        if tuned and not note:
            try:
                imputers["tuned for images"] = tuned_image_imputer(seed)
            except TypeError as error:
                if "unexpected keyword" not in str(error):
                    raise
                note = f" The tuned imputer was skipped: {error}."
                print(note, flush=True)
        for name, imputer in imputers.items():
            _, seconds = timed(imputer.fit, X_train)
            fit_seconds.setdefault(name, []).append(seconds)
            seconds = 0.0
            for shape, (_, make_holes) in HOLE_SHAPES.items():
                holes = make_holes(X_test, np.random.default_rng(seed))
                filled, transform = timed(imputer.transform, holes)
                seconds += transform
                value = missing_rmse(filled, X_test, np.isnan(holes))
                rmse[shape].setdefault(name, []).append(value)
            transform_seconds.setdefault(name, []).append(seconds)
            print(
                seed,
                name,
                {s: round(float(rmse[s][name][-1]), 4) for s in rmse},
                flush=True,
            )
    names = list(fit_seconds)
    rows = [
        [shape, task, *(f"{np.mean(rmse[shape][n]):.3f}" for n in names)]
        for shape, (task, _) in HOLE_SHAPES.items()
    ]
    rows.append(["fit s", "", *(f"{np.median(fit_seconds[n]):.1f}" for n in names)])
    rows.append(["slowest fit s", "", *(f"{max(fit_seconds[n]):.1f}" for n in names)])
    rows.append(
        [
            "transform s (all holes)",
            "",
            *(f"{np.median(transform_seconds[n]):.1f}" for n in names),
        ]
    )
    tuned_text = (
        f"Tuned for images: denoising.py's {IMPUTER_IMAGES}, noise=block_noise "
        "(3 x 3 blocks and a tenth of the pixels hidden in training), "
        f"callbacks=[LRScheduler(CosineAnnealingLR, T_max={IMAGE_EPOCHS})]."
        if tuned
        else "The tuned imputer was not run (--no-tuned or --quick)."
    )
    return (
        "## Inpainting held-out digits (RMSE on the missing pixels, mean over "
        "seeds)\n\n"
        "Every imputer is fitted on the clean training images. Defaults: "
        "AutoencoderImputer(image_shape=(8, 8)) and AutoencoderImputer(). "
        f"{tuned_text}{note} Seconds: median over seeds, and the slowest "
        "fit.\n\n" + markdown_table(["holes", "task", *names], rows)
    )


def mcar(X, rate, rng):
    return rng.random(X.shape) < rate


def logistic_intercept(logit, share):
    """The intercept ``b`` with ``mean(expit(logit + b)) == share``."""
    return brentq(lambda b: expit(logit + b).mean() - share, -50.0, 50.0)


def mar(X, rate, rng):
    """About half the features (at least one) stay observed; each other one
    goes missing with a logistic probability of one observed feature, so that
    ``rate`` of all entries are missing on average."""
    n_rows, n_features = X.shape
    # Fewer observed features at high rates: no feature loses over 90 %.
    n_observed = max(1, min(n_features // 2, int(n_features * (1 - rate / 0.9))))
    observed = rng.choice(n_features, size=n_observed, replace=False)
    share = rate * n_features / (n_features - n_observed)
    missing = np.zeros(X.shape, dtype=bool)
    for column in np.setdiff1d(np.arange(n_features), observed):
        slope = rng.choice([-MAR_SLOPE, MAR_SLOPE])
        logit = slope * X[:, rng.choice(observed)]
        probability = expit(logit + logistic_intercept(logit, share))
        missing[:, column] = rng.random(n_rows) < probability
    return missing


MECHANISMS = {"MCAR": mcar, "MAR": mar}


def make_missing(mechanism, X, rate, rng):
    missing = MECHANISMS[mechanism](X, rate, rng)
    # A row with nothing observed gets one random entry back.
    empty = np.flatnonzero(missing.all(axis=1))
    missing[empty, rng.integers(X.shape[1], size=len(empty))] = False
    return missing


def tabular_imputers(seed):
    forest = ExtraTreesRegressor(n_estimators=50, random_state=seed, n_jobs=1)
    return {
        "SimpleImputer": SimpleImputer(),
        "KNNImputer": KNNImputer(),
        "IterativeImputer": IterativeImputer(random_state=seed),
        "MissForest-style": IterativeImputer(estimator=forest, random_state=seed),
        "AutoencoderImputer": AutoencoderImputer(random_state=seed),
    }


def tabular_datasets(data_dir, names=None, max_datasets=None):
    """Yield ``name, task, X`` for the datasets with 3 to 100 features, the
    first ``max_datasets`` of each group: ADBench odd, ADBench even,
    scikit-learn."""
    adbench = adbench_names(data_dir)

    def adbench_group(parity, task):
        return [
            (name, task, partial(load_adbench, data_dir, name, max_rows=MAX_ROWS))
            for name in adbench
            if int(name.split("_")[0]) % 2 == parity
        ]

    sklearn_group = [
        (name, HELD_OUT, partial(load, return_X_y=True))
        for name, load in SKLEARN_DATASETS.items()
    ]
    for group in adbench_group(1, DEV), adbench_group(0, HELD_OUT), sklearn_group:
        taken = 0
        for name, task, load in group:
            if taken == max_datasets:
                break
            if names and name not in names:
                continue
            X = load()[0].astype(np.float64)
            if 3 <= X.shape[1] <= 100:
                taken += 1
                yield name, task, X


def impute(datasets, rates, seeds):
    rows, results, fit_seconds = [], [], {}
    for name, task, X in datasets:
        X = StandardScaler().fit_transform(X)
        for mechanism in MECHANISMS:
            for rate in rates:
                rmse, weights = {}, []
                for seed in seeds:
                    rng = np.random.default_rng(seed)
                    missing = make_missing(mechanism, X, rate, rng)
                    holes = np.where(missing, np.nan, X)
                    for method, imputer in tabular_imputers(seed).items():
                        filled, seconds = timed(imputer.fit_transform, holes)
                        fit_seconds[method] = fit_seconds.get(method, 0.0) + seconds
                        error = missing_rmse(filled, X, missing)
                        rmse.setdefault(method, []).append(error)
                        if isinstance(imputer, AutoencoderImputer):
                            weights.append(imputer.network_weight_)
                means = {method: np.mean(values) for method, values in rmse.items()}
                results.append((mechanism, task, means))
                rows.append(
                    [name, task, X.shape[1], mechanism, rate]
                    + [f"{value:.3f}" for value in means.values()]
                    + [min(means, key=means.get), f"{np.mean(weights):.2f}"]
                )
                print(rows[-1], flush=True)
    methods = list(fit_seconds)
    summary = []
    for mechanism in MECHANISMS:
        for task in DEV, HELD_OUT:
            table = [
                [means[m] for m in methods]
                for mech, t, means in results
                if (mech, t) == (mechanism, task)
            ]
            if not table:
                continue
            wins = np.bincount(np.argmin(table, axis=1), minlength=len(methods))
            ranks = rankdata(table, axis=1).mean(axis=0)
            summary.append(
                [mechanism, task, len(table)]
                + [f"{w} ({r:.1f})" for w, r in zip(wins, ranks, strict=True)]
            )
    return (
        "## Imputing tabular datasets (RMSE on the missing entries, "
        "standardized units)\n\n"
        f"ADBench datasets subsampled to {MAX_ROWS} rows; every imputer with its "
        "defaults, fit_transform on the data with holes; mean over seeds "
        f"{seeds}. MAR: about half the features stay observed, each other one "
        "goes missing with a logistic probability (slope "
        f"{MAR_SLOPE:g} in standardized units) of one observed feature, "
        "calibrated so that the rate is the missing share of all entries. "
        "MissForest-style: IterativeImputer(estimator=ExtraTreesRegressor("
        "n_estimators=50)). Ours' network_weight_: the network's share of "
        "its fills (the rest is the Gaussian's), mean over features and seeds.\n\n"
        + markdown_table(
            [
                *["dataset", "task", "features", "holes", "rate", *methods],
                *["best", "ours' network_weight_"],
            ],
            rows,
        )
        + "\n\nRows (dataset x rate) on which each method is best, with its mean "
        "rank in brackets (1 = best):\n\n"
        + markdown_table(["holes", "task", "rows", *methods], summary)
        + "\n\nTotal fit_transform seconds: "
        + ", ".join(f"{m} {s:.0f}" for m, s in fit_seconds.items())
    )


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--part", nargs="+", default=PARTS, choices=PARTS)
    p.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0, 1, 2],
        help="seeds of denoise and inpaint (default: %(default)s)",
    )
    p.add_argument(
        "--impute-seeds",
        nargs="+",
        type=int,
        default=[0],
        help="seeds of impute (default: %(default)s)",
    )
    p.add_argument(
        "--rates",
        nargs="+",
        type=float,
        default=[0.2],
        choices=[0.1, 0.2, 0.5],
        help="missing shares of impute (default: %(default)s)",
    )
    p.add_argument(
        "--datasets", nargs="+", help="ADBench or scikit-learn names for impute"
    )
    p.add_argument(
        "--max-datasets",
        type=int,
        help="impute the first N datasets of each group only: ADBench "
        "development, ADBench held-out, scikit-learn",
    )
    p.add_argument(
        "--no-tuned",
        action="store_true",
        help="skip the tuned imputer of inpaint (minutes per fit)",
    )
    p.add_argument(
        "--output",
        help="file name in benchmarks/results (default: defaults_<parts>.md)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: seed 0, --max-datasets 3, --no-tuned",
    )
    args = p.parse_args()
    known = {*adbench_names(args.data_dir), *SKLEARN_DATASETS}
    unknown = sorted(set(args.datasets or ()) - known)
    if unknown:
        p.error(f"unknown datasets: {unknown}")
    if args.quick:
        args.seeds = args.impute_seeds = [0]
        args.max_datasets = args.max_datasets or 3
        args.no_tuned = True
    sections = []
    with threadpool_limits(1), warnings.catch_warnings():
        # IterativeImputer warns whenever it stops at max_iter.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if "denoise" in args.part:
            sections.append(denoise(args.seeds))
        if "inpaint" in args.part:
            sections.append(inpaint(args.seeds, tuned=not args.no_tuned))
        if "impute" in args.part:
            datasets = tabular_datasets(args.data_dir, args.datasets, args.max_datasets)
            sections.append(impute(datasets, args.rates, args.impute_seeds))
    parts = "" if len(args.part) == len(PARTS) else "_" + "_".join(args.part)
    quick = "_quick" if args.quick else ""
    write_result(
        args.output or f"defaults{parts}{quick}.md",
        "# What the defaults give\n\n"
        f"{environment()}\n\n"
        "Development tasks may have been used to choose the defaults; held-out "
        "tasks never were.\n\n" + "\n\n".join(sections) + "\n",
    )


if __name__ == "__main__":
    main()
