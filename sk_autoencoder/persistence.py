"""A saved-model format that loads without pickle.

:func:`save` writes one safetensors file: the network's weights and every
fitted array as tensors, and in its header, as JSON, the estimator's
class, its parameters, its other fitted attributes and the versions that
wrote it. :func:`load` rebuilds the estimator from that and nothing else:
the classes it builds are this package's estimators and built-in networks,
looked up by name in a fixed table, so a file cannot make it run code.

Needs the ``safe`` extra (``pip install "sk-autoencoder[safe]"``), imported
when a function here runs.
"""

import dataclasses
import errno
import hashlib
import json
import os
import platform

import numpy as np
import sklearn
import skorch
import torch
from sklearn.utils.validation import check_is_fitted

from ._utils import is_pandas_na, output_config

__all__ = ["load", "save"]

# Raised when what is written changes in a way that an older load cannot
# read; load refuses files of a newer version. 2: the detector's scores
# became root mean squared errors, its threshold and distance line with
# them, so its files of version 1 are refused too.
FORMAT_VERSION = 2
FORMAT_NAME = "sk_autoencoder"

# The metadata key of the SHA-256 digest of the header and the arrays:
# safetensors checks neither, and a damaged header can still be JSON that
# builds an estimator, with wrong values or without a fitted attribute.
# Files written before it have none, and load as before.
CHECKSUM = f"{FORMAT_NAME}.sha256"

# Fitted attributes that are neither arrays nor plain values, each
# rebuilt from what is saved: the network, the neighbour search and the
# missing indicator.
REBUILT = {"net_", "neighbors_", "indicator_"}


def _estimator_classes():
    from ._imputer import AutoencoderImputer
    from ._outlier import AutoencoderOutlierDetector
    from ._transformer import AutoencoderTransformer

    return {
        cls.__name__: cls
        for cls in (
            AutoencoderTransformer,
            AutoencoderOutlierDetector,
            AutoencoderImputer,
        )
    }


def _module_classes():
    from ._network import ConvAutoencoder, MLPAutoencoder

    return {cls.__name__: cls for cls in (MLPAutoencoder, ConvAutoencoder)}


def _encode(value, name):
    """``value`` as JSON, tuples and dicts with other than str keys tagged;
    a ValueError naming ``name`` for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if is_pandas_na(value):
        return {"pandas_na": True}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufOU":
        return {"ndarray": _encode(value.tolist(), name), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"tuple": [_encode(item, name) for item in value]}
    if isinstance(value, list):
        return [_encode(item, name) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {"dict": {key: _encode(item, name) for key, item in value.items()}}
        return {
            "items": [[_encode(k, name), _encode(v, name)] for k, v in value.items()]
        }
    raise ValueError(
        f"{name}={value!r} cannot be saved in the safe format, which holds "
        "arrays and plain values only; use pickle or joblib for it."
    )


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "tuple" in value:
        return tuple(_decode(item) for item in value["tuple"])
    if "dict" in value:
        return {key: _decode(item) for key, item in value["dict"].items()}
    if "items" in value:
        return {_decode(key): _decode(item) for key, item in value["items"]}
    if "pandas_na" in value:
        import pandas as pd

        return pd.NA
    if "ndarray" in value:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "biufOU":
            raise ValueError(f"Unexpected dtype {dtype} in the file.")
        return np.array(_decode(value["ndarray"]), dtype=dtype)
    raise ValueError(f"Unexpected value {value!r} in the file.")


def _versions():
    import safetensors

    from . import __version__

    return {
        "sk_autoencoder": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
    }


def _file_path(path):
    """``path`` as a str, or a TypeError for what is no file path (an open
    file or a buffer, which safetensors does not write to or read from)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a file path (str or os.PathLike), got "
            f"{type(path).__name__}: the format is written to and read from "
            "named files, not open files or buffers."
        )
    return os.fsdecode(path)


def _check_writable(path):
    """An ``OSError`` naming ``path`` where no file can be written there,
    as ``open`` raises: safetensors reports these in its own words."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    folder = os.path.dirname(path) or os.curdir
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            errno.ENOENT, f"{os.strerror(errno.ENOENT)}: no folder {folder!r}", path
        )


def save(estimator, path):
    """Save a fitted estimator to a file that :func:`load` reads without pickle.

    The file is a safetensors file: the network's weights and the fitted
    arrays as tensors; the class, the parameters, the other fitted
    attributes, the training history and the versions that wrote it as
    JSON in its header, with a SHA-256 checksum of both that :func:`load`
    verifies. The training data is not saved, nor the optimizer's
    state. Parameters that are not plain values cannot be saved: a
    ``module`` of your own (its code would have to run on load), a
    callable ``noise``, ``callbacks``, a ``RandomState`` instance; use
    pickle or joblib for such an estimator.

    Parameters
    ----------
    estimator : AutoencoderTransformer, AutoencoderOutlierDetector or \
            AutoencoderImputer
        A fitted estimator.
    path : str or path-like
        The file to write (by convention ending in ``.safetensors``).

    Raises
    ------
    TypeError
        If ``estimator`` is not of a class this format writes (an
        ``AutoencoderEmbedding`` or a ``Pipeline``, say), or ``path`` is no
        file path (an open file or a buffer).
    ValueError
        If a parameter or the network cannot be saved in this format.
    OSError
        If ``path`` cannot be written: ``FileNotFoundError`` where its
        folder does not exist, ``NotADirectoryError`` where that is a file,
        ``IsADirectoryError`` where ``path`` is a folder.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder import AutoencoderTransformer
    >>> from sk_autoencoder.persistence import load, save
    >>> X = np.random.default_rng(0).normal(size=(100, 6))
    >>> ae = AutoencoderTransformer(2, max_iter=3).fit(X)
    >>> save(ae, "model.safetensors")  # doctest: +SKIP
    >>> load("model.safetensors").transform(X).shape  # doctest: +SKIP
    (100, 2)
    """
    from safetensors.numpy import save_file

    path = _file_path(path)
    name = type(estimator).__name__
    if _estimator_classes().get(name) is not type(estimator):
        raise TypeError(
            f"save writes {', '.join(_estimator_classes())}; got {name}. "
            "Use pickle or joblib for others."
        )
    check_is_fitted(estimator)
    if estimator.module is not None:
        raise ValueError(
            f"module={estimator.module!r} cannot be saved in the safe format: "
            "a network of your own would have to run its code on load. Use "
            "pickle or joblib, which trust the file they load."
        )
    _check_writable(path)
    params = {
        key: _encode(value, key)
        for key, value in estimator.get_params(deep=False).items()
    }
    # The parameters the network was built with, for partial_fit after load
    # to refuse a change made since as it would before save.
    built = getattr(estimator, "_built_with", None) or estimator.get_params(deep=False)
    built = {key: _encode(value, key) for key, value in built.items()}
    net = estimator.net_
    module = net.module_
    if _module_classes().get(type(module).__name__) is not type(module):
        raise ValueError(
            f"The network {type(module).__name__} cannot be saved in the safe "
            "format; use pickle or joblib."
        )
    net_params = net.get_params()
    tensors = {
        f"net.{key}": value.detach().cpu().numpy()
        for key, value in module.state_dict().items()
    }
    attributes = {}
    for key, value in vars(estimator).items():
        if not key.endswith("_") or key in REBUILT:
            continue
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            tensors[f"attr.{key}"] = np.ascontiguousarray(value)
        elif key == "_limits_":
            tensors["attr._limits_.low"] = np.ascontiguousarray(value[0])
            tensors["attr._limits_.high"] = np.ascontiguousarray(value[1])
        else:
            attributes[key] = _encode(value, key)
    neighbors = getattr(estimator, "neighbors_", None)
    indicator = getattr(estimator, "indicator_", None)
    if indicator is not None:
        tensors["indicator.features_"] = np.ascontiguousarray(indicator.features_)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": name,
        "params": params,
        "built_params": built,
        "attributes": attributes,
        "network": {
            "module": type(module).__name__,
            "module_params": {
                key[len("module__") :]: _encode(value, key)
                for key, value in net_params.items()
                if key.startswith("module__")
            },
            "batch_size": int(net_params["batch_size"]),
            "seed": int(net_params["iterator_valid__seed"]),
            "missing": bool(net_params["criterion__missing"]),
            "history": _encode(list(net.history), "history"),
        },
        "neighbors": None
        if neighbors is None
        else _encode(neighbors.get_params(), "neighbors_"),
        "indicator": indicator is not None,
        # What set_output chose, if anything.
        "output": _encode(output_config(estimator), "output"),
    }
    text = json.dumps(header)
    save_file(
        tensors, path, metadata={FORMAT_NAME: text, CHECKSUM: _digest(text, tensors)}
    )


def load(path):
    """Load an estimator saved by :func:`save`, without pickle.

    Nothing in the file is run: the estimator and its network are built
    from a fixed table of this package's classes, the weights and arrays
    read as tensors, the rest parsed as JSON. The network is put on the
    CPU, whatever device it was trained on, so a model trained on a GPU
    loads on a machine without one. Its outputs (``transform``,
    ``score_samples``, ``predict``, ``inverse_transform``, the imputer's
    ``transform``) are bit-identical to the saved estimator's on the same
    machine. ``partial_fit`` continues training from the loaded weights
    with a fresh optimizer.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    AutoencoderTransformer, AutoencoderOutlierDetector or AutoencoderImputer
        The fitted estimator.

    Raises
    ------
    TypeError
        If ``path`` is no file path (an open file or a buffer).
    ValueError
        If the file was not written by :func:`save`, or was damaged since
        (it no longer matches its checksum), or was written by a newer
        version of the format than this one reads, or holds a detector
        saved by a version that scored on another scale.
    OSError
        If ``path`` cannot be read: ``FileNotFoundError`` where there is no
        such file, ``IsADirectoryError`` where it is a folder.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> from sk_autoencoder.persistence import load
    >>> estimator = load("model.safetensors")  # doctest: +SKIP
    """
    from safetensors import SafetensorError, safe_open

    path = _file_path(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    not_ours = f"{path} was not written by sk_autoencoder.persistence.save."
    try:
        with safe_open(path, framework="numpy") as file:
            metadata = file.metadata() or {}
            if FORMAT_NAME not in metadata:
                raise ValueError(not_ours)
            text = metadata[FORMAT_NAME]
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except SafetensorError as error:
        raise ValueError(f"{not_ours} ({error})") from error
    if CHECKSUM in metadata and metadata[CHECKSUM] != _digest(text, tensors):
        raise ValueError(
            f"{path} is damaged: its contents no longer match the checksum "
            "that save wrote."
        )
    try:
        header = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{not_ours} ({error})") from error
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path} has format version {version!r}, newer than the "
            f"{FORMAT_VERSION} this sk_autoencoder reads (it was written by "
            f"sk_autoencoder {header.get('versions', {}).get('sk_autoencoder')}). "
            "Upgrade sk_autoencoder to load it."
        )
    cls = _estimator_classes().get(header.get("estimator"))
    if cls is None:
        raise ValueError(
            f"{path} holds an unknown estimator {header.get('estimator')!r}."
        )
    if cls.__name__ == "AutoencoderOutlierDetector" and version < 2:
        raise ValueError(
            f"{path} holds an AutoencoderOutlierDetector of format version "
            f"{version}, whose threshold is on the scale of the mean squared "
            "error; this sk_autoencoder scores by its root. Refit the detector."
        )
    estimator = cls(**{key: _decode(value) for key, value in header["params"].items()})
    arrays = {
        key[len("attr.") :]: value
        for key, value in tensors.items()
        if key.startswith("attr.") and not key.startswith("attr._limits_.")
    }
    attributes = {key: _decode(value) for key, value in header["attributes"].items()}
    # Only fitted attributes, as save writes them: never a method or a
    # parameter replaced by a value from the file.
    for key, value in {**attributes, **arrays}.items():
        if not key.endswith("_") or key.endswith("__"):
            raise ValueError(f"{path} holds {key!r}, which is not a fitted attribute.")
        setattr(estimator, key, value)
    if "attr._limits_.low" in tensors:
        estimator._limits_ = (
            tensors["attr._limits_.low"],
            tensors["attr._limits_.high"],
        )
    weights = {
        key[len("net.") :]: torch.from_numpy(value)
        for key, value in tensors.items()
        if key.startswith("net.")
    }
    estimator.net_ = _rebuilt_net(estimator, header["network"], weights)
    estimator._built_with = estimator.get_params(deep=False)
    if "built_params" in header:  # files written before it: as the params
        estimator._built_with = {
            key: _decode(value) for key, value in header["built_params"].items()
        }
    if hasattr(estimator, "code_lower_"):
        estimator.neighbors_ = None
        if header["neighbors"] is not None:
            from sklearn.neighbors import NearestNeighbors

            params = _decode(header["neighbors"])
            estimator.neighbors_ = NearestNeighbors(**params).fit(estimator._kept_rows_)
    if hasattr(estimator, "_limits_"):
        estimator.indicator_ = None
        if header["indicator"]:
            estimator.indicator_ = _rebuilt_indicator(
                estimator.n_features_in_, tensors["indicator.features_"]
            )
    output = _decode(header.get("output", {"dict": {}}))
    if output.get("transform") is not None:
        estimator.set_output(transform=output["transform"])
    return estimator


def _digest(text, tensors):
    """SHA-256 of the header ``text`` and of each array of ``tensors``, with
    its name, dtype and shape, in the order of their names."""
    digest = hashlib.sha256(text.encode())
    for key in sorted(tensors):
        value = np.ascontiguousarray(tensors[key])
        digest.update(f"\0{key}\0{value.dtype.str}\0{value.shape}\0".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _rebuilt_net(estimator, network, weights):
    """A skorch net as ``fit`` builds it, holding ``weights``, on the CPU."""
    from skorch.history import History

    from ._data import ScaledRows, Scaler
    from ._skorch import build_net
    from ._utils import seeded_torch, torch_compute

    module = _module_classes().get(network["module"])
    if module is None:
        raise ValueError(f"Unknown network {network['module']!r} in the file.")
    module_params = {
        key: _decode(value) for key, value in network["module_params"].items()
    }
    # The saved batch size: fit may have capped the parameter's.
    config = dataclasses.replace(
        estimator._training_config(network["seed"], "cpu", network["batch_size"]),
        batch_size=network["batch_size"],
    )
    # No training rows: a placeholder that gives the net its batch size.
    rows = ScaledRows(
        None,
        np.arange(network["batch_size"]),
        Scaler(estimator.mean_, estimator.scale_),
        network["missing"],
    )
    net = build_net(module, module_params, rows, None, config)
    # The weights are replaced next: initialize them without drawing from
    # torch's global generator, in float32 as fit built them.
    with torch_compute(estimator.n_jobs), seeded_torch(0):
        net.initialize()
    net.module_.load_state_dict(weights, strict=True)
    net.module_.eval()
    net.history = History(_decode(network["history"]))
    return net


def _rebuilt_indicator(n_features, features):
    """The imputer's fitted MissingIndicator for the columns ``features``."""
    from sklearn.impute import MissingIndicator

    rows = np.zeros((1, n_features))
    rows[0, features] = np.nan
    indicator = MissingIndicator(error_on_new=False).set_output(transform="default")
    return indicator.fit(rows)
