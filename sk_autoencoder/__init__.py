"""Autoencoders as scikit-learn estimators, trained with skorch."""

from ._embedding import AutoencoderEmbedding
from ._imputer import AutoencoderImputer
from ._outlier import AutoencoderOutlierDetector
from ._transformer import AutoencoderTransformer

__all__ = [
    "AutoencoderEmbedding",
    "AutoencoderImputer",
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
]
__version__ = "0.1.0"
