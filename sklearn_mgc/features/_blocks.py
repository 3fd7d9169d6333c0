"""Mean output of long files in bounded memory: frames computed in overlapping blocks.

A file is streamed (decoded and resampled block by block, :func:`~sklearn_mgc.audio.stream_audio`)
and cut into overlapping segments. Each segment's frames are computed as for a whole waveform
(centred frames, zero padding); a frame is kept only where it equals the whole-signal frame:
its window lies inside the segment (or beyond the signal's own edge, where the whole signal is
zero-padded too), and so do the ``extra`` frames on each side that a cross-frame step (such as
MFCC deltas) reads. Consecutive segments overlap by just that context, so every frame of the
whole signal is kept exactly once, and the mean (a float64 sum over a count) equals the
whole-signal mean to float rounding. Memory is that of one segment, whatever the file's length.
"""

import numpy as np

from ..audio import stream_audio

#: seconds of audio per segment (at the representation's rate); files shorter than two
#: segments are computed whole, as before
BLOCK_SECONDS = 120.0


class ShortFile(Exception):
    """The file holds fewer than two segments: compute it whole."""


def _bounds(n, start, hop, n_fft, extra, final):
    """First and last+1 kept frames of a segment of ``n`` samples starting at ``start``."""
    half = n_fft // 2
    context = -(-half // hop) + extra
    lo = 0 if start == 0 else context
    if final:
        return lo, 1 + n // hop, context
    hi = (n - (n_fft - half)) // hop - extra + 1
    return lo, hi, context


def exact_frames(blocks, frames_fn, *, hop, n_fft, extra, block_samples):
    """Yield the frames of the whole signal ``concatenate(blocks)``, segment by segment.

    Parameters
    ----------
    blocks : iterable of ndarray of shape (n,)
        Consecutive samples.
    frames_fn : callable
        Maps a waveform to its centred frames ``(n_frames, n_features)``.
    hop, n_fft : int
        Hop and span (samples) of a frame.
    extra : int
        Frames of context a frame needs on each side (0 for frame-wise representations).
    block_samples : int
        Samples per segment; at least this many are held back until the end, so the last
        segment is long enough for the cross-frame steps.

    Yields
    ------
    frames : ndarray of shape (n_kept, n_features)

    Raises
    ------
    ShortFile
        If the signal ends before two segments, before anything is yielded.
    """
    buf, start = np.empty(0, dtype=np.float32), 0
    for block in blocks:
        buf = np.concatenate([buf, block])
        if len(buf) < 2 * block_samples:
            continue
        seg = buf[: len(buf) - block_samples]
        lo, hi, context = _bounds(len(seg), start, hop, n_fft, extra, final=False)
        if hi > lo:
            yield frames_fn(seg)[lo:hi]
            next_start = (start // hop + hi - context) * hop
            buf, start = buf[next_start - start :], next_start
    if start == 0:
        raise ShortFile
    lo, hi, _ = _bounds(len(buf), start, hop, n_fft, extra, final=True)
    yield frames_fn(buf)[lo:hi]


def stream_mean(est, path, block_seconds=None):
    """Temporal mean of ``est``'s frames over the file ``path``, computed in blocks.

    Parameters
    ----------
    est : BaseFeatures
        A fitted representation whose ``_block_spec()`` is not None.
    path : str or os.PathLike
        The audio file, read whole.
    block_seconds : float or None, default=None
        Seconds per segment (None: ``BLOCK_SECONDS``).

    Returns
    -------
    mean : ndarray of shape (n_features,), dtype float32, or None
        None when the file is shorter than two segments (compute it whole).
    """
    sr = est._target_sr()
    hop, n_fft, extra = est._block_spec()
    seconds = BLOCK_SECONDS if block_seconds is None else block_seconds
    block_samples = max(int(seconds * sr), 4 * n_fft, 4 * (extra + 1) * hop)

    def frames_of(frames_fn, extra_frames=0):
        return exact_frames(
            stream_audio(path, sr=sr),
            frames_fn,
            hop=hop,
            n_fft=n_fft,
            extra=extra_frames,
            block_samples=block_samples,
        )

    try:
        state = est._block_state(frames_of)
        total, count = 0.0, 0
        for frames in frames_of(lambda y: est._block_frames(y, state), extra):
            total = total + np.asarray(frames).sum(axis=0, dtype=np.float64)
            count += len(frames)
    except ShortFile:
        return None
    return (total / count).astype(np.float32)
