"""AutoencoderImputer on sensor logs: channels of a series as the columns,
time steps as the rows.

Found by trying the imputer as a new user would, on gappy sensor data.
Eight channels, each a mix of three shared oscillations (periods 50, 130
and 400 steps) plus noise of 0.3 of its spread, in units of their own;
2,000 time steps in time order; a fifth of the entries hidden at random.
RMSE on the hidden entries, each channel divided by its standard
deviation; every imputer with its defaults, fit seconds on one thread.

- in time order: every imputer fills the whole log (``fit_transform``),
  and linear interpolation between each channel's observed neighbours in
  time (``numpy.interp``: the nearest observed value beyond the ends, as
  pandas' ``interpolate`` then ``ffill`` and ``bfill`` give) fills it
  too: it uses the neighbouring rows, which the other imputers never
  look at.
- with a trend: the channels drift by up to three standard deviations
  over the log (a slope of its own for each); every imputer is fitted on
  the first half and fills the second, where about 8.5 % of the hidden
  values lie beyond the range seen in ``fit``; interpolation fills the
  second half alone.
  Also the imputer on the data less a straight line per channel (fitted by
  least squares to the first half's observed entries against time), the
  line added back to its fills: the remedy the docs suggest.

    python benchmarks/imputer_series.py [--seeds 0 1]
"""

import time

import numpy as np
import torch
from _common import environment, markdown_table, parser, write_result
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderImputer

N_STEPS, N_CHANNELS, MISSING = 2000, 8, 0.2
PERIODS = (50, 130, 400)


def sensors(rng, drift=0.0):
    """The log without holes, and the hidden entries' mask."""
    t = np.arange(N_STEPS)
    phases = rng.uniform(0, 2 * np.pi, len(PERIODS))
    waves = zip(PERIODS, phases, strict=True)
    shared = np.column_stack([np.sin(2 * np.pi * t / p + f) for p, f in waves])
    X = shared @ rng.normal(size=(len(PERIODS), N_CHANNELS))
    X += 0.3 * X.std(axis=0) * rng.normal(size=X.shape)
    X += drift * X.std(axis=0) * rng.uniform(-1, 1, N_CHANNELS) * t[:, None] / N_STEPS
    X = X * rng.uniform(0.5, 50, N_CHANNELS) + rng.uniform(-100, 100, N_CHANNELS)
    return X, rng.random(X.shape) < MISSING


def interpolate(X):
    """Each channel linearly between its observed neighbours in time."""
    t = np.arange(len(X))
    filled = X.copy()
    for column in filled.T:
        seen = ~np.isnan(column)
        column[~seen] = np.interp(t[~seen], t[seen], column[seen])
    return filled


class LessLines:
    """An imputer fitted on the data less a straight line per channel (least
    squares on the observed entries against the row number), the line
    added back to what it returns; rows given to transform follow those
    given to fit."""

    def __init__(self, imputer):
        self.imputer = imputer

    def _lines(self, start, n_rows):
        t = np.arange(start, start + n_rows)[:, None]
        return self.intercept_ + self.slope_ * t

    def fit(self, X):
        t = np.arange(len(X))
        self.slope_ = np.empty(X.shape[1])
        self.intercept_ = np.empty(X.shape[1])
        for j, column in enumerate(X.T):
            seen = ~np.isnan(column)
            self.slope_[j], self.intercept_[j] = np.polyfit(t[seen], column[seen], 1)
        self.n_fit_ = len(X)
        self.imputer.fit(X - self._lines(0, len(X)))
        return self

    def transform(self, X):
        lines = self._lines(self.n_fit_, len(X))
        return self.imputer.transform(X - lines) + lines


def imputers(seed):
    return {
        "AutoencoderImputer()": AutoencoderImputer(random_state=seed),
        "IterativeImputer()": IterativeImputer(),
        "MissForest-style": IterativeImputer(
            estimator=ExtraTreesRegressor(n_estimators=50, random_state=seed),
            random_state=seed,
        ),
        "KNNImputer()": KNNImputer(),
    }


def rmse(X, filled, hidden):
    scaled = (filled - X) / X.std(axis=0)
    return float(np.sqrt(np.mean(scaled[hidden] ** 2)))


def in_time_order(seed):
    X, hidden = sensors(np.random.default_rng(seed))
    X_missing = np.where(hidden, np.nan, X)
    found = {}
    for name, imputer in imputers(seed).items():
        start = time.perf_counter()
        filled = imputer.fit_transform(X_missing)
        found[name] = rmse(X, filled, hidden), time.perf_counter() - start
    start = time.perf_counter()
    filled = interpolate(X_missing)
    found["linear interpolation"] = rmse(X, filled, hidden), time.perf_counter() - start
    return found


def with_trend(seed):
    X, hidden = sensors(np.random.default_rng(seed), drift=3.0)
    X_missing = np.where(hidden, np.nan, X)
    half = N_STEPS // 2
    train, test, test_hidden = X_missing[:half], X_missing[half:], hidden[half:]
    candidates = imputers(seed)
    candidates["AutoencoderImputer() less a line per channel"] = LessLines(
        AutoencoderImputer(random_state=seed)
    )
    found = {}
    for name, imputer in candidates.items():
        start = time.perf_counter()
        imputer.fit(train)
        seconds = time.perf_counter() - start
        found[name] = rmse(X[half:], imputer.transform(test), test_hidden), seconds
    start = time.perf_counter()
    filled = interpolate(test)
    found["linear interpolation"] = (
        rmse(X[half:], filled, test_hidden),
        time.perf_counter() - start,
    )
    return found


TASKS = {"in time order": in_time_order, "with a trend": with_trend}


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = p.parse_args()
    rows = []
    for task, run in TASKS.items():
        per_seed = []
        for seed in args.seeds:
            with threadpool_limits(1):
                per_seed.append(run(seed))
        for name in per_seed[0]:
            errors = [found[name][0] for found in per_seed]
            seconds = np.median([found[name][1] for found in per_seed])
            rows.append(
                [
                    task,
                    name,
                    f"{np.mean(errors):.3f}",
                    " / ".join(f"{e:.3f}" for e in errors),
                    f"{seconds:.1f}",
                ]
            )
            print(rows[-1], flush=True)
    write_result(
        "imputer_series.md",
        "# AutoencoderImputer on sensor logs\n\n"
        f"{environment()}\n\n"
        f"{N_STEPS} time steps x {N_CHANNELS} channels, {MISSING:.0%} of the "
        f"entries hidden at random; seeds {args.seeds}; RMSE on the hidden "
        "entries, each channel divided by its standard deviation; fit "
        "seconds (median over seeds; with the trend, the fit on the first "
        "half), one thread. See the script's docstring for the tasks.\n\n"
        + markdown_table(["task", "imputer", "RMSE", "per seed", "seconds"], rows)
        + "\n",
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
