"""AutoencoderEmbedding: 2-D maps that keep neighbourhoods, as UMAP's do,
from an encoder with a decoder."""

import copy
import time
from numbers import Integral, Real

import numpy as np
import torch
from skorch import NeuralNet

from ._base import MAX_REPORTED_ROWS, BaseAutoencoder, EncoderMixin
from ._data import fit_scaler, leading_axes
from ._network import MLPAutoencoder
from ._skorch import adam
from ._umap import cross_entropy, curve_params, fuzzy_graph, nearest_neighbors
from ._utils import (
    Interval,
    _fit_context,
    n_threads,
    seeded_torch,
    spread_sample,
    torch_compute,
)

# Edges per update (each with its two rows), and negative samples per edge.
EDGE_BATCH = 256
NEGATIVE_SAMPLES = 5

# The default budget: this many passes over the graph's edges, within
# these bounds on the number of updates.
EDGE_PASSES = 30
MIN_UPDATES = 100
MAX_UPDATES = 5000

# Adam's first learning rate, decayed linearly to zero over the updates.
LEARNING_RATE = 1e-2

# The Gaussian noise added to the encoder's inputs in training: the
# encoder learns to map the surroundings of each training row, not the row
# alone, and so places new rows where their neighbours are. Its length (the
# norm of the noise vector) is this share of the distance from the row to
# the farthest of its graph neighbours: the surroundings its neighbourhood
# spans, whatever the data's dimension, and no wider, so that a sheet of
# the data does not blur into the next one (a fixed standard deviation
# folded a swiss roll's layers onto each other; see
# benchmarks/results/embedding_noise.md). That distance is held within
# this factor of its median over the rows: rows in dense clusters get
# narrower noise than rows in sparse ones, as UMAP's graph gives each row
# a bandwidth of its own, while a row far from all others does not blur
# the map around it (see benchmarks/results/embedding_noise_per_row.md).
NOISE_PER_NEIGHBOUR_DISTANCE = 1.0
NOISE_RADIUS_RANGE = 2.0

# Weight of the reconstruction error (mean squared, in scaled units) next
# to the neighbourhood cross-entropy. Rebuilding the rows from the code
# keeps the map faithful to the rows, not only to the graph (weights from
# 3 to 30 kept held-out neighbourhoods better than 1; see
# benchmarks/embedding_ideas.py).
RECONSTRUCTION_WEIGHT = 10.0

# Updates per entry of loss_curve_.
UPDATES_PER_REPORT = 100


class AutoencoderEmbedding(EncoderMixin, BaseAutoencoder):
    """Low-dimensional maps that keep neighbourhoods, with an inverse.

    An autoencoder whose code is trained to keep the neighbourhoods of the
    training rows as UMAP [1]_ does, and whose decoder is trained to rebuild
    the rows from the code: a parametric UMAP [2]_ with a decoder.
    ``transform`` runs the encoder, so new rows are mapped in one pass of
    the network; ``inverse_transform`` runs the decoder, so any point of
    the map can be turned back into a row.

    Training builds UMAP's fuzzy neighbour graph of the training rows:
    each row's ``n_neighbors`` nearest rows (exact, by scikit-learn's
    :class:`~sklearn.neighbors.NearestNeighbors`, in the scaled units), with
    UMAP's weights, the two directions of each edge joined as a fuzzy
    union. Each update samples a batch of edges in proportion to their
    weights and minimizes UMAP's cross-entropy between the graph and the
    codes (the two ends of each edge attract, random pairs from the batch
    repel; the similarity of two codes at distance ``d`` is
    ``1 / (1 + a d^(2b))``, with ``a, b`` fitted to ``min_dist``) plus ten
    times the mean squared reconstruction error of the batch (in the
    scaled units), which keeps the map faithful to the rows as well as to
    the graph. The encoder sees each row with Gaussian noise added, as a
    denoising autoencoder does [3]_, and the decoder rebuilds the clean
    row: the encoder learns to map the surroundings of the training rows,
    which places new rows where their training neighbours are. A row's
    noise vector has the typical length of the distance from the row to
    the farthest of its ``n_neighbors``, held within a factor of 2 of that
    distance's median over the rows (taken among the distinct rows, where
    copies of the rows make it 0): the surroundings of a row are its
    neighbourhood, narrower in dense parts of the data than in sparse
    ones. The encoder and
    the decoder each have a linear path that starts at the PCA solution
    and an MLP correction through ``hidden_layer_sizes`` that starts at
    zero. After training, the decoder's linear path is refit by least
    squares to the training rows' codes, the correction held: the map's
    loss moves the codes away from where the linear path began, and on few
    rows the decoder follows them only in part.

    Rows are centred and divided by one common scale (the root mean
    variance), which keeps their Euclidean distances, and so their
    neighbours, as they are in the input; standardize the features first
    (for example with :class:`~sklearn.preprocessing.StandardScaler` in a
    pipeline) when their units differ. A feature that the decoder rebuilds
    no better than its mean on the training rows (one in units small
    against the others', which weighs next to nothing in the loss) is
    decoded as its mean, near where PCA decodes it.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the map: the width of the code. At most the number of
        rows; it may exceed the number of features, as UMAP's may.

    n_neighbors : int, default=15
        Size of the neighbourhoods the map keeps, the row itself counted,
        as in UMAP: smaller values keep finer local structure, larger ones
        more of the global layout. Capped at the number of rows.

    min_dist : float, default=0.1
        How tightly the map packs close rows, as in UMAP: the distance in
        the map below which codes count as fully similar, between 0 and 1
        (UMAP's ``spread``, fixed here at 1). Smaller values give tighter
        clusters.

    hidden_layer_sizes : array-like of int, default=(128, 128, 128)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        Depth matters more than width here: a map has to fold the data's
        clusters apart, and a deeper encoder folds more.

    max_iter : int or None, default=None
        Number of updates (batches of 256 edges) to train for. None
        derives it from the size of the graph: 30 passes over its edges,
        at least 100 and at most 5,000 updates.

    n_jobs : int, default=None
        Number of threads for the neighbour search, training and
        inference. None means 1; -1 means all CPUs; more threads than
        cores are not started.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the sampling of edges and of negative
        samples. An int gives bit-identical fits for the same data and
        ``n_jobs`` on the CPU. The global NumPy and torch random states are
        left as they were.

    verbose : int, default=0
        1 prints the mean loss of every tenth of the updates, 2 also a
        progress bar over the batches of inference. 0 prints nothing.

    device : str, default="cpu"
        The torch device to train and infer on, such as ``"cuda"``;
        ``"auto"`` uses the GPU when torch sees one. Fitting refuses a
        device that this machine does not have, before training.

    Attributes
    ----------
    n_components_ : int
        Width of the code: ``n_components``.

    n_neighbors_ : int
        Size of the neighbourhoods used: ``n_neighbors``, capped at the
        number of rows.

    a_ : float
        The ``a`` of the similarity curve, fitted to ``min_dist``.

    b_ : float
        The ``b`` of the similarity curve, fitted to ``min_dist``.

    reconstruction_r2_ : float
        Reconstruction R^2 of the fitted model, ``1 - SSE / SST`` in
        scaled units, on (at most 10,000 of) the training rows.

    code_sparsity_ : float
        Fraction of code entries below 1e-3 in absolute value, on the rows
        that ``reconstruction_r2_`` is computed on.

    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.

    scale_ : ndarray of shape (n_features,)
        The common scale that the centred data is divided by, repeated per
        feature.

    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is the torch module.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    n_iter_ : int
        Number of updates run.

    loss_curve_ : list of float
        Mean training loss (cross-entropy plus reconstruction error) of
        each 100 updates.

    See Also
    --------
    sklearn.manifold.TSNE : T-distributed Stochastic Neighbor Embedding,
        without a transform for new rows.
    sklearn.manifold.Isomap : Embedding by geodesic distances.
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    AutoencoderTransformer : Autoencoder trained on reconstruction alone.

    Notes
    -----
    The neighbour search is exact and its cost grows with the square of
    the number of rows (a tree search for few features is faster; see the
    benchmarks for its time). Training costs at most 5,000 updates,
    whatever the number of rows (see ``max_iter``).

    The fitted model holds the network only, not the training rows or the
    graph. ``transform`` and ``inverse_transform`` return the dtype of
    their input (float32 or float64); ``score_samples`` is computed in
    float64.

    References
    ----------
    .. [1] McInnes, L., Healy, J. & Melville, J. (2018). UMAP: Uniform
       Manifold Approximation and Projection for dimension reduction.
       arXiv:1802.03426.
    .. [2] Sainburg, T., McInnes, L. & Gentner, T. Q. (2021). Parametric
       UMAP embeddings for representation and semisupervised learning.
       Neural Computation, 33(11), 2881-2907.
    .. [3] Vincent, P., Larochelle, H., Bengio, Y. & Manzagol, P.-A. (2008).
       Extracting and composing robust features with denoising
       autoencoders. Proceedings of the 25th International Conference on
       Machine Learning, 1096-1103.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import AutoencoderEmbedding
    >>> X, _ = load_digits(return_X_y=True)
    >>> embedding = AutoencoderEmbedding(max_iter=50, random_state=0)
    >>> embedding.fit_transform(X).shape
    (1797, 2)
    >>> embedding.inverse_transform(embedding.transform(X[:3])).shape
    (3, 64)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 2, None, closed="left")],
        "min_dist": [Interval(Real, 0, 1, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": BaseAutoencoder._parameter_constraints["n_jobs"],
        "random_state": BaseAutoencoder._parameter_constraints["random_state"],
        "verbose": ["verbose"],
        "device": [str],
    }

    def __init__(
        self,
        n_components=2,
        *,
        n_neighbors=15,
        min_dist=0.1,
        hidden_layer_sizes=(128, 128, 128),
        max_iter=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
        device="cpu",
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the map to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X)

    # transform's float64 copy of the encoder (see _fit_network).
    _private_fitted = (*BaseAutoencoder._private_fitted, "_encoder_float64")

    def _check_params(self, X):
        if X.shape[0] < 2:
            raise ValueError(
                f"n_samples={X.shape[0]}: a map of neighbourhoods needs at "
                "least 2 rows."
            )
        if self.n_components > X.shape[0]:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"n_samples={X.shape[0]}: a map of n rows spans at most n "
                "dimensions."
            )
        self._check_hidden_layer_sizes(X.shape[1])
        self._device()

    def _fit_network(self, X, seed):
        n_samples, n_features = X.shape
        scaler = fit_scaler(X, standardize=False)
        self.mean_, self.scale_ = scaler.mean, scaler.scale
        self.n_components_ = self.n_components
        self.n_neighbors_ = min(self.n_neighbors, n_samples)
        self.a_, self.b_ = curve_params(self.min_dist)
        scaled = scaler.transform_array(X).astype(np.float32)
        with torch_compute(self.n_jobs):
            distances, indices = nearest_neighbors(
                scaled, self.n_neighbors_ - 1, n_threads(self.n_jobs)
            )
        heads, tails, weights = fuzzy_graph(distances, indices, self.n_neighbors_)
        radii = _noise_radii(scaled, distances, n_threads(self.n_jobs))
        noise = NOISE_PER_NEIGHBOUR_DISTANCE * radii / np.sqrt(n_features)
        batch = min(EDGE_BATCH, len(weights))
        n_updates = self.max_iter or int(
            np.clip(EDGE_PASSES * len(weights) / batch, MIN_UPDATES, MAX_UPDATES)
        )
        self.net_ = NeuralNet(
            module=MLPAutoencoder,
            module__n_features=n_features,
            module__n_components=self.n_components,
            module__hidden_layer_sizes=self._check_hidden_layer_sizes(X.shape[1]),
            criterion=torch.nn.MSELoss,
            lr=LEARNING_RATE,
            **adam(),
            max_epochs=n_updates,
            batch_size=batch,
            train_split=None,
            callbacks__print_log=None,
            device=self._device(),
        )
        with torch_compute(self.n_jobs), seeded_torch(seed):
            self.net_.initialize()
        axes = leading_axes(X, scaler, self.n_components)
        self.net_.module_.start_from_pca(axes)
        with torch_compute(self.n_jobs):
            self._train_on_graph(scaled, noise, heads, tails, weights, n_updates, seed)
        self.net_.module_.eval()
        self._refit_decoder_where_better_than_means(scaled)
        # transform maps rows in float64, with this copy of the encoder:
        # float32 matrix products round differently for different batch
        # sizes, and a row's place in the map should not depend on the rows
        # mapped with it.
        self._encoder_float64 = copy.deepcopy(self.net_.module_.encoder).double()
        return spread_sample(np.arange(n_samples), MAX_REPORTED_ROWS)

    def _refit_decoder_where_better_than_means(self, scaled):
        """Decode as its mean (0 in scaled units) each feature the decoder
        rebuilds no better than its mean on the ``scaled`` training rows (at
        most ``MAX_REPORTED_ROWS`` of them): one whose units are small
        against the common scale weighs next to nothing in the loss, while
        Adam moves its weights by steps as large as any other's, and its
        decoded values drift far beyond its training values. Refit the
        decoder's linear map of every other feature by least squares to the
        codes of those rows, the MLP correction held: the map's loss moves
        the codes away from the PCA start that the linear map began at, and
        the decoder follows them only as far as its training went (on few
        rows near a plane, far from it)."""
        module = self.net_.module_
        decoder = module.decoder
        rows = torch.from_numpy(
            scaled[spread_sample(np.arange(len(scaled)), MAX_REPORTED_ROWS)]
        )
        with torch.no_grad(), torch_compute(self.n_jobs):
            rows = rows.to(self.net_.device)
            codes = module.encode(rows)
            rebuilt = decoder(codes)
            errors = ((rebuilt - rows).double() ** 2).sum(dim=0)
            spread = (rows.double() ** 2).sum(dim=0)
            worse = (errors >= spread).cpu().numpy()
            if len(codes) > codes.shape[1] + 1:
                linear = decoder.first(codes)[:, : decoder.n_out]
                target = (rows - (rebuilt - linear)).double().cpu().numpy()
                design = np.c_[codes.double().cpu().numpy(), np.ones(len(codes))]
                solution = np.linalg.lstsq(design, target[:, ~worse], rcond=None)[0]
                kept = torch.from_numpy(np.flatnonzero(~worse)).to(self.net_.device)
                weight = torch.from_numpy(solution[:-1].T).to(decoder.first.weight)
                decoder.first.weight[kept] = weight
                decoder.first.bias[kept] = torch.from_numpy(solution[-1]).to(
                    decoder.first.bias
                )
        if worse.any():
            silenced = torch.from_numpy(np.flatnonzero(worse))
            decoder.silence(silenced.to(self.net_.device))

    def _encode(self, X):
        encoder, scaler = self._encoder_float64, self._scaler()
        return self._map(
            X,
            lambda x: encoder(scaler.transform(x, torch.float64)),
            self.n_components_,
        )

    def _train_on_graph(self, scaled, noise, heads, tails, weights, n_updates, seed):
        """Adam on the cross-entropy plus the reconstruction error, one
        batch of edges (sampled in proportion to their weights) per update."""
        device = self.net_.device
        module, optimizer = self.net_.module_, self.net_.optimizer_
        X = torch.from_numpy(scaled).to(device)
        noise = torch.as_tensor(noise, dtype=torch.float32).to(device)[:, None]
        heads = torch.from_numpy(heads).to(device)
        tails = torch.from_numpy(tails).to(device)
        cumulative = torch.from_numpy(np.cumsum(weights))
        generator = torch.Generator().manual_seed(seed)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda update: 1 - update / n_updates
        )
        batch = self.net_.batch_size
        module.train()
        losses, start = [], time.perf_counter()
        for update in range(n_updates):
            uniform = torch.rand(batch, generator=generator, dtype=torch.float64)
            edges = torch.searchsorted(cumulative, uniform * cumulative[-1])
            edges = edges.clamp_(max=len(cumulative) - 1).to(device)
            # Negatives are rows of the batch, drawn for each edge's head.
            negatives = torch.randint(
                2 * batch, (NEGATIVE_SAMPLES * batch,), generator=generator
            ).to(device)
            ends = torch.cat([heads[edges], tails[edges]])
            x = X[ends]
            gaussian = torch.randn(x.shape, generator=generator).to(device)
            code = module.encode(x + noise[ends] * gaussian)
            head_code, tail_code = code[:batch], code[batch:]
            attract = ((head_code - tail_code) ** 2).sum(dim=1)
            repel = (
                (head_code.repeat(NEGATIVE_SAMPLES, 1) - code[negatives]) ** 2
            ).sum(dim=1)
            loss = cross_entropy(
                attract, repel, self.a_, self.b_
            ) + RECONSTRUCTION_WEIGHT * self.net_.criterion_(module.decode(code), x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.detach())
            if self.verbose and (update + 1) % max(1, n_updates // 10) == 0:
                recent = torch.stack(losses[-max(1, n_updates // 10) :]).mean()
                print(
                    f"update {update + 1}/{n_updates}  loss {recent.item():.4f}  "
                    f"{time.perf_counter() - start:.1f} s"
                )
        curve = torch.stack(losses).cpu().numpy().astype(np.float64)
        if not np.isfinite(curve).all():
            update = int(np.flatnonzero(~np.isfinite(curve))[0])
            raise ValueError(
                f"Training diverged: the loss became {curve[update]} at update "
                f"{update}. Check X for extreme values."
            )
        self.n_iter_ = n_updates
        self.loss_curve_ = [
            float(curve[i : i + UPDATES_PER_REPORT].mean())
            for i in range(0, n_updates, UPDATES_PER_REPORT)
        ]


def _noise_radii(X, distances, n_jobs=None):
    """Each row's radius for its training noise: the distance to the
    farthest of its nearest rows, found at ``distances``, within a factor of
    ``NOISE_RADIUS_RANGE`` of the typical one (see _neighbourhood_radius),
    which a row whose neighbours are all its copies takes."""
    typical = _neighbourhood_radius(X, distances, n_jobs)
    radii = np.where(distances[:, -1] > 0, distances[:, -1], typical)
    return np.clip(radii, typical / NOISE_RADIUS_RANGE, typical * NOISE_RADIUS_RANGE)


def _neighbourhood_radius(X, distances, n_jobs=None):
    """Median distance from a row of ``X`` to the farthest of its nearest
    rows, found at ``distances``; from the distinct rows alone where that
    is 0 (most rows held as many times as they have neighbours, or more)."""
    radius = float(np.median(distances[:, -1]))
    if radius > 0:
        return radius
    distinct = np.unique(X, axis=0)
    if len(distinct) < 2:
        return 0.0
    n_nearest = min(distances.shape[1], len(distinct) - 1)
    return float(np.median(nearest_neighbors(distinct, n_nearest, n_jobs)[0][:, -1]))
