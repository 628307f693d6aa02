"""The image imputer's budget on a large image set, this checkout beside
another, with KNNImputer.

Images of 28 x 28: scikit-learn's digits scaled to [0, 1], enlarged to
24 x 24 (bilinear), placed at a random offset of 0-4 pixels in each
direction, with Gaussian noise of standard deviation 0.02. The imputer
(``AutoencoderImputer(image_shape=(28, 28))``, defaults) is fitted on the
training images and the held-out images with their holes, as
``fit_transform`` would be; KNNImputer (defaults) on the training images.
Holes: one square block per held-out image, at a random place within the
centre, of 6 x 6 and of 10 x 10 pixels. Each imputer runs in a fresh
process on two threads. The 1,797 digits are repeated at other offsets,
so held-out images have near copies among the training ones, which suits
KNNImputer.

    python benchmarks/imputer_image_budget.py [--before /path/to/checkout]
"""

import argparse
from pathlib import Path

from _common import (
    before_label,
    environment,
    json_from_python,
    markdown_table,
    write_result,
)

N_TRAIN = 54_000
N_TEST = 500
BLOCKS = (6, 10)

CASE = """
import json, time
import numpy as np, torch
from scipy.ndimage import zoom
from sklearn.datasets import load_digits
torch.set_num_threads(2)

rng = np.random.default_rng(0)
digits = load_digits().images / 16.0
enlarged = np.stack([zoom(image, 3, order=1) for image in digits])
n = {n_train} + {n_test}
which = rng.integers(len(digits), size=n)
offsets = rng.integers(0, 5, size=(n, 2))
X = np.zeros((n, 28, 28))
for i, (j, (top, left)) in enumerate(zip(which, offsets)):
    X[i, top : top + 24, left : left + 24] = enlarged[j]
X = (X + 0.02 * rng.standard_normal(X.shape)).reshape(n, -1)
train, test = X[: {n_train}], X[{n_train} :]

def with_holes(size, seed):
    rng = np.random.default_rng(seed)
    mask = np.zeros((len(test), 28, 28), dtype=bool)
    for i in range(len(test)):
        top, left = rng.integers(4, 24 - size + 1, size=2)
        mask[i, top : top + size, left : left + size] = True
    mask = mask.reshape(len(test), -1)
    return np.where(mask, np.nan, test), mask

result = {{}}
for size in {blocks}:
    holes, mask = with_holes(size, 1)
    start = time.perf_counter()
    if "{method}" == "KNNImputer":
        from sklearn.impute import KNNImputer
        filled = KNNImputer().fit(train).transform(holes)
    else:
        from sk_autoencoder import AutoencoderImputer
        if size == {blocks}[0]:
            imputer = AutoencoderImputer(image_shape=(28, 28), random_state=0)
            imputer.fit(np.vstack([train, holes]))
            result["updates"] = sum(
                "train_loss" in batch
                for epoch in imputer.net_.history
                for batch in epoch["batches"]
            )
        filled = imputer.transform(holes)
    result[size] = [
        float(np.sqrt(np.mean((filled[mask] - test[mask]) ** 2))),
        time.perf_counter() - start,
    ]
print(json.dumps(result))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", type=Path, help="a checkout to run beside this one")
    args = p.parse_args()
    here = Path(__file__).resolve().parents[1]
    runs = {"AutoencoderImputer, this checkout": here}
    if args.before is not None:
        runs[f"AutoencoderImputer, {before_label(args.before)}"] = args.before
    runs["KNNImputer"] = here
    rows = []
    for label, code_dir in runs.items():
        method = "KNNImputer" if label == "KNNImputer" else "ours"
        code = CASE.format(n_train=N_TRAIN, n_test=N_TEST, blocks=BLOCKS, method=method)
        result = json_from_python(code, code_dir)
        seconds = sum(result[str(size)][1] for size in BLOCKS)
        rows.append(
            [label, result.get("updates", "-")]
            + [f"{result[str(size)][0]:.4f}" for size in BLOCKS]
            + [f"{seconds:.0f}"]
        )
        print(rows[-1], flush=True)
    write_result(
        "imputer_image_budget.md",
        "# The image imputer on a large image set\n\n"
        f"{environment()}\n\n"
        f"{N_TRAIN:,} training images of 28 x 28 (enlarged digits at random "
        f"offsets, see the script), {N_TEST} held out with one square block "
        "missing each; RMSE on the missing pixels (pixels in [0, 1]); "
        "seconds: fit and both transforms (KNNImputer: its transforms). "
        "Updates: training batches the imputer ran.\n\n"
        + markdown_table(
            ["imputer", "updates"]
            + [f"RMSE, {size} x {size} block" for size in BLOCKS]
            + ["seconds"],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
