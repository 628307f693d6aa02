"""Memory and time of the imputer's transform, this checkout beside another.

AutoencoderImputer(max_iter=1) fitted on 2,000 rows, then filling 400,000
x 32 standard normal rows with 10 % of their entries missing (holes in 97 %
of the rows): the growth of the process's peak memory during the first
full transform, as a multiple of the input's size, and the median seconds
of five more. Each case runs in a fresh process on one thread. With
``--before DIR``, the same cases run on the package in DIR (a checkout of
another commit) beside this one.

    python benchmarks/imputer_memory.py [--before /path/to/old/checkout]
"""

from _common import (
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

DTYPES = ["float64", "float32"]

CASE = """
import json, time
import numpy as np, torch
torch.set_num_threads(1)
from sk_autoencoder import AutoencoderImputer


def peak_memory():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024


rng = np.random.default_rng(0)
X = rng.standard_normal((400_000, 32)).astype("{dtype}")
X[rng.random(X.shape) < 0.1] = np.nan
imputer = AutoencoderImputer(max_iter=1, random_state=0, n_jobs=1).fit(X[:2000])
imputer.transform(X[:1000])
before = peak_memory()
filled = imputer.transform(X)
grown = (peak_memory() - before) / X.nbytes
times = []
for _ in range(5):
    start = time.perf_counter()
    imputer.transform(X)
    times.append(time.perf_counter() - start)
print(json.dumps([grown, float(np.median(times)), float(filled.sum(dtype=float))]))
"""


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False, before=True)
    args = p.parse_args()
    codes = checkouts(args.before)
    rows = []
    for dtype in DTYPES:
        for label, code_dir in codes.items():
            grown, seconds, total = json_from_python(CASE.format(dtype=dtype), code_dir)
            rows.append(
                [dtype, label, f"{grown:.2f}", f"{seconds:.2f}", f"{total:.6f}"]
            )
            print(rows[-1], flush=True)
    write_result(
        "imputer_memory.md",
        "# The imputer's transform: memory and time\n\n"
        f"{environment()}\n\n"
        "AutoencoderImputer(max_iter=1, random_state=0) fitted on 2,000 rows, "
        "then filling 400,000 x 32 standard normal rows with 10 % of their "
        "entries missing; one thread, each case in a fresh process. Peak "
        "growth: how much the first full transform raised the process's "
        "peak resident memory, over the input's size (the output alone is "
        "1). Seconds: median of five more transforms. Fill sum: the sum of "
        "the output, equal where the fills are.\n\n"
        + markdown_table(
            ["dtype", "code", "peak growth / input", "transform s", "fill sum"],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
