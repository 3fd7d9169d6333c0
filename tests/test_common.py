"""scikit-learn's estimator checks over every public estimator that takes 2-D input.

Each estimator names its own cheap settings (``get_test_params``, as in sktime); the checks
that cannot pass by design are listed, with their reasons, in ``EXPECTED_FAILED`` below and
nowhere else. ``TemporalMean`` takes only 3-D sequences, which the checks never generate: it is
tested in ``test_pooling.py``.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_mgc
from sklearn_mgc import _registry
from sklearn_mgc.features import BaseFeatures

# every public representation and network, from the toolkit's one registry of names
REPRESENTATIONS = [r.class_name for r in _registry.REPRESENTATION_SPECS]
NETWORKS = [m.class_name for m in _registry.MODEL_SPECS if m.network]

_CLIPS_ANY_LENGTH = (
    "a representation takes clips of any length: a 2-D array's rows are waveforms, and rows of "
    "another length than in fit are valid input (they are cropped or padded to `duration`)"
)

# check name -> reason, per kind of estimator; the only place expected failures are listed
EXPECTED_FAILED = {
    "representation": {
        "check_n_features_in_after_fitting": _CLIPS_ANY_LENGTH,
        "check_transformer_general": _CLIPS_ANY_LENGTH,
        "check_transformer_general(readonly_memmap=True)": _CLIPS_ANY_LENGTH,
    },
    "network": {
        "check_methods_sample_order_invariance": (
            "the networks compute in float32: CPU kernels give predict_proba differences of about "
            "1e-8 depending on the rows' order, while the check allows rtol 1e-7 on float64 output "
            "(it passes on some CPUs, hence not strict)"
        ),
    },
}


def _estimators():
    for name in REPRESENTATIONS + NETWORKS:
        cls = getattr(sklearn_mgc, name)
        yield cls(**cls.get_test_params())


def _expected_failed(estimator):
    kind = "representation" if isinstance(estimator, BaseFeatures) else "network"
    return EXPECTED_FAILED[kind]


@parametrize_with_checks(list(_estimators()), expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", REPRESENTATIONS + NETWORKS)
def test_get_test_params_are_cheap_and_valid(name):
    cls = getattr(sklearn_mgc, name)
    params = cls.get_test_params()
    assert isinstance(params, dict)
    assert set(params) <= set(cls().get_params())


def test_public_api_is_complete():
    assert set(REPRESENTATIONS + NETWORKS + [_registry.POOLING.class_name]) <= set(
        sklearn_mgc.__all__
    )
    for name in sklearn_mgc.__all__:
        assert getattr(sklearn_mgc, name) is not None
    with pytest.raises(AttributeError):
        _ = sklearn_mgc.NotAThing
