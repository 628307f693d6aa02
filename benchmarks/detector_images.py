"""The detector on images: one scale for all pixels against one per pixel.

scikit-learn's digits scaled to [0, 1], split 70/30 (``random_state`` =
seed). Two tasks:

- development, "one digit is the anomaly": the detector is fitted on the
  training images of the nine other digits; the held-out images of those
  nine are the normal rows, and held-out images of the tenth, a tenth as
  many, the anomalies;
- held-out, "one digit is normal": fitted on the training images of one
  digit; its held-out images are the normal rows, and held-out images of
  the other nine, a tenth as many, the anomalies.

Each task runs once per digit and seed. ROC-AUC and average precision of
``-score_samples`` for ``AutoencoderOutlierDetector(image_shape=(8, 8))``
with ``standardize=True`` (one scale per pixel) and with its default
(``"auto"``: one scale for all pixels), and for IsolationForest. Mean over
digits and seeds; fit seconds: median.

    python benchmarks/detector_images.py [--seeds 0 1 2]
"""

import time

import numpy as np
from _common import environment, markdown_table, parser, write_result
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderOutlierDetector

TASKS = {
    "development: one digit is the anomaly": False,
    "held-out: one digit is normal": True,
}


def detectors(seed):
    return {
        "standardize=True": AutoencoderOutlierDetector(
            image_shape=(8, 8), standardize=True, random_state=seed
        ),
        'default (standardize="auto")': AutoencoderOutlierDetector(
            image_shape=(8, 8), random_state=seed
        ),
        "IsolationForest": IsolationForest(random_state=seed),
    }


def split(X, y, digit, one_normal, seed):
    """Training rows, then held-out rows and their labels (1 = anomaly)."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed
    )
    normal_train = (y_train == digit) if one_normal else (y_train != digit)
    normal_test = (y_test == digit) if one_normal else (y_test != digit)
    anomalies = X_test[~normal_test]
    anomalies = np.random.default_rng(seed).permutation(anomalies)
    anomalies = anomalies[: max(1, normal_test.sum() // 10)]
    rows = np.vstack([X_test[normal_test], anomalies])
    labels = np.r_[np.zeros(normal_test.sum()), np.ones(len(anomalies))]
    return X_train[normal_train], rows, labels


def run(seeds):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rows = []
    for task, one_normal in TASKS.items():
        roc, ap, seconds = {}, {}, {}
        for seed in seeds:
            for digit in range(10):
                X_train, rows_test, labels = split(X, y, digit, one_normal, seed)
                for name, detector in detectors(seed).items():
                    start = time.perf_counter()
                    detector.fit(X_train)
                    seconds.setdefault(name, []).append(time.perf_counter() - start)
                    outlyingness = -detector.score_samples(rows_test)
                    roc.setdefault(name, []).append(roc_auc_score(labels, outlyingness))
                    ap.setdefault(name, []).append(
                        average_precision_score(labels, outlyingness)
                    )
        for name in roc:
            rows.append(
                [
                    task,
                    name,
                    f"{np.mean(roc[name]):.4f}",
                    f"{np.mean(ap[name]):.4f}",
                    f"{np.median(seconds[name]):.2f}",
                ]
            )
            print(rows[-1], flush=True)
    return markdown_table(["task", "method", "ROC-AUC", "AP", "fit s"], rows)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = p.parse_args()
    with threadpool_limits(1):
        table = run(args.seeds)
    write_result(
        "detector_images.md",
        "# The detector on images\n\n"
        f"{environment()}\n\n"
        "Digits / 16, 30 % held out; mean over 10 digits x seeds "
        f"{args.seeds}; fit s: median, one thread.\n\n" + table + "\n",
    )


if __name__ == "__main__":
    main()
