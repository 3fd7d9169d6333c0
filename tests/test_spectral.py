import os
import pickle
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf
from joblib import Memory
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

import sklearn_mgc.features._base as base_module
from sklearn_mgc import CQTFeatures, MelFeatures, MFCCFeatures, SpectrumFeatures, TemporalMean
from sklearn_mgc._cache import FeatureCache
from sklearn_mgc.audio import AudioError
from sklearn_mgc.audio import _decode as audio_decode

SR = 22050
ALL = [MelFeatures, MFCCFeatures, CQTFeatures, SpectrumFeatures]
N_FEATURES = {MelFeatures: 80, MFCCFeatures: 60, CQTFeatures: 84, SpectrumFeatures: 2049}


@pytest.fixture(scope="module")
def waves():
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    return np.stack(
        [np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal(SR) for f in (220, 440, 880)]
    ).astype(np.float32)


@pytest.fixture
def wav_files(tmp_path, waves):
    paths = []
    for i, y in enumerate(waves):
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, y, SR, subtype="FLOAT")
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("cls", ALL)
def test_shapes_and_dtype(cls, waves):
    mean = cls(duration=1.0).fit_transform(waves)
    assert mean.shape == (3, N_FEATURES[cls]) and mean.dtype == np.float32
    seq = cls(output="sequence", duration=1.0).fit_transform(waves)
    hop = int(round(0.010 * SR))
    assert seq.shape == (3, 1 + SR // hop, N_FEATURES[cls]) and seq.dtype == np.float32
    assert np.isfinite(seq).all()
    # mean output is the mean of the real frames
    np.testing.assert_allclose(seq.mean(axis=1), mean, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("cls", ALL)
def test_short_clips_are_padded_and_excluded_from_the_mean(cls, waves):
    short = list(waves[:, : SR // 2])
    est = cls(output="sequence", duration=1.0).fit(short)
    seq = est.transform(short)
    n_real = 1 + (SR // 2) // int(round(0.010 * SR))
    assert seq.shape[1] == 1 + SR // int(round(0.010 * SR))
    assert np.all(seq[:, n_real:] == 0)
    mean = est.set_params(output="mean").transform(short)
    np.testing.assert_allclose(mean, seq[:, :n_real].mean(axis=1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(TemporalMean().fit_transform(seq), mean, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("log", [False, True])
def test_spectrum_of_trailing_digital_silence_is_not_padding(log, tmp_path, monkeypatch):
    # the magnitude spectrum of digital silence is all zero, the padding mark: a clip ending in
    # silence lost those real frames in TemporalMean (and the networks' masking), whose mean
    # then differed from output="mean" by 68 % here, silently
    from sklearn_mgc.features import _blocks

    t = np.arange(SR // 2) / SR
    y = np.concatenate([0.5 * np.sin(2 * np.pi * 440 * t), np.zeros(SR // 2)]).astype(np.float32)
    est = SpectrumFeatures(output="sequence", duration=1.0, log=log).fit([y])
    seq = est.transform([y])
    assert seq.shape == (1, 101, 2049)
    mean = est.set_params(output="mean").transform([y])
    np.testing.assert_allclose(TemporalMean().fit_transform(seq), mean, rtol=1e-5, atol=1e-7)
    assert seq[0].any(axis=1).all()  # every real frame tells itself from padding
    # the sound's own frames are librosa's magnitudes, unchanged
    S = np.abs(librosa.stft(y, n_fft=4096, hop_length=220)).T
    S = np.log1p(S) if log else S
    sound = S.any(axis=1)
    np.testing.assert_allclose(seq[0][sound], S[sound], rtol=1e-5, atol=1e-6)
    # the block-wise mean of a long file agrees with the whole one
    path = tmp_path / "ends_silent.wav"
    sf.write(path, np.tile(y, 3), SR, subtype="FLOAT")
    whole = SpectrumFeatures(duration=None, log=log).fit_transform([path])
    monkeypatch.setattr(_blocks, "BLOCK_SECONDS", 0.5)
    blocks = SpectrumFeatures(duration=None, log=log).fit_transform([path])
    np.testing.assert_allclose(blocks, whole, rtol=1e-5, atol=1e-7)


def test_sequence_frame_count_rounds_duration_to_samples(waves):
    # the documented count read 1 + int(duration * sr) // hop_length, one frame short of the
    # output where duration * sr rounds up across a hop (the clip is cut to round(duration * sr))
    duration = 21999.6 / SR  # 21999.6 samples: int gives 21999 (100 frames), round 22000 (101)
    est = MelFeatures(output="sequence", duration=duration).fit(waves)
    seq = est.transform(waves)
    assert seq.shape[1] == 1 + round(duration * SR) // 220 == 101
    assert np.abs(seq).min(axis=2).min() > 0  # the last frame is real, not padding
    assert "1 + round(duration * sr) // hop_length" in MelFeatures.__doc__


@pytest.mark.parametrize("cls", [MelFeatures, MFCCFeatures])
def test_features_do_not_depend_on_blas_threads_or_n_jobs(cls, waves):
    # the mel filterbank product rounded with the number of BLAS threads: n_jobs=2 (whose
    # workers joblib gives fewer threads) differed from n_jobs=1 by up to 2.9e-6 (log-mel)
    # and 1.5e-5 (MFCC), and so did machines with different core counts
    from threadpoolctl import threadpool_limits

    est = cls(output="sequence", duration=1.0).fit(waves)
    with threadpool_limits(limits=1, user_api="blas"):
        one = est.transform(waves)
    with threadpool_limits(limits=2, user_api="blas"):
        two = est.transform(waves)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(est.set_params(n_jobs=2).transform(waves), two)


def test_transform_after_set_params_changing_the_features_asks_for_fit(waves, tmp_path):
    # set_params(n_mels=40) without fit gave 40 columns while n_features_out_ and the feature
    # names said 80, and every cache entry it wrote was then reported damaged and recomputed
    from sklearn.exceptions import NotFittedError

    est = MelFeatures(duration=1.0, cache_dir=tmp_path).fit(waves).set_params(n_mels=40)
    with pytest.raises(NotFittedError, match="fitted for 80 features per frame, .* now give 40"):
        est.transform(waves)
    assert est.fit(waves).transform(waves).shape == (3, 40)
    est.set_params(hop_ms=20.0, output="sequence")  # same features per frame: no refit needed
    assert est.transform(waves).shape == (3, 1 + SR // 441, 40)


def test_mel_matches_librosa(waves):
    y = waves[0]
    ref = librosa.power_to_db(
        librosa.feature.melspectrogram(
            y=y, sr=SR, n_fft=1024, hop_length=220, win_length=551, n_mels=80
        ),
        ref=1.0,
        top_db=None,
    ).T
    got = MelFeatures(output="sequence", duration=1.0).fit_transform([y])[0]
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-4)


def test_mfcc_deltas_and_spectrum_magnitude(waves):
    y = waves[1]
    got = MFCCFeatures(output="sequence", duration=1.0).fit_transform([y])[0]
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=1024, hop_length=220, win_length=551)
    np.testing.assert_allclose(got[:, :20], mfcc.T, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(got[:, 20:40], librosa.feature.delta(mfcc).T, rtol=1e-4, atol=1e-3)
    assert MFCCFeatures(delta_order=0).fit_transform([y]).shape == (1, 20)
    spec = SpectrumFeatures(duration=1.0).fit_transform([y])[0]
    # a 440 Hz tone peaks in the bin nearest 440 Hz
    assert abs(np.argmax(spec) * SR / 4096 - 440) < SR / 4096


def test_whole_clip_spectrum_not_just_the_start():
    # the first 0.19 s are silent: a study-style single FFT would see nothing
    y = np.zeros(SR, dtype=np.float32)
    y[SR // 2 :] = np.sin(2 * np.pi * 1000 * np.arange(SR // 2) / SR)
    spec = SpectrumFeatures().fit_transform([y])[0]
    assert abs(np.argmax(spec) * SR / 4096 - 1000) < SR / 4096


def test_files_equal_arrays(waves, wav_files):
    a = MelFeatures(duration=1.0).fit_transform(wav_files)
    b = MelFeatures(duration=1.0).fit_transform(waves)
    np.testing.assert_allclose(a, b, atol=1e-3)


def test_files_are_resampled(tmp_path, waves):
    path = tmp_path / "hi.wav"
    sf.write(path, librosa.resample(waves[0], orig_sr=SR, target_sr=44100), 44100)
    a = MelFeatures(duration=1.0).fit_transform([str(path)])[0]
    b = MelFeatures(duration=1.0).fit_transform(waves[:1])[0]
    strong = b > b.max() - 30  # the bands that hold the tone, not the band-limited noise floor
    assert strong.sum() >= 5
    np.testing.assert_allclose(a[strong], b[strong], atol=0.5)


def test_input_forms(waves, wav_files):
    est = MelFeatures(duration=1.0).fit(waves)
    ref = est.transform(waves)
    np.testing.assert_allclose(est.transform(list(waves)), ref)
    np.testing.assert_allclose(est.transform(np.array(list(waves), dtype=object)), ref)
    mixed = est.transform([wav_files[0], waves[1]])
    assert mixed.shape == (2, 80)
    with pytest.raises(TypeError, match="single path"):
        est.transform(wav_files[0])
    with pytest.raises(ValueError, match="Reshape"):
        est.transform(waves[0])
    with pytest.raises(TypeError, match="clip 1"):
        est.transform([waves[0], 3.0])
    with pytest.raises(ValueError, match="no clips"):
        est.transform([])


def test_bad_parameters(waves):
    with pytest.raises(ValueError, match="output"):
        MelFeatures(output="median").fit(waves)
    with pytest.raises(ValueError, match="on_error"):
        MelFeatures(on_error="ignore").fit(waves)
    with pytest.raises(ValueError, match="duration"):
        MelFeatures(duration=-1).fit(waves)
    with pytest.raises(ValueError, match="hop_ms"):
        MFCCFeatures(hop_ms=0).fit(waves)
    with pytest.raises(ValueError, match="window"):
        MelFeatures(n_fft=256).fit(waves)
    with pytest.raises(ValueError, match="Nyquist"):
        CQTFeatures(n_bins=200).fit(waves)
    with pytest.raises(ValueError, match="delta_order"):
        MFCCFeatures(delta_order=3).fit(waves)


def test_on_error_raise_names_the_file(wav_files, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    est = MelFeatures(duration=1.0).fit(wav_files)
    with pytest.raises(AudioError, match="broken.wav"):
        est.transform([wav_files[0], str(bad)])
    with pytest.raises(AudioError, match="nothere.wav"):
        est.transform([str(tmp_path / "nothere.wav")])


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_on_error_skip_reports_and_keeps_the_rest(wav_files, tmp_path, waves, n_jobs):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    est = MelFeatures(duration=1.0, on_error="skip", n_jobs=n_jobs).fit(wav_files)
    with pytest.warns(UserWarning, match="skipped 2 of 5 clips.*broken.wav"):
        out = est.transform(
            [wav_files[0], str(bad), wav_files[1], np.full(100, np.nan), wav_files[2]]
        )
    assert out.shape == (3, 80)
    np.testing.assert_allclose(out, MelFeatures(duration=1.0).fit_transform(wav_files), rtol=1e-5)
    assert [s["index"] for s in est.skipped_] == [1, 3]
    assert est.skipped_[0]["clip"].endswith("broken.wav") and "decode" in est.skipped_[0]["error"]
    assert "NaN" in est.skipped_[1]["error"]
    # a clean call resets the record
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.transform(wav_files)
    assert est.skipped_ == []


def test_n_jobs_gives_the_same_result(wav_files):
    a = MFCCFeatures(output="sequence", duration=1.0).fit_transform(wav_files)
    b = MFCCFeatures(output="sequence", duration=1.0, n_jobs=2).fit_transform(wav_files)
    # workers run BLAS single-threaded, so sums may differ in the last bits
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


def test_cache_second_pass_reads_only_the_cache(wav_files, tmp_path, monkeypatch, waves):
    cache = tmp_path / "cache"
    est = MFCCFeatures(output="sequence", duration=1.0, cache_dir=cache)
    first = est.fit_transform(wav_files)
    entries = list(cache.rglob("*.mgc"))
    assert len(entries) == 3
    assert not list(cache.rglob("*.tmp"))

    def boom(*args, **kwargs):
        raise AssertionError("decoded a cached clip")

    monkeypatch.setattr(base_module, "load_audio", boom)
    monkeypatch.setattr(MFCCFeatures, "_frames", boom)
    np.testing.assert_array_equal(clone(est).fit_transform(wav_files), first)
    # a joblib.Memory is accepted as the cache location
    np.testing.assert_array_equal(
        clone(est).set_params(cache_dir=Memory(cache, verbose=0)).fit_transform(wav_files), first
    )
    # the output mode is not part of the key: the mean reuses the same entries, and keeps
    # each clip's mean beside its frames, so that a second mean pass reads only vectors
    mean = clone(est).set_params(output="mean").fit_transform(wav_files)
    np.testing.assert_allclose(mean, first.mean(axis=1), rtol=1e-5)
    means = list(cache.rglob("*-mean.mgc"))
    key = means[0].name[: -len("-mean.mgc")]
    assert len(means) == 3 and FeatureCache(cache, "MFCCFeatures").get(key + "-mean").shape == (60,)
    for entry in entries:
        entry.unlink()  # frames gone: the mean pass must not need them
    np.testing.assert_array_equal(
        clone(est).set_params(output="mean").fit_transform(wav_files), mean
    )
    monkeypatch.undo()
    # a parameter that changes the frames gives new entries
    MFCCFeatures(output="sequence", duration=1.0, n_mfcc=13, cache_dir=cache).fit_transform(
        wav_files
    )
    assert len(list(cache.rglob("*.mgc"))) == 3 + 3  # the 3 means above and 3 new frame entries
    # a modified file is recomputed
    sf.write(wav_files[0], waves[2], SR, subtype="FLOAT")
    os.utime(wav_files[0], ns=(1, 1))
    again = clone(est).fit_transform(wav_files)
    np.testing.assert_allclose(again[0], first[2], atol=1e-3)


def test_cache_with_arrays_and_parallel_writers(tmp_path, waves):
    cache = tmp_path / "cache"
    a = MelFeatures(duration=1.0, cache_dir=cache, n_jobs=2).fit_transform(
        np.concatenate([waves, waves])
    )
    # identical clips share their entries (frames and mean)
    assert len(list(cache.rglob("*.mgc"))) == 3 * 2
    assert not list(cache.rglob("*.tmp"))
    b = MelFeatures(duration=1.0, cache_dir=cache).fit_transform(waves)
    np.testing.assert_array_equal(a[:3], b)


def test_interrupted_write_leaves_no_entry(tmp_path, monkeypatch, waves):
    from sklearn_mgc import _cache

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_cache, "_write_bytes", fail)
    with pytest.raises(KeyboardInterrupt):
        MelFeatures(duration=1.0, cache_dir=tmp_path).fit_transform(waves)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_feature_names_clone_pickle(waves):
    est = MFCCFeatures(duration=1.0).fit(waves)
    names = est.get_feature_names_out()
    assert names[0] == "mfcc0" and len(names) == 60
    assert pickle.loads(pickle.dumps(est)).transform(waves).shape == (3, 60)
    assert not hasattr(clone(est), "n_features_out_")
    with pytest.raises(ValueError, match="mean"):
        est.set_params(output="sequence").get_feature_names_out()


def test_duration_none_pads_to_longest(waves):
    clips = [waves[0], waves[1, : SR // 2]]
    seq = MelFeatures(output="sequence", duration=None).fit_transform(clips)
    assert seq.shape == (2, 1 + SR // 220, 80)


def test_verbose_shows_progress(waves, capsys):
    MelFeatures(duration=1.0, verbose=1).fit_transform(waves)
    assert "MelFeatures" in capsys.readouterr().err


def test_pipeline_cross_val_score_synthetic():
    from sklearn_mgc.datasets import make_genre_clips

    X, y = make_genre_clips(n_clips_per_genre=8, duration=3.0, random_state=0)
    pipe = Pipeline(
        [("feat", MFCCFeatures(duration=3.0)), ("clf", RandomForestClassifier(random_state=0))]
    )
    scores = cross_val_score(pipe, X, y, cv=4)
    assert scores.mean() > 0.7


def test_pipeline_cross_val_score_real_clips(gtzan_mini):
    from sklearn_mgc.datasets import load_gtzan

    data = load_gtzan(gtzan_mini)
    pipe = Pipeline(
        [
            ("feat", MFCCFeatures(duration=10.0, n_jobs=2)),
            ("clf", RandomForestClassifier(random_state=0)),
        ]
    )
    scores = cross_val_score(pipe, data.filenames, data.target, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.15  # 10 genres: chance is 0.1


def test_cache_dir_expands_the_home_folder(tmp_path, monkeypatch, waves):
    monkeypatch.setenv("HOME", str(tmp_path))
    MelFeatures(duration=1.0, cache_dir="~/mgc-cache").fit_transform(waves)
    assert len(list((tmp_path / "mgc-cache").rglob("*.mgc"))) == 3 * 2  # frames and means
    assert not (tmp_path / "~").exists()


def test_clip_too_short_for_the_cqt_is_a_named_audio_error():
    # librosa refuses a clip shorter than its lowest octave's downsampling needs
    # (found by hypothesis)
    est = CQTFeatures(sr=8000, n_bins=24, hop_ms=5.0, duration=1.0).fit([np.zeros(10, np.float32)])
    clips = [np.ones(8000, np.float32), np.ones(1, np.float32)]
    with pytest.raises(AudioError, match="clip 1: too short for CQTFeatures"):
        est.transform(clips)
    est.set_params(on_error="skip")
    with pytest.warns(UserWarning, match="skipped 1 of 2"):
        assert est.transform(clips).shape == (1, 24)


# one bad value of each kind, for every declared parameter of the spectral representations
BAD_VALUES = [
    (MelFeatures, "output", "median"),
    (MelFeatures, "sr", 0),
    (MelFeatures, "sr", 22050.0),
    (MelFeatures, "duration", 0),
    (MelFeatures, "duration", "30"),
    (MelFeatures, "n_jobs", 1.5),
    (MelFeatures, "cache_dir", 3),
    (MelFeatures, "verbose", "loud"),
    (MelFeatures, "on_error", "ignore"),
    (MelFeatures, "n_mels", 0),
    (MelFeatures, "hop_ms", -1.0),
    (MelFeatures, "win_ms", 0),
    (MelFeatures, "n_fft", 0),
    (MelFeatures, "n_fft", 512.0),
    (MelFeatures, "fmin", -1.0),
    (MelFeatures, "fmax", 0),
    (MFCCFeatures, "n_mfcc", 0),
    (MFCCFeatures, "delta_order", 3),
    (MFCCFeatures, "delta_width", 1),
    (MFCCFeatures, "n_fft", "auto"),
    (CQTFeatures, "n_bins", 0),
    (CQTFeatures, "bins_per_octave", 0),
    (CQTFeatures, "fmin", 0.0),
    (CQTFeatures, "hop_ms", None),
    (SpectrumFeatures, "n_fft", None),
    (SpectrumFeatures, "log", "yes"),
    (TemporalMean, "ignore_padding", "yes"),
]


@pytest.mark.parametrize(
    "cls, name, value", BAD_VALUES, ids=[f"{c.__name__}-{n}-{v!r}" for c, n, v in BAD_VALUES]
)
def test_bad_value_names_the_parameter_and_the_accepted_values(waves, cls, name, value):
    from sklearn.utils._param_validation import InvalidParameterError

    X = waves[:, None, :100] if cls is TemporalMean else waves
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter of {cls.__name__} must"):
        cls(**{name: value}).fit(X)


@pytest.mark.parametrize("cls", ALL + [TemporalMean])
def test_every_parameter_has_declared_constraints(cls):
    assert set(cls._parameter_constraints) == set(cls().get_params())


def test_cross_parameter_checks_name_the_parameters(waves):
    with pytest.raises(ValueError, match=r"window \(win_ms=25.0 ms = 551 samples\).*n_fft=256"):
        MelFeatures(n_fft=256).fit(waves)
    with pytest.raises(ValueError, match=r"fmax=100.0 must be above fmin=200.0"):
        MFCCFeatures(fmin=200.0, fmax=100.0).fit(waves)
    # fmin at or above sr / 2 with fmax=None passed: every clip was skipped as "non-finite"
    # (fmin=11025) or gave -100 dB in every band (fmin=15000); fmax above sr / 2 gave empty
    # (constant -100 dB) top bands
    for fmin in (11025.0, 15000.0):
        with pytest.raises(ValueError, match=r"fmax=None \(sr / 2 = 11025.0\) must be above"):
            MelFeatures(fmin=fmin).fit(waves)
    with pytest.raises(ValueError, match=r"fmax=20000.0 Hz is above the Nyquist .* sr=16000"):
        MFCCFeatures(fmax=20000.0, sr=16000).fit(waves)
    MelFeatures(fmax=11025.0, n_mels=8).fit(waves)  # up to the Nyquist frequency is fine
    with pytest.raises(ValueError, match="delta_width must be odd, got 4"):
        MFCCFeatures(delta_width=4).fit(waves)
    # n_mfcc above n_mels passed: the mean had 60 columns where n_features_out_ and the feature
    # names said 120, and the sequence output failed to broadcast (101, 60) into (101, 120)
    with pytest.raises(ValueError, match="n_mfcc=40 must not exceed n_mels=20"):
        MFCCFeatures(n_mfcc=40, n_mels=20).fit(waves)
    assert MFCCFeatures(n_mfcc=20, n_mels=20, duration=1.0).fit_transform(waves).shape == (3, 60)
    with pytest.raises(ValueError, match=r"n_bins=200 .* Nyquist frequency of sr=22050"):
        CQTFeatures(n_bins=200).fit(waves)
    # a short window fits a small FFT; the spectrum's window is n_fft itself
    assert MelFeatures(n_fft=256, win_ms=10.0).fit(waves).n_features_out_ == 80
    assert SpectrumFeatures(n_fft=64).fit(waves).n_features_out_ == 33


# ------------------------------------------------ long files, failures of one clip (issue 13)
@pytest.fixture(scope="module")
def long_file(tmp_path_factory):
    """12 s at 44.1 kHz (resampled to 22050 Hz), with digital silence (the MFCC floor acts)."""
    sr = 44100
    rng = np.random.default_rng(1)
    t = np.arange(12 * sr) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t) * (1 + np.sin(t)) + 0.05 * rng.standard_normal(len(t))
    y[2 * sr : 3 * sr] = 0
    path = tmp_path_factory.mktemp("long") / "long.wav"
    sf.write(path, y.astype(np.float32), sr, subtype="FLOAT")
    return str(path)


@pytest.mark.parametrize("cls", [MFCCFeatures, MelFeatures, SpectrumFeatures])
def test_long_file_mean_in_blocks_equals_the_whole_mean(cls, long_file, monkeypatch):
    from sklearn_mgc.features import _blocks

    whole = cls(duration=None).fit_transform([long_file])  # shorter than two blocks: whole
    monkeypatch.setattr(_blocks, "BLOCK_SECONDS", 1.5)

    def boom(*args, **kwargs):
        raise AssertionError("decoded the long file whole")

    monkeypatch.setattr(base_module, "load_audio", boom)
    blocks = cls(duration=None).fit_transform([long_file])
    np.testing.assert_allclose(blocks, whole, rtol=1e-4, atol=1e-4 * np.abs(whole).max())
    # sequence output keeps every frame, and its mean is the same
    monkeypatch.undo()
    seq = cls(duration=None, output="sequence").fit_transform([long_file])
    np.testing.assert_allclose(seq[0].mean(axis=0), blocks[0], rtol=1e-4, atol=1e-3)


def test_long_file_mean_holds_one_block_in_memory(long_file, monkeypatch):
    import tracemalloc

    from sklearn_mgc.features import _blocks

    monkeypatch.setattr(audio_decode, "BLOCK", 4096)  # samples read from the file at a time

    def peak(block_seconds):
        monkeypatch.setattr(_blocks, "BLOCK_SECONDS", block_seconds)
        tracemalloc.start()
        MFCCFeatures(duration=None).fit_transform([long_file])
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    assert peak(1.0) < peak(100.0) / 3


def test_memory_error_of_one_clip_is_that_clips_failure(wav_files, monkeypatch):
    real = base_module.load_audio

    def load(path, **kwargs):
        if path == wav_files[1]:
            raise MemoryError("Unable to allocate 256. GiB")
        return real(path, **kwargs)

    monkeypatch.setattr(base_module, "load_audio", load)
    est = MFCCFeatures(duration=1.0, on_error="skip")
    with pytest.warns(UserWarning, match="skipped 1 of 3"):
        out = est.fit_transform(wav_files)
    assert out.shape == (2, 60) and np.isfinite(out).all()
    assert est.skipped_[0]["index"] == 1 and "not enough memory" in est.skipped_[0]["error"]
    with pytest.raises(AudioError, match="clip1.wav.*not enough memory"):
        MFCCFeatures(duration=1.0).fit_transform(wav_files)


def test_header_claiming_2_36_samples_is_skipped(wav_files, tmp_path):
    bad = tmp_path / "huge.flac"
    sf.write(bad, np.zeros(4096, dtype=np.float32), SR, format="FLAC")
    data = bytearray(bad.read_bytes())
    data[18:26] = (int.from_bytes(data[18:26], "big") | (2**36 - 1)).to_bytes(8, "big")
    bad.write_bytes(bytes(data))
    for output in ("mean", "sequence"):
        est = MFCCFeatures(duration=None, on_error="skip", output=output)
        with pytest.warns(UserWarning, match="skipped 1 of 3"):
            out = est.fit_transform([wav_files[0], str(bad), wav_files[1]])
        assert len(out) == 2 and "huge.flac" in est.skipped_[0]["clip"]
