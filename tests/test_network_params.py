"""The networks' parameters: declared once, validated in ``fit`` with messages that name them."""

import inspect
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation
from torch import nn

from sklearn_mgc import networks
from sklearn_mgc.networks import BaseNetClassifier, GRUClassifier, LSTMClassifier
from sklearn_mgc.networks._params import OptimizerClass, SizeTuple

# every public network, from the package's own list
ALL = [
    getattr(networks, name)
    for name in networks.__all__
    if name.endswith("Classifier") and name != "BaseNetClassifier"
]
MLP, CNN1D, CNN2D, TRANSFORMER = (
    networks.MLPClassifier,
    networks.CNN1DClassifier,
    networks.CNN2DClassifier,
    networks.TransformerClassifier,
)


def toy(Est, n=12):
    rng = np.random.RandomState(0)
    y = np.array(["rock", "jazz"] * (n // 2))
    X = rng.randn(n, 4) if Est is MLP else rng.randn(n, 6, 4)
    return X.astype(np.float32), y


# --------------------------------------------------------------------------- declaration
@pytest.mark.parametrize("Est", ALL)
def test_signature_lists_every_parameter_keyword_only(Est):
    params = inspect.signature(Est).parameters
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
    # the training parameters are the base class's, the rest the architecture's
    base = inspect.signature(BaseNetClassifier).parameters
    assert set(base) <= set(params)
    assert set(params) == set(Est().get_params())
    assert set(Est._parameter_constraints) == set(params)
    defaults = {name: p.default for name, p in params.items()}
    assert Est().get_params() == defaults


@pytest.mark.parametrize("Est", ALL)
def test_init_stores_values_untouched(Est):
    marker = object()  # invalid, but __init__ neither checks nor copies
    clf = Est(random_state=marker, verbose=3)
    assert clf.random_state is marker and clf.verbose == 3
    with pytest.raises(TypeError, match=rf"{Est.__name__}: .*unexpected keyword .*'hidden'"):
        Est(hidden=3)
    with pytest.raises(TypeError, match=rf"{Est.__name__}: .*keyword-only"):
        Est(3)
    again = pickle.loads(pickle.dumps(Est(lr=0.5)))
    assert again.get_params() == Est(lr=0.5).get_params()
    assert clone(Est(lr=0.5)).lr == 0.5


def test_recurrent_networks_are_one_family():
    assert LSTMClassifier.__init__ is GRUClassifier.__init__
    assert LSTMClassifier().get_params() == GRUClassifier().get_params()
    assert LSTMClassifier().hidden_size == GRUClassifier().hidden_size == 32
    assert LSTMClassifier.get_test_params() == GRUClassifier.get_test_params()


def test_subclass_declarations_extend_and_custom_init_is_kept():
    class WideGRU(GRUClassifier):
        """A GRU with one more parameter."""

        _architecture_params = {"width": (2, [int])}

    clf = WideGRU(width=5, hidden_size=3)
    assert clf.get_params()["width"] == 5 and clf.get_params()["hidden_size"] == 3
    assert "width" in WideGRU._parameter_constraints
    assert "width" not in GRUClassifier._parameter_constraints

    class Custom(BaseNetClassifier):
        """A hand-written __init__ is left alone."""

        def __init__(self, *, k=1, **training):
            super().__init__(**training)
            self.k = k

    assert Custom(k=4, lr=0.1).get_params()["k"] == 4


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("Est", ALL)
def test_sklearn_param_validation_check(Est):
    # scikit-learn's own check: a constraint for each parameter, and an informative
    # InvalidParameterError for a value of a bad type or a bad value of each parameter
    check_param_validation(Est.__name__, Est(**Est.get_test_params()))


BAD_VALUES = [
    # (estimator, parameter, bad value, words of the message)
    (GRUClassifier, "hidden_size", 0, r"an int in the range \[1, inf\)"),
    (LSTMClassifier, "n_layers", 1.5, r"an int in the range \[1, inf\)"),
    (GRUClassifier, "dropout", 1.0, r"a float in the range \[0.0, 1.0\)"),
    (CNN1D, "channels", (8, 0), r"a tuple of ints >= 1 \(at least one\)"),
    (CNN2D, "channels", (), r"a tuple of ints >= 1 \(at least one\)"),
    (MLP, "hidden_sizes", "64", r"a tuple of ints >= 1"),
    (CNN1D, "kernel_size", 0, r"an int in the range \[1, inf\)"),
    (CNN2D, "pool_size", -2, r"an int in the range \[1, inf\)"),
    (CNN1D, "dense_size", None, r"an int in the range \[1, inf\)"),
    (TRANSFORMER, "d_model", 0, r"an int in the range \[1, inf\) or None"),
    (TRANSFORMER, "n_heads", 0, r"an int in the range \[1, inf\)"),
    (TRANSFORMER, "dim_feedforward", 2.0, r"an int in the range \[1, inf\)"),
    (TRANSFORMER, "attention_dropout", -0.1, r"a float in the range \[0.0, 1.0\)"),
    (TRANSFORMER, "positional_encoding", "rotary", r"'learned'"),
    (MLP, "max_epochs", 0, r"an int in the range \[1, inf\)"),
    (MLP, "batch_size", 0, r"an int in the range \[1, inf\)"),
    (GRUClassifier, "lr", -1.0, r"a float in the range \[0.0, inf\)"),
    (GRUClassifier, "weight_decay", "0.1", r"a float in the range \[0.0, inf\)"),
    (GRUClassifier, "optimizer", "lbfgs", r"'adamw'.* or a subclass of torch.optim.Optimizer"),
    (GRUClassifier, "optimizer", torch.optim.Adam, None),  # a class is valid
    (GRUClassifier, "optimizer", nn.Linear, r"a subclass of torch.optim.Optimizer"),
    (GRUClassifier, "grad_clip", 0.0, r"a float in the range \(0.0, inf\) or None"),
    (GRUClassifier, "validation_fraction", 1.0, r"a float in the range \[0.0, 1.0\) or None"),
    (GRUClassifier, "patience", 0, r"an int in the range \[1, inf\) or None"),
    (GRUClassifier, "class_weight", "auto", r"'balanced'"),
    (GRUClassifier, "device", 0, r"an instance of 'str'"),
    (GRUClassifier, "random_state", "0", r"an int"),
    (GRUClassifier, "verbose", -1, r"an int in the range \[0, inf\)"),
    (GRUClassifier, "standardize", "yes", r"an instance of 'bool'"),
]


@pytest.mark.parametrize(
    "Est, name, value, accepted", BAD_VALUES, ids=[f"{b[1]}={b[2]!r}" for b in BAD_VALUES]
)
def test_bad_value_names_the_parameter_and_accepted_values(Est, name, value, accepted):
    X, y = toy(Est)
    clf = Est(**{**Est.get_test_params(), "max_epochs": 1, name: value})
    if accepted is None:
        assert clf.fit(X, y).predict(X).shape == (len(X),)
        return
    match = rf"The '{name}' parameter of {Est.__name__} must be .*{accepted}.* Got .* instead"
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")


def test_valid_edge_values_train():
    X, y = toy(MLP)
    # no hidden layer: a linear model; validation_fraction=0: no split
    clf = MLP(hidden_sizes=(), validation_fraction=0.0, max_epochs=2).fit(X, y)
    assert len(clf.net_.module_.layers) == 1
    X, y = toy(CNN1D)
    clf = CNN1D(channels=[4, 4], dense_size=4, max_epochs=1, device=None)
    assert clf.fit(X, y).predict(X).shape == (len(X),)


def test_cross_parameter_rule_names_both():
    X, y = toy(TRANSFORMER)
    with pytest.raises(ValueError, match=r"n_heads=3 must divide .*d_model=8"):
        TRANSFORMER(d_model=8, n_heads=3, max_epochs=1).fit(X, y)


def test_custom_constraints():
    sizes = SizeTuple()
    assert sizes.is_satisfied_by((1, 2)) and sizes.is_satisfied_by([3])
    assert not sizes.is_satisfied_by(()) and not sizes.is_satisfied_by((2, True))
    assert not sizes.is_satisfied_by((2.0,)) and not sizes.is_satisfied_by(np.array([2]))
    assert SizeTuple(allow_empty=True).is_satisfied_by(())
    assert str(sizes) == "a tuple of ints >= 1 (at least one)"
    opt = OptimizerClass()
    assert opt.is_satisfied_by(torch.optim.SGD)
    assert not opt.is_satisfied_by("sgd") and not opt.is_satisfied_by(nn.Linear)
