"""Speed and memory of Wav2Vec2Features with a wav2vec2-base-size encoder (run by hand).

The encoder is randomly initialised from ``transformers.Wav2Vec2Config()`` defaults (768
features, 12 layers, 7 convolutions: the architecture of ``facebook/wav2vec2-base``), saved to a
temporary directory and loaded through the public code path, so no network is needed.

Reports:

- seconds per 30 s clip (in-memory waveform at 22050 Hz, resampled to 16 kHz), for the default
  10 s chunks and for whole-clip inference (``chunk_duration=None``), wall-clock and CPU time;
- peak resident memory (VmHWM) of a fresh process that loads the model and embeds one track
  (an audio file, ``output="sequence"``), for a 1-minute and a 10-minute track, for several
  chunk sizes and batch sizes. The goal: within 2 GB, and growing with
  ``batch_size * chunk_duration``, not with the track length.

Usage::

    python benchmarks/bench_wav2vec2.py            # everything
    python benchmarks/bench_wav2vec2.py --quick    # fewer clips, 1-minute and 3-minute tracks
    python benchmarks/bench_wav2vec2.py --compare --clips 3 --repeats 2

``--compare`` times, in one run, on the same real GTZAN clips (30 s at 16 kHz), one thread,
interleaved: a bare ``transformers`` forward pass (the model's feature extractor, then the
model, per 10 s chunk, as a user would write it), ``Wav2Vec2Features`` in float32 and int8;
median CPU seconds per clip, ratios, and fidelity to float32 (per-frame cosine similarity,
largest absolute difference).

On a busy machine wall-clock times are inflated; the CPU times are the steadier figure.

Figures of 2026-11-28 (2-core CPU machine, torch 2.13 CPU, load average about 10 from other
jobs, so wall-clock times are inflated about threefold):

- 30 s clip, chunk_duration=10: 23.2 s wall, 7.7 s CPU; chunk_duration=None: 21.6 s wall,
  8.8 s CPU; output (1497, 768) per clip (1499 whole).
- peak memory, model loaded: about 470 MB; chunk 10 s, batch_size=2 (the default): 1-minute
  track 1213 MB, 10-minute track 1399 MB (the 10-minute track's 29940 x 768 output, held twice
  while the chunks are concatenated, is the difference); batch_size=8: 1-minute track 1256 /
  1414 / 1432 MB with 5 / 10 / 20 s chunks, 10-minute track 2523 MB.

``--compare``, 2026-11-29 (same machine, load average about 2; median CPU seconds per 30 s
clip): bare transformers 9.00, float32 8.94 (1.01x), int8 6.49 (1.39x), int8 fidelity to
float32: per-frame cosine similarity at least 0.99541 (median 0.99763), largest absolute
difference 0.39. Before the front end's convolutions were quantized too (int8 = Linear layers
only), the same command gave 9.29 / 9.33 / 7.49 (1.24x), cosine at least 0.99848, difference
0.28; in one process, interleaved, Linear-only int8 against int8 with the convolutions:
7.40-7.81 s (1.20x-1.23x) against 6.94-6.95 s (1.32x-1.35x). Peak memory, 1-minute track,
batch_size=2, 10 s chunks: float32 1301 MB, int8 with Linear layers only 1381 MB, int8 with
the convolutions 1406 MB.

``--compare``, 2026-11-29 later (same machine, load average about 4): transformers 8.45, float32
8.91 (0.95x), int8 5.45 (1.55x); int8 fidelity: cosine at least 0.99564 (median 0.99763),
difference 0.39. The int8 model's first convolution and its per-channel group norm now run
as one float32 matrix product written channels-last (``_int8.NormedConv1d``, so the next
layer skips its transpose), and the int8 convolutions quantize their rows with a range known
beforehand. In one process, interleaved, on the model alone (3 clips x 2): int8 before these
two changes 6.51 s per clip, with the first 5.75 s, with both 6.01 s (the second change is
within the noise there; on the front end alone, 12 interleaved runs: 1.79 s against 1.74 s
per 20 s of audio). Profile of one int8 forward (2 chunks of 10 s, one thread), before:
int8 matrix products 57%, the first convolution and the positional one (mkldnn) 13%,
attention 11%, GELU 6%, the first layer's group norm 2%, the transposed copy of the
first layer's output 3%; after: int8 matrix products 61%, attention 12%, GELU 9%, the
positional convolution 6%, the first layer (one batched product) 2%. The same command on a
quieter machine (load average 1.0): transformers 9.01, float32 8.80 (1.02x), int8 5.65
(1.59x), cosine at least 0.99564.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def _save_base_model(directory):
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    Wav2Vec2Model(Wav2Vec2Config()).save_pretrained(directory)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True).save_pretrained(directory)


def _peak_rss_mb():
    """Peak resident memory of this process in MB.

    VmHWM (Linux) rather than ``ru_maxrss``: on Linux a child started with fork + exec
    inherits its parent's ``ru_maxrss``, which would hide the child's own peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _child(args):
    """Runs in a fresh process: load the model, embed one file, print peak memory as JSON."""
    from sklearn_mgc import Wav2Vec2Features

    chunk = None if args.chunk == 0 else args.chunk
    feat = Wav2Vec2Features(
        model=args.model, duration=None, chunk_duration=chunk, batch_size=args.batch_size
    )
    feat.fit([args.file])
    loaded = _peak_rss_mb()
    start, cpu = time.perf_counter(), _cpu_seconds()
    seq = feat.set_params(output="sequence").transform([args.file])
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    print(
        json.dumps(
            {
                "loaded_mb": loaded,
                "peak_mb": _peak_rss_mb(),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "shape": list(seq.shape),
            }
        )
    )


def _peak_memory(model, path, chunk, batch_size):
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--model",
        model,
        "--file",
        path,
        "--chunk",
        str(chunk or 0),
        "--batch-size",
        str(batch_size),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _write_track(path, minutes, sr=22050, seed=0):
    import soundfile as sf

    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * sr)
    t = np.arange(n) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(n)
    sf.write(path, y.astype(np.float32), sr)


def _bare_forward(directory):
    """What a user writes with transformers alone: extractor, then model, per 10 s chunk."""
    import torch
    from transformers import AutoFeatureExtractor, AutoModel

    extractor = AutoFeatureExtractor.from_pretrained(directory)
    model = AutoModel.from_pretrained(directory).eval()

    def embed(wave):
        frames = []
        with torch.inference_mode():
            for start in range(0, len(wave), 160000):
                chunk = wave[start : start + 160000]
                inputs = extractor(chunk, sampling_rate=16000, return_tensors="pt")
                frames.append(model(inputs["input_values"]).last_hidden_state[0].numpy())
        return np.concatenate(frames)

    return embed


def _compare(args):
    import torch

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_encodecmae import _gtzan_clips, timed_table

    from sklearn_mgc import Wav2Vec2Features

    torch.set_num_threads(1)
    names, waves = _gtzan_clips(args.data, args.clips, 16000)
    with tempfile.TemporaryDirectory() as tmp:
        _save_base_model(tmp)
        variants = {"transformers": _bare_forward(tmp)}
        for dtype in ("float32", "int8"):
            feat = Wav2Vec2Features(model=tmp, sr=16000, duration=None, output="sequence")
            feat.set_params(dtype=dtype).fit(waves[:1])
            variants[f"ours {dtype}"] = lambda w, feat=feat: feat.transform([w])[0]
        times = {name: [] for name in variants}
        outs = {name: [] for name in variants}
        for repeat in range(args.repeats):
            for wave in waves:
                for name, embed in variants.items():
                    c0 = _cpu_seconds()
                    out = embed(wave)
                    times[name].append(_cpu_seconds() - c0)
                    if repeat == 0:
                        outs[name].append(out)
    print(
        f"wav2vec2-base architecture (random weights), {len(waves)} GTZAN clips of 30 s x "
        f"{args.repeats} repeats, one thread, interleaved; load average "
        f"{os.getloadavg()[0]:.1f}; clips: {', '.join(os.path.basename(n) for n in names)}"
    )
    outs = {k: np.concatenate(v) for k, v in outs.items()}
    timed_table("transformers", times, outs, "ours float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=float, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--compare", action="store_true", help="against a bare forward pass")
    parser.add_argument("--clips", type=int, default=3, help="GTZAN clips (--compare)")
    parser.add_argument("--repeats", type=int, default=2, help="passes over the clips (--compare)")
    parser.add_argument(
        "--data", default=os.path.join("..", "shared", "data", "gtzan-mini"), help="GTZAN folder"
    )
    args = parser.parse_args()
    if args.child:
        return _child(args)
    if args.compare:
        return _compare(args)

    import torch

    from sklearn_mgc import Wav2Vec2Features

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "wav2vec2-base-random")
        _save_base_model(model)

        # ---- speed: seconds per 30 s clip
        n_clips = 2 if args.quick else 4
        rng = np.random.default_rng(0)
        clips = (0.1 * rng.standard_normal((n_clips, 30 * 22050))).astype(np.float32)
        for chunk in (10.0, None):
            feat = Wav2Vec2Features(
                model=model, sr=22050, duration=30.0, chunk_duration=chunk, output="sequence"
            ).fit(clips[:1])
            feat.transform(clips[:1])  # warm-up
            start, cpu = time.perf_counter(), _cpu_seconds()
            seq = feat.transform(clips)
            per_clip = (time.perf_counter() - start) / n_clips
            cpu_per_clip = (_cpu_seconds() - cpu) / n_clips
            print(
                f"speed  chunk_duration={chunk}: {per_clip:.2f} s per 30 s clip "
                f"(CPU time {cpu_per_clip:.2f} s; output {seq.shape[1:]} per clip, {n_clips} "
                "clips)",
                flush=True,
            )

        # ---- memory: fresh process per track and chunk size
        # (minutes, chunk_duration, batch_size): the defaults (10 s, 2) first, then larger batches
        if args.quick:
            runs = [(1, 10.0, 2), (3, 10.0, 2)]
        else:
            runs = [
                (1, 10.0, 2),
                (10, 10.0, 2),
                (1, 5.0, 8),
                (1, 10.0, 8),
                (1, 20.0, 8),
                (10, 10.0, 8),
            ]
        for m, chunk, batch_size in runs:
            path = os.path.join(tmp, f"track_{m}min.wav")
            if not os.path.exists(path):
                _write_track(path, m)
            r = _peak_memory(model, path, chunk, batch_size)
            print(
                f"memory {m:>2}-minute track, chunk_duration={chunk:>4}, batch_size={batch_size}: "
                f"peak {r['peak_mb']:.0f} MB (after loading the model: {r['loaded_mb']:.0f} MB; "
                f"{r['seconds']:.0f} s, CPU {r['cpu_seconds']:.0f} s; frames {r['shape'][1]})",
                flush=True,
            )


if __name__ == "__main__":
    main()
