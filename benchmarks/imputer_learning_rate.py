"""How AutoencoderImputer's learning rate was chosen, on development tasks only.

Tables: the odd-numbered ADBench sets (defaults.py's development group) in
three sizes, standardized, 20 % of the entries missing (MCAR and MAR, as in
defaults.py), seeds 0 and 1: small ones (80 to 768 rows, the larger sets
subsampled as everywhere, stratified), the 2,000-row subsamples defaults.py
uses, and two larger ones (seed 0 only). 43_WDBC and 45_wine are left out:
they are scikit-learn's breast cancer and wine, held out in defaults.py.
Images: defaults.py's development hole, a 3 x 3 block in each held-out
digit, seeds 0-2 ("auto" is 1e-3 there). Each cell is the RMSE on the
missing entries, mean over seeds, of AutoencoderImputer with its defaults
but ``learning_rate_init`` (a constant, or the default "auto"); the last
rows give each setting's geometric mean RMSE over the rows of a group,
relative to 1e-3's.

    python benchmarks/imputer_learning_rate.py [--data-dir DIR]
"""

import numpy as np
from _common import environment, load_adbench, markdown_table, parser, write_result
from defaults import MAX_ROWS, MECHANISMS, block_holes, make_missing
from denoising import digits_split, missing_rmse
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderImputer

# Constant rates, and "auto": the default (for tables, 1e-3 times the
# square root of batch_size / 200, at most 1e-3).
RATES = [1e-3, 5e-4, 3e-4, "auto"]
IMAGE_RATES = [1e-3, 5e-4]
# Table name: rows kept (None: all), per group.
GROUPS = {
    "small": {
        "15_Hepatitis": None,
        "39_vertebral": None,
        "37_Stamps": None,
        "29_Pima": None,
        "47_yeast": 300,
        "7_Cardiotocography": 400,
        "41_Waveform": 400,
    },
    f"{MAX_ROWS:,} rows": {
        name: MAX_ROWS
        for name in [
            "1_ALOI",
            "5_campaign",
            "7_Cardiotocography",
            "27_PageBlocks",
            "41_Waveform",
            "47_yeast",
        ]
    },
    "larger": {"1_ALOI": 20_000, "27_PageBlocks": None},
}
SEEDS = {"small": [0, 1], f"{MAX_ROWS:,} rows": [0, 1], "larger": [0]}


def table(data_dir, name, rows):
    X = load_adbench(data_dir, name, max_rows=rows or np.inf)[0]
    return StandardScaler().fit_transform(X)


def impute_rows(data_dir):
    rows, ratios = [], {}
    for group, tables in GROUPS.items():
        for name, n_rows in tables.items():
            X = table(data_dir, name, n_rows)
            for mechanism in MECHANISMS:
                rmse = {rate: [] for rate in RATES}
                for seed in SEEDS[group]:
                    missing = make_missing(
                        mechanism, X, 0.2, np.random.default_rng(seed)
                    )
                    holes = np.where(missing, np.nan, X)
                    for rate in RATES:
                        imputer = AutoencoderImputer(
                            learning_rate_init=rate, random_state=seed
                        )
                        filled = imputer.fit_transform(holes)
                        rmse[rate].append(missing_rmse(filled, X, missing))
                means = {rate: np.mean(values) for rate, values in rmse.items()}
                for rate in RATES:
                    ratios.setdefault(group, {}).setdefault(rate, []).append(
                        means[rate] / means[RATES[0]]
                    )
                rows.append(
                    [group, name, X.shape, mechanism]
                    + [f"{means[rate]:.3f}" for rate in RATES]
                )
                print(rows[-1], flush=True)
    summary = [
        [group, len(values[RATES[0]])]
        + [f"{np.exp(np.mean(np.log(values[rate]))):.4f}" for rate in RATES]
        for group, values in ratios.items()
    ]
    return rows, summary


def inpaint_rows():
    X_train, X_test = digits_split(0)
    rmse = {rate: [] for rate in IMAGE_RATES}
    for seed in [0, 1, 2]:
        holes = block_holes(X_test, np.random.default_rng(seed), 3, 3)
        for rate in IMAGE_RATES:
            imputer = AutoencoderImputer(
                image_shape=(8, 8), learning_rate_init=rate, random_state=seed
            ).fit(X_train)
            filled = imputer.transform(holes)
            rmse[rate].append(missing_rmse(filled, X_test, np.isnan(holes)))
            print(seed, rate, rmse[rate][-1], flush=True)
    return [
        ["3 x 3 block, image_shape=(8, 8)"]
        + [f"{np.mean(rmse[rate]):.4f}" for rate in IMAGE_RATES]
    ]


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    with threadpool_limits(1):
        rows, summary = impute_rows(args.data_dir)
        images = inpaint_rows()
    rates = [str(rate) for rate in RATES]
    text = "\n\n".join(
        [
            "# AutoencoderImputer's learning rate, on development tasks",
            environment(),
            "RMSE on the missing entries (standardized units), mean over seeds; "
            "one thread.",
            markdown_table(["group", "table", "shape", "holes", *rates], rows),
            "Geometric mean RMSE over the rows of each group, relative to 1e-3's "
            "(below 1: better):",
            markdown_table(["group", "rows", *rates], summary),
            "Held-out digits, RMSE on the missing pixels, mean over seeds 0-2:",
            markdown_table(["holes", *map(str, IMAGE_RATES)], images),
        ]
    )
    write_result("imputer_learning_rate.md", text + "\n")


if __name__ == "__main__":
    main()
