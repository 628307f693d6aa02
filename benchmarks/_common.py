"""Shared helpers for the benchmarks: data loading, splits, tables."""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

DEFAULT_DATA_DIR = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "adbench"
)
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MAX_ROWS = 20_000


# Code for a benchmark's fresh process (see json_from_python) that makes
# images of 28 x 28 from scikit-learn's digits: scaled to [0, 1], enlarged
# to 24 x 24 (bilinear), placed at a random offset of 0-4 pixels in each
# direction, with Gaussian noise of standard deviation 0.02; {n_train}
# training rows ``train`` and {n_test} held-out rows ``test``, drawn from
# {n_train_digits} of the digits and from the others if {held_out_digits}.
ENLARGED_DIGITS = """
import numpy as np
from scipy.ndimage import zoom
from sklearn.datasets import load_digits

rng = np.random.default_rng(0)
digits = load_digits().images / 16.0
enlarged = np.stack([zoom(image, 3, order=1) for image in digits])
n = {n_train} + {n_test}
which = rng.integers(len(digits), size=n)
if {held_out_digits}:
    order = rng.permutation(len(digits))
    which[: {n_train}] = rng.choice(order[:{n_train_digits}], size={n_train})
    which[{n_train} :] = rng.choice(order[{n_train_digits}:], size={n_test})
offsets = rng.integers(0, 5, size=(n, 2))
X = np.zeros((n, 28, 28))
for i, (j, (top, left)) in enumerate(zip(which, offsets)):
    X[i, top : top + 24, left : left + 24] = enlarged[j]
X = (X + 0.02 * rng.standard_normal(X.shape)).reshape(n, -1)
train, test = X[: {n_train}], X[{n_train} :]

"""


def parser(description, data_dir=True, before=False):
    """The options every benchmark takes: ``--data-dir`` (ADBench's files)
    and, for one that runs another checkout beside this one, ``--before``."""
    p = argparse.ArgumentParser(description=description)
    if data_dir:
        p.add_argument(
            "--data-dir",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help="folder with the ADBench .npz files (default: %(default)s)",
        )
    if before:
        p.add_argument("--before", type=Path, help="a checkout to run beside this one")
    return p


def load_adbench(data_dir, name, max_rows=MAX_ROWS, seed=0):
    """``X, y`` of one ADBench dataset, stratified-subsampled to ``max_rows``
    (None: whole)."""
    data = np.load(Path(data_dir) / f"{name}.npz")
    X, y = data["X"].astype(np.float64), data["y"].astype(int)
    if max_rows is not None and len(X) > max_rows:
        X, _, y, _ = train_test_split(
            X, y, train_size=max_rows, stratify=y, random_state=seed
        )
    return X, y


def adbench_names(data_dir):
    files = sorted(
        Path(data_dir).glob("*.npz"), key=lambda f: int(f.stem.split("_")[0])
    )
    return [f.stem for f in files]


def environment():
    return (
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"{platform.machine()}, command: python {' '.join(sys.argv)}"
    )


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(name, text):
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / name).write_text(text)
    print(text)


class KNNDistance:
    """The classic kNN detector: the mean distance to the 10 nearest
    training rows, negated (higher = more normal)."""

    def fit(self, X):
        self.neighbors_ = NearestNeighbors(n_neighbors=min(10, len(X))).fit(X)
        return self

    def score_samples(self, X):
        return -self.neighbors_.kneighbors(X)[0].mean(axis=1)


# Code for a benchmark's fresh process (see json_from_python) that fits
# the imputer {method} ("ours", "KNNImputer", "MissForest-style" or
# "means", a SimpleImputer) to the rows ``holes`` (NaN missing) and fills
# them: ``filled``, and ``result`` with the seconds that took.
# ``AutoencoderImputer`` gets the keyword arguments {params}.
FILL_HOLES = """
import time

start = time.perf_counter()
if "{method}" == "KNNImputer":
    from sklearn.impute import KNNImputer
    imputer = KNNImputer()
elif "{method}" == "MissForest-style":
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer
    from sklearn.impute import IterativeImputer
    forest = ExtraTreesRegressor(n_estimators=50, random_state=0)
    imputer = IterativeImputer(estimator=forest, random_state=0)
elif "{method}" == "means":
    from sklearn.impute import SimpleImputer
    imputer = SimpleImputer()
else:
    from sk_autoencoder import AutoencoderImputer
    imputer = AutoencoderImputer(**{params})
filled = imputer.fit_transform(holes)
result = {{"fit": time.perf_counter() - start}}
"""


def json_from_python(code, code_dir=None):
    """Run ``code`` in a fresh Python process on one thread, with the package
    in ``code_dir`` (a checkout of another commit) if given, and return the
    JSON its last printed line holds."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if code_dir is not None:
        # With -P below, the working directory (a checkout itself, maybe)
        # does not come before it on the path.
        env["PYTHONPATH"] = str(code_dir)
    result = subprocess.run(
        [sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.splitlines()[-1])


def before_label(code_dir):
    """``"before (<short commit>)"`` for the checkout in ``code_dir``."""
    commit = subprocess.run(
        ["git", "-C", str(code_dir), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"before ({commit or code_dir})"


def checkouts(before=None):
    """This checkout's root by the label "this checkout", after ``before``
    (a checkout of another commit) by its :func:`before_label` if given."""
    here = Path(__file__).resolve().parents[1]
    if before is None:
        return {"this checkout": here}
    return {before_label(before): before, "this checkout": here}
