"""Provenance: what produced a result or a model, recorded with it.

:func:`provenance` gathers the package versions (sklearn_mgc, torch, scikit-learn, librosa,
transformers...), the ``random_state``, a fingerprint of the data (its file list and sizes, or
the bytes of in-memory clips) and the sha256 of each pretrained checkpoint used. The study
writes it to ``provenance.json`` beside ``results.csv`` and into ``report.md``, and every
saved model carries it (``model.provenance_``; ``sklearn-mgc predict --info MODEL`` prints it).
"""

import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path

import numpy as np

from .._io import atomic_write

__all__ = [
    "PACKAGES",
    "package_versions",
    "sha256_file",
    "checkpoint_checksum",
    "checkpoints",
    "data_fingerprint",
    "provenance",
    "write_provenance",
    "provenance_markdown",
]

#: Packages whose versions are recorded.
PACKAGES = ("sklearn_mgc", "torch", "scikit-learn", "skorch", "librosa", "transformers", "numpy")

_SHA_CACHE = {}
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")


def package_versions():
    """``{package: version}`` of :data:`PACKAGES` (None when one is not installed) and Python.

    Examples
    --------
    >>> versions = package_versions()
    >>> sorted(versions)[:3]
    ['librosa', 'numpy', 'python']
    """
    from .. import __version__

    out = {"python": platform.python_version()}
    for name in PACKAGES:
        if name == "sklearn_mgc":
            out[name] = __version__
            continue
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def sha256_file(path):
    """The sha256 (hex) of a file, computed once per (path, size, mtime).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> _ = path.write_bytes(b"abc")
    >>> sha256_file(path)[:16]
    'ba7816bf8f01cfea'
    """
    path = os.path.abspath(os.fspath(path))
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def checkpoint_checksum(features):
    """What identifies the weights of a fitted pretrained representation; None for others.

    Returns ``{"model": name, "sha256": ...}`` where the weights are a local file (the
    EnCodecMAE checkpoint) or a local folder (the sha256 of its weight files, in name order),
    and ``{"model": name, "revision": ...}`` for a hub model (the pinned ``revision``, or the
    commit transformers resolved when it reports one).

    Examples
    --------
    >>> from sklearn_mgc import MFCCFeatures
    >>> checkpoint_checksum(MFCCFeatures()) is None
    True
    """
    model = getattr(features, "model", None)
    if model is None or not hasattr(features, "model_"):
        return None
    out = {"model": os.fspath(model)}
    path = getattr(features, "checkpoint_path_", None)
    if path is not None and os.path.isfile(path):
        out["sha256"] = sha256_file(path)
        return out
    if os.path.isdir(os.path.expanduser(os.fspath(model))):
        folder = Path(os.path.expanduser(os.fspath(model)))
        files = sorted(p for p in folder.iterdir() if p.name in _WEIGHT_FILES)
        digest = hashlib.sha256("".join(sha256_file(p) for p in files).encode())
        out["sha256"] = digest.hexdigest()
        return out
    config = getattr(getattr(features, "model_", None), "config", None)
    revision = getattr(features, "revision", None) or getattr(config, "_commit_hash", None)
    out["revision"] = revision
    return out


def checkpoints(pipelines):
    """The :func:`checkpoint_checksum` of every pretrained step of ``pipelines``, once each.

    Parameters
    ----------
    pipelines : iterable of Pipeline or estimator

    Returns
    -------
    checkpoints : list of dict

    Examples
    --------
    >>> from sklearn_mgc import MFCCFeatures
    >>> checkpoints([MFCCFeatures()])
    []
    """
    out = []
    for pipe in pipelines:
        steps = pipe.steps if hasattr(pipe, "steps") else [("", pipe)]
        for _, step in steps:
            checksum = checkpoint_checksum(step)
            if checksum is not None and checksum not in out:
                out.append(checksum)
    return out


def data_fingerprint(clips):
    """A fingerprint of the data: file count, total size and sha256 of the list of files.

    Paths count by their name relative to their common folder and their size; in-memory
    clips by their bytes.

    Examples
    --------
    >>> fp = data_fingerprint([np.zeros(4, dtype=np.float32)])
    >>> fp["n_clips"], fp["n_files"], len(fp["sha256"])
    (1, 0, 64)
    """
    clips = list(clips)
    paths = [os.path.abspath(os.fspath(c)) for c in clips if isinstance(c, (str, os.PathLike))]
    root = os.path.commonpath(paths) if paths else ""
    if paths and os.path.isfile(root):
        root = os.path.dirname(root)
    digest = hashlib.sha256()
    total = 0
    for clip in clips:
        if isinstance(clip, (str, os.PathLike)):
            path = os.path.abspath(os.fspath(clip))
            size = os.path.getsize(path) if os.path.isfile(path) else -1
            total += max(size, 0)
            digest.update(f"{os.path.relpath(path, root)}\t{size}\n".encode())
        else:
            digest.update(np.ascontiguousarray(clip).tobytes())
    return {
        "n_clips": len(clips),
        "n_files": len(paths),
        "total_bytes": total,
        "root": root or None,
        "sha256": digest.hexdigest(),
    }


def provenance(pipelines=(), *, random_state=None, clips=None, **extra):
    """The provenance of a result or a model, as plain data.

    Parameters
    ----------
    pipelines : iterable of Pipeline or estimator, default=()
        The fitted models or representations whose pretrained checkpoints are recorded.
    random_state : int or None, default=None
    clips : sequence of clips or None, default=None
        The data (see :func:`data_fingerprint`).
    **extra
        Other plain entries (the command line, the data's description...).

    Returns
    -------
    provenance : dict
        ``versions``, ``random_state``, ``data``, ``checkpoints`` (a list) and ``extra``'s.

    Examples
    --------
    >>> p = provenance(random_state=0, clips=[np.zeros(3)])
    >>> sorted(p)
    ['checkpoints', 'data', 'random_state', 'versions']
    """
    out = {
        "versions": package_versions(),
        "random_state": random_state,
        "data": None if clips is None else data_fingerprint(clips),
        "checkpoints": checkpoints(pipelines),
    }
    out.update(extra)
    return json.loads(json.dumps(out, default=str))  # plain data only


def write_provenance(path, prov):
    """Write ``prov`` as JSON to ``path``, atomically; return the path."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n")
    return Path(path)


def provenance_markdown(prov):
    """A Markdown section of ``prov`` for ``report.md``.

    Examples
    --------
    >>> print(provenance_markdown({"versions": {"torch": "2.0"}, "random_state": 3,
    ...                            "data": None, "checkpoints": []}).splitlines()[0])
    ## Provenance
    """
    versions = ", ".join(f"{k} {v}" for k, v in sorted(prov.get("versions", {}).items()))
    lines = ["## Provenance", "", f"- Versions: {versions}"]
    lines.append(f"- random_state: {prov.get('random_state')}")
    data = prov.get("data")
    if data:
        lines.append(
            f"- Data: {data['n_clips']} clips, {data['n_files']} files, "
            f"{data['total_bytes']} bytes, sha256 {data['sha256']}"
        )
    for c in prov.get("checkpoints", []):
        ident = c.get("sha256") or c.get("revision") or "unpinned"
        lines.append(f"- Checkpoint {c['model']}: {ident}")
    return "\n".join(lines) + "\n"
