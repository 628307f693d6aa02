"""AutoencoderOutlierDetector: anomaly detection by reconstruction error."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import OutlierMixin
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import ThreadpoolController

from ._base import BaseAutoencoder, EncoderMixin
from ._data import Corruption
from ._utils import Interval, StrOptions, _fit_context, n_threads, spread_sample

# Training rows kept for the neighbour distance. Scoring searches them for
# every row, so their number trades the cost of scoring against how finely
# they cover the data: at most MAX_REFERENCE_ROWS, fewer for wide data so
# that they hold at most MAX_REFERENCE_VALUES numbers (32 MB in float64),
# but never fewer than MIN_REFERENCE_ROWS. The maximum was chosen on
# ADBench (benchmarks/results/adbench_ours_iforest.md): more rows scored
# better there, and cost more time.
MAX_REFERENCE_ROWS = 4096
MIN_REFERENCE_ROWS = 1024
MAX_REFERENCE_VALUES = 2**22

# Training rows, spread over the kept ones (see spread_sample), from which the code
# bounds, the scales of the errors and distances, and the threshold are
# set. Their neighbour search is most of the time that fit spends after
# training; on ADBench, setting these from all kept rows scored no better.
MAX_THRESHOLD_ROWS = 2048

# How those rows are searched. Among so few rows, brute force (distances
# by matrix products) is faster than a tree in all but the fewest
# dimensions, which scikit-learn's "auto" does not weigh: it picks a tree
# for up to 15 features.
NEIGHBOR_ALGORITHM = "brute"

# The rows whose copies among the kept rows are counted, for how many times
# the typical training row is there (see _typical_copies), and how many of
# its nearest kept rows each of them searches for those, at least: jittered
# copies are found up to that many (exact ones however many there are).
# Searching that deep for 256 rows' copies slowed fits measurably; for 64
# rows it does not (benchmarks/adbench.py's fit times).
COPY_COUNT_ROWS = 64
COPY_SEARCH = 256

# A kept row is a copy of a row, though not equal to it, where a gap of
# this factor follows it in the row's sorted neighbour distances: the
# table held several times over, each time with a small jitter (see
# _copies). A gap of 10 also took tight groups of rows (a twentieth of a
# standard deviation across, far apart) for copies, and the detector then
# missed the rows between the groups.
COPY_GAP = 100.0

# Neighbour distances whose spread is within this many rounding errors of
# the matrix products they come from say nothing (see _fit_after_training).
ROUNDING_ERRORS = 8

# A scored row this close to a kept row, relative to its magnitude, is that
# row (see _reach): far above the brute-force search's rounding (about
# 1e-8). Rows given in float32 add float32's epsilon times their raw
# values' norm: rounding to float32 moves a row by at most half that.
SAME_ROW_DISTANCE = 1e-6
FLOAT32_EPSILON = float(np.finfo(np.float32).eps)

# contamination="auto" flags rows whose outlyingness lies more than
# AUTO_FENCE times the lower half's spread above the median of the training
# rows' outlyingness, the spread being how far below the median those rows
# lie on average. Outliers sit in the upper tail: the median and the rows
# below it hold until half the rows are outliers, where Tukey's fence,
# Q3 + k (Q3 - Q1), is moved once a quarter are. Chosen by the F1 of
# predict on a development half of the benchmark datasets, among factors
# that flag about as many of their normal rows as IsolationForest does, and
# by the share of clean rows it flags (benchmarks/threshold.py; the figures
# are in doc/outlier_detection.md).
AUTO_FENCE = 3.0

# A value of the outlyingness that at least 1 / TIED_SHARE of the training
# rows share (copies of one row) counts once when that fence is set.
TIED_SHARE = 4

# The "auto" fence is raised by how much more outlying the validation rows
# are than the training rows (see _unseen_ratio), measured on at least this
# many validation rows. Small data, where the network rebuilds its training
# rows far better than new ones, needs the raise most: with the default
# validation_fraction, tables of 26 rows hold out this many. An estimate
# from so few rows is noisy, but on small clean tables a fence raised so
# flags far fewer new rows than one not raised (benchmarks/threshold.py).
# Two rows have no interquartile mean: neither lies between their
# quartiles.
MIN_UNSEEN_ROWS = 3

# Codes are clipped to these quantiles of the training codes (and one
# minus it) when scoring: wide enough that normal rows keep their codes.
CODE_QUANTILE = 0.1

# Share of each training batch the loss counts at least, the rows rebuilt
# best: of the rest, the likeliest outliers, those beyond a fence are not
# learnt (see TRIM_FENCE in _skorch).
SUPPORT_FRACTION = 0.75

# Standard deviation of the training noise, in the scaled units the
# network sees: one standard deviation of each standardized feature (or
# the root mean variance, with one common scale), noise on the scale of
# the data itself.
NOISE_LEVEL = 1.0

# Rows scaled (a float64 copy) and searched at a time when scoring, at
# most; and at most the rows whose neighbour distances hold this many
# values, where a row searches many neighbours (drops many copies).
SEARCH_BATCH_ROWS = 8192
SEARCH_BATCH_VALUES = 16 * SEARCH_BATCH_ROWS

# The training budget of max_iter="auto": at most 20 epochs, and at most
# 120 updates, a bound that only data of over 1,200 training rows (at the
# default batch of 200) reaches (see BaseAutoencoder._within_budget). Chosen by fit time
# against ADBench's scores on its development half
# (benchmarks/results/adbench_ours_iforest.md): more updates scored no
# better there.
AUTO_MAX_UPDATES = 120
AUTO_MAX_EPOCHS = 20

# And at most the updates that pass this many values (rows times features)
# through the network: an update costs in proportion to the data's width,
# and on the widest benchmark tables a few epochs scored as well as the
# full budget (benchmarks/results/detector_wide.md). Only wide data
# reaches it.
AUTO_MAX_ENTRIES = 2**23

# The widest code n_components="auto" gives: training costs in proportion
# to the code's width, and on wide data a code of half the features scored
# no better than a narrower one.
MAX_AUTO_COMPONENTS = 128

# The thread pools that scikit-learn's neighbour search may use (OpenMP,
# BLAS), found once: finding them inspects every loaded library, too slow
# to repeat on every call.
_THREAD_POOLS = ThreadpoolController()


class AutoencoderOutlierDetector(OutlierMixin, EncoderMixin, BaseAutoencoder):
    """Outlier detection by autoencoder reconstruction error and neighbour distance.

    An autoencoder [1]_ (the network and training of
    :class:`AutoencoderTransformer`, with a trimmed loss), fitted to rows
    that are mostly normal, scores each row by how badly it is rebuilt and
    how far it is from the training rows. ``score_samples`` is the
    negative of that outlyingness, so that, as for
    :class:`~sklearn.ensemble.IsolationForest`, higher means more normal,
    ``decision_function`` is negative for outliers and ``predict`` returns
    -1 for outliers and +1 for inliers.

    Plain reconstruction error is blind to rows that lie far out along the
    directions the code describes: the decoder rebuilds them as well as any
    other. So when scoring, each code is first clipped to the range that
    the training codes occupy (their 10 % and 90 % quantiles): a row far
    from the training data in any direction then gets a large error.

    The reconstruction error of a row is the root of its mean squared
    error, a length in the scaled units of the features (see
    ``standardize``), as the neighbour distance below is.

    Reconstruction error also misses rows that lie on the data's surface
    but where few training rows are: the decoder rebuilds them well. So
    each row is also scored by how far it is from the training rows: the
    mean distance to its ``n_neighbors`` nearest among (at most 4,096 of)
    them, in the same scaled units. That distance is put on the
    scale of the reconstruction errors, by matching its median and
    interquartile range to those of the errors (over at most 2,048 of the
    training rows), and counts when it is the larger: a row is as outlying
    as the worse of the two says. Scoring then costs a nearest-neighbour
    search among the kept rows for every row. The code bounds above and
    the threshold are set from the same (at most 2,048) rows. Here the
    training rows are all the rows given to ``fit``, the validation rows
    of ``early_stopping`` included.

    The network is trained as a denoising autoencoder [2]_: it rebuilds
    each training row from a copy with Gaussian noise of one standard
    deviation of each feature added (in the scaled units of
    ``standardize``). It then learns to pull rows back onto the data rather
    than to copy them, so rows off the data are rebuilt worse. Its loss is
    trimmed: the rows of each batch rebuilt worse than the rest by more
    than a fence (twice the lower half's spread above the median), at most
    a quarter of the batch, do not count, so that the network does not
    learn to rebuild the outliers mixed into the training data.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Width of the code. ``"auto"`` uses half the number of features
        (at least 1, at most 128), which is narrow enough that anomalies
        are not rebuilt and wide enough that normal rows are. At most the
        number of features.

    contamination : "auto" or float, default="auto"
        The share of outliers expected in the training data; it sets the
        threshold ``offset_``. With a float, ``predict`` flags that fraction
        of the training rows (on larger data, of 2,048 of them, one
        from each of as many equal stretches of the rows). With
        ``"auto"``, a row is flagged when its outlyingness
        (``-score_samples``) lies beyond a fence of those rows',
        ``median + 3 * spread``, the spread being how far below the median
        the rows below it lie on average: a robust rule in the
        manner of the median absolute deviation's [3]_ that needs no guess
        of the outlier rate, and holds until half the training rows are
        outliers. The network rebuilds the rows it trained on better
        than new ones, most on small, wide data, so the fence is raised by
        how much more outlying the validation rows (see ``early_stopping``)
        are than the training rows (the ratio of the means of the middle
        half of each), when there are at least 3 of them. The user guide
        gives the share of clean rows it flags and its precision and recall
        on the benchmarks.

    n_neighbors : int or None, default=10
        Number of nearest training rows whose mean distance scores how
        isolated a row is (see above), which catches rows that the decoder
        rebuilds well but that lie where few training rows are. None scores
        by reconstruction error alone, and faster. See the benchmarks for
        what the distance adds.

    hidden_layer_sizes : array-like of int or "auto", default=(64,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a linear autoencoder. With ``image_shape``, the
        channels of the convolutions instead (at least one). ``"auto"``
        gives one layer of four units per feature, within [64, 1024], as
        the transformer does on tables of more rows than that (64 channels
        with ``image_shape``, where the transformer takes 32 and refines
        its decoded images). The default
        differs from the transformer's: it is the network the detector's
        benchmarks were run with.

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Nonlinearity of the hidden layers of the built-in networks.

    alpha : float, default=1e-4
        Strength of the L2 penalty, applied as Adam's weight decay to every
        parameter of the network.

    batch_size : int or "auto", default=200
        Rows per training batch, capped at the number of training rows
        (those not held out for validation). ``"auto"`` takes a 32nd of the
        training rows, within [32, 200], as the transformer does. The
        default differs from the transformer's: with the short training
        below, smaller batches would make more updates, and the network
        would learn to rebuild the outliers too.

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
        ``fit``. ``"auto"`` trains for at most 20 epochs, and on large data
        for at most 120 updates, fewer on wide data: the updates that pass
        about 8 million values (rows times features) through the network
        (at least one). Each bound is rounded up to a whole epoch, except
        where a single epoch would exceed it: the one epoch then runs over
        as many training rows, drawn at random, as the budget's updates
        take. The budget is far shorter than the transformer's: an
        autoencoder trained for long learns to rebuild the outliers too.

    early_stopping : bool, default=True
        If True, hold out ``validation_fraction`` of the rows, stop when
        their loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs, and keep the weights that did best on them, the starting
        weights (the PCA start) included, so the model never ends worse on
        those rows than it began. If False, train on every row, stop when
        the training loss stalls in the same way, and keep the last
        weights. Both losses are trimmed (see above).

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

    n_iter_no_change : int or "auto", default=10
        Number of epochs without an improvement of at least ``tol`` before
        training stops. ``"auto"`` waits about 1,000 updates, from 2 to 50
        epochs, as the transformer does.

    tol : float, default=1e-4
        Smallest decrease of the monitored loss (the validation loss with
        ``early_stopping``, otherwise the training loss) that counts as an
        improvement.

    standardize : bool or "auto", default="auto"
        If True, each feature is divided by its own standard deviation after
        centring, as by a ``StandardScaler``, so that every feature counts
        equally. If False, features are centred and divided by one common
        scale (the root mean variance), so that the reconstruction error
        weighs features as PCA does, in the original units. A constant
        feature gets, when standardized, the median standard deviation of
        the features that vary, so that the scaling follows the data's
        units. ``"auto"`` is True for tables, unlike the transformer, so
        that features in large units do not drown the others in the scores;
        and False with ``image_shape``, whose pixels share one unit, as in
        the imputer (standardized, a pixel that is nearly always blank blows
        its rare strokes up into large errors). Either way the variances
        leave out gross errors, which training rows mixed with outliers may
        hold: values among a feature's lowest or highest 1 % that lie more
        than 10 standard deviations of the values inside them from their
        mean. One wrong entry (a value of 1,000 among values of about 1)
        then does not set its feature's scale and shrink the feature out of
        the scores; a heavy tail, whose extremes have others near them,
        counts as it is; and a feature whose values but such ones are all
        equal (a pixel blank but for a few strokes) is scaled as a constant
        one.

    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` when each row
        is an image flattened in C order. The built-in network is then
        convolutional: ``hidden_layer_sizes`` gives the channels of its
        3 x 3 convolutions, each of which halves the height and width, and
        the decoder mirrors them. ``X`` stays 2-D. Not with ``module``.

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
        batched and scored like the built-in networks, with its codes
        clipped between ``encode`` and ``decode`` when scoring. If it has a
        ``start_from_pca(components)`` method, it is called before training
        with the principal axes of the scaled training rows, an array of
        shape (n_components, n_features).

    module_params : dict or None, default=None
        Keyword arguments for ``module``, as skorch's ``module__``
        parameters; refused without ``module``, and so are ``n_features``
        and ``n_components``, which the estimator passes itself.
        ``hidden_layer_sizes`` and ``activation`` apply to the built-in
        networks only.

    n_jobs : int, default=None
        Number of threads used in ``fit`` and inference, by torch and by the
        neighbour search (OpenMP and BLAS). ``None`` means 1, which is
        fastest for small networks and never oversubscribes a parallel
        search (such as ``GridSearchCV(n_jobs=...)``); ``-1`` means all
        cores, ``-2`` all but one; more threads than cores are not started.

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
    offset_ : float
        The threshold: ``decision_function = score_samples - offset_``.

    code_lower_, code_upper_ : ndarray of shape (`n_components_`,)
        The bounds that codes are clipped to when scoring.

    neighbors_ : NearestNeighbors or None
        Fitted on the kept training rows, one from each of as many equal
        stretches of the rows, and scaled as for
        the errors (``(X - mean_) / scale_``, float64): at most 4,096 of
        them, fewer for data of over 1,024 features so that they hold at
        most 2^22 numbers, but never fewer than 1,024. Finds each scored
        row's nearest kept rows (more than ``n_neighbors``: a row itself,
        when it is a kept one, is dropped, and so are its copies when the
        training data holds every row several times, exactly or with a
        small jitter). None when
        ``n_neighbors`` is None, fewer than two rows were seen, or all kept
        rows are equally far from their neighbours. The fitted detector
        holds these rows, as float64: at most 32 MB up to 4,096 features,
        1,024 rows beyond.

    n_components_ : int
        Width of the code.

    reconstruction_r2_ : float
        Held-out reconstruction R^2 of the fitted model, ``1 - SSE / SST``
        in scaled units, on the validation rows (the training rows when
        none are held out: ``early_stopping`` is False, or ``X`` has fewer
        than three rows), at most 10,000 of them, spread over them, with codes
        unclipped. Set by ``fit``, not by ``partial_fit``.

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
        in scaled units over the rows each batch counts (the trimmed loss,
        see above).

    validation_scores_ : list of float or None
        Negative validation loss of each epoch, when rows were held out
        (``early_stopping`` in ``fit``); otherwise None.

    best_validation_score_ : float
        The best of ``validation_scores_``, when rows were held out.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outlier detection by random isolation.
    sklearn.decomposition.PCA : Linear reconstruction.
    AutoencoderTransformer : The same autoencoder as a transformer.

    Notes
    -----
    Rows are centred and scaled in their own precision, a batch at a
    time, and only then converted to the network's float32 (float32 rows
    have the mean subtracted in two parts, as exactly as float64 would),
    so that a feature with a large offset and a small spread keeps its
    detail. The scores
    (``score_samples``, ``decision_function``) and ``reconstruction_errors``
    are computed in float64, by a float64 copy of the network and on
    float64 distances: they are finite for every row that float32 holds,
    and a row's score does not change, beyond float64 rounding, with the
    rows scored with it. ``transform`` and ``inverse_transform`` return the
    dtype of their input. Values beyond float32's range are refused with a
    ``ValueError``.

    An interrupt (Ctrl-C) during training ends it as in skorch: the
    detector keeps the epochs trained so far (with early stopping, the best
    of them), sets its threshold and is fitted.

    References
    ----------
    .. [1] Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the
       dimensionality of data with neural networks. Science, 313(5786),
       504-507.
    .. [2] Vincent, P., Larochelle, H., Bengio, Y. & Manzagol, P.-A. (2008).
       Extracting and composing robust features with denoising
       autoencoders. In Proceedings of the 25th International Conference on
       Machine Learning (ICML).
    .. [3] Leys, C., Ley, C., Klein, O., Bernard, P. & Licata, L. (2013).
       Detecting outliers: Do not use standard deviation around the mean,
       use absolute deviation around the median. Journal of Experimental
       Social Psychology, 49(4), 764-766.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder import AutoencoderOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 6))
    >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    >>> detector.predict(X[:4]).shape
    (4,)
    >>> detector.reconstruction_errors(X[:4]).shape
    (4, 6)
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "n_components": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "standardize": ["boolean", StrOptions({"auto"})],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        contamination="auto",
        n_neighbors=10,
        hidden_layer_sizes=(64,),
        activation="relu",
        alpha=1e-4,
        batch_size=200,
        learning_rate_init=1e-3,
        max_iter="auto",
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        standardize="auto",
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
        self.image_shape = image_shape
        self.module = module
        self.module_params = module_params
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.callbacks = callbacks
        self.contamination = contamination
        self.n_neighbors = n_neighbors

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X`` and set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, mostly normal rows.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted detector.
        """
        return self._fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train one epoch on ``X``; the first call also initializes.

        The first call on an unfitted detector sets the scaling and the PCA
        start from its rows (at least 2); they stay fixed afterwards, so later
        chunks are scaled the same way. Later calls, also after ``fit``,
        continue training the network as it is, one plain epoch each, in
        batches sized for the chunk (see ``batch_size``): no rows are held out
        and nothing stops early. A chunk smaller than a batch trains at
        ``learning_rate_init`` times the square root of its share of a batch,
        so that rows streamed a few at a time move the network about as far as
        the same rows in full batches. Every call shuffles and corrupts its
        rows anew, reproducibly for an int ``random_state``. A later call whose
        training fails (diverges on extreme values) leaves the fit as it was
        before it. ``n_components`` must give the same width as at the first
        call; call ``fit`` to start over with another width. Of the parameters
        changed by ``set_params`` since the network was built, a later call
        applies ``learning_rate_init``, ``alpha``, ``n_jobs``, ``verbose`` (the
        detector also ``contamination`` and ``n_neighbors``), passes over those
        only ``fit`` reads (``max_iter``, ``early_stopping``,
        ``validation_fraction``, ``n_iter_no_change``, ``tol``), and refuses
        the others with a ``ValueError`` naming them: they shaped the network
        or its training.

        The code bounds, the kept training rows of the neighbour distance
        and the threshold ``offset_`` are set anew on each call, from its
        rows together with the rows kept from the earlier calls (spread
        over both, so that older chunks thin out as newer ones
        come), scored by the network as it is after that call, so that
        they always match the current network and a small last chunk does
        not set them alone. No rows are held out, so the ``"auto"`` fence
        is not raised for unseen rows as in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data, mostly normal rows.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The partially fitted detector.
        """
        return self._partial_fit(X)

    # Each call sets the neighbour rows and the threshold anew.
    _read_by_partial_fit = BaseAutoencoder._read_by_partial_fit | {
        "contamination",
        "n_neighbors",
    }
    _auto_max_updates = AUTO_MAX_UPDATES
    _auto_max_epochs = AUTO_MAX_EPOCHS
    _auto_max_components = MAX_AUTO_COMPONENTS
    # The training rows hold outliers: one wrong entry should not shrink its
    # feature out of the scores (see standardize).
    _resists_gross_errors = True

    def _auto_updates(self, batch_size):
        by_entries = AUTO_MAX_ENTRIES // (batch_size * self.n_features_in_)
        return int(np.clip(by_entries, 1, super()._auto_updates(batch_size)))

    def _support_fraction(self):
        return SUPPORT_FRACTION

    def _corruption(self):
        return Corruption("gaussian", NOISE_LEVEL)

    def _fit_network(self, X, seed):
        held_out = super()._fit_network(X, seed)
        # Rows the network never trained on, for the threshold (see
        # _unseen_ratio); without validation, the rows it reports on are
        # training rows.
        if self.net_.train_split is not None:
            self._unseen_rows_ = held_out
        return held_out

    def _fit_after_training(self, X):
        """Keep training rows for the neighbour search; set the code bounds,
        the scales and ``offset_`` from (at most ``MAX_THRESHOLD_ROWS`` of)
        them, the "auto" fence raised by the validation rows' outlyingness
        after ``fit`` (see _unseen_ratio)."""
        unseen = vars(self).pop("_unseen_rows_", None)
        earlier = getattr(self, "_kept_rows_", None)
        if earlier is not None:
            # A later partial_fit: the rows kept from the earlier calls
            # count with this call's, so that a small chunk does not set
            # the bounds, the neighbour rows and the threshold alone.
            earlier = earlier * self.scale_ + self.mean_
            X = np.vstack([earlier.astype(X.dtype, copy=False), X])
        kept_rows = spread_sample(np.arange(len(X)), _n_kept_rows(*X.shape))
        rows = kept_rows[spread_sample(np.arange(len(kept_rows)), MAX_THRESHOLD_ROWS)]
        kept, scored = X[kept_rows], X[rows]
        codes = self._encode(scored)
        self.code_lower_, self.code_upper_ = np.quantile(
            codes, [CODE_QUANTILE, 1.0 - CODE_QUANTILE], axis=0
        )
        errors = self._clipped_error(scored)
        # Kept also without the neighbour distance: a later partial_fit
        # counts them with its rows.
        self._kept_rows_ = self._scaler().transform_array(kept)
        self.neighbors_ = self._distance_to_error_ = None
        outlyingness = errors
        if self.n_neighbors is not None and len(scored) > 1:
            # As many neighbours more than used as a row drops copies of
            # itself (see _neighbor_distances).
            self.neighbors_ = NearestNeighbors(
                n_neighbors=min(self.n_neighbors + 1, len(kept)),
                algorithm=NEIGHBOR_ALGORITHM,
            ).fit(self._kept_rows_)
            self._copies_ = self._typical_copies(scored)
            self.neighbors_.set_params(
                n_neighbors=min(self.n_neighbors + self._copies_, len(kept))
            )
            distances = self._neighbor_distances(scored)
            distance_center, distance_spread = _center_and_spread(distances)
            # Distances by matrix products are off by rounding errors of
            # about sqrt(eps) times the rows' norms: a spread within a few
            # of those is rounding, not data.
            norms = np.sqrt(np.einsum("ij,ij->i", self._kept_rows_, self._kept_rows_))
            rounding = ROUNDING_ERRORS * np.sqrt(np.finfo(np.float64).eps) * norms.max()
            if distance_spread > rounding:
                error_center, error_spread = _center_and_spread(errors)
                slope = error_spread / distance_spread
                intercept = error_center - slope * distance_center
                self._distance_to_error_ = (slope, intercept)
                outlyingness = self._combine(errors, distances)
            else:
                # Every kept row is as close to its neighbours as any
                # other: the distances say nothing.
                self.neighbors_ = None
        ratio = 1.0
        if unseen is not None and self.contamination == "auto":
            seen = outlyingness[~np.isin(rows, unseen)]
            ratio = _unseen_ratio(self._outlyingness(X[unseen]), seen)
        self.offset_ = self._threshold(-outlyingness, ratio)

    def _outlyingness(self, X):
        """``-score_samples(X)`` for validated ``X``."""
        errors = self._clipped_error(X)
        if self.neighbors_ is None:
            return errors
        return self._combine(errors, self._neighbor_distances(X))

    def _clipped_error(self, X, per_feature=False):
        """Reconstruction errors with codes clipped to the training range:
        squared, per feature, or the root of their mean, per row.

        The root puts the errors in the units of the neighbour distances,
        lengths both, so that matching the two scales (see
        _fit_after_training) maps one onto the other alike for near and
        far rows.
        """
        errors = self._reconstruction_error(
            X, per_feature, code_bounds=(self.code_lower_, self.code_upper_)
        )
        return errors if per_feature else np.sqrt(errors)

    def _combine(self, errors, distances):
        """Reconstruction errors, raised to the neighbour distances in
        error units."""
        slope, intercept = self._distance_to_error_
        return np.maximum(errors, slope * distances + intercept)

    def _neighbor_distances(self, X):
        """Mean distance from each row of ``X``, scaled, to its nearest kept
        training rows, without the row itself.

        A kept row within float32's rounding of the row (see _reach), or
        before a large gap in its neighbour distances (see _copies), is
        the row itself, or a copy of it where the training data holds each
        row several times (a table concatenated or oversampled, exactly or
        with a small jitter): a row drops up to ``_copies_`` such matches
        (see _typical_copies), so that a training row scored again is
        scored as an unseen row is, and ``offset_``, set from kept rows,
        holds for new rows. Matches beyond those count as neighbours: a
        value that many rows share is a dense place, not an isolated one.
        Rows are
        scaled and searched in batches (of at most ``SEARCH_BATCH_ROWS``
        rows and ``SEARCH_BATCH_VALUES`` distances), on ``n_jobs`` threads,
        as the network runs.
        """
        # float64 queries: scikit-learn's fast neighbour search needs them in
        # the dtype of the kept rows.
        copies = getattr(self, "_copies_", 1)
        n_used = max(self.neighbors_.n_neighbors - copies, 1)
        distances = np.empty(len(X))
        by_values = SEARCH_BATCH_VALUES // self.neighbors_.n_neighbors
        step = max(min(SEARCH_BATCH_ROWS, by_values), 1)
        for start in range(0, len(X), step):
            found, matches = self._search(X[start : start + step])
            dropped = matches & (np.cumsum(matches, axis=1) <= copies)
            used = ~dropped & (np.cumsum(~dropped, axis=1) <= n_used)
            total = np.where(used, found, 0.0).sum(axis=1)
            distances[start : start + len(found)] = total / n_used
        return distances

    def _search(self, X, n_neighbors=None):
        """Distances from the rows of ``X`` to their nearest kept rows, and
        which of those are the row itself or its copies (see _copies)."""
        rows = self._scaler().transform_array(X)
        with _THREAD_POOLS.limit(limits=n_threads(self.n_jobs)):
            found = self.neighbors_.kneighbors(rows, n_neighbors)[0]
        # float32 rows carry float32's rounding of their raw values.
        raw = X / self.scale_ if X.dtype == np.float32 else None
        return found, _copies(found, _reach(rows, raw))

    def _typical_copies(self, X):
        """How many times the training rows are among the kept rows: the
        first quartile, over (at most ``COPY_COUNT_ROWS`` of) the rows of
        ``X``, of the number of kept rows that are the row or its copies
        (see _copies), itself included. 1 unless the training data holds
        most rows several times: a value that many rows share (under three
        quarters of them) leaves it at 1."""
        X = X[spread_sample(np.arange(len(X)), COPY_COUNT_ROWS)]
        n_kept = self.neighbors_.n_samples_fit_
        n_found = min(max(self.neighbors_.n_neighbors, COPY_SEARCH), n_kept)
        while True:
            counts = self._search(X, n_found)[1].sum(axis=1)
            typical = int(np.percentile(counts, 25))
            if typical < n_found or n_found == n_kept:
                return max(typical, 1)
            n_found = min(2 * n_found, n_kept)

    def _threshold(self, scores, ratio=1.0):
        """``offset_`` from the training rows' ``scores``; the "auto" fence
        is raised by ``ratio`` (see _unseen_ratio)."""
        if self.contamination != "auto":
            return float(np.percentile(scores, 100.0 * self.contamination))
        return -float(ratio * lower_half_fence(-scores, AUTO_FENCE))

    def score_samples(self, X):
        """Opposite of each row's outlyingness: higher means more normal.

        The outlyingness is the root mean squared reconstruction error (in
        the scaled units, see ``standardize``, with codes clipped to the
        training codes' range, see above), or, when larger, the mean
        distance from the row to its ``n_neighbors`` nearest kept training
        rows (in the same scaled units), put on the errors' scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative outlyingness of each row, float64.
        """
        return -self._outlyingness(self._validate_inference_input(X))

    def decision_function(self, X):
        """Shifted scores: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each row: -1 for an outlier, +1 for an inlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where ``decision_function`` is negative, +1 elsewhere.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def reconstruction_errors(self, X):
        """Squared reconstruction error of each feature of each row.

        The root of a row's mean is the reconstruction part of its
        outlyingness (``-score_samples(X)`` wherever the neighbour distance
        does not exceed it); the largest entries of a row show which
        features made it look anomalous.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features)
            Squared errors in scaled units (see ``standardize``), float64.
        """
        return self._clipped_error(self._validate_inference_input(X), per_feature=True)


def _reach(rows, raw=None):
    """How close, for each of the scaled ``rows``, a kept row must be to be
    the row itself: ``SAME_ROW_DISTANCE`` times the norm of the row scaled
    plus one, and, for rows given in float32 (``raw``, their values divided
    by the scales), float32's epsilon times the norm of those: rounding to
    float32 moves a row by at most half that, and it grows with the raw
    values, not the centred ones. float64 rows are not rounded, so a large
    offset does not widen their reach."""
    reach = SAME_ROW_DISTANCE * (1.0 + np.sqrt(np.einsum("ij,ij->i", rows, rows)))
    if raw is not None:
        reach += FLOAT32_EPSILON * np.sqrt(np.einsum("ij,ij->i", raw, raw))
    return reach


def _copies(found, reach):
    """Which of the kept rows ``found`` nearest each row (distances, sorted
    along each row) are the row itself or its copies: the rows within the
    row's ``reach`` (see _reach), and all rows before the last gap of
    ``COPY_GAP`` times in the distances.

    A table held several times over with a small jitter (noisy
    oversampling) puts each row a little way from its copies and far from
    the other rows, a gap that rows drawn from a continuous distribution
    rarely show: about one row in a hundred in one dimension, far fewer in
    more. A group of rows that much closer to each other than to any
    other row is taken for copies of one row, whatever made it.
    """
    ends = found <= reach[:, None]
    ends[:, :-1] |= COPY_GAP * found[:, :-1] <= found[:, 1:]
    # Every found row up to the last end.
    return np.flip(np.logical_or.accumulate(np.flip(ends, axis=1), axis=1), axis=1)


def lower_half_fence(outlyingness, factor):
    """``median + factor * spread`` of ``outlyingness``, the spread being how
    far below the median the values below it lie on average (see
    AUTO_FENCE).

    A value that at least 1 / ``TIED_SHARE`` of them share (a row held many
    times over: its copies, equally outlying, would take the median's place
    and leave no spread below it) counts once, and the fence is never below
    it: those copies, a large share of the data, are never beyond it.
    """
    outlyingness, tied = untie(outlyingness)
    median = np.median(outlyingness)
    below = median - outlyingness[outlyingness < median]
    fence = median + factor * (below.mean() if len(below) else 0.0)
    return float(np.max(tied, initial=fence))


def untie(outlyingness):
    """``outlyingness`` with each value that at least 1 / ``TIED_SHARE`` of
    them share counted once, and those values."""
    values, counts = np.unique(outlyingness, return_counts=True)
    tied = values[counts * TIED_SHARE >= len(outlyingness)]
    if len(tied):
        outlyingness = np.r_[outlyingness[~np.isin(outlyingness, tied)], tied]
    return outlyingness, tied


def _unseen_ratio(unseen, seen):
    """How much more outlying rows the network never trained on are than
    the rows it trained on: the ratio of their interquartile means (see
    _interquartile_mean), at least 1, and 1 from fewer than
    ``MIN_UNSEEN_ROWS`` unseen rows.

    The network rebuilds the rows it trained on better than new rows of
    the same data, most on small, wide data; a fence set from its training
    rows alone would then flag too many new rows.
    """
    if len(unseen) < MIN_UNSEEN_ROWS or not len(seen):
        return 1.0
    typical_seen = _interquartile_mean(seen)
    if not typical_seen > 0:
        return 1.0
    return max(float(_interquartile_mean(unseen) / typical_seen), 1.0)


def _interquartile_mean(values):
    """Mean of the ``values`` between their first and third quartiles.

    As robust to outliers as the median, but it moves smoothly where the
    values fall into two groups: when about half the rows are duplicates
    (outlyingness near 0) and half are not, the median jumps from one group
    to the other with the sample, and a ratio of medians with it.
    """
    q1, q3 = np.percentile(values, [25, 75])
    return float(np.mean(values[(values >= q1) & (values <= q3)]))


def _n_kept_rows(n_samples, n_features):
    """How many training rows the detector keeps (see MAX_REFERENCE_ROWS)."""
    by_size = max(MAX_REFERENCE_VALUES // n_features, MIN_REFERENCE_ROWS)
    return min(n_samples, MAX_REFERENCE_ROWS, by_size)


def _center_and_spread(values):
    """Median and interquartile range of ``values`` (their standard
    deviation where the range is 0)."""
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    spread = q3 - q1
    return median, spread if spread > 0 else float(np.std(values))
