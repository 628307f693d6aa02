"""The safe format across torch versions: save under one, load under another.

``save`` fits the three estimators on digits (a fifth of the entries
missing for the imputer), writes them with ``sk_autoencoder.persistence``
and their outputs to ``outputs.npz`` in ``--dir``. ``load``, run with
another torch (a second virtual environment), loads the files and says
whether every output is bit-identical.

    python benchmarks/persistence_across_torch.py save --dir /tmp/models
    other-venv/bin/python benchmarks/persistence_across_torch.py load --dir /tmp/models
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)
from sk_autoencoder.persistence import load, save


def data():
    X = load_digits().data
    rng = np.random.default_rng(0)
    return X, np.where(rng.random(X.shape) < 0.2, np.nan, X)


def outputs(transformer, detector, imputer):
    X, X_missing = data()
    codes = transformer.transform(X)
    return {
        "transform": codes,
        "inverse_transform": transformer.inverse_transform(codes),
        "score_samples": detector.score_samples(X),
        "predict": detector.predict(X),
        "impute": imputer.transform(X_missing),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["save", "load"])
    p.add_argument("--dir", type=Path, required=True)
    args = p.parse_args()
    names = ("transformer", "detector", "imputer")
    if args.step == "save":
        X, X_missing = data()
        models = (
            AutoencoderTransformer(8, max_iter=5, random_state=0).fit(X),
            AutoencoderOutlierDetector(max_iter=5, random_state=0).fit(X),
            AutoencoderImputer(max_iter=5, random_state=0).fit(X_missing),
        )
        args.dir.mkdir(parents=True, exist_ok=True)
        for name, model in zip(names, models, strict=True):
            save(model, args.dir / f"{name}.safetensors")
        np.savez(args.dir / "outputs.npz", **outputs(*models))
        print(f"saved with torch {torch.__version__}")
        return
    models = [load(args.dir / f"{name}.safetensors") for name in names]
    expected = np.load(args.dir / "outputs.npz")
    for key, value in outputs(*models).items():
        same = np.array_equal(value, expected[key])
        print(f"{key:<18} bit-identical: {same}")
    print(f"loaded with torch {torch.__version__}")


if __name__ == "__main__":
    main()
