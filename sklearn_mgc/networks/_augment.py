"""Augmentation of training batches: SpecAugment-style masks and mixup.

Only training batches are augmented (:class:`~sklearn_mgc.networks._net.MGCNet` calls these
from its training step, never in validation or prediction), with a ``torch.Generator`` seeded
from the network's ``random_state``, so that two fits give the same batches.

- :func:`mask_time`: ``n`` masks per clip, each of a width drawn in ``0 .. max_width`` frames,
  placed within the clip's real frames; masked frames become 0 (the training mean after
  standardisation).
- :func:`mask_features`: likewise over the feature axis (frequency bands), real frames only.
- :func:`mixup_batch`: ``lam ~ Beta(alpha, alpha)`` per batch, ``x = lam x + (1 - lam) x[perm]``;
  the loss is ``lam * loss(y) + (1 - lam) * loss(y[perm])`` (soft targets).
"""

import numpy as np
import torch

from ._masking import frame_lengths, frame_mask

__all__ = ["mask_time", "mask_features", "mixup_batch"]


def _spans(size, n_items, limit, max_width, generator):
    """Boolean ``(n_items, size)``: one span per item, width in 0..max_width, inside ``limit``."""
    width = torch.randint(0, max_width + 1, (n_items,), generator=generator)
    width = torch.minimum(width, limit)
    start = (torch.rand(n_items, generator=generator) * (limit - width + 1)).long()
    start = torch.minimum(start, limit - width)
    position = torch.arange(size)[None, :]
    return (position >= start[:, None]) & (position < (start + width)[:, None])


def mask_time(x, n_masks, max_width, generator):
    """Zero ``n_masks`` random spans of frames of each clip, within its real frames.

    Parameters
    ----------
    x : torch.Tensor of shape (B, T, F)
    n_masks, max_width : int
    generator : torch.Generator

    Returns
    -------
    x : torch.Tensor of shape (B, T, F)
        A masked copy (``x`` itself when nothing is masked).

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 6, 3); x[1, 4:] = 0  # clip 1 has 4 real frames
    >>> out = mask_time(x, 1, 2, torch.Generator().manual_seed(0))
    >>> bool((out[1, 4:] == 0).all())
    True
    """
    if n_masks == 0 or max_width == 0:
        return x
    lengths = frame_lengths(x).cpu()
    masked = torch.zeros(x.shape[:2], dtype=torch.bool)
    for _ in range(n_masks):
        masked |= _spans(x.shape[1], x.shape[0], lengths, max_width, generator)
    return x.masked_fill(masked.to(x.device)[:, :, None], 0.0)


def mask_features(x, n_masks, max_width, generator):
    """Zero ``n_masks`` random spans of features of each clip (its real frames only).

    Parameters
    ----------
    x : torch.Tensor of shape (B, T, F) or (B, F)
        A 2-D batch (vector input) masks features of each row.
    n_masks, max_width : int
    generator : torch.Generator

    Returns
    -------
    x : torch.Tensor, same shape
        A masked copy (``x`` itself when nothing is masked).
    """
    if n_masks == 0 or max_width == 0:
        return x
    n_features = x.shape[-1]
    limit = torch.full((x.shape[0],), n_features)
    masked = torch.zeros((x.shape[0], n_features), dtype=torch.bool)
    for _ in range(n_masks):
        masked |= _spans(n_features, x.shape[0], limit, max_width, generator)
    masked = masked.to(x.device)
    if x.ndim == 2:
        return x.masked_fill(masked, 0.0)
    # padded frames are 0 already; a frame of a clip is masked only if it is real
    real = frame_mask(x)
    return x.masked_fill(masked[:, None, :] & real[:, :, None], 0.0)


def mixup_batch(x, alpha, generator):
    """Mix each clip of a batch with another one.

    Parameters
    ----------
    x : torch.Tensor of shape (B, ...)
    alpha : float
        Parameter of the Beta distribution of the mixing weight (> 0).
    generator : torch.Generator

    Returns
    -------
    mixed : torch.Tensor, same shape as ``x``
    perm : torch.LongTensor of shape (B,)
        The partner of each clip.
    lam : float
        Weight of the clip itself (of its label in the loss).
    """
    # torch.distributions.Beta takes no generator: draw lam with numpy, seeded from it
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    perm = torch.randperm(x.shape[0], generator=generator).to(x.device)
    return lam * x + (1.0 - lam) * x[perm], perm, lam
