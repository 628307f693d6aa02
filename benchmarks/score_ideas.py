"""Score-combination ideas for AutoencoderOutlierDetector, on ADBench.

An experiment for issue 26 (ideas to add to the score), not part of the
package. Protocol of adbench.py (70/30 stratified split per seed, datasets
over 20,000 rows subsampled, StandardScaler on the training rows, one torch
and one BLAS thread, datasets run in parallel in a fork pool).

Per dataset and seed, ONE AutoencoderOutlierDetector(random_state=seed) and
ONE IsolationForest(random_state=seed) are fitted; the variants (higher =
more anomalous):

  V0  ours                  -detector.score_samples(X)
  V1  ours+iforest ranks    mean of training-row percentiles of V0 and iforest
  V2  ours+maha codes, max  robust Mahalanobis on codes (MinCovDet if
                            n_components_ <= 30 else LedoitWolf), affine map
                            onto V0's scale (median + IQR on training rows),
                            elementwise max with V0
  V3  ours+maha codes, ranks  as V1 with V2's Mahalanobis
  V4  ours+maha inputs, ranks as V1 with LedoitWolf Mahalanobis on inputs
  V5  ours+ECOD ranks       as V1 with ECOD (Li et al., 2022: per feature,
                            -log of the empirical tail probability, the
                            larger tail, summed over the features, as PyOD
                            computes it), from the training rows alone
  V6  ECOD                  that ECOD score alone
  V7  ours+ECOD+iforest ranks  mean of the three training-row percentiles
  iforest                   -IsolationForest.score_samples(X)

A covariance fit that raises, gives non-finite distances or runs over 60 s
falls back to V0 for its variants (counted in "fallbacks").

    python benchmarks/score_ideas.py [--data-dir DIR] [--datasets ...]
        [--seeds 0 1 2] [--jobs 2]
"""

import multiprocessing
import signal
import time
import warnings

import numpy as np
import torch
from _common import (
    adbench_names,
    environment,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from scipy.stats import rankdata, wilcoxon
from sklearn.covariance import LedoitWolf, MinCovDet
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderOutlierDetector

COV_TIME_LIMIT = 60.0
MCD_MAX_COMPONENTS = 30

VARIANTS = {
    "V0": "ours",
    "V1": "ours+iforest ranks",
    "V2": "ours+robust Mahalanobis on codes, max",
    "V3": "ours+robust Mahalanobis on codes, ranks",
    "V4": "ours+Mahalanobis on inputs, ranks",
    "V5": "ours+ECOD ranks",
    "V6": "ECOD",
    "V7": "ours+ECOD+iforest ranks",
    "iforest": "iforest",
}
# Extra seconds a variant costs over V0 (fits of the extra models).
EXTRA = {
    "V0": [],
    "V1": ["iforest_fit_s"],
    "V2": ["code_cov_fit_s"],
    "V3": ["code_cov_fit_s"],
    "V4": ["input_cov_fit_s"],
    "V5": ["ecod_s"],
    "V6": ["ecod_s"],
    "V7": ["ecod_s", "iforest_fit_s"],
    "iforest": ["iforest_fit_s"],
}


class FitTimeout(Exception):
    pass


def _raise_timeout(signum, frame):
    raise FitTimeout


def within(seconds, function, *args):
    """``function(*args)``; raises FitTimeout past ``seconds``."""
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def percentile(train_scores, scores):
    """Share of training scores below each score (training-row percentile)."""
    return np.searchsorted(np.sort(train_scores), scores) / len(train_scores)


def rank_mean(a_train, a_test, b_train, b_test):
    return 0.5 * (percentile(a_train, a_test) + percentile(b_train, b_test))


def ecod(X_train, X):
    """ECOD's outlyingness of the rows of ``X``, from the training rows'
    empirical distribution of each feature alone (a tail probability is at
    least 1 / (n + 1)): per feature, the larger of the two tails' -log
    probabilities (their sum for a feature without skew), summed over the
    features, as PyOD computes it."""
    n = len(X_train)
    ordered = np.sort(X_train, axis=0)
    total = np.zeros(len(X))
    centred = X_train - X_train.mean(axis=0)
    unskewed = (centred**3).mean(axis=0) == 0
    for j in range(X.shape[1]):
        below = np.searchsorted(ordered[:, j], X[:, j], side="right")
        above = n - np.searchsorted(ordered[:, j], X[:, j], side="left")
        left = -np.log((below + 1) / (n + 1))
        right = -np.log((above + 1) / (n + 1))
        total += left + right if unskewed[j] else np.maximum(left, right)
    return total


def center_spread(values):
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    spread = q3 - q1
    return median, spread if spread > 0 else float(np.std(values))


def covariance_distances(make_estimator, Z_train, Z_test):
    """Fit the covariance within the time limit; squared Mahalanobis
    distances of training and test rows and the fit seconds, or None."""
    start = time.perf_counter()
    try:
        estimator = within(COV_TIME_LIMIT, make_estimator().fit, Z_train)
        seconds = time.perf_counter() - start
        d_train = estimator.mahalanobis(Z_train)
        d_test = estimator.mahalanobis(Z_test)
    except Exception as exception:  # FitTimeout or a numerical failure
        return None, time.perf_counter() - start, repr(exception)[:80]
    if not (np.isfinite(d_train).all() and np.isfinite(d_test).all()):
        return None, seconds, "non-finite distances"
    return (d_train, d_test), seconds, None


def run_seed(X, y, seed):
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    info = {"seed": seed}

    start = time.perf_counter()
    detector = AutoencoderOutlierDetector(random_state=seed).fit(X_train)
    info["detector_fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    forest = IsolationForest(random_state=seed).fit(X_train)
    info["iforest_fit_s"] = time.perf_counter() - start

    # Scoring: training rows too (for percentiles and the affine map).
    start = time.perf_counter()
    ours_train = -detector.score_samples(X_train)
    ours_test = -detector.score_samples(X_test)
    info["ours_score_s"] = time.perf_counter() - start
    start = time.perf_counter()
    forest_train = -forest.score_samples(X_train)
    forest_test = -forest.score_samples(X_test)
    info["iforest_score_s"] = time.perf_counter() - start

    scores = {"V0": ours_test, "iforest": forest_test}
    scores["V1"] = rank_mean(ours_train, ours_test, forest_train, forest_test)
    fallbacks = {v: 0 for v in VARIANTS}

    # V2 / V3: robust Mahalanobis on the codes.
    start = time.perf_counter()
    codes_train = detector.transform(X_train).astype(np.float64)
    codes_test = detector.transform(X_test).astype(np.float64)
    info["transform_s"] = time.perf_counter() - start
    k = detector.n_components_
    info["n_components"] = int(k)
    if k <= MCD_MAX_COMPONENTS:
        make, info["code_cov"] = (lambda: MinCovDet(random_state=seed)), "MCD"
    else:
        make, info["code_cov"] = LedoitWolf, "LedoitWolf"
    result, info["code_cov_fit_s"], info["code_cov_error"] = covariance_distances(
        make, codes_train, codes_test
    )
    if result is None:
        scores["V2"] = scores["V3"] = ours_test
        fallbacks["V2"] = fallbacks["V3"] = 1
    else:
        maha_train, maha_test = result
        ours_center, ours_spread = center_spread(ours_train)
        maha_center, maha_spread = center_spread(maha_train)
        if maha_spread > 0:
            slope = ours_spread / maha_spread
            intercept = ours_center - slope * maha_center
            scores["V2"] = np.maximum(ours_test, slope * maha_test + intercept)
        else:
            scores["V2"], fallbacks["V2"] = ours_test, 1
        scores["V3"] = rank_mean(ours_train, ours_test, maha_train, maha_test)

    # V4: Ledoit-Wolf Mahalanobis on the scaled inputs.
    result, info["input_cov_fit_s"], info["input_cov_error"] = covariance_distances(
        LedoitWolf, X_train, X_test
    )
    if result is None:
        scores["V4"], fallbacks["V4"] = ours_test, 1
    else:
        scores["V4"] = rank_mean(ours_train, ours_test, *result)

    start = time.perf_counter()
    ecod_train, ecod_test = ecod(X_train, X_train), ecod(X_train, X_test)
    info["ecod_s"] = time.perf_counter() - start
    scores["V5"] = rank_mean(ours_train, ours_test, ecod_train, ecod_test)
    scores["V6"] = ecod_test
    scores["V7"] = (
        percentile(ours_train, ours_test)
        + percentile(ecod_train, ecod_test)
        + percentile(forest_train, forest_test)
    ) / 3

    records = []
    for variant in VARIANTS:
        s = scores[variant]
        records.append(
            {
                **info,
                "variant": variant,
                "roc_auc": float(roc_auc_score(y_test, s)),
                "ap": float(average_precision_score(y_test, s)),
                "fallback": fallbacks[variant],
                "extra_s": float(sum(info[key] for key in EXTRA[variant])),
            }
        )
    return records


def run_dataset(task):
    data_dir, name, seeds = task
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    X, y = load_adbench(data_dir, name)
    records = []
    with threadpool_limits(1):
        # Untimed warm-up, as adbench.py does: imports, first-call costs.
        Xw = np.random.default_rng(0).normal(size=(200, 4))
        AutoencoderOutlierDetector(random_state=0).fit(Xw)
        IsolationForest(random_state=0).fit(Xw)
        MinCovDet(random_state=0).fit(Xw)
        LedoitWolf().fit(Xw)
        for seed in seeds:
            for r in run_seed(X, y, seed):
                r["dataset"] = name
                records.append(r)
    return records


def summarize(records):
    names = list(dict.fromkeys(r["dataset"] for r in records))
    variants = list(VARIANTS)

    def per_dataset(variant, key):
        return np.array(
            [
                np.mean(
                    [
                        r[key]
                        for r in records
                        if r["dataset"] == n and r["variant"] == variant
                    ]
                )
                for n in names
            ]
        )

    roc = {v: per_dataset(v, "roc_auc") for v in variants}
    ap = {v: per_dataset(v, "ap") for v in variants}
    ranks = np.array(
        [rankdata([-roc[v][i] for v in variants]) for i in range(len(names))]
    )

    def p_value(a, b):
        if np.all(a == b):
            return "-"
        return f"{wilcoxon(a, b).pvalue:.2g}"

    rows = []
    for j, v in enumerate(variants):
        own = [r for r in records if r["variant"] == v]
        rows.append(
            [
                f"{v} {VARIANTS[v]}" if v != "iforest" else "iforest",
                f"{roc[v].mean():.4f}",
                f"{ap[v].mean():.4f}",
                f"{roc[v].mean() - roc['V0'].mean():+.4f}",
                "-"
                if v == "V0"
                else f"{int(np.sum(roc[v] > roc['V0']))}/"
                f"{int(np.sum(roc[v] < roc['V0']))}",
                p_value(roc[v], roc["V0"]),
                "-"
                if v == "iforest"
                else f"{int(np.sum(roc[v] > roc['iforest']))}/"
                f"{int(np.sum(roc[v] < roc['iforest']))}",
                p_value(roc[v], roc["iforest"]),
                f"{ranks[:, j].mean():.2f}",
                f"{sum(r['extra_s'] for r in own):.1f}",
                str(sum(r["fallback"] for r in own)),
            ]
        )
    header = [
        "variant",
        "mean ROC-AUC",
        "mean AP",
        "ROC-AUC vs V0",
        "datasets beats / loses to V0 (ROC)",
        "Wilcoxon p vs V0",
        "datasets beats / loses to iforest (ROC)",
        "Wilcoxon p vs iforest",
        f"average rank (of {len(variants)})",
        "total extra s",
        "fallbacks",
    ]
    summary = markdown_table(header, rows)

    gains = []
    for v in variants[1:]:
        diff = roc[v] - roc["V0"]
        order = np.argsort(diff)
        best = [f"{names[i]} {diff[i]:+.3f}" for i in order[::-1][:5]]
        worst = [f"{names[i]} {diff[i]:+.3f}" for i in order[:5]]
        gains.append([v, ", ".join(best), ", ".join(worst)])
    gain_table = markdown_table(
        ["variant", "largest gains vs V0 (ROC-AUC)", "largest losses vs V0 (ROC-AUC)"],
        gains,
    )

    def total(key):
        seen = {(r["dataset"], r["seed"]): r[key] for r in records}
        return sum(seen.values())

    cost = markdown_table(
        ["what", "total seconds over all fits"],
        [
            ["detector fit", f"{total('detector_fit_s'):.1f}"],
            ["IsolationForest fit", f"{total('iforest_fit_s'):.1f}"],
            ["covariance fit on codes (V2, V3)", f"{total('code_cov_fit_s'):.1f}"],
            ["Ledoit-Wolf fit on inputs (V4)", f"{total('input_cov_fit_s'):.1f}"],
            ["detector scoring, train + test rows", f"{total('ours_score_s'):.1f}"],
            ["detector transform, train + test rows", f"{total('transform_s'):.1f}"],
            [
                "IsolationForest scoring, train + test rows",
                f"{total('iforest_score_s'):.1f}",
            ],
        ],
    )
    slow = sorted(
        {(r["dataset"], r["seed"]): r for r in records}.values(),
        key=lambda r: -r["code_cov_fit_s"],
    )[:5]
    slow_text = ", ".join(
        f"{r['dataset']} s{r['seed']} {r['code_cov']} k={r['n_components']} "
        f"{r['code_cov_fit_s']:.1f}s"
        for r in slow
    )
    errors = sorted(
        {
            f"{r['dataset']} s{r['seed']}: {r.get('code_cov_error') or ''} "
            f"{r.get('input_cov_error') or ''}".strip()
            for r in records
            if r.get("code_cov_error") or r.get("input_cov_error")
        }
    )

    detail = markdown_table(
        ["dataset", *variants],
        [[n] + [f"{roc[v][i]:.3f}" for v in variants] for i, n in enumerate(names)],
    )
    return (
        f"{summary}\n\n## Largest gains and losses per dataset\n\n{gain_table}\n\n"
        f"## Costs\n\n{cost}\n\nSlowest covariance fits on codes: {slow_text}.\n\n"
        f"Covariance failures: {errors or 'none'}\n\n"
        f"## Per dataset ROC-AUC (mean over seeds)\n\n{detail}\n"
    )


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    names = args.datasets or adbench_names(args.data_dir)
    start = time.perf_counter()
    records = []
    tasks = [(args.data_dir, n, args.seeds) for n in names]
    context = multiprocessing.get_context("fork")
    with context.Pool(args.jobs, maxtasksperchild=1) as pool:
        for dataset_records in pool.imap(run_dataset, tasks):
            records += dataset_records
            for r in dataset_records:
                if r["variant"] == "V0":
                    line = [x for x in dataset_records if x["seed"] == r["seed"]]
                    print(
                        f"{r['dataset']:<20} seed {r['seed']} "
                        + " ".join(f"{x['variant']}={x['roc_auc']:.3f}" for x in line)
                        + f"  fit {r['detector_fit_s']:.1f}s"
                        f" codecov {r['code_cov']} {r['code_cov_fit_s']:.2f}s"
                        f" incov {r['input_cov_fit_s']:.2f}s",
                        flush=True,
                    )
    wall = time.perf_counter() - start
    text = (
        "# Score-combination ideas for AutoencoderOutlierDetector on ADBench\n\n"
        f"{environment()}\n\n"
        f"{len(names)} datasets, seeds {args.seeds}, {args.jobs} dataset(s) at a "
        "time, torch and BLAS on one thread; ROC-AUC / AP means over seeds then "
        "datasets; Wilcoxon two-sided on per-dataset mean ROC-AUCs; rank among "
        f"all {len(VARIANTS)} rows below (iforest included). Wall time "
        f"{wall:.0f} s.\n\n" + summarize(records)
    )
    name = "score_ideas.md" if args.datasets is None else "score_ideas_subset.md"
    write_result(name, text)


if __name__ == "__main__":
    main()
