"""The one list of the toolkit's representations and models, and small lookups over it.

Every other place that needs these names reads them from here: the lazy public namespace
(:mod:`sklearn_mgc`), the study (:mod:`sklearn_mgc.study`), the choices of the ``sklearn-mgc``
command and the estimator checks of the tests. This module is pure data: it imports nothing
heavy, and no class is imported until one is asked for (:func:`load_class`).

Examples
--------
>>> from sklearn_mgc import _registry
>>> _registry.representation_names()
('mel', 'mfcc', 'cqt', 'spectrum', 'wav2vec2', 'encodecmae')
>>> _registry.model("gru").class_name, _registry.model("gru").kind
('GRUClassifier', 'sequence')
"""

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "Representation",
    "Model",
    "Pooling",
    "REPRESENTATION_SPECS",
    "MODEL_SPECS",
    "POOLING",
    "representation",
    "model",
    "representation_names",
    "model_names",
    "public_classes",
    "load_class",
]


@dataclass(frozen=True)
class Representation:
    """A representation of the study: its study name, its class and how to get its weights."""

    name: str
    class_name: str
    module: str
    pretrained: bool = False
    default_model: str | None = None
    how_to_provide: str | None = None
    local_weights: str | None = None  # what a local copy of the weights is


@dataclass(frozen=True)
class Model:
    """A classifier of the study: its study name, its class, its input kind and settings."""

    name: str
    class_name: str
    module: str
    kind: str  # "vector": (n, n_features); "sequence": (n, n_frames, n_features)
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    # representations it runs on in the default grid (None: every one); a model named
    # explicitly runs on every representation
    default_on: tuple | None = None
    network: bool = True  # one of sklearn_mgc's networks (False: another library's class)


def _frozen(**params):
    return MappingProxyType(params)


_SPECTRAL = "sklearn_mgc.features.spectral"

REPRESENTATION_SPECS = (
    Representation("mel", "MelFeatures", _SPECTRAL),
    Representation("mfcc", "MFCCFeatures", _SPECTRAL),
    Representation("cqt", "CQTFeatures", _SPECTRAL),
    Representation("spectrum", "SpectrumFeatures", _SPECTRAL),
    Representation(
        "wav2vec2",
        "Wav2Vec2Features",
        "sklearn_mgc.features.huggingface",
        pretrained=True,
        default_model="facebook/wav2vec2-base",
        local_weights="folder (save_pretrained)",
        how_to_provide=(
            "to include it, pass a local copy (a folder written by save_pretrained) with "
            "--wav2vec2-model DIR (Python: pretrained={'wav2vec2': DIR}), or download "
            "'facebook/wav2vec2-base' once where huggingface.co is reachable"
        ),
    ),
    Representation(
        "encodecmae",
        "EnCodecMAEFeatures",
        "sklearn_mgc.features.encodecmae",
        pretrained=True,
        default_model="mel256-ec-base_st",
        local_weights=".pt file",
        how_to_provide=(
            "to include it, download https://huggingface.co/lpepino/encodecmae-v2/resolve/main/"
            "mel256-ec-base_st.pt and pass it with --encodecmae-model FILE.pt "
            "(Python: pretrained={'encodecmae': 'FILE.pt'})"
        ),
    ),
)

# the order is the study's: vector classifiers first, then the sequence networks
MODEL_SPECS = (
    Model(
        "rf",
        "RandomForestClassifier",
        "sklearn.ensemble",
        "vector",
        _frozen(n_estimators=300),
        network=False,
    ),
    Model(
        "mlp",
        "MLPClassifier",
        "sklearn_mgc.networks.mlp",
        "vector",
        _frozen(hidden_sizes=(256, 128, 64), dropout=0.3),
        default_on=("spectrum",),  # the reference study's MLP ran on the spectrum's mean
    ),
    Model("gru", "GRUClassifier", "sklearn_mgc.networks.rnn", "sequence", _frozen(hidden_size=32)),
    Model(
        "lstm", "LSTMClassifier", "sklearn_mgc.networks.rnn", "sequence", _frozen(hidden_size=32)
    ),
    Model(
        "cnn1d",
        "CNN1DClassifier",
        "sklearn_mgc.networks.cnn",
        "sequence",
        _frozen(channels=(64, 128), dense_size=64, dropout=0.3),
    ),
    Model(
        "cnn2d",
        "CNN2DClassifier",
        "sklearn_mgc.networks.cnn",
        "sequence",
        _frozen(channels=(4, 16), pool_size=4, lr=1e-2),
    ),
    Model(
        "transformer",
        "TransformerClassifier",
        "sklearn_mgc.networks.transformer",
        "sequence",
        _frozen(d_model=32, n_heads=4, n_layers=1, dim_feedforward=64),
    ),
)


@dataclass(frozen=True)
class Pooling:
    """The step that turns a sequence output into one vector per clip."""

    class_name: str
    module: str


#: The pooling step from sequences to vectors.
POOLING = Pooling("TemporalMean", "sklearn_mgc.features.pooling")

_REPRESENTATIONS = {r.name: r for r in REPRESENTATION_SPECS}
_MODELS = {m.name: m for m in MODEL_SPECS}


def representation_names():
    """Study names of the representations, in the study's order."""
    return tuple(_REPRESENTATIONS)


def model_names(kind=None):
    """Study names of the models (of one ``kind``, "vector" or "sequence"), in order."""
    return tuple(m.name for m in MODEL_SPECS if kind is None or m.kind == kind)


def representation(name):
    """The :class:`Representation` called ``name``; ValueError names the choices."""
    try:
        return _REPRESENTATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown representation {name!r}; choose among {list(_REPRESENTATIONS)}"
        ) from None


def model(name):
    """The :class:`Model` called ``name``; ValueError names the choices."""
    try:
        return _MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; choose among {list(_MODELS)}") from None


def public_classes():
    """``{public class name: defining module}`` of every class ``sklearn_mgc`` exports.

    Examples
    --------
    >>> from sklearn_mgc._registry import public_classes
    >>> public_classes()["TemporalMean"]
    'sklearn_mgc.features.pooling'
    """
    names = {r.class_name: r.module for r in REPRESENTATION_SPECS}
    names[POOLING.class_name] = POOLING.module
    names.update({m.class_name: m.module for m in MODEL_SPECS if m.network})
    return names


def load_class(spec):
    """Import and return the class a :class:`Representation`, :class:`Model` or
    :class:`Pooling` names."""
    return getattr(importlib.import_module(spec.module), spec.class_name)
