"""One representation of the study: its weights, the memory it needs, and its features.

:func:`extract` fits a representation, extracts every clip once (as sequences when a sequence
network needs them, as temporal means otherwise) and realigns the split after the clips it
skipped; it returns an :class:`Extraction`. The pieces it is made of are small functions of
their own: :func:`memory_guard`, :func:`realign`, :func:`fit_pretrained`.
"""

import os
import socket
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from urllib.parse import urlparse

import numpy as np

from .. import _registry
from .._io import get_logger, is_local_path
from ._scoped import hub_offline
from .factories import make_representation

__all__ = [
    "Extraction",
    "extract",
    "realign",
    "memory_guard",
    "available_memory",
    "sequence_bytes",
    "fit_pretrained",
]

_logger = get_logger("sklearn_mgc.study")

#: Sequences may take at most this fraction of the available memory.
MEMORY_FRACTION = 0.6


@dataclass
class Extraction:
    """The features of one representation, aligned with the study's split.

    ``sequences`` ``(n_kept, n_frames, n_features)`` exist only when a sequence model runs on
    the representation; ``means`` ``(n_kept, n_features)`` always do. ``target``, ``train`` and
    ``test`` index the kept rows (clips the representation skipped are left out). ``models``
    are the study names to train on it (empty when it was skipped), ``skipped`` the reasons of
    what was left out, ``duration`` the seconds of a clip.
    """

    name: str
    features: object = None
    models: tuple = ()
    sequences: np.ndarray | None = None
    means: np.ndarray | None = None
    target: np.ndarray | None = None
    train: np.ndarray | None = None
    test: np.ndarray | None = None
    seconds: float = 0.0
    skipped: list = field(default_factory=list)
    duration: float | None = None

    def inputs(self, model):
        """The array ``model`` trains on: the sequences or the means."""
        return self.sequences if _registry.model(model).kind == "sequence" else self.means


def realign(n_clips, skipped_indices, train, test):
    """Rows of the extracted arrays after the representation skipped some clips.

    Parameters
    ----------
    n_clips : int
        Clips given to the representation.
    skipped_indices : sequence of int
        Positions of the clips it left out (``[s["index"] for s in features.skipped_]``).
    train, test : ndarray of int
        The split, as indices of clips.

    Returns
    -------
    kept : ndarray of bool, shape (n_clips,)
    train_rows, test_rows : ndarray of int
        The split as rows of the extracted arrays, skipped clips left out.

    Examples
    --------
    >>> import numpy as np
    >>> kept, tr, te = realign(5, [1], np.array([0, 1, 2]), np.array([3, 4]))
    >>> kept.tolist(), tr.tolist(), te.tolist()
    ([True, False, True, True, True], [0, 1], [2, 3])
    """
    kept = np.ones(n_clips, dtype=bool)
    kept[np.asarray(list(skipped_indices), dtype=int)] = False
    row_of = np.full(n_clips, -1, dtype=int)
    row_of[kept] = np.arange(kept.sum())
    train_rows, test_rows = row_of[np.asarray(train)], row_of[np.asarray(test)]
    return kept, train_rows[train_rows >= 0], test_rows[test_rows >= 0]


def sequence_bytes(features, n_clips):
    """Bytes of the float32 sequence array of ``n_clips`` clips, or None if unknown."""
    try:
        n_samples = int(round(features.duration * features._target_sr()))
        return 4 * n_clips * int(features._n_frames(n_samples)) * int(features.n_features_out_)
    except Exception:  # duration None, or a representation without these hooks
        return None


def available_memory():
    """Bytes of memory available to this process (None where unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def memory_guard(name, models, needed, available):
    """Drop the sequence models whose sequences would not fit in memory.

    Parameters
    ----------
    name : str
        The representation.
    models : sequence of str
        Models to run on it.
    needed, available : int or None
        Bytes the sequences need and bytes available; None (unknown) lets everything run.

    Returns
    -------
    models : tuple of str
        The models that still run.
    reason : str or None
        Why some were dropped.

    Examples
    --------
    >>> memory_guard("mfcc", ["rf", "gru"], needed=10 * 2**30, available=8 * 2**30)[0]
    ('rf',)
    >>> memory_guard("mfcc", ["rf", "gru"], needed=2**20, available=8 * 2**30)
    (('rf', 'gru'), None)
    """
    models = tuple(models)
    sequence = [m for m in models if _registry.model(m).kind == "sequence"]
    if not sequence or needed is None or available is None:
        return models, None
    if needed <= MEMORY_FRACTION * available:
        return models, None
    reason = (
        f"skipping {', '.join(sequence)} on {name}: its sequences would need "
        f"{needed / 2**30:.1f} GiB of memory ({available / 2**30:.1f} GiB "
        "available); use a shorter --duration, fewer clips or other features"
    )
    return tuple(m for m in models if m not in sequence), reason


def hub_reachable(timeout=3.0):
    """Whether the Hugging Face hub (``HF_ENDPOINT``) accepts a connection."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (443 if parsed.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def fit_pretrained(name, features, clips):
    """Fit a pretrained representation; return None, or the one-line reason it was skipped.

    A hub name is loaded offline (from the local cache only) when the hub is unreachable.
    """
    model = os.fspath(features.model)
    offline = not is_local_path(model) and not hub_reachable()
    unavailable = (
        f"its weights {model!r} are not available: the Hugging Face hub is unreachable and "
        "they are not in the local cache"
    )
    how = _registry.representation(name).how_to_provide
    if offline and not features.in_local_cache():  # said without loading torch or transformers
        return f"skipping {name}: {unavailable}; {how}."
    try:
        with hub_offline() if offline else nullcontext():
            features.fit(clips[:1])
    except (OSError, ValueError, TypeError, ImportError, RuntimeError, KeyError) as exc:
        first = str(exc).split(". ")[0].strip()
        why = f"cannot load {model!r} ({type(exc).__name__}: {first[:300]})"
        return f"skipping {name}: {unavailable if offline else why}; {how}."
    return None


def _transform(features, clips):
    """``features.transform(clips)``, with every warning it raises logged (none dropped)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return features.transform(clips)
        finally:
            for w in caught:
                _logger.warning("%s: %s", w.category.__name__, w.message)


def _skip(extraction, reason):
    _logger.warning(reason)
    extraction.skipped.append(reason)
    return extraction


def extract(config, ds, name, models):
    """Fit representation ``name`` and extract the clips of ``ds`` for ``models``.

    Parameters
    ----------
    config : StudyConfig
        The study's settings (device, cache, pretrained weights, verbosity).
    ds : :class:`~sklearn.utils.Bunch`
        The study's data (:func:`~sklearn_mgc.study.load_study_data`).
    name : str
        The representation.
    models : sequence of str
        The models that will run on it.

    Returns
    -------
    extraction : Extraction
        With no models when the representation was skipped (weights, memory, failure).
    """
    ex = Extraction(name, models=tuple(models), duration=ds.duration)
    feat = ex.features = _representation(config, ds, name)
    t0 = time.perf_counter()
    if _registry.representation(name).pretrained:
        config.info(f"loading {name} weights ({os.fspath(feat.model)}) ...")
        reason = fit_pretrained(name, feat, ds.clips)
        if reason is not None:
            ex.models = ()
            return _skip(ex, reason)
    else:
        feat.fit(ds.clips[:1])
    ex.models, reason = memory_guard(
        name, ex.models, sequence_bytes(feat, len(ds.target)), available_memory()
    )
    if reason is not None:
        _skip(ex, reason)
    if not ex.models:
        return ex
    sequence = any(_registry.model(m).kind == "sequence" for m in ex.models)
    feat.set_params(output="sequence" if sequence else "mean")
    config.info(
        f"extracting {name} ({type(feat).__name__}, {feat.output}) for {len(ds.target)} clips ..."
    )
    try:
        Z = _transform(feat, ds.clips)
    except (MemoryError, RuntimeError, OSError, ValueError) as exc:
        ex.models = ()
        return _skip(ex, f"skipping {name}: extraction failed ({type(exc).__name__}: {exc})")
    _fill(ex, Z, sequence, ds)
    ex.seconds = time.perf_counter() - t0
    shape = "x".join(str(s) for s in Z.shape[1:])
    config.info(f"{name}: {shape} per clip, extracted in {ex.seconds:.1f} s")
    return ex


def _representation(config, ds, name):
    return make_representation(
        name,
        duration=ds.duration,
        sr=ds.sr,
        n_jobs=config.n_jobs,
        cache_dir=config.cache_dir,
        device=config.device,
        verbose=int(config.verbose >= 1),
        pretrained=config.pretrained,
        on_error="skip",
    )


def _fill(ex, Z, sequence, ds):
    """Store the extracted arrays, their temporal means and the realigned split."""
    kept, ex.train, ex.test = realign(
        len(ds.target), [s["index"] for s in ex.features.skipped_], ds.train, ds.test
    )
    ex.target = np.asarray(ds.target)[kept]
    if sequence:
        pool = _registry.load_class(_registry.POOLING)()
        ex.sequences, ex.means = Z, pool.fit(Z[:1]).transform(Z)
    else:
        ex.means = Z
