"""Quickstart: AutoencoderTransformer beside PCA on scikit-learn's digits.

Fits both reducers on 70 % of the 1,797 8x8 digit images and prints the
reconstruction error on the other 30 %, then swaps one for the other in a
classification pipeline. About a minute on two cores.

    python examples/quickstart.py
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)


def held_out_error(reducer):
    start = time.perf_counter()
    reducer.fit(X_train)
    seconds = time.perf_counter() - start
    X_rebuilt = reducer.inverse_transform(reducer.transform(X_test))
    return np.mean((X_rebuilt - X_test) ** 2), seconds


print("Held-out reconstruction error (mean squared, pixel units 0-16)")
print(f"{'k':>3}  {'PCA':>8}  {'autoencoder':>11}  {'ratio':>6}  {'AE fit':>7}")
for k in (2, 8, 16):
    pca_error, _ = held_out_error(PCA(n_components=k))
    ae_error, seconds = held_out_error(
        AutoencoderTransformer(n_components=k, random_state=0)
    )
    print(
        f"{k:>3}  {pca_error:8.3f}  {ae_error:11.3f}  {ae_error / pca_error:6.2f}"
        f"  {seconds:6.1f}s"
    )

print("\nStandardScaler -> reducer(16) -> LogisticRegression, test accuracy")
for reducer in (
    PCA(n_components=16),
    AutoencoderTransformer(n_components=16, random_state=0),
):
    pipe = make_pipeline(StandardScaler(), reducer, LogisticRegression(max_iter=2000))
    accuracy = pipe.fit(X_train, y_train).score(X_test, y_test)
    print(f"  {type(reducer).__name__:<24} {accuracy:.3f}")
