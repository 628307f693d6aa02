"""ONNX export of the fitted estimators, alone or inside a Pipeline.

Each estimator's inference path is written once more as a small torch
module (the scaling as float64 constants, the network, and what the
estimator computes around it), exported with :func:`torch.onnx.export`
and spliced into skl2onnx's graph with :func:`skl2onnx.helpers.add_onnx_graph`,
so that :func:`skl2onnx.to_onnx` converts a Pipeline that holds the
estimators once :func:`register_converters` has run.

Needs the ``onnx`` extra (``pip install "sk-autoencoder[onnx]"``): onnx,
skl2onnx, onnxruntime to run the result, and onnxscript, which
:func:`torch.onnx.export` uses. They are imported when a function here
runs, not with the package.
"""

import contextlib
import copy
import logging
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._outlier import COPY_GAP, FLOAT32_EPSILON, SAME_ROW_DISTANCE
from ._utils import is_pandas_na, is_scalar_nan

__all__ = ["inverse_transform_to_onnx", "register_converters", "to_onnx"]

# torch.onnx.export writes opset 18 and later.
MIN_OPSET = 18

# The opset to_onnx asks for when not told: the oldest the exporter writes,
# which the most runtimes read (onnxruntime from 1.14 on).
DEFAULT_OPSET = MIN_OPSET


class _Scaled(nn.Module):
    """The fitted scaling as float64 constants, and the network on the CPU."""

    def __init__(self, estimator, double=False):
        super().__init__()
        module = copy.deepcopy(estimator.net_.module_).cpu().eval()
        _gather_upsampling(module, estimator.n_features_in_)
        self.module = module.double() if double else module
        self.register_buffer("mean", _float64(estimator.mean_))
        self.register_buffer("scale", _float64(estimator.scale_))

    def scaled(self, X):
        """``X`` scaled in float64, as :meth:`Scaler.transform` does."""
        return (X.double() - self.mean) / self.scale

    def unscaled(self, x, dtype):
        """A float32 reconstruction back in the input's units and ``dtype``."""
        return (x.double() * self.scale + self.mean).to(dtype)


class _Gathered(nn.Module):
    """Nearest-neighbour upsampling as two gathers of precomputed rows and
    columns: the same values as ``nn.Upsample(mode="nearest")`` from the
    input size it was built for, in ops that export without the empty
    optional inputs of ONNX's ``Resize``, which skl2onnx cannot splice."""

    def __init__(self, rows, columns):
        super().__init__()
        self.register_buffer("rows", rows)
        self.register_buffer("columns", columns)

    def forward(self, x):
        return x.index_select(2, self.rows).index_select(3, self.columns)


def _gather_upsampling(module, n_features):
    """Replace, in place, every nearest ``nn.Upsample`` in ``module`` by a
    :class:`_Gathered` for the input size it sees on rows of ``n_features``
    (the sizes are fixed by the network). A layer that sees other than
    images (4-D input) or more than one size is left as it is."""
    found = {}

    def record(layer, inputs):
        shape = tuple(inputs[0].shape[2:]) if inputs[0].dim() == 4 else None
        found.setdefault(layer, set()).add(shape)

    hooks = [
        layer.register_forward_pre_hook(record)
        for layer in module.modules()
        if isinstance(layer, nn.Upsample) and layer.mode == "nearest"
    ]
    if not hooks:
        return
    with torch.no_grad():
        module(torch.zeros(2, n_features))
    for hook in hooks:
        hook.remove()
    for parent in list(module.modules()):
        for name, layer in parent.named_children():
            shapes = found.get(layer, set())
            if len(shapes) == 1 and None not in shapes:
                ((height, width),) = shapes
                # Indices by the layer itself: exactly the rows and columns
                # it copies.
                grid = torch.arange(height * width, dtype=torch.float64)
                picked = layer(grid.reshape(1, 1, height, width))[0, 0].long()
                rows, columns = picked[:, 0] // width, picked[0] % width
                setattr(parent, name, _Gathered(rows, columns))


class _Transform(_Scaled):
    """``transform`` of the transformer and the embedding: the code."""

    def forward(self, X):
        return self.module.encode(self.scaled(X).float()).to(X.dtype)


class _InverseTransform(_Scaled):
    """``inverse_transform``: codes decoded back to the input's units."""

    def forward(self, Z):
        return self.unscaled(self.module.decode(Z.float()), Z.dtype)


class _Detect(_Scaled):
    """The detector's ``predict`` and ``decision_function``.

    As ``score_samples``: the root mean squared error of the float64 network's
    reconstruction, codes clipped to the training range; raised, with
    neighbours, to the mean distance to the nearest kept training rows
    (all of them searched by brute force) put on the errors' scale. A
    convolutional network runs in float32 (onnxruntime has no float64
    convolution), so its scores agree to float32's precision.
    """

    def __init__(self, detector):
        convolutional = any(
            isinstance(layer, nn.Conv2d) for layer in detector.net_.module_.modules()
        )
        super().__init__(detector, double=not convolutional)
        self.network_dtype = torch.float32 if convolutional else torch.float64
        self.register_buffer("code_lower", _float64(detector.code_lower_))
        self.register_buffer("code_upper", _float64(detector.code_upper_))
        # float64 tensors, not Python floats: the exporter writes those
        # as float32 constants.
        self.register_buffer("offset", _float64(detector.offset_))
        self.neighbors = detector.neighbors_ is not None
        if self.neighbors:
            self.register_buffer("kept", _float64(detector._kept_rows_))
            self.n_found = int(detector.neighbors_.n_neighbors)
            self.copies = int(getattr(detector, "_copies_", 1))
            slope, intercept = detector._distance_to_error_
            self.register_buffer("slope", _float64(slope))
            self.register_buffer("intercept", _float64(intercept))

    def forward(self, X):
        x = self.scaled(X)
        code = self.module.encode(x.to(self.network_dtype)).double()
        code = torch.clamp(code, self.code_lower, self.code_upper)
        rebuilt = self.module.decode(code.to(self.network_dtype)).double()
        outlyingness = ((rebuilt - x) ** 2).mean(dim=1).sqrt()
        if self.neighbors:
            distance = self.slope * self.neighbor_distances(x, X) + self.intercept
            outlyingness = torch.maximum(outlyingness, distance)
        decision = -outlyingness - self.offset
        label = torch.where(decision < 0, -1, 1).to(torch.int64)
        return label[:, None], decision[:, None].to(X.dtype)

    def neighbor_distances(self, x, X):
        """As the detector's ``_neighbor_distances`` of the rows ``X``,
        scaled ``x``: the mean distance to the nearest kept rows, without up
        to ``copies`` of them that are the row itself or its copies (see the
        detector's ``_copies``)."""
        squared = (
            (x * x).sum(dim=1, keepdim=True)
            - 2.0 * x @ self.kept.T
            + (self.kept * self.kept).sum(dim=1)
        )
        found = torch.topk(
            squared.clamp(min=0.0), self.n_found, dim=1, largest=False
        ).values.sqrt()
        reach = SAME_ROW_DISTANCE * (1.0 + (x * x).sum(dim=1, keepdim=True).sqrt())
        if X.dtype == torch.float32:
            raw = X.double() / self.scale
            raw_norms = (raw * raw).sum(dim=1, keepdim=True).sqrt()
            reach = reach + FLOAT32_EPSILON * raw_norms
        ends = found <= reach
        gaps = COPY_GAP * found[:, :-1] <= found[:, 1:]
        ends = ends | torch.cat([gaps, torch.zeros_like(ends[:, :1])], dim=1)
        # Every found row up to the last end.
        after = torch.flip(torch.flip(ends.to(torch.int64), [1]).cumsum(dim=1), [1])
        matches = (after > 0).to(torch.int64)
        kept = 1 - matches * (matches.cumsum(dim=1) <= self.copies).to(torch.int64)
        n_used = max(self.n_found - self.copies, 1)
        used = kept * (kept.cumsum(dim=1) <= n_used).to(torch.int64)
        return (found * used.to(found.dtype)).sum(dim=1) / n_used


class _Impute(_Scaled):
    """The imputer's ``transform``: NaN entries take the reconstruction,
    blended with the Gaussian's conditional means and clipped to the
    limits; observed entries are kept; the indicator columns follow when
    ``add_indicator``."""

    def __init__(self, imputer):
        super().__init__(imputer)
        marker = imputer.missing_values
        # pd.NA is NaN once the input is float, as in transform.
        self.nan_marks_missing = is_scalar_nan(marker) or is_pandas_na(marker)
        # A float64 buffer, compared in the input's dtype as NumPy does: a
        # Python float would be written as a float32 constant, which a
        # float64 entry equal to the marker never matches.
        self.register_buffer(
            "missing_values", _float64(np.nan if self.nan_marks_missing else marker)
        )
        # A module of your own gets the missing entries as 0 (see the
        # imputer's _scaler); the built-in ones read them as NaN.
        self.fill_missing = not getattr(self.module, "missing_indicator", False)
        masks = getattr(imputer, "_fill_masks_", None)
        self.averaged = masks is not None
        if self.averaged:
            self.register_buffer("masks", torch.as_tensor(masks))
        # As transform: fills shrunk toward the means (0, scaled), if at all.
        shrink = imputer._shrink_factors()
        self.shrunk = bool(np.any(shrink < 1.0))
        if self.shrunk:
            self.register_buffer("shrink", _float64(shrink))
        weight = imputer._fill_weights()
        self.blended = bool(np.any(weight < 1.0))
        self.n_features = imputer.n_features_in_
        if self.blended:
            self.register_buffer("weight", _float64(weight))
            self.register_buffer("gaussian_mean", _float64(imputer._gaussian_mean_))
            precision = _float64(imputer._gaussian_precision_)
            self.register_buffer("gaussian_precision", precision)
        low, high = imputer._limits_
        self.register_buffer("low", _float64(low))
        self.register_buffer("high", _float64(high))
        self.indicator = imputer.indicator_ is not None
        if self.indicator:
            features = torch.as_tensor(imputer.indicator_.features_, dtype=torch.int64)
            self.register_buffer("features", features)

    def forward(self, X):
        if not self.nan_marks_missing:
            X = torch.where(X == self.missing_values.to(X.dtype), torch.nan, X)
        missing = torch.isnan(X)
        x = self.scaled(X)
        inputs = x.float()
        if self.fill_missing:
            inputs = torch.where(torch.isnan(inputs), 0.0, inputs)
        if self.averaged:
            # As transform: the mean of the fills of the rows masked by each.
            hidden = 0.0 if self.fill_missing else torch.nan
            rebuilt = 0.0
            for mask in self.masks:
                rebuilt = rebuilt + self.module(torch.where(mask, hidden, inputs))[0]
            rebuilt = rebuilt / len(self.masks)
        else:
            rebuilt = self.module(inputs)[0]
        if self.blended:
            # Conjugate gradients exact for any row: as many steps as
            # features.
            expected = _conditional_mean(
                x, self.gaussian_mean, self.gaussian_precision, self.n_features
            )
            rebuilt = self.weight * rebuilt.double() + (1.0 - self.weight) * expected
        if self.shrunk:
            rebuilt = rebuilt * self.shrink.to(rebuilt.dtype)
        rebuilt = self.unscaled(rebuilt, X.dtype)
        # As transform: np.clip of the rebuilt rows against float64 limits.
        rebuilt = torch.clamp(rebuilt.double(), self.low, self.high).to(X.dtype)
        imputed = torch.where(missing, rebuilt, X)
        if not self.indicator:
            return imputed
        return torch.cat([imputed, missing[:, self.features].to(X.dtype)], dim=1)


def _conditional_mean(x, mean, precision, steps):
    """The imputer's ``conditional_mean`` in operations that trace to ONNX.

    For each row, the missing part ``z - mean_m`` solves
    ``P_mm (z - mean_m) = -P_mo (x_o - mean_o)``, ``P`` the precision
    matrix: conjugate gradients restricted to the row's missing entries,
    all rows at once in float64, exact after as many ``steps`` as the row
    has missing entries (up to rounding). Plain tensor operations, so that
    the ONNX export traces it.
    """
    missing = torch.isnan(x)
    mask = missing.to(x.dtype)
    residual = -(torch.where(missing, 0.0, x - mean) @ precision) * mask
    solution = torch.zeros_like(residual)
    direction = residual
    squared = (residual * residual).sum(dim=1, keepdim=True)
    for _ in range(steps):
        product = (direction @ precision) * mask
        curvature = (direction * product).sum(dim=1, keepdim=True)
        # A row solved already (or with nothing missing) stays as it is.
        step = torch.where(curvature > 0, squared / curvature, 0.0)
        solution = solution + step * direction
        residual = residual - step * product
        new_squared = (residual * residual).sum(dim=1, keepdim=True)
        ratio = torch.where(squared > 0, new_squared / squared, 0.0)
        direction = residual + ratio * direction
        squared = new_squared
    return torch.where(missing, mean + solution, x)


def _float64(values):
    return torch.from_numpy(np.array(values, dtype=np.float64))


def _graph(wrapper, dtype, n_features, opset, names=("X", "Y")):
    """The ONNX model of ``wrapper`` for ``dtype`` rows of ``n_features``,
    any number of them; ``names`` are the input's and the first output's."""
    if opset < MIN_OPSET:
        raise ValueError(
            f"target_opset={opset} is too old: torch.onnx.export writes opset "
            f"{MIN_OPSET} and later. Pass target_opset={MIN_OPSET} or higher."
        )
    from torch.export import Dim

    example = torch.from_numpy(np.zeros((2, n_features), dtype=dtype))
    with _quiet_exporter():
        program = torch.onnx.export(
            wrapper.eval(),
            (example,),
            dynamic_shapes=({0: Dim("batch")},),
            input_names=[names[0]],
            output_names=[names[1]],
            opset_version=opset,
            dynamo=True,
            verbose=False,
        )
    model = program.model_proto
    nodes = model.graph.node
    if model.functions or any(
        attribute.g.node or attribute.graphs or "" in node.input
        for node in nodes
        for attribute in node.attribute
    ):
        raise ValueError(
            "The exported network holds ONNX functions, subgraphs or omitted "
            "inputs, which cannot be spliced into skl2onnx's graph."
        )
    _rename_inner_values(model)
    return model


@contextlib.contextmanager
def _quiet_exporter():
    """Silence what torch's exporter logs and warns about itself (that
    torchvision is not installed, its own deprecations): nothing a user
    of these graphs can act on. Errors still raise."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


def _rename_inner_values(model):
    """Give the values inside ``model`` names that skl2onnx keeps apart.

    ``add_onnx_graph`` renames variables in the scope's variable namespace,
    a fresh name for every use, and initializers in its operator namespace:
    a variable used twice ("val_4" becomes "val_41") can take the name of
    an initializer ("val_41"). Variables here start with "v", initializers
    with "c", node names with "n", so no two namespaces meet.
    """
    graph = model.graph
    kept = {value.name for value in [*graph.input, *graph.output]}
    names = {}
    for i, tensor in enumerate(graph.initializer):
        names[tensor.name] = tensor.name = f"c{i}"
    for i, node in enumerate(graph.node):
        node.name = f"n{i}"
        for j, output in enumerate(node.output):
            if output not in kept:
                names[output] = node.output[j] = f"v{i}_{j}"
    for node in graph.node:
        for j, name in enumerate(node.input):
            node.input[j] = names.get(name, name)


def _estimator_graph(estimator, dtype, opset):
    """The ONNX model of what ``estimator`` returns for ``dtype`` input."""
    from ._imputer import AutoencoderImputer
    from ._outlier import AutoencoderOutlierDetector

    if isinstance(estimator, AutoencoderOutlierDetector):
        wrapper = _Detect(estimator)
    elif isinstance(estimator, AutoencoderImputer):
        wrapper = _Impute(estimator)
    else:
        wrapper = _Transform(estimator)
    return _graph(wrapper, dtype, estimator.n_features_in_, opset)


def _calculate_shapes(operator):
    """skl2onnx's shape calculator: the outputs' types and shapes."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_types

    from ._imputer import AutoencoderImputer
    from ._outlier import AutoencoderOutlierDetector

    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    estimator = operator.raw_operator
    check_is_fitted(estimator)
    input_type = operator.inputs[0].type
    n_rows, n_features = input_type.shape
    if n_features not in (None, estimator.n_features_in_):
        raise ValueError(
            f"{type(estimator).__name__} expects {estimator.n_features_in_} "
            f"features, the ONNX input has {n_features}."
        )
    tensor_type = type(input_type)
    if isinstance(estimator, AutoencoderOutlierDetector):
        operator.outputs[0].type = Int64TensorType([n_rows, 1])
        operator.outputs[1].type = tensor_type([n_rows, 1])
        return
    if isinstance(estimator, AutoencoderImputer):
        n_out = estimator.n_features_in_
        if estimator.indicator_ is not None:
            n_out += len(estimator.indicator_.features_)
    else:
        n_out = estimator.n_components_
    operator.outputs[0].type = tensor_type([n_rows, n_out])


def _convert(scope, operator, container):
    """skl2onnx's converter: the exported graph spliced into ``container``."""
    from skl2onnx.common.data_types import guess_numpy_type
    from skl2onnx.helpers import add_onnx_graph

    dtype = guess_numpy_type(operator.inputs[0].type)
    graph = _estimator_graph(operator.raw_operator, dtype, container.target_opset)
    add_onnx_graph(scope, operator, container, graph)


def register_converters():
    """Register the estimators' converters with skl2onnx.

    After this call :func:`skl2onnx.to_onnx` converts the four estimators,
    alone or as steps of a :class:`~sklearn.pipeline.Pipeline`. The
    transformer and the embedding give their codes (``transform``); the
    imputer ``transform``'s
    output, the indicator columns included; the outlier detector, as
    skl2onnx's converter of :class:`~sklearn.ensemble.IsolationForest` does,
    the outputs ``label`` (``predict``: -1 or +1) and ``scores``
    (``decision_function``), each of shape (n_samples, 1). The scaling is
    computed in float64, the network in float32 (the detector's in float64,
    as its scores are), outputs in the input's dtype (float32 or float64).
    Calling it again does no harm.

    See Also
    --------
    to_onnx : Register, then convert an estimator or a Pipeline.
    inverse_transform_to_onnx : The ONNX model of ``inverse_transform``.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx  # doctest: +SKIP
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_autoencoder import AutoencoderTransformer
    >>> from sk_autoencoder.onnx import register_converters
    >>> X = np.random.default_rng(0).normal(size=(100, 6)).astype(np.float32)
    >>> pipe = make_pipeline(StandardScaler(), AutoencoderTransformer(2, max_iter=3))
    >>> pipe = pipe.fit(X)
    >>> register_converters()  # doctest: +SKIP
    >>> onx = to_onnx(pipe, X[:1], target_opset=18)  # doctest: +SKIP
    """
    from skl2onnx import update_registered_converter

    from ._embedding import AutoencoderEmbedding
    from ._imputer import AutoencoderImputer
    from ._outlier import AutoencoderOutlierDetector
    from ._transformer import AutoencoderTransformer

    for estimator in (
        AutoencoderTransformer,
        AutoencoderOutlierDetector,
        AutoencoderImputer,
        AutoencoderEmbedding,
    ):
        update_registered_converter(
            estimator,
            f"SkAutoencoder{estimator.__name__}",
            _calculate_shapes,
            _convert,
        )


def to_onnx(estimator, X, target_opset=DEFAULT_OPSET, **kwargs):
    """Convert a fitted estimator, or a Pipeline holding some, to ONNX.

    Registers the converters (see :func:`register_converters`), then calls
    :func:`skl2onnx.to_onnx`.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted estimator of this package, or a fitted scikit-learn
        estimator (a Pipeline, for example) that holds some.
    X : ndarray of shape (n_samples, n_features)
        Rows whose dtype (float32 or float64) and width the model is built
        for; one row is enough. The model takes any number of rows.
    target_opset : int or dict, default=18
        The ONNX opset, as for :func:`skl2onnx.to_onnx`; at least 18,
        since :func:`torch.onnx.export` writes no older one.
    **kwargs : dict
        Passed on to :func:`skl2onnx.to_onnx`.

    Returns
    -------
    onnx.ModelProto
        The model; its input is named ``X``.

    See Also
    --------
    register_converters : What the converted estimators output.
    inverse_transform_to_onnx : The ONNX model of ``inverse_transform``.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder import AutoencoderOutlierDetector
    >>> from sk_autoencoder.onnx import to_onnx
    >>> X = np.random.default_rng(0).normal(size=(100, 6))
    >>> detector = AutoencoderOutlierDetector(max_iter=3).fit(X)
    >>> onx = to_onnx(detector, X[:1])  # doctest: +SKIP
    >>> [output.name for output in onx.graph.output]  # doctest: +SKIP
    ['label', 'scores']
    """
    import skl2onnx

    register_converters()
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D, (n_samples, n_features), got shape {X.shape}; "
            "reshape one row with X.reshape(1, -1)."
        )
    return skl2onnx.to_onnx(estimator, X[:1], target_opset=target_opset, **kwargs)


def inverse_transform_to_onnx(estimator, dtype=np.float32, target_opset=DEFAULT_OPSET):
    """The ONNX model of an estimator's ``inverse_transform``.

    skl2onnx converts the forward direction of a transformer only, so the
    decoder gets a model of its own: input ``Z``, codes of shape
    ``(n_samples, n_components_)``; output ``X``, the reconstruction in the
    original units, of shape ``(n_samples, n_features_in_)``, in ``dtype``.

    Parameters
    ----------
    estimator : estimator with ``inverse_transform``
        A fitted AutoencoderTransformer, AutoencoderOutlierDetector or
        AutoencoderEmbedding.
    dtype : {np.float32, np.float64}, default=np.float32
        The dtype of the codes and of the reconstruction.
    target_opset : int, default=18
        The ONNX opset; at least 18.

    Returns
    -------
    onnx.ModelProto
        The model.

    See Also
    --------
    to_onnx : Convert an estimator or a Pipeline (forward direction).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder import AutoencoderTransformer
    >>> from sk_autoencoder.onnx import inverse_transform_to_onnx
    >>> X = np.random.default_rng(0).normal(size=(100, 6))
    >>> ae = AutoencoderTransformer(2, max_iter=3).fit(X)
    >>> onx = inverse_transform_to_onnx(ae)  # doctest: +SKIP
    >>> [node.name for node in onx.graph.input]  # doctest: +SKIP
    ['Z']
    """
    check_is_fitted(estimator)
    if not hasattr(estimator, "inverse_transform"):
        raise TypeError(
            f"{type(estimator).__name__} has no inverse_transform to convert."
        )
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    wrapper = _InverseTransform(estimator)
    return _graph(
        wrapper, dtype, estimator.n_components_, target_opset, names=("Z", "X")
    )
