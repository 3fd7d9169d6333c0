"""sklearn_mgc: a lightweight scikit-learn-compatible toolkit for music genre classification.

Every audio representation is a scikit-learn transformer (``sklearn_mgc.features``) and every
neural network a skorch-backed scikit-learn classifier (``sklearn_mgc.networks``), so that any
representation plugs into any classifier inside a :class:`~sklearn.pipeline.Pipeline`,
:class:`~sklearn.model_selection.GridSearchCV` or :func:`~sklearn.model_selection.cross_val_score`.

The public names are imported lazily: ``import sklearn_mgc`` is cheap, and torch or
transformers are only imported when a name that needs them is first used.
"""

import importlib

from ._registry import public_classes

__version__ = "0.1.0.dev0"

# public name -> module that defines it (the representations, TemporalMean and the networks,
# from the one registry of the toolkit's names)
_LAZY = public_classes()

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sklearn_mgc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
