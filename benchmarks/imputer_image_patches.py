"""Inpainting patches of photographs: AutoencoderImputer beside KNNImputer.

Held-out images for the image imputer's defaults, which were chosen on
scikit-learn's digits: grayscale patches (pixels in [0, 1]) of the two
photographs that scikit-learn ships (``load_sample_images``). The imputers
are fitted on 5,000 patches at random places in china.jpg and fill 500
patches of flower.jpg, another photograph, with five kinds of hole: a
square block of a quarter of the side at a random place, a stripe two
pixels high across the patch, 30 % of the pixels scattered, the left half
of the patch, and 60 % of the pixels scattered. Each
imputer (``AutoencoderImputer(image_shape=(side, side))`` with its
defaults, and ``KNNImputer()``) runs in a fresh process on one thread.

    python benchmarks/imputer_image_patches.py [--before /path/to/checkout]
"""

from _common import (
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

SIDES = (16, 28)
HOLES = ("block", "stripe", "pixels", "half", "most pixels")
N_TRAIN = 5000
N_TEST = 500

CASE = """
import json, time
import numpy as np
from sklearn.datasets import load_sample_images

side = {side}
photos = [image.mean(axis=2) / 255.0 for image in load_sample_images().images]
rng = np.random.default_rng(0)

def patches(photo, n):
    tops = rng.integers(0, photo.shape[0] - side, n)
    lefts = rng.integers(0, photo.shape[1] - side, n)
    return np.stack(
        [photo[top : top + side, left : left + side] for top, left in zip(tops, lefts)]
    ).reshape(n, -1)

train, test = patches(photos[0], {n_train}), patches(photos[1], {n_test})

def with_holes(kind):
    hole_rng = np.random.default_rng(1)
    mask = np.zeros((len(test), side, side), dtype=bool)
    for image in mask:
        if kind == "block":
            size = side // 4
            top, left = hole_rng.integers(1, side - size, size=2)
            image[top : top + size, left : left + size] = True
        elif kind == "stripe":
            top = hole_rng.integers(1, side - 2)
            image[top : top + 2] = True
        elif kind == "half":
            image[:, : side // 2] = True
        else:
            share = 0.3 if kind == "pixels" else 0.6
            image[:] = hole_rng.random((side, side)) < share
    mask = mask.reshape(len(test), -1)
    return np.where(mask, np.nan, test), mask

start = time.perf_counter()
if "{method}" == "KNNImputer":
    from sklearn.impute import KNNImputer
    imputer = KNNImputer().fit(train)
else:
    from sk_autoencoder import AutoencoderImputer
    imputer = AutoencoderImputer(image_shape=(side, side), random_state=0).fit(train)
result = {{"fit": time.perf_counter() - start}}
weight = getattr(imputer, "network_weight_", None)
result["weight"] = None if weight is None else float(np.mean(weight))
for kind in {holes}:
    holes, mask = with_holes(kind)
    filled = imputer.transform(holes)
    result[kind] = float(np.sqrt(np.mean((filled[mask] - test[mask]) ** 2)))
print(json.dumps(result))
"""


def main():
    args = parser(__doc__.splitlines()[0], data_dir=False, before=True).parse_args()
    runs = {
        f"AutoencoderImputer, {label}": (code_dir, "ours")
        for label, code_dir in checkouts(args.before).items()
    }
    runs["KNNImputer"] = (None, "KNNImputer")
    rows = []
    for side in SIDES:
        for label, (code_dir, method) in runs.items():
            code = CASE.format(
                side=side, n_train=N_TRAIN, n_test=N_TEST, holes=HOLES, method=method
            )
            result = json_from_python(code, code_dir)
            weight = result["weight"]
            rows.append(
                [f"{side} x {side}", label]
                + [f"{result[kind]:.4f}" for kind in HOLES]
                + ["-" if weight is None else f"{weight:.2f}", f"{result['fit']:.0f}"]
            )
            print(rows[-1], flush=True)
    write_result(
        "imputer_image_patches.md",
        "# Inpainting patches of photographs\n\n"
        f"{environment()}\n\n"
        f"{N_TRAIN:,} grayscale patches of china.jpg to fit on, {N_TEST} of "
        "flower.jpg to fill (scikit-learn's sample images; pixels in [0, 1]); "
        "RMSE on the missing pixels: a block of a quarter of the side, a "
        "stripe 2 pixels high, 30 % of the pixels scattered, the left half, 60 % "
        "of the pixels scattered. Held out: the image defaults were chosen on "
        "scikit-learn's digits and 8 x 8 patches of china.jpg. weight: the "
        "imputer's network_weight_ (the network's share of the fill, the "
        "Gaussian's the rest). Fit seconds on one thread.\n\n"
        + markdown_table(
            ["patches", "imputer"]
            + [f"RMSE, {kind}" for kind in HOLES]
            + ["weight", "fit s"],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
