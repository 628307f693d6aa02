"""The same digits in other units: detector and transformer.

Found by a new-user hunt: a constant feature was scaled by 1 in the data's
units, and so, in the detector, was a feature whose values but a few are
equal (a digit's edge pixel, blank but for a few strokes, which the
gross-error rule left without a variance). The same rows times 1,000 or
1 / 1,000 were then trained, decoded and scored otherwise. scikit-learn's
digits (pixels 0-16), fitted as given, times 1,000, times 1 / 1,000 and
after a ``StandardScaler``; each fit in a fresh process on one thread,
for this checkout and, with ``--before``, another:

- detect: digits 0-4 as normal rows and 45 of the others as anomalies
  (drawn with seeds 0-2), ``AutoencoderOutlierDetector(random_state=seed)``
  fitted on all and scoring them: ROC-AUC, average precision, share
  flagged by ``predict``;
- blank pixel: digits 0-4 split 70 / 30 (seed 0); the share of the
  held-out digits flagged, as they are and with the always blank pixel 0
  set to 2 / 16 of the range;
- decode: ``AutoencoderTransformer(8, standardize=True, random_state=seed)``
  on a 70 / 30 split of all digits (seeds 0 and 1): held-out
  reconstruction error over the held-out rows' total variance.

    python benchmarks/units.py [--before CHECKOUT]
"""

from _common import (
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

UNITS = ("1", "1000", "0.001", "standardized")

CASE = """
import json, warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sk_autoencoder import AutoencoderOutlierDetector, AutoencoderTransformer

warnings.filterwarnings("ignore")
X, y = load_digits(return_X_y=True)


def units(train, *others):
    if "{units}" == "standardized":
        scaler = StandardScaler().fit(train)
        return [scaler.transform(part) for part in (train, *others)]
    return [part * float("{units}") for part in (train, *others)]


result = {{"roc": [], "ap": [], "flagged": []}}
for seed in (0, 1, 2):
    rng = np.random.default_rng(seed)
    anomalies = X[y > 4][rng.choice(np.sum(y > 4), 45, replace=False)]
    rows = np.vstack([X[y <= 4], anomalies])
    labels = np.r_[np.zeros(np.sum(y <= 4)), np.ones(45)]
    (rows,) = units(rows)
    detector = AutoencoderOutlierDetector(random_state=seed).fit(rows)
    scores = -detector.score_samples(rows)
    result["roc"].append(roc_auc_score(labels, scores))
    result["ap"].append(average_precision_score(labels, scores))
    result["flagged"].append(np.mean(detector.predict(rows) == -1))

train, test = train_test_split(X[y <= 4], test_size=0.3, random_state=0)
moved = test.copy()
moved[:, 0] = 2.0
train, test, moved = units(train, test, moved)
detector = AutoencoderOutlierDetector(random_state=0).fit(train)
result["clean"] = np.mean(detector.predict(test) == -1)
result["moved"] = np.mean(detector.predict(moved) == -1)

result["decode"] = []
for seed in (0, 1):
    train, test = train_test_split(X, test_size=0.3, random_state=seed)
    train, test = units(train, test)
    model = AutoencoderTransformer(8, standardize=True, random_state=seed)
    rebuilt = model.fit(train).inverse_transform(model.transform(test))
    total = ((test - test.mean(axis=0)) ** 2).sum()
    result["decode"].append(((rebuilt - test) ** 2).sum() / total)
print(json.dumps({{key: float(np.mean(value)) for key, value in result.items()}}))
"""


def main():
    args = parser(__doc__.splitlines()[0], data_dir=False, before=True).parse_args()
    rows = []
    for label, code_dir in checkouts(args.before).items():
        for units in UNITS:
            result = json_from_python(CASE.format(units=units), code_dir)
            rows.append(
                [
                    label,
                    units,
                    f"{result['roc']:.4f}",
                    f"{result['ap']:.3f}",
                    f"{result['flagged']:.3f}",
                    f"{result['clean']:.3f}",
                    f"{result['moved']:.3f}",
                    f"{result['decode']:.4f}",
                ]
            )
            print(rows[-1], flush=True)
    header = [
        "checkout",
        "digits times",
        "detect ROC-AUC",
        "detect AP",
        "detect flagged",
        "blank pixel: held-out flagged",
        "with pixel 0 at 2 / 16",
        "decode: error / variance",
    ]
    write_result(
        "units.md",
        "# The same digits in other units\n\n"
        f"{environment()}\n\n"
        "See the script's docstring for the tasks; detect is a mean over "
        "seeds 0-2, decode over seeds 0 and 1, blank pixel seed 0.\n\n"
        + markdown_table(header, rows)
        + "\n",
    )


if __name__ == "__main__":
    main()
