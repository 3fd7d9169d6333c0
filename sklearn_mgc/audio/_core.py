"""The error type, the limits, and the array helpers shared by decoding and the representations."""

import os

import numpy as np
import soxr

__all__ = ["AudioError", "resample", "fix_length", "check_waveform", "clip_name"]

#: lowest and highest sampling rate (Hz) accepted in a file's header
MIN_SR, MAX_SR = 1_000, 768_000
#: most channels accepted in a file's header
MAX_CHANNELS = 64
#: most samples per channel decoded, or produced by resampling, in one piece: below 2**31 so
#: that no int32 index in soxr or librosa can overflow (about 13.5 h at 44.1 kHz)
MAX_SAMPLES = 2**31 - 2**20


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
    clip : str, bytes, os.PathLike or array-like
        A path to an audio file, or an in-memory waveform.
    index : int or None, default=None
        Position of the clip in its input sequence, named for in-memory waveforms.

    Returns
    -------
    name : str
        The path of a file (bytes not valid in the file system's encoding shown as
        ``\\xNN`` escapes, so the name can always be printed); ``"clip <index>"`` for a
        waveform, or ``"in-memory clip"`` without an index.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.audio import clip_name
    >>> clip_name("music/jazz.00054.wav")
    'music/jazz.00054.wav'
    >>> clip_name(np.zeros(100), 3)
    'clip 3'
    """
    if isinstance(clip, (str, bytes, os.PathLike)):
        return display_path(clip)
    return "in-memory clip" if index is None else f"clip {index}"


def display_path(path):
    """A file name that can always be printed: undecodable bytes become ``\\xNN`` escapes."""
    name = os.fsdecode(os.fspath(path))
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def check_waveform(y, *, name="waveform"):
    """Validate a waveform and return it as a 1-D float32 array.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_channels)
        Samples. A numpy array of integer PCM (``int8``, ``int16``, ``int32`` or ``uint8``,
        as ``scipy.io.wavfile.read`` returns them) is scaled to [-1, 1), as a decoder reads
        the same samples from a file; other numbers (floats, Python ints) are taken as they
        are. A 2-D array is mixed down to mono by averaging its channels (the shorter axis).
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
    >>> check_waveform(np.array([0, 16384, -32768], dtype=np.int16)).tolist()
    [0.0, 0.5, -1.0]
    """
    try:
        y = np.asarray(_pcm_to_float(y), dtype=np.float32)
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


def _pcm_to_float(y):
    """Integer PCM samples scaled to [-1, 1) (float64), as soundfile reads them; others as is."""
    dtype = getattr(y, "dtype", None)
    if not isinstance(dtype, np.dtype) or dtype not in _PCM_DTYPES:
        return y
    full_scale = 2.0 ** (8 * dtype.itemsize - 1)
    offset = full_scale if dtype.kind == "u" else 0.0  # 8-bit WAV is unsigned, 128 is silence
    return (np.asarray(y, dtype=np.float64) - offset) / full_scale


_PCM_DTYPES = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.uint8))


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

    Raises
    ------
    AudioError
        If the output would hold more than ``MAX_SAMPLES`` samples (soxr indexes with 32-bit
        integers).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.audio import resample
    >>> resample(np.zeros(22050, dtype=np.float32), orig_sr=22050, target_sr=16000).shape
    (16000,)
    """
    if int(orig_sr) == int(target_sr):
        return np.asarray(y, dtype=np.float32)
    n_out = int(np.ceil(len(y) * int(target_sr) / int(orig_sr)))
    if n_out > MAX_SAMPLES:
        raise AudioError(
            f"resampling {len(y)} samples from {orig_sr} Hz to {target_sr} Hz would give "
            f"{n_out} samples, above the limit of {MAX_SAMPLES} (about "
            f"{MAX_SAMPLES / int(target_sr) / 3600:.1f} h at {target_sr} Hz)"
        )
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
