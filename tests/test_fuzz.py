"""Fuzzing the decoder: damaged WAV, FLAC, OGG and MP3 files never crash, hang or lie.

Small files are written, then mutated deterministically (seeded): truncation, random byte flips
in the header, huge or null sample-rate / channel / length fields, zeroed chunks and flipped
data bytes. Each batch of cases runs in ONE child process with a timeout, so a crash (segfault,
abort) or a hang fails the test instead of killing pytest. Every case must give finite
features or raise :class:`~sklearn_mgc.audio.AudioError`. ``benchmarks/fuzz_audio.py`` runs the
same machinery on many more cases.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", None)}
FORMATS["mp3"] = ("MP3", None)

CHILD = r"""
import json, sys, warnings
import numpy as np
from sklearn_mgc import MFCCFeatures
from sklearn_mgc.audio import AudioError, load_audio
warnings.simplefilter("ignore")
for path in sys.argv[1:]:
    print(json.dumps({"start": path}), flush=True)
    try:
        y = load_audio(path, sr=22050)
        out = MFCCFeatures(duration=None).fit_transform([path])
        result = "ok" if np.isfinite(out).all() and np.isfinite(y).all() else "non-finite"
    except AudioError:
        result = "AudioError"
    except Exception as exc:
        result = f"other: {type(exc).__name__}: {str(exc)[:200]}"
    print(json.dumps({"path": path, "result": result}), flush=True)
"""


def write_sources(folder, seconds=0.3, sr=22050):
    """One small stereo tone per format; returns {format: path}."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.4 * np.sin(2 * np.pi * 330 * t)
    data = np.stack([y, 0.5 * y], axis=1).astype(np.float32)
    paths = {}
    for ext, (fmt, subtype) in FORMATS.items():
        paths[ext] = os.path.join(folder, f"source.{ext}")
        sf.write(paths[ext], data, sr, format=fmt, subtype=subtype)
    return paths


def _header_len(ext, n):
    return min(n, {"wav": 44, "flac": 42, "ogg": 128, "mp3": 128}[ext])


def mutations(ext, data, rng, n_random):
    """Yield ``(label, bytes)`` damaged versions of one file."""
    n, head = len(data), _header_len(ext, len(data))
    for cut in (0, 4, 12, head // 2, head, head + 7, n // 3, n // 2, n - 1):
        yield f"truncate{cut}", data[:cut]
    for value in (
        b"\xff\xff\xff\xff",
        b"\x00\x00\x00\x00",
        b"\x01\x00\x00\x00",
        b"\x7f\xff\xff\xff",
    ):
        for offset in sorted({4, 8, 18, 22, 24, 28, 40} | {int(rng.integers(0, head - 4))}):
            if offset + 4 <= n:
                yield f"field{offset}={value.hex()}", data[:offset] + value + data[offset + 4 :]
    for i in range(n_random):
        buf = bytearray(data)
        for pos in rng.integers(0, head, size=int(rng.integers(1, 6))):
            buf[pos] ^= 1 << int(rng.integers(0, 8))
        yield f"headerflip{i}", bytes(buf)
        buf = bytearray(data)
        start = int(rng.integers(0, n))
        buf[start : start + int(rng.integers(1, 512))] = b"\x00" * len(buf[start : start + 512])
        yield f"zeroed{i}", bytes(buf[:n])
        buf = bytearray(data)
        for pos in rng.integers(head, n, size=8):
            buf[pos] = int(rng.integers(0, 256))
        yield f"dataflip{i}", bytes(buf)


def write_cases(folder, seed=0, n_random=2):
    """Write every mutated file into ``folder``; returns their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for ext, source in write_sources(folder).items():
        with open(source, "rb") as f:
            data = f.read()
        for label, damaged in mutations(ext, data, rng, n_random):
            paths.append(os.path.join(folder, f"{ext}-{label}.{ext}"))
            with open(paths[-1], "wb") as f:
                f.write(damaged)
    return paths


def run_batch(paths, timeout):
    """Run the cases in one child; returns ``{path: result}`` (crash / hang for the culprit)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    cmd = [sys.executable, "-c", CHILD, *paths]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        stdout, status = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        stdout, status = out.decode() if isinstance(out, bytes) else out, None
    results, started = {}, None
    for line in stdout.splitlines():
        record = json.loads(line)
        if "start" in record:
            started = record["start"]
        else:
            results[record["path"]] = record["result"]
    if started is not None and started not in results:
        results[started] = "hang" if status is None else f"crash (status {status})"
    return results


def test_damaged_files_give_features_or_audio_error(tmp_path):
    paths = write_cases(str(tmp_path), seed=0, n_random=2)
    assert len(paths) > 100
    results = {}
    for i in range(0, len(paths), 60):
        batch = paths[i : i + 60]
        got = run_batch(batch, timeout=300)  # generous: CI machines are shared
        results.update(got)
        if len(got) < len(batch):  # a crash or hang stopped the batch
            break
    bad = {os.path.basename(p): r for p, r in results.items() if r not in ("ok", "AudioError")}
    assert not bad, bad
    assert len(results) == len(paths)
    counts = {r: sum(v == r for v in results.values()) for r in ("ok", "AudioError")}
    assert counts["ok"] > 0 and counts["AudioError"] > 0, counts


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_in_a_batch_is_an_audio_error(tmp_path):
    fifo = str(tmp_path / "pipe.wav")
    os.mkfifo(fifo)
    results = run_batch([fifo], timeout=60)
    assert results == {fifo: "AudioError"}
