"""Memory and time of the detector on images, this checkout beside another.

AutoencoderOutlierDetector(image_shape=(side, side), max_iter=1) fitted on
random images, then scoring them: fit and score_samples seconds and the
process's peak memory, each case in a fresh process on one thread. With
``--before DIR``, the same cases run on the package in DIR (a checkout of
another commit) beside this one.

    python benchmarks/image_memory.py [--before /path/to/old/checkout]
"""

from _common import (
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

CASES = [(32, 1000), (64, 500)]

CASE = """
import json, resource, time
import numpy as np, torch
torch.set_num_threads(1)
from sk_autoencoder import AutoencoderOutlierDetector
side, n = {side}, {n}
X = np.random.default_rng(0).random((n, side * side))
detector = AutoencoderOutlierDetector(
    image_shape=(side, side), max_iter=1, random_state=0
)
start = time.perf_counter()
detector.fit(X)
fit = time.perf_counter() - start
start = time.perf_counter()
scores = detector.score_samples(X)
score = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps([fit, score, peak, float(scores.sum())]))
"""


def run(side, n, code_dir):
    return json_from_python(CASE.format(side=side, n=n), code_dir)


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False, before=True)
    args = p.parse_args()
    codes = checkouts(args.before)
    rows = []
    for side, n in CASES:
        for label, code_dir in codes.items():
            fit, score, peak, total = run(side, n, code_dir)
            rows.append(
                [
                    f"{side} x {side}",
                    n,
                    label,
                    f"{fit:.1f}",
                    f"{score:.1f}",
                    f"{peak:,.0f}",
                    f"{total:.6f}",
                ]
            )
            print(rows[-1], flush=True)
    write_result(
        "image_memory.md",
        "# The detector on images: memory and time\n\n"
        f"{environment()}\n\n"
        "AutoencoderOutlierDetector(image_shape=(side, side), max_iter=1, "
        "random_state=0) on random images, fitted and then scoring the same "
        "rows; one thread, each case in a fresh process, one run each. Peak "
        "memory: the process's maximum resident set. Score sum: the sum of "
        "score_samples, equal where the scores are.\n\n"
        + markdown_table(
            ["images", "rows", "code", "fit s", "score s", "peak MB", "score sum"],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
