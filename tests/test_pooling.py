import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from sklearn_mgc import MFCCFeatures, TemporalMean


def test_temporal_mean_excludes_padding():
    X = np.zeros((2, 5, 3), dtype=np.float32)
    X[0, :2] = [1.0, 2.0, 3.0]
    X[1, :] = -1.0
    out = TemporalMean().fit_transform(X)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_allclose(out, [[1, 2, 3], [-1, -1, -1]])
    np.testing.assert_allclose(
        TemporalMean(ignore_padding=False).fit_transform(X)[0], [0.4, 0.8, 1.2]
    )
    # an all-padding sequence gives zeros, not NaN
    assert np.all(TemporalMean().fit_transform(np.zeros((1, 4, 2))) == 0)


def test_temporal_mean_errors_and_contract():
    X = np.ones((3, 4, 2))
    est = TemporalMean()
    with pytest.raises(NotFittedError):
        est.transform(X)
    est.fit(X)
    assert est.n_features_in_ == 2
    assert est.transform(X).dtype == np.float64
    with pytest.raises(ValueError, match="features per frame"):
        est.transform(np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="n_frames, n_features"):
        TemporalMean().fit(np.ones((3, 4)))
    assert list(est.get_feature_names_out()) == ["mean0", "mean1"]
    assert pickle.loads(pickle.dumps(est)).transform(X).shape == (3, 2)
    assert not hasattr(clone(est), "n_features_in_")


def test_temporal_mean_in_a_pipeline():
    from sklearn_mgc.datasets import make_genre_clips

    X, y = make_genre_clips(n_clips_per_genre=6, duration=2.0, random_state=1)
    pipe = make_pipeline(
        MFCCFeatures(output="sequence", duration=2.0),
        TemporalMean(),
        RandomForestClassifier(random_state=0),
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
