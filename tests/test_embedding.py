"""AutoencoderEmbedding: one test per promised behaviour."""

import pickle

import numpy as np
import pytest
import torch
from joblib import cpu_count
from sklearn.datasets import load_digits, make_swiss_roll
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor

from sk_autoencoder import AutoencoderEmbedding, AutoencoderTransformer
from sk_autoencoder._embedding import _neighbourhood_radius, _noise_radii
from sk_autoencoder._network import MLPAutoencoder
from sk_autoencoder._umap import nearest_neighbors

# Short training: the behaviour, not the quality the benchmark measures.
FAST = {"max_iter": 100, "random_state": 0}


@pytest.fixture(scope="module")
def digits_split():
    """600 digits, 30 % held out: ten classes that no plane through the
    pixels keeps apart."""
    X, _ = load_digits(return_X_y=True)
    return train_test_split(X[:600], test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def fitted(digits):
    return AutoencoderEmbedding(**FAST).fit(digits[0])


def test_neighbourhoods_of_held_out_rows_beat_pca_and_a_plain_autoencoder(
    digits_split,
):
    X_train, X_test = digits_split

    def held_out_trust(reducer):
        codes = reducer.fit(X_train).transform(X_test)
        return trustworthiness(X_test, codes, n_neighbors=5)

    ours = held_out_trust(AutoencoderEmbedding(random_state=0))
    pca = held_out_trust(PCA(2))
    plain = held_out_trust(AutoencoderTransformer(2, random_state=0))
    random_map = trustworthiness(
        X_test, np.random.default_rng(0).normal(size=(len(X_test), 2)), n_neighbors=5
    )
    assert ours > pca + 0.05
    # Noise on the encoder's inputs in training is what carries the map to
    # new rows: without it the held-out map led the plain autoencoder's by
    # about 0.015 here; with it, by about 0.06.
    assert ours > plain + 0.04
    assert ours > random_map + 0.2


def test_the_map_keeps_the_layers_of_a_swiss_roll_apart():
    # The training noise spans a row's neighbourhood, not the data's whole
    # scale: a noise as wide as the gap between the roll's layers folded
    # them onto each other (see benchmarks/results/embedding_noise.md).
    # Shorter training leaves the position along the roll to the seed.
    X, position = make_swiss_roll(1200, noise=0.05, random_state=0)
    X_train, X_test, p_train, p_test = train_test_split(
        X, position, test_size=0.3, random_state=0
    )
    embedding = AutoencoderEmbedding(max_iter=1500, random_state=0).fit(X_train)
    along_the_roll = KNeighborsRegressor(5).fit(embedding.transform(X_train), p_train)
    assert along_the_roll.score(embedding.transform(X_test), p_test) > 0.7


def test_copies_of_the_rows_leave_the_training_noise_as_wide(digits):
    X = digits[0][:200].astype(np.float32)
    once = nearest_neighbors(X, 14, None)[0]
    held_15_times = np.repeat(X, 15, axis=0)
    copies = nearest_neighbors(held_15_times, 14, None)[0]
    assert _neighbourhood_radius(held_15_times, copies) == pytest.approx(
        _neighbourhood_radius(X, once)
    )
    assert _neighbourhood_radius(X, once) > 0


def test_the_training_noise_is_narrower_in_dense_clusters_within_a_factor_of_2():
    rng = np.random.default_rng(0)
    dense, sparse = rng.normal(size=(100, 4)) * 0.1, rng.normal(size=(300, 4)) + 10
    X = np.vstack([dense, sparse, np.repeat(sparse[:1], 20, axis=0)])
    distances = nearest_neighbors(X, 14, None)[0]
    radii = _noise_radii(X, distances)
    typical = _neighbourhood_radius(X, distances)
    assert radii[:100].max() < radii[101:400].min()
    np.testing.assert_allclose(radii[:100], typical / 2)
    assert radii.max() <= 2 * typical
    # A row among its copies takes the typical radius.
    np.testing.assert_allclose(radii[-20:], typical)


def test_inverse_transform_gives_rows_in_the_input_units(fitted, digits):
    X = digits[0]
    rebuilt = fitted.inverse_transform(fitted.transform(X))
    assert rebuilt.shape == X.shape
    # Closer to the rows than the mean row is: the decoder undoes the scaling.
    assert np.mean((rebuilt - X) ** 2) < 0.8 * np.mean((X - X.mean(axis=0)) ** 2)


def test_score_samples_is_the_negative_reconstruction_error(fitted, digits):
    X = digits[0][:50]
    rebuilt = fitted.inverse_transform(fitted.transform(X))
    error = np.mean(((rebuilt - X) / fitted.scale_) ** 2, axis=1)
    scores = fitted.score_samples(X)
    assert scores.shape == (50,)
    np.testing.assert_allclose(scores, -error, rtol=1e-4)


def test_refits_with_the_same_seed_are_bit_identical(digits):
    X = digits[0]
    first = AutoencoderEmbedding(**FAST).fit_transform(X)
    again = AutoencoderEmbedding(**FAST).fit_transform(X)
    other = AutoencoderEmbedding(max_iter=100, random_state=1).fit_transform(X)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


# Two threads where the machine has two cores: n_jobs starts no more.
@pytest.mark.parametrize(("n_jobs", "threads"), [(None, 1), (2, min(2, cpu_count()))])
def test_training_runs_on_n_jobs_threads(digits, monkeypatch, n_jobs, threads):
    seen, encode = [], MLPAutoencoder.encode

    def recording_encode(module, x):
        if module.training:
            seen.append(torch.get_num_threads())
        return encode(module, x)

    monkeypatch.setattr(MLPAutoencoder, "encode", recording_encode)
    AutoencoderEmbedding(n_jobs=n_jobs, **{**FAST, "max_iter": 3}).fit(digits[0])
    assert len(seen) == 3
    assert set(seen) == {threads}


def test_n_jobs_beyond_the_cores_starts_one_thread_per_core(digits):
    AutoencoderEmbedding(n_jobs=2**31, **{**FAST, "max_iter": 3}).fit(digits[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_keep_the_input_dtype(fitted, digits, dtype):
    X = digits[0][:20].astype(dtype)
    codes = fitted.transform(X)
    assert codes.dtype == dtype
    assert fitted.inverse_transform(codes).dtype == dtype
    np.testing.assert_allclose(
        codes, fitted.transform(digits[0][:20]), rtol=1e-4, atol=1e-4
    )


def test_pickle_holds_the_network_not_the_training_data(fitted, digits):
    X = digits[0]
    blob = pickle.dumps(fitted)
    # The training rows, as the float32 copy training scaled them into.
    scaled = ((X - fitted.mean_) / fitted.scale_).astype(np.float32)
    for rows in (scaled, X):
        assert rows[:4].tobytes() not in blob
    loaded = pickle.loads(blob)
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))


@pytest.mark.parametrize(
    ("params", "X", "message"),
    [
        ({}, np.array([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]]), "NaN"),
        ({}, np.array([[1.0, np.inf], [2.0, 3.0], [0.0, 1.0]]), "infinity"),
        ({}, np.array([[1e39, 0.0], [2.0, 3.0], [0.0, 1.0]]), "float32"),
        ({}, np.array([[1.0, 2.0]]), "n_samples=1"),
        ({"n_neighbors": 1}, np.ones((5, 2)), "n_neighbors"),
        ({"min_dist": -0.1}, np.ones((5, 2)), "min_dist"),
        ({"min_dist": 1.5}, np.ones((5, 2)), "min_dist"),
        ({"hidden_layer_sizes": (8, 0)}, np.ones((5, 2)), "hidden_layer_sizes"),
        ({"device": "cuda:7"}, np.ones((5, 2)), "cuda:7"),
        ({"n_components": 6}, np.ones((5, 2)), "n_components=6 .* n_samples=5"),
    ],
)
def test_bad_input_is_refused_before_training(monkeypatch, params, X, message):
    def fail(*args, **kwargs):
        raise RuntimeError("training started")

    monkeypatch.setattr(AutoencoderEmbedding, "_fit_network", fail)
    embedding = AutoencoderEmbedding(**params)
    with pytest.raises(ValueError, match=message):
        embedding.fit(X)
    assert not hasattr(embedding, "net_")


@pytest.mark.parametrize("seed", [0, 1])
def test_features_in_small_units_are_decoded_within_their_training_values(seed):
    # Three features in units of a million, two of about one: with one
    # common scale, the small ones weigh next to nothing in the loss, and
    # were decoded thousands of times beyond their training values.
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(300, 2))
    X = np.c_[factors @ rng.normal(size=(2, 3)) * 1e6, rng.normal(size=(300, 2))]
    train, test = X[:200], X[200:]
    embedding = AutoencoderEmbedding(**{**FAST, "random_state": seed}).fit(train)
    decoded = embedding.inverse_transform(embedding.transform(test))
    small = np.abs(train[:, 3:]).max()
    assert np.abs(decoded[:, 3:]).max() < small


def test_a_feature_rebuilt_no_better_than_its_mean_is_decoded_as_its_mean():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(300, 3)) * 1e3, rng.normal(size=(300, 1))]
    embedding = AutoencoderEmbedding(**FAST).fit(X)
    grid = rng.normal(size=(50, 2)) * 5.0
    np.testing.assert_allclose(
        embedding.inverse_transform(grid)[:, 3], embedding.mean_[3]
    )


def test_the_decoders_linear_map_is_the_least_squares_fit_to_the_training_codes(
    digits_split,
):
    train = digits_split[0]
    embedding = AutoencoderEmbedding(**FAST).fit(train)
    module, decoder = embedding.net_.module_, embedding.net_.module_.decoder
    scaled = (train - embedding.mean_) / embedding.scale_
    rows = torch.from_numpy(scaled.astype(np.float32))
    with torch.no_grad():
        codes = module.encode(rows)
        linear = decoder.first(codes)[:, : decoder.n_out]
        # What the linear map has to rebuild: the rows less the correction.
        target = (rows - (decoder(codes) - linear)).double().numpy()
    design = np.c_[codes.double().numpy(), np.ones(len(codes))]
    solution = np.linalg.lstsq(design, target, rcond=None)[0]
    weight = decoder.first.weight[: decoder.n_out].detach().double().numpy()
    fitted = ~(weight == 0).all(axis=1)  # features decoded as their means
    assert fitted.sum() > 40
    np.testing.assert_allclose(
        weight[fitted], solution[:-1].T[fitted], rtol=1e-3, atol=1e-4
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_few_rows_near_a_plane_are_decoded_near_it(seed):
    # 20 rows of a plane in 10 dimensions: the map's loss warps the codes,
    # and the decoder, trained on so few rows, followed them only partly
    # (57 and 64 times PCA's held-out error on these seeds before its
    # linear map was refit to the codes).
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(10, 2)))[0].T
    latent = rng.normal(size=(320, 2)) * [2.0, 1.0]
    X = latent @ basis + 0.05 * rng.normal(size=(320, 10))
    train, test = X[:20], X[20:]
    embedding = AutoencoderEmbedding(random_state=seed).fit(train)
    pca = PCA(2).fit(train)
    decoded = embedding.inverse_transform(embedding.transform(test))
    pca_decoded = pca.inverse_transform(pca.transform(test))
    assert np.mean((decoded - test) ** 2) < 15 * np.mean((pca_decoded - test) ** 2)
