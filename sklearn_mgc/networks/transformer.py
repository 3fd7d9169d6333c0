"""Transformer encoder over time with attention pooling."""

import math

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import StrOptions
from torch import nn

from ._attention import AttentionPooling
from ._base import BaseNetClassifier
from ._params import fraction, positive_int

__all__ = ["PositionalEncoding", "TransformerNet", "TransformerClassifier"]


class PositionalEncoding(nn.Module):
    """Adds a positional encoding to ``(n, T, d_model)`` inputs.

    Parameters
    ----------
    d_model : int
        Size of each frame.
    kind : {"sinusoidal", "learned"}
        ``"sinusoidal"``: the fixed encoding of Vaswani et al., computed for any ``T``.
        ``"learned"``: a trained ``(max_len, d_model)`` table; a longer sequence at predict
        time uses the table linearly interpolated to its length, a shorter one its first rows.
    max_len : int
        Rows of the learned table (the number of frames seen in ``fit``).
    """

    def __init__(self, d_model, *, kind="sinusoidal", max_len=1):
        super().__init__()
        if kind not in ("sinusoidal", "learned"):
            raise ValueError(
                f"positional_encoding must be 'sinusoidal' or 'learned'; got {kind!r}."
            )
        self.kind = kind
        self.d_model = d_model
        if kind == "learned":
            self.table = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def _sinusoidal(self, T, device, dtype):
        pos = torch.arange(T, device=device, dtype=torch.float32)[:, None]
        i = torch.arange(0, self.d_model, 2, device=device, dtype=torch.float32)
        angle = pos * torch.exp(-math.log(10000.0) * i / self.d_model)
        pe = torch.zeros(T, self.d_model, device=device)
        pe[:, 0::2] = torch.sin(angle)
        pe[:, 1::2] = torch.cos(angle[:, : self.d_model // 2])
        return pe.to(dtype)

    def forward(self, x):
        T = x.shape[1]
        if self.kind == "sinusoidal":
            return x + self._sinusoidal(T, x.device, x.dtype)
        table = self.table
        if table.shape[0] < T:
            table = F.interpolate(table.T[None], size=T, mode="linear", align_corners=True)[0].T
        return x + table[:T]


class TransformerNet(nn.Module):
    """Optional projection, positional encoding, TransformerEncoder, attention pooling, linear.

    Notes
    -----
    Shapes: input ``(n, T, F)`` -> logits ``(n, n_classes)``.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        d_model=None,
        n_heads=4,
        n_layers=4,
        dim_feedforward=16,
        dropout=0.1,
        attention_dropout=0.0,
        positional_encoding="sinusoidal",
        max_len=1,
    ):
        super().__init__()
        d = n_features if d_model is None else d_model
        self.proj = nn.Identity() if d_model is None else nn.Linear(n_features, d_model)
        self.pos = PositionalEncoding(d, kind=positional_encoding, max_len=max_len)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d, n_heads, dim_feedforward=dim_feedforward, dropout=dropout, batch_first=True
        )
        # dropout on the attention weights has its own rate: without it, PyTorch runs its fused,
        # memory-efficient attention kernel instead of materialising every T x T matrix
        layer.self_attn.dropout = attention_dropout
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.pool = AttentionPooling(d)
        self.out = nn.Linear(d, n_classes)

    def forward(self, x):
        h = self.dropout(self.pos(self.proj(x)))
        return self.out(self.pool(self.encoder(h)))


class TransformerClassifier(BaseNetClassifier):
    """Transformer encoder over time with attention pooling (the reference study's Transformer).

    ``(n, T, F)`` -> [Linear F -> d_model if ``d_model`` is set] -> + positional encoding ->
    ``n_layers`` TransformerEncoder layers (``n_heads`` heads, feed-forward
    ``dim_feedforward``) -> attention pooling -> Linear -> ``n_classes``.

    Parameters
    ----------
    d_model : int or None, default=None
        ``None`` runs the encoder on the features themselves (``d_model = F``, as in the
        study); ``n_heads`` must then divide ``F``. An int adds a Linear projection
        ``F -> d_model``.

    n_heads : int, default=4
        Attention heads; must divide the model size.

    n_layers : int, default=4
        Encoder layers (4 as in the reference Transformer; the recurrent networks stack 1).

    dim_feedforward : int, default=16
        Size of the feed-forward layer of each encoder layer.

    dropout : float in [0, 1), default=0.1
        Dropout in the encoder layers' feed-forward and residual paths and after the
        positional encoding (0.1, PyTorch's default for encoder layers).

    attention_dropout : float in [0, 1), default=0.0
        Dropout on the attention weights. Keep it 0 for long sequences: any other value makes
        PyTorch materialise every ``T x T`` attention matrix for the backward pass (on 30 s of
        frames at 10 ms, about 2 GB per clip of a batch on the CPU, against 60 MB with 0).

    positional_encoding : {"sinusoidal", "learned"}, default="sinusoidal"
        ``"learned"`` trains one vector per frame up to the number of frames seen in
        ``fit``; longer sequences at predict time use the table interpolated to their length.

    {training_params}

    Attributes
    ----------
    {training_attributes}

    Notes
    -----
    ``X`` is ``(n_samples, n_frames, n_features)``; a 2-D ``(n_samples, n_frames)`` array is
    a univariate sequence, for which set ``d_model`` (a 1-wide model cannot learn: its layer
    normalisation erases the signal).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import TransformerClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 30, 8).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "rock", "jazz")
    >>> clf = TransformerClassifier(n_heads=2, n_layers=1, max_epochs=3,
    ...                             random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _architecture_params = {
        "d_model": (None, [*positive_int(), None]),
        "n_heads": (4, positive_int()),
        "n_layers": (4, positive_int()),
        "dim_feedforward": (16, positive_int()),
        "dropout": (0.1, fraction()),
        "attention_dropout": (0.0, fraction()),
        "positional_encoding": ("sinusoidal", [StrOptions({"sinusoidal", "learned"})]),
    }

    _test_params = {"d_model": 8, "n_heads": 2, "n_layers": 1, "dropout": 0.0}

    def _check_params(self, n_features):
        """``n_heads`` must divide the model size (``d_model``, or ``F`` when it is None)."""
        d = n_features if self.d_model is None else self.d_model
        if d % self.n_heads:
            divisors = [k for k in range(1, min(d, 64) + 1) if d % k == 0]
            origin = (
                f"d_model = n_features = {d} (d_model=None)"
                if self.d_model is None
                else f"d_model={d}"
            )
            raise ValueError(
                f"n_heads={self.n_heads} must divide the model size: {origin}. Use n_heads in "
                f"{divisors}, or set d_model to a multiple of n_heads to add a projection."
            )

    def _build_module(self, n_features, n_frames, n_classes):
        return TransformerNet(
            n_features,
            n_classes,
            d_model=self.d_model,
            n_heads=self.n_heads,
            n_layers=self.n_layers,
            dim_feedforward=self.dim_feedforward,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            positional_encoding=self.positional_encoding,
            max_len=n_frames,
        )
