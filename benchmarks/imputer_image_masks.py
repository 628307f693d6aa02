"""How much of a training image the image imputer's masks hide.

The experiment that chose ``IMAGE_MASKED_SHARE`` (issue 22): with
``image_shape`` and complete training images, each image loses a share of
its pixels drawn uniformly between 0 and that constant (half of them as a
rectangle). The variants set it in a fresh process before the fit; "a
fifth" masks every image in a fifth of its pixels, as before the constant.
``AutoencoderImputer(image_shape=(8, 8), min_value=0, max_value=1)``,
everything else default, on two sets of 8 x 8 images with pixels in
[0, 1]: scikit-learn's digits (70 % to fit on, the held-out 30 % to fill)
and grayscale patches of scikit-learn's sample photographs (1,500 of
china.jpg to fit on, 500 of flower.jpg to fill). Development holes, the
ones the constant was chosen on: 3 x 3 and 4 x 4 blocks and 40 % of the
pixels scattered; the others are reported beside them. RMSE on the
missing pixels, one thread per fit, ``--jobs`` fits at a time.

    python benchmarks/imputer_image_masks.py [--seeds 0 1] [--jobs 2]
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from _common import (
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

VARIANTS = ("a fifth", 0.4, 0.6, 0.8, 1.0)
DATASETS = ("digits", "photo patches")
DEVELOPMENT = ("3 x 3 block", "4 x 4 block", "40 % scattered")
HOLES = (*DEVELOPMENT, "2 x 4 block", "line of 8", "20 % scattered", "left half")

CASE = """
import json
import numpy as np
from sklearn.datasets import load_digits, load_sample_image
from sklearn.impute import KNNImputer
from sklearn.model_selection import train_test_split
import sk_autoencoder._imputer as imputer_module
from sk_autoencoder import AutoencoderImputer

variant, dataset, seed = {variant!r}, {dataset!r}, {seed}
rng = np.random.default_rng(seed)

def patches(name, n):
    photo = load_sample_image(name).mean(axis=2) / 255.0
    tops = rng.integers(0, photo.shape[0] - 8, n)
    lefts = rng.integers(0, photo.shape[1] - 8, n)
    return np.stack([photo[t : t + 8, l : l + 8].ravel() for t, l in zip(tops, lefts)])

if dataset == "digits":
    digits = load_digits().data / 16.0
    train, test = train_test_split(digits, test_size=0.3, random_state=0)
else:
    train, test = patches("china.jpg", 1500), patches("flower.jpg", 500)

def block(height, width, corner=False):
    def holes(images, rng):
        images = images.copy().reshape(-1, 8, 8)
        for image in images:
            top = 0 if corner else rng.integers(8 - height + 1)
            left = 0 if corner else rng.integers(8 - width + 1)
            image[top : top + height, left : left + width] = np.nan
        return images.reshape(len(images), -1)
    return holes

def scattered(share):
    def holes(images, rng):
        return np.where(rng.random(images.shape) < share, np.nan, images)
    return holes

holes = {{
    "3 x 3 block": block(3, 3), "4 x 4 block": block(4, 4),
    "40 % scattered": scattered(0.4), "2 x 4 block": block(2, 4),
    "line of 8": block(1, 8), "20 % scattered": scattered(0.2),
    "left half": block(8, 4, corner=True),
}}
if variant == "KNNImputer":
    imputer = KNNImputer()
else:
    if variant == "a fifth":
        fifth = imputer_module.MASKED_FRACTION
        corruption = imputer_module.AutoencoderImputer._corruption

        def _corruption(self):
            import dataclasses
            return dataclasses.replace(corruption(self), level=fifth)

        imputer_module.AutoencoderImputer._corruption = _corruption
    else:
        imputer_module.IMAGE_MASKED_SHARE = variant
    imputer = AutoencoderImputer(
        image_shape=(8, 8), min_value=0, max_value=1, random_state=seed
    )
imputer.fit(train)
result = {{}}
for name, make in holes.items():
    with_holes = make(test, np.random.default_rng(seed))
    missing = np.isnan(with_holes)
    filled = imputer.transform(with_holes)
    result[name] = float(np.sqrt(np.mean((filled[missing] - test[missing]) ** 2)))
print(json.dumps(result))
"""


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    variants = ("KNNImputer", *VARIANTS)
    cases = [
        (dataset, variant, seed)
        for dataset in DATASETS
        for variant in variants
        for seed in args.seeds
    ]

    def run(case):
        dataset, variant, seed = case
        code = CASE.format(variant=variant, dataset=dataset, seed=seed)
        result = json_from_python(code, checkouts()["this checkout"])
        print(case, result, flush=True)
        return result

    with ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(cases, pool.map(run, cases), strict=True))
    rows = []
    for dataset in DATASETS:
        for variant in variants:
            mean = {
                hole: np.mean([results[dataset, variant, s][hole] for s in args.seeds])
                for hole in HOLES
            }
            development = np.mean([mean[hole] for hole in DEVELOPMENT])
            label = variant if isinstance(variant, str) else f"0 to {variant:g}"
            rows.append(
                [dataset, label, f"{development:.4f}"]
                + [f"{mean[hole]:.4f}" for hole in HOLES]
            )
    write_result(
        "imputer_image_masks.md",
        "# How much of a training image the image imputer's masks hide\n\n"
        f"{environment()}\n\n"
        f"Mean RMSE on the missing pixels over seeds {args.seeds}; 'development' "
        "is the mean over the development holes (the first three), the ones "
        "the share was chosen on. A share 'from 0 to s' is drawn for each "
        "training image; 'a fifth' hides a fifth of every image.\n\n"
        + markdown_table(
            ["images", "training masks", "development", *HOLES],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
