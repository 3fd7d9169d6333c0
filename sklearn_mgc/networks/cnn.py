"""Convolutional networks: 1-D over time (features as channels) and 2-D over the (T, F) image."""

import torch.nn.functional as F
from sklearn.utils._param_validation import StrOptions
from torch import nn

from ._base import BaseNetClassifier
from ._masking import (
    conv_lengths,
    masked_mean,
    padded_lengths,
    pool_real,
    pooled_lengths,
    zero_padding,
)
from ._params import SizeTuple, fraction, positive_int

__all__ = ["CNN1DNet", "CNN2DNet", "CNN1DClassifier", "CNN2DClassifier"]


class CNN1DNet(nn.Module):
    """Conv1d blocks over time, global average pooling, two dense layers.

    Each block: Conv1d(k, padding k // 2) + LeakyReLU + MaxPool1d(pool, pool). A sequence
    shorter than ``pool`` frames is pooled with a window of its own length, so short
    inputs never fail.

    Notes
    -----
    Shapes: input ``(n, T, F)`` -> logits ``(n, n_classes)``.

    Padding (trailing all-zero frames, see :mod:`~sklearn_mgc.networks._masking`) is ignored:
    each block's input is zero after a clip's real frames (so the kernels see what they see
    at the end of an unpadded clip), the real lengths follow the pooling
    (:func:`~sklearn_mgc.networks._masking.pooled_lengths`), and the global average runs over
    the real frames only.

    Examples
    --------
    >>> import torch
    >>> net = CNN1DNet(3, 2, channels=(4, 4), dense_size=4).eval()
    >>> x = torch.randn(1, 20, 3)
    >>> padded = torch.cat([x, torch.zeros(1, 13, 3)], dim=1)
    >>> torch.allclose(net(x), net(padded), atol=1e-6)
    True
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        channels=(128, 256, 512),
        kernel_size=3,
        pool_size=3,
        dense_size=128,
        dropout=0.5,
    ):
        super().__init__()
        sizes = [n_features, *channels]
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, kernel_size, padding=kernel_size // 2)
            for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.pool_size = pool_size
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(sizes[-1], dense_size)
        self.out = nn.Linear(dense_size, n_classes)

    def forward(self, x):
        lengths = padded_lengths(x)
        x = x.transpose(1, 2)  # (n, F, T): features are channels
        for conv in self.convs:
            x = F.leaky_relu(conv(zero_padding(x, lengths, dim=-1)))
            # an even kernel makes one frame more: count it, as an unpadded clip has it
            lengths = conv_lengths(lengths, conv.kernel_size[0], 1, conv.padding[0])
            k = min(self.pool_size, x.shape[-1])
            # a clip shorter than k is pooled over its real frames, as alone (window = length)
            x = pool_real(x, lengths, k, lambda z, k=k: F.max_pool1d(z, k, k))
            lengths = pooled_lengths(lengths, k)
        x = self.dropout(masked_mean(x, lengths, dim=-1))  # AdaptiveAvgPool1d(1)
        return self.out(F.leaky_relu(self.dense(x)))


class CNN2DNet(nn.Module):
    """Conv2d blocks over the one-channel ``(T, F)`` image, global average pooling, linear.

    Each block, with ``downsampling="max_pool"`` (the reference CNN2D): Conv2d(k x k,
    padding k // 2) + ReLU + MaxPool2d(pool); along an axis shorter than ``pool`` the window
    shrinks to that axis' length, so short inputs never fail. With ``"stride"``: Conv2d(k x k,
    stride pool, padding k // 2) + ReLU, the same downsampling without ever computing the
    full-resolution convolution (about 5 times less work on the CPU).

    Notes
    -----
    Shapes: input ``(n, T, F)`` -> logits ``(n, n_classes)``.

    The max-pooling is applied before the ReLU, which is the same function (the ReLU is
    monotonic) and the same gradients, on a quarter of the values.

    Padding (trailing all-zero frames) is ignored along time as in :class:`CNN1DNet`: each
    block's input is zero after a clip's real frames, the real lengths follow the pooling
    or the stride, and the global average runs over the real frames only.

    Examples
    --------
    >>> import torch
    >>> net = CNN2DNet(2, channels=(4, 4), downsampling="stride").eval()
    >>> x = torch.randn(1, 20, 6)
    >>> padded = torch.cat([x, torch.zeros(1, 13, 6)], dim=1)
    >>> torch.allclose(net(x), net(padded), atol=1e-6)
    True
    """

    def __init__(
        self,
        n_classes,
        *,
        channels=(32, 64),
        kernel_size=3,
        pool_size=2,
        dropout=0.0,
        downsampling="max_pool",
    ):
        super().__init__()
        sizes = [1, *channels]
        stride = pool_size if downsampling == "stride" else 1
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, kernel_size, stride=stride, padding=kernel_size // 2)
            for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.pool_size = pool_size
        self.downsampling = downsampling
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(sizes[-1], n_classes)

    def _block(self, conv, x, lengths):
        """One block on ``(n, C, T, F)``; returns its output and the real lengths after it."""
        x = conv(zero_padding(x, lengths, dim=-2))
        lengths = conv_lengths(lengths, conv.kernel_size[0], conv.stride[0], conv.padding[0])
        if self.downsampling == "stride":
            return F.relu(x), lengths
        k = (min(self.pool_size, x.shape[-2]), min(self.pool_size, x.shape[-1]))
        x = pool_real(x, lengths, k[0], lambda z: F.max_pool2d(z, k, k), dim=-2)
        return F.relu(x), pooled_lengths(lengths, k[0])

    def forward(self, x):
        lengths = padded_lengths(x)
        x = x.unsqueeze(1)  # (n, 1, T, F)
        for conv in self.convs:
            x, lengths = self._block(conv, x, lengths)
        if lengths is None:
            x = x.mean(dim=(-2, -1))
        else:
            x = masked_mean(x.mean(dim=-1), lengths, dim=-1)
        return self.out(self.dropout(x))


class CNN1DClassifier(BaseNetClassifier):
    """1-D convolutional network over time, features as channels (the reference study's CNN1D).

    ``(n, T, F)`` -> [Conv1d(F -> 128, k 3, pad 1) + LeakyReLU + MaxPool1d(3, 3)], then
    128 -> 256 and 256 -> 512 likewise -> global average pooling -> Dropout(0.5) ->
    Linear 512 -> 128 + LeakyReLU -> Linear 128 -> ``n_classes``.

    Parameters
    ----------
    channels : tuple of int, default=(128, 256, 512)
        Output channels of the convolution blocks (one block per entry, at least one).

    kernel_size : int, default=3
        Convolution kernel size (odd keeps the length: padding ``kernel_size // 2``).

    pool_size : int, default=3
        Max-pooling window and stride after each block. 3 as in the reference CNN1D,
        where :class:`CNN2DClassifier` pools 2 x 2.

    dense_size : int, default=128
        Size of the hidden dense layer.

    dropout : float in [0, 1), default=0.5
        Dropout before the dense layers. 0.5 as in the reference CNN1D, which (unlike the
        reference CNN2D, default 0) regularises its two dense layers.

    {training_params}

    Attributes
    ----------
    {training_attributes}

    Notes
    -----
    ``X`` is ``(n_samples, n_frames, n_features)``; a 2-D ``(n_samples, n_frames)`` array is
    a univariate sequence. Inputs shorter than the pooling windows are handled (the window
    shrinks).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import CNN1DClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 30, 3).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "rock", "jazz")
    >>> clf = CNN1DClassifier(channels=(8, 8), dense_size=8, max_epochs=3,
    ...                       random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _architecture_params = {
        "channels": ((128, 256, 512), [SizeTuple()]),
        "kernel_size": (3, positive_int()),
        "pool_size": (3, positive_int()),
        "dense_size": (128, positive_int()),
        "dropout": (0.5, fraction()),
    }

    def _build_module(self, n_features, n_frames, n_classes):
        return CNN1DNet(
            n_features,
            n_classes,
            channels=tuple(self.channels),
            kernel_size=self.kernel_size,
            pool_size=self.pool_size,
            dense_size=self.dense_size,
            dropout=self.dropout,
        )

    _test_params = {
        "channels": (8, 8),
        "dense_size": 8,
        "dropout": 0.0,
    }


class CNN2DClassifier(BaseNetClassifier):
    """2-D convolutional network on the ``(T, F)`` representation read as a one-channel image.

    ``(n, T, F)`` -> image ``(n, 1, T, F)`` -> [Conv2d 3x3 (1 -> 32) + ReLU + MaxPool 2x2]
    -> [Conv2d 3x3 (32 -> 64) + ReLU + MaxPool 2x2] -> global average pooling (64)
    -> Linear 64 -> ``n_classes``.

    Parameters
    ----------
    channels : tuple of int, default=(32, 64)
        Output channels of the convolution blocks (one block per entry, at least one).

    kernel_size : int, default=3
        Square convolution kernel size (padding ``kernel_size // 2``).

    pool_size : int, default=2
        Square max-pooling window and stride after each block (2 x 2 as in the reference
        CNN2D; :class:`CNN1DClassifier` pools 3 frames).

    dropout : float in [0, 1), default=0.0
        Dropout on the pooled features (none in the reference CNN2D, which has no dense
        hidden layer; :class:`CNN1DClassifier` uses 0.5).

    downsampling : {"max_pool", "stride"}, default="max_pool"
        How each block shrinks the image by ``pool_size``. ``"max_pool"``: a full-resolution
        convolution, then max-pooling (the reference CNN2D). ``"stride"``: the convolution
        itself moves by ``pool_size`` (an all-convolutional network), which on 30 s of
        log-mel frames trains about 5 times faster on the CPU; see the user guide's
        "Network training speed" for its accuracy.

    {training_params}

    Attributes
    ----------
    {training_attributes}

    Notes
    -----
    ``X`` is ``(n_samples, n_frames, n_features)``; a 2-D ``(n_samples, n_frames)`` array is
    an image of width 1. Images smaller than the pooling window are handled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.networks import CNN2DClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 20, 6).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "rock", "jazz")
    >>> clf = CNN2DClassifier(channels=(4, 8), max_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict(X[:2]).shape
    (2,)
    """

    _architecture_params = {
        "channels": ((32, 64), [SizeTuple()]),
        "kernel_size": (3, positive_int()),
        "pool_size": (2, positive_int()),
        "dropout": (0.0, fraction()),
        "downsampling": ("max_pool", [StrOptions({"max_pool", "stride"})]),
    }

    def _build_module(self, n_features, n_frames, n_classes):
        return CNN2DNet(
            n_classes,
            channels=tuple(self.channels),
            kernel_size=self.kernel_size,
            pool_size=self.pool_size,
            dropout=self.dropout,
            downsampling=self.downsampling,
        )

    _test_params = {"channels": (4, 8)}
