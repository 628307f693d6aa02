"""The shared estimator base: parameters, validation, fitting and inference."""

from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from joblib import cpu_count
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._network import ACTIVATIONS, ConvAutoencoder, MLPAutoencoder
from ._training import (
    INFERENCE_BATCH_SIZE,
    BatchIterator,
    ScaledRows,
    build_net,
    column_moments,
    map_batches,
    principal_axes,
    seeded_torch,
    torch_threads,
)

# Rows on which reconstruction_r2_ and code_sparsity_ are measured, at most.
MAX_REPORTED_ROWS = 10_000

# The largest magnitude the network's float32 arithmetic holds.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(X):
    """``X``, or a ValueError if it holds a value that float32 cannot.

    The network computes in float32: a larger value would become inf there
    and every output NaN. fmax / fmin skip NaN (missing values) and make no
    temporary copy of ``X``.
    """
    if X.dtype == np.float64 and X.size:
        largest = max(np.fmax.reduce(X, axis=None), -np.fmin.reduce(X, axis=None))
        if largest > FLOAT32_MAX:
            raise ValueError(
                f"X contains a value of magnitude {largest:.4g}, beyond what "
                f"float32 holds ({FLOAT32_MAX:.4g}): the network computes in "
                "float32. Rescale X."
            )
    return X


def evenly_spread(rows, limit):
    """At most ``limit`` of ``rows``, evenly spread over them."""
    if len(rows) <= limit:
        return rows
    return rows[np.linspace(0, len(rows) - 1, limit).astype(int)]


class BaseAutoencoder(BaseEstimator):
    """Everything the autoencoder estimators share.

    Parameters, validation, scaling, seeding, the network, training through
    skorch and batched inference are defined here once; the estimators add
    the public methods of their kind (:class:`EncoderMixin` for those whose
    ``transform`` returns the code).
    """

    # Whether X may hold NaN (missing values) in fit and inference.
    _allow_nan = False

    @property
    def _reads_hidden(self):
        """Whether the network gets NaN for the entries it must fill in.

        The built-in networks of an estimator that takes missing values do,
        and read them through an indicator; a module of your own gets 0
        (the feature's mean) instead, as the module contract promises.
        """
        return self._allow_nan and self.module is None

    @property
    def _hidden_targets(self):
        """Whether training counts only the entries the noise hides.

        So for an estimator that takes missing values and a noise that
        hides entries: it is then trained on the entries it will fill in.
        """
        return self._allow_nan and (self.noise == "mask" or callable(self.noise))

    _parameter_constraints = {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "standardize": ["boolean"],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "noise": [StrOptions({"gaussian", "mask"}), callable, None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "image_shape": ["array-like", None],
        "module": [callable, None],
        "module_params": [dict, None],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str],
        "callbacks": [list, None],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(64,),
        activation="relu",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        standardize=False,
        sparsity=0.0,
        noise=None,
        noise_level=0.1,
        image_shape=None,
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
        self.sparsity = sparsity
        self.noise = noise
        self.noise_level = noise_level
        self.image_shape = image_shape
        self.module = module
        self.module_params = module_params
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.callbacks = callbacks

    # ------------------------------------------------------------------ fit

    def _fit(self, X):
        X = self._validate_training_data(X, reset=True)
        with self._unfitted_on_error():
            seed = self._draw_seed()
            n_components = self._resolve_n_components(X.shape[1])
            if isinstance(n_components, Integral):
                held_out = self._fit_size(X, n_components, seed)
            else:
                held_out = self._search_size(X, n_components, seed)
            self.reconstruction_r2_ = self._held_out_r2(held_out)
            codes = self._encode(held_out)
            self.code_sparsity_ = float(np.mean(np.abs(codes) < 1e-3))
        return X

    def _fit_size(self, X, n_components, seed):
        """Fit with a code of ``n_components``; return the rows to report on.

        Those are the validation rows, or without them the training rows,
        at most ``MAX_REPORTED_ROWS`` of either, evenly spread: the fitted
        attributes measured on them cost little next to training, and X is
        never copied as a whole.
        """
        train, valid = self._initialize(
            X, validation=self.early_stopping, n_components=n_components, seed=seed
        )
        self._train(train, epochs=self.max_iter)
        rows = (valid if valid is not None else train).indices
        return X[evenly_spread(rows, MAX_REPORTED_ROWS)]

    def _search_size(self, X, target, seed):
        """Fit the smallest code whose held-out R^2 reaches ``target``.

        A bisection over code sizes 1 ... n_features, so about
        log2(n_features) fits, each with the same seed: a code as wide as
        the input starts at (and never ends below) PCA's exact
        reconstruction, so the search always ends.
        """
        low, high = 1, X.shape[1]
        candidate_r2, held_out = {}, None
        while low < high:
            size = (low + high) // 2
            held_out = self._fit_size(X, size, seed)
            candidate_r2[size] = self._held_out_r2(held_out)
            if candidate_r2[size] >= target:
                high = size
            else:
                low = size + 1
        # The model fitted last is kept when its size is the answer.
        if held_out is None or self.n_components_ != high:
            held_out = self._fit_size(X, high, seed)
            candidate_r2[high] = self._held_out_r2(held_out)
        self.candidate_r2_ = dict(sorted(candidate_r2.items()))
        return held_out

    def _held_out_r2(self, X):
        """1 - SSE / SST of the reconstruction of ``X``, in scaled units.

        When training counts only the entries the noise hides (see
        ``_hidden_targets``), of the entries that one fixed draw of the noise
        hides in ``X``: what training optimized and ``transform`` uses.
        """
        if self._hidden_targets:
            return self._hidden_entries_r2(X)
        module = self.net_.module_
        to_scaled = self._scaler()

        def squares(x):
            observed = ~torch.isnan(x) if self._allow_nan else None
            x = to_scaled(x)
            residual = module(x)[0] - x
            if observed is not None:
                # Missing entries count for nothing, as in training.
                residual = torch.where(observed, residual, 0.0)
                x = x.nan_to_num(nan=0.0)
            return torch.stack([(residual**2).sum(dim=1), (x**2).sum(dim=1)], dim=1)

        sse, sst = self._map(X, squares, 2, dtype=np.float64).sum(axis=0)
        return float(1.0 - sse / max(sst, np.finfo(np.float64).tiny))

    def _hidden_entries_r2(self, X):
        rows = ScaledRows(X, np.arange(len(X)), self.mean_, self.scale_, missing=True)
        batches = BatchIterator(
            rows,
            INFERENCE_BATCH_SIZE,
            noise=self.noise,
            noise_level=self.noise_level,
            fixed_noise=True,
            fill_hidden=not self._module_reads_hidden(),
            hidden_targets=True,
        )
        module, device = self.net_.module_, self.net_.device
        sse = sst = 0.0
        with torch_threads(self._n_threads()), torch.no_grad():
            for x, target in batches:
                target = target.to(device)
                counted = ~torch.isnan(target)
                target = target.nan_to_num(nan=0.0)
                residual = torch.where(counted, module(x.to(device))[0] - target, 0.0)
                sse += float((residual.double() ** 2).sum())
                sst += float((target.double() ** 2).sum())
        return float(1.0 - sse / max(sst, np.finfo(np.float64).tiny))

    def _module_reads_hidden(self):
        """Whether the fitted network takes NaN for the entries to fill in."""
        return bool(getattr(self.net_.module_, "missing_indicator", False))

    def _partial_fit(self, X):
        first_call = not hasattr(self, "net_")
        X = self._validate_training_data(X, reset=first_call)
        if first_call and not isinstance(self.n_components, Integral | str):
            raise ValueError(
                f"partial_fit needs an int n_components, got {self.n_components!r}:"
                " a code size searched from the data needs the data at once (fit)."
            )
        with self._unfitted_on_error():
            if first_call:
                train, _ = self._initialize(
                    X,
                    validation=False,
                    n_components=self._resolve_n_components(X.shape[1]),
                    seed=self._draw_seed(),
                )
            else:
                # Later chunks train one plain epoch each: no held-out rows
                # (their data is not kept), so no validation, no stopping.
                self.net_.train_split = None
                self.net_.callbacks_ = [
                    (name, callback)
                    for name, callback in self.net_.callbacks_
                    if name != "early_stopping"
                ]
                train = ScaledRows(
                    X,
                    np.arange(X.shape[0]),
                    self.mean_,
                    self.scale_,
                    missing=self.net_.criterion_.missing,
                )
                # Each call shuffles and corrupts anew (a chunk seen twice
                # is not seen the same way twice), reproducibly: the seed
                # follows from the first call's and the epochs run so far.
                self.net_.iterator_train__seed = self._chunk_seed()
            self._train(train, epochs=1)
        return X

    def _chunk_seed(self):
        # The validation iterator keeps the seed the first call drew.
        entropy = [self.net_.iterator_valid__seed, len(self.net_.history)]
        return int(np.random.SeedSequence(entropy).generate_state(1)[0] >> 1)

    @contextmanager
    def _unfitted_on_error(self):
        """A fit that fails leaves no fitted attribute behind, old or new."""
        try:
            yield
        except BaseException:
            for name in [key for key in vars(self) if key.endswith("_")]:
                delattr(self, name)
            raise

    def _initialize(self, X, validation, n_components, seed):
        """Set the scaling, build ``net_``, start it from PCA.

        Returns the training rows and the validation rows (or None).
        """
        n_samples, n_features = X.shape
        module, module_params = self._module_and_params(n_features)
        if self.noise == "mask" and self.noise_level >= 1:
            raise ValueError(
                f"noise_level={self.noise_level} must be below 1 with "
                "noise='mask': it is the fraction of entries masked."
            )
        if n_components > n_features and self.sparsity == 0:
            raise ValueError(
                f"n_components={n_components} must be at most "
                f"n_features={n_features}: a code wider than the input learns "
                "nothing but a copy unless it is kept sparse. Set sparsity > 0 "
                "(for example 1e-3) for an overcomplete code, or lower "
                "n_components."
            )
        indices = np.random.default_rng(seed).permutation(n_samples)
        n_valid = 0
        if validation and n_samples > 1:
            n_valid = min(
                max(1, round(self.validation_fraction * n_samples)), n_samples - 1
            )

        missing = self._allow_nan and bool(np.isnan(X).any())
        self.mean_, cov = column_moments(X, missing=missing)
        variances = np.diag(cov)
        if self.standardize:
            scale = np.sqrt(variances)
        else:
            scale = np.full(n_features, np.sqrt(variances.mean()))
        scale[scale < 10 * np.finfo(np.float64).eps * (1 + np.abs(self.mean_))] = 1.0
        self.scale_ = scale
        self.n_components_ = n_components

        def rows(selected):
            return ScaledRows(X, np.sort(selected), self.mean_, scale, missing)

        train = rows(indices[n_valid:])
        valid = rows(indices[:n_valid]) if n_valid else None
        if callable(self.noise):
            # A wrong shape fails here, before any training.
            train.corrupted_batch(
                train.indices[:2], self.noise, np.random.default_rng(0)
            )

        callbacks = [clone(callback) for callback in self.callbacks or []]
        self.net_ = build_net(
            module,
            {
                "n_features": n_features,
                "n_components": self.n_components_,
                **module_params,
            },
            train=train,
            valid=valid,
            max_epochs=self.max_iter,
            batch_size=200 if self.batch_size == "auto" else self.batch_size,
            learning_rate=self.learning_rate_init,
            weight_decay=self.alpha,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            seed=seed,
            verbose=self.verbose,
            device=self._device(),
            callbacks=callbacks,
            support_fraction=self._support_fraction(),
            sparsity=self.sparsity,
            noise=self.noise,
            noise_level=self.noise_level,
            fill_hidden=not self._reads_hidden,
            hidden_targets=self._hidden_targets,
        )
        with torch_threads(self._n_threads()), seeded_torch(seed):
            self.net_.initialize()
            self._check_module(train)
        if hasattr(self.net_.module_, "start_from_pca"):
            axes = principal_axes(cov / np.outer(scale, scale), self.n_components_)
            self.net_.module_.start_from_pca(axes)
        return train, valid

    def _module_and_params(self, n_features):
        """The module class and its parameters besides the two widths."""
        image_shape = self._check_image_shape(n_features)
        if self.module is not None:
            if image_shape is not None:
                raise ValueError(
                    "image_shape selects a built-in convolutional network; with "
                    f"module={self.module!r} pass what it needs in module_params."
                )
            return self.module, dict(self.module_params or {})
        if self.module_params:
            raise ValueError(
                "module_params are passed to a module of your own; set module "
                "too, or use hidden_layer_sizes and activation."
            )
        params = {
            "hidden_layer_sizes": self._check_hidden_layer_sizes(),
            "activation": self.activation,
        }
        if self._reads_hidden:
            params["missing_indicator"] = True
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
        shape = np.asarray(self.image_shape).ravel()
        if not (
            shape.size in (2, 3)
            and np.issubdtype(shape.dtype, np.integer)
            and np.all(shape > 0)
        ):
            raise ValueError(
                "image_shape must be (height, width) or (channels, height, "
                f"width) in positive ints, got {self.image_shape!r}."
            )
        shape = tuple(int(side) for side in shape)
        if np.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={shape} holds {np.prod(shape)} values per image, "
                f"but X has {n_features} features."
            )
        return shape if len(shape) == 3 else (1, *shape)

    def _check_module(self, train):
        """Fail before training when ``module`` breaks the contract."""
        module = self.net_.module_
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
        x = train.batch(train.indices[:2]).to(self.net_.device)
        if not self._reads_hidden:
            x = x.nan_to_num()
        with torch.no_grad():
            out = module(x)
        expected = [(len(x), train.mean.shape[0]), (len(x), self.n_components_)]
        shapes = None
        if isinstance(out, tuple | list) and len(out) == 2:
            shapes = [tuple(getattr(part, "shape", ())) for part in out]
        if shapes != expected:
            raise ValueError(
                f"module={self.module!r}: forward(x) must return "
                f"(reconstruction, code) of shapes {expected[0]} and "
                f"{expected[1]} for a batch of {len(x)} rows."
            )

    def _train(self, train, epochs):
        with torch_threads(self._n_threads()):
            self.net_.partial_fit(train, epochs=epochs)
        self.net_.module_.eval()
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history[:, "train_loss"])
        validation_scores = [
            -epoch["valid_loss"] for epoch in history if "valid_loss" in epoch
        ]
        self.validation_scores_ = validation_scores or None
        if validation_scores:
            self.best_validation_score_ = max(validation_scores)

    def _support_fraction(self):
        """Share of each batch, the rows rebuilt best, that the loss counts."""
        return 1.0

    def _resolve_n_components(self, n_features):
        if self.n_components == "auto":
            # Narrow enough that the network must learn the structure, wide
            # enough to rebuild the rows it is meant to rebuild.
            return max(1, n_features // 2)
        return self.n_components

    def _check_hidden_layer_sizes(self):
        sizes = np.asarray(self.hidden_layer_sizes).ravel()
        if sizes.size and not (
            np.issubdtype(sizes.dtype, np.integer) and np.all(sizes > 0)
        ):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive ints, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return tuple(int(size) for size in sizes)

    def _device(self):
        """The torch device to train on: ``"auto"`` picks CUDA when present."""
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        try:
            torch.device(self.device)
        except RuntimeError as error:
            raise ValueError(
                f"device={self.device!r} is not a torch device; use 'cpu', "
                "'cuda', 'cuda:1', 'auto', ..."
            ) from error
        return self.device

    def _draw_seed(self):
        if self.random_state is None:
            # A fresh seed from the OS: the global NumPy RNG stays untouched.
            return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
        return int(check_random_state(self.random_state).randint(2**31 - 1))

    def _n_threads(self):
        # None means one thread, as n_jobs=None means one job in scikit-learn:
        # small networks run fastest on one thread, and parallel searches
        # (GridSearchCV(n_jobs=...)) then never oversubscribe the cores.
        # Counted here rather than by joblib's effective_n_jobs, which
        # answers how many *processes* may start (1 inside a Dask worker).
        if self.n_jobs is None:
            return 1
        if self.n_jobs < 0:
            return max(1, cpu_count() + 1 + self.n_jobs)
        return self.n_jobs

    # ------------------------------------------------------------ inference

    def _validate_training_data(self, X, reset):
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if self._allow_nan else True,
            reset=reset,
        )
        return check_float32_range(X)

    def _validate_inference_input(self, X):
        check_is_fitted(self)
        return self._validate_training_data(X, reset=False)

    def _scaler(self):
        """A function that scales a float32 batch as training did."""
        mean, scale = self._scaling_tensors()
        if self._allow_nan and not self._module_reads_hidden():
            return lambda x: ((x - mean) / scale).nan_to_num(nan=0.0)
        return lambda x: (x - mean) / scale

    def _scaling_tensors(self):
        device = self.net_.device
        mean = torch.as_tensor(self.mean_, dtype=torch.float32, device=device)
        scale = torch.as_tensor(self.scale_, dtype=torch.float32, device=device)
        return mean, scale

    def _map(self, X, fn, n_outputs, dtype=None):
        with torch_threads(self._n_threads()):
            return map_batches(
                X,
                fn,
                n_outputs,
                dtype or X.dtype,
                self.net_.device,
                progress=self.verbose >= 2,
            )

    def _encode(self, X):
        module = self.net_.module_
        to_scaled = self._scaler()
        return self._map(X, lambda x: module.encode(to_scaled(x)), self.n_components_)

    def _reconstruct(self, X):
        """Rebuild ``X`` through the code, in its original units."""
        module = self.net_.module_
        to_scaled = self._scaler()
        mean, scale = self._scaling_tensors()
        return self._map(
            X, lambda x: module(to_scaled(x))[0] * scale + mean, self.n_features_in_
        )

    def _decode(self, Z):
        module = self.net_.module_
        mean, scale = self._scaling_tensors()
        return self._map(
            Z, lambda z: module.decode(z) * scale + mean, self.n_features_in_
        )

    def _code_bounds(self):
        """Bounds that codes are clipped to before decoding when scoring."""
        return None

    def _reconstruction_error(self, X, per_feature=False):
        """Squared reconstruction errors in scaled units, as float64.

        Per feature, shape (n_samples, n_features), or their mean per row,
        shape (n_samples,). Scores are float64 whatever the input, as
        scikit-learn's own ``score_samples`` are.
        """
        module = self.net_.module_
        to_scaled = self._scaler()
        bounds = self._code_bounds()
        if bounds is not None:
            bounds = [
                torch.as_tensor(b, dtype=torch.float32, device=self.net_.device)
                for b in bounds
            ]

        def error(x):
            x = to_scaled(x)
            code = module.encode(x)
            clipped = code if bounds is None else torch.clamp(code, *bounds)
            squared = (module.decode(clipped) - x) ** 2
            return squared if per_feature else squared.mean(dim=1, keepdim=True)

        n_outputs = self.n_features_in_ if per_feature else 1
        errors = self._map(X, error, n_outputs, dtype=np.float64)
        return errors if per_feature else errors[:, 0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = self._allow_nan
        return tags


class EncoderMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """The encoder's API: ``transform`` encodes, ``inverse_transform``
    decodes, ``score_samples`` scores rows by reconstruction error.

    For estimators built on :class:`BaseAutoencoder`.
    """

    def transform(self, X):
        """Encode ``X`` into its code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components_)
            The codes, in the dtype of ``X`` (float32 or float64).
        """
        return self._encode(self._validate_inference_input(X))

    def inverse_transform(self, X):
        """Decode codes back to the original feature space and units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            The reconstruction, in the dtype of ``X`` (float32 or float64).
        """
        check_is_fitted(self)
        X = check_array(
            X, dtype=[np.float64, np.float32], estimator=self, input_name="X"
        )
        check_float32_range(X)
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"codes with n_components_={self.n_components_} features."
            )
        return self._decode(X)

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each row.

        The error is measured in the scaled units (see ``standardize``);
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
