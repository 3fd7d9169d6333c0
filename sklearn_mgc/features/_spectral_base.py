"""The shared base of the librosa representations: frame arithmetic in milliseconds, the
mel parameters, and the float64 path for loud clips (see :mod:`sklearn_mgc.features.spectral`).
"""

import functools
from numbers import Integral, Real

import librosa
import numpy as np
from sklearn.utils._param_validation import Interval
from threadpoolctl import ThreadpoolController

from ._base import BaseFeatures

_POSITIVE = Interval(Real, 0, None, closed="neither")
_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
#: peak amplitude above which a clip is analysed in float64 (see BaseFeatures' Notes)
_LOUD = 1e6


def _precise(y):
    """``y`` in float64 when it is loud enough for float32 power spectra to overflow."""
    if y.size and float(np.max(np.abs(y))) > _LOUD:
        return y.astype(np.float64)
    return y


class _SpectralFeatures(BaseFeatures):
    """Frame arithmetic shared by the librosa representations."""

    _parameter_constraints: dict = {
        **BaseFeatures._parameter_constraints,
        "hop_ms": [_POSITIVE],
    }

    @classmethod
    def get_test_params(cls):
        """Cheap settings for tests (short clips).

        Returns
        -------
        params : dict
        """
        return {"duration": 1.0}

    def _hop_length(self):
        """Hop in samples at ``sr``."""
        return max(1, int(round(self.hop_ms * self.sr / 1000)))

    def _win_length(self):
        """Window in samples at ``sr``."""
        return max(1, int(round(self.win_ms * self.sr / 1000)))

    def _fft_size(self):
        """FFT size: ``n_fft``, or the next power of two of the window (mel, MFCC)."""
        if self.n_fft is not None:
            return int(self.n_fft)
        return int(2 ** np.ceil(np.log2(self._win_length())))

    def _n_frames(self, n_samples):
        return 1 + n_samples // self._hop_length()

    def _frame_times(self, n_frames):
        # centred frames (center=True): frame t is centred on sample t * hop_length
        return np.arange(n_frames) * self._hop_length() / self.sr

    def _block_spec(self):
        return self._hop_length(), self._fft_size(), 0


@functools.cache
def _blas():
    """One controller of the loaded BLAS libraries (building one scans them: about 5 ms)."""
    return ThreadpoolController()


class _MelFamily(_SpectralFeatures):
    """The mel filterbank representations (log-mel, MFCC): window, FFT size and band edges."""

    _parameter_constraints: dict = {
        **_SpectralFeatures._parameter_constraints,
        "n_mels": [_POSITIVE_INT],
        "win_ms": [_POSITIVE],
        "n_fft": [_POSITIVE_INT, None],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [_POSITIVE, None],
    }

    def _check_params(self):
        if self._win_length() > self._fft_size():
            raise ValueError(
                f"the window (win_ms={self.win_ms} ms = {self._win_length()} samples) is longer "
                f"than n_fft={self._fft_size()}"
            )
        nyquist = self.sr / 2
        if self.fmax is not None and self.fmax > nyquist:  # bands above it would be empty
            raise ValueError(
                f"fmax={self.fmax} Hz is above the Nyquist frequency of sr={self.sr} ({nyquist} Hz)"
            )
        fmax = f"{self.fmax}" if self.fmax is not None else f"None (sr / 2 = {nyquist})"
        if (nyquist if self.fmax is None else self.fmax) <= self.fmin:
            raise ValueError(f"fmax={fmax} must be above fmin={self.fmin} (Hz)")

    def _mel_power(self, y):
        """Mel power spectrogram ``(n_mels, n_frames)`` of ``y``, with one BLAS thread.

        The filterbank product rounds differently with the number of BLAS threads, which
        joblib's workers lower: one thread makes the features the same whatever ``n_jobs``
        and the machine's core count.
        """
        with _blas().limit(limits=1, user_api="blas"):
            return librosa.feature.melspectrogram(y=_precise(y), **self._mel_kwargs())

    def _mel_kwargs(self):
        return dict(
            sr=self.sr,
            n_fft=self._fft_size(),
            hop_length=self._hop_length(),
            win_length=self._win_length(),
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
        )
