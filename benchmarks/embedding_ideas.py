"""How AutoencoderEmbedding's training choices were made: one change at a time.

Each setting changes one of the embedding's module constants (the noise on
the encoder's inputs, the edges per update, the learning rate, the weight
of the reconstruction error) or its ``hidden_layer_sizes``, from the
defaults, and reports the trustworthiness (k=5) of the held-out map and
of the training rows' map, the 5-NN accuracy on held-out codes (labelled
sets), the held-out reconstruction MSE and the fit time, on the split of
``benchmarks/embedding.py`` (30 % held out), fitted with each of
``--seeds`` (0 alone by default). The development sets
are digits and 20_letter; 40_vowels, 12_fault, 47_yeast and 28_pendigits
(not in ``embedding.py``) check the choices; the other datasets of
``embedding.py`` stay held out.

    python benchmarks/embedding_ideas.py [--datasets digits 20_letter]
        [--settings defaults noise_0 ...] [--seeds 0 1 2] [--data-dir DIR]
"""

import time

import numpy as np
from _common import environment, load_adbench, markdown_table, parser, write_result
from embedding import split
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.manifold import trustworthiness
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

import sk_autoencoder._embedding as embedding_module
from sk_autoencoder import AutoencoderEmbedding

LOADERS = {"digits": load_digits, "breast_cancer": load_breast_cancer}
LOADERS["wine"] = load_wine
DEVELOPMENT = ["digits", "20_letter", "40_vowels", "12_fault", "47_yeast"]
DEVELOPMENT += ["28_pendigits"]

# Each setting: module constants and estimator parameters that differ from
# the defaults. "before" is the training this stop started from.
SETTINGS = {
    "defaults": {},
    "before": {
        "NOISE_PER_NEIGHBOUR_DISTANCE": 0.0,
        "EDGE_BATCH": 1024,
        "LEARNING_RATE": 3e-3,
        "RECONSTRUCTION_WEIGHT": 1.0,
        "hidden_layer_sizes": (64,),
    },
    "noise_0": {"NOISE_PER_NEIGHBOUR_DISTANCE": 0.0},
    # The noise's radius: the median over the rows for every row (the rule
    # before each row had its own), or each row's own without bounds.
    "noise_one_radius": {"NOISE_RADIUS_RANGE": 1.0},
    "noise_own_radius": {"NOISE_RADIUS_RANGE": np.inf},
    "noise_0.75": {"NOISE_PER_NEIGHBOUR_DISTANCE": 0.75},
    "noise_1.5": {"NOISE_PER_NEIGHBOUR_DISTANCE": 1.5},
    "hidden_64x3": {"hidden_layer_sizes": (64, 64, 64)},
    "hidden_256x2": {"hidden_layer_sizes": (256, 256)},
    "hidden_128x4": {"hidden_layer_sizes": (128, 128, 128, 128)},
    "edges_1024": {"EDGE_BATCH": 1024},
    "lr_3e-3": {"LEARNING_RATE": 3e-3},
    "reconstruction_1": {"RECONSTRUCTION_WEIGHT": 1.0},
    "reconstruction_3": {"RECONSTRUCTION_WEIGHT": 3.0},
    "reconstruction_30": {"RECONSTRUCTION_WEIGHT": 30.0},
    "budget_x2": {"EDGE_PASSES": 60, "MAX_UPDATES": 10_000},
    # Cheaper fits, for the fit-time target (at most twice UMAP's).
    "budget_half": {"EDGE_PASSES": 15},
    "budget_third": {"EDGE_PASSES": 10},
    "budget_third_lr_2e-2": {"EDGE_PASSES": 10, "LEARNING_RATE": 2e-2},
    "hidden_64x3_budget_half": {"hidden_layer_sizes": (64, 64, 64), "EDGE_PASSES": 15},
    "edges_1024_budget_half": {"EDGE_BATCH": 1024, "EDGE_PASSES": 15},
    # As many updates as the defaults, on fewer edges each: a half and a
    # quarter of the arithmetic.
    "edges_128_same_updates": {"EDGE_BATCH": 128, "EDGE_PASSES": 15},
    "edges_64_same_updates": {"EDGE_BATCH": 64, "EDGE_PASSES": 7.5},
    # Large data: the cap on updates, which sets of over ~5,000 rows reach.
    "max_updates_10k": {"MAX_UPDATES": 10_000},
    "max_updates_20k": {"MAX_UPDATES": 20_000},
    "hidden_96x3_budget_half": {"hidden_layer_sizes": (96, 96, 96), "EDGE_PASSES": 15},
    "hidden_64x4_budget_half": {
        "hidden_layer_sizes": (64, 64, 64, 64),
        "EDGE_PASSES": 15,
    },
}


def load(data_dir, name):
    if name in LOADERS:
        X, y = LOADERS[name](return_X_y=True)
        return split(X, y, standardize=name != "digits"), True
    return split(*load_adbench(data_dir, name), standardize=True), False


def measure(setting, X_train, X_test, y_train, y_test, classes, seed=0):
    constants = {k: v for k, v in setting.items() if k.isupper()}
    params = {k: v for k, v in setting.items() if not k.isupper()}
    unknown = [k for k in constants if not hasattr(embedding_module, k)]
    if unknown:
        raise KeyError(f"sk_autoencoder._embedding has no constant {unknown}")
    saved = {k: getattr(embedding_module, k) for k in constants}
    for k, v in constants.items():
        setattr(embedding_module, k, v)
    try:
        model = AutoencoderEmbedding(random_state=seed, **params)
        start = time.perf_counter()
        train_codes = model.fit_transform(X_train)
        fit_seconds = time.perf_counter() - start
    finally:
        for k, v in saved.items():
            setattr(embedding_module, k, v)
    codes = model.transform(X_test)
    knn = "-"
    if classes:
        classifier = KNeighborsClassifier(5).fit(train_codes, y_train)
        knn = f"{classifier.score(codes, y_test):.3f}"
    return [
        f"{trustworthiness(X_test, codes, n_neighbors=5):.3f}",
        f"{trustworthiness(X_train, train_codes, n_neighbors=5):.3f}",
        knn,
        f"{np.mean((model.inverse_transform(codes) - X_test) ** 2):.4g}",
        f"{fit_seconds:.1f}",
    ]


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=DEVELOPMENT)
    p.add_argument("--settings", nargs="+", default=list(SETTINGS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--output", default="embedding_ideas.md")
    args = p.parse_args()
    rows = []
    with threadpool_limits(2):
        for name in args.datasets:
            (X_train, X_test, y_train, y_test), classes = load(args.data_dir, name)
            for setting in args.settings:
                for seed in args.seeds:
                    figures = measure(
                        SETTINGS[setting],
                        X_train,
                        X_test,
                        y_train,
                        y_test,
                        classes,
                        seed,
                    )
                    rows.append([name, setting, seed, *figures])
                    print(*rows[-1], flush=True)
    header = ["dataset", "setting", "seed", "held-out trust", "training trust"]
    header += ["5-NN", "held-out MSE", "fit s"]
    write_result(
        args.output,
        "\n\n".join(
            [
                "# AutoencoderEmbedding's training choices, one at a time",
                environment(),
                "Settings: " + "; ".join(f"{k} = {v}" for k, v in SETTINGS.items()),
                markdown_table(header, rows),
            ]
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
