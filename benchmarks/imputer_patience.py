"""How long AutoencoderImputer waits for an improvement on large tables.

ADBench sets of over 10,000 rows with at least 6 features, stratified-
subsampled to 20,000 rows, standardized, 20 % of the entries missing (MCAR
and MAR, as in defaults.py): the odd-numbered ones for development (seeds
0 and 1), the even-numbered ones held out (seeds 0-2). Each cell is the
RMSE on the missing entries, mean over seeds, and the fit_transform
seconds, of AutoencoderImputer with its defaults but ``n_iter_no_change``:
"1,000 updates" is the transformer's rule (the imputer's until it waited
at least 25 epochs), "auto" the default, 50 a longer wait (development
tables only). The last table gives each setting's geometric mean RMSE
and seconds over the rows of a group, relative to "1,000 updates" (below
1: better, or faster).

    python benchmarks/imputer_patience.py [--data-dir DIR] [--group GROUP]
"""

import time

import numpy as np
from _common import environment, load_adbench, markdown_table, parser, write_result
from defaults import MECHANISMS, make_missing
from denoising import missing_rmse
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_autoencoder import AutoencoderImputer, AutoencoderTransformer

# Tables, seeds and n_iter_no_change settings of each group.
OLD_RULE = "1,000 updates"
GROUPS = {
    "development": (
        ["1_ALOI", "5_campaign", "11_donors", "23_mammography"],
        [0, 1],
        [OLD_RULE, "auto", 50],
    ),
    "held-out": (
        ["22_magic.gamma", "10_cover", "32_shuttle", "8_celeba"],
        [0, 1, 2],
        [OLD_RULE, "auto"],
    ),
}


def transformer_patience(n_rows):
    """The transformer's "auto" patience, in epochs, for ``n_rows`` rows of
    which a tenth are held out for validation."""
    n_train = n_rows - max(1, round(0.1 * n_rows))
    return AutoencoderTransformer()._budget(n_train)[2]


def run(data_dir, group):
    names, seeds, settings = GROUPS[group]
    rows, ratios = [], {setting: ([], []) for setting in settings}
    for name in names:
        X = load_adbench(data_dir, name)[0]  # at most 20,000 rows
        X = StandardScaler().fit_transform(X)
        for mechanism in MECHANISMS:
            rmse = {setting: [] for setting in settings}
            seconds = {setting: [] for setting in settings}
            for seed in seeds:
                missing = make_missing(mechanism, X, 0.2, np.random.default_rng(seed))
                holes = np.where(missing, np.nan, X)
                for setting in settings:
                    patience = setting
                    if setting == OLD_RULE:
                        patience = transformer_patience(len(X))
                    imputer = AutoencoderImputer(
                        n_iter_no_change=patience, random_state=seed
                    )
                    start = time.perf_counter()
                    filled = imputer.fit_transform(holes)
                    seconds[setting].append(time.perf_counter() - start)
                    rmse[setting].append(missing_rmse(filled, X, missing))
            means = {s: np.mean(rmse[s]) for s in settings}
            times = {s: np.mean(seconds[s]) for s in settings}
            for setting in settings:
                ratios[setting][0].append(means[setting] / means[OLD_RULE])
                ratios[setting][1].append(times[setting] / times[OLD_RULE])
            rows.append(
                [name, X.shape, mechanism]
                + [f"{means[s]:.3f} ({times[s]:.0f} s)" for s in settings]
            )
            print(rows[-1], flush=True)
    summary = [
        [str(setting), len(ratios[setting][0])]
        + [f"{np.exp(np.mean(np.log(values))):.3f}" for values in ratios[setting]]
        for setting in settings
    ]
    return rows, summary, settings


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--group", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    args = p.parse_args()
    sections = [
        "# AutoencoderImputer's patience on large tables",
        environment(),
        "RMSE on the missing entries (standardized units) and fit_transform "
        "seconds, mean over seeds; one thread.",
    ]
    for group in args.group:
        with threadpool_limits(1):
            rows, summary, settings = run(args.data_dir, group)
        sections += [
            f"## {group.capitalize()} tables",
            markdown_table(["table", "shape", "holes", *map(str, settings)], rows),
            "Geometric mean over the rows, relative to 1,000 updates:",
            markdown_table(["n_iter_no_change", "rows", "RMSE", "seconds"], summary),
        ]
    suffix = "" if len(args.group) == len(GROUPS) else "_" + "_".join(args.group)
    write_result(f"imputer_patience{suffix}.md", "\n\n".join(sections) + "\n")


if __name__ == "__main__":
    main()
