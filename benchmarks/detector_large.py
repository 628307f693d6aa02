"""The detector on large data: ADBench's datasets at their full size.

adbench.py subsamples every dataset to 20,000 rows; here the nine datasets
with more rows are taken whole (up to 619,326 rows), split 70 / 30
(stratified) and standardized on the training rows as there, and
AutoencoderOutlierDetector (defaults) and IsolationForest are fitted on one
thread: test ROC-AUC and AP, fit and score_samples seconds (after a fit
on a small array, untimed: imports and initializations happen once per
process). With
``--before DIR``, the detector also runs from the package in DIR (a
checkout of another commit), in a process of its own, beside this one.

    python benchmarks/detector_large.py [--data-dir DIR] [--seeds 0]
        [--before /path/to/old/checkout]
"""

from pathlib import Path

import numpy as np
from _common import (
    MAX_ROWS,
    adbench_names,
    before_label,
    environment,
    json_from_python,
    load_adbench,
    markdown_table,
    parser,
    write_result,
)

CASE = """
import json, sys, time, warnings
import numpy as np, torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
sys.path.insert(0, {benchmarks!r})
from _common import load_adbench
from sk_autoencoder import AutoencoderOutlierDetector
warnings.filterwarnings("ignore")
torch.set_num_threads(1)
X, y = load_adbench({data_dir!r}, {name!r}, max_rows=None)
X_train, X_test, _, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state={seed}
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
def make():
    if {method!r} == "iforest":
        return IsolationForest(random_state={seed})
    return AutoencoderOutlierDetector(random_state={seed})
with threadpool_limits(1):
    # Once, untimed, on a small array: the first fit of a process pays for
    # lazy imports and initializations.
    make().fit(np.random.default_rng(0).normal(size=(200, X.shape[1])))
    model = make()
    start = time.perf_counter()
    model.fit(X_train)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    outlyingness = -model.score_samples(X_test)
    score = time.perf_counter() - start
print(json.dumps([
    roc_auc_score(y_test, outlyingness),
    average_precision_score(y_test, outlyingness),
    fit,
    score,
]))
"""


def run(code_dir, method, data_dir, name, seed):
    case = CASE.format(
        benchmarks=str(Path(__file__).resolve().parent),
        data_dir=str(data_dir),
        name=name,
        seed=seed,
        method=method,
    )
    return json_from_python(case, code_dir)


def main():
    p = parser(__doc__.splitlines()[0], before=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--output", default="detector_large.md")
    args = p.parse_args()
    large = [
        name
        for name in adbench_names(args.data_dir)
        if len(load_adbench(args.data_dir, name, max_rows=None)[1]) > MAX_ROWS
    ]
    methods = {"ours": ("ours", None)}
    if args.before is not None:
        methods = {f"ours {before_label(args.before)}": ("ours", args.before)}
        methods["ours"] = ("ours", None)
    methods["IsolationForest"] = ("iforest", None)
    found = {}
    for name in large:
        for label, (method, code_dir) in methods.items():
            found[name, label] = np.mean(
                [
                    run(code_dir, method, args.data_dir, name, seed)
                    for seed in args.seeds
                ],
                axis=0,
            )
            print(name, label, np.round(found[name, label], 3), flush=True)
    rows = [
        [name, label, *(f"{v:.3f}" for v in found[name, label][:2])]
        + [f"{v:.2f}" for v in found[name, label][2:]]
        for name in large
        for label in methods
    ]
    means = [
        ["**mean**", label]
        + [
            f"**{np.mean([found[name, label][i] for name in large]):.3f}**"
            for i in (0, 1)
        ]
        + [
            f"**{np.sum([found[name, label][i] for name in large]):.1f}** (total)"
            for i in (2, 3)
        ]
        for label in methods
    ]
    write_result(
        args.output,
        "# The detector on ADBench's large datasets, whole\n\n"
        f"{environment()}\n\n"
        f"Seeds {args.seeds} (means over them); one thread; defaults; test "
        "rows = 30 % of each dataset.\n\n"
        + markdown_table(
            ["dataset", "method", "ROC-AUC", "AP", "fit s", "score_samples s"],
            rows + means,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
