"""AutoencoderTransformer: a nonlinear drop-in for PCA."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch

from ._base import WEIGHT_AVERAGE_DECAY, BaseAutoencoder, EncoderMixin
from ._data import Corruption, leading_axes
from ._skorch import validation_loss, was_interrupted
from ._utils import (
    Interval,
    RealNotInt,
    StrOptions,
    _fit_context,
    caller_stacklevel,
)

# noise_level=None: the share of the entries noise="mask" masks, and the
# standard deviation of noise="gaussian" in the scaled units the network
# sees (a share of each feature's scale, whatever the data's units).
# Chosen among 0.05, 0.1, 0.2, 0.3 and 0.5 by the mean rank of the
# held-out reconstruction error on three development tables, standardized
# and not (benchmarks/results/noise_default.md).
DEFAULT_MASK_SHARE = 0.1
DEFAULT_NOISE_SCALE = 0.2

# Held-out rows needed to judge a trained network against its PCA start,
# at least: on fewer (tables of 25 rows or fewer hold out one or two at
# the default validation_fraction), the epoch that rebuilds them best is
# chance, and networks trained on 21 rows rebuilt new rows up to 1.9 times
# worse than PCA (see _fit_after_training).
MIN_JUDGING_ROWS = 3

# With image_shape: the full-resolution convolutions that refine the
# decoded image (see ConvAutoencoder's refine_layers). Chosen among 3, 5
# and 8 on denoising digits at the development noise levels of
# benchmarks/defaults.py (sigma 0.2 and 0.4).
IMAGE_REFINE_LAYERS = 5


class AutoencoderTransformer(EncoderMixin, BaseAutoencoder):
    """Dimensionality reduction with an autoencoder, as a drop-in for PCA.

    An autoencoder [1]_: an encoder maps each row through
    ``hidden_layer_sizes`` to a code of ``n_components`` values, and a
    mirrored decoder rebuilds the row from the code. Both have a linear
    path that starts at the PCA solution and a correction (an MLP, or
    convolutions with ``image_shape``) that starts at zero, so training
    begins where PCA ends and adds only the nonlinear structure that
    held-out rows confirm.

    The network is a ``skorch.NeuralNet`` built in every ``fit`` and kept as
    ``net_``; training uses Adam on the mean squared reconstruction error,
    in float32, seeded by ``random_state``.

    Parameters
    ----------
    n_components : int or float, default=2
        Number of components to keep: the width of the code. At most the
        number of features, unless ``sparsity > 0``. A float in (0, 1), as
        in PCA, asks for the smallest code whose held-out reconstruction
        R^2 (``1 - SSE / SST`` in scaled units, on the rows that
        ``reconstruction_r2_`` is computed on) reaches it: a bisection over
        code sizes fits about ``log2(n_features)`` candidates with the same
        seed and keeps the chosen one; on fewer than ``n_features + 2``
        rows, sizes up to ``n_samples - 2`` (one row held out, the rest
        spanning the code), with a warning where none reaches the target.
        An interrupt during that search leaves the estimator unfitted (see
        Notes). ``partial_fit`` needs an int: a searched size needs all the
        data at once.

    hidden_layer_sizes : array-like of int or "auto", default="auto"
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a linear autoencoder. With ``image_shape``, the
        channels of the convolutions instead (at least one). ``"auto"``
        gives one layer of four units per feature, but no more units than
        there are rows, within [64, 1024]: room for the nonlinear part in
        proportion to what there is to rebuild and to the rows that teach
        it (32 channels with ``image_shape``).

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
        (batches of 200).

    learning_rate_init : float, default=1e-3
        Adam's learning rate, constant throughout training. In the
        built-in network for tables (no ``image_shape``, no ``module``), a
        layer that sums more than 1,024 inputs (a very wide table's first)
        trains at this rate times 1,024 over its inputs: Adam moves each
        weight by about the rate, so the layer's output would otherwise
        move in proportion to its inputs. ``partial_fit`` trains chunks
        smaller than a batch at a lower rate (see there).

    max_iter : int or "auto", default="auto"
        Maximum number of epochs (passes over the training rows) of
        ``fit``. ``"auto"`` budgets updates rather than epochs: as many
        epochs as make 20,000 updates, at most 1,000, so that 300 rows and
        300,000 rows both train sensibly (early stopping usually ends
        training well before). Where one epoch would make more updates
        than the budget, it runs over as many training rows, drawn at
        random, as the budget's updates take.

    early_stopping : bool, default=True
        If True, hold out ``validation_fraction`` of the rows, stop when
        their loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs, and keep the weights that did best on them, the starting
        weights (the PCA start) included, so the model never ends worse on
        those rows than it began; or the moving average of the weights over
        the epochs (each epoch moves it a tenth of the way to the weights)
        [2]_, which smooths out the noise of single steps, whenever it does
        no worse on those rows (where training broke down after the best
        epoch, the last average's loss on them over twice the one of the
        average as it stood at that epoch, that average instead). The start
        is the PCA of the training rows, so that the held-out rows judge it
        as they judge the epochs; where what is kept does not beat it on
        them by ``tol``, or fewer than three rows are held out (tables of
        25 rows or fewer, at the default fraction), too few to judge
        training by, the model is PCA of all the rows. If False, train on
        every row, stop when the training loss stalls in the same way, and
        keep the last weights.

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
        training stops. ``"auto"`` waits about 1,000 updates, from 2 to 50
        epochs: long enough for small data, whose epochs are a few updates
        each, and short for large data.

    tol : float, default=1e-4
        Smallest decrease of the monitored loss (the validation loss with
        ``early_stopping``, otherwise the training loss) that counts as an
        improvement.

    standardize : bool, default=False
        If False, features are centred and divided by one common scale (the
        root mean variance), so that the reconstruction error weighs
        features as PCA does, in the original units. If True, each feature
        is divided by its own standard deviation after centring, as by a
        ``StandardScaler``, so that every feature counts equally. A constant
        feature gets, when standardized, the median standard deviation of
        the features that vary, so that the scaling follows the data's
        units. The default follows PCA, which this estimator replaces.

    sparsity : float, default=0.0
        Weight of an L1 penalty on the code activations (their absolute
        values summed per row, averaged over rows) added to the
        reconstruction loss. It makes codes sparse, and with it
        ``n_components`` may exceed the number of features (an overcomplete
        code); without it such a request is refused.

    noise : {"gaussian", "mask"}, callable or None, default=None
        Corrupt the training inputs, anew for every batch, and train the
        network to rebuild the clean rows: a denoising autoencoder [3]_.
        ``"gaussian"`` adds noise of standard deviation ``noise_level`` in
        the units of ``X`` (a stated level is the same in every feature,
        whatever ``standardize`` says; see ``noise_level`` for the default);
        ``"mask"`` masks a random ``noise_level`` share of the entries,
        which enter the network as their feature's mean. A callable
        ``noise(X_batch, rng)`` is the corruption you expect at prediction
        time, in the input's units: it gets a copy of a batch of rows and a
        :class:`numpy.random.Generator` (seeded from ``random_state``) and
        returns the corrupted rows, same shape (checked on two rows before
        training), finite but for NaN entries, which are masked. Use a
        module-level function or a :func:`functools.partial` so that the
        estimator pickles. Only training corrupts (the validation rows too,
        the same way in every epoch, so that their losses compare):
        ``transform``, ``inverse_transform`` and ``score_samples`` see
        inputs as given, so ``inverse_transform(transform(X_noisy))`` is the
        denoised ``X_noisy``. None trains on the rows as given, which suits
        a plain reduction.

    noise_level : float or None, default=None
        With ``noise="gaussian"``, the standard deviation of the noise in
        the units of ``X``: the noise you expect in the data, if you know
        it. With ``noise="mask"``, the share of the entries masked (below
        1). None means, for ``"gaussian"``, a fifth of the scale each
        feature is divided by (see ``standardize``): of its own standard
        deviation if standardized, otherwise of the root mean variance in
        every feature, as the reconstruction error weighs them. It follows
        the data's units, from pixels in [0, 255] to features of a
        hundredth; for ``"mask"``, None means a tenth of the entries. Unused
        when ``noise`` is None or a callable, where setting it warns:
        ``noise="gaussian"`` is what trains on noise of that level.

    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` when each row
        is an image flattened in C order. The built-in network is then
        convolutional: ``hidden_layer_sizes`` gives the channels of its
        3 x 3 convolutions, each of which halves the height and width, and
        the decoder mirrors them, then refines the image it decodes with
        five full-resolution 3 x 3 convolutions of as many channels as the
        first (added to the image, starting at zero): the code carries the
        image's overall shape, the refinement the local detail, such as the
        sharp strokes a denoiser must keep. They make a fit several times
        slower per image. ``X`` stays 2-D. Not with ``module``.

    module : torch.nn.Module class or None, default=None
        A network of your own instead of the built-in ones, built as
        ``module(n_features=..., n_components=..., **module_params)``. It
        must be a ``torch.nn.Module`` with trainable float32 parameters
        (built with float32 as torch's default dtype), ``encode(x)`` and
        ``decode(code)`` methods and a ``forward(x)`` that returns
        ``(reconstruction, code)``
        (checked on two rows before training, and so is the float64 copy of
        it that computes the scores: ``encode`` and ``decode`` must keep
        their input's dtype); it is then trained, seeded,
        batched and scored like the built-in networks. If it has a
        ``start_from_pca(components)`` method, it is called before training
        with the principal axes of the scaled training rows, an array of
        shape (n_components, n_features), and again after training, with
        those of all the rows, where the model becomes PCA (see
        ``early_stopping``).

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
        training batches of each epoch and over the batches of inference.
        0 prints nothing.

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
        ...) are refused.

    Attributes
    ----------
    n_components_ : int
        Width of the code: ``n_components``, or the size the search chose.

    reconstruction_r2_ : float
        Held-out reconstruction R^2 of the fitted model, ``1 - SSE / SST``
        in scaled units, on the validation rows (the training rows when
        none are held out: ``early_stopping`` is False, or ``X`` has fewer
        than three rows), at most 10,000 of them, spread over them. Where the
        model then becomes PCA of all the rows (see ``early_stopping``),
        the R^2 of the model those rows judged, which had not seen them.
        Set by ``fit``, not by ``partial_fit``.

    candidate_r2_ : dict of int to float
        When ``n_components`` is a float: the held-out R^2 of each code
        size tried, to plot size against explained as with PCA's
        ``explained_variance_ratio_``.

    code_sparsity_ : float
        Fraction of code entries below 1e-3 in absolute value, on the rows
        that ``reconstruction_r2_`` is computed on. Set by ``fit``, not by
        ``partial_fit``.

    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.

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
        Number of epochs run since the network was built, ``partial_fit``
        calls included.

    loss_curve_ : list of float
        Training loss of each epoch: the mean squared reconstruction error
        in scaled units, plus the ``sparsity`` penalty.

    validation_scores_ : list of float or None
        Negative validation loss of each epoch, when rows were held out
        (``early_stopping`` in ``fit``); otherwise None.

    best_validation_score_ : float
        The best of ``validation_scores_``, when rows were held out.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.
    AutoencoderOutlierDetector : Outlier detection by reconstruction error
        and neighbour distance.
    AutoencoderImputer : Imputation of missing values by reconstruction.

    Notes
    -----
    Rows are centred and scaled in their own precision, a batch at a
    time, and only then converted to the network's float32 (float32 rows
    have the mean subtracted in two parts, as exactly as float64 would),
    so that a feature with a large offset and a small spread keeps its
    detail; ``transform`` and
    ``inverse_transform`` return the dtype of their input (float32 or
    float64). ``score_samples`` and ``score`` are computed in float64 by a
    float64 copy of the network: they are finite for every row that
    float32 holds, and a row's score does not change, beyond float64
    rounding, with the rows scored with it. Values beyond float32's range
    are refused with a ``ValueError``.

    An interrupt (Ctrl-C) during training ends it as in skorch: the
    estimator keeps the epochs trained so far (with early stopping, the
    best of them or their moving average, as above) and is fitted. During
    a code-size search (``n_components`` a float) the interrupt ends the
    search and the fit instead: ``KeyboardInterrupt`` is raised and the
    estimator is left unfitted, since a candidate cut short would skew the
    choice.

    References
    ----------
    .. [1] Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the
       dimensionality of data with neural networks. Science, 313(5786),
       504-507.
    .. [2] Polyak, B. T. & Juditsky, A. B. (1992). Acceleration of
       stochastic approximation by averaging. SIAM Journal on Control and
       Optimization, 30(4), 838-855.
    .. [3] Vincent, P., Larochelle, H., Bengio, Y. & Manzagol, P.-A. (2008).
       Extracting and composing robust features with denoising
       autoencoders. In Proceedings of the 25th International Conference on
       Machine Learning (ICML).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_iter=5, random_state=0)
    >>> ae.fit_transform(X).shape
    (1797, 8)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 64)
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "noise": [StrOptions({"gaussian", "mask"}), callable, None],
        "noise_level": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=2,
        *,
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
        standardize=False,
        sparsity=0.0,
        noise=None,
        noise_level=None,
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        return self._fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train one epoch on ``X``; the first call also initializes.

        The first call on an unfitted transformer sets the scaling and the PCA
        start from its rows (at least 2); they stay fixed afterwards, so later
        chunks are scaled the same way. Later calls, also after ``fit``,
        continue training the network as it is, one plain epoch each, in
        batches sized for the chunk (see ``batch_size``): no rows are held out
        and nothing stops early. A chunk smaller than a batch trains at
        ``learning_rate_init`` times the square root of its share of a batch,
        so that rows streamed a few at a time move the network about as far as
        the same rows in full batches. Every call shuffles (and, with
        ``noise``, corrupts) its rows anew, reproducibly for an int
        ``random_state``. A later call whose training fails (diverges on
        extreme values) leaves the fit as it was before it. ``n_components``
        must be an int, and the same as at the first call, as for
        :class:`~sklearn.decomposition.IncrementalPCA` (after ``fit`` with a
        float, the width ``fit`` found is kept, and another float is refused);
        call ``fit`` to start over with another width. Of the parameters
        changed by ``set_params`` since the network was built, a later call
        applies ``learning_rate_init``, ``alpha``, ``n_jobs`` and ``verbose``,
        passes over those only ``fit`` reads (``max_iter``, ``early_stopping``,
        ``validation_fraction``, ``n_iter_no_change``, ``tol``), and refuses
        the others with a ``ValueError`` naming them: they shaped the network
        or its training.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The partially fitted transformer.
        """
        return self._partial_fit(X)

    def score(self, X, y=None):
        """Mean of ``score_samples``: higher is better, as for PCA.

        The negative mean squared reconstruction error over the rows of
        ``X``, in scaled units (see ``standardize``), computed in float64.
        Models fitted with different ``standardize`` score in different
        units, so their scores do not compare: to choose ``standardize`` by
        cross-validation, give ``GridSearchCV`` a ``scoring`` that measures
        the reconstruction in units of your choice.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            Negative mean squared reconstruction error.
        """
        return float(np.mean(self.score_samples(X)))

    # The hooks of the base: what makes the autoencoder a transformer.

    _weight_average_decay = WEIGHT_AVERAGE_DECAY

    # hidden_layer_sizes="auto" gives a hidden layer no wider than there
    # are rows to train it. On tables of more features than rows, four
    # units per feature were many units per row, and a handful of
    # validation rows chose epochs that rebuilt new rows worse than PCA
    # does: on 42 rows of 150 features (rank 5 plus noise, n_components=4),
    # 600 units rebuilt 5,000 new rows with 1.22 times PCA's error (median
    # over six seeds; 2.12 at worst), 64 units with 1.04 (1.30)
    # (benchmarks/results/transformer_few_rows.md).
    _auto_width_caps_at_rows = True

    def _fit_after_training(self, X):
        """Where the trained network does not rebuild the held-out rows
        better than its PCA start did (by ``tol``, early stopping's bar),
        or fewer than ``MIN_JUDGING_ROWS`` rows could judge it, the start,
        taken again from all the rows of ``X``: PCA itself, as the user
        would fit it.

        The start was taken from the training rows alone, so that the
        held-out rows judge it as they judge the epochs (and the code sizes
        of a float ``n_components``, by ``reconstruction_r2_``, measured
        before this); once it is chosen, they have nothing left to judge,
        and PCA of fewer rows is PCA estimated worse: with two of
        twenty-one rows held out, up to 1.8 times the held-out error of PCA
        of all of them.
        """
        stopping = dict(self.net_.callbacks_).get("early_stopping")
        start = getattr(stopping, "start_weights_", None)
        module = self.net_.module_
        if start is None or not hasattr(module, "start_from_pca"):
            return
        valid = stopping.valid_batches
        if len(valid.dataset) >= MIN_JUDGING_ROWS:
            if validation_loss(self.net_, valid) < stopping.start_loss_ - self.tol:
                return
        module.load_state_dict(start)
        axes = leading_axes(X, self._scaler(), self.n_components_)
        module.start_from_pca(axes)

    def _check_params(self, X):
        if self.noise == "mask" and (self.noise_level or 0) >= 1:
            raise ValueError(
                f"noise_level={self.noise_level} must be below 1 with "
                "noise='mask': it is the fraction of entries masked."
            )
        if self.noise_level is not None and self.noise not in ("gaussian", "mask"):
            warnings.warn(
                f"noise_level={self.noise_level} is unused with "
                f"noise={self.noise!r}: the training inputs get no noise of "
                "that level. Set noise='gaussian' to train on Gaussian noise "
                "of that standard deviation (in the units of X).",
                UserWarning,
                stacklevel=caller_stacklevel(),
            )

    # Channels of hidden_layer_sizes="auto" with image_shape: the refining
    # convolutions have as many, at full resolution.
    _auto_image_channels = 32

    def _network_params(self):
        if self.image_shape is None:
            return {}
        return {"refine_layers": IMAGE_REFINE_LAYERS}

    def _corruption(self):
        if self.noise not in ("gaussian", "mask"):
            return Corruption(self.noise)
        if self.noise_level is None:
            level = (
                DEFAULT_NOISE_SCALE if self.noise == "gaussian" else DEFAULT_MASK_SHARE
            )
        elif self.noise == "gaussian":
            # From the data's units to the network's: per feature.
            level = torch.as_tensor(self.noise_level / self.scale_, dtype=torch.float32)
        else:
            level = self.noise_level
        return Corruption(self.noise, level)

    def _sparsity(self):
        return self.sparsity

    def _divergence_suspect(self):
        suspects = []
        if self.noise == "gaussian" and self.noise_level is not None:
            suspects.append(f"lower noise_level (it is {self.noise_level})")
        if self.sparsity:
            suspects.append(f"lower sparsity (it is {self.sparsity})")
        return ", ".join(suspects)

    def _fit_network(self, X, seed):
        if isinstance(self.n_components, Integral):
            return super()._fit_network(X, seed)
        return self._search_size(X, self.n_components, seed)

    def _search_size(self, X, target, seed):
        """Fit the smallest code whose held-out R^2 reaches ``target``.

        A bisection over code sizes 1 ... n_features, so about
        log2(n_features) fits, each with the same seed: a code as wide as
        the input starts at (and never ends below) PCA's exact
        reconstruction, so the target is reached where the training rows
        span every feature. On fewer than ``n_features + 2`` rows, the
        sizes stop at ``n_samples - 2``: the training rows left beside one
        held-out row span no more directions, and a wider code would hold
        out none to judge it by. There the target may be out of reach, and
        a warning says so.
        """
        low, high = 1, max(1, min(X.shape[1], X.shape[0] - 2))
        candidate_r2, held_out = {}, None
        while low < high:
            size = (low + high) // 2
            held_out = self._fit_size(X, size, seed)
            if was_interrupted(self.net_):
                # A cut-short candidate would skew the choice: the search
                # ends, and the fit with it (leaving the estimator unfitted).
                raise KeyboardInterrupt
            candidate_r2[size] = self._reconstruction_r2(X[held_out])
            if candidate_r2[size] >= target:
                high = size
            else:
                low = size + 1
        # The model fitted last is kept when its size is the answer.
        if held_out is None or self.n_components_ != high:
            held_out = self._fit_size(X, high, seed)
            candidate_r2[high] = self._reconstruction_r2(X[held_out])
        self.candidate_r2_ = dict(sorted(candidate_r2.items()))
        if not candidate_r2[high] >= target:
            warnings.warn(
                f"No code reached a held-out reconstruction R^2 of "
                f"n_components={target}: the widest searched, {high} (at "
                f"most n_samples - 2 = {X.shape[0] - 2}, which holds out a "
                "row beside training rows that span the code), reached "
                f"{candidate_r2[high]:.3g}. Pass an int n_components, or "
                "more rows.",
                UserWarning,
                stacklevel=caller_stacklevel(),
            )
        return held_out
