"""The promises AutoencoderOutlierDetector makes, one test each."""

import pickle

import numpy as np
import pytest
import torch
from _params import DETECTOR
from joblib import cpu_count
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_info

from sk_autoencoder import AutoencoderOutlierDetector, _outlier, _skorch
from sk_autoencoder._skorch import ReconstructionLoss
from sk_autoencoder._utils import spread_sample


def planted_rows(n_features, seed=0):
    """Rows near a plane in ``n_features`` dimensions, plus ten that are not."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(500, 2)) @ rng.normal(size=(2, n_features))
    X += 0.05 * rng.normal(size=X.shape)
    return np.vstack([X, rng.normal(scale=3.0, size=(10, n_features))])


@pytest.fixture(scope="module")
def planted():
    """Correlated normal rows plus ten rows that break the correlation."""
    return planted_rows(6), np.r_[np.ones(500), -np.ones(10)].astype(int)


@pytest.fixture(scope="module")
def detector(planted):
    return AutoencoderOutlierDetector(2, **DETECTOR).fit(planted[0])


def test_scores_are_higher_for_normal_rows(detector, planted):
    X, y = planted
    scores = detector.score_samples(X)
    assert scores.dtype == np.float64
    assert scores[y == 1].min() > np.median(scores[y == -1])


@pytest.mark.parametrize("contamination", [0.01, 0.05, 0.2])
def test_float_contamination_flags_that_fraction(planted, contamination):
    X = planted[0]
    detector = AutoencoderOutlierDetector(
        2, contamination=contamination, **DETECTOR
    ).fit(X)
    iforest = IsolationForest(contamination=contamination, random_state=0).fit(X)
    n_flagged = np.sum(detector.predict(X) == -1)
    assert n_flagged == np.sum(iforest.predict(X) == -1)
    assert abs(n_flagged - contamination * len(X)) < 1


def test_auto_contamination_is_a_fence_three_lower_half_spreads_above_the_median(
    planted,
):
    # Without validation rows the fence is not raised (see below).
    X, y = planted
    detector = AutoencoderOutlierDetector(2, early_stopping=False, **DETECTOR).fit(X)
    outlyingness = -detector.score_samples(X)
    median = np.median(outlyingness)
    spread = np.mean(median - outlyingness[outlyingness < median])
    assert detector.offset_ == pytest.approx(-(median + 3.0 * spread))
    assert (detector.predict(X)[y == -1] == -1).all()


@pytest.mark.parametrize("share", [0.3, 0.4])
def test_auto_flags_outliers_that_are_a_third_of_the_rows(share):
    # Tukey's fence stands on Q3, which lies among the outliers once a
    # quarter of the rows are: it then flagged none of them.
    rng = np.random.default_rng(0)
    n_outliers = int(1000 * share)
    X = np.vstack(
        [
            rng.normal(size=(1000 - n_outliers, 10)),
            rng.uniform(-10, 10, size=(n_outliers, 10)),
        ]
    )
    flagged = AutoencoderOutlierDetector(random_state=0).fit_predict(X) == -1
    assert flagged[-n_outliers:].mean() > 0.9
    assert flagged[:-n_outliers].mean() < 0.05


@pytest.mark.parametrize(("n_samples", "n_features"), [(150, 100), (100, 40), (40, 20)])
def test_auto_flags_few_new_rows_of_small_clean_data(n_samples, n_features):
    # Under 200 rows only 4-15 are held out, yet the network rebuilds its
    # training rows far better than new ones: the fence must be raised.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features))
    detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    flagged = detector.predict(rng.normal(size=(2000, n_features))) == -1
    assert flagged.mean() < 0.15


def test_auto_fence_is_raised_by_how_much_more_outlying_unseen_rows_are():
    seen = np.linspace(1.0, 3.0, 501)  # median 2
    few = _outlier.MIN_UNSEEN_ROWS
    assert _outlier._unseen_ratio(np.full(few, 3.0), seen) == pytest.approx(1.5)
    # Never lowered, and not from too few rows to tell.
    assert _outlier._unseen_ratio(np.full(few, 1.0), seen) == 1.0
    assert _outlier._unseen_ratio(np.full(few - 1, 3.0), seen) == 1.0


def test_auto_fence_is_not_thrown_by_two_groups_of_outlyingness():
    # Half the rows near 0 (duplicates, rebuilt exactly), half near 1: the
    # median falls in either group with the sample, the typical value not.
    seen = np.r_[np.full(51, 0.01), np.full(49, 1.0)]
    unseen = np.r_[np.full(49, 0.01), np.full(51, 1.0)]
    assert _outlier._unseen_ratio(unseen, seen) < 1.1


@pytest.mark.parametrize("share", [0.3, 0.8])
def test_auto_fence_never_flags_a_value_a_quarter_of_the_rows_share(share):
    # Copies of one row, a large share of the data, equally outlying: they
    # count once when the fence is set, and are never beyond it.
    rng = np.random.default_rng(0)
    n_tied = int(1000 * share)
    outlyingness = np.r_[np.full(n_tied, 5.0), rng.uniform(0, 1, 1000 - n_tied)]
    assert -AutoencoderOutlierDetector()._threshold(-outlyingness) >= 5.0


def test_auto_flags_outliers_when_half_the_rows_are_duplicates():
    rng = np.random.default_rng(0)
    duplicates = np.repeat(rng.normal(size=(1, 10)), 500, axis=0)
    X = rng.permutation(np.vstack([rng.normal(size=(500, 10)), duplicates]))
    detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    far = rng.normal(size=(50, 10)) + 6.0
    assert (detector.predict(far) == -1).mean() > 0.9
    assert (detector.predict(rng.normal(size=(2000, 10))) == -1).mean() < 0.15


@pytest.mark.parametrize("seed", range(3))
def test_auto_flags_anomalies_in_binary_data_whose_rows_repeat(seed):
    # Ten binary features and a copy of each: 2,000 rows of a few hundred
    # distinct combinations, which new normal rows repeat. Anomalies break
    # the copy. Held out whole, validation rows would all be combinations
    # the network never saw, and the fence raised by them above the
    # anomalies (at seed 2, none flagged).
    rng = np.random.default_rng(seed)
    rows = (rng.random((3050, 20)) < 0.2).astype(float)
    rows[:, 10:] = rows[:, :10]
    anomalies = rows[3000:].copy()
    anomalies[:, 10:] = 1.0 - anomalies[:, 10:]
    detector = AutoencoderOutlierDetector(random_state=seed).fit(rows[:2000])
    assert (detector.predict(anomalies) == -1).mean() > 0.9
    assert (detector.predict(rows[2000:3000]) == -1).mean() < 0.05


@pytest.mark.parametrize("standardize", [True, False])
def test_one_wrong_training_entry_does_not_blind_the_detector_to_its_feature(
    standardize,
):
    # Ten independent features; anomalies shift the first by 6. One training
    # entry of that feature at 1,000 (a typo) set its standard deviation to
    # about 32: the feature all but left the scores (ROC-AUC 0.43-0.49
    # over seeds 0-2, below chance, against 0.99-1.0 without the typo).
    rng = np.random.default_rng(0)
    train, normal, anomalies = (rng.normal(size=(n, 10)) for n in (1000, 500, 30))
    anomalies[:, 0] += 6.0
    train[0, 0] = 1000.0
    detector = AutoencoderOutlierDetector(standardize=standardize, random_state=0)
    detector.fit(train)
    assert detector.scale_[0] < 1.2 * np.std(train[1:, 0])
    scores = detector.score_samples(np.vstack([normal, anomalies]))
    auc = roc_auc_score(np.r_[np.zeros(500), np.ones(30)], -scores)
    assert auc > 0.95
    assert (detector.predict(anomalies) == -1).mean() > 0.8


def test_auto_flags_few_new_rows_of_small_wide_clean_data():
    # 300 rows of 50 independent features: the network rebuilds the rows
    # it trained on better than new ones, and a fence set from those alone
    # flags far more new rows than the training rows it was set on.
    rng = np.random.default_rng(0)
    detector = AutoencoderOutlierDetector(random_state=0).fit(
        rng.normal(size=(300, 50))
    )
    flagged = detector.predict(rng.normal(size=(2000, 50))) == -1
    assert flagged.mean() < 0.1


def test_reconstruction_errors_explain_scores(planted):
    X = planted[0]
    detector = AutoencoderOutlierDetector(2, n_neighbors=None, **DETECTOR).fit(X)
    errors = detector.reconstruction_errors(X)
    assert errors.shape == X.shape
    rms = np.sqrt(errors.mean(axis=1))
    assert_allclose(-rms, detector.score_samples(X), rtol=1e-6)
    assert detector.neighbors_ is None


# 6 features: scikit-learn searches with a tree; 40: by brute force, which
# puts a row at about 1e-7 from itself rather than 0, and, with each row
# twinned 1e-8 away, often farther than from its twin.
@pytest.mark.parametrize(
    ("n_features", "twins"), [(6, False), (40, False), (6, True), (40, True)]
)
def test_outlyingness_is_the_larger_of_error_and_neighbour_distance(n_features, twins):
    X = planted_rows(n_features)
    if twins:
        X = np.vstack([X, X + 1e-8])
    detector = AutoencoderOutlierDetector(2, **DETECTOR).fit(X)
    outlyingness = -detector.score_samples(X)
    errors = np.sqrt(detector.reconstruction_errors(X).mean(axis=1))
    # The distance, computed here on its own: every training row is kept
    # (fewer than 1,024), scaled as the errors are; each row's mean
    # distance to its n_neighbors nearest other rows
    # (kneighbors without X leaves each row itself out).
    scaled = (X - detector.mean_) / detector.scale_
    distances = NearestNeighbors(n_neighbors=11).fit(scaled).kneighbors()[0]
    # With twins every row is there twice: its twin, the nearest, is a copy
    # of it, not a neighbour.
    distances = (distances[:, 1:] if twins else distances[:, :10]).mean(axis=1)
    # Where the distance wins, the outlyingness is that distance on the
    # errors' scale: a straight line with positive slope.
    by_distance = outlyingness > errors * (1 + 1e-5)
    assert 0 < by_distance.sum() < len(X)
    slope, intercept = np.polyfit(distances[by_distance], outlyingness[by_distance], 1)
    assert slope > 0
    assert_allclose(
        outlyingness, np.maximum(errors, slope * distances + intercept), rtol=1e-6
    )


def test_neighbour_distance_flags_a_row_in_a_gap_of_the_data():
    # Two clusters on a line: a row on the line between them is rebuilt
    # perfectly (its code lies within the clipping bounds), but no training
    # row is near it.
    rng = np.random.default_rng(0)
    position = np.r_[rng.normal(-3, 0.2, 300), rng.normal(3, 0.2, 300)]
    X = np.c_[position, 2 * position] + 0.01 * rng.normal(size=(600, 2))
    gap = np.array([[0.0, 0.0]])
    params = {**DETECTOR, "n_components": 1}
    with_distance = AutoencoderOutlierDetector(**params).fit(X)
    error_only = AutoencoderOutlierDetector(n_neighbors=None, **params).fit(X)
    assert error_only.predict(gap)[0] == 1
    assert with_distance.predict(gap)[0] == -1


def test_reconstruction_errors_point_at_the_broken_feature(detector, planted):
    X = planted[0][:500].copy()
    X[:, 3] += 20 * X[:, 3].std()
    errors = detector.reconstruction_errors(X)
    assert np.mean(errors.argmax(axis=1) == 3) > 0.9


def test_detector_is_also_a_reducer(detector, planted):
    X = planted[0]
    Z = detector.transform(X)
    assert Z.shape == (len(X), 2)
    assert detector.inverse_transform(Z).shape == X.shape


def test_offset_sign_convention_matches_isolation_forest(detector, planted):
    # Same sign conventions as scikit-learn's own detector: higher scores are
    # more normal, negative decision values are outliers.
    X, y = planted
    iforest = IsolationForest(random_state=0).fit(X)
    for model in (detector, iforest):
        assert np.median(model.decision_function(X[y == -1])) < 0
        assert np.median(model.decision_function(X[y == 1])) > 0


def test_auto_code_width_is_half_the_features(planted):
    detector = AutoencoderOutlierDetector(**DETECTOR).fit(planted[0])
    assert detector.n_components_ == 3


@pytest.mark.parametrize(
    ("n_samples", "epochs"),
    [
        (1_000, 20),  # 900 training rows, 5 batches: the epoch bound holds
        (4_000, 7),  # 3,600 training rows, 18 batches: 7 epochs make 120 updates
    ],
)
def test_auto_max_iter_trains_at_most_20_epochs_and_120_updates(n_samples, epochs):
    X = np.random.default_rng(0).normal(size=(n_samples, 2))
    detector = AutoencoderOutlierDetector(
        hidden_layer_sizes=(4,), n_iter_no_change=100, random_state=0
    ).fit(X)
    assert detector.n_iter_ == epochs


def _training_batches(detector):
    """The sizes of the training batches of each epoch of ``detector``."""
    return [
        [
            batch["train_batch_size"]
            for batch in epoch["batches"]
            if "train_loss" in batch
        ]
        for epoch in detector.net_.history
    ]


@pytest.mark.parametrize(
    ("max_iter", "batches"),
    [
        # 27,000 training rows, 135 batches of 200: the epoch is cut to the
        # budget's 120 updates, over 24,000 rows drawn at random.
        ("auto", 120),
        # An int counts whole epochs, as the user said.
        (1, 135),
    ],
)
def test_auto_budget_cuts_an_epoch_longer_than_120_updates(max_iter, batches):
    X = np.random.default_rng(0).normal(size=(30_000, 2))
    detector = AutoencoderOutlierDetector(
        hidden_layer_sizes=(4,), max_iter=max_iter, random_state=0
    ).fit(X)
    assert _training_batches(detector) == [[200] * batches]


def test_a_fit_on_an_epoch_cut_to_the_budget_is_reproducible():
    X = np.random.default_rng(0).normal(size=(30_000, 2))
    scores = [
        AutoencoderOutlierDetector(hidden_layer_sizes=(4,), random_state=0)
        .fit(X)
        .score_samples(X[:5])
        for _ in range(2)
    ]
    np.testing.assert_array_equal(scores[0], scores[1])


@pytest.mark.parametrize(
    ("n_samples", "n_features", "epochs"),
    [
        # 1,800 training rows, 9 batches of 200: 41 updates pass 8.4
        # million values, so 5 epochs (14 for 120 updates).
        (2_000, 1_000, 5),
        # 135 training rows, one batch of 135: 20 updates (the epoch bound),
        # not the 13 that batches of 200 rows would allow.
        (150, 3_000, 20),
    ],
)
def test_auto_max_iter_stops_in_the_epoch_that_passes_8_million_values(
    n_samples, n_features, epochs
):
    X = np.random.default_rng(0).normal(size=(n_samples, n_features))
    detector = AutoencoderOutlierDetector(
        hidden_layer_sizes=(4,), n_components=2, n_iter_no_change=100, random_state=0
    ).fit(X)
    assert detector.n_iter_ == epochs


def test_auto_code_width_is_at_most_128():
    X = np.random.default_rng(0).normal(size=(40, 300))
    detector = AutoencoderOutlierDetector(max_iter=1, random_state=0).fit(X)
    assert detector.n_components_ == 128


def test_codes_are_clipped_when_scoring(planted):
    # A row far out along the code's own directions is scored by the
    # reconstruction of its code clipped to the training codes' range.
    X = planted[0][:500]
    detector = AutoencoderOutlierDetector(2, n_neighbors=None, **DETECTOR)
    detector.fit(X)
    far = 50 * X[np.argmax(np.linalg.norm(X, axis=1))][None, :]
    code = detector.transform(far)
    clipped = np.clip(code, detector.code_lower_, detector.code_upper_)
    assert not np.allclose(clipped, code)
    rebuilt = detector.inverse_transform(clipped)
    error = np.sqrt(np.mean(((rebuilt - far) / detector.scale_) ** 2))
    assert -detector.score_samples(far)[0] == pytest.approx(error, rel=1e-4)
    assert detector.predict(far)[0] == -1


def test_support_fraction_trims_the_rows_beyond_a_fence_from_the_loss():
    loss = ReconstructionLoss(support_fraction=0.5)
    target = torch.zeros(4, 2)
    rebuilt = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [10.0, 10.0]])
    # Row errors 1, 4, 9, 100: median 4 (the lower one), the lower half 3
    # below it, so the fence is 4 + 2 * 3 = 10 and 100 alone is left out.
    assert _skorch.TRIM_FENCE == 2.0
    assert loss((rebuilt, None), target).item() == pytest.approx(14 / 3)
    assert ReconstructionLoss()((rebuilt, None), target).item() == pytest.approx(28.5)


def test_support_fraction_leaves_out_no_more_than_its_share():
    # Errors 0 but for two rows of 1: the fence is the median, 0, so the
    # best three quarters count, the six rows rebuilt exactly.
    loss = ReconstructionLoss(support_fraction=0.75)
    target = torch.zeros(8, 1)
    rebuilt = torch.tensor([[0.0]] * 6 + [[1.0], [1.0]])
    assert loss((rebuilt, None), target).item() == pytest.approx(0.0)
    # Three rows of 1, one of them among the best three quarters: rows tied
    # with it count too.
    rebuilt = torch.tensor([[0.0]] * 5 + [[1.0]] * 3)
    assert loss((rebuilt, None), target).item() == pytest.approx(3 / 8)


def test_rows_rebuilt_a_little_worse_than_the_rest_are_all_learnt():
    # A quarter of the rows, a value of discrete data rebuilt a little worse
    # early in training: within the fence, they count.
    loss = ReconstructionLoss(support_fraction=0.75)
    target = torch.zeros(100, 1)
    rebuilt = torch.cat([torch.linspace(0.9, 1.1, 70), torch.full((30,), 1.2)])
    errors = rebuilt**2
    assert loss((rebuilt[:, None], None), target).item() == pytest.approx(
        errors.mean().item()
    )


@pytest.mark.parametrize("seed", range(3))
def test_every_value_of_one_hot_categories_is_learnt(seed):
    # Three categorical features one-hot encoded, 24 combinations held
    # about 90 times each: a fixed quarter of each batch left out of the
    # loss left the two combinations rebuilt worst early on unlearnt, and
    # they ranked among the anomalies, combinations never seen (average
    # precision 0.78, 0.64, 0.98 at these seeds; a new-user hunt's table).
    rng = np.random.default_rng(seed)

    def one_hot(a, b, c):
        return np.hstack([np.eye(4)[a], np.eye(4)[b], np.eye(3)[c]])

    a = rng.integers(0, 4, 3000)
    b = (a + rng.integers(0, 2, 3000)) % 4
    X = one_hot(a, b, rng.integers(0, 3, 3000))
    a = rng.integers(0, 4, 30)
    unseen = one_hot(a, (a + 2 + rng.integers(0, 2, 30)) % 4, rng.integers(0, 3, 30))
    detector = AutoencoderOutlierDetector(random_state=seed).fit(X[:2100])
    scores = detector.score_samples(np.vstack([X[2100:], unseen]))
    assert scores[:900].min() > scores[900:].max()


def test_partial_fit_keeps_threshold_and_bounds_matched_to_the_network(planted):
    X = planted[0]
    detector = AutoencoderOutlierDetector(2, **DETECTOR)
    seen = X[:0]
    for chunk in np.array_split(np.random.default_rng(0).permutation(X), 3):
        detector.partial_fit(chunk)
        # The bounds and threshold are those a fit on the rows seen so far
        # (all of them kept: fewer than MAX_THRESHOLD_ROWS) would set with
        # the network as it now is.
        seen = np.vstack([seen, chunk])
        codes = detector.transform(seen)
        assert_allclose(
            detector.code_lower_, np.quantile(codes, 0.1, axis=0), rtol=1e-6
        )
        outlyingness = -detector.score_samples(seen)
        median = np.median(outlyingness)
        spread = np.mean(median - outlyingness[outlyingness < median])
        assert detector.offset_ == pytest.approx(-(median + 3.0 * spread))
    assert detector.n_iter_ == 3
    assert np.mean(detector.predict(planted[0][-10:]) == -1) >= 0.8


@pytest.mark.parametrize("n_neighbors", [5, None])
@pytest.mark.parametrize("n_rows", [1, 2, 20])
def test_a_small_later_chunk_does_not_set_the_threshold_alone(n_rows, n_neighbors):
    rng = np.random.default_rng(0)
    X, new = rng.normal(size=(1000, 6)), rng.normal(size=(2000, 6))
    detector = AutoencoderOutlierDetector(n_neighbors=n_neighbors, random_state=0)
    detector.fit(X)
    detector.partial_fit(X[:n_rows])
    assert np.all(detector.code_upper_ > detector.code_lower_)
    assert np.mean(detector.predict(new) == -1) < 0.2


def test_default_detector_trains_on_noisy_copies(planted):
    detector = AutoencoderOutlierDetector(**DETECTOR).fit(planted[0])
    assert detector.net_.iterator_train__corruption.noise == "gaussian"
    assert detector.net_.iterator_train__corruption.level == 1.0


def test_n_neighbors_is_capped_by_the_training_rows(planted):
    detector = AutoencoderOutlierDetector(2, n_neighbors=10, **DETECTOR)
    detector.fit(planted[0][:5])
    # Four neighbours used, plus the row itself, dropped when scored.
    assert detector.neighbors_.n_neighbors == 5
    assert np.isfinite(detector.score_samples(planted[0])).all()


@pytest.mark.parametrize("n_neighbors", [0, -1, 2.5])
def test_bad_n_neighbors_raises_before_training(planted, n_neighbors):
    detector = AutoencoderOutlierDetector(n_neighbors=n_neighbors, **DETECTOR)
    with pytest.raises(ValueError, match="n_neighbors"):
        detector.fit(planted[0])
    assert not hasattr(detector, "net_")


@pytest.mark.parametrize(("n_samples", "n_kept"), [(3000, 3000), (5000, 4096)])
def test_neighbour_distance_searches_at_most_4096_training_rows(n_samples, n_kept):
    X = np.random.default_rng(0).normal(size=(n_samples, 4))
    detector = AutoencoderOutlierDetector(2, **{**DETECTOR, "max_iter": 1}).fit(X)
    assert detector.neighbors_.n_samples_fit_ == n_kept


@pytest.mark.parametrize(
    ("n_features", "n_kept"), [(1024, 4096), (2048, 2048), (4096, 1024), (8192, 1024)]
)
def test_wide_data_keeps_fewer_rows_but_at_least_1024(n_features, n_kept):
    # At most 2^22 numbers (32 MB in float64), within [1024, 4096] rows.
    assert _outlier._n_kept_rows(10_000, n_features) == n_kept


@pytest.mark.parametrize(("n_rows", "n_sources"), [(8192, 2), (8190, 2), (12286, 3)])
def test_a_spread_sample_takes_rows_that_cycle_through_sources_in_their_shares(
    n_rows, n_sources
):
    """Rows evenly spaced, every other one, would be one source's alone."""
    for limit in 4096, 2048:
        rows = spread_sample(np.arange(n_rows), limit)
        assert len(rows) == limit
        assert np.all(np.diff(rows) > 0)
        shares = np.bincount(rows % n_sources, minlength=n_sources) / limit
        np.testing.assert_allclose(shares, 1 / n_sources, atol=0.03)
        assert_array_equal(rows, spread_sample(np.arange(n_rows), limit))


def test_contamination_flags_its_share_of_rows_that_cycle_through_sources():
    # Two sources logging in turn, apart along the first feature.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8192, 8))
    X[1::2, 0] += 3.0
    detector = AutoencoderOutlierDetector(contamination=0.05, **DETECTOR).fit(X)
    flagged = detector.predict(X) == -1
    for source in X[0::2], X[1::2]:
        assert np.mean(detector.predict(source) == -1) < 0.08
    assert flagged.mean() == pytest.approx(0.05, abs=0.01)


def test_float_contamination_flags_that_fraction_of_2048_training_rows():
    X = np.random.default_rng(0).normal(size=(5000, 4))
    detector = AutoencoderOutlierDetector(
        2, contamination=0.1, **{**DETECTOR, "max_iter": 1}
    ).fit(X)
    kept = X[spread_sample(np.arange(len(X)), 4096)]
    rows = kept[spread_sample(np.arange(len(kept)), 2048)]
    assert abs(np.sum(detector.predict(rows) == -1) - 0.1 * 2048) < 1


# Two threads where the machine has two cores: n_jobs starts no more.
@pytest.mark.parametrize(("n_jobs", "threads"), [(None, 1), (2, min(2, cpu_count()))])
def test_neighbour_search_runs_on_n_jobs_threads(planted, monkeypatch, n_jobs, threads):
    X = planted[0]
    detector = AutoencoderOutlierDetector(2, n_jobs=n_jobs, **DETECTOR).fit(X)
    search, seen = detector.neighbors_.kneighbors, []

    def recording_search(*args, **kwargs):
        seen.extend(pool["num_threads"] for pool in threadpool_info())
        return search(*args, **kwargs)

    monkeypatch.setattr(detector.neighbors_, "kneighbors", recording_search)
    detector.score_samples(X)
    assert seen
    assert set(seen) == {threads}


def test_training_rows_are_not_their_own_neighbours(planted):
    # Scored again, a kept training row must not find itself at distance
    # 0, or training rows would look more normal than new rows and offset_
    # would not hold for new data. With one neighbour that would zero the
    # neighbour distance of every kept row.
    X = planted[0]
    detector = AutoencoderOutlierDetector(2, n_neighbors=1, **DETECTOR).fit(X)
    outlyingness = -detector.score_samples(X)
    errors = np.sqrt(detector.reconstruction_errors(X).mean(axis=1))
    assert np.sum(outlyingness > errors * (1 + 1e-5)) > 0.1 * len(X)


@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_a_training_row_rounded_to_float32_scores_as_itself(offset):
    # Rounded, a kept row is no longer equal to itself, yet still within
    # rounding of it: it must not count itself as its nearest neighbour.
    # Far from 0, float32 rounds more than the centred rows show.
    rng = np.random.default_rng(0)
    X = offset + rng.normal(size=(1000, 8)) @ rng.normal(size=(8, 8))
    detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    rounded = X.astype(np.float32)
    # Scores move by the rounding of the values alone, not by a neighbour.
    assert_allclose(detector.score_samples(rounded), detector.score_samples(X), 1e-3)
    assert_array_equal(detector.predict(rounded), detector.predict(X))


def test_new_float32_rows_with_a_large_offset_score_as_their_float64_values():
    # At 1e6 float32 keeps a spread of 1 to within 0.06: far finer than the
    # rows' distances, so no new row is taken for a kept training row.
    rng = np.random.default_rng(0)
    detector = AutoencoderOutlierDetector(random_state=0)
    detector.fit(1e6 + rng.normal(size=(500, 6)))
    new = (1e6 + rng.normal(size=(500, 6))).astype(np.float32)
    assert_allclose(
        detector.score_samples(new), detector.score_samples(new.astype(np.float64))
    )


def test_new_float64_rows_with_a_large_offset_score_as_if_centred():
    # A timestamp-like feature (1.7e12, spread 1e4): float64 rows are not
    # rounded, so no new row is taken for a kept training row however large
    # its raw values.
    rng = np.random.default_rng(0)

    def rows(n):
        return np.column_stack([rng.normal(size=n), rng.normal(size=(n, 5))])

    X, X_new = rows(1000), rows(500)
    offset = np.array([1.7e12] + [0.0] * 5)
    spread = np.array([1e4] + [1.0] * 5)
    centred = AutoencoderOutlierDetector(random_state=0).fit(X)
    shifted = AutoencoderOutlierDetector(random_state=0).fit(offset + spread * X)
    assert_allclose(
        shifted.score_samples(offset + spread * X_new),
        centred.score_samples(X_new),
        atol=1e-3,
    )


def test_distances_that_say_nothing_are_not_used():
    # Every row the same: a row has no neighbour but copies of itself, all
    # neighbour distances are 0 and scores are the reconstruction errors.
    X = np.repeat(np.random.default_rng(0).normal(size=(1, 4)), 300, axis=0)
    detector = AutoencoderOutlierDetector(2, **DETECTOR).fit(X)
    assert detector.neighbors_ is None
    errors = np.sqrt(detector.reconstruction_errors(X).mean(axis=1))
    assert_allclose(-detector.score_samples(X), errors, rtol=1e-6)


def test_copies_of_every_row_are_not_its_neighbours():
    # A table held 15 times over: each row's copies are dropped, so its
    # distance is to the other rows, as a new row's is.
    rows = np.random.default_rng(0).normal(size=(20, 4))
    detector = AutoencoderOutlierDetector(2, **DETECTOR).fit(np.repeat(rows, 15, 0))
    once = AutoencoderOutlierDetector(2, **DETECTOR).fit(rows)
    scaled = (rows - detector.mean_) / detector.scale_
    # The 10 nearest of the other rows' 15 copies: the nearest other row.
    nearest = NearestNeighbors(n_neighbors=1).fit(scaled).kneighbors()[0][:, 0]
    assert_allclose(detector._neighbor_distances(rows), nearest, rtol=1e-6)
    assert detector._copies_ == 15 and once._copies_ == 1


@pytest.mark.parametrize("jitter", [0.0, 1e-3], ids=["exact", "jittered"])
@pytest.mark.parametrize("contamination", ["auto", 0.05])
def test_threshold_holds_for_new_rows_when_the_training_table_is_repeated(
    jitter, contamination
):
    # Copies, exact or jittered (noisy oversampling), put each training row
    # next to its copies; new rows have none.
    rng = np.random.default_rng(0)
    rows, new = rng.normal(size=(200, 8)), rng.normal(size=(2000, 8))
    for times in (2, 5):
        table = np.tile(rows, (times, 1))
        table += jitter * rng.normal(size=table.shape)
        detector = AutoencoderOutlierDetector(
            contamination=contamination, random_state=0
        ).fit(table)
        assert detector._copies_ == times
        flagged = detector.predict(new) == -1
        assert flagged.mean() < 0.15


def test_copies_are_the_rows_before_the_last_large_gap():
    reach = np.full(4, 1e-6)
    found = np.array(
        [
            [0.0, 1e-3, 2e-3, 1.0, 1.1],  # itself and two jittered copies
            [0.0, 0.5, 0.6, 0.7, 0.8],  # itself alone
            [0.3, 0.4, 0.5, 0.6, 0.7],  # a new row: no copy
            [0.0, 0.0, 0.0, 0.0, 0.0],  # exact copies all along
        ]
    )
    expected = [[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]
    assert_array_equal(_outlier._copies(found, reach), np.array(expected, bool))


def test_many_jittered_copies_of_each_row_are_counted():
    # More copies of each row among the kept rows than n_neighbors + 64.
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 8))
    table = np.tile(rows, (100, 1)) + 1e-3 * rng.normal(size=(5000, 8))
    detector = AutoencoderOutlierDetector(max_iter=2, random_state=0).fit(table)
    assert detector._copies_ > 64


def test_tight_groups_of_rows_are_not_taken_for_copies():
    # Groups of about 20 rows, a twentieth across, far apart: rows of the
    # data, whose neighbours count, not copies of one row.
    rng = np.random.default_rng(1)
    centres = rng.uniform(-10, 10, size=(100, 8))
    X = centres[rng.integers(100, size=2000)] + 0.05 * rng.normal(size=(2000, 8))
    detector = AutoencoderOutlierDetector(max_iter=2, random_state=0).fit(X)
    assert detector._copies_ == 1


@pytest.mark.parametrize(
    ("constant", "value"), [("SEARCH_BATCH_ROWS", 7), ("SEARCH_BATCH_VALUES", 100)]
)
def test_scores_do_not_depend_on_the_search_batches(
    detector, planted, monkeypatch, constant, value
):
    X = planted[0]
    whole = detector.score_samples(X)
    monkeypatch.setattr(_outlier, constant, value)
    assert_array_equal(detector.score_samples(X), whole)


def test_rows_with_many_copies_are_searched_in_smaller_batches(monkeypatch):
    # 90 % of the rows are one row: each drops its copies, so searches as
    # many neighbours, and a batch of rows holds that many distances each.
    rng = np.random.default_rng(0)
    X = np.zeros((500, 3))
    X[450:] = rng.exponential(size=(50, 3))
    detector = AutoencoderOutlierDetector(max_iter=2, random_state=0).fit(X)
    n_found = detector.neighbors_.n_neighbors
    assert n_found > 100
    batches = []
    search = AutoencoderOutlierDetector._search

    def recorded(self, rows, n_neighbors=None):
        batches.append(len(rows))
        return search(self, rows, n_neighbors)

    monkeypatch.setattr(AutoencoderOutlierDetector, "_search", recorded)
    detector.score_samples(np.zeros((20_000, 3)))
    assert max(batches) * n_found <= _outlier.SEARCH_BATCH_VALUES


def test_the_starting_weights_kept_in_training_are_dropped_after_fit():
    # Early stopping keeps the weights training started from, for the
    # transformer to start again from; no fitted estimator carries that
    # copy, in memory or in its pickle.
    X = np.random.default_rng(0).normal(size=(300, 8))
    detector = AutoencoderOutlierDetector(max_iter=3, random_state=0).fit(X)
    stopping = dict(detector.net_.callbacks_)["early_stopping"]
    assert not hasattr(stopping, "start_weights_")
    restored = pickle.loads(pickle.dumps(detector))
    assert_array_equal(restored.score_samples(X), detector.score_samples(X))
