"""Spectral representations computed with librosa: log-mel, MFCC, CQT and magnitude spectrum.

Frame rates are given in milliseconds (``hop_ms``, ``win_ms``) and converted to samples at
``sr``; the defaults, 10 ms hop and 25 ms window, are those of the reference study. All frames
are centred (librosa's ``center=True``), so a waveform of ``n`` samples gives
``1 + n // hop_length`` frames, frame ``t`` centred at ``t * hop_length / sr`` seconds
(:meth:`~sklearn_mgc.features.BaseFeatures.frame_times`). A loud clip (peak above ``1e6``) is
analysed in float64, or, for the CQT, scaled down by a power of two with the gain added back in
decibels, so its features are finite and exact.
"""

from numbers import Integral

import librosa
import numpy as np
from sklearn.utils._param_validation import Interval, Options

from ..audio import AudioError
from ._spectral_base import _LOUD, _POSITIVE, _POSITIVE_INT, _MelFamily, _precise, _SpectralFeatures

__all__ = ["MelFeatures", "MFCCFeatures", "CQTFeatures", "SpectrumFeatures"]


class MelFeatures(_MelFamily):
    """Log-mel spectrogram (80 bands by default), in decibels.

    Each frame is ``10 * log10(max(S, 1e-10))`` of the mel power spectrogram, an absolute scale
    (no per-clip reference), so frames of different clips are comparable.

    Parameters
    ----------
    output : {"mean", "sequence"}, default="mean"
        ``(n_clips, n_mels)`` temporal mean, or ``(n_clips, n_frames, n_mels)`` frames.
    sr : int, default=22050
        Sampling rate of the analysis; files are decoded at this rate and in-memory waveforms
        must be sampled at it.
    duration : float or None, default=30.0
        Seconds kept per clip; sequence output has ``1 + round(duration * sr) // hop_length``
        frames. None keeps whole clips.
    n_mels : int, default=80
        Number of mel bands.
    hop_ms, win_ms : float, default=10.0 and 25.0
        Hop and window length in milliseconds.
    n_fft : int or None, default=None
        FFT size; None takes the next power of two of the window (1024 at 22050 Hz).
    fmin : float, default=0.0
    fmax : float or None, default=None
        Band edges in Hz (None: ``sr / 2``).
    n_jobs, cache_dir, verbose, on_error
        See :class:`~sklearn_mgc.features.BaseFeatures`.

    Attributes
    ----------
    n_features_out_ : int
        ``n_mels``.
    skipped_ : list of dict
        Clips left out by the last ``transform`` (``on_error="skip"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc import MelFeatures
    >>> X = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> MelFeatures().fit_transform(X).shape
    (2, 80)
    >>> MelFeatures(output="sequence", duration=1.0).fit_transform(X).shape
    (2, 101, 80)
    """

    _feature_prefix = "mel"

    def __init__(
        self,
        *,
        output="mean",
        sr=22050,
        duration=30.0,
        n_mels=80,
        hop_ms=10.0,
        win_ms=25.0,
        n_fft=None,
        fmin=0.0,
        fmax=None,
        n_jobs=None,
        cache_dir=None,
        verbose=0,
        on_error="raise",
    ):
        self.output = output
        self.sr = sr
        self.duration = duration
        self.n_mels = n_mels
        self.hop_ms = hop_ms
        self.win_ms = win_ms
        self.n_fft = n_fft
        self.fmin = fmin
        self.fmax = fmax
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.on_error = on_error

    def _n_features(self):
        return self.n_mels

    def _frames(self, y):
        S = self._mel_power(y)
        return librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None).T


class MFCCFeatures(_MelFamily):
    """MFCCs with their deltas: 60 = 20 MFCC + delta + delta-delta by default.

    Parameters
    ----------
    output : {"mean", "sequence"}, default="mean"
        ``(n_clips, n_mfcc * (1 + delta_order))`` temporal mean, or the frames.
    sr : int, default=22050
    duration : float or None, default=30.0
    n_mfcc : int, default=20
        Cepstral coefficients per frame.
    delta_order : {0, 1, 2}, default=2
        Append the first (1) or first and second (2) time derivatives, computed with
        :func:`librosa.feature.delta` over ``delta_width`` frames.
    delta_width : int, default=9
        Odd window of the derivative (shortened for clips with fewer frames).
    n_mels : int, default=128
        Mel bands the MFCCs are computed from.
    hop_ms, win_ms : float, default=10.0 and 25.0
    n_fft : int or None, default=None
    fmin : float, default=0.0
    fmax : float or None, default=None
    n_jobs, cache_dir, verbose, on_error
        See :class:`~sklearn_mgc.features.BaseFeatures`.

    Attributes
    ----------
    n_features_out_ : int
        ``n_mfcc * (1 + delta_order)``.
    skipped_ : list of dict

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc import MFCCFeatures
    >>> X = np.random.default_rng(0).standard_normal((3, 22050)).astype(np.float32)
    >>> MFCCFeatures().fit_transform(X).shape
    (3, 60)
    """

    _feature_prefix = "mfcc"
    _parameter_constraints: dict = {
        **_MelFamily._parameter_constraints,
        "n_mfcc": [_POSITIVE_INT],
        "delta_order": [Options(Integral, {0, 1, 2})],
        "delta_width": [Interval(Integral, 3, None, closed="left")],
    }

    def __init__(
        self,
        *,
        output="mean",
        sr=22050,
        duration=30.0,
        n_mfcc=20,
        delta_order=2,
        delta_width=9,
        n_mels=128,
        hop_ms=10.0,
        win_ms=25.0,
        n_fft=None,
        fmin=0.0,
        fmax=None,
        n_jobs=None,
        cache_dir=None,
        verbose=0,
        on_error="raise",
    ):
        self.output = output
        self.sr = sr
        self.duration = duration
        self.n_mfcc = n_mfcc
        self.delta_order = delta_order
        self.delta_width = delta_width
        self.n_mels = n_mels
        self.hop_ms = hop_ms
        self.win_ms = win_ms
        self.n_fft = n_fft
        self.fmin = fmin
        self.fmax = fmax
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.on_error = on_error

    def _check_params(self):
        super()._check_params()
        if self.delta_width % 2 == 0:
            raise ValueError(f"delta_width must be odd, got {self.delta_width!r}")
        if self.n_mfcc > self.n_mels:  # the DCT of n_mels bands has n_mels coefficients
            raise ValueError(f"n_mfcc={self.n_mfcc} must not exceed n_mels={self.n_mels}")

    def _n_features(self):
        return self.n_mfcc * (1 + self.delta_order)

    def _block_spec(self):
        hop, n_fft, _ = super()._block_spec()
        return hop, n_fft, self.delta_width // 2 if self.delta_order else 0

    def _block_state(self, frames_of):
        # librosa floors the log-mel at 80 dB below the clip's loudest value: find it first
        return max(float(f.max()) for f in frames_of(lambda y: self._log_mel(y).T)) - 80.0

    def _block_frames(self, y, state):
        return self._frames(y, floor=state)

    def _log_mel(self, y):
        S = self._mel_power(y)
        return librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)

    def _frames(self, y, floor=None):
        L = self._log_mel(y)  # as librosa.feature.mfcc: power_to_db with top_db=80
        L = np.maximum(L, L.max() - 80.0 if floor is None else floor)
        M = librosa.feature.mfcc(S=L, n_mfcc=self.n_mfcc)
        parts = [M]
        if self.delta_order:
            n = M.shape[1]
            width = min(self.delta_width, n if n % 2 else n - 1)
            for order in range(1, self.delta_order + 1):
                if width >= 3:
                    parts.append(librosa.feature.delta(M, width=width, order=order))
                else:  # too few frames for a derivative
                    parts.append(np.zeros_like(M))
        return np.concatenate(parts, axis=0).T


class CQTFeatures(_SpectralFeatures):
    """Constant-Q transform magnitude in decibels (84 bins = 7 octaves from C1 by default).

    Parameters
    ----------
    output : {"mean", "sequence"}, default="mean"
        ``(n_clips, n_bins)`` temporal mean, or the frames.
    sr : int, default=22050
    duration : float or None, default=30.0
    n_bins : int, default=84
    bins_per_octave : int, default=12
    fmin : float or None, default=None
        Lowest bin's frequency in Hz (None: C1, about 32.7 Hz).
    hop_ms : float, default=10.0
        Hop in milliseconds. librosa computes the CQT faster when the hop in samples is a
        multiple of ``2 ** (n_octaves - 1)``; ``hop_ms=10.16`` gives 224 samples at 22050 Hz
        and runs about five times faster than the exact 10 ms.
    n_jobs, cache_dir, verbose, on_error
        See :class:`~sklearn_mgc.features.BaseFeatures`.

    Attributes
    ----------
    n_features_out_ : int
        ``n_bins``.
    skipped_ : list of dict

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc import CQTFeatures
    >>> X = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> CQTFeatures().fit_transform(X).shape
    (2, 84)
    """

    _feature_prefix = "cqt"
    _parameter_constraints: dict = {
        **_SpectralFeatures._parameter_constraints,
        "n_bins": [_POSITIVE_INT],
        "bins_per_octave": [_POSITIVE_INT],
        "fmin": [_POSITIVE, None],
    }

    def __init__(
        self,
        *,
        output="mean",
        sr=22050,
        duration=30.0,
        n_bins=84,
        bins_per_octave=12,
        fmin=None,
        hop_ms=10.0,
        n_jobs=None,
        cache_dir=None,
        verbose=0,
        on_error="raise",
    ):
        self.output = output
        self.sr = sr
        self.duration = duration
        self.n_bins = n_bins
        self.bins_per_octave = bins_per_octave
        self.fmin = fmin
        self.hop_ms = hop_ms
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.on_error = on_error

    def _check_params(self):
        fmin = librosa.note_to_hz("C1") if self.fmin is None else self.fmin
        top = fmin * 2 ** ((self.n_bins - 1) / self.bins_per_octave)
        if top >= self.sr / 2:
            raise ValueError(
                f"n_bins={self.n_bins} from fmin={fmin:.1f} Hz reaches {top:.0f} Hz, above the "
                f"Nyquist frequency of sr={self.sr}"
            )

    def _n_features(self):
        return self.n_bins

    def _block_spec(self):
        return None  # the CQT's long low-frequency filters: computed whole

    def _frames(self, y):
        # librosa's CQT is not finite for peaks near float32's maximum, even in float64: a loud
        # clip is scaled down by a power of two (exact), and the gain added back in decibels
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        k = int(np.ceil(np.log2(peak))) if peak > _LOUD else 0
        try:
            C = librosa.cqt(
                np.ldexp(y, -k),
                sr=self.sr,
                hop_length=self._hop_length(),
                fmin=self.fmin,
                n_bins=self.n_bins,
                bins_per_octave=self.bins_per_octave,
            )
        except librosa.util.exceptions.ParameterError as exc:
            if "too short" not in str(exc):
                raise
            raise AudioError(f"too short for CQTFeatures ({len(y)} samples): {exc}") from None
        C = np.abs(C)
        db = librosa.amplitude_to_db(C, ref=1.0, amin=np.ldexp(1e-5, -k), top_db=None)
        return (db + 20 * k * np.log10(2.0)).T


class SpectrumFeatures(_SpectralFeatures):
    """Magnitude spectrum (2049 bins for ``n_fft=4096``), frame by frame over the whole clip.

    With ``output="mean"`` this is the clip's average magnitude spectrum. (The reference study
    took one FFT of the first 4096 samples, 0.19 s of each clip; here every frame counts.)
    A frame of digital silence holds the smallest normal float32 (about ``1.2e-38``) in every
    bin instead of zeros, so that it is never taken for padding (trailing all-zero frames).

    Parameters
    ----------
    output : {"mean", "sequence"}, default="mean"
        ``(n_clips, n_fft // 2 + 1)`` temporal mean, or the frames. Sequence output is large:
        a 30 s clip at the default hop takes 3001 x 2049 float32, about 25 MB.
    sr : int, default=22050
    duration : float or None, default=30.0
    n_fft : int, default=4096
        FFT size, also the Hann window's length.
    hop_ms : float, default=10.0
    log : bool, default=False
        Return ``log1p`` of the magnitude instead of the magnitude.
    n_jobs, cache_dir, verbose, on_error
        See :class:`~sklearn_mgc.features.BaseFeatures`.

    Attributes
    ----------
    n_features_out_ : int
        ``n_fft // 2 + 1``.
    skipped_ : list of dict

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc import SpectrumFeatures
    >>> X = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> SpectrumFeatures().fit_transform(X).shape
    (2, 2049)
    """

    _feature_prefix = "spectrum"
    # 2: frames of digital silence hold the smallest normal float32, no longer zeros
    _cache_version = 2
    _parameter_constraints: dict = {
        **_SpectralFeatures._parameter_constraints,
        "n_fft": [_POSITIVE_INT],
        "log": ["boolean"],
    }

    def __init__(
        self,
        *,
        output="mean",
        sr=22050,
        duration=30.0,
        n_fft=4096,
        hop_ms=10.0,
        log=False,
        n_jobs=None,
        cache_dir=None,
        verbose=0,
        on_error="raise",
    ):
        self.output = output
        self.sr = sr
        self.duration = duration
        self.n_fft = n_fft
        self.hop_ms = hop_ms
        self.log = log
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.on_error = on_error

    def _n_features(self):
        return self._fft_size() // 2 + 1

    def _frames(self, y):
        S = np.abs(librosa.stft(_precise(y), n_fft=self._fft_size(), hop_length=self._hop_length()))
        # a frame of digital silence would be all zero, the mark of padding (BaseFeatures), and
        # be left out by TemporalMean and the networks: it gets the smallest normal float32
        S[:, ~S.any(axis=0)] = np.finfo(np.float32).tiny
        if self.log:
            S = np.log1p(S)
        return S.T
