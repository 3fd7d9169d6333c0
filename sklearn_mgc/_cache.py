"""The per-clip feature cache.

Each entry is one ``.npy`` file holding the frames a representation computed for one clip,
keyed by the clip (a file's absolute path, size and modification time, or an in-memory
waveform's content hash) and by every parameter that changes the frames. Writes go to a
temporary file in the same folder and are moved into place with :func:`os.replace`
(:func:`sklearn_mgc._io.atomic_write`), which is atomic: an interrupted run leaves no
half-written entry, and several processes may write the same entry at once.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ._io import atomic_write

__all__ = ["FeatureCache", "clip_fingerprint"]


def clip_fingerprint(clip):
    """Return a JSON-serialisable identity of a clip for cache keys.

    Parameters
    ----------
    clip : str, os.PathLike or ndarray
        A path (identified by absolute path, size and mtime) or a waveform (by a hash of its
        samples).

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
        return ["file", path, st.st_size, st.st_mtime_ns]
    arr = np.ascontiguousarray(clip)
    digest = hashlib.blake2b(arr.view(np.uint8), digest_size=20).hexdigest()
    return ["array", str(arr.dtype), list(arr.shape), digest]


class FeatureCache:
    """A folder of cached feature arrays, one file per (clip, parameters) key.

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
    >>> cache.get(key).shape
    (2, 3)
    """

    def __init__(self, location, namespace):
        location = getattr(location, "location", location)
        if location is None:
            raise ValueError("cache_dir: a joblib.Memory without a location cannot cache")
        self.root = Path(os.path.expanduser(os.fspath(location))) / "sklearn_mgc" / namespace

    @staticmethod
    def key(fingerprint, params):
        """Hash a clip fingerprint and a parameter dict into a hex key."""
        blob = json.dumps([fingerprint, params], sort_keys=True, default=repr)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key):
        return self.root / key[:2] / f"{key}.npy"

    def get(self, key):
        """Return the cached array for ``key``, or None."""
        try:
            return np.load(self._path(key), allow_pickle=False)
        except (FileNotFoundError, ValueError, EOFError, OSError):
            return None

    def put(self, key, array):
        """Store ``array`` under ``key`` atomically."""
        with atomic_write(self._path(key)) as tmp, open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(array), allow_pickle=False)
