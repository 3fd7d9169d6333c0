"""The feature cache cannot lie: damaged entries are misses, orphans are removed."""

import json
import os
import time
import warnings

import numpy as np
import pytest
import soundfile as sf

from sklearn_mgc import MelFeatures, MFCCFeatures, _cache
from sklearn_mgc._cache import FeatureCache, clip_fingerprint
from sklearn_mgc._io import TMP_SUFFIX

SR = 22050


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch):
    monkeypatch.setattr(_cache, "_WARNED", set())
    monkeypatch.setattr(_cache, "_CLEANED", set())


@pytest.fixture(scope="module")
def waves():
    rng = np.random.default_rng(1)
    return rng.standard_normal((2, SR)).astype(np.float32) * 0.1


def _entries(root, mean):
    files = sorted(root.rglob("*.mgc"))
    return [p for p in files if p.name.endswith("-mean.mgc") == mean]


def _set_nan(path):
    raw = bytearray(path.read_bytes())
    raw[-4:] = np.float32(np.nan).tobytes()
    path.write_bytes(bytes(raw))


def _flip_bit(path):
    raw = bytearray(path.read_bytes())
    raw[-7] ^= 0x10
    path.write_bytes(bytes(raw))


def _change_dtype(path):
    path.write_bytes(path.read_bytes().replace(b'"<f4"', b'"<f8"', 1))


def _change_header_byte(path):
    raw = bytearray(path.read_bytes())
    raw[len(_cache._MAGIC) + 10] ^= 0x01
    path.write_bytes(bytes(raw))


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-9])


def _garbage(path):
    path.write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'shape': (3, (}")


def _bad_length(path):
    raw = bytearray(path.read_bytes())
    raw[len(_cache._MAGIC) : len(_cache._MAGIC) + 4] = b"\xff\xff\xff\x7f"
    path.write_bytes(bytes(raw))


def _header_not_json(path):
    raw = path.read_bytes()
    start = len(_cache._MAGIC) + 4
    path.write_bytes(raw[:start] + b"[" + raw[start + 1 :])


DAMAGE = {
    "nan": _set_nan,
    "flipped bit": _flip_bit,
    "dtype code": _change_dtype,
    "header byte": _change_header_byte,
    "truncated": _truncate,
    "garbage": _garbage,
    "header length": _bad_length,
    "header not json": _header_not_json,
    "empty file": lambda p: p.write_bytes(b""),
}


@pytest.mark.parametrize("mean", [False, True], ids=["frames", "mean"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_a_miss_giving_the_uncached_result(tmp_path, waves, damage, mean):
    output = "mean" if mean else "sequence"
    expected = MelFeatures(output=output, duration=1.0).fit_transform(waves)
    est = MelFeatures(output=output, duration=1.0, cache_dir=tmp_path)
    est.fit_transform(waves)
    entry = _entries(tmp_path, mean)[0]
    DAMAGE[damage](entry)
    with pytest.warns(UserWarning, match="damaged cache entry .*" + entry.name):
        got = est.fit_transform(waves)
    np.testing.assert_array_equal(got, expected)
    # rewritten: the next run reads it without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(est.fit_transform(waves), expected)


def test_swapped_entries_are_misses(tmp_path, waves):
    expected = MelFeatures(output="sequence", duration=1.0).fit_transform(waves)
    est = MelFeatures(output="sequence", duration=1.0, cache_dir=tmp_path)
    est.fit_transform(waves)
    a, b = _entries(tmp_path, mean=False)
    raw_a, raw_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(raw_b)
    b.write_bytes(raw_a)
    with pytest.warns(UserWarning, match="another entry"):
        np.testing.assert_array_equal(est.fit_transform(waves), expected)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 80), np.float32),  # no frames: the clip would become zeros
        np.full((5, 80), np.nan, np.float32),
        np.ones((5, 13), np.float32),  # another number of features: a broadcast error
        np.ones(80, np.float32),  # a mean where frames are expected
        np.ones((5, 80), np.float64),  # a dtype the representations never write
    ],
    ids=["no frames", "nan", "features", "ndim", "float64"],
)
def test_well_formed_but_wrong_entries_are_misses(tmp_path, waves, bad):
    expected = MelFeatures(output="sequence", duration=1.0).fit_transform(waves)
    est = MelFeatures(output="sequence", duration=1.0, cache_dir=tmp_path)
    est.fit_transform(waves)
    entry = _entries(tmp_path, mean=False)[0]
    FeatureCache(tmp_path, "MelFeatures").put(entry.stem, bad)  # a valid checksum
    with pytest.warns(UserWarning, match="damaged cache entry"):
        np.testing.assert_array_equal(est.fit_transform(waves), expected)


def test_one_warning_per_cache_every_damage_logged(tmp_path, waves, caplog):
    est = MelFeatures(output="sequence", duration=1.0, cache_dir=tmp_path)
    expected = est.fit_transform(waves)
    for entry in _entries(tmp_path, mean=False):
        _flip_bit(entry)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        np.testing.assert_array_equal(est.fit_transform(waves), expected)
    assert len([w for w in record if "damaged cache entry" in str(w.message)]) == 1
    assert len([r for r in caplog.records if "damaged cache entry" in r.getMessage()]) == 2


def test_entry_carries_key_shape_dtype_and_checksum(tmp_path):
    cache = FeatureCache(tmp_path, "Demo")
    key = cache.key(["array", "x"], {})
    cache.put(key, np.arange(6, dtype=np.float32).reshape(2, 3))
    raw = cache._path(key).read_bytes()
    start = len(_cache._MAGIC) + 4
    (n,) = _cache._LENGTH.unpack_from(raw, len(_cache._MAGIC))
    header = json.loads(raw[start : start + n])
    assert header["key"] == key and header["shape"] == [2, 3] and header["dtype"] == "<f4"
    assert len(header["blake2b"]) == 64
    np.testing.assert_array_equal(cache.get(key), np.arange(6).reshape(2, 3))


def test_orphan_temporary_files_are_removed_when_a_cache_is_opened(tmp_path, waves):
    MelFeatures(duration=1.0, cache_dir=tmp_path).fit_transform(waves)
    folder = _entries(tmp_path, mean=True)[0].parent
    old = time.time() - 2 * _cache.ORPHAN_AGE
    orphans = [folder / f".x.123.abcd{TMP_SUFFIX}.mgc", folder / "y.npy.tmp"]
    young = folder / f".z.456.ef01{TMP_SUFFIX}.mgc"  # perhaps a live writer's: kept
    for path in [*orphans, young]:
        path.write_bytes(b"partial")
    for path in orphans:
        os.utime(path, (old, old))
    _cache._CLEANED.clear()
    got = MelFeatures(duration=1.0, cache_dir=tmp_path).fit_transform(waves)
    assert not any(p.exists() for p in orphans)
    assert young.exists()
    np.testing.assert_array_equal(got, MelFeatures(duration=1.0).fit_transform(waves))


def test_file_edited_in_place_with_same_size_and_mtime_is_recomputed(tmp_path, waves):
    path = tmp_path / "clip.wav"
    sf.write(path, waves[0], SR, subtype="FLOAT")
    st = os.stat(path)
    est = MFCCFeatures(duration=1.0, cache_dir=tmp_path / "cache")
    before = est.fit_transform([str(path)])
    time.sleep(0.01)
    sf.write(path, waves[1], SR, subtype="FLOAT")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the modification time put back
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns
    assert clip_fingerprint(str(path)) != ["file", str(path), st.st_size, st.st_mtime_ns]
    after = est.fit_transform([str(path)])
    np.testing.assert_array_equal(after, MFCCFeatures(duration=1.0).fit_transform([str(path)]))
    assert not np.array_equal(after, before)


def test_model_folder_whose_weights_are_overwritten_is_recomputed(tmp_path):
    # copying new weights over a local model's files leaves the folder's own size and
    # modification time as they were: the key must see its files (it served the old frames)
    import shutil

    from sklearn_mgc import Wav2Vec2Features
    from sklearn_mgc.features.huggingface import _save_tiny_model

    model = _save_tiny_model(tmp_path / "tiny", seed=0)
    other = _save_tiny_model(tmp_path / "other", seed=1)
    x = np.random.default_rng(0).standard_normal((1, 16000)).astype(np.float32)

    def frames(cache_dir):
        est = Wav2Vec2Features(model=model, sr=16000, duration=1.0, cache_dir=cache_dir)
        return est.fit_transform(x)

    before = frames(tmp_path / "cache")
    st = os.stat(model)
    for name in os.listdir(other):
        shutil.copyfile(os.path.join(other, name), os.path.join(model, name))
    assert (os.stat(model).st_size, os.stat(model).st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    after = frames(tmp_path / "cache")
    np.testing.assert_array_equal(after, frames(None))
    assert not np.allclose(after, before)


def test_waveform_of_objects_is_skipped_with_a_cache_as_without(tmp_path, waves):
    # with a cache_dir, hashing a clip of objects ([0.1, None, 0.3]) raised numpy's TypeError
    # "Cannot change data-type for array of references" even with on_error="skip", where the
    # same call without a cache skipped the clip
    X = [waves[0], [0.1, None, 0.3]]
    for cache_dir in (None, tmp_path):
        est = MelFeatures(duration=1.0, on_error="skip", cache_dir=cache_dir).fit(X)
        with pytest.warns(UserWarning, match="skipped 1 of 2"):
            assert est.transform(X).shape == (1, 80)
        assert [s["index"] for s in est.skipped_] == [1]


def test_a_cache_that_cannot_be_written_warns_and_keeps_the_results(tmp_path, caplog):
    # a failed write (full disk, read-only folder) raised OSError after the work was done,
    # and the whole transform was lost
    (tmp_path / "sklearn_mgc").write_text("a file where the cache's folder should be")
    clips = [np.random.default_rng(i).standard_normal(8000).astype(np.float32) for i in range(2)]
    feat = MelFeatures(sr=8000, duration=None).fit(clips)
    expected = feat.transform(clips)
    feat.set_params(cache_dir=tmp_path)
    with pytest.warns(UserWarning, match="could not write the cache entry") as record:
        np.testing.assert_array_equal(feat.transform(clips), expected)
    assert len([w for w in record if "could not write" in str(w.message)]) == 1
    assert "could not write the cache entry" in caplog.text
