"""Small file-system helpers shared by the whole toolkit.

- :func:`atomic_write`: write a file (or a folder) under a temporary name in the same folder,
  then move it into place with :func:`os.replace`, so that a reader never sees half of it and
  an interrupted write leaves no file under the final name.
- :func:`is_local_path`: whether a model name designates something on disk or a repository id
  of the Hugging Face hub.
- :func:`get_logger`: the ``sklearn_mgc`` loggers.
"""

import logging
import os
import re
import shutil
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = ["atomic_write", "is_local_path", "get_logger", "TMP_SUFFIX"]

#: Suffix of the temporary files of :func:`atomic_write` (orphans can be found by it).
TMP_SUFFIX = ".mgc-tmp"

# "namespace/name" or "name": what the Hugging Face hub accepts as a repository id.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
_WEIGHT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".safetensors")


@contextmanager
def atomic_write(path, *, directory=False):
    """Yield a temporary path beside ``path``; move it onto ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The final file (or folder, with ``directory=True``). Its parent folder is created.
    directory : bool, default=False
        The block writes a folder at the temporary path instead of a file.

    Yields
    ------
    tmp : pathlib.Path
        Where to write. It keeps ``path``'s suffix (``np.savez`` and ``torch.save`` are
        content with it) and ends in ``TMP_SUFFIX`` before that suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a" / "x.txt"
    >>> with atomic_write(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('hello', ['x.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    tmp = tmp.with_name(tmp.name + path.suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with suppress(FileNotFoundError):
                tmp.unlink()
        raise


def is_local_path(name):
    """Whether a model ``name`` designates a local file or folder rather than a hub id.

    A path-like object, an existing path, a name starting with ``.``, ``~`` or ``/``, a name
    ending in a weights suffix (``.pt``, ``.pth``, ``.ckpt``, ``.bin``, ``.safetensors``) and
    anything that is not of the hub's ``name`` or ``namespace/name`` form are local.

    Parameters
    ----------
    name : str or os.PathLike

    Returns
    -------
    local : bool

    Examples
    --------
    >>> is_local_path("facebook/wav2vec2-base"), is_local_path("./my-model")
    (False, True)
    >>> is_local_path("mel256-ec-base_st"), is_local_path("weights/model.pt")
    (False, True)
    """
    if isinstance(name, os.PathLike):
        return True
    text = str(name)
    if os.path.exists(os.path.expanduser(text)):
        return True
    if text.startswith((".", "~", "/")) or os.path.isabs(text):
        return True
    if text.endswith(_WEIGHT_SUFFIXES):
        return True
    return not _HUB_ID.match(text)


def get_logger(name="sklearn_mgc"):
    """The toolkit's logger ``name`` (a child of ``"sklearn_mgc"``).

    Messages of long work (progress of the study, data summaries, skipped clips) go through
    these loggers; the ``sklearn-mgc`` command's ``-q``/``-v`` set their level.

    Examples
    --------
    >>> get_logger("sklearn_mgc.study").name
    'sklearn_mgc.study'
    """
    if not (name == "sklearn_mgc" or name.startswith("sklearn_mgc.")):
        name = f"sklearn_mgc.{name}"
    return logging.getLogger(name)
