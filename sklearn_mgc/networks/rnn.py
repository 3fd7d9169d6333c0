"""Recurrent networks: bidirectional LSTM / GRU with attention pooling.

One family: :class:`_RecurrentClassifier` holds the parameters, the module and the test
settings; :class:`LSTMClassifier` and :class:`GRUClassifier` only name their cell.
"""

from torch import nn

from ._attention import AttentionPooling
from ._base import BaseNetClassifier
from ._gru_scan import bidirectional_gru
from ._masking import frame_mask, padded_lengths
from ._params import fraction, positive_int

__all__ = ["RecurrentAttentionNet", "LSTMClassifier", "GRUClassifier"]

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentAttentionNet(nn.Module):
    """Bidirectional recurrent layer(s), attention pooling over time, linear classifier.

    Parameters
    ----------
    n_features : int
        Size ``F`` of each input frame.
    n_classes : int
        Number of output logits.
    cell : {"lstm", "gru"}
        Recurrent cell.
    hidden_size : int
        Hidden size per direction; ``h_t`` has size ``2 * hidden_size``.
    n_layers : int
        Stacked recurrent layers.
    dropout : float
        Dropout between recurrent layers and before the classifier.

    Notes
    -----
    Shapes: input ``(n, T, F)`` -> logits ``(n, n_classes)``.

    Padding (trailing all-zero frames, see :mod:`~sklearn_mgc.networks._masking`) is ignored:
    the recurrent layers run on packed sequences, so each direction stops at (or starts
    from) a clip's last real frame, and the attention pooling gives padded frames no weight.
    A batch without padding takes the plain path. On a CPU the GRU runs through
    :func:`~sklearn_mgc.networks._gru_scan.bidirectional_gru` (the same function and
    parameters, with a faster gradient); on a GPU through cuDNN.

    Examples
    --------
    >>> import torch
    >>> net = RecurrentAttentionNet(3, 2, cell="lstm", hidden_size=4).eval()
    >>> x = torch.randn(1, 5, 3)
    >>> padded = torch.cat([x, torch.zeros(1, 4, 3)], dim=1)
    >>> torch.allclose(net(x), net(padded), atol=1e-6)
    True
    """

    def __init__(
        self, n_features, n_classes, *, cell="gru", hidden_size=32, n_layers=1, dropout=0.0
    ):
        super().__init__()
        self.rnn = _CELLS[cell](
            n_features,
            hidden_size,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.pool = AttentionPooling(2 * hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden_size, n_classes)

    def forward(self, x):
        lengths = padded_lengths(x)
        if isinstance(self.rnn, nn.GRU) and x.device.type == "cpu":
            h = bidirectional_gru(x, self.rnn, lengths)  # same function, faster on a CPU
        elif lengths is None:
            h, _ = self.rnn(x)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            h, _ = nn.utils.rnn.pad_packed_sequence(
                self.rnn(packed)[0], batch_first=True, total_length=x.shape[1]
            )
        mask = None if lengths is None else frame_mask(x, lengths)
        return self.out(self.dropout(self.pool(h, mask)))


class _RecurrentClassifier(BaseNetClassifier):
    """Bidirectional ``_cell`` layers + attention pooling; subclasses only set ``_cell``."""

    _cell = None
    _architecture_params = {
        "hidden_size": (32, positive_int()),
        "n_layers": (1, positive_int()),
        "dropout": (0.0, fraction()),
    }

    def _build_module(self, n_features, n_frames, n_classes):
        return RecurrentAttentionNet(
            n_features,
            n_classes,
            cell=self._cell,
            hidden_size=self.hidden_size,
            n_layers=self.n_layers,
            dropout=self.dropout,
        )

    _test_params = {"hidden_size": 4}


class LSTMClassifier(_RecurrentClassifier):
    """Bidirectional LSTM with attention pooling (the reference study's LSTM).

    ``(n, T, F)`` -> BiLSTM ``(n, T, 2 * hidden_size)`` -> attention pooling -> Linear ->
    ``n_classes`` logits: the network of :class:`GRUClassifier` with LSTM cells, which have
    a third more weights than GRU cells of the same ``hidden_size``.

    {recurrent_sections}

    Examples
    --------
    A univariate sequence ``(n_samples, n_frames)``, through two stacked layers:

    >>> import numpy as np
    >>> from sklearn_mgc.networks import LSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 30).astype("float32")
    >>> y = np.where(X.mean(axis=1) > 0, "rock", "jazz")
    >>> clf = LSTMClassifier(hidden_size=16, n_layers=2, max_epochs=3, random_state=0)
    >>> clf.fit(X, y).classes_.tolist()
    ['jazz', 'rock']
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _cell = "lstm"


class GRUClassifier(_RecurrentClassifier):
    """Bidirectional GRU with attention pooling (the reference study's best model).

    ``(n, T, F)`` -> BiGRU ``(n, T, 2 * hidden_size)`` -> attention pooling -> Linear ->
    ``n_classes`` logits.

    {recurrent_sections}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import GRUClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 30, 3).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "rock", "jazz")
    >>> clf = GRUClassifier(hidden_size=8, max_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> len(clf.history_)  # one row per epoch
    3
    """

    _cell = "gru"
