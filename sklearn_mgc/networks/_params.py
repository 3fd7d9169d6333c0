"""Declared parameters of the networks: defaults, scikit-learn constraints and ``__init__``.

Each network declares its parameters once, as ``name: (default, constraints)`` where the
constraints are those of scikit-learn's ``_parameter_constraints`` (``Interval``,
``StrOptions``, ``None``, ``"boolean"``... and the two helpers below).
:func:`declare_params` turns such a declaration into what scikit-learn reads:

- an ``__init__`` whose ``__signature__`` lists every parameter, keyword-only, with its
  default (``get_params``, ``clone``, ``GridSearchCV`` and the docs read it), and which only
  stores the values, untouched, as attributes of the same names;
- ``_parameter_constraints``, checked by ``BaseEstimator._validate_params`` at the start of
  ``fit``: a bad value raises ``InvalidParameterError`` (a ``ValueError``) that names the
  parameter, the accepted values and the value given.
"""

import inspect
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, Options, StrOptions

__all__ = [
    "OPTIMIZERS",
    "TRAINING_PARAMS",
    "SizeTuple",
    "MaskSpec",
    "OptimizerClass",
    "positive_int",
    "fraction",
    "declare_params",
]

OPTIMIZERS = {
    "adamw": torch.optim.AdamW,
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


class SizeTuple(Options):
    """Constraint: a tuple (or list) of ints >= 1, such as layer sizes or channels.

    It subclasses ``Options`` only because scikit-learn's ``make_constraint`` accepts its own
    constraint kinds; ``is_satisfied_by`` and the message are its own.

    Parameters
    ----------
    allow_empty : bool, default=False
        Whether ``()`` is valid (an MLP without hidden layers is a linear model).
    """

    def __init__(self, *, allow_empty=False):
        super().__init__(tuple, set())
        self.allow_empty = allow_empty

    def is_satisfied_by(self, val):
        return (
            isinstance(val, tuple | list)
            and (self.allow_empty or len(val) > 0)
            and all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in val)
        )

    def __str__(self):
        return "a tuple of ints >= 1" + ("" if self.allow_empty else " (at least one)")


class MaskSpec(Options):
    """Constraint: a pair ``(n_masks, max_width)`` of ints >= 0 (SpecAugment-style masks)."""

    def __init__(self):
        super().__init__(tuple, set())

    def is_satisfied_by(self, val):
        return (
            isinstance(val, tuple | list)
            and len(val) == 2
            and all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 0 for v in val)
        )

    def __str__(self):
        return "a pair (n_masks, max_width) of ints >= 0"


class OptimizerClass(Options):
    """Constraint: a subclass of ``torch.optim.Optimizer`` (the class, not an instance)."""

    def __init__(self):
        super().__init__(type, set())

    def is_satisfied_by(self, val):
        return isinstance(val, type) and issubclass(val, torch.optim.Optimizer)

    def __str__(self):
        return "a subclass of torch.optim.Optimizer"


def positive_int():
    """Constraint list of an int >= 1 (a size, a count, a window)."""
    return [Interval(Integral, 1, None, closed="left")]


def fraction():
    """Constraint list of a dropout rate: a float in [0, 1)."""
    return [Interval(Real, 0, 1, closed="left")]


#: the training parameters every network shares: name -> (default, constraints)
TRAINING_PARAMS = {
    "max_epochs": (100, positive_int()),
    "batch_size": (32, positive_int()),
    "lr": (1e-3, [Interval(Real, 0, None, closed="left")]),
    "weight_decay": (0.01, [Interval(Real, 0, None, closed="left")]),
    "optimizer": ("adamw", [StrOptions(set(OPTIMIZERS)), OptimizerClass()]),
    "grad_clip": (1.0, [Interval(Real, 0, None, closed="neither"), None]),
    "validation_fraction": (0.2, [Interval(Real, 0, 1, closed="left"), None]),
    "patience": (10, [*positive_int(), None]),
    "class_weight": (None, [dict, StrOptions({"balanced"}), None]),
    "device": ("cpu", [str, torch.device, None]),
    "random_state": (None, ["random_state"]),
    "verbose": (0, ["verbose"]),
    "standardize": (True, ["boolean"]),
    "crop_frames": (None, [*positive_int(), None]),
    "crop_hop": (None, [*positive_int(), None]),
    "crops_per_clip": (1, positive_int()),
    "time_mask": ((0, 0), [MaskSpec()]),
    "freq_mask": ((0, 0), [MaskSpec()]),
    "mixup": (0.0, [Interval(Real, 0, None, closed="left")]),
    "lr_schedule": (None, [StrOptions({"cosine", "plateau", "onecycle"}), None]),
    "callbacks": (None, [list, None]),
}


def declare_params(cls, params):
    """Give ``cls`` the ``__init__`` and ``_parameter_constraints`` of ``params``.

    Parameters
    ----------
    cls : type
        The estimator class (modified in place).
    params : dict
        ``name -> (default, constraints)``, in the order of the signature.
    """
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    signature = inspect.Signature(
        [self_param]
        + [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
            for name, (default, _) in params.items()
        ]
    )

    def __init__(self, *args, **kwargs):
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as err:  # an unknown name, or a value passed by position
            raise TypeError(f"{type(self).__name__}: {err} (parameters are keyword-only)") from None
        bound.apply_defaults()
        for name in params:
            setattr(self, name, bound.arguments[name])

    __init__.__signature__ = signature
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    cls.__init__ = __init__
    cls._parameter_constraints = {name: list(c) for name, (_, c) in params.items()}
    return cls
