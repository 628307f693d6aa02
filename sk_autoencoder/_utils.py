"""Small utilities: torch threads and seeding, batched inference, and the one
module that imports scikit-learn's private helpers."""

import functools
import inspect
import os
import threading
import weakref
from contextlib import contextmanager
from numbers import Integral

import numpy as np
import sklearn
import torch
from joblib import cpu_count

# scikit-learn's private helpers (all but check_random_state), the ones its
# own estimators are built on. Imported here only, so that a release that
# moves them breaks one module.
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._missing import is_pandas_na, is_scalar_nan
from sklearn.utils._param_validation import Interval as _Interval
from sklearn.utils._param_validation import (
    MissingValues,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.validation import _check_feature_names_in
from tqdm.auto import tqdm

__all__ = [
    "INFERENCE_BATCH_SIZE",
    "Interval",
    "MissingValues",
    "RealNotInt",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "caller_stacklevel",
    "draw_seed",
    "flushes_denormals",
    "inference_batch_rows",
    "is_pandas_na",
    "is_scalar_nan",
    "map_batches",
    "n_threads",
    "output_config",
    "seeded_torch",
    "spread_sample",
    "torch_compute",
    "trains",
]


def output_config(estimator):
    """What ``set_output`` chose for ``estimator`` (scikit-learn keeps it in
    a private attribute), as ``{"transform": ...}``, or ``{}``."""
    return dict(getattr(estimator, "_sklearn_output_config", {}))


class Interval(_Interval):
    """scikit-learn's ``Interval`` constraint, which refuses bools where
    it asks for an int: ``True`` is an int to Python, never a count or a
    size that a user means."""

    def is_satisfied_by(self, val):
        if self.type is Integral and isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)


# Rows per inference batch: large enough that the per-batch overhead
# vanishes, small enough that activations stay a few MB.
INFERENCE_BATCH_SIZE = 4096

# And at most the rows whose largest activations hold this many numbers
# (256 MB in float64; see inference_batch_rows): convolutions over large
# images take far more per row than a table's layers.
INFERENCE_BATCH_VALUES = 2**25

# The layers whose input a float64 convolution on the CPU unrolls, one
# copy of its kernel's reach per output position.
_CONVOLUTIONS = (
    torch.nn.Conv1d,
    torch.nn.Conv2d,
    torch.nn.Conv3d,
    torch.nn.ConvTranspose1d,
    torch.nn.ConvTranspose2d,
    torch.nn.ConvTranspose3d,
)

# torch's default generator is process-wide; module initialization draws
# from it, so concurrent fits must take turns while they seed and draw.
_INIT_LOCK = threading.Lock()


@contextmanager
def torch_compute(n_jobs):
    """Run torch ops on ``n_threads(n_jobs)`` intra-op threads, in float32
    by default, with denormal floats flushed to zero, then restore all
    three.

    The networks compute in float32 whatever default dtype the caller set
    (``torch.set_default_dtype``): layers built and tensors made inside
    take float32.

    Adam's moment estimates of parameters whose gradient stays zero (a
    unit no row activates) shrink geometrically into the denormal range,
    where every CPU operation on them is many times slower. Flushing
    them to zero changes no result that matters and keeps each update's
    cost constant. The flag belongs to the calling thread, which runs
    the training loop.
    """
    previous_threads, previous_flush = torch.get_num_threads(), flushes_denormals()
    torch.set_num_threads(n_threads(n_jobs))
    torch.set_flush_denormal(True)
    try:
        with _float32_default():
            yield
    finally:
        torch.set_flush_denormal(previous_flush)
        torch.set_num_threads(previous_threads)


# The default dtype is the process's, not a thread's: the first of the
# overlapping torch_compute blocks keeps the caller's and sets float32, the
# last one restores it.
_DTYPE_LOCK = threading.Lock()
_dtype_state = {"blocks": 0, "caller": None}


@contextmanager
def _float32_default():
    """torch's default dtype float32 for the block, the caller's restored
    when no other thread is inside one; another thread's own torch code
    meanwhile also sees float32."""
    with _DTYPE_LOCK:
        if not _dtype_state["blocks"]:
            _dtype_state["caller"] = torch.get_default_dtype()
            torch.set_default_dtype(torch.float32)
        _dtype_state["blocks"] += 1
    try:
        yield
    finally:
        with _DTYPE_LOCK:
            _dtype_state["blocks"] -= 1
            if not _dtype_state["blocks"]:
                torch.set_default_dtype(_dtype_state["caller"])


def trains(method):
    """Run ``method`` with autograd on, also inside the caller's
    ``torch.no_grad()`` or ``torch.inference_mode()``: the networks it
    builds must be trainable, and later ones too (a parameter made in
    inference mode never is)."""

    @functools.wraps(method)
    def with_autograd(*args, **kwargs):
        with torch.inference_mode(False), torch.enable_grad():
            return method(*args, **kwargs)

    return with_autograd


def flushes_denormals():
    """Whether this thread flushes denormal floats to zero (torch has a
    setter, no getter): the smallest float32 survives a product only if
    not."""
    smallest = torch.tensor(
        torch.finfo(torch.float32).smallest_normal / 2, dtype=torch.float32
    )
    return bool((smallest * 1.0) == 0)


@contextmanager
def seeded_torch(seed):
    """Seed torch's default generator for the block, leaving it as it was."""
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def n_threads(n_jobs):
    """Torch threads for ``n_jobs``: None means 1, negative counts back,
    and no more than the cores (a Python ``int`` either way, as torch and
    threadpoolctl need).

    One thread is fastest for small networks, and parallel searches
    (``GridSearchCV(n_jobs=...)``) then never oversubscribe the cores.
    Counted here rather than by joblib's ``effective_n_jobs``, which answers
    how many *processes* may start (1 inside a Dask worker).
    """
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, cpu_count() + 1 + int(n_jobs))
    return min(int(n_jobs), cpu_count())


def caller_stacklevel():
    """The ``stacklevel`` at which ``warnings.warn``, called from the
    function that calls this one, points at the first frame outside this
    package and scikit-learn: the user's call, whether to ``fit``,
    ``fit_transform`` or a pipeline's."""
    inner = (
        os.path.dirname(__file__) + os.sep,
        os.path.dirname(sklearn.__file__) + os.sep,
    )
    frame = inspect.currentframe()
    if frame is None:  # a Python without stack frames: the caller's caller
        return 2
    frame, level = frame.f_back, 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(inner):
        frame = frame.f_back
        level += 1
    return level


def draw_seed(random_state):
    """An int seed from ``random_state``; None draws one from the OS, so the
    global NumPy generator stays untouched."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    return int(check_random_state(random_state).randint(2**31 - 1))


def spread_sample(rows, limit):
    """At most ``limit`` of ``rows``, in order: one drawn at random from each
    of ``limit`` stretches of them, as long as each other within one row.

    Rows evenly spaced alias with data whose rows cycle through a few
    sources (two sensors logging in turn: every other row is one sensor's,
    and rows two apart all the same sensor's); a draw from each stretch
    covers the rows as evenly and takes each source in its share. The
    generator is seeded by the two sizes: the same rows give the same
    sample.
    """
    n_rows = len(rows)
    if n_rows <= limit:
        return rows
    starts = np.arange(limit) * n_rows // limit
    lengths = np.arange(1, limit + 1) * n_rows // limit - starts
    offsets = np.random.default_rng([n_rows, limit]).random(limit) * lengths
    return rows[starts + offsets.astype(np.int64)]


# inference_batch_rows of each module, by row width: a network's layers do
# not change once built, and walking them weighs on a transform of a few
# rows.
_BATCH_ROWS = weakref.WeakKeyDictionary()


def inference_batch_rows(module, n_features):
    """Rows per inference batch for ``module`` on rows of ``n_features``:
    ``INFERENCE_BATCH_SIZE``, fewer where one row's activations hold many
    numbers, so that a batch's largest activation stays within
    ``INFERENCE_BATCH_VALUES`` numbers. Computed once per module and width.

    A row's largest activation is bounded by the widest of its input, a
    linear layer's output, and a convolution's output or its unrolled
    input (input channels times the kernel's area, at each of at most
    ``n_features`` positions), which float64 convolutions on the CPU build.
    """
    known = _BATCH_ROWS.setdefault(module, {})
    if n_features not in known:
        known[n_features] = _rows_within_values(module, n_features)
    return known[n_features]


def _rows_within_values(module, n_features):
    per_row = n_features
    for layer in module.modules():
        if isinstance(layer, torch.nn.Linear):
            per_row = max(per_row, layer.out_features)
        elif isinstance(layer, _CONVOLUTIONS):
            reach = layer.in_channels * int(np.prod(layer.kernel_size))
            per_row = max(per_row, max(reach, layer.out_channels) * n_features)
    return int(np.clip(INFERENCE_BATCH_VALUES // per_row, 1, INFERENCE_BATCH_SIZE))


def map_batches(
    X, fn, n_outputs, dtype, progress=False, batch_rows=INFERENCE_BATCH_SIZE
):
    """Apply ``fn`` to batches of rows of ``X`` and gather the results.

    ``fn`` takes a batch of at most ``batch_rows`` rows (an array) and
    returns an array or a tensor. The output array is allocated once in
    ``dtype``; only one batch of activations exists at a time.
    ``progress`` shows a progress bar over the batches.

    A result that is not finite raises a ValueError: a value that ``X``
    holds finitely, far outside the training data, can overflow float32
    once scaled or inside the network, and inf or NaN out is never a
    result.
    """
    out = np.empty((X.shape[0], n_outputs), dtype=dtype)
    starts = range(0, X.shape[0], batch_rows)
    if progress:
        starts = tqdm(starts, desc="batches", leave=False)
    with torch.inference_mode():
        for start in starts:
            stop = start + batch_rows
            result = fn(X[start:stop])
            if isinstance(result, torch.Tensor):
                result = result.cpu().numpy()
            out[start:stop] = result
            if not np.isfinite(out[start:stop]).all():
                raise ValueError(
                    "The input holds a row that gives inf or NaN: its values "
                    "lie so far outside the training data (or the codes) that "
                    "they overflow the network's float32 once scaled. Rescale "
                    "the input or leave such rows out."
                )
    return out
