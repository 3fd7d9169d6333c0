"""Settings the study changes for one block of work only, restored on the way out.

- :func:`torch_threads`: torch's intra-op thread count while a network trains;
- :func:`hub_offline`: huggingface_hub's offline mode (no network retries) while a pretrained
  representation loads its weights from the local cache.

Both restore every setting they touched, whether the block succeeds or raises.

Examples
--------
>>> import torch
>>> from sklearn_mgc.study._scoped import torch_threads
>>> before = torch.get_num_threads()
>>> with torch_threads(1):
...     torch.get_num_threads()
1
>>> torch.get_num_threads() == before
True
"""

import os
from contextlib import contextmanager

__all__ = ["torch_threads", "hub_offline"]


@contextmanager
def torch_threads(n):
    """Run the block with ``n`` torch threads (None: leave torch's setting alone).

    Parameters
    ----------
    n : int or None
    """
    if n is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextmanager
def hub_offline():
    """Run the block with huggingface_hub in offline mode (its local cache only).

    Sets both ``huggingface_hub.constants.HF_HUB_OFFLINE`` and the ``HF_HUB_OFFLINE``
    environment variable, and restores both (an absent variable is removed again).

    Examples
    --------
    >>> import os
    >>> from sklearn_mgc.study._scoped import hub_offline
    >>> before = os.environ.get("HF_HUB_OFFLINE")
    >>> with hub_offline():
    ...     os.environ["HF_HUB_OFFLINE"]
    '1'
    >>> os.environ.get("HF_HUB_OFFLINE") == before
    True
    """
    try:
        import huggingface_hub.constants as hf_constants
    except ImportError:  # pragma: no cover - a dependency
        hf_constants = None
    old = getattr(hf_constants, "HF_HUB_OFFLINE", None)
    old_env = os.environ.get("HF_HUB_OFFLINE")
    if hf_constants is not None:
        hf_constants.HF_HUB_OFFLINE = True
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        if hf_constants is not None:
            hf_constants.HF_HUB_OFFLINE = old
        if old_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = old_env
