"""AutoencoderImputer: fill missing values from an autoencoder's reconstruction."""

import dataclasses
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.impute import MissingIndicator
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import BatchScoring, EpochScoring
from tqdm.auto import tqdm

from ._base import (
    FLOAT32_MAX,
    WEIGHT_AVERAGE_DECAY,
    BaseAutoencoder,
    check_finite_float32,
    preserve_float32,
)
from ._data import (
    BatchIterator,
    Corruption,
    ScaledRows,
    Scaler,
    column_spread,
    corrupt,
    is_constant,
)
from ._utils import (
    Interval,
    MissingValues,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    caller_stacklevel,
    is_pandas_na,
    is_scalar_nan,
    spread_sample,
    torch_compute,
)

# Share of the entries that noise="mask" masks when the training data has
# no missing values to copy the patterns of.
MASKED_FRACTION = 0.2

# With image_shape, a training image masked at random loses a share of its
# pixels drawn uniformly between 0 and this (a third of them on average):
# holes from a few pixels to most of the image. Trained on a fifth of each
# image, the network filled larger holes worse than KNNImputer did, and
# network_weight_, chosen on such masks, leant on it there (8 x 8 patches
# of a photograph: the left half 0.109 against 0.077, now 0.065). Chosen
# among 0.4, 0.6, 0.8 and 1 on 3 x 3 and 4 x 4 blocks and 40 % of the
# pixels scattered, in 8 x 8 digits and patches
# (benchmarks/results/imputer_image_masks.md).
IMAGE_MASKED_SHARE = 0.6

# Missingness patterns kept from the training rows, at most: enough to draw
# from, few enough to keep with the fitted network.
MAX_PATTERNS = 2_000

# A training row that draws the pattern of a complete row is masked at
# random, in MASKED_FRACTION of its entries, as rows of a table without
# holes are. Where at least this share of the rows is complete, those
# masks hide every feature in enough rows (a fiftieth of them, each epoch)
# for the network to learn to fill it; where fewer are, a feature that no
# row misses is left to the Gaussian (see _unmasked_features_). A few
# holes among many complete rows had all but those rows' masks copy an
# empty pattern: the network hardly trained to fill (a new-user hunt).
MIN_COMPLETE_SHARE = 0.1

# Where no Gaussian fills the features those patterns never mask (wide
# tables, large images), only this share of the training rows copies a pattern;
# the others are masked at random, as data without holes is, so that the
# network learns to fill every feature.
PATTERN_SHARE = 0.5

# Tables with hidden_layer_sizes="auto": this many hidden layers, each of
# four units per feature within this range. Filling in is a harder map than
# rebuilding a row (each feature from whichever others are observed), and
# two wider layers fit it better, around a code as wide as the input (see
# n_components); chosen among ten variants on the tables of
# benchmarks/defaults.py, whose development rows alone pick the same.
AUTO_TABLE_DEPTH = 2
AUTO_TABLE_WIDTH_RANGE = (256, 1024)
# n_components="auto" gives tables a code as wide as the input, up to the
# widest of those layers: a code of every feature costs in proportion to
# the features, and on three tables of 40 rows and 2,000-3,000 features
# (benchmarks/results/imputer_wide.md) and one of 300 x 2,500, a code of
# 1,024 filled better on three, worse on one, in about half the time.

# With n_iter_no_change="auto": wait this many updates without
# improvement, within this range of epochs. The imputer's validation loss
# counts only the masked entries, few on small tables with few holes, and
# it still falls after long noisy plateaus: on the development tables of
# benchmarks/defaults.py (2,000 rows, 10 to 50 % missing) training on
# after 1,000 updates without improvement filled in better, most at 10 %.
# On 20,000 rows that is about 56 epochs, where benchmarks/imputer_patience.py
# found 50 better than 25; the floor, chosen between those two there, holds
# for larger tables, and the ceiling keeps tiny tables, whose epochs are a
# few updates, from training for a thousand epochs without improvement.
AUTO_PATIENCE_UPDATES = 5_000
AUTO_PATIENCE_EPOCHS = (25, 200)

# With image_shape and local_layers="auto": the local path reaches this
# many pixels at most (the whole image when no side is longer), and the
# built-in network has this many channels when hidden_layer_sizes="auto".
# Each layer of the path convolves the whole image at full resolution, so
# both bound what a fit costs; chosen on the 3 x 3 blocks of
# benchmarks/defaults.py.
MAX_AUTO_LOCAL_LAYERS = 8
AUTO_IMAGE_CHANNELS = 32

# With image_shape and the "auto" budget: batches of at least this many
# images (a convolution's cost per image falls with the batch on the CPU),
# and at most this many entries passed through the network in all
# (updates x batch x entries of an image), so that larger images train on
# fewer updates and a fit's cost stays bounded. Chosen on the 3 x 3 blocks
# of benchmarks/defaults.py.
AUTO_IMAGE_MIN_BATCH = 64
AUTO_IMAGE_ENTRY_BUDGET = 12_000_000

# The Gaussian that tables' fills are blended with (see fit_gaussian):
# iterations of EM, the ridge added to its covariance (in scaled units,
# where each feature's variance is 1 by default), and the training rows it
# is fitted on at most. Chosen on the development tables of
# benchmarks/imputer_blend.py.
GAUSSIAN_ITERATIONS = 20
GAUSSIAN_RIDGE = 1e-2
MAX_GAUSSIAN_ROWS = 2_000

# With held-out rows, EM stops at the iteration whose conditional means
# rebuild their masked entries best, once this many more have not done
# better. EM converges slowly where much is missing (half the entries,
# missing at random: hundreds of iterations), and on few rows its later
# iterations fit their noise: the held-out entries tell the two apart
# (benchmarks/results/imputer_em_iterations.md). A table may run as many
# iterations as GAUSSIAN_ITERATIONS cost on the widest table with a
# Gaussian (see MAX_GAUSSIAN_FEATURES), up to MAX_GAUSSIAN_ITERATIONS.
GAUSSIAN_PATIENCE = 10
MAX_GAUSSIAN_ITERATIONS = 200
# An iteration counts as better where it lowers the held-out error by more
# than this share: the error keeps falling by traces for a hundred
# iterations where EM has all but converged (on the development tables of
# a study of the Gaussian alone, the iterations run fell by a third, the
# errors by none).
GAUSSIAN_TOLERANCE = 1e-4

# Tables are filled with the Gaussian's help where fitting it costs at
# most what it costs on MAX_GAUSSIAN_ROWS rows of this many features: each
# EM iteration costs about rows x features^3 (a row's missing block is
# solved, up to features^3, and its observed part multiplied, features^2).
# Wider tables are filled by the network alone, unless they hold few rows:
# 271 features on 100 rows, 342 on 50. The conditional means at transform
# cost a row about what the network's layers cost it.
MAX_GAUSSIAN_FEATURES = 100

# Images are filled with the Gaussian's help up to this many values
# (pixels times channels; its precision matrix holds their square, 8 MB).
# Their holes are patches, not a table row's worst case: an EM iteration
# costs about rows x values^2 (the products with the precision matrix)
# plus each row's missing block cubed (its solve), a sum held to as much.
# Smooth images are filled by it far better than by the network (28 x 28
# digits, benchmarks/results/imputer_images_28.md).
MAX_GAUSSIAN_PIXELS = 1024

# The missing blocks of the precision matrix solved at once hold at most
# this many numbers (32 MB in float64): rows missing many entries are
# solved a few at a time.
GAUSSIAN_BLOCK_VALUES = 2**22

# An "observed" bound of a feature reaches the Gaussian's conditional means
# of its missing entries on a side where the Gaussian does not overshoot:
# where this share of the observed entries it predicts most extreme on that
# side reach their predictions on average, within this many standard errors
# (see _widen_observed_limits). A twentieth holds enough entries to average
# on tables of a few hundred rows and is still the tail; two standard
# errors, a one-sided test at about 2.5 %, leave the bound widened where
# the Gaussian is right, as on heavy-tailed linear tables.
TAIL_SHARE = 0.05
SHIFT_ERRORS = 2.0

# The blend's weight, and the Gaussian's number of EM iterations, are
# chosen on the held-out rows (this many of them at most) masked anew until
# about this many rows are drawn (at most MAX_WEIGHT_DRAWS draws of each
# row): on a small table a single draw masks too few entries to choose on.
WEIGHT_ROWS = 2_000
MAX_WEIGHT_DRAWS = 50

# Tables' fills may average the network's over this many masks drawn as
# in training (see _check_fills), each on top of the row's own holes.
FILL_DRAWS = 8

# The choice between those fills and the network's alone is made on this
# many entries of the held-out rows, hidden one per row in each pass (at
# most MAX_CHECK_DRAWS passes): on the 10 held-out rows of a table of 100,
# fewer passes chose the network alone where the averaged fills were
# better.
CHECK_ENTRIES = 20_000
MAX_CHECK_DRAWS = 500
# Its passes are stacked into calls of at most this many values: enough
# rows for fast matrix products, and a few of its copies of the rows stay
# tens of MB.
CHECK_CALL_VALUES = 2**22

# Each feature's fills are compared with its mean on its own (see
# shrink_factors) where the squares of its hidden values add up to at least
# this share of its variance times their number: hidden entries of a
# binary feature that miss its rare value (a one in a hundred, on a table
# of a thousand features, where each has about twenty entries hidden) say
# nothing of its fills where the value is (ADBench's 17_InternetAds, see
# benchmarks/imputer_unrelated_features.py). A Gaussian feature's entries
# fall below half its variance rarely, and ever more rarely the more of
# them there are.
MIN_SPREAD_SHARE = 0.5

# transform fills the rows with holes a chunk of at most this many values
# at a time: their copies, reconstructions and masks exist for one chunk
# only, so that filling costs little memory beyond the output.
FILL_CHUNK_VALUES = 2**19


def conditional_mean(x, mean, precision):
    """``x`` with each NaN replaced by its mean under a Gaussian, given the
    row's observed entries.

    For each row, the missing part ``z - mean_m`` solves
    ``P_mm (z - mean_m) = -P_mo (x_o - mean_o)``, ``P`` the precision
    matrix: one product with ``P`` for all rows, then a batched solve of
    each row's missing block, rows grouped by how many entries they miss.
    """
    missing = torch.isnan(x)
    filled = x.clone()
    pull = -(torch.where(missing, 0.0, x - mean) @ precision)
    for rows, features, blocks in _missing_blocks(missing, precision):
        shift = torch.linalg.solve(blocks, pull[rows[:, None], features])
        filled[rows[:, None], features] = mean[features] + shift
    return filled


def left_out_means(x, mean, precision):
    """Each observed entry of ``x`` as :func:`conditional_mean` would fill
    it were it missing: its Gaussian mean given the row's other observed
    entries (NaN where ``x`` is missing).

    An observed entry ``j`` leaves out to ``x_j - r_j / S_jj``: ``r`` is
    ``P (z - mean)``, ``z`` the row filled by ``conditional_mean``, and
    ``S`` the precision of the row's observed entries, the Schur
    complement ``P_oo - P_om P_mm^-1 P_mo`` (the leave-one-out identity of
    linear regression).
    """
    missing = torch.isnan(x)
    residual = (conditional_mean(x, mean, precision) - mean) @ precision
    diagonal = torch.diagonal(precision).expand_as(x).clone()
    for rows, features, blocks in _missing_blocks(missing, precision):
        across = precision[features]
        solved = torch.linalg.solve(blocks, across)
        diagonal[rows] -= (across * solved).sum(dim=1)
    return torch.where(missing, math.nan, x - residual / diagonal)


def _reaches(beyond):
    """Whether values lie as far out as their predictions on average, within
    ``SHIFT_ERRORS`` standard errors: ``beyond`` holds how far each value
    lies beyond its prediction, outward."""
    if len(beyond) < 2:
        return False
    error = beyond.std(ddof=1) / math.sqrt(len(beyond))
    return beyond.mean() >= -SHIFT_ERRORS * error


def _missing_blocks(missing, precision):
    """For rows grouped by how many entries they miss (see
    _solved_together): the rows, their missing features, and the blocks of
    ``precision`` at those features, one per row."""
    counts = missing.sum(dim=1)
    for size in torch.unique(counts).tolist():
        if size == 0:
            continue
        for rows in _solved_together(torch.nonzero(counts == size).squeeze(1), size):
            features = missing_features(missing[rows], size)
            yield rows, features, precision[features[:, :, None], features[:, None, :]]


def _solved_together(rows, size):
    """``rows`` in groups whose missing blocks of ``size`` x ``size`` hold
    at most ``GAUSSIAN_BLOCK_VALUES`` numbers in all (one row at least)."""
    return torch.split(rows, max(1, GAUSSIAN_BLOCK_VALUES // size**2))


def _network_fill(module, x, reads_missing):
    """The network's rebuild of the scaled rows ``x`` (NaN missing), float32."""
    return module((x if reads_missing else x.nan_to_num(0.0)).float())[0]


def _averaged_fill(module, x, masks, reads_missing):
    """The mean of the network's rebuilds of ``x`` masked (NaN) by each of
    the boolean rows ``masks`` on top of its own holes."""
    total = 0.0
    for mask in masks:
        total = total + _network_fill(
            module, x.masked_fill(mask, math.nan), reads_missing
        )
    return total / len(masks)


def _least_squares_factors(agreement, power):
    """1 where fills do at least as well as the means (see
    :func:`shrink_factors`), elsewhere the least-squares factor."""
    agreement = np.asarray(agreement, dtype=np.float64)
    # The fills' squared error less the means': power - 2 * agreement.
    worse = power - 2.0 * agreement > 0.0
    least_squares = np.divide(
        agreement, power, out=np.ones_like(agreement), where=power > 0.0
    )
    return np.where(worse, np.clip(least_squares, 0.0, 1.0), 1.0)


def shrink_factors(agreement, power, judged):
    """The factor of each feature, in [0, 1], by which its fills are shrunk
    toward its mean, from sums over its hidden entries in scaled units
    (where the means are 0) of the fills times the values (``agreement``)
    and of the fills' squares (``power``), one of each per feature; the
    features ``judged`` (a boolean mask) may have factors of their own.

    Where the fills of all the features together do worse than the means,
    they are first shrunk by the least-squares factor of all of them (a
    table with little or no relation between its features, whose noise
    the network fits); then, where a feature's fills so shrunk still do
    worse than its mean, by the least-squares factor of that feature (a
    feature that nothing else in the row predicts, beside related ones,
    is filled about by its mean, and the others as the network fills
    them). The first step does at least as well as the fills and the
    means on all those entries, the second as well as each feature's mean
    on its own (fills that do worse than the means have ``power`` above
    twice ``agreement``, and the factor is then below 1/2). The fills
    scored are those clipped to the bounds; ``transform`` shrinks before
    it clips, so a fill beyond a bound may land nearer to it than scored."""
    pooled = float(_least_squares_factors(np.sum(agreement), np.sum(power)))
    own = _least_squares_factors(pooled * agreement, pooled**2 * power)
    return pooled * np.where(judged, own, 1.0)


def _sums_by_feature(features, values, n_features):
    """The sum of ``values`` (a tensor) over the entries of each feature,
    ``features`` giving each entry's (a NumPy array), float64."""
    return np.bincount(features, values.double().numpy(), n_features)


def _observed_range(X, rows):
    """The smallest and largest value of each feature over ``rows`` of
    ``X`` (NaN missing), read a chunk of rows at a time; -inf and inf
    where a feature has none."""
    low = np.full(X.shape[1], np.inf)
    high = np.full(X.shape[1], -np.inf)
    step = max(1, FILL_CHUNK_VALUES // X.shape[1])
    for start in range(0, len(rows), step):
        block = X[rows[start : start + step]]
        # fmin and fmax skip NaN; an all-NaN column gives NaN, which the
        # running bound skips in turn.
        low = np.fmin(low, np.fmin.reduce(block, axis=0))
        high = np.fmax(high, np.fmax.reduce(block, axis=0))
    unseen = low > high
    low[unseen], high[unseen] = -np.inf, np.inf
    return low, high


def missing_features(patterns, size):
    """The indices of the ``size`` True entries of each row of the boolean
    ``patterns``, in order (a stable sort puts True first)."""
    order = torch.argsort((~patterns).to(torch.int8), dim=1, stable=True)
    return order[:, :size]


def fit_gaussian(x, check=None, max_iterations=GAUSSIAN_ITERATIONS):
    """Mean and precision matrix of a Gaussian fitted to the rows ``x``
    (a float64 tensor, NaN missing) by EM (Little & Rubin, Statistical
    Analysis with Missing Data, chapter 11).

    The E-step fills each row's missing entries with their conditional
    mean and adds their conditional covariance (the inverse of the
    precision matrix's missing block) to the scatter; a ridge of
    ``GAUSSIAN_RIDGE`` keeps the covariance well conditioned when features
    are few against rows or nearly collinear.

    Without ``check``, EM runs ``max_iterations`` iterations. ``check`` is
    a pair of float64 tensors, held-out rows with some observed entries
    hidden (NaN) and the hidden entries' values (NaN elsewhere): EM then
    returns the iteration, of at most ``max_iterations``, whose
    conditional means rebuild the hidden entries with the least squared
    error (an iteration counts as better by more than
    ``GAUSSIAN_TOLERANCE`` of the error), and stops ``GAUSSIAN_PATIENCE``
    iterations after it. A ``check`` that hides nothing counts as none.
    """
    if check is not None and torch.isnan(check[1]).all():
        check, max_iterations = None, GAUSSIAN_ITERATIONS
    n_rows, n_features = x.shape
    missing = torch.isnan(x)
    ridge = GAUSSIAN_RIDGE * torch.eye(n_features, dtype=x.dtype)
    mean = torch.nanmean(x, dim=0).nan_to_num(0.0)
    filled = torch.where(missing, mean, x)
    covariance = torch.cov(filled.T, correction=0).reshape(n_features, n_features)
    precision = _inverse(covariance + ridge)
    patterns, counts = torch.unique(missing, dim=0, return_counts=True)
    incomplete = patterns.any(dim=1)
    patterns, counts = patterns[incomplete], counts[incomplete].to(x.dtype)
    best_error, best, best_iteration = math.inf, (mean, precision), 0
    for iteration in range(1, max_iterations + 1):
        filled = conditional_mean(x, mean, precision)
        mean = filled.mean(dim=0)
        centred = filled - mean
        scatter = centred.T @ centred + _missing_spread(precision, patterns, counts)
        precision = _inverse(scatter / n_rows + ridge)
        if check is None:
            continue
        error = _hidden_error(check, mean, precision)
        if error < (1.0 - GAUSSIAN_TOLERANCE) * best_error:
            best_error, best, best_iteration = error, (mean, precision), iteration
        elif iteration - best_iteration >= GAUSSIAN_PATIENCE:
            break
    if check is not None:
        mean, precision = best
    return mean, precision


def _inverse(covariance):
    """The inverse of a covariance matrix, by its Cholesky factor; in C
    order, as saved and loaded: the same layout gives the same sums."""
    return torch.cholesky_inverse(torch.linalg.cholesky(covariance)).contiguous()


def _hidden_error(check, mean, precision):
    """Squared error of the Gaussian's conditional means of the hidden
    entries of ``check`` (see fit_gaussian), summed."""
    rows, hidden = check
    counted = ~torch.isnan(hidden)
    filled = conditional_mean(rows, mean, precision)
    return float(((filled - hidden)[counted] ** 2).sum())


def _missing_spread(precision, patterns, counts):
    """Sum over rows of the conditional covariance of their missing
    entries (zero elsewhere), from the distinct missingness ``patterns``
    and how many rows have each: the inverse of each pattern's missing
    block of ``precision``, batched over the patterns with as many missing
    entries."""
    spread = torch.zeros_like(precision)
    n_missing = patterns.sum(dim=1)
    for size in torch.unique(n_missing).tolist():
        for chosen in _solved_together(
            torch.nonzero(n_missing == size).squeeze(1), size
        ):
            features = missing_features(patterns[chosen], size)
            rows, columns = features[:, :, None], features[:, None, :]
            inverse = torch.linalg.inv(precision[rows, columns])
            weighted = inverse * counts[chosen][:, None, None]
            spread.index_put_(
                (rows.expand_as(inverse), columns.expand_as(inverse)),
                weighted,
                accumulate=True,
            )
    return spread


def _least_squares_weight(agreement, spread):
    """The least-squares blend weight ``sum(agreement) / sum(spread)`` from
    per-row sums (see :func:`shrink_toward_even_blend`) and its standard
    error with the rows as independent units (the sandwich estimate with
    the ``n / (n - 1)`` correction); None from fewer than two rows, or
    where a spread too small to divide by leaves them infinite."""
    counted = spread > 0
    n_rows = int(counted.sum())
    if n_rows < 2:
        return None
    total = spread.sum()
    weight = agreement.sum() / total
    residual = (agreement[counted] - weight * spread[counted]) / total
    error = np.sqrt(n_rows / (n_rows - 1)) * float(np.hypot.reduce(residual))
    if not (np.isfinite(weight) and np.isfinite(error)):
        return None
    return weight, error


def shrink_toward_even_blend(agreement, spread):
    """The blend weight ``w``, in [0, 1], from each row's sums over its
    masked entries of ``gap * error`` (``agreement``) and ``gap ** 2``
    (``spread``), where ``gap`` is the network's fill minus the Gaussian's
    and ``error`` the true value minus the Gaussian's fill.

    The least-squares weight ``sum(agreement) / sum(spread)`` is shrunk
    toward 1/2, the even blend, by the factor ``max(0, 1 - s**2 / d**2)``
    on its distance ``d`` from 1/2, where ``s`` is its standard error with
    the rows as independent units: the factor that minimises the squared
    error of the shrunk weight when ``d ** 2 - s ** 2`` estimates the true
    distance's square (Efron & Morris, 1973). A weight read off a few
    entries (a small table, or a feature observed in few rows) is mostly
    noise; one read off many stays about as it is. 1/2 and not 0 (the
    Gaussian alone): on small tables the best weight lies anywhere in
    [0, 1], near its middle more often than at either end
    (``benchmarks/results/imputer_blend_weight.md``).
    """
    if spread.sum() <= 0.0:
        return 1.0
    estimate = _least_squares_weight(agreement, spread)
    if estimate is None:
        return 0.5
    weight, error = estimate
    distance = weight - 0.5
    if error >= abs(distance):
        return 0.5
    shrunk = 0.5 + distance * (1.0 - (error / distance) ** 2)
    return float(np.clip(shrunk, 0.0, 1.0))


def feature_blend_weights(agreement, spread):
    """One blend weight per feature, from the sums of
    :func:`shrink_toward_even_blend` per row (axis 0) and feature (axis 1).

    Each feature's least-squares weight is shrunk toward the weight of all
    the features pooled by ``tau2 / (tau2 + s_j ** 2)``, ``s_j`` its
    standard error and ``tau2`` the spread of the features' true weights
    around the pooled one, estimated as the mean squared deviation of their
    weights less the mean ``s_j ** 2`` (Efron & Morris, 1973): a feature
    whose fills the network gets far better or worse than the Gaussian
    does, on enough entries to show it, gets its own weight, and where
    the features' weights differ by no more than their noise each keeps
    the pooled one.
    """
    pooled = shrink_toward_even_blend(agreement.sum(axis=1), spread.sum(axis=1))
    weights = np.full(agreement.shape[1], pooled)
    estimates = {}
    for feature in range(agreement.shape[1]):
        estimate = _least_squares_weight(agreement[:, feature], spread[:, feature])
        if estimate is not None:
            estimates[feature] = estimate
    # Two features' weights say too little of how far weights differ
    # between features: they keep the pooled one.
    if len(estimates) < 3:
        return weights
    own, error = np.array(list(estimates.values())).T
    deviation = own - pooled
    # In units of the largest deviation or error, so that no square
    # overflows.
    unit = max(np.abs(deviation).max(), error.max())
    if not unit > 0:
        return weights
    deviation, error = deviation / unit, error / unit
    between = max(float(np.mean(deviation**2) - np.mean(error**2)), 0.0)
    kept = np.divide(
        between,
        between + error**2,
        out=np.zeros_like(error),
        where=between + error**2 > 0,
    )
    weights[list(estimates)] = np.clip(pooled + kept * deviation * unit, 0.0, 1.0)
    return weights


class AutoencoderImputer(TransformerMixin, BaseAutoencoder):
    """Imputation of missing values by an autoencoder's reconstruction.

    An autoencoder [1]_ (the network and training of
    :class:`AutoencoderTransformer`) that learns to fill in what it does
    not see: in every batch some of the observed entries are masked,
    shaped like the holes the data has (``noise="mask"``, the masking noise
    of a denoising autoencoder [2]_), and the loss is the squared error on
    the masked entries only, the part of the output that ``transform``
    uses. Masked and missing
    entries enter the network as their feature's mean, plus one indicator
    input per feature that tells the network which entries it does not
    see. ``transform`` then replaces each missing entry with the network's
    reconstruction of the row and leaves every observed entry exactly as
    given. On tables filled by the network alone (see below), where the
    validation rows show it fills better so, the reconstruction is the
    mean of the network's reconstructions of the row with more entries
    masked as in training, by the same eight masks for every row.

    For tables (no ``image_shape``) of at most 100 features, or wider ones
    of few rows (up to 271 features on 100 rows, 342 on 50, where fitting
    the Gaussian costs as much), and for images of at most 1,024 values
    (32 x 32 pixels of one channel) whose training rows miss no more than
    patches (about 100 values a row, or fewer rows with larger holes; rows
    with nothing observed are left out), the fill is a blend:
    the network's reconstruction and the conditional mean of each missing
    entry given the row's observed ones under a multivariate normal
    distribution fitted to the training rows by EM [5]_, weighted by
    ``network_weight_``, one per feature of a table. EM runs until its
    conditional means stop rebuilding the masked entries of the
    validation rows better (10 iterations after the best, which it
    keeps; at most 200 iterations, fewer on wide tables), or 20
    iterations without validation rows: where much is missing it
    converges slowly, and on few rows its later iterations fit noise.
    The weights are the
    least-squares ones on the validation rows, masked as in training: the
    weight of all features pooled, shrunk toward an even blend as far as
    its standard error across those rows says it is uncertain, and each
    feature's own, shrunk toward the pooled one as far as the features'
    weights differ by more than their noise [6]_ (so that a weight read
    off a few entries does not swing to either end, and a feature that
    one model fills far better than the other, on entries enough to show
    it, is filled mostly by that one): a small table may hold too
    few rows for the network to learn more than the linear relations
    between features, which the Gaussian captures with fewer parameters,
    and a larger one lets the network's nonlinear fill take over; smooth
    images are filled best from the pixels around a hole by the Gaussian,
    which learns how neighbouring pixels vary together. A
    feature that the training masks never hide (one with no missing entry
    among the rows, at most 2,000, whose holes they copy, when other
    features have some) is one the network is not trained to fill: the
    Gaussian fills it alone. Wider tables and larger images are filled by
    the network alone; where such a feature is among theirs, half the
    training rows are masked at random instead, so that the network
    learns to fill every feature.

    On the tables filled by the network alone, each feature whose fills
    the validation rows show to rebuild hidden entries worse than its mean
    would (a feature that nothing else in the row predicts, whose noise
    the network fits) has its fills shrunk toward its mean by the
    least-squares factor on those entries, so that they do at least as
    well as the mean there.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Width of the code, at most the number of features. ``"auto"`` uses
        as many as there are features for tables, at most 1,024 (the widest
        hidden layer): the masking, not a narrow code, keeps the network
        from copying its input, since it learns to fill entries it does not
        see. With ``image_shape``, half the number of pixels (at least 1).

    missing_values : int, float, np.nan or pd.NA, default=np.nan
        The placeholder for missing values; every occurrence is imputed.
        ``pd.NA`` marks the missing entries of pandas' nullable columns,
        which become NaN on conversion to float.

    add_indicator : bool, default=False
        If True, a :class:`~sklearn.impute.MissingIndicator` is appended to
        the output: one binary column per feature that had missing values
        in ``fit``.

    min_value : "observed", float, array-like of shape (n_features,) or \
            None, default="observed"
        Smallest value an imputed entry takes (per feature, for an array),
        as in :class:`~sklearn.impute.IterativeImputer`: such as 0 for
        counts, or for pixels in [0, 1]. ``"observed"`` is each feature's
        smallest value observed in ``fit``, so that fills stay within the
        range of the values the data has shown, as those of
        :class:`~sklearn.impute.KNNImputer` and of tree-based imputers do:
        a network asked for a feature where it has seen none of its values
        (a feature missing wherever another one is high, say) can
        otherwise answer far outside them. Where the fill blends in a
        Gaussian (tables of at most 100 features or of few rows, small
        images; see above), the range
        reaches as far as the Gaussian's conditional means of the missing
        entries of the training rows, on each side where the Gaussian
        does not overshoot the observed values: where the observed entries
        it predicts most extreme (each left out in turn, the most extreme
        5 %) reach their predictions on average, within two standard
        errors. A linear model of heavy-tailed features places their
        extremes right, and the fills may follow where such values go
        missing; of a skewed feature, below 0 where every value is
        positive, or of a 0/1 feature, beyond 0 and 1, it overshoots, and
        the observed range holds. A feature observed at two values keeps
        its range. Where the network alone fills a table
        (one too wide for the Gaussian) and the held-out rows rebuild their
        hidden entries better unclipped than clipped to the range of the
        other rows, the ``"observed"`` bounds are lifted: with few rows, a
        few percent of the missing values lie beyond the observed ones
        (about 2 / (n + 1) of them, for n observed values of a feature),
        and a network that rebuilds them well loses by the clip. An
        ``"observed"`` bound gives way to a
        bound given on the other side: ``min_value=5`` with every observed
        value below 5 fills with 5 (or up to the Gaussian's range). None (or
        ``-np.inf``) means no bound, for a feature whose unseen values may
        lie beyond the observed ones. Read by ``fit``.

    max_value : "observed", float, array-like of shape (n_features,) or \
            None, default="observed"
        Largest value an imputed entry takes (per feature, for an array):
        ``"observed"`` is each feature's largest value observed in
        ``fit``, as for ``min_value``. None (or ``np.inf``) means no bound.
        Read by ``fit``.

    hidden_layer_sizes : array-like of int or "auto", default="auto"
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a linear autoencoder. With ``image_shape``, the
        channels of the convolutions instead (at least one). ``"auto"``
        gives two layers of four units per feature, within [256, 1024]:
        deeper and wider than the transformer's, since filling in each
        feature from whichever others are observed is a harder map than
        rebuilding a row (32 channels with ``image_shape``: the local path,
        see ``local_layers``, convolves at full resolution, and fewer
        channels keep its fit short).

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Nonlinearity of the hidden layers of the built-in networks.

    alpha : float, default=1e-4
        Strength of the L2 penalty, applied as Adam's weight decay to every
        parameter of the network.

    batch_size : int or "auto", default="auto"
        Rows per training batch, capped at the number of training rows
        (those not held out for validation). ``"auto"`` takes a 32nd of the
        training rows, within [32, 200]: 32 updates per epoch from 1,024
        to 6,400 training rows, fewer below (batches of 32), more above
        (batches of 200). With
        ``image_shape``, batches hold at least 64 images: a convolution
        costs less per image in larger batches.

    learning_rate_init : float, default=1e-3
        Adam's learning rate, constant throughout training. In the
        built-in network for tables (no ``image_shape``, no ``module``), a
        layer that sums more than 1,024 inputs (a very wide table's first)
        trains at this rate times 1,024 over its inputs: Adam moves each
        weight by about the rate, so the layer's output would otherwise
        move in proportion to its inputs.

    max_iter : int or "auto", default="auto"
        Maximum number of epochs (passes over the training rows) of
        ``fit``. ``"auto"`` budgets updates rather than epochs: as many
        epochs as make 20,000 updates, at most 1,000 and at least one, so
        that 300 rows and 300,000 rows both train sensibly (early stopping
        usually ends training well before). With ``image_shape`` it budgets
        the pixels passed through the network instead: at most 12 million
        (updates x batch x entries of an image), or one epoch where that
        passes more, so that larger images train on fewer updates and the
        fit's cost stays bounded.

    early_stopping : bool, default=True
        If True, hold out ``validation_fraction`` of the rows, stop when
        their loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs, and keep the moving average of the weights over the epochs
        (each epoch moves it a tenth of the way to the weights) [3]_, which
        usually fills in better than the best epoch's weights; or, where
        training broke down after the best epoch (the last average's loss
        on the held-out rows over twice the one of the average as it stood
        at that epoch), that average. Unlike
        :class:`AutoencoderTransformer`, the imputer never falls back on
        its starting weights (the PCA start), a poor imputer: a missing
        entry enters as its feature's mean, and the projection on the
        principal axes keeps much of that mean. If False, train on every
        row, stop when the training loss stalls in the same way, and keep
        the last weights. Both losses count the entries that
        ``noise`` says.

    validation_fraction : float, default=0.1
        Fraction of the rows held out when ``early_stopping`` is True: at
        least one row, and enough left for training to span the code (the
        network starts from the PCA of its training rows, whose centred
        span has one axis fewer than they have rows): ``n_components + 1``
        rows where the code is narrower than the input and all the rows
        reach that, otherwise two. None is held out where that leaves none
        to hold out. Copies of a row
        (a table concatenated or oversampled) are held out together, so the
        fraction can differ a little: a held-out row with a copy among the
        training rows would be no new row. Rows of discrete data, which
        repeat as unevenly as their combinations of values are common, or
        take so few distinct rows that fewer than 10 of them would be held
        out (a few categories, one-hot encoded), repeat in new data too,
        and are held out as any others.

    n_iter_no_change : int or "auto", default="auto"
        Number of epochs without an improvement of at least ``tol`` before
        training stops. ``"auto"`` waits about 5,000 updates, from 25 to 200
        epochs: the validation loss counts the masked entries alone, few on
        small tables with few holes, and keeps falling after long, noisy
        plateaus. The fit stays within ``max_iter``.

    tol : float, default=1e-4
        Smallest decrease of the monitored loss (the validation loss with
        ``early_stopping``, otherwise the training loss) that counts as an
        improvement.

    standardize : bool or "auto", default="auto"
        If True, each feature is divided by its own standard deviation after
        centring, as by a ``StandardScaler``, so that every feature counts
        equally. If False, features are centred and divided by one common
        scale (the root mean variance), so that the reconstruction error
        weighs features as PCA does, in the original units. Means and
        variances are those of the observed entries; a constant feature
        gets, when standardized, the median standard deviation of the
        features that vary. ``"auto"`` is False with ``image_shape``, whose
        pixels share one unit (standardized, a pixel that is nearly always
        blank blows its rare strokes up into errors far larger than any
        other pixel's, and they rule the loss), and True otherwise, unlike
        the transformer, so that features in small units are filled as
        carefully as the others.

    noise : "mask" or callable, default="mask"
        Which observed entries training masks, anew for every batch, for
        the network to fill in: the masking noise of a denoising
        autoencoder [2]_. ``"mask"`` masks each row where a random row of
        the training data is missing (its missingness pattern, drawn from
        at most 2,000 rows spread over the data), so that the network
        trains on holes like the ones it will fill, in where they fall and
        how many there are; with no missing values in the training data, a
        random fifth of the entries, as also where the drawn row is
        complete (a table with a few holes trains as a complete one does).
        With ``image_shape`` and no missing
        values, each training image loses a share of its pixels drawn
        uniformly between 0 and 0.6 instead, half of them as a rectangle,
        from a line across the image to a compact block: holes such as
        scratches and occlusions make, besides scattered ones [4]_, from a
        few pixels to most of the image. Where some feature has no missing
        value in the training data and no Gaussian fills it (wide tables,
        large images; see above), half the rows copy a pattern and the
        others are masked as data without missing values is.
        A callable ``noise(X_batch, rng)`` masks holes shaped like the ones
        you expect: it gets a copy of a batch of rows in the input's units
        (missing entries NaN) and a :class:`numpy.random.Generator` (seeded
        from ``random_state``) and returns the rows with the entries to
        mask set to NaN, same shape (checked on two rows before training),
        finite elsewhere. Use a module-level function or a
        :func:`functools.partial` so that the estimator pickles. Only
        training masks (the validation rows too, the same way in every
        epoch, so that their losses compare); ``transform`` sees inputs as
        given. The loss counts the masked entries only (a batch that masks
        none counts all its observed entries).

    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` when each row
        is an image flattened in C order. The built-in network is then
        convolutional: ``hidden_layer_sizes`` gives the channels of its
        3 x 3 convolutions, each of which halves the height and width, and
        the decoder mirrors them. ``X`` stays 2-D. Not with ``module``.

    local_layers : int or "auto", default="auto"
        With ``image_shape``: adds to the network a path around the code,
        that many full-resolution 3 x 3 convolutions (of
        ``hidden_layer_sizes[0]`` channels, all but the first in residual
        steps) from the image and its indicator to the reconstruction. Each
        filled pixel then also reads the visible pixels within
        ``local_layers`` pixels of it at full detail, which the code
        compresses away. ``"auto"`` reaches across the image, up to 8
        pixels: each layer convolves the whole image, so the cap bounds
        what a fit costs on larger images. 0 leaves the path out; without
        ``image_shape`` there is none. Deeper paths can fill better,
        through capacity more than reach, but train slower and overfit
        sooner (see the inpainting setting of the benchmarks).

    module : torch.nn.Module class or None, default=None
        A network of your own instead of the built-in ones, built as
        ``module(n_features=..., n_components=..., **module_params)``. It
        must be a ``torch.nn.Module`` with trainable float32 parameters
        (built with float32 as torch's default dtype), ``encode(x)`` and
        ``decode(code)`` methods and a ``forward(x)`` that returns
        ``(reconstruction, code)``
        (checked on two rows before training); it is then trained, seeded
        and batched like the built-in networks. If it has a
        ``start_from_pca(components)`` method, it is called before training
        with the principal axes of the scaled training rows, an array of
        shape (n_components, n_features). Unlike the built-in networks, it
        gets missing and masked entries as 0 (their feature's mean, in
        scaled units), without the indicator.

    module_params : dict or None, default=None
        Keyword arguments for ``module``, as skorch's ``module__``
        parameters; refused without ``module``, and so are ``n_features``
        and ``n_components``, which the estimator passes itself.
        ``hidden_layer_sizes`` and ``activation`` apply to the built-in
        networks only.

    n_jobs : int, default=None
        Number of torch threads used in ``fit`` and inference. ``None``
        means 1, which is fastest for small networks and never
        oversubscribes a parallel search (such as
        ``GridSearchCV(n_jobs=...)``); ``-1`` means all cores, ``-2`` all but
        one; more threads than cores are not started.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the validation split, the shuffling and
        the noise. An int gives bit-identical fits for the same data and
        ``n_jobs`` on the CPU. The global NumPy and torch random states are
        left as they were.

    verbose : int, default=0
        1 prints skorch's table, one line per epoch (epoch, training loss,
        validation loss and seconds) under a header, and skorch's note when
        early stopping ends training. 2 also shows progress bars over the
        training batches of each epoch and over the batches of inference
        (``transform``: one over the rows it fills). 0 prints nothing.

    device : str, default="cpu"
        The torch device to train and infer on, such as ``"cuda"``;
        ``"auto"`` uses the GPU when torch sees one. A model fitted on a GPU
        unpickles on a machine without one and runs on its CPU (skorch warns
        with a ``DeviceWarning``). Fitting refuses a device that this
        machine does not have, before training.

    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the ``skorch.NeuralNet``, as instances or
        ``(name, callback)`` pairs; each is cloned before use, so the ones
        given here stay untouched. The names of the estimator's own
        callbacks (``early_stopping``, ``weight_average``, ``print_log``,
        ...) are refused, and so are skorch's scoring callbacks with a
        scorer named by a string: the training targets hold NaN where
        entries are missing or masked, which scikit-learn's scorers refuse.

    Attributes
    ----------
    indicator_ : MissingIndicator or None
        The indicator whose columns are appended, when ``add_indicator``.

    n_components_ : int
        Width of the code.

    reconstruction_r2_ : float
        Held-out R^2, in scaled units, of the entries the network fills, on
        the validation rows (the training rows when none are held out:
        ``early_stopping`` is False, or ``X`` has fewer than three rows), at
        most 10,000 of them, one from each of as many equal stretches: of
        the observed entries that one fixed draw of the noise masks.

    code_sparsity_ : float
        Fraction of code entries below 1e-3 in absolute value, on the rows
        that ``reconstruction_r2_`` is computed on.

    network_weight_ : ndarray of shape (n_features,)
        The network's share of each feature's fills, in [0, 1]; the
        Gaussian's conditional mean has the rest (all of it for a feature
        that the training masks never hid, see above). Chosen on the rows
        that ``reconstruction_r2_`` is computed on (the training rows when
        none are held out, which favours the network), with the Gaussian
        fitted to the training rows (at most 2,000 of them, one from each
        of as many equal stretches); one weight for all the pixels of an
        image that the masks hide; all ones, and no Gaussian, on wide
        tables of many rows and on large images (see above).

    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the observed training entries (0 for a feature
        never observed).

    scale_ : ndarray of shape (n_features,)
        Per-feature scale that the data is divided by after centring (see
        ``standardize``).

    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is the torch module.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    n_iter_ : int
        Number of epochs run.

    loss_curve_ : list of float
        Training loss of each epoch: the mean squared reconstruction error
        in scaled units over the entries the loss counts (see ``noise``).

    validation_scores_ : list of float or None
        Negative validation loss of each epoch, when ``early_stopping`` is
        True; otherwise None.

    best_validation_score_ : float
        The best of ``validation_scores_``, when ``early_stopping`` is True.

    See Also
    --------
    sklearn.impute.KNNImputer : Imputation from the nearest neighbours.
    sklearn.impute.IterativeImputer : Imputation by chained regressions.
    AutoencoderTransformer : The same autoencoder as a transformer.

    Notes
    -----
    Rows are centred and scaled in their own precision, a batch at a
    time, and only then converted to the network's float32 (float32 rows
    have the mean subtracted in two parts, as exactly as float64 would),
    so that a feature with a large offset and a small spread keeps its
    detail; ``transform`` returns
    the dtype of its input (float32 or float64), with the observed entries
    copied unchanged. Values beyond float32's range are refused with a
    ``ValueError``.

    An interrupt (Ctrl-C) during training ends it as in skorch: the
    imputer keeps the epochs trained so far (with early stopping, their
    moving average, as above) and is fitted.

    References
    ----------
    .. [1] Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the
       dimensionality of data with neural networks. Science, 313(5786),
       504-507.
    .. [2] Vincent, P., Larochelle, H., Bengio, Y. & Manzagol, P.-A. (2008).
       Extracting and composing robust features with denoising
       autoencoders. In Proceedings of the 25th International Conference on
       Machine Learning (ICML).
    .. [3] Polyak, B. T. & Juditsky, A. B. (1992). Acceleration of
       stochastic approximation by averaging. SIAM Journal on Control and
       Optimization, 30(4), 838-855.
    .. [4] Pathak, D., Krahenbuhl, P., Donahue, J., Darrell, T. & Efros,
       A. A. (2016). Context encoders: feature learning by inpainting. In
       Proceedings of the IEEE Conference on Computer Vision and Pattern
       Recognition (CVPR), 2536-2544.
    .. [5] Little, R. J. A. & Rubin, D. B. (2019). Statistical Analysis
       with Missing Data, 3rd ed., chapter 11: the multivariate normal
       model. Wiley.
    .. [6] Efron, B. & Morris, C. (1973). Stein's estimation rule and its
       competitors: an empirical Bayes approach. Journal of the American
       Statistical Association, 68(341), 117-130.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder import AutoencoderImputer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6))
    >>> X_missing = np.where(rng.random(X.shape) < 0.1, np.nan, X)
    >>> imputer = AutoencoderImputer(max_iter=20, random_state=0)
    >>> X_filled = imputer.fit_transform(X_missing)
    >>> bool(np.isnan(X_filled).any())
    False
    >>> observed = ~np.isnan(X_missing)
    >>> bool(np.array_equal(X_filled[observed], X_missing[observed]))
    True
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "n_components": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "missing_values": [MissingValues(numeric_only=True)],
        "add_indicator": ["boolean"],
        "standardize": ["boolean", StrOptions({"auto"})],
        "min_value": [
            None,
            StrOptions({"observed"}),
            Interval(Real, None, None, closed="both"),
            "array-like",
        ],
        "max_value": [
            None,
            StrOptions({"observed"}),
            Interval(Real, None, None, closed="both"),
            "array-like",
        ],
        "local_layers": [
            StrOptions({"auto"}),
            Interval(Integral, 0, None, closed="left"),
        ],
        "noise": [StrOptions({"mask"}), callable],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        missing_values=np.nan,
        add_indicator=False,
        min_value="observed",
        max_value="observed",
        hidden_layer_sizes="auto",
        activation="relu",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter="auto",
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        standardize="auto",
        noise="mask",
        image_shape=None,
        local_layers="auto",
        module=None,
        module_params=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
        device="cpu",
        callbacks=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.standardize = standardize
        self.noise = noise
        self.image_shape = image_shape
        self.module = module
        self.module_params = module_params
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.callbacks = callbacks
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.min_value = min_value
        self.max_value = max_value
        self.local_layers = local_layers

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data with missing values.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        return self._fit(X)

    def transform(self, X):
        """Fill the missing entries of ``X`` from its reconstruction.

        Each row with a missing entry is rebuilt by the network from its
        observed entries (where the validation rows showed it fills them
        better, as the mean of its rebuilds of the row with more entries
        masked as in training); its missing entries take the reconstruction
        (blended with the Gaussian's conditional means, see
        ``network_weight_``), clipped to ``min_value`` and ``max_value``
        (by default, the range each feature showed in ``fit``, or the
        Gaussian's conditional means filled in there; none where ``fit``
        lifted those bounds, see ``min_value``); on a table filled by the
        network alone, a feature's fills that did worse than its mean on
        the validation rows are shrunk toward the mean first. A feature
        that was constant in ``fit`` (to float64's precision) is filled
        with its value, and one never observed with 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing values.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            ``X`` with every missing entry replaced and every observed
            entry as given, in the dtype of ``X`` (float32 or float64);
            followed by the indicator columns when ``add_indicator``.
        """
        X = self._validate_inference_input(X)
        X_imputed = X.copy()
        rows = np.flatnonzero(np.isnan(X).any(axis=1))
        step = max(1, FILL_CHUNK_VALUES // X.shape[1])
        progress = tqdm(
            total=rows.size, desc="rows", leave=False, disable=self.verbose < 2
        )
        for start in range(0, rows.size, step):
            chunk = rows[start : start + step]
            block = X_imputed[chunk]
            rebuilt = self._reconstruct(block)
            np.clip(rebuilt, *self._limits_, out=rebuilt)
            np.copyto(block, rebuilt, where=np.isnan(block))
            X_imputed[chunk] = block
            progress.update(len(chunk))
        progress.close()
        if self.indicator_ is None:
            return X_imputed
        return np.hstack([X_imputed, self.indicator_.transform(X).astype(X.dtype)])

    def get_feature_names_out(self, input_features=None):
        """Output feature names: the input's, then the indicator's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_``, or
            ``["x0", "x1", ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Transformed feature names.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if self.indicator_ is None:
            return names
        return np.concatenate([names, self.indicator_.get_feature_names_out(names)])

    # The hooks of the base: what makes the autoencoder an imputer.

    _takes_missing = True
    _weight_average_decay = WEIGHT_AVERAGE_DECAY
    _auto_hidden_depth = AUTO_TABLE_DEPTH
    _auto_width_range = AUTO_TABLE_WIDTH_RANGE
    _auto_image_channels = AUTO_IMAGE_CHANNELS
    _auto_patience_updates = AUTO_PATIENCE_UPDATES
    _auto_patience_range = AUTO_PATIENCE_EPOCHS

    # The PCA start is no imputer to fall back on (see early_stopping).
    _keep_start = False

    # The imputer trains on at least one whole epoch: on large image sets
    # the pixel budget alone left too few updates
    # (benchmarks/results/imputer_image_budget.md); tables exceed the
    # budget in one epoch only from 4 million training rows.
    _cuts_long_epochs = False

    @property
    def _auto_batch_range(self):
        low, high = super()._auto_batch_range
        if self.image_shape is None:
            return low, high
        return max(low, AUTO_IMAGE_MIN_BATCH), high

    def _auto_n_components(self, n_features):
        if self.image_shape is None:
            return min(n_features, AUTO_TABLE_WIDTH_RANGE[1])
        return super()._auto_n_components(n_features)

    def _auto_updates(self, batch_size):
        if self.image_shape is None:
            return super()._auto_updates(batch_size)
        updates = AUTO_IMAGE_ENTRY_BUDGET // (batch_size * self.n_features_in_)
        return int(np.clip(updates, 1, super()._auto_updates(batch_size)))

    def _validate_X(self, X, reset):
        # As scikit-learn's imputers: NaN is allowed only when it marks the
        # missing entries; any other placeholder becomes NaN in a copy.
        # pd.NA turns into NaN on conversion to float, as NaN does.
        nan_marks_missing = is_scalar_nan(self.missing_values) or is_pandas_na(
            self.missing_values
        )
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,  # checked below, in fewer passes
            reset=reset,
        )
        if nan_marks_missing:
            return check_finite_float32(X, allow_nan=True, estimator=self)
        # The placeholder may be a value float32 cannot hold (-1e300): it is
        # replaced, not refused; any other entry is checked.
        missing = X == self.missing_values
        check_finite_float32(np.where(missing, 0, X), estimator=self)
        return np.where(missing, np.nan, X)

    def _check_params(self, X):
        for item in self.callbacks or []:
            pair = isinstance(item, tuple) and len(item) == 2
            callback = item[1] if pair else item
            # A scorer of the user's own (a callable) may cope with NaN.
            if isinstance(callback, (BatchScoring, EpochScoring)) and not callable(
                callback.scoring
            ):
                raise ValueError(
                    f"callbacks: {type(callback).__name__} cannot score this "
                    "imputer's training: its targets hold NaN where entries are "
                    "missing or masked, which scikit-learn's scorers refuse. "
                    "The validation loss, where rows are held out, is in "
                    "net_.history as 'valid_loss'."
                )
        # The rows the Gaussian would be fitted on and, for images, the
        # cost of solving their missing blocks (see _has_gaussian).
        gaussian_rows = spread_sample(np.arange(len(X)), MAX_GAUSSIAN_ROWS)
        self._gaussian_rows_ = len(gaussian_rows)
        self._gaussian_solves_ = None
        if self.image_shape is not None and X.shape[1] <= MAX_GAUSSIAN_PIXELS:
            n_missing = np.isnan(X[gaussian_rows]).sum(axis=1)
            # Rows with nothing observed are left out (see _fit_blend).
            n_missing = n_missing[n_missing < X.shape[1]].astype(np.float64)
            self._gaussian_solves_ = float(np.sum(n_missing**3))
        low = self._check_limit("min_value", X)
        high = self._check_limit("max_value", X)
        # An observed bound gives way to the user's other one.
        observed_low = isinstance(self.min_value, str)
        observed_high = isinstance(self.max_value, str)
        if observed_low and not observed_high:
            low = np.minimum(low, high)
        if observed_high and not observed_low:
            high = np.maximum(high, low)
        if np.any(low > high):
            raise ValueError(
                f"min_value={self.min_value!r} is above "
                f"max_value={self.max_value!r} for some feature."
            )
        never_observed = np.flatnonzero(np.isnan(X).all(axis=0))
        if never_observed.size:
            warnings.warn(
                f"Features {never_observed.tolist()} have no observed value in "
                "fit: transform fills them with 0 (within min_value and "
                "max_value).",
                UserWarning,
                stacklevel=caller_stacklevel(),
            )
        # A constant feature is filled with its value: the network's small
        # error in the scale it is given would show.
        mean, spread = column_spread(X, missing=True)
        constant = is_constant(spread, mean)
        value = np.clip(mean, low, high)
        self._limits_ = (
            np.where(constant, value, low),
            np.where(constant, value, high),
        )
        if self.local_layers != "auto" and self.local_layers:
            if self.module is not None or self.image_shape is None:
                raise ValueError(
                    f"local_layers={self.local_layers} adds convolutions to the "
                    "built-in network for images; set image_shape (and leave "
                    "module None), or local_layers=0."
                )
        # noise="mask" masks each row as a random training row is missing:
        # holes like the ones to fill, in where and how many they are.
        patterns = np.isnan(X[spread_sample(np.arange(len(X)), MAX_PATTERNS)])
        self._missing_patterns_ = torch.from_numpy(patterns) if patterns.any() else None
        # Features that these patterns never mask: the Gaussian fills them
        # alone (see _fill_weights), or, without one, random masks teach the
        # network to fill them too (see _pattern_share). Rows that draw a
        # complete row's pattern are masked at random (see corrupt), which
        # teaches every feature where such rows are common enough.
        complete = (~patterns.any(axis=1)).mean() if len(patterns) else 1.0
        self._unmasked_features_ = (
            ~patterns.any(axis=0)
            if self.noise == "mask" and complete < MIN_COMPLETE_SHARE
            else np.zeros(X.shape[1], dtype=bool)
        )

    def _network_params(self):
        # The built-in networks read which entries are missing.
        params = {"missing_indicator": True}
        local_layers = self.local_layers
        if local_layers == "auto":
            image_shape = self._check_image_shape(self.n_features_in_)
            local_layers = (
                0
                if image_shape is None
                else min(max(image_shape[1:]), MAX_AUTO_LOCAL_LAYERS)
            )
        if local_layers:
            params["local_layers"] = local_layers
        return params

    def _corruption(self):
        image_shape = self._check_image_shape(self.n_features_in_)
        return Corruption(
            self.noise,
            MASKED_FRACTION if image_shape is None else (0.0, IMAGE_MASKED_SHARE),
            patterns=getattr(self, "_missing_patterns_", None),
            pattern_share=self._pattern_share(),
            # A module of your own gets 0 (the feature's mean) for the
            # entries to fill in, as the module contract promises.
            fill_masked=self.module is not None,
            masked_targets=True,
            image_shape=image_shape,
        )

    def _reconstruction_r2(self, X):
        """R^2 of the entries the network fills, in scaled units.

        Of the entries that one fixed draw of the noise masks in ``X``:
        what training optimized and ``transform`` uses (one pass of the
        network, not the mean over masks of averaged fills).
        """
        corruption = self._corruption()
        rows = ScaledRows(X, np.arange(len(X)), self._scaler("cpu"), missing=True)
        batches = BatchIterator(
            rows,
            self._inference_batch_rows(),
            corruption=corruption,
            fixed_noise=True,
        )
        module, device = self.net_.module_, self.net_.device
        sse = sst = 0.0
        with torch_compute(self.n_jobs), torch.no_grad():
            for x, target in batches:
                target = target.to(device)
                counted = ~torch.isnan(target)
                target = target.nan_to_num(nan=0.0)
                residual = torch.where(counted, module(x.to(device))[0] - target, 0.0)
                sse += float((residual.double() ** 2).sum())
                sst += float((target.double() ** 2).sum())
        return float(1.0 - sse / max(sst, np.finfo(np.float64).tiny))

    def _scaler(self, device=None):
        # A module of your own gets 0 (the mean) for missing entries; the
        # built-in ones read NaN through their indicator. Decided by the
        # fitted network, not by parameters set since.
        reads_missing = getattr(self.net_.module_, "missing_indicator", False)
        return Scaler(
            self.mean_,
            self.scale_,
            device or self.net_.device,
            fill_missing=not reads_missing,
        )

    def _fit_network(self, X, seed):
        held_out = super()._fit_network(X, seed)
        self._fill_masks_, bounded, self._fill_shrink_ = self._check_fills(
            X, held_out, seed
        )
        if not bounded:
            self._limits_ = self._lifted_limits()
        self._fit_blend(X, held_out)
        return held_out

    def _check_fills(self, X, held_out, seed):
        """The masks whose fills transform averages, or None: the network
        alone fills each row; and whether the ``"observed"`` bounds help.

        Training masks each row on top of its own holes, so the network
        learns to fill rows that miss more than the rows it fills at
        transform; trained long on a small table, it fills those worse
        than rows masked as in training. ``FILL_DRAWS`` masks, drawn as in
        training and the same for every row, are chosen when averaging the
        fills of the row masked by each rebuilds entries hidden in the
        held-out rows better than the network alone does. One observed
        entry of each held-out row (of an inference batch of them, spread
        over them where there are more) is hidden at a time, so that the rows
        miss about as many entries as the rows to fill, in passes until
        ``CHECK_ENTRIES`` are hidden (at most ``MAX_CHECK_DRAWS``). Only
        for tables masked by ``noise="mask"``, with validation rows, and
        filled by the network alone: the blend's weight is chosen for the
        network's own fills.

        On the same entries, the chosen fills are clipped on the
        ``"observed"`` sides to the range the training rows alone show (the
        held-out values lie within the range of all the rows by
        construction), and compared with those sides lifted (see
        _checked_bounds): on a table of few rows, a few
        percent of the missing values lie beyond the observed ones, and a
        network that rebuilds them well loses by the clip. The bounds are
        said to help unless the unclipped fills rebuild the entries
        better; always, where no bound is ``"observed"``. Last, the factor
        by which the chosen fills of each feature are shrunk toward its
        mean (see :func:`shrink_factors`).
        """
        if (
            self.noise != "mask"
            or self.image_shape is not None
            or self.net_.train_split is None
            or self._has_gaussian()
        ):
            return None, True, np.ones(self.n_features_in_)
        generator = torch.Generator().manual_seed(int(seed))
        blank = torch.zeros(FILL_DRAWS, self.n_features_in_)
        masks = torch.isnan(corrupt(blank, self._corruption(), generator))
        module, device = self.net_.module_, self.net_.device
        reads_missing = getattr(module, "missing_indicator", False)
        # Passes are stacked, as many rows a call as an inference batch
        # holds (and at most CHECK_CALL_VALUES values): matrix products run
        # far faster on many rows than on the few held-out rows of a small
        # table; a large one gives a batch's worth.
        batch_rows = self._inference_batch_rows()
        checked = spread_sample(np.asarray(held_out), batch_rows)
        x = Scaler(self.mean_, self.scale_).transform(X[checked], torch.float32)
        x = x[~torch.isnan(x).all(dim=1)]
        if len(x) == 0:
            return None, True, np.ones(self.n_features_in_)
        bounds = self._checked_bounds(X, held_out)
        draws = int(np.clip(CHECK_ENTRIES // len(x), 1, MAX_CHECK_DRAWS))
        per_call = max(1, min(batch_rows, CHECK_CALL_VALUES // x.shape[1]) // len(x))
        # Of the network alone and of the averaged fills, unclipped, within
        # the bounds lifted and within the bounds kept: the sums over each
        # feature's hidden entries of the squared errors, of the fills
        # times the hidden values, and of the squared fills.
        # And the count of those entries and of their values' squares.
        n_features = self.n_features_in_
        errors, agreement, power = np.zeros((3, 2, 3, n_features))
        spread, counts = np.zeros((2, n_features))
        with torch_compute(self.n_jobs), torch.no_grad():
            for start in range(0, draws, per_call):
                holed = x.repeat(min(per_call, draws - start), 1)
                rows = torch.arange(len(holed))
                # One observed entry of each row, uniform among them.
                scores = torch.rand(holed.shape, generator=generator)
                hidden = torch.argmax(
                    scores.masked_fill(torch.isnan(holed), -1.0), dim=1
                )
                del scores
                target = holed[rows, hidden]
                features = hidden.numpy()
                spread += _sums_by_feature(features, target * target, n_features)
                counts += np.bincount(features, minlength=n_features)
                holed[rows, hidden] = math.nan
                holed = holed.to(device)
                fills = (
                    _network_fill(module, holed, reads_missing),
                    _averaged_fill(module, holed, masks.to(device), reads_missing),
                )
                for kind, fill in enumerate(fills):
                    fill = fill.cpu()[rows, hidden]
                    clipped = [fill] + [
                        torch.clamp(fill, low[hidden], high[hidden])
                        for low, high in bounds or ()
                    ]
                    for column, values in enumerate(clipped):
                        for sums, terms in (
                            (errors, (values - target) ** 2),
                            (agreement, values * target),
                            (power, values * values),
                        ):
                            sums[kind, column] += _sums_by_feature(
                                features, terms, n_features
                            )
        total = errors.sum(axis=-1)
        averages = int(total[1, 0] < total[0, 0])
        _, lifted, kept = total[averages]
        bounded = bounds is None or kept <= lifted
        chosen = averages, 0 if bounds is None else (2 if bounded else 1)
        # A feature is judged on its own where its hidden entries show the
        # spread of its values: entries of a binary feature that miss its
        # rare value say nothing of the fills where it is (see
        # MIN_SPREAD_SHARE).
        _, deviation = column_spread(X, missing=True)
        variance = (deviation / self.scale_) ** 2
        judged = spread >= MIN_SPREAD_SHARE * counts * variance
        shrink = shrink_factors(agreement[chosen], power[chosen], judged)
        return (masks.numpy() if averages else None), bounded, shrink

    def _checked_bounds(self, X, held_out):
        """The bounds, scaled, that _check_fills compares: ``"observed"``
        sides of the features that vary lifted, and kept as the training
        rows alone set them (``held_out`` left out: their values lie within
        the range of all the rows by construction); the other sides as
        ``fit`` set them. None where no bound is ``"observed"``."""
        sides = isinstance(self.min_value, str), isinstance(self.max_value, str)
        if not any(sides):
            return None
        low, high = self._limits_
        varies = low < high
        lifted_low, lifted_high = self._lifted_limits()
        training = np.setdiff1d(np.arange(len(X)), held_out)
        seen_low, seen_high = _observed_range(X, training)
        # An "observed" bound gives way to a bound given on the other side.
        kept_low = np.where(sides[0] & varies, np.minimum(seen_low, high), low)
        kept_high = np.where(sides[1] & varies, np.maximum(seen_high, low), high)

        def scaled(bound):
            bound = (bound - self.mean_) / self.scale_
            return torch.from_numpy(bound.astype(np.float32))

        return [
            (scaled(lifted_low), scaled(lifted_high)),
            (scaled(kept_low), scaled(kept_high)),
        ]

    def _lifted_limits(self):
        """``_limits_`` with the ``"observed"`` bounds of the features that
        vary lifted (see _check_fills); a constant feature keeps its value."""
        low, high = self._limits_
        varies = low < high
        if isinstance(self.min_value, str):
            low = np.where(varies, -np.inf, low)
        if isinstance(self.max_value, str):
            high = np.where(varies, np.inf, high)
        return low, high

    def _fit_after_training(self, X):
        # The patterns were for training; the network keeps them to train on.
        vars(self).pop("_missing_patterns_", None)
        self.indicator_ = None
        if self.add_indicator:
            # Arrays out, whatever the global set_output: this estimator's
            # own output is wrapped once, after stacking.
            indicator = MissingIndicator(error_on_new=False)
            self.indicator_ = indicator.set_output(transform="default").fit(X)

    # Helpers of the imputer alone.

    def _reconstruct(self, X):
        """Rebuild ``X`` (with NaN) in its units: the network's
        reconstruction, blended with the Gaussian's conditional means, and
        shrunk toward the features' means by ``_fill_shrink_``."""
        module, device = self.net_.module_, self.net_.device
        scaler = Scaler(self.mean_, self.scale_, device)
        reads_missing = getattr(module, "missing_indicator", False)
        weight = self._fill_weights()
        blended = bool(np.any(weight < 1.0))
        if blended:
            weight = torch.from_numpy(weight)
            mean = torch.from_numpy(self._gaussian_mean_)
            precision = torch.from_numpy(self._gaussian_precision_)

        masks = getattr(self, "_fill_masks_", None)
        if masks is not None:
            masks = torch.from_numpy(masks).to(device)
        shrink = self._shrink_factors()
        shrunk = bool(np.any(shrink < 1.0))
        shrink = torch.from_numpy(shrink).to(device)

        def fill(rows):
            x = scaler.transform(rows, torch.float64)
            if masks is None:
                rebuilt = _network_fill(module, x, reads_missing)
            else:
                rebuilt = _averaged_fill(module, x, masks, reads_missing)
            if blended:
                expected = conditional_mean(x.cpu(), mean, precision)
                rebuilt = weight * rebuilt.double().cpu() + (1.0 - weight) * expected
            if shrunk:
                rebuilt = rebuilt * shrink.to(rebuilt)
            return scaler.inverse_transform(rebuilt, X.dtype)

        # transform shows one progress bar over all the rows it fills.
        return self._map(X, fill, self.n_features_in_, progress=False)

    def _shrink_factors(self):
        """The factor of each feature by which transform shrinks its fills
        toward its mean (see _check_fills), float64: ``_fill_shrink_``, one
        float in an imputer fitted before each feature had its own, and 1
        in one fitted before the fills were shrunk."""
        shrink = getattr(self, "_fill_shrink_", 1.0)
        shape = self.n_features_in_
        return np.broadcast_to(np.asarray(shrink, dtype=np.float64), shape).copy()

    def _pattern_share(self):
        """The share of the training rows whose masks copy a missingness
        pattern (see PATTERN_SHARE)."""
        unmasked = getattr(self, "_unmasked_features_", None)
        if unmasked is None or not unmasked.any() or self._has_gaussian():
            return 1.0
        return PATTERN_SHARE

    def _has_gaussian(self):
        """Whether the fills blend in a Gaussian (see _fit_blend,
        MAX_GAUSSIAN_FEATURES and MAX_GAUSSIAN_PIXELS)."""
        if self.image_shape is not None:
            # None: too many pixels, or fitted before images had one.
            solves = getattr(self, "_gaussian_solves_", None)
            return (
                solves is not None
                and solves <= MAX_GAUSSIAN_ROWS * MAX_GAUSSIAN_PIXELS**2
            )
        # An imputer fitted before the rows were counted: as on many rows.
        rows = getattr(self, "_gaussian_rows_", MAX_GAUSSIAN_ROWS)
        cost = rows * self.n_features_in_**3
        return cost <= MAX_GAUSSIAN_ROWS * MAX_GAUSSIAN_FEATURES**3

    def _fill_weights(self):
        """The network's share of the fill of each feature: ``network_weight_``
        (one float in an imputer fitted before each feature had its own),
        but 0 for a feature the network was never trained to fill, when
        there is a Gaussian to fill it instead."""
        if self._gaussian_mean_ is None:
            return np.ones(self.n_features_in_)
        weights = np.broadcast_to(
            np.asarray(self.network_weight_, dtype=np.float64), self.n_features_in_
        )
        # None in an imputer fitted before this was kept: the blend alone.
        unmasked = getattr(self, "_unmasked_features_", None)
        if unmasked is None:
            return weights.copy()
        return np.where(unmasked, 0.0, weights)

    def _fit_blend(self, X, held_out):
        """Fit the Gaussian to the training rows of ``X`` and choose
        ``network_weight_`` on the ``held_out`` ones (indices)."""
        self._gaussian_mean_ = self._gaussian_precision_ = None
        self.network_weight_ = np.ones(X.shape[1])
        if not self._has_gaussian():
            return
        rows = np.arange(len(X))
        validated = self.net_.train_split is not None  # held_out are apart
        if validated:
            rows = np.setdiff1d(rows, held_out)
        scaler = Scaler(self.mean_, self.scale_)
        with torch_compute(self.n_jobs):
            training = scaler.transform(
                X[spread_sample(rows, MAX_GAUSSIAN_ROWS)], torch.float64
            )
            # A row with nothing observed tells the Gaussian nothing, and
            # would cost a solve of the whole precision matrix.
            observed = ~torch.isnan(training).all(dim=1)
            if observed.any():
                training = training[observed]
            checked = spread_sample(np.asarray(held_out), WEIGHT_ROWS)
            masked, hidden = self._masked_rows(X[checked])
            if validated:
                mean, precision = fit_gaussian(
                    training, (masked, hidden), self._gaussian_iterations(training)
                )
            else:
                mean, precision = fit_gaussian(training)
            self._gaussian_mean_ = mean.numpy()
            self._gaussian_precision_ = precision.numpy()
            self.network_weight_ = self._blend_weight(
                masked, hidden, len(checked), mean, precision
            )
            # 0 for the features the Gaussian fills alone.
            self.network_weight_ = self._fill_weights()
            self._widen_observed_limits(training, mean, precision, scaler)

    def _widen_observed_limits(self, rows, mean, precision, scaler):
        """Let an ``"observed"`` bound reach as far as the Gaussian's
        conditional means of the entries missing from the scaled training
        ``rows`` (see ``min_value``), on each side where the Gaussian does
        not overshoot the observed values: where the observed entries it
        predicts most extreme on that side (each left out in turn; the
        ``TAIL_SHARE`` of them, two at least) reach their predictions on
        average, within ``SHIFT_ERRORS`` standard errors. A linear model of
        heavy-tailed features places their extremes right; of a skewed
        feature, below 0 where every value is positive, or of a 0/1
        feature, beyond 0 and 1, it overshoots, and the observed range
        holds. A feature observed at one or two values keeps its range."""
        missing = torch.isnan(rows).numpy()
        filled = scaler.inverse_transform(
            conditional_mean(rows, mean, precision), np.float64
        )
        left_out = left_out_means(rows, mean, precision).numpy()
        low, high = (bound.copy() for bound in self._limits_)
        for j in np.flatnonzero(missing.any(axis=0) & ~missing.all(axis=0)):
            values = rows[~missing[:, j], j].numpy()
            if len(np.unique(values)) <= 2:
                continue
            predicted = left_out[~missing[:, j], j]
            order = np.argsort(predicted)
            n_tail = max(2, math.ceil(TAIL_SHARE * len(values)))
            reached = filled[missing[:, j], j]
            if _reaches(predicted[order[:n_tail]] - values[order[:n_tail]]):
                low[j] = min(low[j], reached.min())
            if _reaches(values[order[-n_tail:]] - predicted[order[-n_tail:]]):
                high[j] = max(high[j], reached.max())
        if isinstance(self.min_value, str):
            self._limits_ = (low, self._limits_[1])
        if isinstance(self.max_value, str):
            self._limits_ = (self._limits_[0], high)

    def _gaussian_iterations(self, rows):
        """At most how many EM iterations to fit the Gaussian to the scaled
        training ``rows`` with (see GAUSSIAN_PATIENCE): as many as cost what
        GAUSSIAN_ITERATIONS cost on the widest table with a Gaussian, about
        rows x features^3 each; GAUSSIAN_ITERATIONS for images, whose cost
        is held to that of their holes (see MAX_GAUSSIAN_PIXELS)."""
        if self.image_shape is not None:
            return GAUSSIAN_ITERATIONS
        widest = MAX_GAUSSIAN_ROWS * MAX_GAUSSIAN_FEATURES**3
        share = widest / (len(rows) * rows.shape[1] ** 3)
        return int(
            np.clip(
                GAUSSIAN_ITERATIONS * share,
                GAUSSIAN_ITERATIONS,
                MAX_GAUSSIAN_ITERATIONS,
            )
        )

    def _masked_rows(self, X):
        """The rows ``X``, scaled and masked by the noise with fresh masks in
        each of up to ``MAX_WEIGHT_DRAWS`` passes (about ``WEIGHT_ROWS``
        rows in all), stacked pass after pass: the masked rows (NaN where
        missing or masked) and the values of their masked entries (NaN
        elsewhere), in float64."""
        corruption = dataclasses.replace(self._corruption(), fill_masked=False)
        rows = ScaledRows(X, np.arange(len(X)), Scaler(self.mean_, self.scale_), True)
        batches = BatchIterator(
            rows, self._inference_batch_rows(), corruption=corruption
        )
        draws = int(np.clip(WEIGHT_ROWS // len(X), 1, MAX_WEIGHT_DRAWS))
        batches = [batch for _ in range(draws) for batch in batches]
        masked = torch.cat([x for x, _ in batches]).double()
        values = torch.cat([target for _, target in batches]).double()
        return masked, torch.where(torch.isnan(masked), values, math.nan)

    def _blend_weight(self, masked, hidden, n_rows, mean, precision):
        """The share of the network's fill of each feature, in [0, 1], that
        rebuilds best the ``hidden`` entries of the ``masked`` rows (see
        _masked_rows; passes over ``n_rows`` held-out rows): least squares,
        in scaled units, shrunk by its uncertainty (see
        :func:`feature_blend_weights`; one for all pixels of images)."""
        module, device = self.net_.module_, self.net_.device
        reads_missing = getattr(module, "missing_indicator", False)
        # Features the Gaussian fills alone (see _fill_weights), which
        # complete rows' random masks hide in a few rows, are left out: the
        # network hardly learnt to fill them.
        learnt = ~torch.from_numpy(self._unmasked_features_)
        counted = ~torch.isnan(hidden) & learnt
        expected = conditional_mean(masked, mean, precision)
        with torch.no_grad():
            network = torch.cat(
                [
                    _network_fill(module, x.float().to(device), reads_missing)
                    .double()
                    .cpu()
                    for x in torch.split(masked, self._inference_batch_rows())
                ]
            )
        gap = torch.where(counted, network - expected, 0.0)
        error = torch.where(counted, hidden - expected, 0.0)
        # Per held-out row and feature, summed over the passes.
        agreement = (gap * error).numpy().reshape(-1, n_rows, masked.shape[1])
        spread = (gap * gap).numpy().reshape(-1, n_rows, masked.shape[1])
        agreement, spread = agreement.sum(axis=0), spread.sum(axis=0)
        if self.image_shape is not None:
            # Pixels are alike: one weight for all of them.
            pooled = shrink_toward_even_blend(agreement.sum(axis=1), spread.sum(axis=1))
            return np.full(masked.shape[1], pooled)
        return feature_blend_weights(agreement, spread)

    def _check_limit(self, name, X):
        """``min_value`` or ``max_value`` as one float per feature of
        ``X``; "observed" bounds are taken from ``X``'s observed entries (no
        bound for a feature never observed)."""
        n_features = X.shape[1]
        value = getattr(self, name)
        unbounded = -np.inf if name == "min_value" else np.inf
        if value is None:
            value = unbounded
        elif isinstance(value, str):
            # fmin / fmax skip NaN: NaN is left only where nothing was seen.
            extreme = np.fmin if name == "min_value" else np.fmax
            value = extreme.reduce(X, axis=0)
            return np.where(np.isnan(value), unbounded, value).astype(np.float64)
        limit = np.asarray(value)
        if limit.dtype.kind == "O" and all(
            item is None or (isinstance(item, Real) and not isinstance(item, bool))
            for item in limit.ravel()
        ):
            limit = limit.astype(np.float64)  # None becomes NaN, refused below
        if limit.dtype.kind not in "iuf":
            raise TypeError(
                f"{name} must be a number or hold one number per feature, got "
                f"{value!r}."
            )
        limit = limit.astype(np.float64)
        if limit.ndim > 0 and limit.shape != (n_features,):
            raise ValueError(
                f"{name} must be a number or hold one value per feature "
                f"({n_features}), got shape {limit.shape}."
            )
        if np.isnan(limit).any():
            raise ValueError(f"{name} holds NaN (or None); use -np.inf or np.inf.")
        if np.any(limit == -unbounded):
            raise ValueError(
                f"{name} holds {-unbounded}, a bound no value is within; "
                f"{unbounded} means no bound."
            )
        if np.any(np.isfinite(limit) & (np.abs(limit) > FLOAT32_MAX)):
            raise ValueError(
                f"{name} holds a value beyond float32's range (+-{FLOAT32_MAX:.4g}), "
                "which the data must stay within."
            )
        return np.broadcast_to(limit, n_features)

    def __sklearn_tags__(self):
        tags = preserve_float32(super().__sklearn_tags__())
        # As scikit-learn's imputers: NaN is allowed where it marks the
        # missing entries.
        tags.input_tags.allow_nan = is_scalar_nan(self.missing_values) or is_pandas_na(
            self.missing_values
        )
        return tags
