"""Autoencoders as scikit-learn estimators, trained with skorch."""

from ._transformer import AutoencoderTransformer

__all__ = ["AutoencoderTransformer"]
__version__ = "0.1.0.dev0"
