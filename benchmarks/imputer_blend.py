"""Blending AutoencoderImputer's fill with a Gaussian's, on small tables.

An experiment for issue 22 (the tabular imputer against IterativeImputer
and MissForest on small tables), not part of the package. Protocol of
``defaults.py --part impute``: each table standardized, 20 % of the entries
missing (MCAR or MAR), every imputer fitted on the data with holes, RMSE
on the missing entries. Per table, mechanism and seed:

- ours: ``AutoencoderImputer(random_state=seed).fit_transform``;
- Gaussian: a multivariate normal fitted to the data with holes by EM
  (the E-step with each row's conditional covariance; a ridge of
  ``RIDGE`` on the covariance), each row filled with its conditional
  mean, computed by conjugate gradients on the row's missing block of the
  precision matrix, all rows at once;
- blend 0.5: the mean of the two fills;
- blend, validated: ``w * ours + (1 - w) * Gaussian`` with ``w`` from
  ``WEIGHTS``, the one with the lowest RMSE on a validation mask (a
  further ``VALIDATION_SHARE`` of the observed entries hidden, both models
  fitted on that), then both refitted on the data as given.

Development tables are ADBench's odd-numbered ones (subsampled to 2,000
rows); scikit-learn's tables are held out, as in ``defaults.py``.

    python benchmarks/imputer_blend.py [--data-dir DIR] [--seeds 0 1 2]
        [--datasets NAME ...]
"""

import warnings

import numpy as np
import torch
from _common import environment, load_adbench, markdown_table, parser, write_result
from defaults import DEV, HELD_OUT, MAX_ROWS, SKLEARN_DATASETS, make_missing
from denoising import missing_rmse
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderImputer

EM_ITERATIONS = 20
RIDGE = 1e-2
WEIGHTS = np.linspace(0.0, 1.0, 5)
VALIDATION_SHARE = 0.1
RATE = 0.2
DATASETS = [
    "15_Hepatitis",
    "21_Lymphography",
    "29_Pima",
    "37_Stamps",
    "39_vertebral",
    "43_WDBC",
    "47_yeast",
    "7_Cardiotocography",
    *SKLEARN_DATASETS,
]


def conditional_mean(X, mean, covariance):
    """``X`` with each NaN replaced by its mean given the row's observed
    entries: conjugate gradients on ``P_mm z = -P_mo (x_o - mean_o)``,
    ``P`` the precision matrix, for all rows at once (exact after at most
    n_features steps)."""
    missing = np.isnan(X)
    mask = missing.astype(np.float64)
    precision = np.linalg.inv(covariance)
    residual = -(np.where(missing, 0.0, X - mean) @ precision) * mask
    z = np.zeros_like(residual)
    direction = residual.copy()
    squared = (residual**2).sum(axis=1)
    tiny = np.finfo(np.float64).tiny
    for _ in range(X.shape[1]):
        product = ((direction * mask) @ precision) * mask
        step = squared / np.maximum((direction * product).sum(axis=1), tiny)
        z += step[:, None] * direction
        residual -= step[:, None] * product
        new_squared = (residual**2).sum(axis=1)
        direction = (
            residual + (new_squared / np.maximum(squared, tiny))[:, None] * direction
        )
        squared = new_squared
    return np.where(missing, mean + z, X)


def gaussian_fill(X):
    """Fit a normal distribution to ``X`` (NaN missing) by EM; return ``X``
    filled with the conditional means."""
    missing = np.isnan(X)
    n_rows, n_features = X.shape
    mean = np.nanmean(X, axis=0)
    ridge = RIDGE * np.eye(n_features)
    covariance = np.cov(np.where(missing, mean, X), rowvar=False) + ridge
    patterns, counts = np.unique(missing, axis=0, return_counts=True)
    for _ in range(EM_ITERATIONS):
        filled = conditional_mean(X, mean, covariance)
        precision = np.linalg.inv(covariance)
        # Each row's conditional covariance of its missing entries: the
        # inverse of its missing block of the precision matrix.
        spread = np.zeros((n_features, n_features))
        for pattern, count in zip(patterns, counts, strict=True):
            if pattern.any():
                block = np.ix_(pattern, pattern)
                spread[block] += count * np.linalg.inv(precision[block])
        mean = filled.mean(axis=0)
        centred = filled - mean
        covariance = (centred.T @ centred + spread) / n_rows + ridge
    return conditional_mean(X, mean, covariance)


def load(data_dir, name):
    if name in SKLEARN_DATASETS:
        return SKLEARN_DATASETS[name](return_X_y=True)[0], HELD_OUT
    task = DEV if int(name.split("_")[0]) % 2 else HELD_OUT
    return load_adbench(data_dir, name, max_rows=MAX_ROWS)[0], task


def run(X, mechanism, seed):
    rng = np.random.default_rng(seed)
    missing = make_missing(mechanism, X, RATE, rng)
    holes = np.where(missing, np.nan, X)
    hidden = (rng.random(X.shape) < VALIDATION_SHARE) & ~missing
    hidden[(missing | hidden).all(axis=1)] = False
    validation = np.where(hidden, np.nan, holes)
    ours = AutoencoderImputer(random_state=seed).fit_transform(validation)
    gaussian = gaussian_fill(validation)
    errors = [missing_rmse(w * ours + (1 - w) * gaussian, X, hidden) for w in WEIGHTS]
    weight = WEIGHTS[int(np.argmin(errors))]
    ours = AutoencoderImputer(random_state=seed).fit_transform(holes)
    gaussian = gaussian_fill(holes)
    return {
        "ours": missing_rmse(ours, X, missing),
        "Gaussian": missing_rmse(gaussian, X, missing),
        "blend 0.5": missing_rmse((ours + gaussian) / 2, X, missing),
        "blend, validated": missing_rmse(
            weight * ours + (1 - weight) * gaussian, X, missing
        ),
        "w": weight,
    }


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", default=DATASETS)
    p.add_argument("--output", default="imputer_blend.md")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        for name in args.datasets:
            X, task = load(args.data_dir, name)
            X = StandardScaler().fit_transform(X.astype(np.float64))
            for mechanism in ("MCAR", "MAR"):
                runs = [run(X, mechanism, seed) for seed in args.seeds]
                means = {key: np.mean([r[key] for r in runs]) for key in runs[0]}
                rows.append(
                    [name, task, mechanism]
                    + [f"{means[key]:.3f}" for key in list(means)[:-1]]
                    + [f"{means['w']:.2f}"]
                )
                print(*rows[-1], flush=True)
    header = ["dataset", "task", "holes", "ours", "Gaussian", "blend 0.5"]
    header += ["blend, validated", "mean w"]
    write_result(
        args.output,
        "# Blending AutoencoderImputer's fill with a Gaussian's\n\n"
        f"{environment()}\n\n{RATE:.0%} of the entries missing, RMSE on them "
        f"in standardized units, mean over seeds {args.seeds}; EM "
        f"{EM_ITERATIONS} iterations, ridge {RIDGE:g}; weights "
        f"{WEIGHTS.tolist()} chosen on {VALIDATION_SHARE:.0%} of the observed "
        "entries hidden. Anchors (IterativeImputer, MissForest-style, "
        "KNNImputer) on the same protocol: `defaults_impute.md`.\n\n"
        + markdown_table(header, rows)
        + "\n",
    )


if __name__ == "__main__":
    main()
