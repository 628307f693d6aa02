"""The imputer's Gaussian, fitted by EM for as many iterations as the
held-out rows ask, against a fixed number.

``AutoencoderImputer`` blends its network's fills with the conditional
means of a Gaussian fitted by EM. The Gaussian is fitted last, after the
network, so each fit of ``AutoencoderImputer(random_state=seed)`` here
fits the Gaussian and the blend twice on the same network and the same
masked held-out rows: with EM run for ``GAUSSIAN_ITERATIONS`` as before,
and with the number of iterations chosen on the held-out rows, as now;
each is used to fill the table. Tables are standardized, with 20 % and
50 % of the entries missing, MCAR and MAR (the mechanisms of
``defaults.py``); RMSE on the missing entries. ADBench's tables are
subsampled to 2,000 rows. The development tables are ADBench
odd-numbered ones (the rule was chosen after a study of the Gaussian
alone on all of them); the held-out tables are even-numbered ones and
scikit-learn's. One process per table, on one thread.

    python benchmarks/imputer_em_iterations.py [--data-dir DIR]
        [--groups development held-out] [--tables NAME ...] [--seeds 0]
        [--output FILE]
"""

import tempfile
from pathlib import Path

import numpy as np
from _common import (
    environment,
    json_from_python,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)
from defaults import MAX_ROWS, MECHANISMS, SKLEARN_DATASETS, make_missing
from sklearn.preprocessing import StandardScaler

DEVELOPMENT = ["7_Cardiotocography", "15_Hepatitis", "19_landsat"]
DEVELOPMENT += ["21_Lymphography", "27_PageBlocks", "29_Pima", "31_satimage-2"]
DEVELOPMENT += ["33_skin", "35_SpamBase", "47_yeast"]
HELD_OUT = ["2_annthyroid", "4_breastw", "6_cardio", "14_glass", "30_satellite"]
HELD_OUT += ["44_Wilt", "diabetes", "wine", "breast_cancer"]
RATES = (0.2, 0.5)
ROOT = Path(__file__).resolve().parents[1]

FIT = """
import json, time, warnings
import numpy as np
from sk_autoencoder import AutoencoderImputer, _imputer

warnings.filterwarnings("ignore")
chosen = _imputer.fit_gaussian
fit_blend = AutoencoderImputer._fit_blend
STATE = ["_gaussian_mean_", "_gaussian_precision_", "network_weight_", "_limits_"]


def fixed(x, check=None, max_iterations=None):
    return chosen(x)


def both_blends(imputer, X, held_out):
    limits = imputer._limits_
    start = time.perf_counter()
    _imputer.fit_gaussian = fixed
    fit_blend(imputer, X, held_out)
    imputer.fixed_seconds = time.perf_counter() - start
    imputer.fixed = {{name: getattr(imputer, name) for name in STATE}}
    _imputer.fit_gaussian = chosen
    imputer._limits_ = limits
    start = time.perf_counter()
    fit_blend(imputer, X, held_out)
    imputer.chosen_seconds = time.perf_counter() - start


AutoencoderImputer._fit_blend = both_blends
cases = np.load("{path}")
X = cases["X"]
results = []
for seed, missing in zip(cases["seeds"], cases["masks"]):
    holes = np.where(missing, np.nan, X)
    imputer = AutoencoderImputer(random_state=int(seed)).fit(holes)
    errors = []
    for state in (imputer.fixed, None):
        if state is not None:
            chosen_state = {{name: getattr(imputer, name) for name in STATE}}
            vars(imputer).update(state)
        filled = imputer.transform(holes)
        errors.append(float(np.sqrt(np.mean((filled[missing] - X[missing]) ** 2))))
        if state is not None:
            vars(imputer).update(chosen_state)
    results.append([*errors, imputer.fixed_seconds, imputer.chosen_seconds])
print(json.dumps(results))
"""


def load(data_dir, name):
    if name in SKLEARN_DATASETS:
        X = SKLEARN_DATASETS[name](return_X_y=True)[0]
    else:
        X = load_adbench(data_dir, name, max_rows=MAX_ROWS)[0]
    X = X.astype(np.float64)
    return StandardScaler().fit_transform(X[:, X.std(axis=0) > 0])


def run(X, masks, seeds):
    """Per mask: RMSE with the fixed and the chosen iterations, and the
    seconds of each Gaussian and blend."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.npz"
        np.savez(path, X=X, masks=np.array(masks), seeds=np.array(seeds))
        return json_from_python(FIT.format(path=path), ROOT)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--groups",
        nargs="+",
        choices=["development", "held-out"],
        default=["development", "held-out"],
    )
    p.add_argument("--tables", nargs="+", help="these tables only (held out)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--output", default="imputer_em_iterations.md")
    args = p.parse_args()
    groups = [("development", DEVELOPMENT), ("held-out", HELD_OUT)]
    groups = [(task, names) for task, names in groups if task in args.groups]
    if args.tables:
        groups = [("held-out", args.tables)]
    rows, ratios = [], {}
    for task, names in groups:
        for name in names:
            X = load(args.data_dir, name)
            for mechanism in MECHANISMS:
                for rate in RATES:
                    masks = [
                        make_missing(mechanism, X, rate, np.random.default_rng(s))
                        for s in args.seeds
                    ]
                    fixed, chosen, fixed_s, chosen_s = np.mean(
                        run(X, masks, args.seeds), axis=0
                    )
                    ratios.setdefault(task, []).append(chosen / fixed)
                    rows.append(
                        [
                            name,
                            task,
                            f"{mechanism} {rate:.0%}",
                            f"{fixed:.4f}",
                            f"{chosen:.4f}",
                            f"{chosen / fixed:.4f}",
                            f"{fixed_s:.2f} / {chosen_s:.2f}",
                        ]
                    )
                    print(rows[-1], flush=True)
    summary = [
        [
            task,
            len(values),
            f"{np.exp(np.log(values).mean()):.4f}",
            f"{np.min(values):.3f}",
            f"{np.max(values):.3f}",
            sum(v < 1 for v in values),
            sum(v > 1 for v in values),
        ]
        for task, values in ratios.items()
    ]
    write_result(
        args.output,
        "# The imputer's Gaussian: EM iterations chosen on held-out rows\n\n"
        f"{environment()}\n\n"
        f"RMSE on the missing entries (standardized units), mean over seeds "
        f"{args.seeds}, with EM run for GAUSSIAN_ITERATIONS (fixed) and "
        "for as many iterations as the held-out rows ask (chosen), on the "
        "same network; seconds to fit the Gaussian and the blend, each.\n\n"
        + markdown_table(
            ["table", "task", "holes", "fixed", "chosen", "ratio", "Gaussian s"],
            rows,
        )
        + "\n\nRatios chosen / fixed, per task: geometric mean, range, and "
        "how many cases each way:\n\n"
        + markdown_table(
            ["task", "cases", "geometric mean", "min", "max", "lower", "higher"],
            summary,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
