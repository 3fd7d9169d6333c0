"""Tests of the command on a music library: `embed`, `predict` on folders with timelines and
formats, per-file failures of any kind, and an unfitted model."""

import csv
import io
import json

import joblib
import numpy as np
import pytest
import soundfile as sf

from sklearn_mgc.audio import load_audio
from sklearn_mgc.cli import main
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.persistence import save_model
from sklearn_mgc.study import make_classifier, make_pipeline, make_representation
from sklearn_mgc.study.predict import predict_files, predict_track_proba, window_bounds

SR = 22050
GENRES = ["jazz", "metal"]


def _wave(seconds, sr=SR, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 330 * t) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32
    )


def _encode_av(path, y, sr, codec, container, sample_format):
    """Encode a mono waveform with PyAV (m4a/AAC, Opus), as a user's library holds them."""
    import av

    data = y[None].astype(np.float32)
    if sample_format == "s16":
        data = (data * 32767).astype(np.int16)
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=sr)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(data, format=sample_format, layout="mono")
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def _write_tree(root, *, compressed):
    """A library: nested folders of WAV, FLAC, MP3, OGG (and M4A, Opus), a corrupt file and a
    text file that is not audio. Returns the relative paths of the good audio files."""
    files = {
        "rock/a.wav": ("WAV", 1.5),
        "rock/live/b.flac": ("FLAC", 1.2),
        "c.mp3": ("MP3", 1.5),
        "jazz/d.ogg": ("OGG", 1.0),
    }
    for rel, (fmt, seconds) in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, _wave(seconds, seed=len(rel)), SR, format=fmt)
    good = list(files)
    if compressed:
        _encode_av(root / "jazz/e.m4a", _wave(1.5, 48000), 48000, "aac", "mp4", "fltp")
        _encode_av(root / "f.opus", _wave(1.5, 48000), 48000, "libopus", "ogg", "s16")
        good += ["jazz/e.m4a", "f.opus"]
    (root / "rock/broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    (root / "notes.txt").write_text("not audio")
    return sorted(good)


COMPRESSED = pytest.param(True, id="with-m4a-opus")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    X, y = make_genre_clips(4, duration=0.5, genres=GENRES, random_state=0)
    pipe = make_pipeline(
        make_representation("mfcc", duration=0.5, output="mean"),
        make_classifier("rf", random_state=0),
        model="rf",
    ).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model.skops"
    save_model(pipe, path)
    return path


@pytest.mark.parametrize("compressed", [pytest.param(False, id="wav-flac-mp3-ogg"), COMPRESSED])
def test_embed_then_predict_a_mixed_tree(compressed, model_path, tmp_path, capsys, monkeypatch):
    music = tmp_path / "music"
    good = _write_tree(music, compressed=compressed)
    out = tmp_path / "emb"
    capsys.readouterr()
    assert main(["embed", str(music), "--feature", "mfcc", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() == f"embed: {len(good)} written, 0 skipped, 1 failed"
    errors = [line for line in captured.err.splitlines() if "cannot embed" in line]
    assert len(errors) == 1 and "broken.wav" in errors[0]  # only the corrupt file failed
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.npz"))
    assert written == sorted(str(rel.rsplit(".", 1)[0]) + ".npz" for rel in good)
    with np.load(out / "rock" / "a.npz") as npz:
        emb, times = npz["embedding"], npz["timestamps"]
        assert emb.dtype == np.float32 and emb.shape == (151, 60)  # 1.5 s, 10 ms hop, whole
        np.testing.assert_allclose(times[:3], np.arange(3) * 220 / SR)  # hop: 220 samples
        assert times.shape == (151,) and int(npz["sr"]) == SR
        params = json.loads(str(npz["params"]))
        assert params["class"] == "MFCCFeatures" and params["duration"] is None
        assert str(npz["model"]) == "mfcc" and str(npz["checksum"]) == "mfcc"

    # a rerun writes nothing and decodes no file
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.npz")}
    decoded = []
    import sklearn_mgc.features._base as base

    monkeypatch.setattr(
        base, "load_audio", lambda *a, **k: decoded.append(a) or load_audio(*a, **k)
    )
    assert main(["embed", str(music), "--feature", "mfcc", "--out", str(out)]) == 1
    summary = capsys.readouterr().out.strip()
    assert summary == f"embed: 0 written, {len(good)} skipped, 1 failed"
    assert len(decoded) == 1  # only the corrupt file, which has no output, is tried again
    broken = (music / "rock" / "broken.wav").read_bytes()
    (music / "rock" / "broken.wav").unlink()
    decoded.clear()
    assert main(["embed", str(music), "--feature", "mfcc", "--out", str(out)]) == 0
    assert decoded == []  # nothing decoded, nothing written
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.npz")} == mtimes
    capsys.readouterr()
    (music / "rock" / "broken.wav").write_bytes(broken)

    status = main(["predict", str(model_path), str(music), "--per-window", "--format", "json"])
    assert status == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    by_name = {entry["file"].split("music/")[1]: entry for entry in doc}
    assert sorted(by_name) == sorted([*good, "rock/broken.wav"])
    assert "error" in by_name["rock/broken.wav"]
    for rel in good:
        entry = by_name[rel]
        assert entry["genre"] in GENRES and len(entry["timeline"]) == entry["windows"] >= 2
        first = entry["timeline"][0]
        assert first["start"] == 0.0 and first["end"] == pytest.approx(0.5, abs=1e-3)
        assert sum(first["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert "1 of" in captured.err.splitlines()[-1]


def test_embed_mean_duration_overwrite_and_single_files(tmp_path, capsys):
    sf.write(tmp_path / "song.wav", _wave(2.0), SR)
    out = tmp_path / "out"
    args = ["embed", str(tmp_path / "song.wav"), "--out", str(out), "--feature", "mel"]
    assert main([*args, "--mean", "--duration", "1.0", "-q"]) == 0
    with np.load(out / "song.npz") as npz:
        assert npz["embedding"].shape == (80,) and npz["timestamps"].shape == (101,)
    assert main([*args, "-q"]) == 0
    assert capsys.readouterr().out.strip().endswith("0 written, 1 skipped, 0 failed")
    assert main([*args, "--overwrite", "-q"]) == 0
    with np.load(out / "song.npz") as npz:
        assert npz["embedding"].shape == (201, 80)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


def test_embed_in_parallel_gives_each_file_its_own_frames(tmp_path, capsys):
    for i, seconds in enumerate((0.5, 1.0, 2.0)):
        sf.write(tmp_path / f"song{i}.wav", _wave(seconds), SR)
    base = ["embed", str(tmp_path), "--feature", "mfcc", "--duration", "1.5", "-q"]
    assert main([*base, "--out", str(tmp_path / "one"), "--n-jobs", "1"]) == 0
    assert main([*base, "--out", str(tmp_path / "two"), "--n-jobs", "2"]) == 0
    for i, n_frames in enumerate((51, 101, 151)):  # cut at 1.5 s, never padded
        one, two = (np.load(tmp_path / run / f"song{i}.npz") for run in ("one", "two"))
        with one as a, two as b:
            assert a["embedding"].shape == (n_frames, 60)
            assert a["timestamps"].shape == (n_frames,)
            # workers sum in another order (their BLAS threads): float32 rounding apart
            np.testing.assert_allclose(a["embedding"], b["embedding"], atol=1e-4)
            assert str(a["source"]) == str(b["source"]) == str(tmp_path / f"song{i}.wav")


def test_embed_with_a_saved_model_representation(model_path, tmp_path, capsys):
    sf.write(tmp_path / "song.wav", _wave(1.0), SR)
    out = tmp_path / "out"
    assert main(["embed", str(tmp_path), "--model", str(model_path), "--out", str(out)]) == 0
    with np.load(out / "song.npz") as npz:
        assert npz["embedding"].shape == (101, 60)


def test_predict_formats_hop_and_output(model_path, tmp_path, capsys):
    sf.write(tmp_path / "a.wav", _wave(1.5), SR)
    capsys.readouterr()
    assert main(["predict", str(model_path), str(tmp_path), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["file", "genre", "probability", "windows", *GENRES]
    assert rows[1][3] == "3"
    target = tmp_path / "out" / "timeline.csv"
    argv = ["predict", str(model_path), str(tmp_path / "a.wav"), "--hop", "0.25"]
    assert main([*argv, "--per-window", "--format", "csv", "--output", str(target)]) == 0
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["file", "start", "end", *GENRES]
    assert [float(r[1]) for r in rows[1:]] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert capsys.readouterr().out == ""
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["windows"] == 5
    assert main([*argv, "--per-window"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and lines[1].startswith("  0.00-0.50\tjazz ")


def test_predict_keeps_going_after_any_failure(model_path, tmp_path, capsys, monkeypatch):
    import sklearn_mgc.cli.predict as cli_predict

    for name in ("a", "b", "c", "d"):
        sf.write(tmp_path / f"{name}.wav", _wave(1.0), SR)
    real = cli_predict.predict_track_proba

    def flaky(model, path, **kw):
        if path.name == "a.wav":
            raise MemoryError("Unable to allocate 256 GiB")
        if path.name == "c.wav":
            raise KeyError("internal")
        return real(model, path, **kw)

    monkeypatch.setattr(cli_predict, "predict_track_proba", flaky)
    assert main(["predict", str(model_path), str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert [line.split("\t")[0].rsplit("/", 1)[1] for line in captured.out.splitlines()] == [
        "b.wav",
        "d.wav",
    ]
    err = captured.err.splitlines()
    assert "a.wav: cannot classify: out of memory" in err[0]
    assert "unexpected KeyError" in err[1]
    assert "2 of 4 files" in err[-1] and "KeyError" in err[-1]


def test_unfitted_model_says_it_was_never_fitted(tmp_path, capsys):
    pipe = make_pipeline(make_representation("mfcc"), make_classifier("rf"), model="rf")
    joblib.dump(pipe, tmp_path / "unfitted.joblib")
    assert main(["predict", str(tmp_path / "unfitted.joblib"), "x.wav"]) == 1
    err = capsys.readouterr().err
    assert "was never fitted" in err and "Traceback" not in err


def test_predict_files_keeps_the_others_after_a_memory_error():
    class Flaky:
        steps = [("f", object())]

        def predict(self, clips):
            if "boom" in clips:
                raise MemoryError("no memory")
            return [c.upper() for c in clips]

    pred, failures = predict_files(Flaky(), ["a", "b", "boom", "c"], batch_size=2)
    assert pred.tolist() == ["A", "B", "C"]
    assert failures == [{"index": 2, "clip": "boom", "error": "out of memory: no memory"}]


def test_evaluate_keeps_going_and_exits_non_zero(model_path, tmp_path, capsys, monkeypatch):
    for genre in GENRES:
        (tmp_path / "data" / genre).mkdir(parents=True)
        for i in range(2):
            sf.write(tmp_path / "data" / genre / f"{genre}.{i:05d}.wav", _wave(0.5, seed=i), SR)
    import sklearn_mgc.study.predict as study_predict

    real = study_predict._predict_batch

    def flaky(pipeline, batch):
        if any("metal.00001" in str(c) for c in batch):
            raise MemoryError("no memory")
        return real(pipeline, batch)

    monkeypatch.setattr(study_predict, "_predict_batch", flaky)
    argv = ["evaluate", str(model_path), "--data", str(tmp_path / "data")]
    assert main([*argv, "--out", str(tmp_path / "ev"), "-q"]) == 1
    captured = capsys.readouterr()
    assert "on 3 clips" in captured.out
    assert "metal.00001.wav" in captured.err and "out of memory" in captured.err


def test_window_bounds_reproduce_the_consecutive_windows():
    assert window_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert window_bounds(9, 4) == [(0, 4), (4, 8)]  # a last piece under half a window is dropped
    assert window_bounds(10, 4, hop=4) == window_bounds(10, 4)


def test_window_bounds_with_a_hop_longer_than_the_window():
    # windows with gaps between them: the last piece starts at the next start, never past
    # the end of the track (it was an empty window: "clip 1 is empty" failed the whole file),
    # and is kept only when at least half a window long (a 1-sample window was averaged in)
    assert window_bounds(10, 4, hop=20) == [(0, 4)]
    assert window_bounds(19, 4, hop=6) == [(0, 4), (6, 10), (12, 16)]
    assert window_bounds(20, 4, hop=6) == [(0, 4), (6, 10), (12, 16), (18, 20)]
    for n, window, hop in [(50, 7, 3), (50, 7, 9), (50, 7, 20), (13, 4, 10), (12, 5, 2)]:
        bounds = window_bounds(n, window, hop)
        assert all(b - a >= window / 2 for a, b in bounds[1:])
        assert all(0 <= a < b <= n for a, b in bounds)
        assert [a for a, _ in bounds] == list(range(0, hop * len(bounds), hop))


def test_track_with_a_hop_longer_than_the_clip_is_classified(tmp_path):
    X, y = make_genre_clips(4, duration=0.5, genres=["jazz", "metal"], random_state=0)
    pipe = make_pipeline(
        make_representation("mfcc", duration=0.5), make_classifier("rf", random_state=0), model="rf"
    ).fit(X, y)
    path = tmp_path / "track.wav"
    sf.write(path, np.concatenate([X[0], X[1], X[0]])[: int(1.3 * 22050)], 22050)
    for hop, n_windows in [(1.2, 1), (2.0, 1), (0.75, 2)]:
        _, n, windows = predict_track_proba(pipe, path, hop=hop, return_windows=True)
        assert n == n_windows
        assert (windows["end"] - windows["start"] >= 0.25).all()


def test_predict_files_names_why_a_batch_of_only_skipped_clips_failed():
    # the representation skips every clip, the classifier then gets no rows: the failure is
    # the clips' own (it was the classifier's "Found array with 0 sample(s)")
    X, y = make_genre_clips(3, duration=0.3, genres=GENRES, random_state=0)
    feat = make_representation("mfcc", duration=0.3, on_error="skip")
    pipe = make_pipeline(feat, make_classifier("rf", random_state=0), model="rf").fit(X, y)
    with pytest.warns(UserWarning, match="skipped"):
        pred, failures = predict_files(pipe, [X[0], "gone.wav", "lost.wav"], batch_size=2)
    assert pred.shape == (1,)
    assert [(f["index"], f["error"]) for f in failures] == [
        (1, "no such file: 'gone.wav'"),
        (2, "no such file: 'lost.wav'"),
    ]


def test_predict_on_a_folder_without_audio_says_so(model_path, tmp_path, capsys):
    # it printed nothing and exited 0, as if the folder had been classified
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "notes.txt").write_text("not audio")
    sf.write(tmp_path / "a.wav", _wave(0.5), SR)
    argv = ["predict", str(model_path), str(tmp_path / "music"), str(tmp_path / "a.wav")]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(str(tmp_path / "a.wav"))
    assert "music: no audio file in this folder" in captured.err
    assert main([*argv[:3], "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["error"].startswith("no audio file")


def test_embed_on_a_folder_without_audio_says_so(tmp_path, capsys):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "notes.txt").write_text("not audio")
    sf.write(tmp_path / "a.wav", _wave(0.5), SR)
    out = tmp_path / "out"
    argv = ["embed", str(tmp_path / "music"), str(tmp_path / "a.wav"), "--out", str(out)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() == "embed: 1 written, 0 skipped, 1 failed"
    assert "music: no audio file in this folder" in captured.err
    assert [p.name for p in out.iterdir()] == ["a.npz"]


def test_per_window_json_of_a_model_without_duration_is_valid_json(tmp_path, capsys):
    # a representation with duration=None classifies the file whole, its end unknown: the
    # JSON timeline held NaN, which no strict JSON parser reads
    X, y = make_genre_clips(4, duration=0.5, genres=GENRES, random_state=0)
    feat = make_representation("mfcc", duration=None)
    pipe = make_pipeline(feat, make_classifier("rf", random_state=0), model="rf").fit(X, y)
    save_model(pipe, tmp_path / "whole.skops")
    sf.write(tmp_path / "a.wav", _wave(1.0), SR)
    argv = ["predict", str(tmp_path / "whole.skops"), str(tmp_path / "a.wav"), "--per-window"]
    assert main([*argv, "--format", "json"]) == 0

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    out = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert out[0]["timeline"][0]["end"] is None
    assert main(argv) == 0
    assert "0.00-end" in capsys.readouterr().out
