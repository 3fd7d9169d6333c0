"""Multi-layer perceptron on vectors (e.g. temporal means of a representation)."""

from torch import nn

from ._base import BaseNetClassifier
from ._params import SizeTuple, fraction

__all__ = ["MLPNet", "MLPClassifier"]


class MLPNet(nn.Module):
    """Blocks of Linear + BatchNorm1d + GELU + Dropout, then Linear -> logits.

    Notes
    -----
    Shapes: input ``(n, d)`` -> logits ``(n, n_classes)``.
    """

    def __init__(
        self, n_features, n_classes, *, hidden_sizes=(1024, 512, 256, 128, 64), dropout=0.5
    ):
        super().__init__()
        layers = []
        size = n_features
        for h in hidden_sizes:
            layers += [nn.Linear(size, h), nn.BatchNorm1d(h), nn.GELU(), nn.Dropout(dropout)]
            size = h
        layers.append(nn.Linear(size, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class MLPClassifier(BaseNetClassifier):
    """Multi-layer perceptron on vectors (the reference study's MLP).

    ``(n, d)`` -> blocks d -> 1024 -> 512 -> 256 -> 128 -> 64, each Linear + BatchNorm1d +
    GELU + Dropout(0.5) -> Linear 64 -> ``n_classes`` (about 2.8 M parameters for d = 2049).

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(1024, 512, 256, 128, 64)
        Sizes of the hidden blocks; ``()`` leaves a linear model.

    dropout : float in [0, 1), default=0.5
        Dropout after each block (0.5 as in the reference MLP).

    {training_params}

    Attributes
    ----------
    {training_attributes}

    Notes
    -----
    ``X`` must be 2-D ``(n_samples, n_features)``. A 3-D sequence ``(n, T, F)`` raises a
    ``ValueError``: pool it first, e.g. ``Pipeline([("feat", MelFeatures(output="sequence")),
    ("pool", TemporalMean()), ("clf", MLPClassifier())])``, or use ``output="mean"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import MLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 5).astype("float32")
    >>> y = np.where(X[:, 0] > 0, "rock", "jazz")
    >>> clf = MLPClassifier(hidden_sizes=(16, 8), max_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _input_kind = "vector"

    _architecture_params = {
        "hidden_sizes": ((1024, 512, 256, 128, 64), [SizeTuple(allow_empty=True)]),
        "dropout": (0.5, fraction()),
    }

    def _build_module(self, n_features, n_frames, n_classes):
        return MLPNet(
            n_features, n_classes, hidden_sizes=tuple(self.hidden_sizes), dropout=self.dropout
        )

    _test_params = {"hidden_sizes": (8,), "dropout": 0.0}
