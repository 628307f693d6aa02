"""The image transformer as a denoiser on images of 28 x 28, this checkout
beside another.

Images of 28 x 28 made from scikit-learn's digits (see ``ENLARGED_DIGITS``
in ``_common.py``): 1,500 training images drawn from 1,257 of the digits,
300 held out drawn from the others, so that no held-out image has a copy
among the training ones. No benchmark chose a default on them. The
held-out images get clipped Gaussian noise of standard deviation
``--sigma`` (pixels in [0, 1]); each denoiser is
``AutoencoderTransformer(64, noise=<that corruption>)``, with and without
``image_shape=(28, 28)``, fitted on the clean training images in a fresh
process (one thread, seed 0). PSNR of the denoised held-out images, and
its gain over PCA with the best of 8, 16, 32, 64 and 128 components
(chosen on the held-out images).

    python benchmarks/denoising_images.py [--before /path/to/checkout] [--sigma 0.3]
"""

from _common import (
    ENLARGED_DIGITS,
    checkouts,
    environment,
    json_from_python,
    markdown_table,
    parser,
    write_result,
)

N_TRAIN, N_TEST, N_TRAIN_DIGITS = 1500, 300, 1257

CASE = (
    """
import json, time
from functools import partial
"""
    + ENLARGED_DIGITS
    + """
from sklearn.decomposition import PCA
from sk_autoencoder import AutoencoderTransformer

def corrupt(X, rng, sigma):
    return np.clip(X + sigma * rng.normal(size=X.shape), 0, 1)

def psnr(estimate):
    return float(10 * np.log10(1 / np.mean((estimate - test) ** 2)))

noisy = corrupt(test, np.random.default_rng(1), {sigma})
pca = max(
    psnr(np.clip(p.inverse_transform(p.transform(noisy)), 0, 1))
    for p in (PCA(k).fit(train) for k in (8, 16, 32, 64, 128))
)
start = time.perf_counter()
ae = AutoencoderTransformer(
    64, noise=partial(corrupt, sigma={sigma}), random_state=0, {image_shape}
).fit(train)
seconds = time.perf_counter() - start
denoised = np.clip(ae.inverse_transform(ae.transform(noisy)), 0, 1)
print(json.dumps([psnr(noisy), pca, psnr(denoised), seconds, len(ae.net_.history)]))
"""
)


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False, before=True)
    p.add_argument("--sigma", type=float, default=0.3)
    args = p.parse_args()
    runs = [
        (f"{label}, image_shape=(28, 28)", code_dir, "image_shape=(28, 28)")
        for label, code_dir in checkouts(args.before).items()
    ]
    runs.append(("this checkout, no image_shape", runs[-1][1], ""))
    rows = []
    for label, code_dir, image_shape in runs:
        code = CASE.format(
            n_train=N_TRAIN,
            n_test=N_TEST,
            n_train_digits=N_TRAIN_DIGITS,
            held_out_digits=True,
            sigma=args.sigma,
            image_shape=image_shape,
        )
        noisy, pca, denoised, seconds, epochs = json_from_python(code, code_dir)
        rows.append(
            [
                label,
                f"{noisy:.2f}",
                f"{pca:.2f}",
                f"{denoised:.2f} ({denoised - pca:+.2f})",
                epochs,
                f"{seconds:.0f}",
            ]
        )
        print(rows[-1], flush=True)
    write_result(
        "denoising_images_28.md",
        "# The image transformer as a denoiser on images of 28 x 28\n\n"
        f"{environment()}\n\n"
        f"{N_TRAIN:,} training images of 28 x 28 (enlarged digits at random "
        f"offsets, see the script) drawn from {N_TRAIN_DIGITS:,} of the digits, "
        f"{N_TEST} held out drawn from the others, with clipped Gaussian noise "
        f"of sigma {args.sigma}; PSNR in dB, gain over the best-k PCA; one "
        "thread, seed 0.\n\n"
        + markdown_table(
            [
                "AutoencoderTransformer(64, noise=...)",
                "noisy",
                "best-k PCA",
                "denoised (gain)",
                "epochs",
                "fit s",
            ],
            rows,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
