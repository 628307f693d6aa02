"""Inference with onnxruntime beside our own, and how far their outputs differ.

Each estimator (and two Pipelines: scaler, transformer and logistic
regression; scaler and detector) is fitted on 20,000 rows of the data of
``speed.py`` (64 features, network 64-128-32-128-64, 2 epochs), converted with
``sk_autoencoder.onnx.to_onnx`` and run on 100,000 held-out rows by both,
on one thread each (torch's ``n_jobs=None``, onnxruntime's
``intra_op_num_threads=1``). Reported: rows/s of each, median of the
repeats, and the largest absolute difference of the outputs, for float32
and float64 input.

    python benchmarks/onnx_speed.py [--rows 100000] [--repeats 5]
"""

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
from _common import environment, markdown_table, write_result
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from speed import HIDDEN, N_COMPONENTS, make_data

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)
from sk_autoencoder.onnx import to_onnx

N_TRAIN = 20_000
NETWORK = {"hidden_layer_sizes": (HIDDEN,), "max_iter": 2, "random_state": 0}


def session(onnx_model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def median_rows_per_second(fn, X, repeats):
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(X)
        seconds.append(time.perf_counter() - start)
    return len(X) / statistics.median(seconds)


def cases(X_train, y_train, X_train_missing):
    """(name, fitted model, our output, which ONNX output, rows' kind)."""
    transformer = AutoencoderTransformer(N_COMPONENTS, **NETWORK).fit(X_train)
    detector = AutoencoderOutlierDetector(**NETWORK).fit(X_train)
    imputer = AutoencoderImputer(N_COMPONENTS, **NETWORK).fit(X_train_missing)
    classifier = make_pipeline(
        StandardScaler(),
        AutoencoderTransformer(N_COMPONENTS, **NETWORK),
        LogisticRegression(max_iter=500),
    ).fit(X_train, y_train)
    flagger = make_pipeline(StandardScaler(), AutoencoderOutlierDetector(**NETWORK))
    flagger.fit(X_train)
    return [
        ("AutoencoderTransformer.transform", transformer, transformer.transform, 0),
        (
            "AutoencoderOutlierDetector.decision_function",
            detector,
            detector.decision_function,
            1,
        ),
        ("AutoencoderImputer.transform (10% missing)", imputer, imputer.transform, 0),
        (
            "Pipeline(scaler, transformer, logistic).predict_proba",
            classifier,
            classifier.predict_proba,
            1,
        ),
        (
            "Pipeline(scaler, detector).decision_function",
            flagger,
            flagger.decision_function,
            1,
        ),
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()

    X = make_data(N_TRAIN + args.rows).astype(np.float64)
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    rng = np.random.default_rng(1)
    X_missing = np.where(rng.random(X.shape) < 0.1, np.nan, X)
    X_train, X_test = X[:N_TRAIN], X[N_TRAIN:]

    rows = []
    for name, model, ours, output in cases(X_train, y[:N_TRAIN], X_missing[:N_TRAIN]):
        test = X_missing[N_TRAIN:] if "Imputer" in name else X_test
        for dtype in (np.float32, np.float64):
            batch = test.astype(dtype)
            options = {LogisticRegression: {"zipmap": False}}
            onnx_model = to_onnx(model, batch[:1], options=options)
            sess = session(onnx_model)

            def onnx_run(X, sess=sess, output=output):
                return sess.run(None, {"X": X})[output]

            expected = ours(batch)
            actual = onnx_run(batch).reshape(expected.shape)
            difference = float(np.max(np.abs(actual - expected)))
            ours_speed = median_rows_per_second(ours, batch, args.repeats)
            onnx_speed = median_rows_per_second(onnx_run, batch, args.repeats)
            rows.append(
                [
                    name,
                    np.dtype(dtype).name,
                    f"{difference:.2e}",
                    f"{ours_speed:,.0f}",
                    f"{onnx_speed:,.0f}",
                    f"{onnx_speed / ours_speed:.2f}",
                ]
            )
            print(rows[-1], flush=True)

    header = [
        "output",
        "input",
        "max abs difference",
        "ours (rows/s)",
        "onnxruntime (rows/s)",
        "onnxruntime / ours",
    ]
    text = "\n".join(
        [
            "# ONNX: onnxruntime inference beside ours",
            "",
            environment() + f", onnxruntime {ort.__version__}",
            "",
            f"{N_TRAIN:,} training rows and {args.rows:,} held-out rows of the data "
            "of speed.py (64 features), network 64-128-32-128-64, 2 epochs; one "
            "thread for each; median of "
            f"{args.repeats} repeats. The difference is the largest absolute one "
            "between onnxruntime's output and ours on the held-out rows (labels "
            "aside).",
            "",
            markdown_table(header, rows),
            "",
        ]
    )
    write_result("onnx_speed.md", text)


if __name__ == "__main__":
    main()
