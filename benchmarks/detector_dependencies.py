"""Anomalies that break a dependency between features, each feature's
values still typical: the default detector against EllipticEnvelope and
PCA's reconstruction error.

Found by a new-user hunt. Every detector with its defaults (PCA with the
detector's own code width, half the features, after a StandardScaler),
fitted on 1,000 clean rows, scoring 500 new normal rows and 30 anomalies;
torch and BLAS on one thread:

- correlated pairs: k standard normal factors, each observed twice, the
  second time with noise of 0.2 (pairs correlated at 0.98), k = 4 and 8;
  anomalies have the first pair's second value negated: every feature is
  still standard normal, only the pair disagrees;
- parts of a total: six parts of 100 (Dirichlet with all parameters 5)
  plus noise of 0.1; anomalies' parts add up to 110, each within its
  usual range.

    python benchmarks/detector_dependencies.py [--seeds 0 1 2]
"""

import numpy as np
import torch
from _common import environment, markdown_table, parser, write_result
from sklearn.covariance import EllipticEnvelope
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderOutlierDetector

N_TRAIN, N_NORMAL, N_ANOMALIES = 1000, 500, 30


def correlated_pairs(k):
    def draw(rng):
        def normal(n):
            factors = rng.normal(size=(n, k))
            return np.hstack([factors, factors + 0.2 * rng.normal(size=factors.shape)])

        anomalies = normal(N_ANOMALIES)
        anomalies[:, k] = -anomalies[:, 0]
        return normal(N_TRAIN), normal(N_NORMAL), anomalies

    return draw


def parts_of_a_total(rng):
    def normal(n):
        parts = 100.0 * rng.dirichlet(np.full(6, 5.0), size=n)
        return parts + 0.1 * rng.normal(size=parts.shape)

    return normal(N_TRAIN), normal(N_NORMAL), 1.1 * normal(N_ANOMALIES)


TASKS = {
    "4 correlated pairs": correlated_pairs(4),
    "8 correlated pairs": correlated_pairs(8),
    "6 parts of a total": parts_of_a_total,
}


class PCAError:
    """Squared reconstruction error of standardized rows by PCA."""

    def __init__(self, n_components):
        self.n_components = n_components

    def fit(self, X):
        self.pipeline_ = make_pipeline(StandardScaler(), PCA(self.n_components))
        self.pipeline_.fit(X)
        return self

    def score_samples(self, X):
        scaled = self.pipeline_[0].transform(X)
        pca = self.pipeline_[1]
        rebuilt = pca.inverse_transform(pca.transform(scaled))
        return -((scaled - rebuilt) ** 2).sum(axis=1)


def detectors(seed, n_features):
    return {
        "ours": AutoencoderOutlierDetector(random_state=seed),
        "EllipticEnvelope": EllipticEnvelope(random_state=seed),
        "PCA reconstruction error": PCAError(max(1, n_features // 2)),
        "IsolationForest": IsolationForest(random_state=seed),
    }


def main():
    p = parser(__doc__.splitlines()[0], data_dir=False)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    rows = []
    for task, draw in TASKS.items():
        figures = {}
        for seed in args.seeds:
            train, normal, anomalies = draw(np.random.default_rng(seed))
            X = np.vstack([normal, anomalies])
            y = np.r_[np.zeros(len(normal)), np.ones(len(anomalies))]
            for name, detector in detectors(seed, train.shape[1]).items():
                with threadpool_limits(1):
                    scores = -detector.fit(train).score_samples(X)
                figures.setdefault(name, []).append(
                    [roc_auc_score(y, scores), average_precision_score(y, scores)]
                )
        for name, values in figures.items():
            values = np.array(values)
            per_seed = " / ".join(f"{v:.3f}" for v in values[:, 0])
            roc, ap = values.mean(axis=0)
            rows.append([task, name, f"{roc:.3f}", per_seed, f"{ap:.3f}"])
            print(rows[-1], flush=True)
    write_result(
        "detector_dependencies.md",
        "# Anomalies that break a dependency between features\n\n"
        f"{environment()}\n\nSeeds {args.seeds}; every detector with its "
        f"defaults, fitted on {N_TRAIN} clean rows, scoring {N_NORMAL} new "
        f"normal rows and {N_ANOMALIES} anomalies; see the script's "
        "docstring for the tasks.\n\n"
        + markdown_table(
            ["task", "detector", "ROC-AUC", "ROC-AUC per seed", "AP"], rows
        )
        + "\n",
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
