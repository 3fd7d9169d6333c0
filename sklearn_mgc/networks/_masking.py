"""Which frames of a batch are real and which are padding.

The representations zero-pad sequences shorter than ``duration`` (see
:class:`~sklearn_mgc.features.BaseFeatures`): a padded frame has all its features exactly zero,
and padding only ever follows the real frames. A clip's length is therefore the index of its
last frame with any non-zero feature, plus one (at least one frame, so that a clip of pure
digital silence is still one real frame). Every sequence network, pooling step and
standardisation reads the lengths from here, so the rule lives in one place.
"""

import torch

__all__ = ["frame_lengths", "frame_mask"]


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
