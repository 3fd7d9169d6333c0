"""Finding and reading EnCodecMAE checkpoints: a local ``.pt`` file or a name on the hub."""

import os

from ..._io import is_local_path

__all__ = ["HUB_REPO", "hub_filename", "resolve_checkpoint", "load_checkpoint"]

#: Hugging Face repository of the published checkpoints (``<name>.pt``).
HUB_REPO = "lpepino/encodecmae-v2"


def resolve_checkpoint(model, *, cache_dir=None):
    """Local path of the checkpoint ``model`` names.

    Parameters
    ----------
    model : str or os.PathLike
        A path to a ``.pt`` file, or the name of a checkpoint in the Hugging Face
        repository ``lpepino/encodecmae-v2`` (such as ``"mel256-ec-base_st"``), downloaded
        once into huggingface_hub's cache.
    cache_dir : str or os.PathLike, optional
        huggingface_hub's cache folder (default: its own default).

    Returns
    -------
    path : str

    Raises
    ------
    FileNotFoundError
        ``model`` is a path that does not exist.
    OSError
        The checkpoint could not be downloaded (no network, unknown name...); the
        message says how to provide the file locally.
    """
    if not isinstance(model, (str, os.PathLike)) or not os.fspath(model):
        raise TypeError(f"model must be a checkpoint name or a path to a .pt file, got {model!r}")
    text = os.path.expanduser(os.fspath(model))
    if os.path.isfile(text):
        return text
    if os.path.isdir(text):
        raise FileNotFoundError(
            f"model={os.fspath(model)!r} is a folder; give the path of the .pt checkpoint file"
        )
    if is_local_path(model):
        raise FileNotFoundError(f"EnCodecMAE checkpoint file not found: model={os.fspath(model)!r}")
    filename = hub_filename(text)
    try:
        from huggingface_hub import hf_hub_download

        return hf_hub_download(repo_id=HUB_REPO, filename=filename, cache_dir=cache_dir)
    except Exception as exc:  # network errors, missing entries, unknown names...
        url = f"https://huggingface.co/{HUB_REPO}/resolve/main/{filename}"
        raise OSError(
            f"could not get the EnCodecMAE checkpoint {text!r} from the Hugging Face hub "
            f"(repository {HUB_REPO!r}, file {filename!r}): {type(exc).__name__}: {exc}. "
            f"If this machine is offline, download {url} elsewhere and pass its local path, "
            f"e.g. EnCodecMAEFeatures(model='/path/to/{filename}'); or check the name "
            "(such as 'mel256-ec-base_st', 'ec-ec-large', 'mel128-ec-base')."
        ) from exc


def hub_filename(model):
    """The file of :data:`HUB_REPO` that the checkpoint name ``model`` names.

    Examples
    --------
    >>> hub_filename("mel256-ec-base_st")
    'mel256-ec-base_st.pt'
    """
    return f"{os.path.expanduser(os.fspath(model))}.pt"


def load_checkpoint(path):
    """Read a checkpoint file safely (``torch.load(..., weights_only=True)``).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    checkpoint : dict
        ``imports``, ``config`` and ``state_dict``.
    """
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            f"cannot read the EnCodecMAE checkpoint {os.fspath(path)!r}: {exc}"
        ) from exc
