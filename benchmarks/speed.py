"""Training and inference speed, side by side with a hand-written torch loop.

One process, the same data (float32, 100,000 x 64 by default), the same
network (our MLPAutoencoder, 64-128-32-128-64 with its linear paths) and the
same number of epochs for (a) a minimal hand-written torch loop,
(b) ``AutoencoderTransformer.fit`` with early stopping off, the same with a
callback that listens to batches (so skorch's own epoch runs instead of
our lean one) and (c) PyOD's AutoEncoder with the same layer widths, no
batch norm and no dropout, at
batch sizes 64, 200 (the default) and 256, alternating the methods over
repeats and reporting medians. Then inference throughput of ``transform`` and
``score_samples`` against (d) the module called directly on batches and
(e) ``PCA.transform``; outlier scoring of AutoencoderOutlierDetector with
and without its neighbour distance against IsolationForest; the float32
matmul peak of the machine; the peak memory of ``transform`` on 2,000,000
rows (in a child process); and
GridSearchCV with n_jobs=2 against n_jobs=1, with and without
oversubscribing the two cores; and the end-to-end ADBench fit times.

    python benchmarks/speed.py [--rows 100000] [--epochs 2] [--repeats 5]
        [--threads 1]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from functools import partial

import numpy as np
import torch
from _common import RESULTS_DIR, environment, markdown_table, write_result
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderOutlierDetector, AutoencoderTransformer
from sk_autoencoder._network import MLPAutoencoder

N_FEATURES, HIDDEN, N_COMPONENTS = 64, 128, 32


def make_data(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n_rows, 8))
    X = np.tanh(latent @ rng.normal(size=(8, N_FEATURES)))
    X += 0.1 * rng.normal(size=X.shape)
    return X.astype(np.float32)


def hand_written_fit(X, batch_size, epochs, fused=False):
    """The minimal torch loop a user would write (``fused``: Adam's fused update)."""
    torch.manual_seed(0)
    model = MLPAutoencoder(N_FEATURES, N_COMPONENTS, (HIDDEN,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused or None)
    data = torch.from_numpy(X)
    for _ in range(epochs):
        for idx in torch.randperm(len(data)).split(batch_size):
            batch = data[idx]
            loss = torch.nn.functional.mse_loss(model(batch)[0], batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


class ListenToBatches(Callback):
    """A callback that listens to batch events: ours then trains with
    skorch's own epoch instead of its lean one."""

    def on_batch_end(self, net, **kwargs):
        pass


def ours_fit(X, batch_size, epochs, threads, callbacks=None):
    return AutoencoderTransformer(
        N_COMPONENTS,
        hidden_layer_sizes=(HIDDEN,),
        batch_size=batch_size,
        max_iter=epochs,
        early_stopping=False,
        n_jobs=threads,
        random_state=0,
        callbacks=callbacks,
    ).fit(X)


def pyod_fit(X, batch_size, epochs):
    from pyod.models.auto_encoder import AutoEncoder

    return AutoEncoder(
        hidden_neuron_list=[HIDDEN, N_COMPONENTS],
        batch_norm=False,
        dropout_rate=0.0,
        epoch_num=epochs,
        batch_size=batch_size,
        preprocessing=False,
        verbose=0,
        random_state=0,
    ).fit(X)


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired_ratio(reference_seconds, our_seconds):
    """Median over repeats of our speed relative to the reference's, each
    repeat's two timings taken side by side."""
    pairs = zip(reference_seconds, our_seconds, strict=True)
    return statistics.median([r / o for r, o in pairs])


def direct_module(module, X, what):
    out = np.empty((len(X), N_COMPONENTS if what == "encode" else 1), np.float32)
    with torch.inference_mode():
        for start in range(0, len(X), 4096):
            batch = torch.from_numpy(X[start : start + 4096])
            if what == "encode":
                result = module.encode(batch)
            else:
                result = torch.mean(
                    (module(batch)[0] - batch) ** 2, dim=1, keepdim=True
                )
            out[start : start + 4096] = result.numpy()
    return out


def outlier_scoring_rates(X, repeats):
    """Rows/s of score_samples: the default detector (reconstruction error
    and neighbour distance), the detector on reconstruction error alone, and
    IsolationForest, each fitted on ``X`` (the detector for one epoch)."""
    models = {
        "AutoencoderOutlierDetector (default)": AutoencoderOutlierDetector(
            max_iter=1, random_state=0
        ),
        "AutoencoderOutlierDetector (n_neighbors=None)": AutoencoderOutlierDetector(
            max_iter=1, n_neighbors=None, random_state=0
        ),
        "IsolationForest": IsolationForest(random_state=0),
    }
    for model in models.values():
        model.fit(X)
    times = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            times[name].append(seconds(partial(model.score_samples, X)))
    return [
        [name, f"{len(X) / statistics.median(seconds_):,.0f}"]
        for name, seconds_ in times.items()
    ]


def matmul_gflops(repeats=10):
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    torch.mm(a, b)
    best = min(seconds(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * 2048**3 / best / 1e9


def training_flops_per_row():
    module = MLPAutoencoder(N_FEATURES, N_COMPONENTS, (HIDDEN,))
    weights = sum(p.numel() for n, p in module.named_parameters() if "weight" in n)
    return 6 * weights  # forward 2 flops per weight, backward 4


def transform_peak_memory(n_rows):
    """Run in a child process: peak RSS growth of transform, in MB."""
    code = f"""
import numpy as np, json
from sk_autoencoder import AutoencoderTransformer
rng = np.random.default_rng(0)
X = rng.normal(size=(20000, {N_FEATURES})).astype(np.float32)
ae = AutoencoderTransformer({N_COMPONENTS}, hidden_layer_sizes=({HIDDEN},), max_iter=1,
                            random_state=0).fit(X)
big = np.empty(({n_rows}, {N_FEATURES}), np.float32)
for start in range(0, {n_rows}, 100000):
    stop = min(start + 100000, {n_rows})
    big[start:stop] = rng.normal(size=(stop - start, {N_FEATURES}))
ae.transform(big[:10])

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])

open("/proc/self/clear_refs", "w").write("5")  # resets the peak (VmHWM)
before = status("VmRSS:")
Z = ae.transform(big)
after = status("VmHWM:")
del Z
open("/proc/self/clear_refs", "w").write("5")
fit_before = status("VmRSS:")
AutoencoderTransformer({N_COMPONENTS}, hidden_layer_sizes=({HIDDEN},), batch_size=1024,
                       max_iter=1, random_state=0).fit(big)
fit_after = status("VmHWM:")
output_mb = {n_rows} * {N_COMPONENTS} * 4 / 1e6
print(json.dumps({{"input_mb": big.nbytes / 1e6, "output_mb": output_mb,
                  "peak_growth_mb": (after - before) / 1e3,
                  "fit_growth_mb": (fit_after - fit_before) / 1e3}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def adbench_totals():
    """Mean scores and total fit times of ours and IsolationForest from the
    last ADBench run of the two alone."""
    name = "adbench_ours_iforest.md"
    path = RESULTS_DIR / name
    if not path.exists():
        return (
            "No ADBench run yet: run benchmarks/adbench.py --methods ours "
            f"iforest --output {name}."
        )
    lines = path.read_text().splitlines()
    header = next(line for line in lines if line.startswith("| method |"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    keep = [columns.index(c) for c in ("method", "mean ROC-AUC", "mean AP")]
    keep.append(columns.index("total fit s"))
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in lines
        if line.startswith(("| ours ", "| iforest "))
    ]
    return (
        f"From `benchmarks/results/{name}` (43 datasets x 3 seeds, one thread):\n\n"
        + (
            markdown_table(
                [columns[i] for i in keep], [[r[i] for i in keep] for r in rows]
            )
        )
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--memory-rows", type=int, default=2_000_000)
    p.add_argument("--no-pyod", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    X = make_data(args.rows)
    rows_trained = args.rows * args.epochs
    peak = matmul_gflops()
    flops = training_flops_per_row()

    # Warm up: the first Adam step imports parts of torch that take seconds.
    hand_written_fit(X[:256], 64, 1)
    ours_fit(X[:256], 64, 1, args.threads)
    if not args.no_pyod:
        pyod_fit(X[:256], 64, 1)
    torch.set_num_threads(args.threads)

    fit_rows = []
    for batch_size in (64, 200, 256):
        methods = {
            "hand": partial(hand_written_fit, X, batch_size, args.epochs),
            "fused": partial(hand_written_fit, X, batch_size, args.epochs, True),
            "ours": partial(ours_fit, X, batch_size, args.epochs, args.threads),
            "skorch_epoch": partial(
                ours_fit, X, batch_size, args.epochs, args.threads, [ListenToBatches()]
            ),
        }
        if not args.no_pyod:
            methods["pyod"] = partial(pyod_fit, X, batch_size, args.epochs)
        runs = {name: [] for name in methods}
        for _ in range(args.repeats):
            for name, fit in methods.items():
                runs[name].append(seconds(fit))
                torch.set_num_threads(args.threads)
        rate = {k: rows_trained / statistics.median(v) for k, v in runs.items() if v}
        # Ratios of the same repeat: the machine's speed drifts between repeats.
        ratio = {k: paired_ratio(runs[k], runs["ours"]) for k in runs}
        fit_rows.append(
            [
                batch_size,
                f"{rate['hand']:,.0f}",
                f"{rate['ours']:,.0f}",
                f"{rate['pyod']:,.0f}" if "pyod" in rate else "-",
                f"{rate['fused']:,.0f}",
                f"{ratio['hand']:.2f}",
                f"{ratio['fused']:.2f}",
                f"{ratio['pyod']:.2f}" if "pyod" in rate else "-",
                f"{ratio['skorch_epoch']:.2f}",
                f"{rate['ours'] * flops / 1e9 / peak:.1%}",
            ]
        )
        print(fit_rows[-1], flush=True)

    ae = ours_fit(X, 256, 1, args.threads)
    module = ae.net_.module_
    Xs = ((X - ae.mean_) / ae.scale_).astype(np.float32)
    pca = PCA(N_COMPONENTS).fit(X)
    inference = {
        "transform": [],
        "encode": [],
        "score_samples": [],
        "error": [],
        "pca": [],
    }
    # Inference is quick: more repeats steady its ratios.
    for _ in range(7 * args.repeats):
        inference["transform"].append(seconds(lambda: ae.transform(X)))
        inference["encode"].append(seconds(lambda: direct_module(module, Xs, "encode")))
        inference["score_samples"].append(seconds(lambda: ae.score_samples(X)))
        inference["error"].append(seconds(lambda: direct_module(module, Xs, "error")))
        inference["pca"].append(seconds(lambda: pca.transform(X)))
    rate = {k: args.rows / statistics.median(v) for k, v in inference.items()}
    inference_rows = [
        [
            "transform",
            f"{rate['transform']:,.0f}",
            f"{rate['encode']:,.0f}",
            f"{paired_ratio(inference['encode'], inference['transform']):.2f}",
            f"{rate['pca']:,.0f}",
        ],
        [
            "score_samples",
            f"{rate['score_samples']:,.0f}",
            f"{rate['error']:,.0f}",
            f"{paired_ratio(inference['error'], inference['score_samples']):.2f}",
            "-",
        ],
    ]
    print(inference_rows, flush=True)
    with threadpool_limits(args.threads):
        scoring_rows = outlier_scoring_rates(X, args.repeats)
    print(scoring_rows, flush=True)

    memory = transform_peak_memory(args.memory_rows)
    print(memory, flush=True)

    search_X = X[:20000]
    grid = {"n_components": [4, 8], "hidden_layer_sizes": [(32,), (64,)]}
    # Start the two loky workers (they import torch) before timing.
    GridSearchCV(
        AutoencoderTransformer(max_iter=1), {"n_components": [1, 2]}, cv=2, n_jobs=2
    ).fit(search_X[:100])
    search_seconds = {}
    for outer, inner in ((1, None), (2, None), (2, 2)):
        search = GridSearchCV(
            AutoencoderTransformer(
                max_iter=10, early_stopping=False, n_jobs=inner, random_state=0
            ),
            grid,
            cv=2,
            n_jobs=outer,
        )
        search_seconds[outer, inner] = seconds(partial(search.fit, search_X))
        print(outer, inner, search_seconds[outer, inner], flush=True)
    search_rows = [
        [outer, inner or "None (1 thread)", outer * (inner or 1), f"{sec:.1f}"]
        for (outer, inner), sec in search_seconds.items()
    ]
    end_to_end = adbench_totals()

    net = f"{N_FEATURES}-{HIDDEN}-{N_COMPONENTS}-{HIDDEN}-{N_FEATURES}"
    setup = (
        f"{args.rows:,} x {N_FEATURES} float32 rows, network {net} (our "
        "MLPAutoencoder in the hand loop and ours; PyOD with the same widths, no "
        f"batch norm, no dropout), Adam, {args.epochs} epochs, torch on "
        f"{args.threads} thread(s) for every method, median of {args.repeats} "
        f"alternating repeats (inference: {7 * args.repeats}); a ratio is the "
        "median of the ratios within a repeat. Float32 matmul peak of the "
        f"machine (torch.mm 2048 x 2048): {peak:.1f} GFLOP/s."
    )
    extra_mb = memory["peak_growth_mb"] - memory["output_mb"]
    memory_text = (
        f"input {memory['input_mb']:.0f} MB, output {memory['output_mb']:.0f} MB, "
        f"peak RSS growth during transform {memory['peak_growth_mb']:.0f} MB "
        f"(the output plus {extra_mb:.0f} MB). One epoch of fit on the same "
        f"rows (batch 1024): peak RSS growth {memory['fit_growth_mb']:.0f} MB, "
        "so no copy of the input."
    )
    search_text = markdown_table(
        ["GridSearchCV n_jobs", "estimator n_jobs", "threads", "seconds"],
        search_rows,
    )
    fit_header = [
        "batch",
        "hand loop",
        "ours",
        "PyOD",
        "hand loop, fused Adam",
        "ours / hand",
        "ours / hand fused",
        "ours / PyOD",
        "ours / ours with skorch's epoch",
    ]
    inference_header = ["method", "ours", "module directly", "ours / direct", "PCA"]
    sections = [
        "# Speed: AutoencoderTransformer vs a hand-written torch loop and PyOD",
        environment(),
        setup,
        "## Training throughput (rows/s)",
        markdown_table([*fit_header, "ours, share of matmul peak"], fit_rows),
        "## Inference throughput (rows/s)",
        markdown_table(inference_header, inference_rows),
        "## Outlier scoring throughput (rows/s), BLAS on the same threads",
        markdown_table(["score_samples of", "rows/s"], scoring_rows),
        f"## Memory on {args.memory_rows:,} x {N_FEATURES} float32 rows",
        memory_text,
        "## GridSearchCV, 4 candidates x 2 folds on 20,000 rows, 10 epochs",
        search_text,
        "## End to end: total fit time over the ADBench protocol",
        end_to_end,
    ]
    text = "\n\n".join(sections) + "\n"
    write_result("speed.md", text)


if __name__ == "__main__":
    main()
