"""Recurrent networks: bidirectional LSTM / GRU with attention pooling."""

from torch import nn

from ._base import AttentionPooling, BaseNetClassifier, _fill_doc

__all__ = ["RecurrentAttentionNet", "LSTMClassifier", "GRUClassifier"]


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
    """

    def __init__(
        self, n_features, n_classes, *, cell="gru", hidden_size=32, n_layers=1, dropout=0.0
    ):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(
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
        h, _ = self.rnn(x)
        return self.out(self.dropout(self.pool(h)))


class _RecurrentClassifier(BaseNetClassifier):
    _cell = None

    def _build_module(self, n_features, n_frames, n_classes):
        return RecurrentAttentionNet(
            n_features,
            n_classes,
            cell=self._cell,
            hidden_size=self.hidden_size,
            n_layers=self.n_layers,
            dropout=self.dropout,
        )

    @classmethod
    def get_test_params(cls):
        """Cheap constructor settings for tests.

        Returns
        -------
        params : dict
        """
        return {**BaseNetClassifier.get_test_params(), "hidden_size": 4}


@_fill_doc
class LSTMClassifier(_RecurrentClassifier):
    """Bidirectional LSTM with attention pooling (the reference study's LSTM).

    ``(n, T, F)`` -> BiLSTM ``(n, T, 2 * hidden_size)`` -> attention pooling
    (``a_t = w . h_t + b``, ``alpha = softmax_t(a)``, ``context = sum_t alpha_t h_t``)
    -> Linear -> ``n_classes`` logits.

    Parameters
    ----------
    hidden_size : int, default=16
        Hidden size per direction.

    n_layers : int, default=1
        Number of stacked bidirectional layers.

    dropout : float, default=0.0
        Dropout between recurrent layers and on the pooled context.

    {training_params}

    Attributes
    ----------
    {training_attributes}

    Notes
    -----
    ``X`` is ``(n_samples, n_frames, n_features)`` (time before features); a 2-D
    ``(n_samples, n_frames)`` array is a univariate sequence. The number of frames may
    differ between ``fit`` and ``predict`` for 3-D input.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import LSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 30, 3).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "rock", "jazz")
    >>> clf = LSTMClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['jazz', 'rock']
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _cell = "lstm"

    def __init__(
        self,
        *,
        hidden_size=16,
        n_layers=1,
        dropout=0.0,
        max_epochs=100,
        batch_size=32,
        lr=1e-3,
        weight_decay=0.01,
        optimizer="adamw",
        grad_clip=1.0,
        validation_fraction=0.2,
        patience=10,
        class_weight=None,
        device="cpu",
        random_state=None,
        verbose=0,
        standardize=True,
    ):
        super().__init__(
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            optimizer=optimizer,
            grad_clip=grad_clip,
            validation_fraction=validation_fraction,
            patience=patience,
            class_weight=class_weight,
            device=device,
            random_state=random_state,
            verbose=verbose,
            standardize=standardize,
        )
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout


@_fill_doc
class GRUClassifier(_RecurrentClassifier):
    """Bidirectional GRU with attention pooling (the reference study's best model).

    ``(n, T, F)`` -> BiGRU ``(n, T, 2 * hidden_size)`` -> attention pooling
    (``a_t = w . h_t + b``, ``alpha = softmax_t(a)``, ``context = sum_t alpha_t h_t``)
    -> Linear -> ``n_classes`` logits.

    Parameters
    ----------
    hidden_size : int, default=32
        Hidden size per direction.

    n_layers : int, default=1
        Number of stacked bidirectional layers.

    dropout : float, default=0.0
        Dropout between recurrent layers and on the pooled context.

    {training_params}

    Attributes
    ----------
    {training_attributes}

    Notes
    -----
    ``X`` is ``(n_samples, n_frames, n_features)`` (time before features); a 2-D
    ``(n_samples, n_frames)`` array is a univariate sequence. The number of frames may
    differ between ``fit`` and ``predict`` for 3-D input.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import GRUClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 30, 3).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "rock", "jazz")
    >>> clf = GRUClassifier(hidden_size=8, max_epochs=3, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['jazz', 'rock']
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> len(clf.history_)  # one row per epoch
    3
    """

    _cell = "gru"

    def __init__(
        self,
        *,
        hidden_size=32,
        n_layers=1,
        dropout=0.0,
        max_epochs=100,
        batch_size=32,
        lr=1e-3,
        weight_decay=0.01,
        optimizer="adamw",
        grad_clip=1.0,
        validation_fraction=0.2,
        patience=10,
        class_weight=None,
        device="cpu",
        random_state=None,
        verbose=0,
        standardize=True,
    ):
        super().__init__(
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            optimizer=optimizer,
            grad_clip=grad_clip,
            validation_fraction=validation_fraction,
            patience=patience,
            class_weight=class_weight,
            device=device,
            random_state=random_state,
            verbose=verbose,
            standardize=standardize,
        )
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
