"""Saving and loading fitted pipelines: a safe format to share, and models that travel.

Two formats, chosen by the file's suffix:

- ``.skops`` (share this one): a `skops <https://skops.readthedocs.io>`_ archive, whose
  loading runs no code. It names every type it holds, and :func:`load_model` loads only the
  types of scikit-learn, numpy and the toolkit's own (:func:`trusted_types`); a file that names
  any other type is refused before anything is built. Torch objects cannot go through skops
  (a tensor has no state skops can rebuild), so the torch parts are stored as plain numpy
  arrays plus plain parameters and rebuilt on load: a network's module weights (rebuilt by the
  network's own ``_build_module``) and a pretrained encoder's weights with its configuration
  (a transformers config dictionary, or EnCodecMAE's gin text).
- ``.joblib`` (or any other suffix): a pickle, as ``joblib.dump`` writes it. Loading a pickle
  runs whatever code it names: load only your own.

Both load on a machine without CUDA, networks and encoders alike, with no argument: torch
storages saved on a GPU are mapped to the CPU, and every step whose ``device`` is unavailable
moves to the CPU (with a log message). :func:`set_device` moves a fitted pipeline to another
device.
"""

import copy
import io
import os
import pickle
import zipfile
from contextlib import contextmanager
from pathlib import Path

from . import _registry
from ._io import atomic_write, get_logger

__all__ = ["save_model", "load_model", "set_device", "trusted_types", "resolve_device"]

_log = get_logger("sklearn_mgc.persistence")
_PACKED = "__sklearn_mgc_packed__"
# the libraries whose own types a .skops model may hold (their estimators' fitted parts, such
# as sklearn.tree._tree.Tree); skops rebuilds them from data, running none of their code
_LIBRARIES = ("sklearn.", "numpy.", "scipy.")


def resolve_device(device="auto"):
    """The torch device to use: ``"auto"`` is ``"cuda"`` when available, else ``"cpu"``.

    A CUDA device asked for on a machine without CUDA resolves to ``"cpu"`` (logged).

    Parameters
    ----------
    device : str or torch.device, default="auto"

    Returns
    -------
    device : str

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in ("cpu", "cuda")
    True
    """
    import torch

    device = str(device)
    available = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if available else "cpu"
    if device.startswith("cuda") and not available:
        _log.warning("device %r is not available on this machine: using the cpu", device)
        return "cpu"
    return device


def _steps(model):
    if hasattr(model, "steps"):
        return [(name, est) for name, est in model.steps]
    return [("model", model)]


def set_device(model, device):
    """Move every step of a fitted pipeline (or one estimator) to ``device``, in place.

    Networks move their skorch net (module and criterion), pretrained encoders their torch
    model; each step's ``device`` parameter follows, so a later ``fit`` uses it too.

    Parameters
    ----------
    model : Pipeline or estimator
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``... or ``"auto"`` (see :func:`resolve_device`).

    Returns
    -------
    moved : list of (str, str, str)
        ``(step, from, to)`` of each step that changed device.

    Examples
    --------
    >>> from sklearn_mgc import MLPClassifier
    >>> clf = MLPClassifier(max_epochs=1, hidden_sizes=(4,), validation_fraction=None)
    >>> clf = clf.fit([[0.0], [1.0], [0.1], [0.9]], ["a", "b", "a", "b"])
    >>> set_device(clf, "cpu")
    []
    """
    device = resolve_device(device)
    moved = []
    for name, est in _steps(model):
        params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        if "device" not in params or str(params["device"]) == device:
            continue
        old = str(params["device"])
        net = getattr(est, "net_", None)
        if net is not None:
            net.set_params(device=device)
            for attr in ("module_", "criterion_"):
                if hasattr(net, attr):
                    getattr(net, attr).to(device)
        if getattr(est, "model_", None) is not None and hasattr(est.model_, "to"):
            est.model_ = est.model_.to(device)
        est.set_params(device=device)
        moved.append((name, old, device))
        _log.info("moved step %r from %s to %s", name, old, device)
    return moved


def trusted_types(extra=()):
    """Names of the types a ``.skops`` model may hold beyond scikit-learn's and numpy's.

    The toolkit's public classes (from its registry), the private classes that appear in
    fitted pipelines, and the plain containers skops stores the rebuilt torch parts in.

    Parameters
    ----------
    extra : iterable of str, default=()
        More ``module.Class`` names to trust (the classes of your own steps).

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> "sklearn_mgc.networks.rnn.GRUClassifier" in trusted_types()
    True
    """
    names = {f"{module}.{cls}" for cls, module in _registry.public_classes().items()}
    names |= {f"{m.module}.{m.class_name}" for m in _registry.MODEL_SPECS}
    names |= {f"{r.module}.{r.class_name}" for r in _registry.REPRESENTATION_SPECS}
    names |= {
        "builtins.slice",
        "collections.OrderedDict",
        "sklearn.pipeline.Pipeline",
        "sklearn.utils._bunch.Bunch",
        "sklearn_mgc.features.huggingface.Wav2Vec2Features",
        "sklearn_mgc.features.encodecmae.EnCodecMAEFeatures",
    }
    return sorted(names | set(extra))


# ----------------------------------------------------------------------------- saving
def save_model(model, path, *, provenance=None):
    """Save a fitted pipeline: ``.skops`` (safe to share) or any other suffix (joblib).

    Parameters
    ----------
    model : Pipeline or estimator
        Fitted.
    path : str or os.PathLike
        The file, written atomically (its folder is created).
    provenance : dict or None, default=None
        Plain data (versions, seed, data fingerprint...) stored with the model as its
        ``provenance_`` attribute.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_mgc import MLPClassifier
    >>> clf = MLPClassifier(max_epochs=2, hidden_sizes=(4,), random_state=0)
    >>> clf = clf.fit([[0.0], [1.0], [0.1], [0.9]], ["a", "b", "a", "b"])
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = save_model(clf, folder / "clf.skops", provenance={"random_state": 0})
    >>> back = load_model(folder / "clf.skops")
    >>> back.predict([[0.0], [1.0]]).tolist() == clf.predict([[0.0], [1.0]]).tolist()
    True
    >>> back.provenance_["random_state"]
    0
    """
    path = Path(path)
    if provenance is not None:
        model.provenance_ = dict(provenance)
    with atomic_write(path) as tmp:
        if path.suffix == ".skops":
            import skops.io as sio

            packed = _pack(model)
            try:
                sio.dump(packed, tmp, compression=zipfile.ZIP_DEFLATED)
            except (RuntimeError, TypeError) as exc:  # a torch part nested out of _pack's reach
                raise ValueError(
                    f"cannot save this {type(model).__name__} in the .skops format "
                    f"({type(exc).__name__}: {exc}): only the torch parts of one estimator or "
                    "of a Pipeline's own steps are stored as plain arrays; save the fitted "
                    "pipeline itself (a search's best_estimator_), or a .joblib file"
                ) from exc
        else:
            import joblib

            joblib.dump(model, tmp)
    return path


def _pack(model):
    """A copy of ``model`` whose torch parts are plain arrays and parameters."""
    if hasattr(model, "steps"):
        packed = copy.copy(model)
        packed.steps = [(name, _pack_step(est)) for name, est in model.steps]
        return packed
    return _pack_step(model)


def _pack_step(est):
    from .features._pretrained import PretrainedFeatures
    from .networks import BaseNetClassifier
    from .networks._packing import pack_net

    if isinstance(est, BaseNetClassifier) and hasattr(est, "net_"):
        out = _shallow_copy(est)
        out.net_ = {_PACKED: "net", **pack_net(est)}
        out.history_ = [dict(epoch) for epoch in est.history_]
        return out
    if isinstance(est, PretrainedFeatures) and getattr(est, "model_", None) is not None:
        out = _shallow_copy(est)
        out.__dict__.pop("feature_extractor_", None)
        out.model_ = _pack_encoder(est)
        return out
    return est


def _shallow_copy(est):
    # not copy.copy: an encoder's __getstate__/__setstate__ would rebuild its model
    out = object.__new__(type(est))
    out.__dict__.update(est.__dict__)
    return out


def _pack_encoder(est):
    from .features.huggingface import Wav2Vec2Features
    from .networks._packing import state_arrays

    packed = {_PACKED: "encoder"}
    if isinstance(est, Wav2Vec2Features):
        model = est.model_
        if est.dtype == "int8":  # int8 weights have no plain array form: store the float32 ones
            with _reloading(est):
                model = est._load_pretrained()[1]
            _check_rebuilds(est, model)
        packed["state"] = state_arrays(model.state_dict())
        packed["config"] = est.model_.config.to_dict()
        packed["feature_extractor"] = est.feature_extractor_.to_dict()
    else:  # EnCodecMAE: the checkpoint's own format, rebuilt as fit builds it
        from .features.encodecmae.hub import load_checkpoint
        from .features.encodecmae.model import build_from_checkpoint

        with _reloading(est):
            checkpoint = load_checkpoint(est.checkpoint_path_)
            model = build_from_checkpoint(checkpoint, name=os.fspath(est.model))[0]
        _check_rebuilds(est, model)
        packed["state"] = state_arrays(checkpoint["state_dict"])
        packed["config"] = str(checkpoint["config"])
    return packed


# The .skops file of an encoder stores the float32 weights it was built from (loading applies
# ``dtype`` to them again), so saving loads them once more and checks they rebuild the fitted
# encoder: a checkpoint overwritten or removed since fit is refused, never saved silently.
def _refusal(est, why):
    return ValueError(
        f"cannot save the encoder {est.model!r} in the .skops format: the file stores the "
        f"float32 weights it was built from, and {why}; save a .joblib file instead"
    )


@contextmanager
def _reloading(est):
    """Load an encoder's source weights again: torch's RNG untouched, an OSError refused."""
    import torch

    try:
        with torch.random.fork_rng(devices=[]):  # building a module draws random weights
            yield
    except OSError as exc:
        raise _refusal(est, f"they cannot be loaded again ({exc})") from None


def _check_rebuilds(est, model):
    """Check that ``model`` (float32, built as ``fit`` builds it) gives the fitted encoder."""
    import torch

    model = model.to(dtype=torch.float32).eval()
    built = est._apply_dtype(copy.deepcopy(model))
    if not _same_state(built.state_dict(), est.model_.state_dict()):
        raise _refusal(est, "those loaded now are not the ones the encoder was fitted with")


def _same_state(a, b):
    """Whether two state dicts (quantized tensors and packed parameters too) are equal."""
    return a.keys() == b.keys() and all(_same_entry(a[k], b[k]) for k in a)


def _same_entry(x, y):
    if isinstance(x, (tuple, list)):
        return type(x) is type(y) and len(x) == len(y) and all(map(_same_entry, x, y))
    if hasattr(x, "is_quantized"):
        if not hasattr(y, "is_quantized") or x.is_quantized != y.is_quantized:
            return False
        if x.is_quantized:
            x, y = x.dequantize(), y.dequantize()
        return x.shape == y.shape and bool((x.cpu() == y.cpu()).all())
    return x == y


# ---------------------------------------------------------------------------- loading
def load_model(path, *, device=None, trusted=()):
    """Load a pipeline saved by :func:`save_model` (or ``joblib.dump``).

    A ``.skops`` file is checked first: if it names a type that is neither scikit-learn's,
    numpy's nor in :func:`trusted_types`, a ValueError lists them and nothing is built.

    Parameters
    ----------
    path : str or os.PathLike
    device : str or None, default=None
        Move the model there (see :func:`set_device`). None keeps the saved device when it is
        available here, and otherwise moves to the CPU.
    trusted : iterable of str, default=()
        More types to trust in a ``.skops`` file (see :func:`trusted_types`).

    Returns
    -------
    model : Pipeline or estimator

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is not a model, or names untrusted types.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_mgc import MLPClassifier
    >>> clf = MLPClassifier(max_epochs=1, hidden_sizes=(4,), validation_fraction=None)
    >>> clf = clf.fit([[0.0], [1.0], [0.1], [0.9]], ["a", "b", "a", "b"])
    >>> path = save_model(clf, pathlib.Path(tempfile.mkdtemp()) / "clf.skops")
    >>> load_model(path, device="cpu").classes_.tolist()
    ['a', 'b']
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {os.fspath(path)!r} does not exist")
    try:
        if path.suffix == ".skops":
            model = _load_skops(path, trusted)
        else:
            import joblib

            with _storages_on_available_device():
                model = joblib.load(path)
    except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError) as exc:
        raise ValueError(
            f"{os.fspath(path)!r} is not a saved model, or is damaged (truncated?): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if device is None:
        _fallback(model)
    else:
        set_device(model, device)
    return model


def _fallback(model):
    """Move to the CPU the steps whose saved device is not available here."""
    import torch

    if torch.cuda.is_available():
        return
    for name, est in _steps(model):
        saved = str(getattr(est, "device", "cpu"))
        if saved.startswith("cuda"):
            set_device(_OneStep(est), "cpu")
            _log.warning("step %r was saved on %s, unavailable here: moved to cpu", name, saved)


class _OneStep:
    def __init__(self, est):
        self.steps = [("step", est)]


@contextmanager
def _storages_on_available_device():
    """Unpickle torch storages saved on a GPU onto the CPU when CUDA is unavailable."""
    import torch
    import torch.storage

    if torch.cuda.is_available():
        yield
        return
    original = torch.storage._load_from_bytes

    def on_cpu(b):
        return torch.load(io.BytesIO(b), map_location="cpu", weights_only=False)

    torch.storage._load_from_bytes = on_cpu
    try:
        yield
    finally:
        torch.storage._load_from_bytes = original


def _load_skops(path, extra):
    import skops.io as sio

    trusted = set(trusted_types(extra))
    untrusted = sio.get_untrusted_types(file=path)
    unknown = sorted(
        name for name in untrusted if name not in trusted and not name.startswith(_LIBRARIES)
    )
    if unknown:
        raise ValueError(
            f"refusing to load {os.fspath(path)!r}: it names types that are not trusted "
            f"({', '.join(unknown)}); nothing was loaded"
        )
    model = sio.load(path, trusted=list(untrusted))
    for _, est in _steps(model):
        _unpack_step(est)
    return model


def _unpack_step(est):
    packed = getattr(est, "net_", None)
    if isinstance(packed, dict) and packed.get(_PACKED) == "net":
        from skorch.history import History

        from .networks._packing import build_net

        device = resolve_device(getattr(est, "device", "cpu"))
        est.net_ = build_net(est, packed, device)
        est.history_ = est.net_.history = History(est.history_)
        return
    packed = getattr(est, "model_", None)
    if isinstance(packed, dict) and packed.get(_PACKED) == "encoder":
        _build_encoder(est, packed)


def _build_encoder(est, packed):
    import torch

    from .networks._packing import tensors

    device = resolve_device(getattr(est, "device", "cpu"))
    if "feature_extractor" in packed:
        import transformers

        config = transformers.AutoConfig.for_model(**packed["config"])
        with torch.random.fork_rng(devices=[]):
            model = transformers.AutoModel.from_config(config)
        kind = packed["feature_extractor"].get("feature_extractor_type", "")
        if not kind.endswith("FeatureExtractor") or not hasattr(transformers, kind):
            raise ValueError(f"unknown feature extractor type {kind!r}")
        est.feature_extractor_ = getattr(transformers, kind)(**packed["feature_extractor"])
        state = tensors(packed["state"])
    else:
        from .features.encodecmae.model import build_from_checkpoint

        checkpoint = {"config": packed["config"], "state_dict": tensors(packed["state"])}
        model, _ = build_from_checkpoint(checkpoint, name=os.fspath(est.model))
        state = None
    if state is not None:
        model.load_state_dict(state)
    # as fit builds it: dtype="int8" quantizes the float32 weights again, to the same ones
    est.model_ = est._apply_dtype(model.to(device=device, dtype=torch.float32).eval())
    if str(est.device) != device:
        est.set_params(device=device)
