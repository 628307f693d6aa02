"""The detector's threshold after partial_fit on chunks of every size.

AutoencoderOutlierDetector(random_state=0) with its defaults, fitted on
1,000 standard normal rows of 6 features (fit, or partial_fit on ten
chunks of 100), then given one more partial_fit on the first k training
rows. Reported: the share of 2,000 new normal rows that ``predict``
flags, the ROC-AUC of ``score_samples`` on them and 100 anomalies (normal
rows times 3), and the width of the narrowest code bound. Each case runs
in a fresh process on one thread; with ``--before DIR``, the same cases
run on the package in DIR (a checkout of another commit) beside this one.

    python benchmarks/detector_stream.py [--before /path/to/old/checkout]
"""

from _common import (
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

LAST_CHUNKS = [None, 1, 2, 20, 200, 1000]
STARTS = ["fit", "ten chunks of 100"]

CASE = """
import json
import numpy as np, torch
torch.set_num_threads(1)
from sklearn.metrics import roc_auc_score
from sk_autoencoder import AutoencoderOutlierDetector

rng = np.random.default_rng(0)
X, new = rng.normal(size=(1000, 6)), rng.normal(size=(2000, 6))
anomalies = 3 * rng.normal(size=(100, 6))
detector = AutoencoderOutlierDetector(random_state=0)
if {start!r} == "fit":
    detector.fit(X)
else:
    for chunk in np.array_split(X, 10):
        detector.partial_fit(chunk)
if {last} is not None:
    detector.partial_fit(X[: {last}])
flagged = float(np.mean(detector.predict(new) == -1))
scores = detector.score_samples(np.vstack([new, anomalies]))
auc = roc_auc_score(np.r_[np.ones(2000), np.zeros(100)], scores)
width = float(np.min(detector.code_upper_ - detector.code_lower_))
print(json.dumps([flagged, auc, width]))
"""


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False, before=True)
    args = p.parse_args()
    codes = checkouts(args.before)
    rows = []
    for start in STARTS:
        for last in LAST_CHUNKS:
            for label, code_dir in codes.items():
                flagged, auc, width = json_from_python(
                    CASE.format(start=start, last=last), code_dir
                )
                rows.append(
                    [
                        start,
                        "-" if last is None else last,
                        label,
                        f"{flagged:.3f}",
                        f"{auc:.3f}",
                        f"{width:.3g}",
                    ]
                )
                print(rows[-1], flush=True)
    header = [
        "trained by",
        "then partial_fit on rows",
        "code",
        "new normal rows flagged",
        "ROC-AUC",
        "narrowest code bound",
    ]
    text = (
        f"# {__doc__.splitlines()[0]}\n\n{environment()}\n\n"
        f"{' '.join(__doc__.split(chr(10) + chr(10))[1].split())}\n\n"
        f"{markdown_table(header, rows)}\n"
    )
    write_result("detector_stream.md", text)


if __name__ == "__main__":
    main()
