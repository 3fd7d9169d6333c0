"""Neural network classifiers (skorch-backed, scikit-learn compatible).

Sequence networks (:class:`LSTMClassifier`, :class:`GRUClassifier`,
:class:`CNN1DClassifier`, :class:`TransformerClassifier`) read ``(n, T, F)`` arrays,
:class:`CNN2DClassifier` reads them as one-channel images, and :class:`MLPClassifier`
reads vectors ``(n, d)``. All share :class:`BaseNetClassifier`.
"""

from ._attention import AttentionPooling
from ._base import BaseNetClassifier
from .cnn import CNN1DClassifier, CNN2DClassifier
from .mlp import MLPClassifier
from .rnn import GRUClassifier, LSTMClassifier
from .transformer import TransformerClassifier

__all__ = [
    "AttentionPooling",
    "BaseNetClassifier",
    "CNN1DClassifier",
    "CNN2DClassifier",
    "GRUClassifier",
    "LSTMClassifier",
    "MLPClassifier",
    "TransformerClassifier",
]
