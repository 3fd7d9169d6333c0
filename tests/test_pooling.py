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


def test_temporal_mean_keeps_all_zero_frames_inside_a_clip():
    """Only trailing all-zero frames are padding: silence inside a clip is averaged in."""
    X = np.zeros((2, 6, 2), dtype=np.float32)
    X[0, [0, 3]] = [2.0, 4.0]  # frames 1-2 (silence) are real, 4-5 are padding
    X[1, 5] = 6.0  # a clip that starts silent and ends on a sound
    np.testing.assert_allclose(TemporalMean().fit_transform(X), [[1.0, 2.0], [1.0, 1.0]])


def test_temporal_mean_equals_the_representations_mean_on_silence():
    """A magnitude spectrum of digital silence is (almost) zero: it must count as frames."""
    from sklearn_mgc import SpectrumFeatures

    sr = 8000
    y = np.random.default_rng(0).normal(size=3 * sr).astype(np.float32) * 0.1
    y[sr : 2 * sr] = 0.0  # one second of digital silence in the middle
    feat = SpectrumFeatures(sr=sr, n_fft=512, duration=3.0)
    seq = feat.set_params(output="sequence").fit_transform([y])
    silent = np.abs(seq[0]).max(axis=1) < 1e-30  # the silence: float32's tiny, not 0 (padding)
    assert silent.sum() > 10 and np.all(np.any(seq[0] != 0, axis=1))
    mean = feat.set_params(output="mean").fit_transform([y])
    np.testing.assert_allclose(TemporalMean().fit_transform(seq), mean, rtol=1e-5, atol=1e-6)


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
    assert list(est.get_feature_names_out(["a", "b"])) == ["a", "b"]
    # three names for two features were returned as they were, naming columns that do not exist
    with pytest.raises(ValueError, match="length equal to number of features"):
        est.get_feature_names_out(["a", "b", "c"])
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
