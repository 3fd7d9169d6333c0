"""The study's data: the embedded synthetic clips or an audio folder, and the train / test split."""

import math
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._io import atomic_write, get_logger

__all__ = ["EMBEDDED_DEFAULT", "load_study_data", "study_split", "default_max_epochs"]

_logger = get_logger("sklearn_mgc.study")

#: The embedded default dataset: ``make_genre_clips`` settings, sized so that the whole
#: default study (every spectral representation x every model) runs in minutes on 2 CPU cores.
EMBEDDED_DEFAULT = {"n_clips_per_genre": 12, "duration": 1.5, "sr": 22050, "max_epochs": 15}

_SPLITS = ("study", "fault-filtered", None)


def default_max_epochs(data):
    """Maximum epochs of the networks when none is given: 50, or 15 on the embedded data.

    The one rule for ``run_study`` and the ``sklearn-mgc study`` and ``fit`` commands.

    Examples
    --------
    >>> default_max_epochs(None), default_max_epochs("path/to/gtzan")
    (15, 50)
    """
    return EMBEDDED_DEFAULT["max_epochs"] if data is None else 50


def load_study_data(
    data=None,
    *,
    split="study",
    random_state=28,
    splits_dir=None,
    n_clips_per_genre=None,
    duration=None,
    cache_dir=None,
):
    """Clips, genres and the train / test partition of the study.

    Parameters
    ----------
    data : str, os.PathLike or None, default=None
        A GTZAN folder in either layout, or any ``<genre>/<file>`` tree of audio files (see
        :func:`~sklearn_mgc.datasets.load_gtzan`). None generates the embedded default,
        :func:`~sklearn_mgc.datasets.make_genre_clips` with :data:`EMBEDDED_DEFAULT`.
    split : {"study", "fault-filtered"} or None, default="study"
        None: no test set (every clip in ``train``). ``"study"``: a stratified 10 % of the
        clips is the test set, and the rest is
        for training (the networks hold out 20 % of it, stratified, for validation and
        early stopping: the study's 80/20). ``"fault-filtered"``: the artist-filtered split of
        full GTZAN (train and validation lists for training, the test list for testing).
    random_state : int, default=28
        Seed of the split (28 is the study's) and of the embedded data.
    splits_dir : str or None, default=None
        Folder of the fault-filtered lists (see :func:`~sklearn_mgc.datasets.load_gtzan`).
    n_clips_per_genre : int or None, default=None
        Embedded data only: clips per genre (None: :data:`EMBEDDED_DEFAULT`).
    duration : float or None, default=None
        Embedded data only: seconds per clip (None: :data:`EMBEDDED_DEFAULT`).
    cache_dir : str or None, default=None
        Embedded data only: folder where the generated clips are kept for the next run.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``clips`` (file paths, or an ndarray ``(n_clips, n_samples)`` of waveforms),
        ``target`` (n_clips,), ``train`` and ``test`` (index arrays), ``duration`` (seconds
        of a clip for the representations), ``sr`` (sampling rate of in-memory clips),
        ``source`` and ``description`` (text).

    Examples
    --------
    >>> from sklearn_mgc.study import load_study_data
    >>> data = load_study_data(n_clips_per_genre=2, duration=0.1)
    >>> data.clips.shape, len(data.train), len(data.test)
    ((16, 2205), 8, 8)
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'study', 'fault-filtered' or None, got {split!r}")
    if data is None:
        if split == "fault-filtered":
            raise ValueError(
                "split='fault-filtered' needs the full GTZAN dataset: pass data=PATH (--data PATH)"
            )
        ds = _embedded(n_clips_per_genre, duration, random_state, cache_dir)
    else:
        ds = _folder(data, split, splits_dir, duration)
    if len(set(ds.target)) < 2:
        raise ValueError(f"the study needs at least 2 genres; found {sorted(set(ds.target))}")
    if split == "fault-filtered":
        parts = np.asarray(ds.pop("parts"))
        idx = np.arange(len(ds.target))
        train, test = idx[parts != "test"], idx[parts == "test"]
        split_desc = (
            "fault-filtered split (Kereliuk, Sturm & Larsen 2015): train + validation "
            f"lists for training ({len(train)} clips), test list ({len(test)} clips)"
        )
    else:
        ds.pop("parts", None)
        train, test, split_desc = _split(ds.target, split, random_state)
    ds.update(train=train, test=test, split=split_desc)
    ds.genres = np.array(sorted(set(ds.target)), dtype=object)
    return ds


def _embedded(n_clips_per_genre, duration, random_state, cache_dir):
    """The embedded synthetic clips, read back from (or kept in) ``cache_dir`` if given."""
    from ..datasets import make_genre_clips

    n_per = EMBEDDED_DEFAULT["n_clips_per_genre"]
    n_per = n_per if n_clips_per_genre is None else int(n_clips_per_genre)
    dur = EMBEDDED_DEFAULT["duration"] if duration is None else float(duration)
    sr = EMBEDDED_DEFAULT["sr"]
    stored = None
    X = y = None
    if cache_dir is not None:
        stored = Path(cache_dir) / f"embedded_{n_per}x{dur:g}s_{sr}Hz_rs{random_state}.npz"
        X, y = _read_npz(stored)
    if X is None:
        X, y = make_genre_clips(n_per, duration=dur, sr=sr, random_state=random_state)
        if stored is not None:
            with atomic_write(stored) as tmp:
                np.savez(tmp, X=X, y=np.asarray(y).astype(str))
    return Bunch(
        clips=X,
        target=np.asarray(y, dtype=object),
        duration=dur,
        sr=sr,
        source="embedded synthetic clips (sklearn_mgc.datasets.make_genre_clips)",
        description=(
            f"{len(y)} synthetic clips of {dur:g} s ({n_per} per genre, "
            f"random_state={random_state})"
        ),
    )


def _read_npz(path):
    """``(X, y)`` of a stored embedded dataset, or ``(None, None)`` if absent or unreadable."""
    if not path.exists():
        return None, None
    try:
        with np.load(path, allow_pickle=False) as f:
            return f["X"], f["y"].astype(object)
    except (OSError, ValueError, KeyError) as exc:
        _logger.warning("cannot read the stored embedded data %s (%s); regenerating", path, exc)
        return None, None


def _folder(data, split, splits_dir, duration):
    """The clips of an audio folder; its loader's warnings are logged, none dropped."""
    from ..datasets import load_gtzan

    gtzan_split = "fault-filtered" if split == "fault-filtered" else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bunch = load_gtzan(data, split=gtzan_split, splits_dir=splits_dir)
    for w in caught:
        _logger.warning("%s: %s", w.category.__name__, w.message)
    return Bunch(
        clips=list(bunch.filenames),
        target=np.asarray(bunch.target, dtype=object),
        duration=30.0 if duration is None else float(duration),
        sr=22050,
        source=str(bunch.root),
        description=f"{len(bunch.target)} audio clips from {bunch.root}",
        parts=getattr(bunch, "split", None),
    )


def _split(target, split, random_state):
    idx = np.arange(len(target))
    if split is None:
        return idx, idx[:0], f"no split: all {len(idx)} clips"
    train, test = study_split(target, random_state=random_state)
    desc = (
        f"stratified 10 % test set ({len(test)} clips), the rest for training "
        f"({len(train)} clips; networks hold out 20 % of it for validation), "
        f"random_state={random_state}"
    )
    return train, test, desc


def study_split(target, *, random_state=28):
    """The study's stratified train / test indices of clips labelled ``target``.

    The test set is 10 % of the clips, or one clip per genre where 10 % would leave a genre
    out. It is the first half of :func:`~sklearn_mgc.datasets.train_valid_test_split`: the
    networks make the 80/20 train / validation split of the rest themselves.

    Parameters
    ----------
    target : array-like of shape (n_clips,)
    random_state : int, default=28

    Returns
    -------
    train, test : ndarray of int
        Sorted indices.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.study.data import study_split
    >>> train, test = study_split(np.repeat(["jazz", "rock"], 10))
    >>> len(train), len(test)
    (18, 2)
    """
    from ..datasets import train_valid_test_split

    target = np.asarray(target, dtype=object)
    idx = np.arange(len(target))
    n_classes = len(set(target))
    test_size = 0.1 if math.ceil(0.1 * len(idx)) >= n_classes else n_classes
    train, _, test = train_valid_test_split(
        idx, stratify=target, test_size=test_size, valid_size=0, random_state=random_state
    )
    return np.sort(train), np.sort(test)
