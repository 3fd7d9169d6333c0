"""The per-clip feature cache, which cannot lie.

Each entry is one file holding the frames (or the mean) a representation computed for one clip,
keyed by the clip (a file's absolute path, size, modification and change times and inode, or
an in-memory waveform's content hash) and by every parameter that changes the frames.

An entry carries its own key, its shape, its dtype and a BLAKE2b checksum of all of them and
of its bytes. A read that fails to parse, or fails any check (checksum, key, dtype, shape, a
caller's expected number of features, at least one frame, finite values), is a *miss*: the
caller recomputes and rewrites the entry, and the first damaged entry of a cache folder in a
process is reported with a :class:`UserWarning` that names it (every one is logged).

Writes go to a temporary file in the same folder and are moved into place with
:func:`os.replace` (:func:`sklearn_mgc._io.atomic_write`), which is atomic: an interrupted run
leaves no half-written entry, and several processes may write the same entry at once. An
interrupted process may leave a temporary file behind; opening a cache removes those older
than :data:`ORPHAN_AGE` seconds (no live writer takes that long to write one entry).
"""

import hashlib
import json
import os
import struct
import time
import warnings
from contextlib import suppress
from pathlib import Path

import numpy as np

from ._io import TMP_SUFFIX, atomic_write, get_logger

__all__ = ["FeatureCache", "clip_fingerprint", "ORPHAN_AGE"]

_log = get_logger("sklearn_mgc.cache")

#: Temporary files of a cache older than this many seconds are orphans, removed on opening.
ORPHAN_AGE = 3600.0

_MAGIC = b"SKLEARN-MGC-FEATURES-1\n"
_SUFFIX = ".mgc"
_DTYPES = frozenset({"<f4"})  # what the representations write
_MAX_HEADER = 1 << 16
_LENGTH = struct.Struct("<I")

# cache folders whose orphans were cleaned, and whose first damaged entry was warned about,
# in this process
_CLEANED = set()
_WARNED = set()


def clip_fingerprint(clip):
    """Return a JSON-serialisable identity of a clip for cache keys.

    Parameters
    ----------
    clip : str, os.PathLike or ndarray
        A path, identified by its absolute path, size, modification time, inode and change
        time (``st_ctime_ns``: set by the system on every write, and which no program can set
        back, so a file edited in place keeps no old entry even if its size and modification
        time are restored), or a waveform (by a hash of its samples).

    Returns
    -------
    fingerprint : list

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc._cache import clip_fingerprint
    >>> clip_fingerprint(np.zeros(4, dtype=np.float32))[:3]
    ['array', 'float32', [4]]
    """
    if isinstance(clip, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(clip))
        st = os.stat(path)
        return ["file", path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
    arr = np.ascontiguousarray(clip)
    digest = hashlib.blake2b(arr.view(np.uint8), digest_size=20).hexdigest()
    return ["array", str(arr.dtype), list(arr.shape), digest]


def _digest(key, dtype, shape, data):
    h = hashlib.blake2b(digest_size=32)
    h.update(json.dumps([key, dtype, list(shape)]).encode())
    h.update(data)
    return h.hexdigest()


def _encode(key, array):
    """The bytes of an entry: magic, header length, JSON header, then the array's bytes."""
    array = np.ascontiguousarray(array)
    dtype = array.dtype.str
    data = array.tobytes()
    header = {"key": key, "dtype": dtype, "shape": list(array.shape)}
    header["blake2b"] = _digest(key, dtype, array.shape, data)
    blob = json.dumps(header, sort_keys=True).encode()
    return _MAGIC + _LENGTH.pack(len(blob)) + blob + data


def _decode(raw, key):
    """The array of an entry's bytes, or the reason it cannot be trusted."""
    if not raw.startswith(_MAGIC):
        return "not a sklearn_mgc cache entry"
    start = len(_MAGIC) + _LENGTH.size
    (n,) = _LENGTH.unpack_from(raw, len(_MAGIC))
    if n > _MAX_HEADER or start + n > len(raw):
        return "truncated header"
    header = json.loads(raw[start : start + n].decode())
    dtype, shape, data = header["dtype"], header["shape"], raw[start + n :]
    if header["key"] != key:
        return "it holds another entry"
    if dtype not in _DTYPES:
        return f"unexpected dtype {dtype!r}"
    if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
        return f"invalid shape {shape!r}"
    if int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize != len(data):
        return f"{len(data)} bytes for the shape {tuple(shape)}"
    if header["blake2b"] != _digest(key, dtype, shape, data):
        return "checksum mismatch"
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _check_array(array, ndim, n_features):
    """Why a well-formed entry still cannot be the frames or mean asked for, or None."""
    if ndim is not None and array.ndim != ndim:
        return f"{array.ndim} dimension(s), expected {ndim}"
    if n_features is not None and (array.ndim == 0 or array.shape[-1] != n_features):
        return f"shape {array.shape}, expected {n_features} features"
    if array.size == 0:
        return f"empty (shape {array.shape})"
    if not np.isfinite(array).all():
        return "non-finite values"
    return None


def _remove_orphans(root, max_age=ORPHAN_AGE):
    """Remove temporary files under ``root`` (two levels) older than ``max_age`` seconds."""
    limit = time.time() - max_age
    removed = 0
    for folder in (root, *(p for p in root.iterdir() if p.is_dir())):
        for entry in os.scandir(folder):
            name = entry.name
            if not (TMP_SUFFIX in name or name.endswith(".tmp")) or not entry.is_file():
                continue
            with suppress(OSError):
                if entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
    if removed:
        _log.info("removed %d orphan temporary file(s) from the cache %s", removed, root)
    return removed


class FeatureCache:
    """A folder of cached feature arrays, one checked file per (clip, parameters) key.

    An entry is trusted only if it parses and its checksum, key, dtype and shape agree (and,
    when the caller says so, its number of dimensions and features, at least one frame and
    finite values); otherwise :meth:`get` returns None, the caller recomputes and rewrites it,
    and the first damaged entry of the folder in a process gives a warning naming it. Opening
    a cache removes temporary files older than :data:`ORPHAN_AGE` seconds left by
    interrupted writes.

    A file is keyed by its absolute path, size, modification time, inode and change time.
    The change time is set by the system on every write, so a file edited in place is
    recomputed even if its size and modification time are put back. What no key based on
    the file's metadata sees is a file system that does not keep change times (some network
    and FAT file systems), where a file edited in place with the same size and modification
    time keeps its old entry: delete the cache folder after such an edit.

    Parameters
    ----------
    location : str, os.PathLike or joblib.Memory
        The cache folder (created on first write). A :class:`joblib.Memory` contributes its
        ``location``.
    namespace : str
        Sub-folder, usually the representation's class name.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn_mgc._cache import FeatureCache
    >>> cache = FeatureCache(tempfile.mkdtemp(), "Demo")
    >>> key = cache.key(["array", "x"], {"n_mels": 80})
    >>> cache.get(key) is None
    True
    >>> cache.put(key, np.ones((2, 3), dtype=np.float32))
    >>> cache.get(key, ndim=2, n_features=3).shape
    (2, 3)
    >>> cache.get(key, n_features=4) is None  # not what was asked for: a miss
    True
    """

    def __init__(self, location, namespace):
        location = getattr(location, "location", location)
        if location is None:
            raise ValueError("cache_dir: a joblib.Memory without a location cannot cache")
        self.root = Path(os.path.expanduser(os.fspath(location))) / "sklearn_mgc" / namespace
        if str(self.root) not in _CLEANED and self.root.is_dir():
            with suppress(OSError):
                _remove_orphans(self.root)
            _CLEANED.add(str(self.root))

    @staticmethod
    def key(fingerprint, params):
        """Hash a clip fingerprint and a parameter dict into a hex key."""
        blob = json.dumps([fingerprint, params], sort_keys=True, default=repr)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key):
        return self.root / key[:2] / f"{key}{_SUFFIX}"

    def get(self, key, *, ndim=None, n_features=None):
        """Return the cached array for ``key``, or None if absent or not trustworthy.

        Parameters
        ----------
        key : str
        ndim : int or None
            Expected number of dimensions (2 for frames, 1 for a mean).
        n_features : int or None
            Expected length of the last axis.

        Returns
        -------
        array : ndarray or None
        """
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._damaged(path, f"unreadable ({exc})")
        try:
            result = _decode(raw, key)
        except Exception as exc:  # anything that does not parse is a miss
            result = f"does not parse ({type(exc).__name__}: {exc})"
        if not isinstance(result, str):
            reason = _check_array(result, ndim, n_features)
            if reason is None:
                return result
            result = reason
        return self._damaged(path, result)

    def _damaged(self, path, reason):
        _log.warning("ignoring the damaged cache entry %s (%s): recomputing it", path, reason)
        self._warn_once(
            "damaged",
            f"ignoring the damaged cache entry {path} ({reason}); it is recomputed and "
            "rewritten (further damaged entries of this cache are only logged)",
            stacklevel=4,  # get's caller
        )
        return None

    def _warn_once(self, what, message, stacklevel):
        """A UserWarning the first time ``what`` happens to this cache; later ones are logged."""
        if (str(self.root), what) not in _WARNED:
            _WARNED.add((str(self.root), what))
            warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)

    def put(self, key, array):
        """Store ``array`` under ``key`` atomically, with its checksum.

        A cache that cannot be written (a full disk, a read-only folder) is warned about and
        left alone: the caller keeps the result it computed.
        """
        blob = _encode(key, array)
        path = self._path(key)
        try:
            with atomic_write(path) as tmp:
                _write_bytes(tmp, blob)
        except OSError as exc:
            _log.warning("could not write the cache entry %s (%s)", path, exc)
            self._warn_once(
                "unwritable",
                f"could not write the cache entry {path} ({exc}); the results are computed "
                "without the cache (further failed writes of this cache are only logged)",
                stacklevel=3,  # put's caller
            )


def _write_bytes(path, blob):
    with open(path, "wb") as f:
        f.write(blob)
