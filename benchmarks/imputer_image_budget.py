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
process, torch on two threads and NumPy's BLAS on one. The 1,797 digits
are repeated at other offsets, so held-out images have near copies among
the training ones, which suits KNNImputer; with ``--held-out-digits``,
the held-out images are drawn from 540 digits and the training ones from
the other 1,257, so that none has a copy. ``--max-iter N`` adds a row
for the imputer with ``max_iter=N``.

    python benchmarks/imputer_image_budget.py [--before /path/to/checkout]
    python benchmarks/imputer_image_budget.py --held-out-digits \
        --n-train 5000 --max-iter 12
"""

from pathlib import Path

from _common import (
    ENLARGED_DIGITS,
    before_label,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

N_TEST = 500
N_TRAIN_DIGITS = 1257
BLOCKS = (6, 10)

CASE = (
    """
import json, time
import torch
torch.set_num_threads(2)
"""
    + ENLARGED_DIGITS
    + """
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
            imputer = AutoencoderImputer(
                image_shape=(28, 28), random_state=0, max_iter={max_iter!r}
            )
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
)


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False, before=True)
    p.add_argument("--n-train", type=int, default=54_000)
    p.add_argument("--held-out-digits", action="store_true")
    p.add_argument("--max-iter", type=int, help="also run with this max_iter")
    args = p.parse_args()
    here = Path(__file__).resolve().parents[1]
    runs = {"AutoencoderImputer, this checkout": (here, "auto")}
    if args.before is not None:
        label = f"AutoencoderImputer, {before_label(args.before)}"
        runs[label] = (args.before, "auto")
    if args.max_iter is not None:
        label = f"AutoencoderImputer(max_iter={args.max_iter}), this checkout"
        runs[label] = (here, args.max_iter)
    runs["KNNImputer"] = (here, None)
    rows = []
    for label, (code_dir, max_iter) in runs.items():
        code = CASE.format(
            n_train=args.n_train,
            n_test=N_TEST,
            n_train_digits=N_TRAIN_DIGITS,
            held_out_digits=args.held_out_digits,
            blocks=BLOCKS,
            method="KNNImputer" if max_iter is None else "ours",
            max_iter=max_iter,
        )
        result = json_from_python(code, code_dir)
        seconds = sum(result[str(size)][1] for size in BLOCKS)
        rows.append(
            [label, result.get("updates", "-")]
            + [f"{result[str(size)][0]:.4f}" for size in BLOCKS]
            + [f"{seconds:.0f}"]
        )
        print(rows[-1], flush=True)
    held_out = (
        f"drawn from {N_TRAIN_DIGITS:,} of the digits, {N_TEST} held out drawn "
        "from the other digits"
        if args.held_out_digits
        else f"{N_TEST} held out (the same digits, other draws)"
    )
    name = "imputer_images_28.md" if args.held_out_digits else "imputer_image_budget.md"
    write_result(
        name,
        "# The image imputer on images of 28 x 28\n\n"
        f"{environment()}\n\n"
        f"{args.n_train:,} training images of 28 x 28 (enlarged digits at "
        f"random offsets, see the script) {held_out}, with one square block "
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
