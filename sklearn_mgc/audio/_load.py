"""Decoding a file whole (:func:`load_audio`) or block by block (:func:`stream_audio`)."""

import numpy as np
import soxr

from ._core import MAX_SAMPLES, AudioError, resample
from ._decode import native_stream

__all__ = ["load_audio", "stream_audio"]


def _finite(y, name):
    if not np.isfinite(y).all():
        raise AudioError(f"audio file '{name}' holds NaN or infinite samples")
    return y


def _no_samples(name, offset):
    where = f" after offset={offset} s" if offset > 0 else ""
    return AudioError(f"audio file '{name}' holds no samples{where}")


def _none_at_rate(name, sr, total, native_sr):
    return AudioError(
        f"audio file '{name}' gives no samples at {sr} Hz ({total} decoded at its {native_sr} Hz)"
    )


def load_audio(path, *, sr=22050, duration=None, offset=0.0):
    """Decode an audio file to a mono float32 waveform at ``sr``.

    Only the requested part of the file is decoded. The waveform is cropped to ``duration``
    seconds but never padded: a shorter file gives a shorter waveform (see :func:`fix_length`).
    Files are read by soundfile (WAV, FLAC, OGG/Vorbis, MP3, AU, AIFF...); what it cannot read
    is decoded by FFmpeg through PyAV (m4a/AAC, Opus, WMA, the audio of MP4/WebM...), from the
    first audio stream. Channels are averaged, then soxr resamples from the file's rate.

    Limits, checked from the header before anything is allocated: a sampling rate between
    1 kHz and 768 kHz, 1 to 64 channels, and at most ``MAX_SAMPLES`` (2**31 - 2**20) samples
    per channel decoded and after resampling (about 13.5 h at 44.1 kHz), so that no 32-bit
    index overflows. Longer files are read with a ``duration``, or block by block by the
    representations' mean output. Only regular files are opened: a FIFO, a device or a folder
    is refused without blocking.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        The audio file. File names that are not valid UTF-8 (bytes, or str holding
        surrogate escapes) are opened as given.
    sr : int, default=22050
        Target sampling rate in Hz; the file is resampled with soxr if it differs.
    duration : float or None, default=None
        Seconds to keep from ``offset`` on; None keeps the rest of the file.
    offset : float, default=0.0
        Seconds to skip at the start.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioError
        If the file is missing ("no such file"), is not a regular file, cannot be decoded
        ("cannot decode", with the decoder's reason), breaks a limit above, holds no samples
        (after ``offset``), gives none at ``sr`` (a file of a few samples at a higher rate) or
        holds non-finite ones. The message names the file.

    Examples
    --------
    >>> import tempfile, os, numpy as np, soundfile as sf
    >>> from sklearn_mgc.audio import load_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros((44100, 2)), 44100)
    >>> load_audio(path, sr=22050, duration=0.5).shape
    (11025,)
    """
    with native_stream(path, offset=offset, duration=duration) as (name, native_sr, blocks):
        parts, total = [], 0
        for block in blocks:
            total += len(block)
            if total > MAX_SAMPLES:
                raise AudioError(f"cannot decode '{name}': more than {MAX_SAMPLES} samples")
            parts.append(_finite(block, name))
    if total == 0:
        raise _no_samples(name, offset)
    y = parts[0] if len(parts) == 1 else np.concatenate(parts)
    del parts
    try:
        y = resample(y, orig_sr=native_sr, target_sr=sr)
    except AudioError as exc:
        raise AudioError(f"'{name}': {exc}") from None
    if duration is not None:
        y = y[: int(round(duration * sr))]
    if y.size == 0:  # too short to give one sample at sr
        raise _none_at_rate(name, sr, total, native_sr)
    return np.ascontiguousarray(y)


def stream_audio(path, *, sr=22050, duration=None, offset=0.0):
    """Decode an audio file block by block: mono float32 blocks at ``sr``, in order.

    The concatenated blocks match :func:`load_audio` to soxr's streaming precision, with
    memory bounded by the block size whatever the file's length: the sampling-rate and
    channel limits of :func:`load_audio` apply, but not ``MAX_SAMPLES``.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        The audio file.
    sr : int, default=22050
        Target sampling rate in Hz.
    duration : float or None, default=None
        Seconds to keep from ``offset`` on; None keeps the rest of the file.
    offset : float, default=0.0
        Seconds to skip at the start.

    Yields
    ------
    block : ndarray of shape (n,), dtype float32
        Consecutive samples; blocks may differ in length.

    Raises
    ------
    AudioError
        As :func:`load_audio`; raised while iterating, when the problem is met.

    Examples
    --------
    >>> import tempfile, os, numpy as np, soundfile as sf
    >>> from sklearn_mgc.audio import stream_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros(44100), 44100)
    >>> sum(len(b) for b in stream_audio(path, sr=16000))
    16000
    """
    opened = native_stream(path, offset=offset, duration=duration, bounded=False)
    with opened as (name, native_sr, blocks):
        keep = None if duration is None else int(round(duration * sr))
        stream = None
        if int(native_sr) != int(sr):
            stream = soxr.ResampleStream(native_sr, sr, 1, dtype="float32", quality="HQ")
        total, pending, decoded = 0, None, 0
        for block in blocks:
            if pending is not None:
                out = pending if stream is None else stream.resample_chunk(pending)
                total, out = _crop(out, total, keep)
                if len(out):
                    yield out
            pending = _finite(block, name)
            decoded += len(block)
        if pending is None:
            raise _no_samples(name, offset)
        out = pending if stream is None else stream.resample_chunk(pending, last=True)
        total, out = _crop(out, total, keep)
        if len(out):
            yield out
        elif total == 0:  # too short to give one sample at sr
            raise _none_at_rate(name, sr, decoded, native_sr)


def _crop(out, total, keep):
    out = np.asarray(out, dtype=np.float32)
    if keep is not None:
        out = out[: max(0, keep - total)]
    return total + len(out), out
