"""2-D maps of manifolds whose sheets lie close together: AutoencoderEmbedding
against UMAP and Isomap.

Three synthetic sets of 2,500 rows in 3-D, 30 % held out: a swiss roll
(scikit-learn's ``make_swiss_roll``, noise 0.05), two concentric spheres
(radii 1 and 1.5) and two parallel 20 x 20 sheets 1.5 apart. A map that
keeps them must unroll the roll and keep the spheres and the sheets apart:
the R^2 of a 5-NN regression of the position along the roll, and the
accuracy of a 5-NN classifier of the sphere or sheet, both fitted on the
training rows' codes and scored on the held-out rows', say whether it
does; trustworthiness (k=5) of the held-out map alone does not. A new
user's check found these sets; the swiss roll led to the training noise's
rule (benchmarks/results/embedding_noise.md), the other two to nothing
yet.

    python benchmarks/embedding_manifolds.py [--seeds 0 1 2] [--output FILE]
"""

import time

import numpy as np
from _common import environment, markdown_table, parser, write_result
from sklearn.datasets import make_swiss_roll
from sklearn.manifold import Isomap, trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderEmbedding

N_ROWS = 2500


def manifolds(seed):
    """(name, X, target, whether the target is a position) of each set."""
    rng = np.random.default_rng(seed)
    X, position = make_swiss_roll(N_ROWS, noise=0.05, random_state=seed)
    yield "swiss roll", X, position, True
    directions = rng.normal(size=(N_ROWS, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    sphere = rng.integers(0, 2, N_ROWS)
    X = directions * np.where(sphere == 1, 1.5, 1.0)[:, None]
    yield "two spheres", X + 0.03 * rng.normal(size=X.shape), sphere, False
    sheet = rng.integers(0, 2, N_ROWS)
    X = np.column_stack(
        [
            rng.uniform(-10, 10, N_ROWS),
            rng.uniform(-10, 10, N_ROWS),
            1.5 * sheet + 0.05 * rng.normal(size=N_ROWS),
        ]
    )
    yield "two sheets", X, sheet, False


def methods(seed):
    yield "AutoencoderEmbedding", AutoencoderEmbedding(random_state=seed)
    try:
        import umap
    except ImportError:
        pass
    else:
        yield "UMAP", umap.UMAP(random_state=seed)
    yield "Isomap", Isomap()


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--output", default="embedding_manifolds.md")
    args = p.parse_args()
    figures = {}
    with threadpool_limits(2):
        for seed in args.seeds:
            for name, X, target, position in manifolds(seed):
                X_train, X_test, t_train, t_test = train_test_split(
                    X, target, test_size=0.3, random_state=seed
                )
                for method, reducer in methods(seed):
                    start = time.perf_counter()
                    train_codes = reducer.fit_transform(X_train)
                    seconds = time.perf_counter() - start
                    codes = reducer.transform(X_test)
                    knn = KNeighborsRegressor if position else KNeighborsClassifier
                    kept = knn(5).fit(train_codes, t_train).score(codes, t_test)
                    trust = trustworthiness(X_test, codes, n_neighbors=5)
                    figures.setdefault((name, method), []).append(
                        (trust, kept, seconds)
                    )
                    print(seed, name, method, f"{trust:.3f} {kept:.3f}", flush=True)
    rows = []
    for (name, method), values in figures.items():
        trust, kept, seconds = np.array(values).T
        rows.append(
            [
                name,
                method,
                f"{trust.mean():.3f}",
                " / ".join(f"{k:.3f}" for k in kept),
                f"{np.median(seconds):.1f}",
            ]
        )
    header = ["set", "method", "held-out trust", "5-NN R^2 or accuracy, by seed"]
    header += ["fit s (median)"]
    write_result(
        args.output,
        "\n\n".join(
            [
                "# 2-D maps of close sheets: AutoencoderEmbedding, UMAP, Isomap",
                environment() + f", seeds {args.seeds}",
                "Held-out trustworthiness (k=5, mean over seeds); the 5-NN "
                "R^2 of the position along the swiss roll, or the 5-NN "
                "accuracy of the sphere or sheet, on held-out codes.",
                markdown_table(header, rows),
            ]
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
