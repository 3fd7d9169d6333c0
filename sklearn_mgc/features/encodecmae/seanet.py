"""The encoder half of EnCodec's 24 kHz SEANet, written natively.

EnCodec (Défossez et al., 2022) encodes a mono 24 kHz waveform into 128-d frames at
75 Hz (hop 320 = 2 * 4 * 5 * 8). The encoder is a stack of one-dimensional convolutions,
each stored with weight normalisation (``weight_g``, ``weight_v``):

* an input convolution (1 -> 32 channels, kernel 7);
* for each stride in (2, 4, 5, 8): a residual block (ELU, conv k3 to half the channels,
  ELU, conv k1 back, plus a k1 convolution on the skip path), then ELU and a strided
  convolution (kernel 2 * stride) that doubles the channels;
* a two-layer LSTM over time with a skip connection (when the checkpoint has one);
* ELU and an output convolution (512 -> 128, kernel 7).

Every convolution pads its input so that the output has ``ceil(n / stride)`` frames:
with reflection, on the left only for the causal model (EnCodec's 24 kHz model) or split
between both sides otherwise. Layer indices follow the checkpoints' numbering, so a
state dict from the published EnCodecMAE files loads after a simple renaming
(see :func:`rename_seanet_key`).
"""

import math
import re

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["SEANetEncoder", "rename_seanet_key", "seanet_key_to_published"]


def _reflect_pad(x, left, right):
    """Reflection padding that also works when the input is shorter than the padding."""
    length = x.shape[-1]
    extra = 0
    biggest = max(left, right)
    if length <= biggest:
        extra = biggest - length + 1
        x = F.pad(x, (0, extra))
    out = F.pad(x, (left, right), mode="reflect")
    return out[..., : out.shape[-1] - extra] if extra else out


class WNConv1d(nn.Module):
    """Conv1d whose weight is ``g * v / ||v||`` (norm over all but the output axis)."""

    def __init__(
        self, in_channels, out_channels, kernel_size, *, stride=1, dilation=1, causal=True
    ):
        super().__init__()
        self.weight_g = nn.Parameter(torch.ones(out_channels, 1, 1))
        self.weight_v = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        nn.init.kaiming_uniform_(self.weight_v, a=math.sqrt(5))
        with torch.no_grad():
            self.weight_g.copy_(self.weight_v.norm(dim=(1, 2), keepdim=True))
        self.stride = stride
        self.dilation = dilation
        self.causal = causal
        self.kernel_size = kernel_size

    def weight(self):
        v = self.weight_v
        return self.weight_g * v / v.norm(dim=(1, 2), keepdim=True)

    def forward(self, x):
        span = (self.kernel_size - 1) * self.dilation + 1
        total = span - self.stride
        length = x.shape[-1]
        # pad the end so that the last window is complete: ceil(length / stride) outputs
        n_out = math.ceil((length - span + total) / self.stride + 1)
        extra = (n_out - 1) * self.stride + (span - total) - length
        if self.causal:
            left, right = total, extra
        else:
            right = total // 2
            left, right = total - right, right + extra
        x = _reflect_pad(x, left, right)
        return F.conv1d(x, self.weight(), self.bias, stride=self.stride, dilation=self.dilation)


class ResidualUnit(nn.Module):
    """ELU -> conv k3 (dim -> dim // 2) -> ELU -> conv k1 (-> dim), plus a k1 conv skip."""

    def __init__(self, dim, *, kernel_size=3, dilation=1, compress=2, causal=True):
        super().__init__()
        hidden = dim // compress
        self.conv1 = WNConv1d(dim, hidden, kernel_size, dilation=dilation, causal=causal)
        self.conv2 = WNConv1d(hidden, dim, 1, causal=causal)
        self.skip = WNConv1d(dim, dim, 1, causal=causal)

    def forward(self, x):
        return self.skip(x) + self.conv2(F.elu(self.conv1(F.elu(x))))


class LSTMBlock(nn.Module):
    """LSTM over time, with the input added to its output; (b, c, t) in and out."""

    def __init__(self, dim, num_layers=2):
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, num_layers)

    def forward(self, x):
        seq = x.permute(2, 0, 1)
        out, _ = self.lstm(seq)
        return (out + seq).permute(1, 2, 0)


class _ELU(nn.Module):
    def forward(self, x):
        return F.elu(x)


class SEANetEncoder(nn.Module):
    """EnCodec's SEANet encoder: waveform ``(b, n)`` -> frames ``(b, ceil(n / hop), dimension)``.

    Parameters
    ----------
    dimension : int, default=128
        Output channels.
    n_filters : int, default=32
        Channels after the input convolution (doubled at each downsampling).
    ratios : sequence of int, default=(2, 4, 5, 8)
        Strides, in the order they are applied (hop = their product).
    lstm : int, default=2
        LSTM layers before the output convolution (0 for none).
    causal : bool, default=True
        Left-only padding (EnCodec's 24 kHz model) instead of centred padding.
    scale : float, default=1.0
        Factor applied to the output (the authors' ``EncodecEncoder.scale``).
    """

    def __init__(
        self, *, dimension=128, n_filters=32, ratios=(2, 4, 5, 8), lstm=2, causal=True, scale=1.0
    ):
        super().__init__()
        self.hop_length = int(math.prod(ratios))
        self.dimension = dimension
        self.scale = float(scale)
        layers = [WNConv1d(1, n_filters, 7, causal=causal)]
        channels = n_filters
        for ratio in ratios:
            layers += [
                ResidualUnit(channels, causal=causal),
                _ELU(),
                WNConv1d(channels, 2 * channels, 2 * ratio, stride=ratio, causal=causal),
            ]
            channels *= 2
        if lstm:
            layers.append(LSTMBlock(channels, lstm))
        layers += [_ELU(), WNConv1d(channels, dimension, 7, causal=causal)]
        self.layers = nn.Sequential(*layers)

    def n_frames(self, n_samples):
        """Number of output frames for ``n_samples`` input samples."""
        return -(-int(n_samples) // self.hop_length)

    def forward(self, wav):
        """Encode ``wav`` of shape ``(b, n)``; return ``(b, n_frames, dimension)``."""
        y = self.layers(wav.unsqueeze(1))
        y = y.transpose(1, 2)
        return y * self.scale if self.scale != 1.0 else y


# published names (inside ``wav_encoder.encoder.model.model.``) <-> ours (inside ``layers.``)
_TO_OURS = [
    (re.compile(r"^(\d+)\.conv\.conv\."), r"\1."),
    (re.compile(r"^(\d+)\.block\.1\.conv\.conv\."), r"\1.conv1."),
    (re.compile(r"^(\d+)\.block\.3\.conv\.conv\."), r"\1.conv2."),
    (re.compile(r"^(\d+)\.shortcut\.conv\.conv\."), r"\1.skip."),
    (re.compile(r"^(\d+)\.lstm\."), r"\1.lstm."),
]
_TO_PUBLISHED = [
    (re.compile(r"^(\d+)\.conv1\."), r"\1.block.1.conv.conv."),
    (re.compile(r"^(\d+)\.conv2\."), r"\1.block.3.conv.conv."),
    (re.compile(r"^(\d+)\.skip\."), r"\1.shortcut.conv.conv."),
    (re.compile(r"^(\d+)\.lstm\."), r"\1.lstm."),
    (re.compile(r"^(\d+)\.(weight_g|weight_v|bias)$"), r"\1.conv.conv.\2"),
]


def _rename(key, rules):
    for pattern, repl in rules:
        new, n = pattern.subn(repl, key)
        if n:
            return new
    raise KeyError(key)


def rename_seanet_key(key):
    """Map a key of the checkpoint's encoder to one relative to ``SEANetEncoder.layers``."""
    return _rename(key, _TO_OURS)


def seanet_key_to_published(key):
    """Inverse of :func:`rename_seanet_key`."""
    return _rename(key, _TO_PUBLISHED)
