"""Prediction of whole tracks: the probabilities of clip-sized windows, averaged."""

import os

import numpy as np

__all__ = ["predict_track_proba"]


def predict_track_proba(pipeline, path, *, batch_size=8):
    """Genre probabilities of a track of any length, averaged over clip-sized windows.

    The track is decoded at the pipeline's sampling rate and cut into consecutive windows of
    the representation's ``duration`` (a last partial window of at least half a clip is kept
    and zero-padded); the pipeline classifies each window and the probabilities are averaged.
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

    Returns
    -------
    proba : ndarray of shape (n_classes,)
        Columns follow ``pipeline.classes_``.
    n_windows : int

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
    """
    from ..audio import load_audio
    from ..features._base import BaseFeatures

    first = pipeline.steps[0][1] if hasattr(pipeline, "steps") else None
    if not isinstance(first, BaseFeatures) or getattr(first, "duration", None) is None:
        return np.asarray(pipeline.predict_proba([os.fspath(path)])[0], dtype=float), 1
    sr = int(first.sr)
    y = load_audio(path, sr=sr)
    n = max(1, int(round(first.duration * sr)))
    if y.shape[0] <= n:
        windows = [y]
    else:
        k = y.shape[0] // n
        windows = [y[i * n : (i + 1) * n] for i in range(k)]
        rest = y[k * n :]
        if rest.shape[0] >= n / 2:
            windows.append(rest)
    probas = []
    for start in range(0, len(windows), batch_size):
        probas.append(
            np.asarray(pipeline.predict_proba(windows[start : start + batch_size]), dtype=float)
        )
    proba = np.concatenate(probas).mean(axis=0)
    return proba, len(windows)
