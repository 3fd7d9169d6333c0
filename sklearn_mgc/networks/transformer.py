"""Transformer encoder over time with attention pooling."""

import math

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import StrOptions
from torch import nn

from ._attention import AttentionPooling
from ._base import BaseNetClassifier
from ._masking import frame_mask, padded_lengths
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
        With ``lengths``, each clip's table is interpolated to its own real length, so
        padding never changes the encoding of a real frame.
    max_len : int
        Rows of the learned table (the number of frames seen in ``fit``).

    Notes
    -----
    ``forward(x, lengths=None)``: ``x`` of shape ``(n, T, d_model)``, ``lengths`` the real
    frames of each sequence (``(n,)``) or None when none is padded.
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

    def _learned(self, T, lengths):
        table = self.table
        if table.shape[0] >= T:
            return table[:T]
        if lengths is None:
            return _stretch(table, T)
        rows = []
        for n in lengths.tolist():
            clip = table[:n] if n <= table.shape[0] else _stretch(table, n)
            rows.append(F.pad(clip, (0, 0, 0, T - clip.shape[0])))
        return torch.stack(rows)

    def forward(self, x, lengths=None):
        T = x.shape[1]
        if self.kind == "sinusoidal":
            return x + self._sinusoidal(T, x.device, x.dtype)
        return x + self._learned(T, lengths)


def _stretch(table, n_rows):
    """``table`` ``(rows, d)`` linearly interpolated to ``(n_rows, d)``."""
    return F.interpolate(table.T[None], size=n_rows, mode="linear", align_corners=True)[0].T


def _n_tokens(n_frames, patch_size):
    """Tokens made from ``n_frames`` frames (an int or a tensor of lengths): the ceiling."""
    return -(-n_frames // patch_size)


def _stack_patches(x, patch_size):
    """``(n, T, F)`` -> ``(n, ceil(T / p), p * F)``: zero-pad ``T`` to a multiple of ``p``,
    then concatenate the features of each ``p`` consecutive frames."""
    n, T, n_features = x.shape
    x = F.pad(x, (0, 0, 0, _n_tokens(T, patch_size) * patch_size - T))
    return x.reshape(n, -1, patch_size * n_features)


class TransformerNet(nn.Module):
    """Patches or projection, positional encoding, TransformerEncoder, attention pooling, linear.

    Notes
    -----
    Shapes: input ``(n, T, F)`` -> tokens ``(n, ceil(T / patch_size), d)`` -> logits
    ``(n, n_classes)``; ``max_len`` counts tokens.

    Padding (trailing all-zero frames, see :mod:`~sklearn_mgc.networks._masking`) is ignored:
    a clip of ``L`` real frames makes ``ceil(L / patch_size)`` real tokens, the encoder gets
    the others as ``src_key_padding_mask`` and the attention pooling gives them no weight.
    A batch without padding takes the plain, unmasked path.

    Examples
    --------
    >>> import torch
    >>> net = TransformerNet(4, 2, n_heads=2, n_layers=1, patch_size=3).eval()
    >>> x = torch.randn(1, 10, 4)
    >>> padded = torch.cat([x, torch.zeros(1, 11, 4)], dim=1)
    >>> torch.allclose(net(x), net(padded), atol=1e-5)
    True
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
        patch_size=1,
        max_len=1,
    ):
        super().__init__()
        d = n_features if d_model is None else d_model
        self.patch_size = patch_size
        if patch_size == 1 and d_model is None:
            self.proj = nn.Identity()
        else:  # each token: a Linear projection of the p * F stacked features of p frames
            self.proj = nn.Linear(patch_size * n_features, d)
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
        lengths = padded_lengths(x)
        p = self.patch_size
        h = self.proj(x if p == 1 else _stack_patches(x, p))
        mask = None
        if lengths is not None:
            lengths = _n_tokens(lengths, p)
            if bool((lengths < h.shape[1]).any()):
                mask = frame_mask(h, lengths)
        h = self.dropout(self.pos(h, None if mask is None else lengths))
        h = self.encoder(h, src_key_padding_mask=None if mask is None else ~mask)
        return self.out(self.pool(h, mask))


class TransformerClassifier(BaseNetClassifier):
    """Transformer encoder over time with attention pooling (the reference study's Transformer).

    ``(n, T, F)`` -> [tokens of ``patch_size`` stacked frames, Linear ``patch_size * F`` ->
    ``d_model`` if ``patch_size > 1`` or ``d_model`` is set] -> + positional encoding ->
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
        ``"learned"`` trains one vector per token up to the number of tokens seen in
        ``fit``; longer sequences at predict time use the table interpolated to their length.

    patch_size : int, default=1
        Frames merged into one token before the encoder: the sequence is zero-padded to a
        multiple of ``patch_size`` and each token is a Linear projection of its
        ``patch_size * F`` stacked features to the model size (``F`` when ``d_model`` is
        None). Self-attention costs the square of the number of tokens, so ``patch_size=4``
        trains about 10 times faster on 30 s of frames at 10 ms hops (40 ms per token).
        1 is the reference study's architecture.

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
        "patch_size": (1, positive_int()),
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
            patch_size=self.patch_size,
            max_len=_n_tokens(n_frames, self.patch_size),
        )
