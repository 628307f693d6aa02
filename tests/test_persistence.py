"""The safe saved-model format: no pickle on load, the same outputs."""

import io
import json
import pickle

import numpy as np
import pytest
import torch
from _params import QUICK
from numpy.testing import assert_array_equal

from sk_autoencoder import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
)
from sk_autoencoder._network import MLPAutoencoder

safetensors_numpy = pytest.importorskip("safetensors.numpy")

from sk_autoencoder.persistence import (  # noqa: E402
    CHECKSUM,
    FORMAT_NAME,
    _digest,
    load,
    save,
)


@pytest.fixture(scope="module")
def rows():
    """Training rows, held-out rows, and copies with entries missing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 8)) + 5.0
    X_missing = np.where(rng.random(X.shape) < 0.15, np.nan, X)
    return X[:300], X[300:], X_missing[:300], X_missing[300:]


@pytest.fixture
def no_pickle(monkeypatch):
    """Make every use of pickle, and torch.load, fail."""

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    class RefusingUnpickler(pickle.Unpickler):
        __init__ = refuse

    for name in ("load", "loads"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(pickle, "Unpickler", RefusingUnpickler)
    monkeypatch.setattr(torch, "load", refuse)


def outputs(estimator, X):
    """Every inference output of ``estimator`` on ``X``, by name."""
    if isinstance(estimator, AutoencoderImputer):
        return {"transform": estimator.transform(X)}
    codes = estimator.transform(X)
    found = {
        "transform": codes,
        "transform_float32": estimator.transform(X.astype(np.float32)),
        "inverse_transform": estimator.inverse_transform(codes),
        "score_samples": estimator.score_samples(X),
    }
    if isinstance(estimator, AutoencoderOutlierDetector):
        found["decision_function"] = estimator.decision_function(X)
        found["predict"] = estimator.predict(X)
        found["reconstruction_errors"] = estimator.reconstruction_errors(X)
    return found


def fitted(name, rows):
    X, _, X_missing, _ = rows
    if name == "transformer":
        return AutoencoderTransformer(3, **QUICK).fit(X)
    if name == "detector":
        return AutoencoderOutlierDetector(**QUICK).fit(X)
    # One bound given, one none: both kinds of limit are saved and loaded.
    imputer = AutoencoderImputer(
        add_indicator=True, min_value=0.0, max_value=None, **QUICK
    )
    return imputer.fit(X_missing)


@pytest.mark.parametrize("name", ["transformer", "detector", "imputer"])
def test_safe_format_loads_without_pickle_and_gives_identical_outputs(
    name, rows, tmp_path, no_pickle
):
    estimator = fitted(name, rows)
    X_test = rows[3] if name == "imputer" else rows[1]
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    loaded = load(path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params().keys() == estimator.get_params().keys()
    expected, actual = outputs(estimator, X_test), outputs(loaded, X_test)
    for key, value in expected.items():
        assert actual[key].dtype == value.dtype, key
        assert_array_equal(actual[key], value, err_msg=key)
    for key in ("mean_", "scale_", "n_components_", "n_iter_", "loss_curve_"):
        assert_array_equal(getattr(loaded, key), getattr(estimator, key))
    assert loaded.net_.device == "cpu"


def test_imputer_averaged_fills_survive_the_safe_format(wide_few_rows, tmp_path):
    imputer, _, X_holes = wide_few_rows
    assert imputer._fill_masks_ is not None
    save(imputer, tmp_path / "imputer.safetensors")
    loaded = load(tmp_path / "imputer.safetensors")
    assert_array_equal(loaded._fill_masks_, imputer._fill_masks_)
    assert_array_equal(loaded.transform(X_holes), imputer.transform(X_holes))


def test_imputer_shrunk_fills_survive_the_safe_format(shrunk_imputer, tmp_path):
    imputer, X_holes = shrunk_imputer
    save(imputer, tmp_path / "imputer.safetensors")
    loaded = load(tmp_path / "imputer.safetensors")
    assert_array_equal(loaded._fill_shrink_, imputer._fill_shrink_)
    assert_array_equal(loaded.transform(X_holes), imputer.transform(X_holes))


def test_detector_neighbour_term_survives_the_safe_format(rows, tmp_path):
    detector = fitted("detector", rows)
    assert detector.neighbors_ is not None
    save(detector, tmp_path / "detector.safetensors")
    loaded = load(tmp_path / "detector.safetensors")
    assert loaded.offset_ == detector.offset_
    assert loaded._distance_to_error_ == detector._distance_to_error_
    assert_array_equal(loaded._kept_rows_, detector._kept_rows_)
    assert loaded.neighbors_.get_params() == detector.neighbors_.get_params()


def test_detector_of_a_repeated_table_keeps_its_copies(tmp_path):
    rows = np.random.default_rng(0).normal(size=(100, 5))
    detector = AutoencoderOutlierDetector(max_iter=3, random_state=0)
    detector.fit(np.tile(rows, (3, 1)))
    save(detector, tmp_path / "detector.safetensors")
    loaded = load(tmp_path / "detector.safetensors")
    assert loaded._copies_ == detector._copies_ == 3
    assert_array_equal(loaded.score_samples(rows), detector.score_samples(rows))


def test_safe_format_keeps_feature_names(rows, tmp_path):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(rows[0], columns=[f"f{i}" for i in range(rows[0].shape[1])])
    ae = AutoencoderTransformer(2, **QUICK).fit(X)
    save(ae, tmp_path / "named.safetensors")
    loaded = load(tmp_path / "named.safetensors")
    assert_array_equal(loaded.feature_names_in_, ae.feature_names_in_)
    assert_array_equal(loaded.transform(X), ae.transform(X))


def test_model_for_a_gpu_loads_on_the_cpu(rows, tmp_path):
    ae = fitted("transformer", rows)
    # As fitted on a GPU: its parameter asks for one, which this machine
    # need not have.
    ae.set_params(device="cuda")
    save(ae, tmp_path / "gpu.safetensors")
    loaded = load(tmp_path / "gpu.safetensors")
    assert loaded.device == "cuda"
    assert loaded.net_.device == "cpu"
    ae.set_params(device="cpu")
    assert_array_equal(loaded.transform(rows[1]), ae.transform(rows[1]))


def saved_with_header_edited(rows, path, edit, kind="transformer"):
    """Save a fitted estimator (a transformer unless ``kind`` says
    otherwise) to ``path``, then ``edit`` its JSON header, and checksum the
    file again, as a writer of the edited header would."""
    save(fitted(kind, rows), path)
    tensors = safetensors_numpy.load_file(path)
    with open(path, "rb") as file:
        length = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(length))["__metadata__"]
    saved = json.loads(header[FORMAT_NAME])
    edit(saved)
    header[FORMAT_NAME] = json.dumps(saved)
    header[CHECKSUM] = _digest(header[FORMAT_NAME], tensors)
    safetensors_numpy.save_file(tensors, path, metadata=header)
    return path


@pytest.mark.parametrize("where", ["header", "arrays"])
def test_a_file_damaged_since_save_is_refused(rows, tmp_path, where):
    # One byte changed, the length kept: still valid JSON and safetensors,
    # and without the checksum it loaded a detector with no threshold.
    path = tmp_path / "detector.safetensors"
    save(fitted("detector", rows), path)
    data = bytearray(path.read_bytes())
    if where == "header":
        at = data.index(b"offset_") + len(b"offse")
        data[at] = ord("T")
    else:
        data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="is damaged: its contents no longer"):
        load(path)


def test_a_file_written_before_the_checksum_loads_as_before(rows, tmp_path):
    path = tmp_path / "model.safetensors"
    estimator = fitted("detector", rows)
    save(estimator, path)
    tensors = safetensors_numpy.load_file(path)
    with open(path, "rb") as file:
        length = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(length))["__metadata__"]
    del header[CHECKSUM]
    safetensors_numpy.save_file(tensors, path, metadata=header)
    expected = outputs(estimator, rows[1])
    for name, found in outputs(load(path), rows[1]).items():
        assert_array_equal(found, expected[name], err_msg=name)


def test_file_of_a_newer_format_version_is_refused(rows, tmp_path):
    def newer(saved):
        saved["format_version"] += 1

    path = saved_with_header_edited(rows, tmp_path / "model.safetensors", newer)
    with pytest.raises(ValueError, match="newer than the 2 this sk_autoencoder"):
        load(path)


def test_detector_of_format_version_1_is_refused(rows, tmp_path):
    # Its threshold was set on squared errors; scores are now their root.
    def older(saved):
        saved["format_version"] = 1

    path = tmp_path / "detector.safetensors"
    path = saved_with_header_edited(rows, path, older, kind="detector")
    with pytest.raises(ValueError, match="Refit the detector"):
        load(path)
    # Other estimators of version 1 still load.
    path = saved_with_header_edited(rows, tmp_path / "model.safetensors", older)
    assert load(path).n_features_in_ == rows[0].shape[1]


@pytest.mark.parametrize("name", ["transform", "n_components", "__class__"])
def test_file_setting_other_than_fitted_attributes_is_refused(rows, tmp_path, name):
    def add_attribute(saved):
        saved["attributes"][name] = 0

    path = saved_with_header_edited(rows, tmp_path / "model.safetensors", add_attribute)
    with pytest.raises(ValueError, match=f"'{name}', which is not a fitted"):
        load(path)


def test_file_not_written_by_save_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    safetensors_numpy.save_file({"weight": np.zeros(3)}, path)
    with pytest.raises(ValueError, match="was not written by"):
        load(path)


def test_file_that_is_not_safetensors_is_refused(rows, tmp_path):
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps(AutoencoderTransformer(2, **QUICK).fit(rows[0])))
    with pytest.raises(ValueError, match="was not written by"):
        load(path)


def test_an_open_file_or_a_buffer_is_refused_and_nothing_is_written(
    rows, tmp_path, monkeypatch
):
    # They were taken by their repr for a file name, in the working directory.
    monkeypatch.chdir(tmp_path)
    transformer = AutoencoderTransformer(2, **QUICK).fit(rows[0])
    with open(tmp_path / "model.safetensors", "wb") as file:
        for target in [io.BytesIO(), file]:
            with pytest.raises(TypeError, match="path must be a file path"):
                save(transformer, target)
            with pytest.raises(TypeError, match="path must be a file path"):
                load(target)
    assert [path.name for path in tmp_path.iterdir()] == ["model.safetensors"]
    assert (tmp_path / "model.safetensors").stat().st_size == 0


def test_safe_format_keeps_set_output(rows, tmp_path):
    pd = pytest.importorskip("pandas")
    ae = AutoencoderTransformer(2, **QUICK).set_output(transform="pandas")
    ae.fit(rows[0])
    save(ae, tmp_path / "pandas.safetensors")
    loaded = load(tmp_path / "pandas.safetensors")
    pd.testing.assert_frame_equal(loaded.transform(rows[1]), ae.transform(rows[1]))


def test_safe_format_keeps_the_imputers_widened_bounds(hidden_tail, tmp_path):
    imputer = AutoencoderImputer(**QUICK).fit(hidden_tail)
    filled = imputer.transform(hidden_tail)
    assert np.any(filled[:, 3] > np.nanmax(hidden_tail[:, 3]))
    save(imputer, tmp_path / "widened.safetensors")
    loaded = load(tmp_path / "widened.safetensors")
    assert_array_equal(loaded.transform(hidden_tail), filled)


def test_safe_format_keeps_pandas_na_as_missing_values(rows, tmp_path):
    pd = pytest.importorskip("pandas")
    imputer = AutoencoderImputer(missing_values=pd.NA, **QUICK).fit(rows[2])
    save(imputer, tmp_path / "na.safetensors")
    loaded = load(tmp_path / "na.safetensors")
    assert loaded.missing_values is pd.NA
    assert_array_equal(loaded.transform(rows[3]), imputer.transform(rows[3]))


class WiderNetwork(MLPAutoencoder):
    """A network of the user's own."""


def test_network_of_your_own_is_refused(rows, tmp_path):
    ae = AutoencoderTransformer(2, module=WiderNetwork, **QUICK).fit(rows[0])
    with pytest.raises(ValueError, match=r"module=.*cannot be saved in the safe"):
        save(ae, tmp_path / "custom.safetensors")


def test_callable_noise_is_refused(rows, tmp_path):
    ae = fitted("transformer", rows).set_params(noise=np.copy)
    with pytest.raises(ValueError, match=r"noise=.*cannot be saved"):
        save(ae, tmp_path / "noise.safetensors")


def test_loaded_estimator_continues_training(rows, tmp_path):
    ae = fitted("transformer", rows)
    save(ae, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    before = loaded.transform(rows[1])
    loaded.partial_fit(rows[0])
    assert loaded.n_iter_ == ae.n_iter_ + 1
    assert not np.array_equal(loaded.transform(rows[1]), before)


def test_a_loaded_estimator_refuses_partial_fit_after_a_new_architecture(
    rows, tmp_path
):
    save(fitted("transformer", rows), tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors").set_params(activation="tanh")
    with pytest.raises(ValueError, match=r"^activation changed since"):
        loaded.partial_fit(rows[0])


def test_a_change_made_before_save_is_refused_by_partial_fit_after_load(rows, tmp_path):
    ae = fitted("transformer", rows).set_params(activation="tanh")
    save(ae, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.activation == "tanh"  # the parameters as they were saved
    with pytest.raises(ValueError, match=r"^activation changed since"):
        loaded.partial_fit(rows[0])


def test_save_refuses_an_estimator_it_cannot_rebuild(rows, tmp_path):
    from sklearn.decomposition import PCA

    from sk_autoencoder import AutoencoderEmbedding

    X_train = rows[0]
    # The class is checked before anything else: no need to fit the embedding.
    others = [PCA(2).fit(X_train), AutoencoderEmbedding()]
    for estimator in others:
        name = type(estimator).__name__
        with pytest.raises(TypeError, match=f"AutoencoderImputer; got {name}"):
            save(estimator, tmp_path / "model.safetensors")
    assert not (tmp_path / "model.safetensors").exists()


def test_a_path_where_no_file_can_be_written_or_read_raises_oserror(rows, tmp_path):
    transformer = AutoencoderTransformer(2, **QUICK).fit(rows[0])
    with pytest.raises(FileNotFoundError, match="no folder"):
        save(transformer, tmp_path / "missing" / "model.safetensors")
    with pytest.raises(IsADirectoryError):
        save(transformer, tmp_path)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        save(transformer, tmp_path / "file" / "model.safetensors")
    (tmp_path / "file").unlink()
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "model.safetensors")
    assert list(tmp_path.iterdir()) == []
