"""The torch modules: an MLP autoencoder that starts from the PCA solution."""

import torch
from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


class ResidualMLP(nn.Module):
    """A linear map plus an MLP correction whose last layer starts at zero.

    At initialization the output is exactly the linear map, so an
    autoencoder built from two of these starts where PCA ends (once the
    linear maps hold the principal axes) and training can only add the
    nonlinear part that the data supports.
    """

    def __init__(self, n_in, n_out, hidden_layer_sizes=(), activation="relu"):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        if not hidden_layer_sizes:
            self.correction = None
            return
        layers = []
        for width in hidden_layer_sizes:
            layers += [nn.Linear(n_in, width), ACTIVATIONS[activation]()]
            n_in = width
        last = nn.Linear(n_in, n_out)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.correction = nn.Sequential(*layers, last)

    def forward(self, x):
        out = self.linear(x)
        if self.correction is not None:
            out = out + self.correction(x)
        return out


class MLPAutoencoder(nn.Module):
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
    """

    def __init__(
        self, n_features, n_components, hidden_layer_sizes=(), activation="relu"
    ):
        super().__init__()
        hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.encoder = ResidualMLP(
            n_features, n_components, hidden_layer_sizes, activation
        )
        self.decoder = ResidualMLP(
            n_components, n_features, hidden_layer_sizes[::-1], activation
        )

    def train(self, mode=True):
        # skorch sets the mode before every batch; walking all submodules
        # each time costs about a tenth of a small network's step.
        if mode == self.training:
            return self
        return super().train(mode)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code), code

    @torch.no_grad()
    def start_from_pca(self, components):
        """Set the linear paths to the principal axes ``components``.

        ``components`` has shape (n_components, n_features) with orthonormal
        rows, for centred inputs; the biases are set to zero.
        """
        components = torch.as_tensor(components, dtype=self.encoder.linear.weight.dtype)
        self.encoder.linear.weight.copy_(components)
        self.encoder.linear.bias.zero_()
        self.decoder.linear.weight.copy_(components.T)
        self.decoder.linear.bias.zero_()
