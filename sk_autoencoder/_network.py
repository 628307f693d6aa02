"""The torch modules: autoencoders that start from the PCA solution.

Every module here follows the contract that user-supplied modules follow
too (see the ``module`` parameter): it is built as
``module(n_features=..., n_components=..., **params)``, has ``encode(x)``
and ``decode(code)``, and its ``forward(x)`` returns
``(reconstruction, code)``. ``start_from_pca`` is optional.
"""

import itertools
import math

import numpy as np
import torch
from scipy.linalg import eigh, svd
from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


class _Residual(nn.Module):
    """A linear map plus a correction whose last layer starts at zero.

    At initialization the output is exactly the linear map, so an
    autoencoder built from two of these starts where PCA ends (once the
    linear maps hold the principal axes) and training can only add the
    nonlinear part that the data supports. The linear map is the first
    ``n_out`` outputs of the layer ``first``.
    """

    def linear(self, x):
        """The linear map alone."""
        weight, bias = self.first.weight, self.first.bias
        return nn.functional.linear(x, weight[: self.n_out], bias[: self.n_out])

    @torch.no_grad()
    def set_linear(self, weight):
        """Set the linear map to ``weight`` (n_out, n_in), its bias to zero."""
        self.first.weight[: self.n_out].copy_(weight)
        self.first.bias[: self.n_out].zero_()


class ResidualMLP(_Residual):
    """A linear map plus an MLP correction.

    Built for few ops per call, since for a small network each op's fixed
    cost outweighs its arithmetic: the linear map and the correction's
    first layer read the same input, so one matrix product computes both;
    the correction's last layer has no bias (the linear map's covers it)
    and adds its product onto the linear map in the same op.
    """

    def __init__(self, n_in, n_out, hidden_layer_sizes=(), activation="relu"):
        super().__init__()
        self.n_out = n_out
        widths = tuple(hidden_layer_sizes)
        self.first = nn.Linear(n_in, n_out + (widths[0] if widths else 0))
        self.hidden = self.last = None
        if not widths:
            return
        layers = [ACTIVATIONS[activation]()]
        for width_in, width in itertools.pairwise(widths):
            layers += [nn.Linear(width_in, width), ACTIVATIONS[activation]()]
        self.hidden = nn.Sequential(*layers)
        self.last = nn.Parameter(torch.zeros(n_out, widths[-1]))

    def forward(self, x):
        out = self.first(x)
        if self.hidden is None:
            return out
        linear, hidden = out.split([self.n_out, out.shape[1] - self.n_out], dim=1)
        return torch.addmm(linear, self.hidden(hidden), self.last.T)

    @torch.no_grad()
    def silence(self, outputs):
        """Make the ``outputs`` (indices) 0 for every input."""
        self.first.weight[outputs] = 0.0
        self.first.bias[outputs] = 0.0
        if self.last is not None:
            self.last[outputs] = 0.0


class ResidualConv(_Residual):
    """A linear map plus a :class:`ConvCorrection` of the same input."""

    def __init__(self, n_in, n_out, correction):
        super().__init__()
        self.n_out = n_out
        self.first = nn.Linear(n_in, n_out)
        self.correction = correction

    def forward(self, x):
        return self.first(x) + self.correction(x)


def principal_axes(cov, n_components):
    """The ``n_components`` leading eigenvectors of ``cov``, as rows.

    Only those eigenpairs are computed, which on wide data costs a fraction
    of the full decomposition. Axes beyond the data's rank come out as zero
    rows; signs follow scikit-learn's ``svd_flip`` (largest entry of each
    axis positive).
    """
    n_features = cov.shape[0]
    n_found = min(n_components, n_features)
    eigenvalues, eigenvectors = eigh(
        cov, subset_by_index=[n_features - n_found, n_features - 1]
    )
    return _leading(eigenvalues[::-1], eigenvectors[:, ::-1].T, n_components)


def principal_axes_of_rows(centred, n_components):
    """:func:`principal_axes` of the covariance of the ``centred`` rows,
    from their SVD: for fewer rows than features, a fraction of the cost
    of forming the covariance and decomposing it."""
    _, singular_values, vt = svd(centred, full_matrices=False, check_finite=False)
    return _leading(singular_values**2, vt, n_components)


def _leading(eigenvalues, eigenvectors, n_components):
    """The first ``n_components`` of the ``eigenvectors`` (rows, by
    decreasing ``eigenvalues``), zero beyond the rank, signs flipped as
    ``svd_flip`` does."""
    rank = np.sum(eigenvalues > eigenvalues.max(initial=0.0) * 1e-10)
    rank = min(rank, n_components)
    axes = np.zeros((n_components, eigenvectors.shape[1]))
    axes[:rank] = eigenvectors[:rank]
    signs = np.sign(axes[np.arange(n_components), np.abs(axes).argmax(axis=1)])
    signs[signs == 0] = 1.0
    return axes * signs[:, None]


class _AutoencoderFromPCA(nn.Module):
    """An ``encoder`` and a ``decoder``, each a linear map plus a correction
    (see :class:`ResidualMLP`), whose linear maps ``start_from_pca`` sets
    to the principal axes."""

    def train(self, mode=True):
        # skorch sets the mode before every batch; walking all submodules
        # each time would weigh on a small network's step.
        if mode == self.training:
            return self
        return super().train(mode)

    missing_indicator = False

    def _inputs(self, x):
        """What the encoder reads: ``x``, and with ``missing_indicator`` NaN
        entries as 0 (their feature's mean) followed by one indicator per
        feature (1 where the entry is NaN, to be filled in)."""
        if not self.missing_indicator:
            return x
        masked = torch.isnan(x)
        return torch.cat([x.masked_fill(masked, 0.0), masked.to(x.dtype)], dim=1)

    def encode(self, x):
        return self.encoder(self._inputs(x))

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code), code

    @torch.no_grad()
    def start_from_pca(self, components):
        """Set the linear paths to the principal axes ``components``.

        ``components`` has shape (n_components, n_features) with orthonormal
        rows, for centred inputs; the linear maps' biases are set to zero.
        """
        components = torch.as_tensor(components, dtype=self.encoder.first.weight.dtype)
        # The indicator inputs, if any, start with no weight.
        n_inputs = self.encoder.first.in_features
        self.encoder.set_linear(
            nn.functional.pad(components, (0, n_inputs - components.shape[1]))
        )
        self.decoder.set_linear(components.T)


class MLPAutoencoder(_AutoencoderFromPCA):
    """Encoder through ``hidden_layer_sizes`` to a bottleneck, mirrored decoder.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    n_components : int
        Width of the code (the bottleneck).
    hidden_layer_sizes : tuple of int, default=()
        Widths of the encoder's hidden layers; the decoder uses them reversed.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Nonlinearity of the hidden layers.
    missing_indicator : bool, default=False
        Read NaN inputs as entries to fill in: the encoder sees them as 0
        plus one indicator input per feature (1 where the entry is NaN).
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        missing_indicator=False,
    ):
        super().__init__()
        hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.missing_indicator = missing_indicator
        self.encoder = ResidualMLP(
            n_features * (1 + missing_indicator),
            n_components,
            hidden_layer_sizes,
            activation,
        )
        self.decoder = ResidualMLP(
            n_components, n_features, hidden_layer_sizes[::-1], activation
        )


class ConvCorrection(nn.Module):
    """Convolutions from an image to a vector, or back, ending at zero.

    ``to_image=False``: stride-2 convolutions with ``channels`` filters
    each, then a linear layer to ``n_out``. ``to_image=True``: a linear
    layer from ``n_in`` to the smallest feature map, then upsampling and
    convolutions back to ``image_shape``. The last layer starts at zero,
    as in :class:`ResidualMLP`.
    """

    def __init__(self, n_in, n_out, image_shape, channels, activation, to_image):
        super().__init__()
        self.image_shape = image_shape
        self.to_image = to_image
        n_channels, *size = image_shape
        sizes = [tuple(size)]
        for _ in channels:
            size = [math.ceil(side / 2) for side in size]
            sizes.append(tuple(size))
        self.code_map = (channels[-1], *sizes[-1])
        flat = math.prod(self.code_map)
        act = ACTIVATIONS[activation]
        if not to_image:
            layers = []
            for width in channels:
                layers += [nn.Conv2d(n_channels, width, 3, stride=2, padding=1), act()]
                n_channels = width
            last = nn.Linear(flat, n_out)
            self.layers = nn.Sequential(*layers, nn.Flatten(), last)
        else:
            layers = [nn.Linear(n_in, flat), act(), nn.Unflatten(1, self.code_map)]
            widths = [*channels[::-1][1:], n_channels]
            in_width = channels[-1]
            for width, target in zip(widths, sizes[-2::-1], strict=True):
                layers += [
                    nn.Upsample(size=target),
                    nn.Conv2d(in_width, width, 3, padding=1),
                    act(),
                ]
                in_width = width
            last = layers[-2]
            layers = layers[:-1]  # no activation on the output
            self.layers = nn.Sequential(*layers, nn.Flatten())
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def forward(self, x):
        if not self.to_image:
            x = x.reshape(-1, *self.image_shape)
        return self.layers(x)


class _ResidualStep(nn.Module):
    """``x + f(x)``, where ``f`` applies ``conv(activation(.))`` ``n_convs``
    times; every convolution is 3 x 3 and keeps the size and the width."""

    def __init__(self, width, activation, n_convs):
        super().__init__()
        layers = []
        for _ in range(n_convs):
            layers += [ACTIVATIONS[activation](), nn.Conv2d(width, width, 3, padding=1)]
        self.residual = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.residual(x)


class LocalConv(nn.Module):
    """Full-resolution 3 x 3 convolutions from an image to an image.

    A convolution to ``width`` channels, then the other ``n_layers - 1``
    in residual steps of two, ``h + conv(activation(conv(activation(h))))``
    (and one single step ``h + conv(activation(h))`` if they are odd in
    number), then the activation and a 1 x 1 convolution to ``n_out``
    channels that starts at zero. The residual steps keep the features
    from fading with depth (through a plain stack of convolutions at
    PyTorch's default initialization they fade within a few layers), so a
    deep path still trains. Nothing is downsampled: each output pixel reads
    the input within ``n_layers`` pixels of it.
    """

    def __init__(self, input_shape, n_out, width, n_layers, activation):
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}.")
        self.input_shape = input_shape
        n_pairs, n_single = divmod(n_layers - 1, 2)
        layers = [nn.Conv2d(input_shape[0], width, 3, padding=1)]
        layers += [_ResidualStep(width, activation, 2) for _ in range(n_pairs)]
        layers += [_ResidualStep(width, activation, 1) for _ in range(n_single)]
        last = nn.Conv2d(width, n_out, 1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.layers = nn.Sequential(
            *layers, ACTIVATIONS[activation](), last, nn.Flatten()
        )

    def forward(self, x):
        return self.layers(x.reshape(-1, *self.input_shape))


class ConvAutoencoder(_AutoencoderFromPCA):
    """A convolutional autoencoder for rows that are flattened images.

    Like :class:`MLPAutoencoder`, the encoder and the decoder each have a
    linear path (which starts at the principal axes) and a correction that
    starts at zero; here the corrections are convolutional: each entry of
    ``hidden_layer_sizes`` adds a 3 x 3 convolution with that many channels
    that halves the height and width (the decoder mirrors them with
    upsampling).

    Parameters
    ----------
    n_features : int
        ``C * H * W``, the length of a flattened image.
    n_components : int
        Width of the code.
    image_shape : tuple of int
        ``(C, H, W)``; rows are images flattened in C order.
    hidden_layer_sizes : tuple of int, default=(32,)
        Channels of each convolution; at least one.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Nonlinearity after each convolution.
    missing_indicator : bool, default=False
        Read NaN inputs as pixels to fill in: the encoder sees them as 0
        plus one indicator channel per channel (1 where the pixel is NaN).
    local_layers : int, default=0
        Adds to the reconstruction a path that bypasses the code: that many
        full-resolution 3 x 3 convolutions of the input (with the
        indicator), ``hidden_layer_sizes[0]`` channels each, all but the
        first in residual steps (see :class:`LocalConv`); it starts at
        zero. Only for filling in masked pixels: a path around the code
        can copy every pixel it sees. It is part of ``forward(x)``, not of
        ``decode(encode(x))``.
    refine_layers : int, default=0
        Adds to the decoder a path that refines its image: that many
        full-resolution 3 x 3 convolutions of the decoded image (built as
        the local path is, see :class:`LocalConv`), added to it; it starts
        at zero. The code carries the image's global shape and the path its
        local detail (such as the sharp strokes a denoiser must keep). It is
        part of ``decode``, so of ``forward(x)`` and of
        ``decode(encode(x))`` alike.
    """

    def __init__(
        self,
        n_features,
        n_components,
        image_shape,
        hidden_layer_sizes=(32,),
        activation="relu",
        missing_indicator=False,
        local_layers=0,
        refine_layers=0,
    ):
        super().__init__()
        image_shape = tuple(image_shape)
        channels = tuple(hidden_layer_sizes)
        self.missing_indicator = missing_indicator
        # The indicator's channels follow the image's: a flattened
        # (2C, H, W) image.
        n_inputs = n_features * (1 + missing_indicator)
        input_shape = (image_shape[0] * (1 + missing_indicator), *image_shape[1:])
        self.encoder = ResidualConv(
            n_inputs,
            n_components,
            ConvCorrection(
                n_inputs, n_components, input_shape, channels, activation, False
            ),
        )
        self.decoder = ResidualConv(
            n_components,
            n_features,
            ConvCorrection(
                n_components, n_features, image_shape, channels, activation, True
            ),
        )
        self.local = None
        if local_layers:
            self.local = LocalConv(
                input_shape, image_shape[0], channels[0], local_layers, activation
            )
        self.refine = None
        if refine_layers:
            self.refine = LocalConv(
                image_shape, image_shape[0], channels[0], refine_layers, activation
            )

    def decode(self, z):
        image = self.decoder(z)
        if self.refine is not None:
            image = image + self.refine(image)
        return image

    def forward(self, x):
        reconstruction, code = super().forward(x)
        if self.local is not None:
            reconstruction = reconstruction + self.local(self._inputs(x))
        return reconstruction, code
