"""UMAP's pieces, for AutoencoderEmbedding: the fuzzy neighbour graph, the
curve of similarities in the map, and the cross-entropy between the two.

Written from the UMAP paper (McInnes, Healy & Melville, 2018) and the
parametric UMAP paper (Sainburg, McInnes & Gentner, 2021).
"""

import numpy as np
import torch
from scipy.optimize import curve_fit
from scipy.sparse import coo_matrix
from sklearn.neighbors import NearestNeighbors

# Steps of the bisection for each row's bandwidth: enough to pin it to
# float32 precision from any start.
BISECTION_STEPS = 64

# A bandwidth is at least this share of the mean neighbour distance (of
# the row, or of all rows), so that a row of duplicates still has weights.
MIN_BANDWIDTH_SCALE = 1e-3

# Added to squared distances in the map before taking their log: keeps the
# repulsion between two coincident codes finite.
MIN_SQUARED_DISTANCE = 1e-3


def nearest_neighbors(X, n_neighbors, n_jobs):
    """Distances and indices of each row's ``n_neighbors`` nearest other rows.

    Exact, by scikit-learn's ``NearestNeighbors`` (a tree for few features,
    chunked matrix products otherwise); the row itself is left out.
    """
    search = NearestNeighbors(n_neighbors=n_neighbors, n_jobs=n_jobs).fit(X)
    return search.kneighbors()


def bandwidths(distances, target):
    """Each row's distance to its nearest neighbour ``rho`` and bandwidth
    ``sigma``, such that ``sum(exp(-(d - rho) / sigma))`` over its
    neighbours is ``target`` (UMAP's ``log2(n_neighbors)``).

    A bisection on all rows at once, in float64.
    """
    positive = np.where(distances > 0, distances, np.inf)
    rho = positive.min(axis=1)
    rho[~np.isfinite(rho)] = 0.0
    excess = np.maximum(distances - rho[:, None], 0.0)
    low = np.zeros(len(distances))
    high = np.full(len(distances), np.inf)
    sigma = np.ones(len(distances))
    for _ in range(BISECTION_STEPS):
        total = np.exp(-excess / sigma[:, None]).sum(axis=1)
        too_wide = total > target
        high = np.where(too_wide, sigma, high)
        low = np.where(too_wide, low, sigma)
        sigma = np.where(np.isinf(high), sigma * 2, (low + high) / 2)
    floor = MIN_BANDWIDTH_SCALE * np.where(
        rho > 0, distances.mean(axis=1), distances.mean()
    )
    return rho, np.maximum(sigma, np.maximum(floor, np.finfo(np.float64).tiny))


def fuzzy_graph(distances, indices, n_neighbors):
    """UMAP's fuzzy neighbour graph of the rows whose nearest other rows
    are ``indices`` at ``distances`` (see nearest_neighbors), as edge
    lists.

    Each row ``i`` gives its ``n_neighbors - 1`` nearest other rows ``j``
    (the row itself counts as the first of its ``n_neighbors``, as in
    UMAP) the weight ``exp(-(d_ij - rho_i) / sigma_i)``; the two directions
    of an edge combine as a fuzzy union, ``w + w' - w w'``.

    Returns
    -------
    heads, tails : ndarray of int64
        The two ends of each edge; both directions are listed.
    weights : ndarray of float64
        The weight of each edge, in (0, 1].
    """
    n_samples = len(distances)
    rho, sigma = bandwidths(distances, np.log2(n_neighbors))
    weights = np.exp(-np.maximum(distances - rho[:, None], 0.0) / sigma[:, None])
    rows = np.repeat(np.arange(n_samples), indices.shape[1])
    directed = coo_matrix(
        (weights.ravel(), (rows, indices.ravel())), shape=(n_samples, n_samples)
    ).tocsr()
    transposed = directed.T.tocsr()
    graph = (directed + transposed - directed.multiply(transposed)).tocoo()
    keep = graph.data > 0
    return (
        graph.row[keep].astype(np.int64),
        graph.col[keep].astype(np.int64),
        (graph.data[keep]),
    )


def curve_params(min_dist, spread=1.0):
    """UMAP's ``a, b``: the curve ``1 / (1 + a d^(2b))`` closest (least
    squares on ``[0, 3 spread]``) to 1 up to ``min_dist`` and
    ``exp(-(d - min_dist) / spread)`` beyond."""

    def curve(d, a, b):
        return 1.0 / (1.0 + a * d ** (2 * b))

    d = np.linspace(0, 3 * spread, 300)
    target = np.where(d < min_dist, 1.0, np.exp(-(d - min_dist) / spread))
    (a, b), _ = curve_fit(curve, d, target, p0=(1.0, 1.0))
    return float(a), float(b)


def cross_entropy(squared_attract, squared_repel, a, b):
    """UMAP's fuzzy cross-entropy on a batch of edges and of negative samples.

    With ``q = 1 / (1 + a d^(2b))`` the similarity of two codes at
    distance ``d``, an edge costs ``-log q`` and a negative sample
    ``-log(1 - q)``; both are softplus of ``log(a) + b log(d^2)``, which
    stays finite and smooth for any distance. Returns the mean over the
    edges plus the mean over the negatives times their number per edge.
    """
    log_a = float(np.log(a))
    t_attract = log_a + b * torch.log(squared_attract + MIN_SQUARED_DISTANCE)
    t_repel = log_a + b * torch.log(squared_repel + MIN_SQUARED_DISTANCE)
    per_edge = len(squared_repel) / len(squared_attract)
    return (
        torch.nn.functional.softplus(t_attract).mean()
        + per_edge * torch.nn.functional.softplus(-t_repel).mean()
    )
