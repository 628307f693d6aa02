"""The shared base: the fit template, inference primitives and the hooks
through which each estimator adds what only it has."""

import copy
import math
from contextlib import contextmanager, nullcontext
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.callbacks import Callback
from torch import nn

from ._data import (
    Corruption,
    ScaledRows,
    Scaler,
    fit_scaler,
    leading_axes,
    split_rows,
)
from ._network import ACTIVATIONS, ConvAutoencoder, MLPAutoencoder
from ._skorch import RESERVED_CALLBACK_NAMES, TrainingConfig, build_net, set_verbose
from ._utils import (
    Interval,
    StrOptions,
    draw_seed,
    inference_batch_rows,
    map_batches,
    seeded_torch,
    spread_sample,
    torch_compute,
    trains,
)

# Training rows left when rows are held out for validation, and rows of a
# first partial_fit call, at least: the network starts from the PCA of its
# training rows, and one row has no principal direction (its code would
# stay 0).
MIN_TRAINING_ROWS = 2

# Rows on which reconstruction_r2_ and code_sparsity_ are measured, at most.
MAX_REPORTED_ROWS = 10_000

# The training budget that "auto" derives from the number of training rows
# (see BaseAutoencoder._budget), counted in updates so that small and large
# data both train sensibly: the most updates of a fit, the updates without
# improvement before it stops, and the batch sizes' range, which gives
# small data at least about AUTO_MIN_BATCHES updates per epoch.
AUTO_MAX_UPDATES = 20_000
AUTO_PATIENCE_UPDATES = 1_000
AUTO_MIN_BATCHES = 32
AUTO_BATCH_RANGE = (32, 200)
# Epochs at most and patience in epochs, at least and at most, whatever the
# updates say: tiny data must not train for thousands of epochs.
AUTO_MAX_EPOCHS = 1_000
AUTO_PATIENCE_RANGE = (2, 50)
# The hidden width "auto" gives, per feature, and its range.
AUTO_WIDTH_PER_FEATURE = 4
AUTO_WIDTH_RANGE = (64, 1024)

# The decay per epoch of the moving average of the weights that the
# transformer and the imputer keep (see WeightAverage): chosen among 0.8,
# 0.9 and 0.95 on the imputer's development tables of
# benchmarks/defaults.py, and kept for the transformer, which it serves on
# its development denoising tasks too.
WEIGHT_AVERAGE_DECAY = 0.9

# The largest magnitude the network's float32 arithmetic holds.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_finite_float32(X, allow_nan=False, estimator=None):
    """``X``, or a ValueError if it holds NaN (unless ``allow_nan``), inf,
    or a value that float32 cannot hold.

    The network computes in float32: a larger value would become inf there
    and every output NaN. This replaces scikit-learn's finiteness check, and
    gives its messages, in fewer passes over ``X`` (a sum for float32, a max
    and a min otherwise), none of them a copy; a float32 sum that overflows
    only sends ``X`` on to the max and the min. It runs whatever
    scikit-learn's ``assume_finite`` says: NaN would silently spoil the fit.
    """
    if not X.size:
        return X
    if X.dtype == np.float32:
        # A sum that overflows both ways (inf - inf) is NaN: no warning.
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(X)):
                return X
    if allow_nan:
        largest = max(np.fmax.reduce(X, axis=None), -np.fmin.reduce(X, axis=None))
    else:
        largest = max(np.max(X), -np.min(X))
    if np.isinf(largest) or (np.isnan(largest) and not allow_nan):
        name = None if estimator is None else type(estimator).__name__
        assert_all_finite(X, allow_nan=allow_nan, estimator_name=name, input_name="X")
        # Reached only under assume_finite, which silences the line above.
        raise ValueError(f"Input X contains {'inf' if np.isinf(largest) else 'NaN'}.")
    if largest > FLOAT32_MAX:
        raise ValueError(
            f"X contains a value of magnitude {largest:.4g}, beyond what "
            f"float32 holds ({FLOAT32_MAX:.4g}): the network computes in "
            "float32. Rescale X."
        )
    return X


def _check_no_validation_monitors(callbacks):
    """Refuse callbacks that watch a validation score (skorch's
    ``EarlyStopping``, ``Checkpoint``, ``LRScheduler`` by their default
    ``monitor``) for a training that holds out no rows: skorch would fail
    on the missing history key after the first epoch."""
    for item in callbacks:
        callback = item[1] if isinstance(item, tuple) else item
        monitor = getattr(callback, "monitor", None)
        if isinstance(monitor, str) and monitor.startswith("valid"):
            raise ValueError(
                f"callbacks: {type(callback).__name__} monitors {monitor!r}, but "
                "this training holds out no rows (partial_fit, "
                "early_stopping=False, or too few rows): set its monitor to "
                "'train_loss', or fit with early_stopping=True."
            )


def _empty(value):
    """None or an empty list, tuple or dict: all mean "none" to a parameter
    such as ``callbacks`` or ``module_params``."""
    return value is None or (isinstance(value, list | tuple | dict) and not value)


def _same_param(value, built):
    """Whether a parameter's ``value`` is still the one the network was
    built with (the same object, or equal; arrays equal entry by entry)."""
    if value is built or (_empty(value) and _empty(built)):
        return True
    if isinstance(value, list | tuple) and isinstance(built, list | tuple):
        value, built = tuple(value), tuple(built)  # [8] builds what (8,) does
    try:
        return bool(value == built)
    except (TypeError, ValueError):  # arrays, or objects with no plain ==
        pass
    try:
        return type(value) is type(built) and np.array_equal(value, built)
    except (TypeError, ValueError):
        return False


def _positive_ints(value):
    """``value``, an int or a flat sequence of ints, as a tuple of positive
    ints; None if it is anything else (nested, a bool, zero, a float).
    Checked item by item: NumPy would read ``(True, 6)`` as ``(1, 6)``."""
    items = np.asarray(value, dtype=object)
    if items.ndim > 1:
        return None
    items = items.ravel()
    if not all(
        isinstance(item, Integral) and not isinstance(item, bool) and item > 0
        for item in items
    ):
        return None
    return tuple(int(item) for item in items)


class BaseAutoencoder(BaseEstimator):
    """Base class for the autoencoder estimators.

    ``_fit`` is a template: validate ``X``, then, inside a rollback that
    leaves no fitted attribute behind on any error, check the parameters,
    train ``net_``, measure the fit and finish it. Estimators add what
    only they have by overriding the hooks declared below; the base knows
    none of them by name.
    """

    # The HTML diagram of an estimator links to its page of the API reference
    # (doc/api.rst generates one page per public estimator under generated/).
    _doc_link_module = "sk_autoencoder"
    _doc_link_template = (
        "https://sk-autoencoder.readthedocs.io/en/stable/generated/"
        "{estimator_module}.{estimator_name}.html"
    )

    _parameter_constraints = {
        "hidden_layer_sizes": [StrOptions({"auto"}), "array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
        "standardize": ["boolean"],
        "image_shape": ["array-like", None],
        "module": [callable, None],
        "module_params": [dict, None],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        # As scikit-learn's "random_state", but no bool.
        "random_state": [
            Interval(Integral, 0, 2**32 - 1, closed="both"),
            np.random.RandomState,
            None,
        ],
        "verbose": ["verbose"],
        "device": [str],
        "callbacks": [list, None],
    }

    # ---------------------------------------------------------------- hooks
    # What an estimator may override; the defaults are the plain autoencoder.

    # The range of batch_size="auto", the most updates and epochs of a fit
    # with max_iter="auto" (see _budget), and the widest code that
    # n_components="auto" gives (None: no cap).
    _auto_batch_range = AUTO_BATCH_RANGE
    _auto_max_updates = AUTO_MAX_UPDATES
    _auto_max_epochs = AUTO_MAX_EPOCHS
    _auto_max_components = None

    # Whether the scaling resists gross errors in the training rows (see
    # fit_scaler): where they are expected, a wrong entry should not set a
    # feature's scale.
    _resists_gross_errors = False

    # Whether rows are scored by a float64 copy of the network (see
    # _reconstruction_error), which a module of the user's own must then run.
    _scores_in_float64 = False

    # The updates without improvement that n_iter_no_change="auto" waits,
    # and the range, in epochs, that it keeps within.
    _auto_patience_updates = AUTO_PATIENCE_UPDATES
    _auto_patience_range = AUTO_PATIENCE_RANGE

    def _auto_updates(self, batch_size):
        """The most updates of a fit with max_iter="auto", for batches of
        ``batch_size`` rows."""
        return self._auto_max_updates

    def _standardize(self):
        """Whether the scaling divides each feature by its own standard
        deviation (``standardize``; ``"auto"``: unless ``image_shape`` is
        given, whose pixels share one unit)."""
        if self.standardize == "auto":
            return self.image_shape is None
        return self.standardize

    # The hidden layers that hidden_layer_sizes="auto" gives for tables: how
    # many, and the range of their width.
    _auto_hidden_depth = 1
    _auto_width_range = AUTO_WIDTH_RANGE

    # Whether the hidden width that hidden_layer_sizes="auto" gives tables
    # is also at most the number of rows given to fit (see
    # _check_hidden_layer_sizes).
    _auto_width_caps_at_rows = False

    # The channels of the convolutions that hidden_layer_sizes="auto" gives
    # with image_shape.
    _auto_image_channels = AUTO_WIDTH_RANGE[0]

    # Whether validated input may hold NaN, marking missing entries.
    _takes_missing = False

    # The decay of the moving average of the weights that replaces the
    # trained ones when there are validation rows (with _keep_start, only
    # if it does no worse on them; see WeightAverage); None: no average.
    _weight_average_decay = None

    # Whether early stopping may restore the starting weights (the PCA
    # solution) when no epoch beats them on the validation rows.
    _keep_start = True

    # Whether max_iter="auto" cuts an epoch longer than the update budget
    # to the budget (see _within_budget), rather than rounding the budget
    # up to the epoch.
    _cuts_long_epochs = True

    def _validate_X(self, X, reset):
        """``X`` checked and converted for fit (``reset``) or inference.

        Floats (float32 kept, anything else float64), finite and within
        float32's range.
        """
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,  # checked next, in fewer passes
            reset=reset,
        )
        return check_finite_float32(X, estimator=self)

    def _check_params(self, X):
        """Check parameters against the training data, before any torch
        object exists (a failure leaves the estimator unfitted)."""

    def _fit_network(self, X, seed):
        """Train ``net_`` on ``X``; return the indices of the held-out rows
        to report on."""
        return self._fit_size(X, self._resolve_n_components(X.shape[1]), seed)

    def _network_params(self):
        """Parameters of the built-in networks besides widths and activation."""
        return {}

    def _corruption(self):
        """How training inputs are corrupted (see :class:`Corruption`);
        called once the scaling (``mean_``, ``scale_``) is set."""
        return Corruption()

    def _sparsity(self):
        """Weight of the L1 penalty on the codes (see ``ReconstructionLoss``)."""
        return 0.0

    def _support_fraction(self):
        """Share of each batch, the rows rebuilt best, that the loss counts."""
        return 1.0

    def _divergence_suspect(self):
        """A parameter besides ``learning_rate_init`` that can make training
        diverge, with its value, for the error; empty when there is none."""
        return ""

    def _reconstruction_r2(self, X):
        """``reconstruction_r2_`` measured on the held-out rows ``X``."""
        module = self.net_.module_
        scaler = self._scaler()

        def squares(x):
            x = scaler.transform(x)
            residual = (module(x)[0] - x).double()
            x = x.double()
            return torch.stack([(residual**2).sum(dim=1), (x**2).sum(dim=1)], dim=1)

        sse, sst = self._map(X, squares, 2, dtype=np.float64).sum(axis=0)
        return float(1.0 - sse / max(sst, np.finfo(np.float64).tiny))

    def _scaler(self, device=None):
        """The fitted :class:`Scaler`, on the network's device unless told."""
        return Scaler(self.mean_, self.scale_, device or self.net_.device)

    def _fit_after_training(self, X):
        """Set what the estimator derives from its training rows ``X`` once
        the network is trained (``fit`` and every ``partial_fit``)."""

    # --------------------------------------------------------- fit template

    @trains
    def _fit(self, X):
        self._forget_fit()
        with self._unfitted_on_error():
            # Inside: validation sets n_features_in_ before it may refuse X.
            X = self._validate_X(X, reset=True)
            self._check_params(X)
            held_out = X[self._fit_network(X, draw_seed(self.random_state))]
            self.reconstruction_r2_ = self._reconstruction_r2(held_out)
            codes = self._encode(held_out)
            self.code_sparsity_ = float(np.mean(np.abs(codes) < 1e-3))
            self._fit_after_training(X)
            # The starting weights early stopping kept for that hook are
            # not kept past it.
            stopping = dict(self.net_.callbacks_).get("early_stopping")
            if stopping is not None:
                vars(stopping).pop("start_weights_", None)
        return self

    @trains
    def _partial_fit(self, X):
        first_call = not hasattr(self, "net_")
        # A first call refused for its input leaves nothing fitted (validation
        # sets n_features_in_ first); a later one leaves the fit as it was.
        with self._unfitted_on_error() if first_call else nullcontext():
            X = self._validate_X(X, reset=first_call)
            if first_call and not isinstance(self.n_components, Integral | str):
                raise ValueError(
                    f"partial_fit needs an int n_components, got "
                    f"{self.n_components!r}: a code size searched from the data "
                    "needs the data at once (fit)."
                )
        if not first_call:
            self._check_same_width(X.shape[1])
            self._check_unchanged_since_built()
        with self._unfitted_on_error() if first_call else self._kept_on_error():
            if first_call:
                if X.shape[0] < MIN_TRAINING_ROWS:
                    raise ValueError(
                        f"The first partial_fit call got n_samples="
                        f"{X.shape[0]}; it sets the scaling and the PCA start "
                        f"from its rows, which needs at least "
                        f"{MIN_TRAINING_ROWS}, and they stay fixed afterwards: "
                        "pass more rows in the first call."
                    )
                self._check_params(X)
                n_components = self._resolve_n_components(X.shape[1])
                train, _ = self._initialize(
                    X, False, n_components, draw_seed(self.random_state)
                )
            else:
                # Later chunks train one plain epoch each: no held-out rows
                # (their data is not kept), so no validation, no stopping
                # and no weight average, which both judge on those rows.
                callbacks = [
                    (name, callback)
                    for name, callback in self.net_.callbacks_
                    if name not in ("early_stopping", "weight_average")
                ]
                _check_no_validation_monitors(callbacks)
                self.net_.set_params(optimizer__weight_decay=self.alpha)
                self.net_.train_split = None
                self.net_.callbacks_ = callbacks
                set_verbose(self.net_, self.verbose)
                # Batches sized for this chunk, as for the first one: the
                # first chunk's size, where it was small, is no cap.
                rows_per_batch = self._budget(X.shape[0])[0]
                self.net_.batch_size = rows_per_batch
                self.net_.iterator_train__batch_size = rows_per_batch
                train = ScaledRows(X, np.arange(X.shape[0]), self._scaler("cpu"))
                # Each call shuffles and corrupts anew (a chunk seen twice
                # is not seen the same way twice), reproducibly: the seed
                # follows from the first call's and the epochs run so far.
                entropy = [self.net_.iterator_valid__seed, len(self.net_.history)]
                seed = np.random.SeedSequence(entropy).generate_state(1)[0]
                self.net_.iterator_train__seed = int(seed >> 1)
            self.net_.set_learning_rate(
                self.learning_rate_init, self._chunk_rate(len(train))
            )
            self._train(train, epochs=1)
            self._fit_after_training(X)
        return self

    # Parameters a later partial_fit reads anew, and those only fit reads (a
    # later partial_fit trains one plain epoch); the others shaped the
    # network or its training when it was built (see _built_with).
    _read_by_partial_fit = frozenset(
        {"learning_rate_init", "alpha", "n_jobs", "verbose"}
    )
    _read_by_fit_only = frozenset(
        {"max_iter", "early_stopping", "validation_fraction", "n_iter_no_change", "tol"}
    )

    def _check_same_width(self, n_features):
        """Refuse a later ``partial_fit`` whose ``n_components`` gives
        another width than the fitted network's, as IncrementalPCA does: the
        width is fixed by the first call. A float (a searched width) must be
        the one ``fit`` searched with."""
        built = getattr(self, "_built_with", None)
        if isinstance(self.n_components, Integral | str):
            same = self._resolve_n_components(n_features) == self.n_components_
        elif built is None:  # a fit pickled before _built_with was kept
            same = True
        else:
            same = _same_param(self.n_components, built["n_components"])
        if not same:
            raise ValueError(
                f"n_components={self.n_components!r} differs from "
                f"n_components_={self.n_components_} of the fitted "
                "network; call fit to start over with another width."
            )

    def _check_unchanged_since_built(self):
        """Refuse a later ``partial_fit`` after ``set_params`` changed a
        parameter that it cannot apply to the built network."""
        built = getattr(self, "_built_with", None)
        if built is None:
            return
        ignored = self._read_by_partial_fit | self._read_by_fit_only
        changed = sorted(
            name
            for name, value in self.get_params(deep=False).items()
            if name not in ignored | {"n_components"}
            and not _same_param(value, built[name])
        )
        if changed:
            raise ValueError(
                f"{', '.join(changed)} changed since the network was built; "
                "partial_fit continues its training and applies changes of "
                f"{', '.join(sorted(self._read_by_partial_fit))} only. Call "
                "fit to start over with the new values."
            )

    # Fitted state whose name does not end in "_" (see _forget_fit).
    _private_fitted = ("_built_with",)

    def _forget_fit(self):
        """Remove every fitted attribute: each fit starts from a clean slate."""
        for name in [key for key in vars(self) if key.endswith("_")]:
            delattr(self, name)
        for name in self._private_fitted:
            vars(self).pop(name, None)

    @contextmanager
    def _unfitted_on_error(self):
        """A fit that fails leaves no fitted attribute behind, old or new."""
        try:
            yield
        except BaseException:
            self._forget_fit()
            raise

    @contextmanager
    def _kept_on_error(self):
        """A later ``partial_fit`` that fails (training diverged on its
        chunk) leaves the fit as it was before the call.

        Training changes the network's weights and buffers, its mode
        (dropout, batch norm), the optimizer's state and the history in
        place; the rest is replaced, not changed, so a shallow copy of the
        attributes keeps it.
        """
        net = self.net_
        training = net.module_.training
        attributes, net_attributes = dict(vars(self)), dict(vars(net))
        weights = {k: v.clone() for k, v in net.module_.state_dict().items()}
        optimizer = copy.deepcopy(net.optimizer_.state_dict())
        n_epochs = len(net.history)
        try:
            yield
        except BaseException:
            net.module_.load_state_dict(weights)
            net.module_.train(training)  # eval, as fit leaves it
            net.optimizer_.load_state_dict(optimizer)
            del net.history[n_epochs:]
            vars(net).clear()
            vars(net).update(net_attributes)
            vars(self).clear()
            vars(self).update(attributes)
            raise

    def _fit_size(self, X, n_components, seed):
        """Fit with a code of ``n_components``; return the indices of the
        rows to report on.

        Those are the validation rows, or without them the training rows,
        at most ``MAX_REPORTED_ROWS`` of either, spread over them (see
        spread_sample): the fitted attributes measured on them cost little
        next to training, and X is never copied as a whole.
        """
        train, valid = self._initialize(X, self.early_stopping, n_components, seed)
        self._train(self._within_budget(train, seed), epochs=self.net_.max_epochs)
        rows = (valid if valid is not None else train).indices
        return spread_sample(rows, MAX_REPORTED_ROWS)

    def _budget(self, n_train):
        """Rows per batch, most epochs and patience (in epochs) for
        ``n_train`` training rows, each as its parameter says (the batch size
        capped at ``n_train``) or, for "auto", derived.

        "auto" counts in updates: batches of ``n_train / 32`` rows within
        ``_auto_batch_range`` ([32, 200] unless the estimator says
        otherwise), so 32 updates per epoch where that range allows; at most
        ``_auto_updates(batch_size)`` updates (rounded up to whole epochs,
        or one epoch cut to them, see _within_budget) and
        ``_auto_max_epochs`` epochs (20,000 and 1,000 unless the estimator
        says otherwise); a stop after ``_auto_patience_updates`` updates
        without improvement (1,000 unless the estimator says otherwise),
        within ``_auto_patience_range`` epochs (2 to 50 unless the estimator
        says otherwise).
        """
        n_train = max(n_train, 1)
        rows_per_batch = min(self._batch_size(n_train), n_train)
        batches = math.ceil(n_train / rows_per_batch)
        max_epochs = self.max_iter
        if max_epochs == "auto":
            max_epochs = min(
                math.ceil(self._auto_updates(rows_per_batch) / batches),
                self._auto_max_epochs,
            )
        patience = self.n_iter_no_change
        if patience == "auto":
            epochs = math.ceil(self._auto_patience_updates / batches)
            patience = int(np.clip(epochs, *self._auto_patience_range))
        return rows_per_batch, max_epochs, patience

    def _batch_size(self, n_train):
        """The rows per batch that ``batch_size`` gives for ``n_train``
        training rows, before the cap at ``n_train``."""
        if self.batch_size != "auto":
            return self.batch_size
        return int(np.clip(n_train // AUTO_MIN_BATCHES, *self._auto_batch_range))

    def _chunk_rate(self, n_rows):
        """The factor on ``learning_rate_init`` for a ``partial_fit`` chunk
        of ``n_rows``: the square root of their share of a full batch, where
        they fill less.

        Adam moves each weight by about the learning rate whatever the
        batch, so a step on a chunk of a few rows, whose gradient is mostly
        noise, would move the weights as far as one on a full batch: a
        fitted network fed rows one at a time drifted far from what it had
        learnt. This is the learning-rate part of the square-root scaling
        rule for Adam, which keeps training on smaller batches close to
        training on full ones, row for row (Malladi et al., "On the SDEs
        and Scaling Rules for Adaptive Gradient Algorithms", NeurIPS 2022;
        the rule also adjusts Adam's betas, which stay as they are here).
        """
        return math.sqrt(min(1.0, n_rows / self._batch_size(n_rows)))

    def _within_budget(self, train, seed):
        """The training rows ``train``; with ``max_iter="auto"``, where one
        epoch over them would make more updates than the budget (see
        _budget), as many of them, drawn at random, as the budget's updates
        take: the epoch is cut to the budget, rather than the budget
        rounded up to the epoch."""
        if self.max_iter != "auto" or not self._cuts_long_epochs:
            return train
        rows_per_batch = self.net_.batch_size
        n_rows = self._auto_updates(rows_per_batch) * rows_per_batch
        if len(train) <= n_rows:
            return train
        # A stream of its own: the noise draws from [seed, 1] and [seed, 2].
        rng = np.random.default_rng([seed, 3])
        rows = np.sort(rng.choice(train.indices, n_rows, replace=False))
        return ScaledRows(train.X, rows, train.scaler, train.missing)

    def _training_config(self, seed, device, n_train, callbacks=()):
        """The :class:`TrainingConfig` this estimator's parameters say for
        ``n_train`` training rows."""
        batch_size, max_epochs, patience = self._budget(n_train)
        return TrainingConfig(
            max_epochs=max_epochs,
            batch_size=batch_size,
            learning_rate=self.learning_rate_init,
            weight_decay=self.alpha,
            n_iter_no_change=patience,
            tol=self.tol,
            seed=seed,
            verbose=self.verbose,
            device=device,
            callbacks=list(callbacks),
            corruption=self._corruption(),
            support_fraction=self._support_fraction(),
            sparsity=self._sparsity(),
            weight_average_decay=self._weight_average_decay,
            keep_start=self._keep_start,
            divergence_suspect=self._divergence_suspect(),
        )

    def _initialize(self, X, validation, n_components, seed):
        """Set the scaling, build ``net_``, start it from PCA.

        Returns the training rows and the validation rows (or None).
        """
        n_samples, n_features = X.shape
        module, module_params = self._module_and_params(n_features, n_samples)
        if n_components > n_features and self._sparsity() == 0:
            fix = "Lower n_components."
            if "sparsity" in self.get_params():
                fix = (
                    "Set sparsity > 0 (for example 1e-3) for an overcomplete "
                    "code, or lower n_components."
                )
            raise ValueError(
                f"n_components={n_components} must be at most "
                f"n_features={n_features}: a code wider than the input learns "
                f"nothing but a copy unless it is kept sparse. {fix}"
            )
        # The start takes the PCA of the training rows, whose centred span
        # has one axis fewer than they have rows: rows are held out only as
        # far as those left still span a code narrower than the input,
        # where all the rows do. A code as wide as the input (the
        # imputer's) is wider than that span on any table as wide as it is
        # long, and keeps its validation rows.
        min_train = MIN_TRAINING_ROWS
        if n_features > n_components and n_samples > n_components:
            min_train = max(min_train, n_components + 1)
        n_valid = 0
        if validation and n_samples > min_train:
            n_valid = min(
                max(1, round(self.validation_fraction * n_samples)),
                n_samples - min_train,
            )
        # Copies of a row are held out together (see split_rows).
        indices, n_valid = split_rows(
            X,
            n_valid,
            np.random.default_rng(seed),
            max_valid=n_samples - min_train,
        )

        missing = self._takes_missing and bool(np.isnan(X).any())
        scaler = fit_scaler(X, self._standardize(), missing, self._resists_gross_errors)
        self.mean_, self.scale_ = scaler.mean, scaler.scale
        self.n_components_ = n_components

        def rows(selected):
            return ScaledRows(X, np.sort(selected), scaler, missing)

        train = rows(indices[n_valid:])
        valid = rows(indices[:n_valid]) if n_valid else None
        config = self._training_config(
            seed, self._device(), len(train), self._cloned_callbacks()
        )
        if valid is None:
            _check_no_validation_monitors(config.callbacks)
        noise = config.corruption.noise
        if callable(noise):
            # A wrong signature or shape fails here, before any training.
            try:
                train.corrupted_batch(
                    train.indices[:2], noise, np.random.default_rng(0)
                )
            except TypeError as error:
                raise TypeError(
                    f"noise={noise!r} failed when called as noise(X_batch, rng) "
                    f"on two training rows: {error}"
                ) from error
        module_params = {
            "n_features": n_features,
            "n_components": n_components,
            **module_params,
        }
        self.net_ = build_net(module, module_params, train, valid, config)
        self._built_with = self.get_params(deep=False)
        with torch_compute(self.n_jobs), seeded_torch(seed):
            self._initialize_net()
            self._check_module(train)
        if hasattr(self.net_.module_, "start_from_pca"):
            # From the training rows alone: the validation rows judge the
            # start too (early stopping may keep it), and the detector's
            # threshold takes them for unseen rows.
            rows = None if valid is None else train.indices
            axes = leading_axes(X, scaler, n_components, missing, rows=rows)
            if rows is not None and not axes.any():
                # Training rows all copies of one: no direction to start
                # from, where all the rows give one.
                axes = leading_axes(X, scaler, n_components, missing)
            self.net_.module_.start_from_pca(axes)
        return train, valid

    def _cloned_callbacks(self):
        """Clones of ``callbacks`` (skorch writes its run state into them),
        each a skorch Callback or, as skorch also takes, a (name, Callback)
        pair."""
        cloned, names = [], set()
        for item in self.callbacks or []:
            name, callback = (
                item if isinstance(item, tuple) and len(item) == 2 else (None, item)
            )
            if not isinstance(callback, Callback) or not (
                name is None or isinstance(name, str)
            ):
                raise TypeError(
                    "callbacks must hold skorch Callback instances or (name, "
                    f"Callback) pairs, got {item!r}."
                )
            if name in RESERVED_CALLBACK_NAMES:
                raise ValueError(
                    f"callbacks: the name {name!r} is taken by one of the "
                    f"estimator's own callbacks ({', '.join(RESERVED_CALLBACK_NAMES)}"
                    "); give yours another name."
                )
            # Unnamed ones skorch names by their class, numbered.
            if name is not None and name in names:
                raise ValueError(
                    f"callbacks: the name {name!r} is given twice; give each "
                    "callback a name of its own."
                )
            names.add(name)
            try:
                callback = clone(callback)
            except (TypeError, RuntimeError) as error:
                raise TypeError(
                    f"callbacks: {callback!r} cannot be cloned ({error}). Each "
                    "callback is cloned before training, as scikit-learn clones "
                    "estimators: its __init__ may set only its parameters, as "
                    "given (set run state in its initialize()), and they must "
                    "be deep-copyable."
                ) from error
            cloned.append(callback if name is None else (name, callback))
        return cloned

    def _module_and_params(self, n_features, n_samples=None):
        """The module class and its parameters besides the two widths, for
        ``n_samples`` rows to fit (see _check_hidden_layer_sizes)."""
        image_shape = self._check_image_shape(n_features)
        if isinstance(self.module, nn.Module):
            raise TypeError(
                f"module must build a torch.nn.Module (a class), got an instance "
                f"of {type(self.module).__name__}: the estimator builds the "
                "module itself, with n_features from X and n_components. Pass "
                "the class, its other arguments in module_params."
            )
        if self.module is not None:
            if image_shape is not None:
                raise ValueError(
                    "image_shape selects a built-in convolutional network; with "
                    f"module={self.module!r} pass what it needs in module_params."
                )
            taken = sorted(
                {"n_features", "n_components"} & set(self.module_params or {})
            )
            if taken:
                raise ValueError(
                    f"module_params must not set {', '.join(taken)}: the estimator "
                    "builds the module with n_features from X and n_components "
                    "from its own parameter."
                )
            return self.module, dict(self.module_params or {})
        if self.module_params:
            raise ValueError(
                "module_params are passed to a module of your own; set module "
                "too, or use hidden_layer_sizes and activation."
            )
        params = {
            "hidden_layer_sizes": self._check_hidden_layer_sizes(n_features, n_samples),
            "activation": self.activation,
            **self._network_params(),
        }
        if image_shape is None:
            return MLPAutoencoder, params
        if not params["hidden_layer_sizes"]:
            raise ValueError(
                "hidden_layer_sizes are the channels of the convolutions when "
                "image_shape is set; give at least one."
            )
        return ConvAutoencoder, {**params, "image_shape": image_shape}

    def _check_image_shape(self, n_features):
        """``image_shape`` as (C, H, W), checked against ``n_features``."""
        if self.image_shape is None:
            return None
        shape = _positive_ints(self.image_shape)
        if shape is None or len(shape) not in (2, 3):
            raise ValueError(
                "image_shape must be (height, width) or (channels, height, "
                f"width) in positive ints, got {self.image_shape!r}."
            )
        if np.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={shape} holds {np.prod(shape)} values per image, "
                f"but X has {n_features} features."
            )
        return shape if len(shape) == 3 else (1, *shape)

    def _initialize_net(self):
        """Initialize ``net_``, naming the fault when ``module`` builds no
        trainable torch module."""
        try:
            self.net_.initialize()
        except Exception as error:
            if not hasattr(self.net_, "module_"):
                # skorch builds the callbacks first: if they are there, the
                # module's constructor raised.
                if self.module is None or not hasattr(self.net_, "callbacks_"):
                    raise
                # Say with what, and keep the reason.
                raise TypeError(
                    f"module={self.module!r} failed to build from n_features, "
                    f"n_components and module_params={self.module_params!r}: "
                    f"{error}"
                ) from error
            module = self.net_.module_
            if not isinstance(module, nn.Module):
                raise TypeError(
                    f"module={self.module!r} must build a torch.nn.Module, got "
                    f"{type(module).__name__}."
                ) from error
            self._check_trainable(module, error)
            raise

    def _check_trainable(self, module, cause=None):
        if not any(param.requires_grad for param in module.parameters()):
            raise ValueError(
                f"module={self.module!r} has no trainable parameters (none "
                "with requires_grad=True)."
            ) from cause

    def _check_module(self, train):
        """Fail before training when ``module`` breaks the contract."""
        module = self.net_.module_
        self._check_trainable(module)
        dtypes = {param.dtype for param in module.parameters()} - {torch.float32}
        if dtypes:
            raise TypeError(
                f"module={self.module!r} has parameters of dtype "
                f"{sorted(map(str, dtypes))}; the network computes in float32 "
                "(and builds it with float32 as torch's default dtype): build its "
                "layers without a dtype."
            )
        missing = [
            name
            for name in ("encode", "decode")
            if not callable(getattr(module, name, None))
        ]
        if missing:
            raise TypeError(
                f"module={self.module!r} must define {' and '.join(missing)}: "
                "encode(x) -> code and decode(code) -> reconstruction."
            )
        x = train.batch(train.indices[:2]).nan_to_num().to(self.net_.device)
        expected = [(len(x), train.scaler.mean.shape[0]), (len(x), self.n_components_)]
        with torch.no_grad():
            out = module(x)
            shapes = None
            if isinstance(out, tuple | list) and len(out) == 2:
                shapes = [tuple(getattr(part, "shape", ())) for part in out]
            if shapes != expected:
                raise ValueError(
                    f"module={self.module!r}: forward(x) must return "
                    f"(reconstruction, code) of shapes {expected[0]} and "
                    f"{expected[1]} for a batch of {len(x)} rows."
                )
            code = module.encode(x)
            shape = tuple(getattr(code, "shape", ()))
            if shape == expected[1]:
                shape = tuple(getattr(module.decode(code), "shape", ()))
                if shape == expected[0]:
                    self._check_float64_copy(module, x)
                    return
        raise ValueError(
            f"module={self.module!r}: encode(x) must return codes of shape "
            f"{expected[1]} and decode(code) rows of shape {expected[0]} for "
            f"a batch of {len(x)} rows, got {shape}."
        )

    def _check_float64_copy(self, module, x):
        """Fail before training when the float64 copy of ``module`` that
        scores rows (see _reconstruction_error) cannot run. The built-in
        networks run in either dtype: copying them here would only cost."""
        if self.module is None or not self._scores_in_float64:
            return
        double = copy.deepcopy(module).double()
        try:
            double.decode(double.encode(x.double()))
        except RuntimeError as error:
            raise TypeError(
                f"module={self.module!r} fails in float64 ({error}): scores "
                "are computed by a float64 copy of the module on float64 rows, "
                "so encode and decode must keep their input's dtype (no "
                ".float() inside)."
            ) from error

    def _train(self, train, epochs):
        with torch_compute(self.n_jobs):
            self.net_.partial_fit(train, epochs=epochs)
        self.net_.module_.eval()
        history = self.net_.history
        # An epoch cut short by an interrupt has no training loss: it does
        # not count.
        completed = [epoch for epoch in history if "train_loss" in epoch]
        self.n_iter_ = len(completed)
        self.loss_curve_ = [epoch["train_loss"] for epoch in completed]
        validation_scores = [
            -epoch["valid_loss"] for epoch in history if "valid_loss" in epoch
        ]
        self.validation_scores_ = validation_scores or None
        if validation_scores:
            self.best_validation_score_ = max(validation_scores)

    def _resolve_n_components(self, n_features):
        if self.n_components == "auto":
            return self._auto_n_components(n_features)
        return self.n_components

    def _auto_n_components(self, n_features):
        """The code's width that n_components="auto" gives: half the
        features, at most ``_auto_max_components``."""
        # Narrow enough that the network must learn the structure, wide
        # enough to rebuild the rows it is meant to rebuild.
        width = max(1, n_features // 2)
        if self._auto_max_components is not None:
            width = min(width, self._auto_max_components)
        return width

    def _check_hidden_layer_sizes(self, n_features, n_samples=None):
        """``hidden_layer_sizes`` as a tuple; "auto" gives
        ``_auto_hidden_depth`` layers of four units per feature (with
        ``_auto_width_caps_at_rows``, at most ``n_samples`` units), within
        ``_auto_width_range``, or one convolution of
        ``_auto_image_channels`` channels for images."""
        if isinstance(self.hidden_layer_sizes, str):
            if self.image_shape is not None:
                return (self._auto_image_channels,)
            width = AUTO_WIDTH_PER_FEATURE * n_features
            if self._auto_width_caps_at_rows and n_samples is not None:
                width = min(width, n_samples)
            return (int(np.clip(width, *self._auto_width_range)),) * (
                self._auto_hidden_depth
            )
        sizes = _positive_ints(self.hidden_layer_sizes)
        if sizes is None:
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive ints, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return sizes

    def _device(self):
        """The torch device to train on: ``"auto"`` picks CUDA when present.

        A device this machine does not have is refused here, before any
        torch object exists.
        """
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        try:
            device = torch.device(self.device)
        except RuntimeError as error:
            raise ValueError(
                f"device={self.device!r} is not a torch device; use 'cpu', "
                "'cuda', 'cuda:1', 'auto', ..."
            ) from error
        if device.type == "cuda":
            n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
            if (device.index or 0) >= n_gpus:
                raise ValueError(
                    f"device={self.device!r} is not available: torch sees "
                    f"{n_gpus} CUDA device(s) here. Use 'cpu', or 'auto' to take "
                    "a GPU when there is one."
                )
        elif device.type == "mps":
            if not torch.backends.mps.is_available():
                raise ValueError(
                    f"device={self.device!r} is not available: torch sees no MPS "
                    "device here. Use 'cpu' or 'auto'."
                )
        elif device.type != "cpu":
            raise ValueError(
                f"device={self.device!r} cannot train a network here; use "
                "'cpu', 'cuda', 'cuda:1', 'mps' or 'auto'."
            )
        return self.device

    # ------------------------------------------------------------ inference

    def _validate_inference_input(self, X):
        check_is_fitted(self)
        return self._validate_X(X, reset=False)

    def _map(self, X, fn, n_outputs, dtype=None, progress=True):
        with torch_compute(self.n_jobs):
            return map_batches(
                X,
                fn,
                n_outputs,
                dtype or X.dtype,
                progress=progress and self.verbose >= 2,
                batch_rows=self._inference_batch_rows(),
            )

    def _inference_batch_rows(self):
        """Rows per inference batch: fewer for networks with large
        activations per row (see inference_batch_rows)."""
        return inference_batch_rows(self.net_.module_, self.n_features_in_)

    def _encode(self, X):
        module = self.net_.module_
        scaler = self._scaler()
        return self._map(
            X, lambda x: module.encode(scaler.transform(x)), self.n_components_
        )

    def _decode(self, Z):
        module, device = self.net_.module_, self.net_.device
        scaler = self._scaler()

        scaler.check_float32(Z, codes=True)

        def decode(z):
            code = torch.from_numpy(z.astype(np.float32)).to(device)
            return scaler.inverse_transform(module.decode(code), Z.dtype)

        return self._map(Z, decode, self.n_features_in_)

    def _reconstruction_error(self, X, per_feature=False, code_bounds=None):
        """Squared reconstruction errors in scaled units, as float64.

        Per feature, shape (n_samples, n_features), or their mean per row,
        shape (n_samples,). Codes are clipped to ``code_bounds`` (lower,
        upper) before decoding when given.

        Computed in float64 by a float64 copy of the network: the errors
        are finite for every row float32 holds, and a row's error depends
        on the rows that share its batch by float64 rounding at most
        (float32 matrix products round differently for different batch
        sizes, far more). Scores are float64 whatever the input, as
        scikit-learn's own ``score_samples`` are.
        """
        module = copy.deepcopy(self.net_.module_).double()
        scaler = self._scaler()
        if code_bounds is not None:
            code_bounds = [
                torch.as_tensor(b, dtype=torch.float64, device=self.net_.device)
                for b in code_bounds
            ]

        def error(x):
            x = scaler.transform(x, torch.float64)
            code = module.encode(x)
            if code_bounds is not None:
                code = torch.clamp(code, *code_bounds)
            squared = (module.decode(code) - x) ** 2
            return squared if per_feature else squared.mean(dim=1, keepdim=True)

        n_outputs = self.n_features_in_ if per_feature else 1
        errors = self._map(X, error, n_outputs, dtype=np.float64)
        return errors if per_feature else errors[:, 0]


def preserve_float32(tags):
    """``tags`` of a transformer whose output has its input's float dtype.

    Set from a class before scikit-learn's ``TransformerMixin`` in the
    method resolution order: the mixin replaces the transformer tags."""
    tags.transformer_tags.preserves_dtype = ["float64", "float32"]
    return tags


class EncoderMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """The encoder's API: ``transform`` encodes, ``inverse_transform``
    decodes, ``score_samples`` scores rows by reconstruction error.

    For estimators built on :class:`BaseAutoencoder`.
    """

    _scores_in_float64 = True

    def __sklearn_tags__(self):
        return preserve_float32(super().__sklearn_tags__())

    def transform(self, X):
        """Encode ``X`` into its code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in the dtype of ``X`` (float32 or float64).
        """
        return self._encode(self._validate_inference_input(X))

    def inverse_transform(self, X):
        """Decode codes back to the original feature space and units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstruction, in the dtype of ``X`` (float32 or float64).
        """
        check_is_fitted(self)
        X = check_array(
            X, dtype=[np.float64, np.float32], estimator=self, input_name="X"
        )
        check_finite_float32(X, estimator=self)
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"codes with n_components_={self.n_components_} features."
            )
        return self._decode(X)

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each row.

        The error is measured in the scaled units (see ``scale_``);
        higher means better reconstructed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative reconstruction error per row.
        """
        return -self._reconstruction_error(self._validate_inference_input(X))

    @property
    def _n_features_out(self):
        return self.n_components_
