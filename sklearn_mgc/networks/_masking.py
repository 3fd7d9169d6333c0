"""Which frames of a batch are real and which are padding.

The representations zero-pad sequences shorter than ``duration`` (see
:class:`~sklearn_mgc.features.BaseFeatures`): a padded frame has all its features exactly zero,
and padding only ever follows the real frames. A clip's length is therefore the index of its
last frame with any non-zero feature, plus one (at least one frame, so that a clip of pure
digital silence is still one real frame). This is :mod:`sklearn_mgc._padding`'s rule on torch
batches: every sequence network's layers, masks and pooling read the lengths from here.
"""

import torch

__all__ = [
    "frame_lengths",
    "frame_mask",
    "padded_lengths",
    "pooled_lengths",
    "conv_lengths",
    "zero_padding",
    "masked_mean",
    "pool_real",
]


def frame_lengths(x):
    """Real frames of each sequence of a batch.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, n_frames, n_features)

    Returns
    -------
    lengths : torch.LongTensor of shape (batch,)
        In ``1 .. n_frames``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(2, 5, 3); x[0, :2] = 1.0; x[1, :4] = 1.0; x[1, 1] = 0.0
    >>> frame_lengths(x).tolist()
    [2, 4]
    """
    nonzero = (x != 0).any(dim=-1)  # (batch, n_frames)
    positions = torch.arange(1, x.shape[1] + 1, device=x.device)
    last = (nonzero * positions).amax(dim=1)
    return last.clamp(min=1)


def frame_mask(x, lengths=None):
    """Boolean mask of the real frames of a batch (True for a real frame).

    Parameters
    ----------
    x : torch.Tensor of shape (batch, n_frames, ...)
    lengths : torch.LongTensor of shape (batch,) or None, default=None
        Computed with :func:`frame_lengths` when None.

    Returns
    -------
    mask : torch.BoolTensor of shape (batch, n_frames)

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 4, 2); x[0, :3] = 1.0
    >>> frame_mask(x).tolist()
    [[True, True, True, False]]
    """
    if lengths is None:
        lengths = frame_lengths(x)
    return torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]


def padded_lengths(x):
    """Real frames of each sequence, or None when no sequence of the batch is padded.

    The networks take their fast, unmasked path on None, which computes exactly what they
    computed before masks existed.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, n_frames, n_features)

    Returns
    -------
    lengths : torch.LongTensor of shape (batch,) or None

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 3, 1); print(padded_lengths(x))
    None
    >>> x[1, 2] = 0.0; padded_lengths(x).tolist()
    [3, 2]
    """
    lengths = frame_lengths(x)
    return None if bool((lengths == x.shape[1]).all()) else lengths


def pooled_lengths(lengths, kernel):
    """Real frames after a pooling of window and stride ``kernel`` along time.

    Only the windows made of real frames alone count (``lengths // kernel``, at least 1): a
    window that straddles the end of a clip exists in a padded batch but not in an unpadded
    one, so counting it would make the result depend on the padding.

    Parameters
    ----------
    lengths : torch.LongTensor of shape (batch,) or None
        None (no padding) stays None.
    kernel : int

    Returns
    -------
    lengths : torch.LongTensor of shape (batch,) or None

    Examples
    --------
    >>> import torch
    >>> pooled_lengths(torch.tensor([7, 2, 9]), 3).tolist()
    [2, 1, 3]
    """
    if lengths is None:
        return None
    return torch.div(lengths, kernel, rounding_mode="floor").clamp(min=1)


def conv_lengths(lengths, kernel, stride, padding):
    """Real frames after a convolution along time.

    A clip of ``L`` real frames gives what an unpadded clip of ``L`` frames gives,
    ``(L + 2 padding - kernel) // stride + 1`` (at least 1): the windows of those outputs
    reach past the clip's end only into zeros, the convolution's own padding or zeroed
    frames (:func:`zero_padding`).

    Parameters
    ----------
    lengths : torch.LongTensor of shape (batch,) or None
        None (no padding) stays None.
    kernel, stride, padding : int
        The convolution's along time.

    Returns
    -------
    lengths : torch.LongTensor of shape (batch,) or None

    Examples
    --------
    >>> import torch
    >>> conv_lengths(torch.tensor([1, 6, 7]), 3, 2, 1).tolist()
    [1, 3, 4]
    """
    if lengths is None:
        return None
    out = torch.div(lengths + 2 * padding - kernel, stride, rounding_mode="floor") + 1
    return out.clamp(min=1)


def zero_padding(x, lengths, dim=1):
    """``x`` with every position at or after each sequence's length along ``dim`` set to 0.

    Between the blocks of a convolutional network this keeps padding from leaking into real
    frames through the kernels: a real frame next to the padding then sees zeros, as it sees
    the convolution's own zero padding at the end of an unpadded sequence.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, ...)
    lengths : torch.LongTensor of shape (batch,) or None
        None returns ``x`` itself.
    dim : int, default=1
        The time axis of ``x``.

    Returns
    -------
    x : torch.Tensor, same shape as ``x``

    Examples
    --------
    >>> import torch
    >>> zero_padding(torch.ones(2, 1, 3), torch.tensor([1, 3]), dim=2).tolist()
    [[[1.0, 0.0, 0.0]], [[1.0, 1.0, 1.0]]]
    """
    if lengths is None:
        return x
    dim = dim % x.ndim
    mask = torch.arange(x.shape[dim], device=x.device)[None, :] < lengths[:, None]
    shape = [x.shape[0]] + [x.shape[d] if d == dim else 1 for d in range(1, x.ndim)]
    return x.masked_fill(~mask.reshape(shape), 0.0)


def masked_mean(x, lengths, dim=1):
    """Mean of ``x`` over the real positions of its time axis ``dim``.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, ...)
    lengths : torch.LongTensor of shape (batch,) or None
        None is the plain mean over ``dim``.
    dim : int, default=1

    Returns
    -------
    mean : torch.Tensor, ``x`` without the axis ``dim``

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1.0, 3.0, 100.0]])
    >>> masked_mean(x, torch.tensor([2])).tolist()
    [2.0]
    """
    if lengths is None:
        return x.mean(dim=dim)
    dim = dim % x.ndim
    total = zero_padding(x, lengths, dim).sum(dim=dim)
    shape = [x.shape[0]] + [1] * (total.ndim - 1)
    return total / lengths.reshape(shape).to(x.dtype)


def pool_real(x, lengths, kernel, pool, dim=-1):
    """``pool(x)``, with each clip shorter than the window pooled over its real positions alone.

    A pooling of window and stride ``kernel`` along time gives one output for a clip of
    fewer than ``kernel`` positions when the networks shrink the window to the clip's length
    (an unpadded clip); in a padded batch that output's window would also cover padded
    positions. Here it covers the clip's real positions only, as alone.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, ...)
    lengths : torch.LongTensor of shape (batch,) or None
        Real positions along ``dim``; None (no padding) returns ``pool(x)``.
    kernel : int
        Window and stride of ``pool`` along ``dim`` (at most ``x.shape[dim]``).
    pool : callable
        A max-pooling of ``x`` (padded positions are set to ``-inf`` before it).
    dim : int, default=-1
        The time axis of ``x``.

    Returns
    -------
    out : torch.Tensor
        ``pool(x)``, its first position along ``dim`` replaced for the short clips.

    Examples
    --------
    >>> import torch
    >>> import torch.nn.functional as F
    >>> x = torch.tensor([[[1.0, 5.0, 2.0, 0.0]], [[1.0, 2.0, 9.0, 3.0]]])
    >>> pool = lambda z: F.max_pool1d(z, 3, 3)
    >>> pool_real(x, torch.tensor([2, 4]), 3, pool).tolist()
    [[[5.0]], [[9.0]]]
    >>> pool_real(torch.tensor([[[1.0, 5.0, 7.0]]]), torch.tensor([2]), 3, pool).tolist()
    [[[5.0]]]
    """
    out = pool(x)
    if lengths is None:
        return out
    short = lengths < kernel
    if not bool(short.any()):
        return out
    dim = dim % x.ndim
    real = torch.arange(kernel, device=x.device)[None, :] < lengths[:, None]
    shape = [x.shape[0]] + [kernel if d == dim else 1 for d in range(1, x.ndim)]
    first = pool(x.narrow(dim, 0, kernel).masked_fill(~real.reshape(shape), float("-inf")))
    short = short.reshape([x.shape[0]] + [1] * (x.ndim - 1))
    first = torch.where(short, first, out.narrow(dim, 0, 1))
    return torch.cat([first, out.narrow(dim, 1, out.shape[dim] - 1)], dim=dim)
