"""Audio input: decoding, mono mix-down, resampling, cropping and padding.

Every representation reads its clips through this module, so decoding and the error policy are
the same everywhere. Files are decoded with :mod:`soundfile` (WAV, FLAC, OGG/Vorbis, MP3, Sun/NeXT
``.au`` as in the original GTZAN, AIFF, ...) and resampled with :mod:`soxr`; neither torchaudio nor
ffmpeg is needed.
"""

import os

import numpy as np
import soundfile as sf
import soxr

__all__ = ["AudioError", "load_audio", "resample", "fix_length", "check_waveform", "clip_name"]


class AudioError(ValueError):
    """A clip cannot be used: unreadable, empty, or holding non-finite samples.

    The message always names the clip (its path, or its position for an in-memory waveform).
    Representations raise it with ``on_error="raise"`` and record it with ``on_error="skip"``.
    A subclass of :class:`ValueError`.

    Parameters
    ----------
    message : str
        What is wrong, naming the clip.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``, as for every exception.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.audio import AudioError, check_waveform
    >>> try:
    ...     check_waveform(np.array([np.nan, 0.0], dtype=np.float32), name="clip 3")
    ... except AudioError as exc:
    ...     print(exc)
    clip 3 holds NaN or infinite samples
    """


def clip_name(clip, index=None):
    """Return a short human-readable name for a clip, for messages.

    Parameters
    ----------
    clip : str, os.PathLike or array-like
        A path to an audio file, or an in-memory waveform.
    index : int or None, default=None
        Position of the clip in its input sequence, named for in-memory waveforms.

    Returns
    -------
    name : str
        The path of a file; ``"clip <index>"`` for a waveform, or ``"in-memory clip"``
        without an index.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.audio import clip_name
    >>> clip_name("music/jazz.00054.wav")
    'music/jazz.00054.wav'
    >>> clip_name(np.zeros(100), 3)
    'clip 3'
    """
    if isinstance(clip, (str, os.PathLike)):
        return os.fspath(clip)
    return "in-memory clip" if index is None else f"clip {index}"


def check_waveform(y, *, name="waveform"):
    """Validate a waveform and return it as a 1-D float32 array.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_channels)
        Samples. Integer samples are converted to float as they are (no rescaling); a 2-D
        array is mixed down to mono by averaging its channels (the shorter axis).
    name : str, default="waveform"
        Name used in error messages.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioError
        If ``y`` is empty, has more than two dimensions or holds NaN or infinite values.

    Examples
    --------
    >>> from sklearn_mgc.audio import check_waveform
    >>> check_waveform([0, 1, 0]).dtype
    dtype('float32')
    """
    try:
        y = np.asarray(y, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise AudioError(f"{name} is not a numeric waveform: {exc}") from None
    if y.ndim == 2:
        y = y.mean(axis=int(np.argmin(y.shape)), dtype=np.float32)
    if y.ndim != 1:
        raise AudioError(f"{name} must be a 1-D waveform, got an array of shape {y.shape}")
    if y.size == 0:
        raise AudioError(f"{name} is empty")
    if not np.isfinite(y).all():
        raise AudioError(f"{name} holds NaN or infinite samples")
    return y


def resample(y, *, orig_sr, target_sr, quality="HQ"):
    """Resample a 1-D waveform with soxr (no-op when the rates agree).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    orig_sr, target_sr : int
        Sampling rates in Hz.
    quality : str, default="HQ"
        soxr quality recipe.

    Returns
    -------
    y : ndarray of shape (round(n_samples * target_sr / orig_sr),), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.audio import resample
    >>> resample(np.zeros(22050, dtype=np.float32), orig_sr=22050, target_sr=16000).shape
    (16000,)
    """
    if int(orig_sr) == int(target_sr):
        return np.asarray(y, dtype=np.float32)
    return soxr.resample(y, int(orig_sr), int(target_sr), quality=quality).astype(
        np.float32, copy=False
    )


def fix_length(y, n_samples):
    """Crop or zero-pad a waveform (or any array, along its first axis) to ``n_samples``.

    Parameters
    ----------
    y : ndarray of shape (n, ...)
    n_samples : int

    Returns
    -------
    y : ndarray of shape (n_samples, ...)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.audio import fix_length
    >>> fix_length(np.ones(3), 5)
    array([1., 1., 1., 0., 0.])
    """
    n = y.shape[0]
    if n >= n_samples:
        return y[:n_samples]
    pad = [(0, n_samples - n)] + [(0, 0)] * (y.ndim - 1)
    return np.pad(y, pad)


def load_audio(path, *, sr=22050, duration=None, offset=0.0):
    """Decode an audio file to a mono float32 waveform at ``sr``.

    Only the requested part of the file is decoded. The waveform is cropped to ``duration``
    seconds but never padded: a shorter file gives a shorter waveform (see :func:`fix_length`).

    Parameters
    ----------
    path : str or os.PathLike
        Any file soundfile reads: WAV, FLAC, OGG, MP3, AU, AIFF...
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
        If the file is missing, cannot be decoded, holds no samples or non-finite ones. The
        message names the file.

    Examples
    --------
    >>> import tempfile, os, numpy as np, soundfile as sf
    >>> from sklearn_mgc.audio import load_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros((44100, 2)), 44100)
    >>> load_audio(path, sr=22050, duration=0.5).shape
    (11025,)
    """
    name = os.fspath(path)
    try:
        with sf.SoundFile(name) as f:
            native_sr = f.samplerate
            start = int(round(offset * native_sr))
            if start:
                f.seek(min(start, f.frames) if f.frames > 0 else start)
            frames = -1 if duration is None else int(np.ceil(duration * native_sr))
            data = f.read(frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise AudioError(f"cannot decode audio file {name!r}: {exc}") from None
    if data.shape[0] == 0:
        raise AudioError(f"audio file {name!r} holds no samples")
    y = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    if not np.isfinite(y).all():
        raise AudioError(f"audio file {name!r} holds NaN or infinite samples")
    y = resample(y, orig_sr=native_sr, target_sr=sr)
    if duration is not None:
        y = y[: int(round(duration * sr))]
    return np.ascontiguousarray(y)
