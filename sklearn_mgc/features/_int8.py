"""Int8 convolutions for ``dtype="int8"``: a strided ``Conv1d`` as a dynamic int8 matrix product.

PyTorch's dynamic quantization covers Linear layers only. A 1-D convolution without groups,
dilation or padding is one matrix product per output frame, of the frame's window (``kernel``
input frames of ``in_channels`` each) with the weight reshaped to ``(out, kernel * in)``:
:class:`Int8Conv1d` computes it with a ``torch.ao.nn.quantized.dynamic.Linear`` (int8 weights,
per output channel; activations quantized on the fly), which on a CPU is faster than the
float32 convolution once ``in_channels * kernel_size`` is a few hundred, as in the
convolutional front end of wav2vec 2.0, HuBERT, WavLM and data2vec-audio (one thread of an
AVX2 CPU, wav2vec2-base's 512 x 3 stride-2 layers: about 1.6x with a channels-last input,
1.2x with the transpose the first of them needs). That transpose is gone when the first layer
is a :class:`NormedConv1d`: the small first convolution and the per-channel group norm after
it (wav2vec2-base, HuBERT-base) as one float32 matrix product, the norm folded into its
weights, written channels-last (one thread, 10 s chunks: about 1.6x faster than the
convolution and the norm, and the next layer 1.3x faster without its transpose). Torch is
imported at the top: this module is only imported once int8 is asked for.
"""

import torch

__all__ = [
    "Int8Conv1d",
    "NormedConv1d",
    "fold_group_norms",
    "is_plain_conv1d",
    "quantize_convolutions",
]

_BLOCK_ROWS = 2048  # output frames per matrix product: the unfolded block is rows * k * c floats


class Int8Conv1d(torch.nn.Module):
    """A plain ``torch.nn.Conv1d`` computed as a dynamic int8 matrix product.

    The input ``(batch, in_channels, n)`` is read channels-last (free when it is laid out so
    already, as the output of this module is, one copy otherwise); each output frame's window
    of ``kernel_size`` input frames is then a contiguous row of ``kernel_size * in_channels``
    values, multiplied by the int8 weight of shape ``(out_channels, kernel_size * in_channels)``,
    ``_BLOCK_ROWS`` frames at a time so that the unfolded windows stay small. Each window is
    divided by its largest magnitude before the product, which is multiplied back after it:
    the activations are quantized with one scale per output frame, so that a quiet passage
    next to a loud one (after the per-channel group norm of wav2vec 2.0, and before the layer
    norm that rescales every frame) keeps its precision.

    Parameters
    ----------
    conv : torch.nn.Conv1d
        A convolution for which :func:`is_plain_conv1d` holds (with ``min_size=0``).

    Attributes
    ----------
    linear : torch.ao.nn.quantized.dynamic.Linear
        The quantized weight (per output channel), without bias.
    bias : torch.Tensor of shape (out_channels,) or None
        The convolution's bias, float32 (a buffer).
    in_channels, out_channels, kernel_size, stride : int
        As the convolution's.

    Examples
    --------
    >>> conv = torch.nn.Conv1d(64, 32, kernel_size=3, stride=2)
    >>> x = torch.randn(2, 64, 101)
    >>> y = Int8Conv1d(conv)(x)
    >>> y.shape
    torch.Size([2, 32, 50])
    >>> bool(torch.nn.functional.cosine_similarity(y.flatten(), conv(x).flatten(), 0) > 0.999)
    True
    """

    def __init__(self, conv):
        super().__init__()
        if not is_plain_conv1d(conv, 0):
            raise ValueError(f"not a plain Conv1d (groups, dilation, padding): {conv!r}")
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.kernel_size, self.stride = conv.kernel_size[0], conv.stride[0]
        # rows of (kernel, in_channels): a window of a channels-last input is contiguous
        weight = conv.weight.detach().float().permute(0, 2, 1).reshape(self.out_channels, -1)
        linear = torch.nn.Linear(weight.shape[1], self.out_channels, bias=False)
        with torch.no_grad():
            linear.weight.copy_(weight)
        # the bias is added after the per-frame rescaling of the product (see forward)
        bias = None if conv.bias is None else conv.bias.detach().float().clone()
        self.register_buffer("bias", bias)
        linear.qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        self.linear = torch.ao.nn.quantized.dynamic.Linear.from_float(linear)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, int8"
        )

    def forward(self, x):
        k, s = self.kernel_size, self.stride
        frames, windows = _windows(x, k, s)
        b, t = windows.shape[:2]
        # each window divided by its largest magnitude, the product multiplied back: int8 then
        # resolves a quiet frame as finely as a loud one (per-frame activation scales)
        low, high = frames.amin(-1), frames.amax(-1)  # 3x faster than aminmax(dim=-1)
        peak = torch.maximum(high, -low).unfold(-1, k, s).amax(-1).clamp_min(1e-30)  # (b, t)
        # the extremes of each window once divided by its peak: the rows' quantization range
        low = low.unfold(-1, k, s).amin(-1) / peak
        high = high.unfold(-1, k, s).amax(-1) / peak
        peak = peak.unsqueeze(-1)  # (b, t, 1)
        out = x.new_empty((b, t, self.out_channels))
        step = max(1, _BLOCK_ROWS // b)
        for start in range(0, t, step):
            stop = min(t, start + step)
            rows = windows[:, start:stop] / peak[:, start:stop]
            rows = rows.view(-1, windows.shape[-1])
            product = self._product(rows, low[:, start:stop], high[:, start:stop])
            product = product.view(b, stop - start, -1)
            if self.bias is None:
                torch.mul(product, peak[:, start:stop], out=out[:, start:stop])
            else:
                torch.addcmul(self.bias, product, peak[:, start:stop], out=out[:, start:stop])
        return out.transpose(1, 2)

    def _product(self, rows, low, high):
        """``self.linear(rows)``, the rows' range ``[low.min(), high.max()]`` known.

        The dynamic Linear layer reads its input once to find that range, then again to
        quantize it; here the range comes from the frames' extremes, already at hand, and
        PyTorch's x86 operator that quantizes with a given scale (the one the dynamic layer
        would choose: 7 bits, as fbgemm's ``reduce_range``) skips the first read.
        """
        if _LINEAR_FP32 is None:  # pragma: no cover - an older PyTorch
            return self.linear(rows)
        lowest, highest = min(float(low.min()), 0.0), max(float(high.max()), 0.0)
        scale = max((highest - lowest) / 127, 1e-30)
        zero_point = min(127, max(0, round(-lowest / scale)))
        return _LINEAR_FP32(rows, scale, zero_point, self.linear._packed_params._packed_params)


def _fixed_scale_linear():
    """PyTorch's ``quantized::linear_with_input_q_dq_qweight_dq_output_fp32``, or None."""
    try:
        return torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32
    except (AttributeError, RuntimeError):  # pragma: no cover - an older PyTorch
        return None


_LINEAR_FP32 = _fixed_scale_linear()


def _windows(x, k, s):
    """The frames ``(b, n, c)`` of ``x`` ``(b, c, n)``, channels-last (a view when ``x`` is laid
    out so), and a view of the ``t`` windows of ``k`` frames, ``s`` apart: ``(b, t, k * c)``."""
    b, c, n = x.shape
    t = (n - k) // s + 1
    if t < 1:
        raise RuntimeError(f"input of {n} frames is shorter than the kernel ({k})")
    frames = x.transpose(1, 2)
    if not frames.is_contiguous():
        frames = _channels_last(x)
    return frames, frames.as_strided((b, t, k * c), (n * c, s * c, 1))


def _channels_last(x):
    """``x.transpose(1, 2).contiguous()``, one 2-D transpose per batch item (the faster copy)."""
    out = x.new_empty((x.shape[0], x.shape[2], x.shape[1]))
    for i in range(x.shape[0]):
        out[i].copy_(x[i].t())
    return out


def is_plain_conv1d(module, min_size=256):
    """Whether ``module`` is a ``Conv1d`` that :class:`Int8Conv1d` computes, worth quantizing.

    Exactly ``torch.nn.Conv1d`` (not a subclass), without groups, dilation, padding or weight
    parametrization (weight norm), with ``in_channels * kernel_size >= min_size``.
    """
    return (
        type(module) is torch.nn.Conv1d
        and module.groups == 1
        and tuple(module.dilation) == (1,)
        and module.padding in ((0,), "valid")
        and module.padding_mode == "zeros"
        and not hasattr(module, "parametrizations")
        and module.in_channels * module.kernel_size[0] >= min_size
    )


def quantize_convolutions(model, min_size=256):
    """Replace, in place, each plain ``Conv1d`` of ``model`` by an :class:`Int8Conv1d`.

    Parameters
    ----------
    model : torch.nn.Module
    min_size : int, default=256
        Smallest ``in_channels * kernel_size`` replaced: below it int8 gains nothing (the first
        convolution of wav2vec 2.0, 1 x 10, stays float32).

    Returns
    -------
    names : list of str
        The replaced layers (``model`` itself, even a plain ``Conv1d``, is never replaced).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv1d(1, 64, 10, 5), torch.nn.Conv1d(64, 64, 4, 2))
    >>> quantize_convolutions(net)
    ['1']
    >>> type(net[0]).__name__, type(net[1]).__name__
    ('Conv1d', 'Int8Conv1d')
    """
    names = [
        name  # the root ("") cannot be replaced in place
        for name, module in model.named_modules()
        if name and is_plain_conv1d(module, min_size)
    ]
    for name in names:
        parent, _, child = name.rpartition(".")
        owner = model.get_submodule(parent) if parent else model
        setattr(owner, child, Int8Conv1d(getattr(owner, child)))
    return names


class NormedConv1d(torch.nn.Module):
    """A small plain ``Conv1d`` and the per-channel ``GroupNorm`` after it, as one matrix product.

    The first layer of the wav2vec 2.0 front end (512 x 10, stride 5, on the raw waveform) is
    followed by a ``GroupNorm`` with one group per channel: each channel is normalized over
    time, per batch item. The convolution is linear in its windows, so the mean and variance
    of every output channel follow from the mean ``m`` and covariance ``S`` of the input
    windows (``kernel_size * in_channels`` values each): ``w @ m`` and ``w @ S @ w``, computed
    in float64. The normalization then folds into the weight and bias of one float32 batched
    matrix product per batch item, written channels-last: neither the ``(batch, out_channels,
    n)`` output is read again for its statistics and rescaled, nor transposed by the next
    layer (an :class:`Int8Conv1d` reads a channels-last input without a copy). The
    convolution's bias is dropped: the normalization removes it. Float32 throughout, the
    same function up to rounding.

    Parameters
    ----------
    conv : torch.nn.Conv1d
        A convolution for which :func:`is_plain_conv1d` holds (with ``min_size=0``).
    norm : torch.nn.GroupNorm
        With ``num_groups == num_channels == conv.out_channels``.

    Attributes
    ----------
    weight : torch.Tensor of shape (out_channels, kernel_size * in_channels)
        The convolution's weight, rows of ``(kernel, in_channels)`` (float64, a buffer).
    gamma, beta : torch.Tensor of shape (out_channels,)
        The normalization's scale and shift (float64, buffers).
    eps : float
    in_channels, out_channels, kernel_size, stride : int

    Examples
    --------
    >>> conv, norm = torch.nn.Conv1d(1, 32, 10, stride=5), torch.nn.GroupNorm(32, 32)
    >>> x = torch.randn(2, 1, 1000)
    >>> y = NormedConv1d(conv, norm)(x)
    >>> y.shape
    torch.Size([2, 32, 199])
    >>> bool((y - norm(conv(x))).abs().max() < 1e-4)
    True
    """

    def __init__(self, conv, norm):
        super().__init__()
        if not is_plain_conv1d(conv, 0):
            raise ValueError(f"not a plain Conv1d (groups, dilation, padding): {conv!r}")
        if not _is_channel_norm(norm, conv.out_channels):
            raise ValueError(f"not a GroupNorm of one group per channel of {conv!r}: {norm!r}")
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.kernel_size, self.stride = conv.kernel_size[0], conv.stride[0]
        self.eps = float(norm.eps)
        weight = conv.weight.detach().double().permute(0, 2, 1).reshape(self.out_channels, -1)
        self.register_buffer("weight", weight.clone())
        ones = torch.ones(self.out_channels, dtype=torch.float64)
        gamma = ones if norm.weight is None else norm.weight.detach().double().clone()
        beta = ones * 0 if norm.bias is None else norm.bias.detach().double().clone()
        self.register_buffer("gamma", gamma)
        self.register_buffer("beta", beta)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, eps={self.eps}, group norm folded in"
        )

    def forward(self, x):
        windows = _windows(x, self.kernel_size, self.stride)[1].contiguous()
        t = windows.shape[1]
        mean = windows.mean(1, dtype=torch.float64)  # (b, k * c)
        centred = windows.double() - mean[:, None]
        cov = centred.transpose(1, 2) @ centred / t  # (b, k * c, k * c)
        var = ((self.weight @ cov) * self.weight).sum(-1)  # (b, out): w @ S @ w per channel
        scale = self.gamma * torch.rsqrt(var + self.eps)
        shift = self.beta - (mean @ self.weight.T) * scale
        weight = (self.weight * scale[..., None]).float()  # (b, out, k * c)
        out = torch.baddbmm(shift.float()[:, None], windows, weight.transpose(1, 2))
        return out.transpose(1, 2)


def _is_channel_norm(norm, channels):
    return type(norm) is torch.nn.GroupNorm and norm.num_groups == norm.num_channels == channels


def fold_group_norms(model, max_size=256):
    """Replace, in place, a small convolution and its per-channel group norm by a
    :class:`NormedConv1d` (and the norm by an identity).

    Only in the convolution layers of the wav2vec 2.0 family's front end (modules whose class
    name ends in ``GroupNormConvLayer``: ``conv``, then ``layer_norm``, then ``activation``),
    where :func:`is_plain_conv1d` holds for ``conv`` with ``in_channels * kernel_size <
    max_size`` (the convolutions :func:`quantize_convolutions` leaves float32) and
    ``layer_norm`` is a ``GroupNorm`` of one group per channel: in wav2vec2-base, the first.

    Parameters
    ----------
    model : torch.nn.Module
    max_size : int, default=256

    Returns
    -------
    names : list of str
        The layers whose ``conv`` and ``layer_norm`` were replaced.

    Examples
    --------
    >>> class TinyGroupNormConvLayer(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.conv = torch.nn.Conv1d(1, 8, 10, stride=5, bias=False)
    ...         self.layer_norm = torch.nn.GroupNorm(8, 8)
    ...         self.activation = torch.nn.GELU()
    ...     def forward(self, x):
    ...         return self.activation(self.layer_norm(self.conv(x)))
    >>> net = torch.nn.Sequential(TinyGroupNormConvLayer())
    >>> fold_group_norms(net)
    ['0']
    >>> type(net[0].conv).__name__, type(net[0].layer_norm).__name__
    ('NormedConv1d', 'Identity')
    """
    names = [
        name
        for name, module in model.named_modules()
        if type(module).__name__.endswith("GroupNormConvLayer")
        and is_plain_conv1d(getattr(module, "conv", None), 0)
        and module.conv.in_channels * module.conv.kernel_size[0] < max_size
        and _is_channel_norm(getattr(module, "layer_norm", None), module.conv.out_channels)
    ]
    for name in names:
        layer = model.get_submodule(name)
        layer.conv = NormedConv1d(layer.conv, layer.layer_norm)
        layer.layer_norm = torch.nn.Identity()
    return names
