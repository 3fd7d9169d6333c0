"""EnCodecMAE's encoder (Pepino, Riera, Ferrer, 2023), inference only.

The published checkpoints (``lpepino/encodecmae-v2``) are dictionaries with ``imports``,
``config`` (a gin configuration, as text) and ``state_dict``. This module holds the
encoder used for feature extraction, without the authors' package (:mod:`.model` builds it
from a checkpoint):

front end
    either the Kaldi log-mel filterbank of the waveform (normalised by the config's
    ``norm_stats``), or EnCodec's SEANet encoder (128-d, hop 320); then a Linear to the
    model dimension.
positional encoding
    sinusoidal (sine on even, cosine on odd channels) times a learned scalar, added.
transformer
    ``num_layers`` layers with ResiDual normalisation (Xie et al., 2023): each layer
    carries two streams, a normalised one ``a`` (fed to the sublayers) and an
    unnormalised one ``b`` (the sum of every sublayer output)::

        h = attention(a);   a = norm1(a + h);   b = b + h
        h = feedforward(a); a = norm2(a + h);   b = b + h

    and the output of the stack is ``a + final_norm(b)``. Attention has no biases and
    splits its projections into heads with the head index varying fastest (channel
    ``c = d * n_heads + h``), unlike PyTorch's ``c = h * head_dim + d``. The feed-forward
    block is Linear -> ReLU -> Linear. Keys past ``n_samples // hop`` frames are masked.

The activations of layer ``i`` are the normalised stream ``a`` after layer ``i``; the
last layer's is replaced by the final output (index ``-1``), as the authors' feature
extraction does.

Their extraction builds the key padding mask from ``min(clip length, chunk length)``
rather than from each chunk's own length, so in practice only a clip shorter than one
chunk has a masked (partial) last frame; ``EnCodecMAEFeatures`` reproduces that through
``forward(..., n_valid=...)``.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .fbank import fbank_n_frames, frame_sizes, kaldi_fbank, mel_filters
from .seanet import SEANetEncoder

__all__ = ["EnCodecMAEEncoder", "MelFrontEnd", "EnCodecFrontEnd", "ResiDualLayer"]


class MelFrontEnd(nn.Module):
    """Normalised Kaldi filterbank: waveforms ``(b, n)`` -> ``(b, frames, num_mel_bins)``."""

    def __init__(
        self,
        *,
        num_mel_bins=256,
        sample_frequency=24000,
        frame_length=26.56,
        frame_shift=13.28,
        low_freq=20.0,
        high_freq=0.0,
        window_type="hanning",
        norm_stats=(-6.12, 4.82),
    ):
        super().__init__()
        self.kwargs = dict(
            sample_frequency=float(sample_frequency),
            frame_length=float(frame_length),
            frame_shift=float(frame_shift),
            num_mel_bins=int(num_mel_bins),
            low_freq=float(low_freq),
            high_freq=float(high_freq),
            window_type=window_type,
        )
        self.window_size, self.window_shift = frame_sizes(
            sample_frequency=self.kwargs["sample_frequency"],
            frame_length=self.kwargs["frame_length"],
            frame_shift=self.kwargs["frame_shift"],
        )
        n_fft = 1 << (self.window_size - 1).bit_length()
        self.register_buffer(
            "filters",
            mel_filters(
                num_mel_bins=int(num_mel_bins),
                n_fft=n_fft,
                sample_frequency=float(sample_frequency),
                low_freq=float(low_freq),
                high_freq=float(high_freq),
            ),
            persistent=False,
        )
        self.mean, self.std = float(norm_stats[0]), float(norm_stats[1])
        self.out_dim = int(num_mel_bins)

    def n_frames(self, n_samples):
        return fbank_n_frames(
            int(n_samples), window_size=self.window_size, window_shift=self.window_shift
        )

    def forward(self, wav):
        mel = kaldi_fbank(wav, filters=self.filters, **self.kwargs)
        return (mel - self.mean) / self.std


class EnCodecFrontEnd(SEANetEncoder):
    """EnCodec's SEANet encoder as a front end: ``(b, n)`` -> ``(b, ceil(n / 320), 128)``."""

    @property
    def out_dim(self):
        return self.dimension


class ResiDualLayer(nn.Module):
    """One transformer layer with ResiDual normalisation (see the module docstring)."""

    def __init__(self, dim, n_heads, ff_dim, head_dim=None):
        super().__init__()
        head_dim = dim // n_heads if head_dim is None else head_dim
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.wq = nn.Linear(dim, head_dim * n_heads, bias=False)
        self.wk = nn.Linear(dim, head_dim * n_heads, bias=False)
        self.wv = nn.Linear(dim, head_dim * n_heads, bias=False)
        self.wo = nn.Linear(head_dim * n_heads, dim, bias=False)
        self.ff1 = nn.Linear(dim, ff_dim)
        self.ff2 = nn.Linear(ff_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)

    def _heads(self, x):
        b, t, _ = x.shape
        # channel c = d * n_heads + h  ->  (b, h, t, d), made contiguous: with a unit stride on d,
        # scaled_dot_product_attention takes its fused (flash) CPU kernel, about 3x faster here
        # than the unfused path a strided d falls back to (benchmarks/bench_encodecmae.py)
        return x.view(b, t, self.head_dim, self.n_heads).permute(0, 3, 1, 2).contiguous()

    def attention(self, x, key_mask):
        b, t, _ = x.shape
        q, k, v = self._heads(self.wq(x)), self._heads(self.wk(x)), self._heads(self.wv(x))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask)
        # (b, h, t, d) -> (b, t, d, h) -> (b, t, d * n_heads + h)
        return self.wo(out.permute(0, 2, 3, 1).reshape(b, t, self.head_dim * self.n_heads))

    def forward(self, a, b, key_mask=None):
        h = self.attention(a, key_mask)
        a = self.norm1(a + h)
        b = b + h
        h = self.ff2(F.relu(self.ff1(a)))
        return self.norm2(a + h), b + h


class EnCodecMAEEncoder(nn.Module):
    """Front end, projection, positional encoding and ResiDual transformer.

    Parameters
    ----------
    front_end : MelFrontEnd or EnCodecFrontEnd
    dim : int
        Model dimension (768 for base, 1024 for large).
    num_layers : int
        Transformer layers (10 for base, 5 for small, 20 for large).
    n_heads : int, default=12
    ff_dim : int, default=4096
    head_dim : int, optional
        Per-head width of the projections (default ``dim // n_heads``).
    hop_length : int, default=320
        Samples per frame used for the key padding mask (``n // hop_length`` valid frames).
    """

    def __init__(
        self, front_end, *, dim, num_layers, n_heads=12, ff_dim=4096, head_dim=None, hop_length=320
    ):
        super().__init__()
        self.front_end = front_end
        self.proj = nn.Linear(front_end.out_dim, dim)
        self.pos_scale = nn.Parameter(torch.tensor(1.0))
        self.layers = nn.ModuleList(
            [ResiDualLayer(dim, n_heads, ff_dim, head_dim) for _ in range(num_layers)]
        )
        self.final_norm = nn.LayerNorm(dim)
        self.dim = dim
        self.hop_length = hop_length

    def n_frames(self, n_samples):
        """Frames out of one chunk of ``n_samples`` samples."""
        return self.front_end.n_frames(n_samples)

    def positional_encoding(self, t, dtype, device):
        position = torch.arange(t, device=device, dtype=torch.float32).unsqueeze(1)
        freq = torch.exp(
            torch.arange(0, self.dim, 2, device=device, dtype=torch.float32)
            * (-math.log(10000.0) / self.dim)
        )
        pe = torch.zeros(t, self.dim, device=device, dtype=torch.float32)
        pe[:, 0::2] = torch.sin(position * freq)
        pe[:, 1::2] = torch.cos(position * freq)[:, : self.dim // 2]
        return pe.to(dtype)

    def resolve_layers(self, layers):
        """Map layer indices (negative from the end) to ``0 .. num_layers - 1``."""
        n = len(self.layers)
        out = []
        for layer in layers:
            if not -n <= layer < n:
                raise ValueError(
                    f"layer {layer} is out of range for a model with {n} transformer layers "
                    f"(-{n} .. {n - 1})"
                )
            out.append(layer % n)
        return out

    def _key_mask(self, n_valid, t, device):
        """Boolean mask ``(1 or b, 1, 1, t)`` of the frames attended to, or None for all."""
        if isinstance(n_valid, (list, tuple)):
            valid = torch.tensor([int(n) // self.hop_length for n in n_valid], device=device)
            if bool((valid >= t).all()):
                return None
            return (torch.arange(t, device=device) < valid[:, None]).view(-1, 1, 1, t)
        valid = int(n_valid) // self.hop_length
        if valid >= t:
            return None
        return (torch.arange(t, device=device) < valid).view(1, 1, 1, t)

    def forward(self, wav, layers=(-1,), *, n_valid=None):
        """Activations of ``layers`` for a batch of equal-length chunks.

        Parameters
        ----------
        wav : torch.Tensor of shape (b, n)
        layers : sequence of int, default=(-1,)
        n_valid : int or sequence of int, optional
            Samples counted as real audio for the key padding mask (frames from
            ``n_valid // hop_length`` on are not attended to), for the whole batch or one per
            chunk; default ``n``.

        Returns
        -------
        activations : list of torch.Tensor of shape (b, n_frames, dim), one per requested layer
        """
        wanted = self.resolve_layers(layers)
        with torch.autocast(wav.device.type, enabled=False):  # the front end stays in float32
            x = self.front_end(wav.float())
        x = self.proj(x)
        t = x.shape[1]
        x = x + self.pos_scale * self.positional_encoding(t, x.dtype, x.device)
        key_mask = self._key_mask(wav.shape[-1] if n_valid is None else n_valid, t, x.device)
        a, b = x, x
        last = max(wanted)
        acts = {}
        for i, layer in enumerate(self.layers[: last + 1]):
            a, b = layer(a, b, key_mask)
            if i in wanted:
                acts[i] = a
        if last == len(self.layers) - 1:
            acts[last] = a + self.final_norm(b)
        return [acts[i] for i in wanted]
