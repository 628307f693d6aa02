"""Training data: the scaler, the dataset, corruption and batches."""

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from ._network import principal_axes, principal_axes_of_rows
from ._utils import INFERENCE_BATCH_SIZE

# The smallest scale of a feature that float32 rows carry: the network's
# arithmetic flushes values below float32's smallest normal number to 0 (see
# torch_compute), an error that exceeds float32's rounding at any smaller
# scale.
FLOAT32_FINEST_SCALE = float(np.finfo(np.float32).tiny / np.finfo(np.float32).eps)


class Scaler:
    """Centre each feature by ``mean`` and divide it by ``scale``.

    The one place the scaling lives: training batches, inference batches,
    the inverse and the neighbour search all go through it. Rows are scaled
    in float64, a batch at a time, before any conversion to the network's
    float32, so that a feature with a large offset and a small spread keeps
    its detail, and the same values give the same scaled rows whether they
    come in float32 or float64 (a network trained on either is the same).
    The mean is added back in float64. With ``fill_missing``, NaN entries
    (missing values) become 0, their feature's mean, in scaled units.
    Float32 rows of features whose ``scale`` is below
    ``FLOAT32_FINEST_SCALE`` are refused: float32 cannot carry their detail.
    """

    def __init__(self, mean, scale, device="cpu", fill_missing=False):
        self.mean = mean
        self.scale = scale
        self.device = device
        self.fill_missing = fill_missing
        self._mean = torch.tensor(mean, dtype=torch.float64)
        self._scale = torch.tensor(scale, dtype=torch.float64)
        self._finer_than_float32 = np.flatnonzero(
            np.asarray(scale) < FLOAT32_FINEST_SCALE
        )

    def check_float32(self, X, codes=False):
        """Raise a ValueError if ``X`` (rows, or with ``codes`` codes that
        decode to rows) is float32 and a feature's scale is below
        ``FLOAT32_FINEST_SCALE``."""
        features = self._finer_than_float32
        if X.dtype == np.float32 and features.size:
            shown = ", ".join(str(feature) for feature in features[:5])
            if features.size > 5:
                shown += f", ... ({features.size} in all)"
            fine = f"feature(s) {shown} vary"
            if codes:
                fine = f"the codes decode to feature(s) {shown}, which vary"
            raise ValueError(
                f"X is float32, but {fine} by less than "
                f"{FLOAT32_FINEST_SCALE:.3g}: float32 arithmetic, which "
                "flushes values below float32's smallest normal number to "
                "0, loses their detail. Pass X as float64 "
                "(X.astype(np.float64)) or rescale it."
            )

    def transform_array(self, X):
        """Rows in the input's units, scaled, as a float64 array."""
        self.check_float32(X)
        scaled = np.subtract(X, self.mean, dtype=np.float64)
        scaled /= self.scale
        return scaled

    def transform(self, X, dtype=torch.float32):
        """Rows in the input's units (an array), scaled in float64, as a
        tensor of ``dtype``.

        A float64 copy is scaled in place and converted, whatever the
        input's precision.
        """
        self.check_float32(X)
        # A copy in C order: torch takes no array with negative strides
        # (rows or columns reversed, as X[::-1] gives).
        x = torch.from_numpy(np.array(X, dtype=np.float64, order="C"))
        x = x.sub_(self._mean).div_(self._scale).to(dtype).to(self.device)
        return x.nan_to_num(nan=0.0) if self.fill_missing else x

    def inverse_transform(self, x, dtype):
        """A scaled tensor back in the input's units, as an array of ``dtype``."""
        X = x.cpu().numpy().astype(np.float64)
        X *= self.scale
        X += self.mean
        return X.astype(dtype, copy=False)


# A scaling that resists gross errors (see resistant_variances) leaves out of
# a feature's variance its values, among its TRIMMED_SHARE lowest or highest
# (one at least), that lie more than GROSS_ERROR_REACH standard deviations
# of the values inside them from their mean. Ten is far beyond where a
# Gaussian's or a Laplace's extremes reach among a million rows (about 5
# and 10 standard deviations), and a tail of more than TRIMMED_SHARE of the
# values always has company inside it: what is left out is a few values
# alone far out, the wrong entries a table may hold.
GROSS_ERROR_REACH = 10.0
TRIMMED_SHARE = 0.01

# Values copied at a time to find those extremes: a few columns of X.
RESISTANT_BLOCK_VALUES = 2**22


def fit_scaler(X, standardize, missing=False, resist_gross_errors=False):
    """The :class:`Scaler` of ``X``.

    Each feature is centred; ``standardize`` divides it by its own standard
    deviation, otherwise all share one scale (the root mean variance), so
    that the errors weigh features as PCA does. With
    ``resist_gross_errors``, those variances leave out each feature's gross
    errors (see :func:`resistant_variances`; not with ``missing``). A
    feature whose spread float64 cannot tell from 0 next to its mean (a
    constant feature, or one whose values but its gross errors are all
    equal: a pixel blank but for a few strokes, a column with one typo) has
    none; standardized, it takes the median standard deviation of the
    features that have one (on standardized data, 1), so that the scaling
    follows the data's units. Any other spread, however small its units, is
    kept. Where no feature has one, every scale is 1. With ``missing``, NaN
    entries are left out.
    """
    mean, variances, units = _moments_in_units(X, missing)
    plain = variances
    if resist_gross_errors and not missing:
        variances = np.fmin(variances, resistant_variances(X, units))
    # A constant feature's spread is rounding at most.
    varies = (variances > 0) & ~is_constant(np.sqrt(variances) * units, mean)
    scale = np.ones(X.shape[1])
    if varies.any():
        if standardize:
            scale = np.sqrt(variances) * units
            scale[~varies] = np.median(np.sqrt(plain[varies]) * units[varies])
        else:
            scale[:] = _root_mean_variance(np.where(varies, variances, 0.0), units)
    scaler = Scaler(mean, scale)
    scaler.check_float32(X)
    return scaler


def _root_mean_variance(variances, units):
    """The root mean of ``variances`` taken in ``units``, each taken to the
    unit of the largest spread: squares in plain units would underflow for
    tiny ones. Powers of two all, so it is exact where they do not."""
    top = powers_of_two((np.sqrt(variances) * units).max())
    ratio = np.where(variances > 0, units / top, 0.0)
    return np.sqrt((variances * ratio * ratio).mean()) * top


def resistant_variances(X, units):
    """Each feature's variance, in ``units``, without its gross errors.

    A gross error is one of the ``TRIMMED_SHARE`` lowest or highest values
    (one at least) that lies more than ``GROSS_ERROR_REACH`` standard
    deviations of the values inside it from their mean, and every value
    beyond such a one: one wrong entry (a typo, a unit slip) would otherwise set
    the variance alone, where a heavy tail, whose extremes have others
    near them, is kept. The two sides are tested in turn, each with the
    other's gross errors left out.
    """
    n_samples, n_features = X.shape
    cut = min(max(1, int(TRIMMED_SHARE * n_samples)), (n_samples - 2) // 2)
    variances = np.full(n_features, np.nan)
    if cut < 1:
        return variances
    step = max(1, RESISTANT_BLOCK_VALUES // n_samples)
    for start in range(0, n_features, step):
        block = slice(start, start + step)
        values = np.asarray(X[:, block], dtype=np.float64) / units[block]
        values = np.partition(values, [cut - 1, n_samples - cut], axis=0)
        middle = values[cut : n_samples - cut]
        center = middle.mean(axis=0)
        # Each side's candidates, from the innermost out.
        low = np.sort(values[:cut], axis=0)[::-1] - center
        high = np.sort(values[n_samples - cut :], axis=0) - center
        middle = middle - center
        sums = (len(middle), middle.sum(axis=0), (middle**2).sum(axis=0))
        kept_low = np.full(values.shape[1], cut)
        for _ in range(2):
            with_low = _add(sums, _tail_sums(low, kept_low))
            kept_high = _kept_tail(with_low, high, 1.0)
            with_high = _add(sums, _tail_sums(high, kept_high))
            kept_low = _kept_tail(with_high, low, -1.0)
        n, total, squares = _add(with_high, _tail_sums(low, kept_low))
        mean = total / n
        variances[block] = np.maximum(squares / n - mean**2, 0.0)
    return variances


def _add(sums, more):
    return tuple(a + b for a, b in zip(sums, more, strict=True))


def _tail_sums(tail, kept):
    """Count, sum and sum of squares of the first ``kept`` values (per
    feature) of ``tail``, a side's values ordered from the innermost out."""
    inside = np.arange(len(tail))[:, None] < kept
    values = np.where(inside, tail, 0.0)
    return kept, values.sum(axis=0), (values**2).sum(axis=0)


def _kept_tail(sums, tail, direction):
    """How many of a side's values (``tail``, ordered from the innermost
    out, lying that ``direction`` from the others) are not gross errors:
    each is tested against ``sums`` (count, sum and sum of squares of the
    values inside the side) and this side's values inside it; the first
    beyond the reach ends the kept ones."""
    # Sums of the values inside each one only, so that a gross error never
    # enters a sum it would drown.
    inner = np.cumsum(tail, axis=0)[:-1]
    inner_squares = np.cumsum(tail**2, axis=0)[:-1]
    inner, inner_squares = (
        np.vstack([np.zeros((1, tail.shape[1])), cumulative])
        for cumulative in (inner, inner_squares)
    )
    n = sums[0] + np.arange(len(tail))[:, None]
    mean = (sums[1] + inner) / n
    spread = np.sqrt(np.maximum((sums[2] + inner_squares) / n - mean**2, 0.0))
    gross = direction * (tail - mean) > GROSS_ERROR_REACH * spread
    return np.where(gross.any(axis=0), gross.argmax(axis=0), len(tail))


def scaled_covariance(X, scaler, missing=False, rows=None):
    """The covariance matrix of ``X`` (of its ``rows``, if given) in the
    units ``scaler`` gives the features (see :func:`column_moments`)."""
    units = powers_of_two(scaler.scale)
    _, cov = column_moments(X, missing=missing, rows=rows, units=units)
    relative = scaler.scale / units
    return cov / np.outer(relative, relative)


def scaled_centred_rows(X, scaler, rows=None):
    """The rows of ``X`` (its ``rows``, if given) centred on their mean,
    in the units ``scaler`` gives the features, in float64."""
    units = powers_of_two(scaler.scale)
    mean, _ = column_moments(X, rows=rows, covariance=False, units=units)
    selected = X if rows is None else X[rows]
    return (np.divide(selected, units) - mean / units) / (scaler.scale / units)


def leading_axes(X, scaler, n_components, missing=False, rows=None):
    """The ``n_components`` principal axes of ``X`` (of its ``rows``, if
    given) in the units ``scaler`` gives the features (see
    :func:`principal_axes`).

    From the covariance matrix, or, with fewer rows than features and no
    missing entries, from the SVD of the centred rows, which never forms
    that matrix: its ``n_features ** 2`` entries and its decomposition,
    cubic in ``n_features``, would rule a fit on a table of a few dozen
    rows and thousands of features.
    """
    n_rows = X.shape[0] if rows is None else len(rows)
    if missing or n_rows >= X.shape[1]:
        cov = scaled_covariance(X, scaler, missing, rows=rows)
        return principal_axes(cov, n_components)
    return principal_axes_of_rows(scaled_centred_rows(X, scaler, rows), n_components)


def column_spread(X, missing=False):
    """Per-feature mean and standard deviation of ``X``, in float64 (see
    :func:`column_moments`), for features in any units float64 holds."""
    mean, variances, units = _moments_in_units(X, missing)
    return mean, np.sqrt(variances) * units


def _moments_in_units(X, missing):
    """Per-feature mean, and variance in units of a power of two near the
    feature's largest magnitude, with those units: the squares of
    deviations in tiny units (below about 1e-154) would underflow to 0.
    A feature whose values are all equal has that value for its mean and
    variance 0 (see :func:`column_moments`).
    """
    low, high = column_extremes(X)
    units = powers_of_two(np.fmax(np.abs(low), np.abs(high)))
    mean, variances = column_moments(X, missing=missing, covariance=False, units=units)
    return mean, variances, units


def powers_of_two(values):
    """The power of two at or below each of the positive ``values`` (1 for
    any other): dividing by it is exact in floating point."""
    values = np.asarray(values, dtype=np.float64)
    positive = np.isfinite(values) & (values > 0)
    exponents = np.frexp(np.where(positive, values, 1.0))[1] - 1
    return np.where(positive, np.ldexp(1.0, exponents), 1.0)


def column_extremes(X, batch_size=INFERENCE_BATCH_SIZE):
    """The smallest and largest value of each feature of ``X``, NaN left
    out (NaN for a feature with nothing else), batch by batch."""
    low = np.full(X.shape[1], np.nan)
    high = np.full(X.shape[1], np.nan)
    for start in range(0, X.shape[0], batch_size):
        batch = np.asarray(X[start : start + batch_size], dtype=np.float64)
        np.fmin(low, np.fmin.reduce(batch, axis=0), out=low)
        np.fmax(high, np.fmax.reduce(batch, axis=0), out=high)
    return low, high


def is_constant(spread, mean):
    """Whether float64 cannot tell each feature's ``spread`` from 0 next to
    its ``mean``."""
    return (spread <= 10 * np.finfo(np.float64).eps * np.abs(mean)) | (
        spread < np.finfo(np.float64).tiny
    )


def column_moments(
    X,
    missing=False,
    rows=None,
    covariance=True,
    units=None,
    batch_size=INFERENCE_BATCH_SIZE,
):
    """Per-feature mean and the covariance matrix of ``X`` (without
    ``covariance``, the per-feature variances), in float64.

    With ``units`` (one per feature), the moments are those of each
    feature divided by its unit; the mean is returned in ``X``'s units.

    Accumulated batch by batch, so ``X`` is never copied as a whole. With
    ``rows`` (indices), of those rows only. With ``missing``, NaN entries
    are left out: means and variances over the observed entries,
    covariances over the rows where both features are observed (a feature
    never observed gets mean 0 and variance 0).

    A feature whose values are all equal has that value for its mean, and
    moments 0: a mean summed over the rows is rounded (for 0.1, which
    binary cannot hold exactly, or for 1e22, whose steps are millions
    apart), and the deviations from it would leave a spread of rounding
    errors that grows with the rows.
    """
    n_rows = X.shape[0] if rows is None else len(rows)

    def batches():
        for start in range(0, n_rows, batch_size):
            stop = start + batch_size
            batch = X[start:stop] if rows is None else X[rows[start:stop]]
            yield batch if units is None else np.divide(batch, units)

    def products(centred):
        if covariance:
            return centred.T @ centred
        return np.einsum("ij,ij->j", centred, centred)

    n_features = X.shape[1]
    unit = 1.0 if units is None else units
    moments = np.zeros((n_features, n_features) if covariance else n_features)
    counts = np.zeros(n_features)
    sums = np.zeros(n_features)
    low = np.full(n_features, np.nan)
    high = np.full(n_features, np.nan)
    for batch in batches():
        if missing:
            observed = ~np.isnan(batch)
            counts += np.sum(observed, axis=0)
            sums += np.sum(batch, axis=0, dtype=np.float64, where=observed)
        else:
            sums += np.sum(batch, axis=0, dtype=np.float64)
        np.fmin(low, np.fmin.reduce(batch, axis=0), out=low)
        np.fmax(high, np.fmax.reduce(batch, axis=0), out=high)
    mean = sums / (np.maximum(counts, 1) if missing else n_rows)
    constant = low == high
    mean[constant] = low[constant]
    if not missing:
        for batch in batches():
            moments += products(batch - mean)
        return mean * unit, moments / n_rows
    pair_counts = np.zeros_like(moments)
    for batch in batches():
        moments += products(np.nan_to_num(batch - mean))
        pair_counts += products((~np.isnan(batch)).astype(np.float64))
    return mean * unit, moments / np.maximum(pair_counts, 1)


def row_keys(X, batch_size=INFERENCE_BATCH_SIZE):
    """A 64-bit hash of each row of ``X`` (NaN entries included): equal rows
    get equal keys, and different rows different ones but for chance
    collisions (about 2^-64 a pair).

    Each value's bits are mixed by splitmix64's finalizer (Steele, Lea &
    Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014),
    then multiplied by a random odd multiplier per feature and summed, in
    unsigned 64-bit arithmetic, which wraps around and is exact, so a
    row's key does not depend on the batch it is in. Mixing first matters:
    the bits of small integers and of 0.5, 0.25, ... end in 52 zeros,
    which a product keeps, and rows of 0s and 1s summed unmixed fell into
    4,096 keys. Computed a batch at a time in float64, where -0.0 becomes
    0.0.
    """
    multipliers = np.random.default_rng(0).integers(
        1, 2**63, size=X.shape[1], dtype=np.uint64
    )
    multipliers |= np.uint64(1)
    keys = np.empty(X.shape[0], dtype=np.uint64)
    for start in range(0, X.shape[0], batch_size):
        batch = np.asarray(X[start : start + batch_size], dtype=np.float64) + 0.0
        mixed = _mix(batch.view(np.uint64))
        keys[start : start + len(batch)] = (mixed * multipliers).sum(
            axis=1, dtype=np.uint64
        )
    return keys


def _mix(bits):
    """splitmix64's finalizer on each of the 64-bit words ``bits``: every
    output bit depends on every input bit."""
    bits = bits ^ (bits >> np.uint64(30))
    bits *= np.uint64(0xBF58476D1CE4E5B9)
    bits ^= bits >> np.uint64(27)
    bits *= np.uint64(0x94D049BB133111EB)
    return bits ^ (bits >> np.uint64(31))


def split_rows(X, n_valid, rng, max_valid=None):
    """A random order of the rows of ``X`` and how many of its first rows to
    hold out for validation: ``n_valid``, or near it where copies of a row
    would fall on both sides.

    Where most rows have copies (a table concatenated or oversampled),
    copies of a row are kept together, on one side of the split: a
    validation row with a copy among the training rows is no new row, and
    the validation loss would keep falling as the network learns its
    training rows by heart. Only rows held at most ``n_valid`` times count
    as copies, and only where there are at least ``n_valid`` distinct rows
    (each held about ``1 / validation_fraction`` times or fewer): a value
    more rows share (a category, a zero row, the few rows discrete data
    can take) is a value of the data, which both sides should see, and
    holding it out whole would leave training without it. So are copies
    held unevenly often (see _evenly_copied): rows built of a few values
    per feature (binary or graded features) repeat because the data does,
    as often as their values are common, and new rows repeat them too.
    And so are the copies of a table whose validation rows would hold
    fewer than ``MIN_DISTINCT_VALID`` distinct rows (their share of the
    distinct rows): the few combinations that a few categories, one-hot
    encoded, can take (all of them in the data, each about as common) are
    not a table's copies, and a validation loss on a handful of them,
    none seen in training, would stop training where it starts.
    Otherwise (also where a few rows repeat), the order is
    ``rng.permutation``. With copies,
    they are adjacent and ``n_valid`` moves to the nearer end of the
    copies it falls among, or to their start where their end is beyond
    ``max_valid`` (by default, all rows but one).
    """
    n_samples = X.shape[0]
    if max_valid is None:
        max_valid = n_samples - 1
    if not 0 < n_valid < n_samples:
        return rng.permutation(n_samples), n_valid
    # First whether most rows have copies, on the sorted keys alone: the
    # groups' indices take several arrays as long as X, built only then.
    keys = row_keys(X)
    keys.sort()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, n_samples])
    copied = (sizes > 1) & (sizes <= n_valid)
    if len(sizes) < n_valid or sizes[copied].sum() <= n_samples / 2:
        return rng.permutation(n_samples), n_valid
    if len(sizes) * n_valid < MIN_DISTINCT_VALID * n_samples:
        return rng.permutation(n_samples), n_valid
    del keys
    if not _evenly_copied(sizes[copied]):
        return rng.permutation(n_samples), n_valid
    _, group, sizes = np.unique(row_keys(X), return_inverse=True, return_counts=True)
    copied = (sizes[group] > 1) & (sizes[group] <= n_valid)
    # Rows shared more widely are groups of their own.
    group = np.where(copied, group, len(sizes) + np.arange(n_samples))
    _, group = np.unique(group, return_inverse=True)
    order = np.argsort(rng.permutation(group.max() + 1)[group], kind="stable")
    straddling = np.flatnonzero(group[order] == group[order[n_valid - 1]])
    # A group holds at most n_valid rows, so it starts after the first row.
    start, end = straddling[0], straddling[-1] + 1
    if end > max_valid or n_valid - start <= end - n_valid:
        return order, int(start)
    return order, int(end)


# Copies are held out together only where the validation rows would
# hold at least this many distinct rows (their share of the distinct
# rows): fewer cannot judge a network, and where a table has only a few
# dozen distinct rows they are most likely all the rows the data can take,
# as a few categories one-hot encoded (see split_rows).
MIN_DISTINCT_VALID = 10

# Copies count as a table's copies where the 90th percentile of how many
# times a copied row is held is at most this many times its median: see
# _evenly_copied.
EVEN_COPIES = 2.0


def _evenly_copied(sizes):
    """Whether the rows held more than once, in groups of copies of the
    given ``sizes``, are held about equally often: the 90th percentile of
    the group size, over the rows in them, at most ``EVEN_COPIES`` times
    its median.

    Copying a table holds each row the same number of times, and drawing
    rows from it at random holds them a Poisson number of times, whose
    90th percentile stays within twice its median. Rows that repeat
    because their values do (binary or graded features) repeat as often
    as their combination of values is common, and those combinations'
    frequencies, products of the features', differ by orders of magnitude
    (the ratios of both kinds of table are in
    ``benchmarks/results/copies.md``).
    """
    held = np.repeat(sizes, sizes)
    median, high = np.percentile(held, [50, 90])
    return high <= EVEN_COPIES * median


class ScaledRows(torch.utils.data.Dataset):
    """Rows of ``X`` (selected by ``indices``), scaled batch by batch.

    The data is never copied or scaled as a whole: the batch iterator
    gathers a batch of rows and scales it. ``missing`` says that ``X`` has
    NaN entries (missing values), which stay NaN in the scaled batches.
    """

    def __init__(self, X, indices, scaler, missing=False):
        self.X = X
        self.indices = indices
        self.scaler = scaler
        self.missing = missing

    def __len__(self):
        return len(self.indices)

    def __getstate__(self):
        # A fitted model keeps its datasets inside skorch's callbacks and
        # split; pickle it without the training data.
        return {**vars(self), "X": None}

    def batch(self, rows):
        return self.scaler.transform(self.X[rows])

    def corrupted_batch(self, rows, noise, rng):
        """``(input, target)``: the rows corrupted by ``noise(X, rng)``, and clean.

        Both are scaled. ``noise`` gets the gathered rows in the input's
        units (a copy, which it may change; missing entries NaN) and returns
        the corrupted rows, same shape; entries it leaves NaN are masked
        (see :class:`BatchIterator`).
        """
        raw = self.X[rows]  # fancy indexing: a copy
        clean = self.scaler.transform(raw)
        # The corrupted rows in the input's dtype, whatever noise returns.
        corrupted = np.asarray(noise(raw, rng), dtype=raw.dtype)
        if corrupted.shape != raw.shape:
            raise ValueError(
                f"noise={noise!r} returned shape {corrupted.shape} for rows of "
                f"shape {raw.shape}: it must return the corrupted rows, same shape."
            )
        corrupted = self.scaler.transform(corrupted)
        if torch.isinf(corrupted).any():
            raise ValueError(
                f"noise={noise!r} returned inf, or values beyond float32's "
                "range once scaled as the network sees them: it must return "
                "finite values on the data's scale (or NaN for the entries it "
                "masks)."
            )
        return corrupted, clean


@dataclass(frozen=True)
class Corruption:
    """How training inputs are corrupted, and what the network sees of it.

    ``noise`` is None, ``"gaussian"`` (noise of standard deviation
    ``level`` added in scaled units, per feature when ``level`` is a
    tensor), ``"mask"`` or a callable ``noise(X_batch, rng)`` in the
    input's units. ``"mask"`` masks (sets to NaN) a ``level`` share of the
    entries, or, where ``level`` is a ``(low, high)`` pair, a share drawn
    for each row uniformly between the two; with ``image_shape`` (rows
    that are images), half the rows lose a rectangle of about that share
    of the image instead (see
    :func:`rectangle_masks`); with ``patterns``, each row is masked where
    a random one of these boolean rows is True, or as without patterns
    where that one is all False (a complete row of the data, whose
    pattern would mask nothing). Masked entries (and
    missing ones) enter the network as 0, their feature's mean, or as NaN
    with ``fill_masked=False``, for a network that reads which entries are
    masked. With ``masked_targets``, the target keeps only the entries the
    input masks and the data has: the network is trained to fill in what
    it does not see. With ``patterns`` and a ``pattern_share`` below 1,
    only that share of the rows copies a pattern; the others are masked as
    without patterns.
    """

    noise: object = None
    level: float = 0.0
    fill_masked: bool = True
    masked_targets: bool = False
    patterns: torch.Tensor | None = None
    image_shape: tuple | None = None
    pattern_share: float = 1.0


# With image_shape, the share of the rows that "mask" noise masks with a
# rectangle; the others lose scattered entries.
RECTANGLE_SHARE = 0.5


def rectangle_masks(n_rows, image_shape, share, generator):
    """One random rectangle per row of flattened ``(C, H, W)`` images.

    Each rectangle covers about ``share`` of the image (a number, or one
    per row) in every channel:
    its height is uniform over 1 to H, its width the one that makes the
    area (at least 1, at most W), its place uniform over where it fits.
    From lines across the image to compact blocks, these are holes such as
    scratches and occlusions make, which a network learns to fill from
    their surroundings and from the image's overall shape [1]_.

    References
    ----------
    .. [1] Pathak, D., Krahenbuhl, P., Donahue, J., Darrell, T. & Efros,
       A. A. (2016). Context encoders: feature learning by inpainting. In
       Proceedings of the IEEE Conference on Computer Vision and Pattern
       Recognition (CVPR), 2536-2544.
    """
    n_channels, height, width = image_shape
    heights = torch.randint(1, height + 1, (n_rows,), generator=generator)
    widths = share * height * width / heights.to(torch.float32)
    widths = widths.round().clamp(1, width).long()
    tops = (_uniform(n_rows, generator) * (height - heights + 1)).long()
    lefts = (_uniform(n_rows, generator) * (width - widths + 1)).long()
    y, x = torch.arange(height), torch.arange(width)
    in_rows = (y >= tops[:, None]) & (y < (tops + heights)[:, None])
    in_cols = (x >= lefts[:, None]) & (x < (lefts + widths)[:, None])
    masks = in_rows[:, None, :, None] & in_cols[:, None, None, :]
    return masks.expand(n_rows, n_channels, height, width).reshape(n_rows, -1)


def corrupt(x, corruption, generator):
    """``x`` with Gaussian noise added, or entries masked (NaN), as
    ``corruption`` says. NaN entries (missing values) stay NaN."""
    if corruption.noise == "gaussian":
        noise = torch.randn(x.shape, generator=generator, dtype=torch.float32)
        x = x + corruption.level * noise
    elif corruption.noise == "mask":
        patterns = corruption.patterns
        if patterns is None:
            masked = _random_masks(x, corruption, generator)
        else:
            drawn = torch.randint(len(patterns), (len(x),), generator=generator)
            masked = patterns[drawn]
            # A complete row's pattern masks nothing: such rows are masked
            # at random, as rows of data without holes are.
            copied = masked.any(dim=1)
            if corruption.pattern_share < 1.0:
                copied &= _uniform(len(x), generator) < corruption.pattern_share
            if not copied.all():
                masked = torch.where(
                    copied[:, None], masked, _random_masks(x, corruption, generator)
                )
        x = x.masked_fill(masked, math.nan)
    return x


def _random_masks(x, corruption, generator):
    """Masks of a ``corruption.level`` share of the entries of ``x``
    (rectangles for half the rows of images), drawn without patterns; of a
    share drawn for each row, uniform over the range, where the level is a
    ``(low, high)`` pair."""
    level = corruption.level
    if isinstance(level, tuple):
        # One share per row, uniform over the range.
        low, high = level
        level = low + (high - low) * _uniform(len(x), generator)
        masked = _uniform(x.shape, generator) < level[:, None]
    else:
        masked = _uniform(x.shape, generator) < level
    if corruption.image_shape is not None:
        boxed = _uniform(len(x), generator) < RECTANGLE_SHARE
        boxes = rectangle_masks(len(x), corruption.image_shape, level, generator)
        masked = torch.where(boxed[:, None], boxes, masked)
    return masked


def _uniform(shape, generator):
    """Uniform draws in float32, whatever torch's default dtype: a generator
    gives other numbers in another dtype, and the same seed must draw the
    same masks and noise."""
    return torch.rand(shape, generator=generator, dtype=torch.float32)


class BatchIterator:
    """Yield ``(input, target)`` batches of a :class:`ScaledRows` at once.

    skorch's default DataLoader fetches and collates one row at a time,
    which costs more than the forward and backward pass of a small
    network; gathering a batch with one fancy index does not.

    The target is the scaled batch; the input is the same tensor, or, with
    a ``corruption`` or missing values, a corrupted copy drawn anew for
    every batch (see :class:`Corruption`). ``fixed_noise`` draws the same
    corruption on every pass, so that validation losses of different
    epochs compare. A batch that masks none of its observed entries keeps
    its whole target.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        seed=0,
        corruption=Corruption(),
        fixed_noise=False,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.corruption = corruption
        self.fixed_noise = fixed_noise
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.noise_rng = self._noise_rng()

    def _noise_rng(self):
        # Validation draws from a stream of its own (a callable noise only:
        # the built-in noise keeps its torch generator, seeded alike).
        return np.random.default_rng([self.seed, 2 if self.fixed_noise else 1])

    def __len__(self):
        return len(self._starts(len(self.dataset)))

    def _starts(self, n_rows):
        """Where each batch starts. A training epoch (``shuffle``) never
        ends on a batch of one row: that row joins the batch before it, as
        batch norm, which a network of the user's own may hold, cannot
        train on one row."""
        starts = range(0, n_rows, self.batch_size)
        if self.shuffle and len(starts) > 1 and n_rows % self.batch_size == 1:
            return starts[:-1]
        return starts

    def __iter__(self):
        indices = self.dataset.indices
        if self.shuffle:
            indices = self.rng.permutation(indices)
        if self.fixed_noise:
            self.generator.manual_seed(self.seed)
            self.noise_rng = self._noise_rng()
        noise = self.corruption.noise
        clean = noise is None and not self.dataset.missing
        # Only masks, a callable noise and missing values make NaN entries.
        masks = noise == "mask" or callable(noise) or self.dataset.missing
        for start, stop in itertools.pairwise(
            [*self._starts(len(indices)), len(indices)]
        ):
            rows = indices[start:stop]
            if callable(noise):
                x, target = self.dataset.corrupted_batch(rows, noise, self.noise_rng)
            else:
                target = self.dataset.batch(rows)
                if clean:
                    yield target, target
                    continue
                x = corrupt(target, self.corruption, self.generator)
            yield self._mask(x, target) if masks else (x, target)

    def _mask(self, x, target):
        masked = torch.isnan(x)
        if self.corruption.masked_targets:
            masked_observed = masked & ~torch.isnan(target)
            if masked_observed.any():
                target = target.masked_fill(~masked_observed, math.nan)
        if self.corruption.fill_masked:
            x = x.masked_fill(masked, 0.0)
        return x, target
