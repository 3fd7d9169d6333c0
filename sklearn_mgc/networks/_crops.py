"""Crop training and window averaging for the sequence networks (``crop_frames``).

With ``crop_frames=c`` a network trains on random crops of ``c`` frames and predicts by
averaging the probabilities of windows of ``c`` frames:

- :class:`CropDataset` (training): every epoch, each clip gives ``crops_per_clip`` crops of
  ``c`` frames, each drawn uniformly among its REAL frames (see
  :mod:`sklearn_mgc._padding`); a clip shorter than ``c`` real frames is used whole,
  zero-padded after its end. The crops depend only on the seed, the epoch and the clip,
  never on the batch order.
- :class:`WindowDataset` (validation and prediction): each clip gives every window of ``c``
  frames starting at ``0, hop, 2 * hop...`` over its real frames, plus one window aligned to
  its last real frame; a clip shorter than ``c`` gives one window, the clip zero-padded.
  An item is ``{"windows": (W, c, F), "n_windows": int}``, ``W`` the largest count of the
  dataset, and :func:`window_log_proba` averages the windows' probabilities per clip.
"""

import numpy as np
import torch

from .._padding import real_lengths

__all__ = ["window_starts", "CropDataset", "WindowDataset", "window_log_proba"]


def window_starts(length, crop_frames, hop):
    """First frames of the windows of one clip of ``length`` real frames.

    Parameters
    ----------
    length : int
    crop_frames : int
    hop : int

    Returns
    -------
    starts : list of int
        ``0, hop, 2 * hop...`` while the window fits, then ``length - crop_frames`` if the
        last window did not end on the last real frame; ``[0]`` for a clip shorter than
        ``crop_frames``.

    Examples
    --------
    >>> window_starts(10, 4, 3)
    [0, 3, 6]
    >>> window_starts(11, 4, 3)
    [0, 3, 6, 7]
    >>> window_starts(2, 4, 2)
    [0]
    """
    if length <= crop_frames:
        return [0]
    starts = list(range(0, length - crop_frames + 1, hop))
    if starts[-1] != length - crop_frames:
        starts.append(length - crop_frames)
    return starts


def _frames(x, start, crop_frames):
    """``x[start:start + crop_frames]``, zero-padded at the end to ``crop_frames`` frames."""
    piece = x[start : start + crop_frames]
    if piece.shape[0] < crop_frames:
        pad = piece.new_zeros((crop_frames - piece.shape[0], *piece.shape[1:]))
        piece = torch.cat([piece, pad])
    return piece


class CropDataset(torch.utils.data.Dataset):
    """Random crops of ``crop_frames`` frames, drawn anew by :meth:`set_epoch`.

    Parameters
    ----------
    X : torch.Tensor of shape (n, T, F)
        Standardised clips, padding exactly zero.
    y : torch.Tensor of shape (n,)
        Class indices.
    crop_frames : int
    seed : int
        With the epoch, seeds the crops (``numpy.random.default_rng([seed, epoch])``).
    crops_per_clip : int, default=1
        Crops of each clip per epoch: item ``i`` is a crop of clip ``i % n``.
    """

    def __init__(self, X, y, crop_frames, seed, crops_per_clip=1):
        self.X = X
        self.y = y
        self.crop_frames = crop_frames
        self.seed = seed
        self.crops_per_clip = crops_per_clip
        self.lengths = real_lengths(X)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Draw the crops of ``epoch`` (deterministic in ``seed`` and ``epoch``)."""
        rng = np.random.default_rng([self.seed, epoch])
        room = np.maximum(self.lengths - self.crop_frames, 0)
        self.starts = rng.integers(0, np.tile(room, self.crops_per_clip) + 1)

    def __len__(self):
        return len(self.X) * self.crops_per_clip

    def __getitem__(self, i):
        clip = i % len(self.X)
        return _frames(self.X[clip], int(self.starts[i]), self.crop_frames), self.y[clip]


class WindowDataset(torch.utils.data.Dataset):
    """Every window of ``crop_frames`` frames (hop ``hop``) of each clip, for averaging.

    Parameters
    ----------
    X : torch.Tensor of shape (n, T, F)
        Standardised clips, padding exactly zero.
    y : torch.Tensor of shape (n,) or None
        Class indices (``None`` at prediction: the items' targets are 0).
    crop_frames : int
    hop : int
    """

    def __init__(self, X, y, crop_frames, hop):
        self.X = X
        self.y = torch.zeros(len(X), dtype=torch.int64) if y is None else y
        self.crop_frames = crop_frames
        lengths = real_lengths(X)
        self.starts = [window_starts(int(n), crop_frames, hop) for n in lengths]
        self.max_windows = max((len(s) for s in self.starts), default=1)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x, starts = self.X[i], self.starts[i]
        windows = x.new_zeros((self.max_windows, self.crop_frames, x.shape[-1]))
        for k, start in enumerate(starts):
            windows[k] = _frames(x, start, self.crop_frames)
        return {"windows": windows, "n_windows": len(starts)}, self.y[i]


def window_log_proba(module, windows, n_windows):
    """Log of the mean of the windows' class probabilities, per clip.

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``(N, crop_frames, F)`` to logits ``(N, n_classes)``.
    windows : torch.Tensor of shape (B, W, crop_frames, F)
    n_windows : torch.Tensor of shape (B,)
        Real windows of each clip (the others are ignored).

    Returns
    -------
    log_proba : torch.Tensor of shape (B, n_classes)
        ``softmax`` of it is the mean probability; as logits it suits ``CrossEntropyLoss``.
    """
    B, W = windows.shape[:2]
    counts = n_windows.to(windows.device).long()
    keep = torch.arange(W, device=windows.device)[None, :] < counts[:, None]
    proba = torch.softmax(module(windows[keep]), dim=-1)
    clip = torch.arange(B, device=windows.device)[:, None].expand(B, W)[keep]
    total = proba.new_zeros((B, proba.shape[-1])).index_add_(0, clip, proba)
    mean = total / counts[:, None].to(proba.dtype)
    return torch.log(mean.clamp_min(torch.finfo(mean.dtype).tiny))
