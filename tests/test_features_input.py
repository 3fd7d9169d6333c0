"""Input forms, finite features (or a named error) and frame times of every representation."""

import os

import numpy as np
import pytest
import soundfile as sf

from sklearn_mgc import (
    CQTFeatures,
    EnCodecMAEFeatures,
    MelFeatures,
    MFCCFeatures,
    SpectrumFeatures,
    Wav2Vec2Features,
)
from sklearn_mgc.audio import AudioError

SR = 22050
SPECTRAL = [MelFeatures, MFCCFeatures, CQTFeatures, SpectrumFeatures]


@pytest.fixture(scope="module")
def wave():
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(SR)
    return (y / np.abs(y).max()).astype(np.float32)


@pytest.fixture
def files(tmp_path, wave):
    paths = []
    for i in range(2):
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, wave * (0.5 + 0.25 * i), SR, subtype="FLOAT")
        paths.append(str(path))
    return paths


# ------------------------------------------------------------------------------- input
def test_string_arrays_generators_and_bytes_paths_work(files):
    est = MelFeatures(duration=0.5)
    expected = est.fit_transform(files)
    forms = [
        np.array(files),  # <U, flat
        np.array(files)[:, None],  # <U, one column
        (p for p in files),  # a generator: read once, for fit and transform
        [os.fsencode(p) for p in files],  # bytes paths
        np.array([os.fsencode(p) for p in files]),  # |S
    ]
    for X in forms:
        np.testing.assert_array_equal(MelFeatures(duration=0.5).fit_transform(X), expected)


def test_string_array_of_several_columns_is_an_accurate_error(files):
    with pytest.raises(ValueError, match="array of strings of shape"):
        MelFeatures().fit_transform(np.array([files, files]))


def test_complex_waveforms_are_refused(wave):
    y = wave.astype(np.complex64) * 1j
    with pytest.raises(ValueError, match="X is complex"):
        MelFeatures(duration=0.5).fit_transform(y[None])
    with pytest.raises(ValueError, match="clip 1 is complex"):
        MelFeatures(duration=0.5).fit_transform([wave, y])


# ------------------------------------------------------------------------ loud audio
@pytest.mark.parametrize("cls", [MelFeatures, MFCCFeatures, CQTFeatures])
@pytest.mark.parametrize("gain", [1e18, 3e38])
def test_loud_audio_gives_finite_exact_features(cls, gain, wave):
    quiet = cls(output="sequence", duration=0.5).fit_transform(wave[None])
    loud = cls(output="sequence", duration=0.5).fit_transform((wave * np.float32(gain))[None])
    assert np.isfinite(loud).all()
    db = 20 * np.log10(np.float32(gain))
    if cls is MFCCFeatures:  # the gain is in the 0th coefficient only (the DCT of a constant)
        np.testing.assert_allclose(loud[..., 1:20], quiet[..., 1:20], atol=0.05)
    else:
        np.testing.assert_allclose(loud, quiet + db, atol=0.05, rtol=1e-4)


@pytest.mark.parametrize("gain", [1e18, 3e38])
def test_loud_spectrum(gain, wave):
    X = np.stack([wave, wave * np.float32(gain)])
    if gain < 1e30:  # a magnitude float32 holds
        out = SpectrumFeatures(duration=0.5).fit_transform(X)
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out[1], out[0] * np.float32(gain), rtol=1e-3)
        return
    with pytest.raises(AudioError, match="clip 1: SpectrumFeatures gives non-finite"):
        SpectrumFeatures(duration=0.5).fit_transform(X)
    est = SpectrumFeatures(duration=0.5, on_error="skip")
    with pytest.warns(UserWarning, match="skipped 1 of 2"):
        out = est.fit_transform(X)
    assert out.shape == (1, 2049) and np.isfinite(out).all()
    assert [s["index"] for s in est.skipped_] == [1]
    # the logarithm of the magnitude is representable: finite
    assert np.isfinite(SpectrumFeatures(duration=0.5, log=True).fit_transform(X)).all()


@pytest.mark.parametrize("cls", SPECTRAL)
def test_non_finite_frames_are_a_named_audio_error(cls, wave, monkeypatch):
    def nan_frames(self, y):
        return np.full((3, self.n_features_out_), np.nan)

    monkeypatch.setattr(cls, "_frames", nan_frames)
    with pytest.raises(AudioError, match="clip 0: .* non-finite features"):
        cls(duration=0.5).fit_transform(wave[None])
    with pytest.warns(UserWarning, match="skipped 1 of 1"):
        out = cls(duration=0.5, on_error="skip").fit_transform(wave[None])
    assert out.shape[0] == 0


@pytest.mark.parametrize("cls", [MelFeatures, SpectrumFeatures])
def test_duration_below_one_sample_is_the_clips_error_as_for_a_file(cls, wave, files):
    # a waveform cut to duration=1e-6 s (0 samples) gave one frame of silence (-100 dB in every
    # mel band) instead of the error the same clip as a file gives
    est = cls(duration=1e-6).fit([wave])
    for X in ([wave], files[:1]):
        with pytest.raises(AudioError, match="no samples"):
            est.transform(X)
    with pytest.warns(UserWarning, match="skipped 2 of 2"):
        out = cls(duration=1e-6, on_error="skip").fit_transform([wave, files[0]])
    assert out.shape[0] == 0


def test_pandas_output_of_a_dataframe_with_skipped_clips(files, tmp_path):
    # with set_output(transform="pandas"), skipping a clip of a DataFrame raised pandas'
    # "Shape of passed values is (2, 80), indices imply (3, 80)" after computing every clip
    pd = pytest.importorskip("pandas")
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    X = pd.DataFrame({"path": [files[0], str(bad), files[1]]}, index=[10, 11, 12])
    est = MelFeatures(duration=0.5, on_error="skip").set_output(transform="pandas")
    with pytest.warns(UserWarning, match="skipped 1 of 3"):
        out = est.fit_transform(X)
    assert list(out.index) == [10, 12] and list(out.columns) == ["mel0"] + [
        f"mel{i}" for i in range(1, 80)
    ]
    np.testing.assert_array_equal(out.to_numpy(), MelFeatures(duration=0.5).fit_transform(files))
    assert [s["index"] for s in est.skipped_] == [1]


# ----------------------------------------------------------------------- frame times
def _check_times(est, n_samples_at_model, sr, hop_s):
    est_times = est.frame_times(est._n_frames(n_samples_at_model))
    assert est_times.shape == (est._n_frames(n_samples_at_model),)
    assert np.all(np.diff(est_times) > 0)
    np.testing.assert_allclose(np.diff(est_times), hop_s, rtol=1e-9)
    duration = n_samples_at_model / sr
    assert 0 <= est_times[0] < hop_s + 0.05 and est_times[-1] <= duration + 1e-9


@pytest.mark.parametrize("cls", SPECTRAL)
def test_spectral_frame_times(cls, wave):
    est = cls(duration=1.0, hop_ms=10.0).fit(wave[None])
    out = est.set_params(output="sequence").transform(wave[None])
    times = est.frame_times(out.shape[1])
    assert times.shape == (out.shape[1],) and times[0] == 0.0
    np.testing.assert_allclose(np.diff(times), est._hop_length() / SR)
    _check_times(est, SR, SR, est._hop_length() / SR)
    assert est.frame_times(0).shape == (0,)
    with pytest.raises(ValueError, match="n_frames"):
        est.frame_times(-1)


def test_wav2vec2_frame_times():
    params = Wav2Vec2Features.get_test_params()
    est = Wav2Vec2Features(**{**params, "chunk_duration": None}).fit(np.zeros((1, 100)))
    hop = 80 / est.model_sr_  # strides 5 * 4 * 4 of the tiny model
    _check_times(est, est.model_sr_, est.model_sr_, hop)
    # first frame: the centre of the receptive field (60 samples)
    assert est.frame_times(1)[0] == pytest.approx(29.5 / est.model_sr_)
    # chunks of 0.5 s: frames continue the same clock
    chunked = Wav2Vec2Features(**params).fit(np.zeros((1, 100)))
    times = chunked.frame_times(chunked._n_frames(chunked.model_sr_))
    assert np.all(np.diff(times) > 0)
    np.testing.assert_allclose(times, est.frame_times(len(times)))


def test_encodecmae_frame_times():
    est = EnCodecMAEFeatures(**EnCodecMAEFeatures.get_test_params()).fit(np.zeros((1, 100)))
    front = est.model_.front_end
    _check_times(est, est.chunk_samples_, est.model_sr_, front.window_shift / est.model_sr_)
    # a clip of two chunks: the second chunk's frames start one chunk later
    per_chunk = est._n_frames(est.chunk_samples_)
    times = est.frame_times(2 * per_chunk)
    assert times[per_chunk] == pytest.approx(times[0] + est.chunk_samples_ / est.model_sr_)
    assert np.all(np.diff(times) > 0)
