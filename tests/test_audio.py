import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from sklearn_mgc.audio import (
    AudioError,
    check_waveform,
    fix_length,
    load_audio,
    resample,
    stream_audio,
)
from sklearn_mgc.audio import _core as audio_core
from sklearn_mgc.audio import _decode as audio_decode


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


def test_load_audio_no_sample_left_is_an_error_naming_the_file(tmp_path):
    # a file too short to give one sample at the target rate (one sample at 48 kHz read at
    # 16 kHz) came back as an empty waveform, silently, where "holds no samples" is promised;
    # a representation then gave it a row of features computed from nothing
    from sklearn_mgc import MelFeatures

    path = tmp_path / "one_sample.wav"
    sf.write(path, np.full(1, 0.5), 48000, subtype="FLOAT")
    with pytest.raises(AudioError, match="one_sample.wav.*no samples at 16000 Hz"):
        load_audio(path, sr=16000)
    with pytest.raises(AudioError, match="one_sample.wav.*no samples at 16000 Hz"):
        list(stream_audio(path, sr=16000))
    with pytest.raises(AudioError, match="one_sample.wav"):
        MelFeatures(sr=16000, duration=None).fit_transform([path])
    skipping = MelFeatures(sr=16000, on_error="skip").fit([path])
    with pytest.warns(UserWarning, match="skipped 1 of 1"):
        assert skipping.transform([path]).shape == (0, 80)
    assert "no samples at 16000 Hz" in str(skipping.skipped_)
    # the same file at its own rate is one sample
    assert load_audio(path, sr=48000).shape == (1,)
    assert sum(len(b) for b in stream_audio(path, sr=48000)) == 1


def test_load_audio_offset_past_the_end_says_so(tmp_path):
    # an offset past the end was reported as a file that "holds no samples", as if it were empty
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(8000, 0.5), 8000)
    with pytest.raises(AudioError, match=r"tone.wav.*no samples after offset=2.0 s"):
        load_audio(path, sr=8000, offset=2.0)
    with pytest.raises(AudioError, match=r"tone.wav.*no samples after offset=2.0 s"):
        list(stream_audio(path, sr=8000, offset=2.0))


def test_check_waveform():
    assert check_waveform([1, 2, 3]).dtype == np.float32
    np.testing.assert_array_equal(check_waveform(np.ones((5, 2))), np.ones(5))
    with pytest.raises(AudioError, match="mine is empty"):
        check_waveform([], name="mine")
    with pytest.raises(AudioError, match="NaN"):
        check_waveform([0.0, np.inf])
    with pytest.raises(AudioError, match="1-D"):
        check_waveform(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_32", "PCM_U8"])
def test_integer_pcm_in_memory_reads_as_the_same_samples_from_a_file(tmp_path, subtype):
    # int16 arrays (scipy.io.wavfile.read) were taken as they are: log-mel 90 dB above the
    # same clip read from a file
    import scipy.io.wavfile

    from sklearn_mgc import MelFeatures

    rng = np.random.default_rng(0)
    y = (0.4 * np.sin(np.arange(8000) / 7.0) + 0.05 * rng.standard_normal(8000)).astype(np.float32)
    path = tmp_path / "clip.wav"
    sf.write(path, y, 8000, subtype=subtype)
    sr, pcm = scipy.io.wavfile.read(path)
    assert pcm.dtype == {"PCM_16": np.int16, "PCM_32": np.int32, "PCM_U8": np.uint8}[subtype]
    from_file = load_audio(path, sr=8000)
    np.testing.assert_allclose(check_waveform(pcm), from_file, atol=1e-7)
    feat = MelFeatures(sr=8000, duration=None).fit([path])
    np.testing.assert_allclose(feat.transform([pcm]), feat.transform([path]), atol=1e-4)
    # other numbers keep their values
    assert check_waveform(np.array([3, -2], dtype=np.int64)).tolist() == [3.0, -2.0]


def test_resample_and_fix_length():
    y = np.sin(np.linspace(0, 100, 22050)).astype(np.float32)
    assert resample(y, orig_sr=22050, target_sr=22050) is not None
    assert resample(y, orig_sr=22050, target_sr=11025).shape == (11025,)
    np.testing.assert_array_equal(fix_length(np.arange(3), 5), [0, 1, 2, 0, 0])
    np.testing.assert_array_equal(fix_length(np.arange(5), 2), [0, 1])
    assert fix_length(np.ones((2, 3)), 4).shape == (4, 3)


# ------------------------------------------------------------------ hardening (issue 13)
def _isolated(code, timeout=60):
    """Run ``code`` in a fresh interpreter: a crash or a hang fails the test, not pytest."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=os.getcwd(),
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung for more than {timeout} s")
    assert proc.returncode == 0, f"status {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout.strip()


def _load_message(path, **kwargs):
    try:
        load_audio(path, **kwargs)
    except AudioError as exc:
        return str(exc)
    pytest.fail("no AudioError")


def test_header_sampling_rate_of_1_hz_is_refused(tmp_path):
    path = tmp_path / "one_hz.wav"
    sf.write(path, np.zeros(100_000, dtype=np.float32), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    struct.pack_into("<II", data, 24, 1, 2)  # sample rate 1 Hz, byte rate 2
    path.write_bytes(bytes(data))
    out = _isolated(
        f"""
        from sklearn_mgc.audio import AudioError, load_audio
        try:
            load_audio({str(path)!r}, sr=22050)
        except AudioError as exc:
            print(exc)
        """
    )
    assert "one_hz.wav" in out and "1 Hz" in out and "sampling rate" in out


def test_flac_claiming_2_36_samples_is_an_audio_error(tmp_path):
    path = tmp_path / "huge.flac"
    sf.write(path, np.zeros(4096, dtype=np.float32), 22050, format="FLAC")
    data = bytearray(path.read_bytes())
    packed = int.from_bytes(data[18:26], "big")  # sr(20) channels(3) bps(5) total(36)
    data[18:26] = (packed | (2**36 - 1)).to_bytes(8, "big")
    path.write_bytes(bytes(data))
    msg = _load_message(path)
    assert "huge.flac" in msg and "limit" in msg


def test_too_many_channels_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_core, "MAX_CHANNELS", 4)
    monkeypatch.setattr(audio_decode, "MAX_CHANNELS", 4)
    path = tmp_path / "wide.wav"
    sf.write(path, np.zeros((100, 5), dtype=np.float32), 8000)
    assert "5 channels" in _load_message(path)


def test_resampling_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(audio_core, "MAX_SAMPLES", 1000)
    with pytest.raises(AudioError, match="above the limit"):
        resample(np.zeros(600, dtype=np.float32), orig_sr=8000, target_sr=16000)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    out = _isolated(
        f"""
        from sklearn_mgc.audio import AudioError, load_audio
        try:
            load_audio({str(fifo)!r})
        except AudioError as exc:
            print(exc)
        """,
        timeout=30,
    )
    assert "pipe.wav" in out and "not a regular file" in out


def test_directories_and_devices_are_refused(tmp_path):
    assert "is a directory" in _load_message(tmp_path)
    if os.path.exists("/dev/null"):
        assert "not a regular file" in _load_message("/dev/null")


def test_missing_files_say_no_such_file(tmp_path):
    assert _load_message(tmp_path / "missing.wav").startswith("no such file")
    assert "missing.wav" in _load_message(tmp_path / "missing.wav")
    link = tmp_path / "dangling.wav"
    link.symlink_to(tmp_path / "gone.wav")
    msg = _load_message(link)
    assert "no such file" in msg and "dangling.wav" in msg and "symbolic link" in msg
    assert "no such file" in _load_message("")


def test_truncated_mp3_says_cannot_decode(tmp_path):
    full = tmp_path / "full.mp3"
    sf.write(full, _tone(22050, 1.0), 22050, format="MP3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[:50])
    msg = _load_message(cut)
    assert "cannot decode" in msg and "cut.mp3" in msg
    assert "does not exist" not in msg


def test_non_utf8_file_names(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.wav"
    with open(raw, "wb") as f:
        sf.write(f, _tone(8000, 0.5), 8000, format="WAV")
    for path in (raw, os.fsdecode(raw)):
        y = load_audio(path, sr=8000)
        assert y.shape == (4000,)
    missing = os.fsencode(tmp_path) + b"/gon\xe9.wav"
    msg = _load_message(missing)
    assert "no such file" in msg and "gon\\xe9.wav" in msg
    msg.encode("utf-8")  # printable


def test_stream_audio_matches_load_audio(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_decode, "BLOCK", 1000)
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(44100, 1.0, channels=2), 44100)
    whole = load_audio(path, sr=22050, offset=0.1, duration=0.7)
    blocks = list(stream_audio(path, sr=22050, offset=0.1, duration=0.7))
    assert len(blocks) > 5
    streamed = np.concatenate(blocks)
    assert streamed.shape == whole.shape
    np.testing.assert_allclose(streamed[100:-100], whole[100:-100], atol=1e-3)


# ------------------------------------------------------- every common format (issue 10)
def _chirp(sr, seconds=2.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * (200 + 200 * t) * t)).astype(np.float32)


def _encode(path, y, sr, codec, channels=2):
    """Encode ``y`` with FFmpeg through PyAV (the container is chosen by the suffix)."""
    av = pytest.importorskip("av")
    layout = "mono" if channels == 1 else "stereo"
    data = np.ascontiguousarray(np.tile(y, (channels, 1)))
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        stream.bit_rate = 128_000
        ctx = stream.codec_context
        to_codec = av.AudioResampler(format=ctx.format, layout=layout, rate=sr)
        n = ctx.frame_size or 1024
        frames = []
        for i in range(0, data.shape[1], n):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data[:, i : i + n]), format="fltp", layout=layout
            )
            frame.sample_rate, frame.pts = sr, i
            frames += to_codec.resample(frame)
        frames += to_codec.resample(None)
        for frame in [*frames, None]:
            for packet in stream.encode(frame):
                out.mux(packet)


def _similarity(y, ref, max_lag=4096):
    """Largest normalised cross-correlation within ``max_lag`` samples (codec delays)."""
    c = scipy.signal.correlate(y, ref, mode="full")
    lags = np.arange(-len(ref) + 1, len(y))
    c = c[np.abs(lags) <= max_lag]
    return np.abs(c).max() / np.sqrt((y**2).sum() * (ref**2).sum())


FFMPEG_FORMATS = [
    ("m4a", "aac", 44100),
    ("mp4", "aac", 44100),
    ("opus", "libopus", 48000),
    ("webm", "libopus", 48000),
    ("wma", "wmav2", 44100),
]


@pytest.mark.parametrize("ext,codec,rate", FFMPEG_FORMATS)
def test_ffmpeg_formats(tmp_path, ext, codec, rate):
    path = tmp_path / f"chirp.{ext}"
    _encode(path, _chirp(rate), rate, codec)
    y = load_audio(path, sr=22050)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 2 * 22050) < 0.1 * 22050
    assert _similarity(y, _chirp(22050)) > 0.9
    part = load_audio(path, sr=16000, offset=0.5, duration=0.75)
    assert part.shape == (12000,)
    assert _similarity(part, _chirp(16000)[8000:20000], max_lag=2048) > 0.8
    streamed = np.concatenate(list(stream_audio(path, sr=22050)))
    assert abs(len(streamed) - len(y)) < 64


def test_mfcc_reads_ffmpeg_formats(tmp_path):
    from sklearn_mgc import MFCCFeatures

    paths = []
    for ext, codec, rate in FFMPEG_FORMATS[:3]:
        paths.append(tmp_path / f"chirp.{ext}")
        _encode(paths[-1], _chirp(rate), rate, codec)
    out = MFCCFeatures(duration=1.0).fit_transform(paths)
    assert out.shape == (3, 60) and np.isfinite(out).all()


def test_undecodable_by_both_decoders_names_the_file(tmp_path):
    path = tmp_path / "noise.m4a"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    msg = _load_message(path)
    assert "cannot decode" in msg and "noise.m4a" in msg and "FFmpeg" in msg


def test_sample_limit_applies_to_whole_decoding_not_to_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_decode, "MAX_SAMPLES", 5000)
    path = tmp_path / "long.wav"
    sf.write(path, _tone(8000, 1.0), 8000)
    assert "above the limit" in _load_message(path, sr=8000)
    assert load_audio(path, sr=8000, duration=0.5).shape == (4000,)  # the part asked for
    assert sum(len(b) for b in stream_audio(path, sr=8000)) == 8000
