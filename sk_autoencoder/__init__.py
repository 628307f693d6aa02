"""Autoencoders as scikit-learn estimators, trained with skorch."""

from ._outlier import AutoencoderOutlierDetector
from ._transformer import AutoencoderTransformer

__all__ = ["AutoencoderOutlierDetector", "AutoencoderTransformer"]
__version__ = "0.1.0.dev0"
