"""The clips of a genre tree on disk: where the genre folders are, which files are audio,
which decode, and one file per clip (for :func:`~sklearn_mgc.datasets.load_gtzan`)."""

import os
import warnings
from pathlib import Path

import numpy as np

__all__ = [
    "AUDIO_EXTENSIONS",
    "HELPER_STACKLEVEL",
    "drop_copies",
    "drop_unreadable",
    "gtzan_root",
    "list_clips",
]

#: File extensions (lower case, without the dot) that :func:`~sklearn_mgc.datasets.load_gtzan`
#: lists.
AUDIO_EXTENSIONS = ("wav", "au", "flac", "ogg", "mp3")

# a warning raised in a helper of load_gtzan names the line of the caller of load_gtzan:
# the helper, load_gtzan, the parameter check's wrapper (validate_params), the caller
HELPER_STACKLEVEL = 4


def find_root(path):
    """The folder whose subfolders are the genres."""
    candidates = [
        path / "genres_original",
        path / "genres",
        path / "Data" / "genres_original",
        path / "data" / "genres_original",
        path,
    ]
    for root in candidates:
        if root.is_dir() and any(audio_files(d) for d in subdirs(root)):
            return root
    return None


def subdirs(root):
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))


def audio_files(folder):
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and not f.name.startswith(".") and f.suffix[1:].lower() in AUDIO_EXTENSIONS
    )


def check_file(filename):
    """None if ``filename`` decodes, else the reason it does not."""
    import soundfile as sf

    try:
        with sf.SoundFile(filename) as f:
            if f.frames == 0:
                return "the file holds no audio frames"
            data = f.read(frames=min(f.frames, 4096), dtype="float32")
        if data.size == 0:
            return "no audio could be read"
        if not np.isfinite(data).all():
            return "the audio holds non-finite values"
    except Exception as exc:  # soundfile raises several error types
        return f"{type(exc).__name__}: {exc}"
    return None


def gtzan_root(path):
    """The folder of ``path`` whose subfolders are the genres; a clear error if none."""
    path = Path(os.fspath(path)).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"GTZAN folder {str(path)!r} does not exist.")
    if not path.is_dir():
        raise FileNotFoundError(f"GTZAN path {str(path)!r} is not a folder.")
    root = find_root(path)
    if root is None:
        raise FileNotFoundError(
            f"No audio files found in {str(path)!r}: expected "
            f"{str(path / 'genres_original')}/<genre>/<genre>.NNNNN.wav (Kaggle), "
            f"{str(path / 'genres')}/<genre>/<genre>.NNNNN.au (original), or "
            f"<genre>/<file> folders of {'/'.join(AUDIO_EXTENSIONS)} files."
        )
    return root


def list_clips(root):
    """``(filenames, target)``: every audio file under ``root/<genre>/``, and its genre."""
    filenames, target = [], []
    for genre_dir in subdirs(root):
        for f in audio_files(genre_dir):
            filenames.append(str(f))
            target.append(genre_dir.name)
    return filenames, target


def drop_unreadable(filenames, target):
    """Leave out the files that do not decode, with a warning: ``(filenames, target, skipped)``."""
    reasons = [check_file(f) for f in filenames]
    skipped = [(f, r) for f, r in zip(filenames, reasons) if r is not None]
    if skipped:
        warnings.warn(
            f"load_gtzan: {len(skipped)} unreadable audio file(s) left out: "
            + "; ".join(f"{f} ({r})" for f, r in skipped),
            UserWarning,
            stacklevel=HELPER_STACKLEVEL,
        )
    keep = [r is None for r in reasons]
    filenames = [f for f, k in zip(filenames, keep) if k]
    target = [t for t, k in zip(target, keep) if k]
    return filenames, target, skipped


def drop_copies(filenames, target):
    """Keep one file of each clip saved in several formats (the same name in one folder, such
    as ``blues.00000.au`` beside its conversion ``blues.00000.wav``): the first format of
    :data:`AUDIO_EXTENSIONS`. Two copies would count a clip twice and could put it on both
    sides of a split. ``(filenames, target, skipped)``, with a warning naming the copies."""
    rank = {ext: i for i, ext in enumerate(AUDIO_EXTENSIONS)}

    def clip(f):
        return Path(f).parent, Path(f).stem.lower()

    first = {}
    for f in sorted(filenames, key=lambda f: rank.get(Path(f).suffix[1:].lower(), len(rank))):
        first.setdefault(clip(f), f)
    keep = [first[clip(f)] == f for f in filenames]
    skipped = [
        (f, f"another copy of {first[clip(f)]} (same name, another format)")
        for f, k in zip(filenames, keep)
        if not k
    ]
    if skipped:
        warnings.warn(
            f"load_gtzan: {len(skipped)} clip(s) saved twice, in another format, left out: "
            + "; ".join(f for f, _ in skipped),
            UserWarning,
            stacklevel=HELPER_STACKLEVEL,
        )
    target = [t for t, k in zip(target, keep) if k]
    return [f for f, k in zip(filenames, keep) if k], target, skipped
