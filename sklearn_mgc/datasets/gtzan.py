"""The GTZAN music genre dataset: file listing and the fault-filtered split.

GTZAN (Tzanetakis & Cook, 2002) is not downloaded by this module: it carries no
licence and its distribution is up to the user. :func:`load_gtzan` lists a copy
found on disk, in the original layout (``genres/<genre>/<genre>.NNNNN.au``), the
layout of the widely used Kaggle copy (``genres_original/<genre>/<genre>.NNNNN.wav``)
or any ``<genre>/<file>`` tree of audio files. Only the small, public lists of the
fault-filtered split are fetched from the network (and cached), as scikit-learn's
``fetch_*`` functions do.
"""

import os
import re
import warnings
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from .._io import atomic_write, get_logger
from ._files import (
    AUDIO_EXTENSIONS,
    HELPER_STACKLEVEL,
    drop_copies,
    drop_unreadable,
    gtzan_root,
    list_clips,
)

__all__ = ["get_data_home", "load_gtzan", "AUDIO_EXTENSIONS"]

_SPLIT_NAMES = ("train", "valid", "test")
_FAULT_FILTERED_URL = (
    "https://raw.githubusercontent.com/jordipons/sklearn-audio-transfer-learning/"
    "master/data/index/GTZAN/{}_filtered.txt"
)
_FAULT_FILTERED_SOURCE = (
    "https://github.com/jordipons/sklearn-audio-transfer-learning/tree/master/data/index/GTZAN"
)
_CLIP_RE = re.compile(r"^(?P<genre>[A-Za-z0-9_-]+?)[._-]?(?P<number>\d+)$")

logger = get_logger("sklearn_mgc.datasets")

_DESCR = """\
.. _gtzan_dataset:

GTZAN music genre dataset
-------------------------

**Data Set Characteristics:**

    :Number of clips: 1,000 (100 per genre)
    :Number of classes: 10 (blues, classical, country, disco, hiphop, jazz,
        metal, pop, reggae, rock)
    :Clip length: about 30 s
    :Audio: mono, 22,050 Hz, 16 bit (Sun .au in the original, .wav in the Kaggle copy)

GTZAN was collected by George Tzanetakis in 2000-2001 from CDs, radio and
microphone recordings, and is the most used dataset of music genre
recognition. It has known faults (Sturm, 2013): repeated clips, clips of the
same artist in several folds (artist effect), mislabellings and distortions.
The Kaggle copy's ``jazz.00054.wav`` cannot be decoded.

The *fault-filtered* split of Kereliuk, Sturm and Larsen (2015) keeps 930 clips
(443 train / 197 validation / 290 test), with no artist in two partitions and
the repeated, distorted and mislabelled clips removed. Its lists are published in
the public repository jordipons/sklearn-audio-transfer-learning
(``data/index/GTZAN/{train,valid,test}_filtered.txt``).

The dataset has no licence; use it for research only.

.. topic:: References

    - G. Tzanetakis and P. Cook, "Musical genre classification of audio signals",
      IEEE Transactions on Speech and Audio Processing, 10(5), 2002.
    - B. L. Sturm, "The GTZAN dataset: its contents, its faults, their effects on
      evaluation, and future use", arXiv:1306.1461, 2013.
    - C. Kereliuk, B. L. Sturm and J. Larsen, "Deep learning and music adversaries",
      IEEE Transactions on Multimedia, 17(11), 2015.
"""


def get_data_home(data_home=None):
    """Return the folder where sklearn_mgc caches downloaded data.

    Like :func:`sklearn.datasets.get_data_home`: by default the folder named by
    the environment variable ``SKLEARN_MGC_DATA``, else ``~/sklearn_mgc_data``.
    The folder is created if it does not exist.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. ``None`` takes the default described above.

    Returns
    -------
    data_home : str
        The path of the data folder, with ``~`` expanded.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mgc.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp) == tmp
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKLEARN_MGC_DATA", os.path.join("~", "sklearn_mgc_data"))
    data_home = os.path.expanduser(os.fspath(data_home))
    os.makedirs(data_home, exist_ok=True)
    return data_home


def _clip_key(genre, name):
    """``(genre, number)`` of a clip such as ``blues.00012.wav``, or None."""
    stem = Path(name).name
    for ext in AUDIO_EXTENSIONS:
        if stem.lower().endswith("." + ext):
            stem = stem[: -len(ext) - 1]
            break
    m = _CLIP_RE.match(stem)
    if m is None:
        return None
    return genre.lower(), int(m.group("number"))


# --------------------------------------------------------------------------------------
# The fault-filtered split lists
# --------------------------------------------------------------------------------------
def _parse_split_list(text, source):
    keys = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace("\\", "/").split("/")
        key = _clip_key(parts[-2], parts[-1]) if len(parts) >= 2 else None
        if key is None:
            raise ValueError(
                f"Line {lineno} of {source} is not of the form '<genre>/<genre>.NNNNN.<ext>': "
                f"{line!r}."
            )
        keys.append(key)
    if not keys:
        raise ValueError(f"The split list {source} is empty.")
    return keys


def _read_split_dir(folder):
    folder = Path(folder)
    if (
        not (folder / "train_filtered.txt").is_file()
        and (folder / "fault-filtered" / "train_filtered.txt").is_file()
    ):
        folder = folder / "fault-filtered"
    lists = {}
    for name in _SPLIT_NAMES:
        f = folder / f"{name}_filtered.txt"
        if not f.is_file():
            raise FileNotFoundError(
                f"splits_dir {str(folder)!r} must hold train_filtered.txt, valid_filtered.txt and "
                f"test_filtered.txt; {str(f)!r} is missing."
            )
        lists[name] = _parse_split_list(f.read_text(encoding="utf-8"), str(f))
    _check_disjoint(lists, folder)
    return lists


def _check_disjoint(lists, folder):
    """Raise a ValueError naming a clip listed twice (in one partition or in two)."""
    seen = {}
    for name in _SPLIT_NAMES:
        for genre, number in lists[name]:
            if (genre, number) in seen:
                raise ValueError(
                    f"The split lists in {str(folder)!r} name the clip {genre}.{number:05d} "
                    f"twice: in {seen[genre, number]}_filtered.txt and in {name}_filtered.txt. "
                    "Each clip must be listed once."
                )
            seen[genre, number] = name


def _fetch_fault_filtered(data_home, download_if_missing):
    """The three lists, from the cache under ``data_home`` or downloaded into it."""
    cache = Path(get_data_home(data_home)) / "gtzan_splits" / "fault-filtered"
    if all((cache / f"{n}_filtered.txt").is_file() for n in _SPLIT_NAMES):
        return _read_split_dir(cache)
    if not download_if_missing:
        raise OSError(
            f"The fault-filtered split lists are not cached in {str(cache)!r} and "
            "download_if_missing=False. Pass splits_dir=<folder holding train_filtered.txt, "
            "valid_filtered.txt and test_filtered.txt>."
        )
    cache.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading the fault-filtered GTZAN split lists into %s", cache)
    texts = {}
    for name in _SPLIT_NAMES:
        url = _FAULT_FILTERED_URL.format(name)
        try:
            with urlopen(url, timeout=30) as response:
                texts[name] = response.read().decode("utf-8")
            _parse_split_list(texts[name], url)
        except (URLError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise OSError(
                f"Could not download the fault-filtered GTZAN split list {url} ({exc}). "
                f"Download train_filtered.txt, valid_filtered.txt and test_filtered.txt from "
                f"{_FAULT_FILTERED_SOURCE} into a folder and pass it as splits_dir=..., "
                f"or put them in {str(cache)!r}."
            ) from exc
    for name, text in texts.items():  # atomic writes: no half-written list is ever cached
        with atomic_write(cache / f"{name}_filtered.txt") as tmp:
            tmp.write_text(text, encoding="utf-8")
    return _read_split_dir(cache)


# --------------------------------------------------------------------------------------
# Loader
# --------------------------------------------------------------------------------------
def _select_split(filenames, target, lists, root):
    """Keep the clips of the split ``lists``: ``(filenames, target, part of each clip)``.

    Listed clips that are not among ``filenames`` are reported in a warning.
    """
    part_of = {key: name for name in _SPLIT_NAMES for key in lists[name]}
    keys = [_clip_key(t, f) for f, t in zip(filenames, target)]
    keep = [k in part_of for k in keys]
    found = {k for k in keys if k in part_of}
    missing = [
        f"{g}.{n:05d}" for name in _SPLIT_NAMES for g, n in lists[name] if (g, n) not in found
    ]
    if missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        warnings.warn(
            f"load_gtzan: {len(missing)} of the {len(part_of)} clips of the fault-filtered "
            f"split are missing or unreadable in {str(root)!r}: {shown}",
            UserWarning,
            stacklevel=HELPER_STACKLEVEL,
        )
    parts = np.array([part_of[k] for k, ok in zip(keys, keep) if ok], dtype=object)
    filenames = [f for f, ok in zip(filenames, keep) if ok]
    target = [t for t, ok in zip(target, keep) if ok]
    return filenames, target, parts


@validate_params(
    {
        "path": [str, os.PathLike],
        "split": [None, StrOptions({"fault-filtered"})],
        "splits_dir": [None, str, os.PathLike],
        "data_home": [None, str, os.PathLike],
        "check_files": ["boolean"],
        "download_if_missing": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_gtzan(
    path, *, split=None, splits_dir=None, data_home=None, check_files=True, download_if_missing=True
):
    """List the clips of a GTZAN copy on disk, with their genres.

    The audio itself is not loaded: the file names go straight into a
    representation (``MFCCFeatures`` and the others accept paths), which decodes
    and caches each clip.

    Recognised layouts (``path`` may point at the folder above the genre
    folders):

    - Kaggle: ``path/genres_original/<genre>/<genre>.NNNNN.wav``
      (also ``path/Data/genres_original/...``, as the Kaggle archive unpacks);
    - original: ``path/genres/<genre>/<genre>.NNNNN.au``;
    - any ``path/<genre>/<file>`` tree of audio files (extensions
      ``wav``, ``au``, ``flac``, ``ogg``, ``mp3``).

    Read the full description of the dataset in the ``DESCR`` field.

    Parameters
    ----------
    path : str or path-like
        Folder holding the dataset.
    split : {None, "fault-filtered"}, default=None
        ``None`` lists every clip. ``"fault-filtered"`` keeps only the 930 clips
        of the artist-filtered split of Kereliuk, Sturm and Larsen (2015) and
        says in the ``split`` field which partition each belongs to. Clips are
        matched by genre and number, not by file extension. Listed clips that
        are missing (or unreadable) are reported in a warning.
    splits_dir : str or path-like, default=None
        Folder holding ``train_filtered.txt``, ``valid_filtered.txt`` and
        ``test_filtered.txt`` (directly or in a ``fault-filtered`` subfolder).
        ``None`` takes them from the cache under ``data_home``, downloading them
        from the public repository jordipons/sklearn-audio-transfer-learning
        on first use. Only used with ``split="fault-filtered"``.
    data_home : str or path-like, default=None
        The cache folder, see :func:`get_data_home`. The lists are cached in
        ``data_home/gtzan_splits/fault-filtered/``.
    check_files : bool, default=True
        Open every file and decode its first samples; files that fail are left
        out with a warning that names them and are listed in ``skipped``.
        Takes about a millisecond per file. Whatever this option, a clip saved
        in several formats (the same name in one folder) is listed once, in the
        first format of :data:`AUDIO_EXTENSIONS` (a warning names the others,
        listed in ``skipped``).
    download_if_missing : bool, default=True
        If False, raise an :class:`OSError` instead of downloading missing
        split lists.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the fields:

        filenames : ndarray of shape (n_clips,), dtype object
            Path (str) of every clip, sorted by genre then file name.
        target : ndarray of shape (n_clips,), dtype object
            Genre name of every clip (the name of its folder).
        target_names : ndarray of shape (n_genres,), dtype object
            The sorted genre names.
        split : ndarray of shape (n_clips,), dtype object
            Only with ``split="fault-filtered"``: ``"train"``, ``"valid"`` or
            ``"test"`` for every clip.
        skipped : list of (str, str)
            ``(path, reason)`` of every unreadable file, and every second copy of
            a clip, left out.
        root : str
            The folder whose subfolders are the genres.
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or holds no audio file in a recognised layout.
    OSError
        If the fault-filtered lists must be downloaded and cannot be.
    ValueError
        If an argument is not of an accepted type or value (the message names it
        and the accepted values), or a split list has a malformed line or names a
        clip already listed (in it or in another partition).

    See Also
    --------
    train_valid_test_split : The reference study's stratified train / validation / test split.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_mgc.datasets import load_gtzan
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> for genre in ["jazz", "rock"]:
    ...     (tmp / "genres_original" / genre).mkdir(parents=True)
    ...     for i in range(2):
    ...         sf.write(tmp / "genres_original" / genre / f"{genre}.{i:05d}.wav",
    ...                  np.zeros(2205), 22050)
    >>> data = load_gtzan(tmp)
    >>> data.filenames.shape
    (4,)
    >>> list(data.target)
    ['jazz', 'jazz', 'rock', 'rock']
    >>> list(data.target_names)
    ['jazz', 'rock']
    """
    root = gtzan_root(path)
    filenames, target = list_clips(root)
    skipped = []
    if check_files:
        filenames, target, skipped = drop_unreadable(filenames, target)
    filenames, target, copies = drop_copies(filenames, target)
    skipped += copies
    extra = {}
    if split == "fault-filtered":
        lists = (
            _read_split_dir(splits_dir)
            if splits_dir is not None
            else _fetch_fault_filtered(data_home, download_if_missing)
        )
        filenames, target, extra["split"] = _select_split(filenames, target, lists, root)
    logger.debug("load_gtzan: %d clips of %d genres in %s", len(filenames), len(set(target)), root)
    return Bunch(
        filenames=np.array(filenames, dtype=object),
        target=np.array(target, dtype=object),
        target_names=np.array(sorted(set(target)), dtype=object),
        skipped=skipped,
        root=str(root),
        DESCR=_DESCR,
        **extra,
    )
