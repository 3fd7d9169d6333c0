"""Prediction of whole tracks and of many files: windows, timelines, and per-file failures.

:func:`predict_track_proba` classifies a track of any length by averaging the probabilities
of clip-sized windows (consecutive by default, overlapping with ``hop``) and can return the
timeline of those windows. :func:`predict_files` classifies many clips in batches and keeps
going when one of them fails, whatever the failure: the others are still classified, and the
failures are returned with their type.
"""

import os

import numpy as np

from .._io import get_logger

__all__ = ["predict_track_proba", "predict_files", "window_bounds", "describe_failure"]

_log = get_logger("sklearn_mgc.study")


def window_bounds(n_samples, window, hop=None):
    """Sample bounds ``(start, stop)`` of the windows of a track.

    Windows of ``window`` samples start every ``hop`` samples (default: ``window``, so they
    follow each other); after the last whole window, the rest of the track (from the next
    start) is one more, shorter window when it is at least half a window long. A track of at
    most one window is a single window.

    Parameters
    ----------
    n_samples : int
        Length of the track.
    window : int
        Samples per window (at least 1).
    hop : int or None, default=None
        Samples between the starts of two windows (at least 1); None: ``window``.

    Returns
    -------
    bounds : list of (int, int)

    Examples
    --------
    >>> window_bounds(10, 4)
    [(0, 4), (4, 8), (8, 10)]
    >>> window_bounds(11, 4, hop=2)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    >>> window_bounds(3, 4)
    [(0, 3)]
    """
    n_samples, window = int(n_samples), max(1, int(window))
    hop = window if hop is None else max(1, int(hop))
    if n_samples <= window:
        return [(0, int(n_samples))]
    bounds = [(s, s + window) for s in range(0, n_samples - window + 1, hop)]
    start = bounds[-1][0] + hop  # the next window's; past the last window's end if hop > window
    if n_samples - max(bounds[-1][1], start) >= window / 2:  # the uncovered end, if long enough
        bounds.append((start, int(n_samples)))
    return bounds


def predict_track_proba(pipeline, path, *, batch_size=8, hop=None, return_windows=False):
    """Genre probabilities of a track of any length, averaged over clip-sized windows.

    The track is decoded at the pipeline's sampling rate and cut into windows of the
    representation's ``duration`` (see :func:`window_bounds`: consecutive by default,
    overlapping with ``hop``; a last partial window of at least half a clip is kept and
    zero-padded); the pipeline classifies each window and the probabilities are averaged.
    A track shorter than one clip is one window.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline whose first step is a representation of :mod:`sklearn_mgc`
        (such as ``best_model.joblib``); another pipeline classifies the file as a whole.
    path : str or os.PathLike
        The audio file.
    batch_size : int, default=8
        Windows classified at once.
    hop : float or None, default=None
        Seconds between the starts of two windows (None: the clip duration, no overlap).
    return_windows : bool, default=False
        Also return the timeline of the windows.

    Returns
    -------
    proba : ndarray of shape (n_classes,)
        Columns follow ``pipeline.classes_``.
    n_windows : int
    windows : dict, only with ``return_windows=True``
        ``start`` and ``end`` (seconds, shape ``(n_windows,)``) and ``proba`` (shape
        ``(n_windows, n_classes)``) of each window.

    Raises
    ------
    sklearn_mgc.audio.AudioError
        The file cannot be decoded; the message names it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_mgc.datasets import make_genre_clips
    >>> from sklearn_mgc.study import (make_classifier, make_pipeline, make_representation,
    ...                                predict_track_proba)
    >>> X, y = make_genre_clips(4, duration=0.5, genres=["jazz", "metal"], random_state=0)
    >>> pipe = make_pipeline(make_representation("mfcc", duration=0.5),
    ...                      make_classifier("rf", random_state=0), model="rf").fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "track.wav")
    >>> sf.write(path, np.concatenate([X[0], X[0], X[0]]), 22050)  # 1.5 s: three windows
    >>> proba, n_windows = predict_track_proba(pipe, path)
    >>> n_windows, proba.shape
    (3, (2,))
    >>> proba, n_windows, windows = predict_track_proba(pipe, path, hop=0.25,
    ...                                                 return_windows=True)
    >>> n_windows, np.round(windows["start"], 2).tolist(), windows["proba"].shape
    (5, [0.0, 0.25, 0.5, 0.75, 1.0], (5, 2))
    """
    from ..audio import load_audio
    from ..features._base import BaseFeatures

    first = pipeline.steps[0][1] if hasattr(pipeline, "steps") else None
    if not isinstance(first, BaseFeatures) or getattr(first, "duration", None) is None:
        proba = np.asarray(pipeline.predict_proba([os.fspath(path)])[0], dtype=float)
        if not return_windows:
            return proba, 1
        windows = {"start": np.zeros(1), "end": np.full(1, np.nan), "proba": proba[None]}
        return proba, 1, windows
    sr = int(first.sr)
    y = load_audio(path, sr=sr)
    n = max(1, int(round(first.duration * sr)))
    bounds = window_bounds(y.shape[0], n, None if hop is None else round(hop * sr))
    probas = []
    for start in range(0, len(bounds), batch_size):
        batch = [y[a:b] for a, b in bounds[start : start + batch_size]]
        probas.append(np.asarray(pipeline.predict_proba(batch), dtype=float))
    per_window = np.concatenate(probas)
    proba = per_window.mean(axis=0)
    if not return_windows:
        return proba, len(bounds)
    edges = np.asarray(bounds, dtype=float) / sr
    return proba, len(bounds), {"start": edges[:, 0], "end": edges[:, 1], "proba": per_window}


def describe_failure(exc):
    """One line for a clip's failure: the message, with the type when it is not the user's.

    An :class:`~sklearn_mgc.audio.AudioError`, OSError or ValueError is the file's fault and
    shows its message; a MemoryError says so; any other exception is a bug and names its type.

    Examples
    --------
    >>> describe_failure(ValueError("cannot decode"))
    'cannot decode'
    >>> describe_failure(MemoryError("Unable to allocate 256 GiB"))
    'out of memory: Unable to allocate 256 GiB'
    >>> describe_failure(KeyError("x"))
    "unexpected KeyError (a bug; please report it): 'x'"
    """
    if isinstance(exc, (OSError, ValueError)):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"out of memory: {exc}"
    return f"unexpected {type(exc).__name__} (a bug; please report it): {exc}"


def predict_files(pipeline, clips, *, batch_size=16):
    """Predicted labels of many clips; a clip that fails is left out, the others predicted.

    Clips are predicted ``batch_size`` at a time; when a batch fails (for any reason,
    including a MemoryError or a parallel worker that died), its clips are predicted one by
    one, so only the clips that fail on their own are left out. Clips the representation
    skips itself (``on_error="skip"``) are left out too.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline.
    clips : sequence of clips
        Paths or waveforms.
    batch_size : int, default=16

    Returns
    -------
    pred : ndarray of shape (n_predicted,), dtype object
        Labels of the clips that were predicted, in order.
    failures : list of dict
        ``index``, ``clip`` and ``error`` (see :func:`describe_failure`) of each clip left
        out, in order.

    Examples
    --------
    >>> from sklearn_mgc.datasets import make_genre_clips
    >>> from sklearn_mgc.study import make_classifier, make_pipeline, make_representation
    >>> X, y = make_genre_clips(3, duration=0.3, genres=["jazz", "metal"], random_state=0)
    >>> pipe = make_pipeline(make_representation("mfcc", duration=0.3, on_error="skip"),
    ...                      make_classifier("rf", random_state=0), model="rf").fit(X, y)
    >>> pred, failures = predict_files(pipe, list(X[:2]) + ["no-such-file.wav"])
    >>> len(pred), [f["index"] for f in failures]
    (2, [2])
    """
    clips = list(clips)
    pred, failures = [], []
    for start in range(0, len(clips), batch_size):
        batch = clips[start : start + batch_size]
        try:
            labels, skipped = _predict_batch(pipeline, batch)
        except Exception as exc:
            if len(batch) == 1:
                failures.append(_failure(start, batch[0], exc))
                continue
            _log.debug("batch of %d clips failed (%s); predicting them one by one", len(batch), exc)
            sub_pred, sub_fail = predict_files(pipeline, batch, batch_size=1)
            pred.extend(sub_pred)
            failures.extend({**f, "index": f["index"] + start} for f in sub_fail)
            continue
        pred.extend(labels)
        failures.extend({**s, "index": s["index"] + start} for s in skipped)
    return np.asarray(pred, dtype=object), failures


def _predict_batch(pipeline, batch):
    first = pipeline.steps[0][1] if hasattr(pipeline, "steps") else None
    before = getattr(first, "skipped_", None)  # each transform records a new list
    try:
        labels = list(pipeline.predict(batch))
    except Exception:
        # every clip skipped: the classifier got no rows; report why they were skipped
        skipped = _skipped(first)
        if skipped and first.skipped_ is not before and len(skipped) == len(batch):
            return [], skipped
        raise
    return labels, _skipped(first)


def _skipped(first):
    """The clips the representation left out in its last ``transform`` (``on_error="skip"``)."""
    return [
        {"index": s["index"], "clip": s["clip"], "error": s["error"]}
        for s in (getattr(first, "skipped_", None) or [])
        if getattr(first, "on_error", None) == "skip"
    ]


def _failure(index, clip, exc):
    from ..audio import clip_name

    return {"index": index, "clip": clip_name(clip, index), "error": describe_failure(exc)}
