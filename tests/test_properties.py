"""Property-based tests (hypothesis) of the frame arithmetic every representation relies on."""

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_mgc import CQTFeatures, MelFeatures, MFCCFeatures, SpectrumFeatures, TemporalMean
from sklearn_mgc.audio import AudioError, fix_length

SR = 8000
REPRESENTATIONS = st.sampled_from(
    [
        MelFeatures(sr=SR, n_mels=16, duration=2.0),
        MFCCFeatures(sr=SR, n_mels=32, duration=2.0),
        CQTFeatures(sr=SR, n_bins=24, duration=2.0),
        SpectrumFeatures(sr=SR, n_fft=256, duration=2.0),
    ]
)


@settings(max_examples=25, deadline=None)
@given(
    est=REPRESENTATIONS, n_samples=st.integers(1, 3 * SR), hop_ms=st.sampled_from([5.0, 10.0, 16.0])
)
def test_frames_announced_match_frames_computed(est, n_samples, hop_ms):
    est = est.set_params(hop_ms=hop_ms).fit([np.zeros(1, np.float32)])
    y = np.random.default_rng(n_samples).standard_normal(n_samples).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa warns when n_fft exceeds a short clip
        try:
            frames = est._frames(y)
        except AudioError as exc:  # only the CQT's lowest octaves need a minimum length
            assert isinstance(est, CQTFeatures) and "too short" in str(exc)
            return
        seq = est.set_params(output="sequence").transform([y])
        mean = est.set_params(output="mean").transform([y])
    assert frames.shape == (est._n_frames(n_samples), est.n_features_out_)
    # every clip is padded or cropped to the frames of `duration`, and the mean skips padding
    assert seq.shape == (1, est._n_frames(2 * SR), est.n_features_out_)
    kept = est._frames(y[: 2 * SR])  # a longer clip is cropped before its frames are computed
    np.testing.assert_allclose(mean[0], kept.mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(seq[0, : kept.shape[0]], kept, rtol=1e-4, atol=1e-4)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 50), target=st.integers(0, 50), width=st.integers(1, 3))
def test_fix_length(n, target, width):
    y = np.arange(1, n * width + 1, dtype=float).reshape(n, width)
    out = fix_length(y, target)
    assert out.shape == (target, width)
    k = min(n, target)
    np.testing.assert_array_equal(out[:k], y[:k])
    assert np.all(out[k:] == 0)


@settings(max_examples=50, deadline=None)
@given(lengths=st.lists(st.integers(1, 12), min_size=1, max_size=5), n_features=st.integers(1, 4))
def test_temporal_mean_ignores_padding(lengths, n_features):
    rng = np.random.default_rng(sum(lengths))
    X = np.zeros((len(lengths), 12, n_features))
    for i, t in enumerate(lengths):
        X[i, :t] = rng.uniform(0.5, 1.5, size=(t, n_features))  # real frames are never all zero
    out = TemporalMean().fit_transform(X)
    expected = [X[i, :t].mean(axis=0) for i, t in enumerate(lengths)]
    np.testing.assert_allclose(out, expected)
