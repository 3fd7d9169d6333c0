"""Tests of sklearn_mgc.datasets: make_genre_clips, load_gtzan and the splits."""

import io
import warnings
from collections import Counter
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import soundfile as sf
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

from sklearn_mgc.datasets import (
    GENRES,
    get_data_home,
    load_gtzan,
    make_genre_clips,
    train_valid_test_split,
)
from sklearn_mgc.datasets import gtzan as gtzan_module

GTZAN_GENRES = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
]


# --------------------------------------------------------------------------------------
# make_genre_clips
# --------------------------------------------------------------------------------------
def test_make_genre_clips_shapes_dtype():
    X, y = make_genre_clips(3, duration=0.5, sr=8000, random_state=0)
    assert X.shape == (3 * len(GENRES), 4000)
    assert X.dtype == np.float32
    assert y.dtype == object and y.shape == (X.shape[0],)
    assert sorted(set(y)) == sorted(GENRES)
    assert all((y == g).sum() == 3 for g in GENRES)
    assert np.isfinite(X).all() and np.abs(X).max() <= 1.0
    # every clip is audible
    assert (np.sqrt((X.astype(float) ** 2).mean(1)) > 0.005).all()


def test_make_genre_clips_deterministic():
    X1, y1 = make_genre_clips(2, duration=0.5, random_state=3)
    X2, y2 = make_genre_clips(2, duration=0.5, random_state=3)
    X3, _ = make_genre_clips(2, duration=0.5, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    rng = np.random.default_rng(3)
    X4, _ = make_genre_clips(2, duration=0.5, random_state=rng)
    np.testing.assert_array_equal(X1, X4)


def test_make_genre_clips_genres_and_shuffle():
    X, y = make_genre_clips(2, duration=0.25, genres=3, shuffle=False, random_state=0)
    assert list(y) == [g for g in GENRES[:3] for _ in range(2)]
    X, y = make_genre_clips(
        2, duration=0.25, genres=["metal", "jazz"], shuffle=False, random_state=0
    )
    assert list(y) == ["metal", "metal", "jazz", "jazz"]
    # the same clips, shuffled
    Xs, ys = make_genre_clips(2, duration=0.25, genres=["metal", "jazz"], random_state=0)
    assert sorted(map(bytes, Xs)) == sorted(map(bytes, X))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_clips_per_genre=0), "n_clips_per_genre"),
        (dict(n_clips_per_genre=2.5), "n_clips_per_genre"),
        (dict(duration=-1.0), "duration"),
        (dict(sr=100), "sr"),
        (dict(genres=1), "genres"),
        (dict(genres=["jazz", "polka"]), "genres"),
        (dict(genres="jazz"), "genres"),
        (dict(n_clips_per_genre=True), "n_clips_per_genre"),
        (dict(duration=float("inf")), "duration"),
        (dict(shuffle="yes"), "shuffle"),
        (dict(random_state=-1), "random_state"),
        (dict(genres=[]), "genres"),
        (dict(genres=["jazz", "jazz"]), "genres"),
    ],
)
def test_make_genre_clips_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_genre_clips(**kwargs)


@pytest.fixture(scope="module")
def synthetic_data():
    return make_genre_clips(10, duration=3.0, random_state=0)


def test_make_genre_clips_separable_by_mfcc(synthetic_data):
    librosa = pytest.importorskip("librosa")
    X, y = synthetic_data
    feats = librosa.feature.mfcc(y=X, sr=22050, n_mfcc=20).mean(axis=-1)  # (n_clips, 20)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    score = cross_val_score(RandomForestClassifier(100, random_state=0), feats, y, cv=cv).mean()
    assert score > 0.8


def test_make_genre_clips_not_separable_by_loudness(synthetic_data):
    librosa = pytest.importorskip("librosa")
    X, y = synthetic_data
    rms = np.sqrt((X.astype(np.float64) ** 2).mean(axis=1))
    frame_rms = librosa.feature.rms(y=X).mean(axis=(-2, -1))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    for feat in (rms, frame_rms):
        score = cross_val_score(
            RandomForestClassifier(100, random_state=0), feat[:, None], y, cv=cv
        ).mean()
        assert score < 0.4


# --------------------------------------------------------------------------------------
# load_gtzan
# --------------------------------------------------------------------------------------
def _write_tree(root, genres=("blues", "jazz", "rock"), n=3, ext="wav", sr=8000):
    for g in genres:
        (root / g).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            t = np.arange(sr // 10) / sr
            sf.write(root / g / f"{g}.{i:05d}.{ext}", 0.1 * np.sin(2 * np.pi * 440 * t), sr)


def test_load_gtzan_kaggle_layout_with_corrupt_file(tmp_path):
    _write_tree(tmp_path / "genres_original")
    corrupt = tmp_path / "genres_original" / "jazz" / "jazz.00054.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEgarbage" * 3)
    (tmp_path / "genres_original" / "jazz" / "notes.txt").write_text("not audio")
    (tmp_path / "genres_original" / "jazz" / "._jazz.00000.wav").write_bytes(b"mac junk")
    with pytest.warns(UserWarning, match="jazz.00054.wav"):
        data = load_gtzan(tmp_path)
    assert data.filenames.dtype == object and data.target.dtype == object
    assert len(data.filenames) == 9
    assert str(corrupt) not in set(data.filenames)
    assert [p for p, _ in data.skipped] == [str(corrupt)]
    assert isinstance(data.skipped[0][1], str) and data.skipped[0][1]
    assert list(data.target_names) == ["blues", "jazz", "rock"]
    assert list(data.target) == ["blues"] * 3 + ["jazz"] * 3 + ["rock"] * 3
    for f, t in zip(data.filenames, data.target):
        assert Path(f).is_file() and Path(f).parent.name == t
    assert data.root == str(tmp_path / "genres_original")
    assert "GTZAN" in data.DESCR
    assert "split" not in data
    # pointing at the genre folders directly gives the same listing
    with pytest.warns(UserWarning, match="jazz.00054.wav"):
        direct = load_gtzan(tmp_path / "genres_original")
    np.testing.assert_array_equal(direct.filenames, data.filenames)
    # without checks, the corrupt file stays in
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unchecked = load_gtzan(tmp_path, check_files=False)
    assert len(unchecked.filenames) == 10 and unchecked.skipped == []


def test_load_gtzan_original_au_layout(tmp_path):
    _write_tree(tmp_path / "genres", genres=("classical", "metal"), n=2, ext="au")
    data = load_gtzan(str(tmp_path))
    assert [Path(f).name for f in data.filenames] == [
        "classical.00000.au",
        "classical.00001.au",
        "metal.00000.au",
        "metal.00001.au",
    ]
    assert list(data.target) == ["classical", "classical", "metal", "metal"]
    assert data.skipped == []
    info = sf.info(data.filenames[0])
    assert info.format == "AU"


def test_load_gtzan_any_genre_tree(tmp_path):
    _write_tree(tmp_path, genres=("a",), n=2, ext="flac")
    _write_tree(tmp_path, genres=("b",), n=2, ext="ogg")
    (tmp_path / "b" / "B.00009.WAV").write_bytes(b"")  # empty, upper-case extension
    with pytest.warns(UserWarning, match="B.00009.WAV"):
        data = load_gtzan(tmp_path)
    assert list(data.target) == ["a", "a", "b", "b"]
    assert {Path(f).suffix for f in data.filenames} == {".flac", ".ogg"}


def test_load_gtzan_lists_a_clip_saved_in_two_formats_once(tmp_path):
    # the .au files converted in place: each clip twice, which also leaked across splits
    _write_tree(tmp_path / "genres", genres=("classical", "metal"), n=2, ext="au")
    _write_tree(tmp_path / "genres", genres=("metal",), n=1, ext="wav")
    (tmp_path / "genres" / "metal" / "metal.00001.mp3").write_bytes(b"")  # unreadable copy
    expected = ["classical.00000.au", "classical.00001.au", "metal.00000.wav", "metal.00001.au"]
    with pytest.warns(UserWarning, match=r"2 clip\(s\) saved twice"):
        data = load_gtzan(tmp_path, check_files=False)  # copies are dropped even unchecked
    assert [Path(f).name for f in data.filenames] == expected
    assert list(data.target) == ["classical", "classical", "metal", "metal"]
    reasons = {Path(f).name: r for f, r in data.skipped}
    assert sorted(reasons) == ["metal.00000.au", "metal.00001.mp3"]
    assert reasons["metal.00000.au"].startswith("another copy of")
    assert reasons["metal.00000.au"].endswith("metal.00000.wav (same name, another format)")
    with pytest.warns(UserWarning) as caught:
        checked = load_gtzan(tmp_path)  # the unreadable .mp3 is dropped first
    assert [Path(f).name for f in checked.filenames] == expected
    messages = " ".join(str(w.message) for w in caught)
    assert "1 unreadable" in messages and "1 clip(s) saved twice" in messages


def test_load_gtzan_not_found(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_gtzan(missing)
    (tmp_path / "empty" / "jazz").mkdir(parents=True)
    (tmp_path / "empty" / "jazz" / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="No audio files found in .*empty"):
        load_gtzan(tmp_path / "empty")
    f = tmp_path / "file.wav"
    f.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_gtzan(f)


def test_load_gtzan_bad_split(tmp_path):
    _write_tree(tmp_path, n=1)
    with pytest.raises(ValueError, match="split"):
        load_gtzan(tmp_path, split="artist")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(split="artist"), "'split' parameter .*'fault-filtered'"),
        (dict(check_files="no"), "'check_files' parameter"),
        (dict(splits_dir=3), "'splits_dir' parameter"),
        (dict(data_home=3.0), "'data_home' parameter"),
        (dict(download_if_missing=None), "'download_if_missing' parameter"),
    ],
)
def test_load_gtzan_bad_arguments_are_named(tmp_path, kwargs, match):
    _write_tree(tmp_path, n=1)
    with pytest.raises(ValueError, match=match):
        load_gtzan(tmp_path, **kwargs)
    with pytest.raises(ValueError, match="'path' parameter"):
        load_gtzan(3)


def test_load_gtzan_mini(gtzan_mini):
    data = load_gtzan(gtzan_mini)
    assert len(data.filenames) == 60
    assert list(data.target_names) == GTZAN_GENRES
    assert Counter(data.target) == dict.fromkeys(GTZAN_GENRES, 6)
    assert data.skipped == []
    for f, t in zip(data.filenames, data.target):
        assert Path(f).name.startswith(t + ".")


def _listed(split_dir):
    """{(genre, number): partition} parsed independently of the loader."""
    out = {}
    for name in ("train", "valid", "test"):
        for line in (Path(split_dir) / f"{name}_filtered.txt").read_text().split():
            genre, file = line.split("/")
            out[(genre, int(file.split(".")[1]))] = name
    return out


def test_load_gtzan_mini_fault_filtered(gtzan_mini, gtzan_splits):
    listed = _listed(gtzan_splits)
    with pytest.warns(UserWarning, match="missing"):
        data = load_gtzan(gtzan_mini, split="fault-filtered", splits_dir=gtzan_splits)
    keys = [(t, int(Path(f).name.split(".")[1])) for f, t in zip(data.filenames, data.target)]
    full = load_gtzan(gtzan_mini)
    all_keys = [(t, int(Path(f).name.split(".")[1])) for f, t in zip(full.filenames, full.target)]
    expected = [k for k in all_keys if k in listed]
    assert 0 < len(expected) < 60
    assert keys == expected
    assert list(data.split) == [listed[k] for k in keys]
    assert data.split.dtype == object and set(data.split) <= {"train", "valid", "test"}
    # the parent folder of the split lists is accepted too
    with pytest.warns(UserWarning, match="missing"):
        again = load_gtzan(gtzan_mini, split="fault-filtered", splits_dir=gtzan_splits.parent)
    np.testing.assert_array_equal(again.filenames, data.filenames)


def test_load_gtzan_fault_filtered_full_tree(tmp_path, gtzan_splits):
    # a fake full GTZAN (Kaggle layout, empty files, so no decoding check)
    for g in GTZAN_GENRES:
        (tmp_path / "genres_original" / g).mkdir(parents=True)
        for i in range(100):
            (tmp_path / "genres_original" / g / f"{g}.{i:05d}.wav").touch()
    data = load_gtzan(tmp_path, split="fault-filtered", splits_dir=gtzan_splits, check_files=False)
    assert Counter(data.split) == {"train": 443, "valid": 197, "test": 290}
    assert len(data.filenames) == len(data.target) == 930
    listed = _listed(gtzan_splits)
    for f, t, s in zip(data.filenames, data.target, data.split):
        assert listed[(t, int(Path(f).name.split(".")[1]))] == s
    # a listed clip that is absent is reported, the rest kept
    (tmp_path / "genres_original" / "jazz" / "jazz.00054.wav").unlink()
    with pytest.warns(UserWarning, match="jazz.00054"):
        data = load_gtzan(
            tmp_path, split="fault-filtered", splits_dir=gtzan_splits, check_files=False
        )
    assert len(data.filenames) == 929


_FAKE_LISTS = {
    "train": "blues/blues.00000.au\nblues/blues.00001.au\njazz/jazz.00000.au\n",
    "valid": "blues/blues.00002.au\n",
    "test": "jazz/jazz.00001.au\n",
}


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_fault_filtered_download_and_cache(tmp_path, monkeypatch, caplog):
    caplog.set_level("INFO", logger="sklearn_mgc.datasets")
    _write_tree(tmp_path / "gtzan" / "genres", genres=("blues", "jazz"), n=3, ext="au")
    urls = []

    def fake_urlopen(url, timeout=None):
        urls.append(url)
        name = url.rsplit("/", 1)[1].replace("_filtered.txt", "")
        return _Response(_FAKE_LISTS[name].encode())

    monkeypatch.setattr(gtzan_module, "urlopen", fake_urlopen)
    home = tmp_path / "home"
    with pytest.warns(UserWarning, match="missing"):  # jazz.00000 is absent from the tree
        (tmp_path / "gtzan" / "genres" / "jazz" / "jazz.00000.au").unlink()
        data = load_gtzan(tmp_path / "gtzan", split="fault-filtered", data_home=home)
    assert len(urls) == 3
    assert all("jordipons/sklearn-audio-transfer-learning" in u for u in urls)
    assert any(
        r.name == "sklearn_mgc.datasets" and "Downloading" in r.getMessage() for r in caplog.records
    )
    cache = home / "gtzan_splits" / "fault-filtered"
    assert sorted(p.name for p in cache.iterdir()) == [
        "test_filtered.txt",
        "train_filtered.txt",
        "valid_filtered.txt",
    ]
    assert [Path(f).name for f in data.filenames] == [
        "blues.00000.au",
        "blues.00001.au",
        "blues.00002.au",
        "jazz.00001.au",
    ]
    assert list(data.split) == ["train", "train", "valid", "test"]

    # second call: read from the cache, no network
    def failing_urlopen(url, timeout=None):
        raise AssertionError("no download expected")

    monkeypatch.setattr(gtzan_module, "urlopen", failing_urlopen)
    with pytest.warns(UserWarning, match="missing"):
        again = load_gtzan(tmp_path / "gtzan", split="fault-filtered", data_home=home)
    np.testing.assert_array_equal(again.split, data.split)


def test_fault_filtered_download_failure(tmp_path, monkeypatch):
    _write_tree(tmp_path / "gtzan", n=1)

    def offline(url, timeout=None):
        raise URLError("no network")

    monkeypatch.setattr(gtzan_module, "urlopen", offline)
    with pytest.raises(OSError, match="splits_dir") as excinfo:
        load_gtzan(tmp_path / "gtzan", split="fault-filtered", data_home=tmp_path / "home")
    assert "train_filtered.txt" in str(excinfo.value)
    assert not list((tmp_path / "home" / "gtzan_splits" / "fault-filtered").iterdir())
    with pytest.raises(OSError, match="download_if_missing"):
        load_gtzan(
            tmp_path / "gtzan",
            split="fault-filtered",
            data_home=tmp_path / "home",
            download_if_missing=False,
        )


def test_splits_dir_errors(tmp_path):
    _write_tree(tmp_path / "gtzan", n=1)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "train_filtered.txt").write_text("blues/blues.00000.au\n")
    with pytest.raises(FileNotFoundError, match="valid_filtered.txt"):
        load_gtzan(tmp_path / "gtzan", split="fault-filtered", splits_dir=lists)
    (lists / "valid_filtered.txt").write_text("this is not a clip\n")
    (lists / "test_filtered.txt").write_text("jazz/jazz.00000.au\n")
    with pytest.raises(ValueError, match="valid_filtered.txt"):
        load_gtzan(tmp_path / "gtzan", split="fault-filtered", splits_dir=lists)


def test_splits_dir_clip_in_two_partitions_is_refused(tmp_path):
    # a clip listed in two partitions was silently given the last one (test), so the split
    # was not the one the lists describe and the clip's other partition lost it unreported
    _write_tree(tmp_path / "gtzan", n=2)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "train_filtered.txt").write_text("blues/blues.00000.au\njazz/jazz.00000.au\n")
    (lists / "valid_filtered.txt").write_text("blues/blues.00001.au\n")
    (lists / "test_filtered.txt").write_text("jazz/jazz.00001.au\nblues/blues.00000.wav\n")
    with pytest.raises(ValueError, match=r"blues\.00000.*train_filtered.*test_filtered"):
        load_gtzan(tmp_path / "gtzan", split="fault-filtered", splits_dir=lists)
    # listed twice in one partition: refused as well, naming the list
    (lists / "test_filtered.txt").write_text("jazz/jazz.00001.au\njazz/jazz.00001.wav\n")
    with pytest.raises(ValueError, match=r"jazz\.00001.*test_filtered"):
        load_gtzan(tmp_path / "gtzan", split="fault-filtered", splits_dir=lists)


def test_get_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_MGC_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == str(tmp_path / "from_env")
    assert (tmp_path / "from_env").is_dir()
    assert get_data_home(tmp_path / "explicit") == str(tmp_path / "explicit")
    monkeypatch.delenv("SKLEARN_MGC_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == str(tmp_path / "sklearn_mgc_data")


# --------------------------------------------------------------------------------------
# train_valid_test_split
# --------------------------------------------------------------------------------------
def test_train_valid_test_split_study_proportions():
    y = np.repeat(GTZAN_GENRES, 100).astype(object)
    files = np.array([f"{g}.{i:05d}.wav" for g in GTZAN_GENRES for i in range(100)], dtype=object)
    f_tr, f_va, f_te, y_tr, y_va, y_te = train_valid_test_split(files, y, stratify=y)
    assert (len(f_tr), len(f_va), len(f_te)) == (720, 180, 100)
    assert Counter(y_te) == dict.fromkeys(GTZAN_GENRES, 10)
    assert Counter(y_va) == dict.fromkeys(GTZAN_GENRES, 18)
    # a partition of the data, with the rows of every array kept together
    assert sorted(np.concatenate([f_tr, f_va, f_te])) == sorted(files)
    for f, t in zip(np.concatenate([f_tr, f_va, f_te]), np.concatenate([y_tr, y_va, y_te])):
        assert f.startswith(t + ".")
    # the study's two train_test_split calls with random_state=28
    rest_f, te_f, rest_y, _ = train_test_split(files, y, test_size=0.1, stratify=y, random_state=28)
    tr_f, va_f = train_test_split(rest_f, test_size=0.2, stratify=rest_y, random_state=28)
    np.testing.assert_array_equal(f_te, te_f)
    np.testing.assert_array_equal(f_tr, tr_f)
    np.testing.assert_array_equal(f_va, va_f)


def test_train_valid_test_split_options():
    X = np.arange(100).reshape(50, 2)
    a = train_valid_test_split(X, random_state=0)
    b = train_valid_test_split(X, random_state=0)
    c = train_valid_test_split(X, random_state=1)
    assert len(a) == 3
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[2], c[2])
    tr, va, te = train_valid_test_split(X, test_size=10, valid_size=8, shuffle=False)
    assert (len(tr), len(va), len(te)) == (32, 8, 10)
    np.testing.assert_array_equal(te, X[40:])
    lst = list(range(20))
    tr, va, te = train_valid_test_split(lst)
    assert sorted(tr + va + te) == lst
    with pytest.raises(ValueError, match="at least one array"):
        train_valid_test_split()


def test_train_valid_test_split_without_validation():
    y = np.repeat(GTZAN_GENRES, 20).astype(object)
    files = np.array([f"{g}.{i:05d}.wav" for g in GTZAN_GENRES for i in range(20)], dtype=object)
    f_tr, f_va, f_te, y_tr, y_va, y_te = train_valid_test_split(files, y, stratify=y)
    for valid_size in (0, 0.0):
        g_tr, g_va, g_te, z_tr, z_va, z_te = train_valid_test_split(
            files, y, stratify=y, valid_size=valid_size
        )
        # the test part is the one of the study's split; train is all the rest
        np.testing.assert_array_equal(g_te, f_te)
        np.testing.assert_array_equal(z_te, y_te)
        assert sorted(g_tr) == sorted(np.concatenate([f_tr, f_va]))
        for f, t in zip(g_tr, z_tr):
            assert f.startswith(t + ".")
        # an empty validation part, of the inputs' type
        assert isinstance(g_va, np.ndarray) and g_va.shape == (0,) and g_va.dtype == object
        assert isinstance(z_va, np.ndarray) and z_va.shape == (0,)
    # the study's call: indices of the clips, stratified by genre
    idx = np.arange(len(y))
    i_tr, i_va, i_te = train_valid_test_split(
        idx, stratify=y, test_size=0.1, valid_size=0, random_state=28
    )
    np.testing.assert_array_equal(files[i_te], f_te)
    assert len(i_va) == 0 and len(i_tr) + len(i_te) == len(y)
    # lists and 2-D arrays keep their type and their other dimensions
    tr, va, te = train_valid_test_split(list(range(20)), valid_size=0, random_state=0)
    assert va == [] and sorted(tr + te) == list(range(20)) and len(te) == 2
    X = np.arange(40).reshape(20, 2)
    _, va, te = train_valid_test_split(X, valid_size=0, random_state=0)
    assert va.shape == (0, 2)
    np.testing.assert_array_equal(te, train_valid_test_split(X, random_state=0)[2])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(valid_size=-1), "'valid_size' parameter"),
        (dict(valid_size=1.0), "'valid_size' parameter"),
        (dict(test_size=0), "'test_size' parameter"),
        (dict(test_size=1.5), "'test_size' parameter"),
        (dict(shuffle="yes"), "'shuffle' parameter"),
        (dict(random_state="a"), "'random_state' parameter"),
    ],
)
def test_train_valid_test_split_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_valid_test_split(list(range(20)), **kwargs)
