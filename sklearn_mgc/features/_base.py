"""The shared machinery of every representation.

:class:`BaseFeatures` turns a sequence of clips (paths or waveforms) into a float32 array:
it validates the input, decodes and resamples each clip, asks the subclass for the clip's
frames, caches them per clip, runs clips in parallel with joblib, shows progress, applies the
error policy, and finally pools (``output="mean"``) or pads (``output="sequence"``) the frames.
:class:`~sklearn_mgc.features.PretrainedFeatures` (in :mod:`._pretrained`) adds what neural
encoders share. Parameters are declared in ``_parameter_constraints`` (scikit-learn's
:mod:`~sklearn.utils._param_validation`): each subclass extends its base's dictionary, and
``fit`` validates them all, naming the parameter and the accepted values in the error.

Subclasses implement only the representation itself (see the hooks below).
"""

import os
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._cache import FeatureCache, clip_fingerprint
from .._io import get_logger
from ..audio import AudioError, check_waveform, clip_name, load_audio, resample
from ._blocks import stream_mean
from ._input import check_features_unchanged, index_kept_rows, materialize, validate_clips
from ._input import is_path as _is_path

__all__ = ["BaseFeatures"]

_log = get_logger("sklearn_mgc.features")

# parameters that never change the frames computed for a clip (int8 encoders add batch_size)
_NOT_IN_CACHE_KEY = frozenset(
    {"output", "n_jobs", "verbose", "cache_dir", "on_error", "device", "batch_size"}
)


class BaseFeatures(TransformerMixin, BaseEstimator):
    """Base class of the audio representations (not used directly).

    A representation maps each clip to a matrix of frames ``(n_frames, n_features)``; this
    class does everything around that. Common parameters, which every subclass exposes:

    Parameters
    ----------
    output : {"mean", "sequence"}, default="mean"
        ``"mean"``: the temporal mean over the clip's real frames, shape ``(n_clips,
        n_features)``. ``"sequence"``: the frames, zero-padded or cropped to the number of
        frames of ``duration`` seconds, shape ``(n_clips, n_frames, n_features)``.
    sr : int
        Sampling rate (Hz) of in-memory waveforms passed to ``transform``. Files are decoded
        directly at the rate the representation works at.
    duration : float or None, default=30.0
        Seconds kept from the start of each clip (cropped, and padded in sequence output).
        None keeps whole clips; sequence output is then padded to the longest clip of the call.
    n_jobs : int or None, default=None
        Clips processed in parallel with joblib (None: one, -1: all cores). Honours an active
        :func:`joblib.parallel_backend`, such as Dask's.
    cache_dir : str, os.PathLike, joblib.Memory or None, default=None
        Folder of the per-clip cache. A clip's frames are computed once per set of parameters
        that affect them; later calls (another CV fold, grid point or output) read them back.
    verbose : int, default=0
        Show a progress bar when > 0.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a clip that cannot be used (unreadable, empty, non-finite, too short).
        ``"raise"`` raises :class:`~sklearn_mgc.audio.AudioError` naming it; ``"skip"`` warns,
        leaves its row out of the output and records it in ``skipped_``.

    Attributes
    ----------
    n_features_out_ : int
        Number of features per frame.
    skipped_ : list of dict
        Clips left out by the last ``transform`` with ``on_error="skip"`` (empty after ``fit``,
        and never changed by ``transform`` with ``on_error="raise"``): each entry has
        ``index`` (position in the input), ``clip`` (its name) and ``error``. Use
        ``np.delete(y, [s["index"] for s in skipped_])`` to align labels with the output.

    Notes
    -----
    *Finite features or a named error.* Every clip's frames are checked: frames that are not
    all finite make the clip an :class:`~sklearn_mgc.audio.AudioError` naming it, so that
    ``on_error="skip"`` leaves it out. Loud but finite audio is computed safely rather than
    refused: the spectral representations compute a clip whose peak amplitude exceeds
    ``1e6`` in float64 (in float32 the power spectrum overflows from peaks of about 1e15),
    so its log-mel, MFCC and CQT features are finite and exact (the gain appears as an offset
    in decibels). Only what float32 cannot hold is refused, such as the linear magnitude
    spectrum of a clip near float32's maximum (3.4e38).

    *Timestamps.* :meth:`frame_times` gives the centre of each frame in seconds.

    Examples
    --------
    A new representation implements the frames of one waveform and their count; decoding,
    caching, parallelism, error handling, pooling and padding come from the base class. One
    with parameters of its own declares their accepted values in ``_parameter_constraints``
    (``{**BaseFeatures._parameter_constraints, "n_bands": [Interval(Integral, 1, None,
    closed="left")]}``), and checks that involve several parameters in ``_check_params``:

    >>> import numpy as np
    >>> from sklearn_mgc.features import BaseFeatures
    >>> class RMSFeatures(BaseFeatures):
    ...     "Frame-wise loudness (one feature per 512-sample frame)."
    ...     _feature_prefix = "rms"
    ...     def __init__(self, *, output="mean", sr=22050, duration=30.0, n_jobs=None,
    ...                  cache_dir=None, verbose=0, on_error="raise"):
    ...         self.output, self.sr, self.duration = output, sr, duration
    ...         self.n_jobs, self.cache_dir = n_jobs, cache_dir
    ...         self.verbose, self.on_error = verbose, on_error
    ...     def _n_features(self):
    ...         return 1
    ...     def _n_frames(self, n_samples):
    ...         return n_samples // 512
    ...     def _frames(self, y):
    ...         frames = y[: len(y) // 512 * 512].reshape(-1, 512)
    ...         return np.sqrt((frames ** 2).mean(axis=1, keepdims=True))
    >>> X = np.ones((2, 2048), dtype=np.float32)
    >>> RMSFeatures(output="sequence", duration=0.1).fit_transform(X).shape
    (2, 4, 1)
    >>> RMSFeatures().fit_transform(X)
    array([[1.],
           [1.]], dtype=float32)
    """

    #: accepted values of the parameters, checked by ``fit`` (subclasses extend this dict)
    _parameter_constraints: dict = {
        "output": [StrOptions({"mean", "sequence"})],
        "sr": [Interval(Integral, 1, None, closed="left")],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "n_jobs": [Integral, None],
        "cache_dir": [str, os.PathLike, HasMethods(["cache"]), None],
        "verbose": ["verbose"],
        "on_error": [StrOptions({"raise", "skip"})],
    }

    #: joblib's preferred backend for ``n_jobs``: processes for numpy code, threads for torch.
    _prefer = "processes"
    #: prefix of the mean output's feature names.
    _feature_prefix = "feature"
    #: bump when the frames a representation computes change, to invalidate old cache entries.
    _cache_version = 1

    # ----------------------------------------------------------------- hooks for subclasses
    def _target_sr(self):
        """Sampling rate the frames are computed at."""
        return self.sr

    def _fit_model(self):
        """Load or prepare what ``_frames`` needs (called by ``fit``)."""

    def _frames(self, y):  # pragma: no cover - abstract
        """Return the float32 frames ``(n_frames, n_features)`` of the waveform ``y``."""
        raise NotImplementedError

    def _n_frames(self, n_samples):  # pragma: no cover - abstract
        """Number of frames ``_frames`` returns for a waveform of ``n_samples`` samples."""
        raise NotImplementedError

    def _n_features(self):  # pragma: no cover - abstract
        """Number of features per frame (once fitted)."""
        raise NotImplementedError

    def _block_spec(self):
        """``(hop, n_fft, extra)`` if frames can be computed in overlapping blocks, else None.

        ``hop`` and ``n_fft`` are a centred frame's hop and span in samples, ``extra`` the frames
        of context a frame needs on each side. Long files then get their mean output in bounded
        memory (see :mod:`._blocks`).
        """
        return None

    def _block_state(self, frames_of):
        """What the blocks need from the whole file (``frames_of(fn, extra)`` streams it)."""
        return None

    def _block_frames(self, y, state):
        """Frames of one block, given ``_block_state``'s result."""
        return self._frames(y)

    def _check_params(self):
        """Checks across parameters, after ``_parameter_constraints`` (called by ``fit``).

        Raise a ValueError that names the parameters involved.
        """

    def _cache_params(self):
        """Parameters that change the frames, with the class and its cache version."""
        params = {
            k: v for k, v in self.get_params(deep=False).items() if k not in _NOT_IN_CACHE_KEY
        }
        return {"class": type(self).__name__, "version": self._cache_version, **params}

    # ------------------------------------------------------------------- scikit-learn API
    def fit(self, X, y=None):
        """Check the parameters and load what the representation needs.

        Parameters
        ----------
        X : sequence of clips or array-like of shape (n_clips, n_samples)
            Only validated; representations learn nothing from the data.
        y : ignored

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._check_params()
        self._validate_clips(X, reset=True)
        self._fit_model()
        self.n_features_out_ = int(self._n_features())
        self.skipped_ = []
        return self

    def transform(self, X):
        """Compute the representation of each clip.

        Parameters
        ----------
        X : sequence of clips or array-like of shape (n_clips, n_samples)
            Each clip is a path to an audio file or a 1-D waveform sampled at ``sr``.

        Returns
        -------
        features : ndarray of shape (n_clips, n_features) or (n_clips, n_frames, n_features)
            float32; the first for ``output="mean"``, the second for ``output="sequence"``.
            With ``on_error="skip"``, rows of skipped clips are left out (see ``skipped_``).
        """
        check_is_fitted(self, "n_features_out_")
        check_features_unchanged(self)
        clips = self._validate_clips(X, reset=False)
        rows = self._compute(clips)
        skipped = [
            {"index": i, "clip": clip_name(clip, i), "error": str(result)}
            for i, (clip, result) in enumerate(zip(clips, rows))
            if isinstance(result, AudioError)
        ]
        if self.on_error == "skip":
            self.skipped_ = skipped
        for s in skipped:
            _log.info("%s skipped %s: %s", type(self).__name__, s["clip"], s["error"])
        if skipped:
            names = ", ".join(s["clip"] for s in skipped[:5])
            more = "" if len(skipped) <= 5 else f" and {len(skipped) - 5} more"
            warnings.warn(
                f"{type(self).__name__} skipped {len(skipped)} of {len(clips)} clips "
                f"({names}{more}); see .skipped_ for the reasons",
                UserWarning,
                stacklevel=2,
            )
        out = self._assemble([r for r in rows if not isinstance(r, AudioError)])
        return index_kept_rows(out, X, [s["index"] for s in skipped], self)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X`` and return its representation (a generator of clips is read once).

        Parameters
        ----------
        X : sequence or iterable of clips, or array-like of shape (n_clips, n_samples)
        y : ignored
        **fit_params : ignored

        Returns
        -------
        features : ndarray of shape (n_clips, n_features) or (n_clips, n_frames, n_features)
        """
        X = materialize(X)
        return self.fit(X, y, **fit_params).transform(X)

    def frame_times(self, n_frames):
        """Centre of each frame, in seconds from the start of the clip.

        Frame ``t`` of a clip's sequence (``output="sequence"``, or the frames behind its mean)
        is centred at ``frame_times(n)[t]``: for the spectral representations, whose frames are
        centred on their hop (librosa's ``center=True``), ``t * hop_length / sr``; for the
        pretrained encoders, the centre of the samples the frame's convolutional front end (or
        filterbank window) reads, chunk after chunk. Padded frames (beyond a clip's real ones)
        continue the same clock.

        Parameters
        ----------
        n_frames : int
            Number of frames, such as ``features.shape[1]`` of a sequence output.

        Returns
        -------
        times : ndarray of shape (n_frames,), float64
            Increasing; within a chunk, one hop apart.

        Examples
        --------
        >>> from sklearn_mgc import MelFeatures
        >>> MelFeatures(hop_ms=10.0, sr=16000).fit([[0.0] * 160]).frame_times(3)
        array([0.  , 0.01, 0.02])
        """
        check_is_fitted(self, "n_features_out_")
        if isinstance(n_frames, bool) or not isinstance(n_frames, Integral) or n_frames < 0:
            raise ValueError(f"n_frames must be a non-negative int, got {n_frames!r}")
        return np.asarray(self._frame_times(int(n_frames)), dtype=np.float64)

    def _frame_times(self, n_frames):
        """Centres (seconds) of the first ``n_frames`` frames; subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not say when its frames are: implement _frame_times"
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the mean output's columns, such as ``"mel0"`` ... ``"mel79"``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of shape (n_features,), dtype object
        """
        check_is_fitted(self, "n_features_out_")
        if self.output != "mean":
            raise ValueError("feature names describe the 2-D output; set output='mean'")
        return np.asarray(
            [f"{self._feature_prefix}{i}" for i in range(self.n_features_out_)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ------------------------------------------------------------------------ internals
    def _validate_clips(self, X, *, reset):
        """Return the clips as a list of paths and 1-D waveforms (see :mod:`._input`)."""
        return validate_clips(self, X, reset=reset)

    def _cache(self):
        if self.cache_dir is None:
            return None
        return FeatureCache(self.cache_dir, type(self).__name__)

    def _load(self, clip, index):
        target = self._target_sr()
        limit = None if self.duration is None else self.duration
        if _is_path(clip):
            return load_audio(clip, sr=target, duration=limit)
        name = clip_name(clip, index)
        y = check_waveform(clip, name=name)
        if limit is not None:
            y = y[: int(round(limit * self.sr))]
            if y.size == 0:  # as load_audio: no samples is the clip's error, not silence
                raise AudioError(f"{name} gives no samples in duration={limit} s at {self.sr} Hz")
        return resample(y, orig_sr=self.sr, target_sr=target)

    def _streams(self, clip):
        """Whether a clip's mean is computed block by block (whole files, mean output)."""
        return (
            self.output == "mean"
            and self.duration is None
            and _is_path(clip)
            and self._block_spec() is not None
        )

    def _clip_output(self, clip, index, cache, params, n_frames):
        """One clip's row: its temporal mean, or its frames cropped to ``n_frames``.

        The frames come from the cache or are computed (and cached); the cache also keeps each
        clip's mean beside its frames, so a cached mean output reads a vector, not every frame.
        Reducing here, where the clip was computed, keeps what a parallel worker sends back
        small. A clip that cannot be used gives its AudioError (returned, not raised, with
        ``on_error="skip"``).
        """
        try:
            key = None
            if cache is not None:
                try:
                    key = cache.key(clip_fingerprint(clip), params)
                except (OSError, TypeError) as exc:  # TypeError: samples that are objects
                    raise AudioError(f"cannot read {clip_name(clip, index)!r}: {exc}") from None
                n_features = self.n_features_out_
                if self.output == "mean":
                    mean = cache.get(key + "-mean", ndim=1, n_features=n_features)
                    if mean is not None:
                        return mean
                frames = cache.get(key, ndim=2, n_features=n_features)
            else:
                frames = None
            if frames is None and self._streams(clip):
                mean = stream_mean(self, clip)  # None for files too short to split
                if mean is not None:
                    if not np.all(np.isfinite(mean)):
                        raise AudioError(f"{clip_name(clip, index)} gives non-finite features")
                    if key is not None:
                        cache.put(key + "-mean", mean)
                    return mean
            if frames is None:
                y = self._load(clip, index)
                frames = self._checked_frames(y, clip_name(clip, index))
                if key is not None:
                    cache.put(key, frames)
        except (AudioError, MemoryError) as exc:
            if isinstance(exc, MemoryError):  # one clip too big: its failure, not the run's
                exc = AudioError(f"{clip_name(clip, index)}: not enough memory ({exc})")
            if self.on_error == "raise":
                raise exc from None
            return exc
        if self.output == "sequence":
            return frames[:n_frames]
        mean = frames.mean(axis=0, dtype=np.float64).astype(np.float32)
        if key is not None:
            cache.put(key + "-mean", mean)
        return mean

    def _checked_frames(self, y, name):
        """The float32 frames of the waveform ``y`` of the clip ``name``, or an AudioError.

        A clip whose frames are empty or not finite is an AudioError naming it.
        """
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                frames = np.asarray(self._frames(y), dtype=np.float32)
        except AudioError as exc:  # the representation's own complaint: name the clip
            raise AudioError(f"{name}: {exc}") from None
        if frames.shape[0] == 0:
            raise AudioError(f"{name} is too short for {type(self).__name__}: no frames")
        if not np.isfinite(frames).all():
            peak = float(np.max(np.abs(y))) if y.size else 0.0
            raise AudioError(
                f"{name}: {type(self).__name__} gives non-finite features for this clip "
                f"(peak amplitude {peak:.3g}; the float32 output cannot hold them)"
            )
        return frames

    def _compute(self, clips):
        """Rows of every clip, in order; a clip that failed gives its AudioError."""
        return list(self._rows(clips))

    def _rows(self, clips):
        """The rows of ``clips``, in order, each as soon as it is ready (a generator).

        A row is the clip's mean or its own frames (cut to ``duration``, never padded); a clip
        that failed gives its AudioError with ``on_error="skip"``. With ``n_jobs``, the clips
        are computed by joblib's workers while earlier rows are consumed.
        """
        cache = self._cache()
        params = self._cache_params() if cache is not None else None
        n_frames = None
        if self.output == "sequence" and self.duration is not None:
            n_frames = self._n_frames(int(round(self.duration * self._target_sr())))
        progress = _progress(len(clips), type(self).__name__, self.verbose)
        if self.n_jobs in (None, 1):
            rows = (
                self._clip_output(clip, i, cache, params, n_frames) for i, clip in enumerate(clips)
            )
        else:
            jobs = (
                delayed(self._clip_output)(clip, i, cache, params, n_frames)
                for i, clip in enumerate(clips)
            )
            rows = Parallel(n_jobs=self.n_jobs, prefer=self._prefer, return_as="generator")(jobs)
        try:
            for row in rows:
                progress.update()
                yield row
        finally:
            progress.close()

    def _assemble(self, rows):
        if self.output == "mean":
            if not rows:
                return np.empty((0, self.n_features_out_), dtype=np.float32)
            return np.stack(rows)
        if self.duration is not None:
            n_frames = self._n_frames(int(round(self.duration * self._target_sr())))
        else:
            n_frames = max((r.shape[0] for r in rows), default=0)
        out = np.zeros((len(rows), n_frames, self.n_features_out_), dtype=np.float32)
        for i, r in enumerate(rows):
            out[i, : r.shape[0]] = r
        return out


class _NoProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total, desc, verbose):
    if not verbose or total <= 1:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="clip")
