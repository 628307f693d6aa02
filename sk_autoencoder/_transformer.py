"""AutoencoderTransformer: a nonlinear drop-in for PCA."""

from numbers import Integral

import numpy as np

from ._base import BaseAutoencoder, EncoderMixin
from ._skorch import was_interrupted
from ._utils import Interval, RealNotInt, _fit_context


class AutoencoderTransformer(EncoderMixin, BaseAutoencoder):
    """Dimensionality reduction with an autoencoder, as a drop-in for PCA.

    An MLP encoder maps each row through ``hidden_layer_sizes`` to a code of
    ``n_components`` values; a mirrored decoder rebuilds the row from the
    code. Both have a linear path that starts at the PCA solution and an MLP
    path that starts at zero, so training begins where PCA ends and adds
    only the nonlinear structure that held-out rows confirm.

    The network is a ``skorch.NeuralNet`` built in every ``fit`` and kept as
    ``net_``; training uses Adam on the mean squared reconstruction error,
    in float32, seeded by ``random_state``.

    Parameters
    ----------
    n_components : int or float, default=2
        Number of components to keep: the width of the code. At most the
        number of features, unless ``sparsity > 0``. A float in (0, 1), as
        in PCA, asks for the smallest code whose held-out reconstruction
        R^2 (``1 - SSE / SST`` in scaled units, on the validation rows)
        reaches it: a bisection over code sizes fits about
        ``log2(n_features)`` candidates with the same seed and keeps the
        chosen one. An interrupt (Ctrl-C) ends the search and the fit.

    hidden_layer_sizes : array-like of int, default=(64,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a linear autoencoder.

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Nonlinearity of the hidden layers.

    alpha : float, default=1e-4
        Strength of the L2 penalty (Adam's weight decay).

    batch_size : int or "auto", default="auto"
        Rows per training batch; ``"auto"`` means ``min(200, n_samples)``.

    learning_rate_init : float, default=1e-3
        Adam's learning rate.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training rows).

    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows, stop when their
        reconstruction error has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the best weights. When False,
        training stops when the training loss stalls in the same way.

    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping (at least one row,
        and none when ``X`` has a single row).

    n_iter_no_change : int, default=10
        Epochs without improvement before training stops.

    tol : float, default=1e-4
        Smallest decrease of the monitored loss that counts as improvement.

    standardize : bool, default=False
        If False, features are centred and divided by one common scale, so
        that the reconstruction error weighs features as PCA does, in the
        original units. If True, each feature is scaled to unit variance
        first, as by a ``StandardScaler``, so every feature counts equally.

    sparsity : float, default=0.0
        Weight of an L1 penalty on the code activations (their absolute
        values summed per row, averaged over rows) added to the
        reconstruction loss. It makes codes sparse, and with it
        ``n_components`` may exceed the number of features (an overcomplete
        code); without it such a request is refused.

    noise : {"gaussian", "mask"}, callable or None, default=None
        Corrupt the training inputs, anew for every batch, and train the
        network to rebuild the clean rows (a denoising autoencoder).
        ``"gaussian"`` adds noise of standard deviation ``noise_level`` in
        scaled units (see ``standardize``); ``"mask"`` sets a random
        ``noise_level`` share of the entries to their feature's mean. A
        callable ``noise(X_batch, rng)`` is the corruption you expect at
        prediction time, in the input's units: it gets a copy of a batch of
        rows and a :class:`numpy.random.Generator` (seeded from
        ``random_state``) and returns the corrupted rows, same shape (NaN
        entries count as masked). Use a module-level function or a
        :func:`functools.partial` so that the estimator pickles. Only
        ``fit`` corrupts (the validation rows too, the same way in every
        epoch): ``transform``, ``inverse_transform`` and ``score_samples``
        see inputs as given, so ``inverse_transform(transform(X_noisy))``
        is the denoised ``X_noisy``.

    noise_level : float, default=0.1
        Standard deviation of the Gaussian noise, or share of the entries
        masked (below 1); unused when ``noise`` is None or a callable.

    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` when each row
        is an image flattened in C order. The network is then
        convolutional: ``hidden_layer_sizes`` gives the channels of its
        3 x 3 convolutions, each of which halves the height and width, and
        the decoder mirrors them. X stays 2-D.

    module : torch.nn.Module class or None, default=None
        A network of your own instead of the built-in ones, built as
        ``module(n_features=..., n_components=..., **module_params)``. It
        must have ``encode(x)`` and ``decode(code)`` methods and a
        ``forward(x)`` that returns ``(reconstruction, code)`` (checked on
        two rows before training); it is then trained, seeded, batched and
        scored like the built-in networks. If it has a
        ``start_from_pca(components)`` method, it is called with the
        principal axes before training.

    module_params : dict or None, default=None
        Keyword arguments for ``module``, as skorch's ``module__``
        parameters; ``hidden_layer_sizes`` and ``activation`` apply to the
        built-in networks only.

    n_jobs : int, default=None
        Number of torch threads used in ``fit`` and inference. ``None``
        means 1, which is fastest for small networks and never
        oversubscribes a parallel search; ``-1`` means all cores.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the validation split and the shuffling.
        An int gives bit-identical fits for the same data and ``n_jobs``.
        The global NumPy and torch generators are never used or changed.

    verbose : int, default=0
        1 prints one line per epoch: epoch, training loss, validation loss
        and seconds. 2 also shows progress bars over the training batches
        of each epoch and over the batches of inference. 0 prints nothing.

    device : str, default="cpu"
        The torch device to train and infer on, such as ``"cuda"``;
        ``"auto"`` uses the GPU when torch sees one. A model fitted on a GPU
        unpickles on a machine without one and runs on its CPU (skorch
        warns with a ``DeviceWarning``).

    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the ``skorch.NeuralNet``; each is cloned before
        use, so the ones given here stay untouched.

    Attributes
    ----------
    n_components_ : int
        Width of the code.

    reconstruction_r2_ : float
        Held-out reconstruction R^2 of the fitted model (on the validation
        rows, or the training rows without early stopping; at most 10,000
        of them, evenly spread).

    candidate_r2_ : dict of int to float
        When ``n_components`` is a float: the held-out R^2 of each code
        size tried, to plot size against explained as with PCA's
        ``explained_variance_ratio_``.

    code_sparsity_ : float
        Fraction of code entries below 1e-3 in absolute value on the
        rows that ``reconstruction_r2_`` is measured on.

    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.

    scale_ : ndarray of shape (n_features,)
        Per-feature scale that the data is divided by after centring.

    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is the torch module.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    n_iter_ : int
        Number of epochs run.

    loss_curve_ : list of float
        Training loss (mean squared error in scaled units) of each epoch.

    validation_scores_ : list of float or None
        Negative validation loss of each epoch, when ``early_stopping`` is
        True; otherwise None.

    best_validation_score_ : float
        The best of ``validation_scores_``, when ``early_stopping`` is True.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.
    AutoencoderOutlierDetector : Outlier detection by reconstruction error
        and neighbour distance.

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

        The scaling and the PCA start come from the first call's rows and
        stay fixed afterwards, so later chunks are scaled the same way.
        Every call shuffles (and, with ``noise``, corrupts) its rows anew,
        reproducibly for an int ``random_state``.

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

    def _fit_network(self, X, seed):
        if isinstance(self.n_components, Integral):
            return super()._fit_network(X, seed)
        return self._search_size(X, self.n_components, seed)

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
            if was_interrupted(self.net_):
                # A cut-short candidate would skew the choice: the search
                # ends, and the fit with it (leaving the estimator unfitted).
                raise KeyboardInterrupt
            candidate_r2[size] = self._reconstruction_r2(held_out)
            if candidate_r2[size] >= target:
                high = size
            else:
                low = size + 1
        # The model fitted last is kept when its size is the answer.
        if held_out is None or self.n_components_ != high:
            held_out = self._fit_size(X, high, seed)
            candidate_r2[high] = self._reconstruction_r2(held_out)
        self.candidate_r2_ = dict(sorted(candidate_r2.items()))
        return held_out
