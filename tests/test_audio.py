import numpy as np
import pytest
import soundfile as sf

from sklearn_mgc.audio import AudioError, check_waveform, fix_length, load_audio, resample


def _tone(sr, seconds, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    y = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.stack([y] * channels, axis=1) if channels > 1 else y


@pytest.mark.parametrize(
    "ext,fmt", [("wav", "WAV"), ("flac", "FLAC"), ("ogg", "OGG"), ("au", "AU"), ("mp3", "MP3")]
)
def test_load_audio_formats(tmp_path, ext, fmt):
    path = tmp_path / f"tone.{ext}"
    sf.write(path, _tone(22050, 1.0, channels=2), 22050, format=fmt)
    y = load_audio(path, sr=22050)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 22050) < 2000  # mp3 adds codec delay
    assert 0.2 < np.abs(y).max() <= 1.0


def test_load_audio_resamples_crops_and_offsets(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(44100, 2.0), 44100)
    assert load_audio(path, sr=16000).shape == (32000,)
    assert load_audio(path, sr=16000, duration=0.5).shape == (8000,)
    assert load_audio(path, sr=16000, offset=1.5).shape == (8000,)
    assert load_audio(path, sr=16000, duration=10.0).shape == (32000,)  # never padded


def test_load_audio_mixes_to_mono(tmp_path):
    path = tmp_path / "stereo.wav"
    left = np.full(1000, 0.5)
    sf.write(path, np.stack([left, -left], axis=1), 8000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path, sr=8000), 0.0, atol=1e-7)


def test_load_audio_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(AudioError, match="missing.wav"):
        load_audio(missing)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    with pytest.raises(AudioError, match="corrupt.wav"):
        load_audio(corrupt)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 8000)
    with pytest.raises(AudioError, match="empty.wav.*no samples"):
        load_audio(empty)
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.array([0.0, np.nan, 0.1]), 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="nan.wav.*NaN"):
        load_audio(nan)


def test_check_waveform():
    assert check_waveform([1, 2, 3]).dtype == np.float32
    np.testing.assert_array_equal(check_waveform(np.ones((5, 2))), np.ones(5))
    with pytest.raises(AudioError, match="mine is empty"):
        check_waveform([], name="mine")
    with pytest.raises(AudioError, match="NaN"):
        check_waveform([0.0, np.inf])
    with pytest.raises(AudioError, match="1-D"):
        check_waveform(np.zeros((2, 2, 2)))


def test_resample_and_fix_length():
    y = np.sin(np.linspace(0, 100, 22050)).astype(np.float32)
    assert resample(y, orig_sr=22050, target_sr=22050) is not None
    assert resample(y, orig_sr=22050, target_sr=11025).shape == (11025,)
    np.testing.assert_array_equal(fix_length(np.arange(3), 5), [0, 1, 2, 0, 0])
    np.testing.assert_array_equal(fix_length(np.arange(5), 2), [0, 1])
    assert fix_length(np.ones((2, 3)), 4).shape == (4, 3)
