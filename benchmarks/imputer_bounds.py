"""AutoencoderImputer's default bounds: the observed range, widened to the
Gaussian's fills of the training rows, against the observed range alone
and no bound.

Protocol of ``defaults.py --part impute`` (each table standardized, the
entries missing MCAR or MAR, the imputer fitted on the data with holes,
RMSE on the missing entries), plus tables of heavy-tailed features (three
Student-t factors with 3 degrees of freedom, mixed into 10 features, plus
Student-t noise; 2,000 rows), whose largest values go missing (MAR: as a
row's first feature is larger, up to 65 % of its other entries; MNAR:
each entry above its feature's 60th percentile with probability 0.6) or
half of whose entries go missing at random; and a table of four
log-normal features (all positive) and three 0/1 indicators (2,000 rows,
entries missing at random at each rate), where a new-user hunt found fills
below 0 and outside [0, 1]. Per table and mechanism:

- default: ``AutoencoderImputer(random_state=0)``, whose "observed" bounds
  reach as far as the Gaussian's conditional means of the missing entries
  of the training rows, on each side where the Gaussian does not
  overshoot the observed values (see ``min_value``);
- observed range: the unbounded fills clipped to each feature's observed
  range (the default before; bounds do not change training, so this is
  the same network);
- no bound: ``AutoencoderImputer(min_value=None, max_value=None)``;
- IterativeImputer with its defaults (no bound), for reference.

Development tables are ADBench's odd-numbered ones; the rest are held out,
the heavy-tailed tables and the positive and 0/1 one among them (found by
new-user hunts, not used to choose anything).

    python benchmarks/imputer_bounds.py [--data-dir DIR] [--rates 0.2 0.5]
"""

import warnings

import numpy as np
from _common import environment, markdown_table, parser, write_result
from defaults import make_missing, tabular_datasets
from denoising import missing_rmse
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderImputer

DATASETS = ["1_ALOI", "7_Cardiotocography", "47_yeast", "6_cardio", "diabetes", "wine"]


def heavy_tailed(seed=0, n_rows=2000):
    rng = np.random.default_rng(seed)
    factors = rng.standard_t(3, size=(n_rows, 3))
    mixing = rng.normal(size=(3, 10))
    return factors @ mixing + 0.3 * rng.standard_t(3, size=(n_rows, 10))


def heavy_missing(mechanism, X, rng):
    n_rows, n_features = X.shape
    if mechanism == "MAR":
        rank = np.argsort(np.argsort(X[:, 0])) / n_rows
        missing = np.zeros(X.shape, dtype=bool)
        chance = (0.05 + 0.6 * rank)[:, None] * (rng.random(n_features - 1) < 0.7)
        missing[:, 1:] = rng.random((n_rows, n_features - 1)) < chance
        return missing
    if mechanism == "MNAR":
        return (X > np.quantile(X, 0.6, axis=0)) & (rng.random(X.shape) < 0.6)
    return rng.random(X.shape) < 0.5


def positive_and_indicators(seed=0, n_rows=2000):
    """Four log-normal features (all positive) and three 0/1 indicators of
    three Gaussian factors, in their own units."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n_rows, 3))
    positive = np.exp(0.7 * factors @ rng.normal(size=(3, 4)))
    positive *= np.exp(0.3 * rng.normal(size=positive.shape))
    indicators = factors @ rng.normal(size=(3, 3))
    indicators += 0.5 * rng.normal(size=indicators.shape)
    return np.hstack([positive, (indicators > 0).astype(float)])


def outside_share(X, missing):
    """Share of the fills of the default imputer outside the observed range."""
    holes = np.where(missing, np.nan, X)
    filled = AutoencoderImputer(random_state=0).fit_transform(holes)[missing]
    low = np.broadcast_to(np.nanmin(holes, axis=0), X.shape)[missing]
    high = np.broadcast_to(np.nanmax(holes, axis=0), X.shape)[missing]
    return f"{np.mean((filled < low) | (filled > high)):.3f}"


def compare(X, missing):
    holes = np.where(missing, np.nan, X)
    default = AutoencoderImputer(random_state=0).fit_transform(holes)
    unbounded = AutoencoderImputer(min_value=None, max_value=None, random_state=0)
    unbounded = unbounded.fit_transform(holes)
    observed = np.clip(unbounded, np.nanmin(holes, axis=0), np.nanmax(holes, axis=0))
    iterative = IterativeImputer(random_state=0).fit_transform(holes)
    fills = [default, observed, unbounded, iterative]
    return [f"{missing_rmse(fill, X, missing):.4f}" for fill in fills]


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rates", type=float, nargs="+", default=[0.2, 0.5])
    p.add_argument("--output", default="imputer_bounds.md")
    args = p.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    rows = []
    for name, task, X in tabular_datasets(args.data_dir, names=DATASETS):
        X = StandardScaler().fit_transform(X)
        for mechanism in ("MCAR", "MAR"):
            for rate in args.rates:
                missing = make_missing(mechanism, X, rate, np.random.default_rng(0))
                rows.append([name, task, f"{mechanism} {rate:g}", *compare(X, missing)])
                print(*rows[-1], flush=True)
    X = StandardScaler().fit_transform(heavy_tailed())
    for mechanism in ("MAR", "MNAR", "MCAR 0.5"):
        missing = heavy_missing(mechanism, X, np.random.default_rng(1))
        rows.append(["heavy-tailed", "held-out", mechanism, *compare(X, missing)])
        print(*rows[-1], flush=True)
    for rate in args.rates:
        X = positive_and_indicators()
        missing = np.random.default_rng(1).random(X.shape) < rate
        # RMSE in each feature's standard deviations, as on the other tables.
        scaled = X / X.std(axis=0)
        rows.append(["positive and 0/1", "held-out", f"MCAR {rate:g}"])
        rows[-1] += compare(scaled, missing)
        print(*rows[-1], "outside the observed range:", outside_share(X, missing))
    header = ["table", "task", "holes", "default", "observed range", "no bound"]
    header += ["IterativeImputer"]
    write_result(
        args.output,
        "# AutoencoderImputer's bounds: observed, widened to the Gaussian's "
        f"fills\n\n{environment()}\n\nRMSE on the missing entries in "
        "standardized units, one seed (0); see the script's docstring.\n\n"
        + markdown_table(header, rows)
        + "\n",
    )


if __name__ == "__main__":
    main()
