"""The study at GTZAN scale: per-epoch and per-clip costs, and the projected wall time.

    python benchmarks/bench_scale.py [--threads 1] [--options] [--pretrained] [--out FILE.json]
    python benchmarks/bench_scale.py --device cuda --epochs-only     # the GPU column

Prints, on this machine:

1. Seconds per training epoch of every network of the study at GTZAN scale: 720 training
   clips of 3000 frames (the study's 90 % / 80 % split of 1,000 clips) plus the forward pass
   over the 180 validation clips, at the study's architecture settings and batch size, for the
   feature sizes of log-mel (80), MFCC (60) and CQT (84). An epoch is timed on
   ``--clips`` clips (``fit`` with ``max_epochs=1``, no validation) and scaled to 720 clips;
   the validation pass is timed with ``predict_proba`` and scaled to 180 clips.
2. Extraction seconds per 30 s clip of every representation, with ``n_jobs=1`` and
   ``n_jobs=2``, on real GTZAN clips (``--data``; the 60 clips of ``gtzan-mini`` by default).
   ``--pretrained`` adds the base-size encoders (randomly initialised: the cost is the same).
3. The projected wall time of the full study (1,000 clips, 50 epochs, no early stopping):
   extraction of every representation, the sequence networks on mel, MFCC and CQT (the
   spectrum's sequences do not fit in memory, so the study runs only the random forest and the
   MLP on its mean), and the random forest on every representation.

``--options`` measures with the options meant for CPUs, where this version of the toolkit has
them (each is reported as used or absent): ``TransformerClassifier(patch_size=4)`` and
``CNN2DClassifier(downsampling="stride")``. The projection is given with the cells one after
another and on ``--workers`` processes (``sklearn-mgc study --n-jobs``; default 2): the cells
are placed longest first on the least loaded process, and each epoch is slowed down by the
factor measured by training the GRU on log-mel in that many processes at once. Results can be
saved as JSON (``--out``) to compare two runs.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sklearn_mgc import _registry
from sklearn_mgc.study import make_classifier, make_representation

N_CLIPS = 1000
N_TRAIN, N_VALID = 720, 180
N_FRAMES = 3000
SEQUENCE_FEATURES = {"mel": 80, "mfcc": 60, "cqt": 84}
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gtzan-mini"


def _cpu_options(name):
    """Settings of the CPU options that this version of the toolkit has, for model ``name``."""
    clf = make_classifier(name)
    params = clf.get_params()
    options = {}
    if name == "transformer" and "patch_size" in params:
        options["patch_size"] = 4
    if name == "cnn2d" and "downsampling" in params:
        options["downsampling"] = "stride"
    return options


def epoch_seconds(name, n_features, *, n_clips, options, repeats, seed=0, device="cpu"):
    """Seconds of one training epoch on 720 clips plus the validation pass on 180."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_clips, N_FRAMES, n_features), dtype=np.float32)
    y = np.arange(n_clips) % 10
    params = {"validation_fraction": None, "patience": None, **options}

    def make():
        return make_classifier(name, max_epochs=1, device=device, params=params)

    make().fit(X[:4], y[:4])  # warm-up
    train, valid = [], []
    for _ in range(repeats):
        clf = make()
        t0 = time.perf_counter()
        clf.fit(X, y)
        _synchronize(device)
        train.append((time.perf_counter() - t0) * N_TRAIN / n_clips)
        t0 = time.perf_counter()
        clf.predict_proba(X)  # returns numpy: the device has finished
        valid.append((time.perf_counter() - t0) * N_VALID / n_clips)
    return float(np.median(train)), float(np.median(valid))


def _synchronize(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _clips(data, n):
    files = sorted(str(p) for p in Path(data).rglob("*.wav"))
    if not files:
        raise SystemExit(f"no .wav clips under {data}")
    return files[:n]


def _pretrained_models(directory):
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    from sklearn_mgc.features.encodecmae.model import make_checkpoint

    w2v = Path(directory) / "wav2vec2-base-random"
    Wav2Vec2Model(Wav2Vec2Config()).save_pretrained(w2v)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True).save_pretrained(w2v)
    ecm = Path(directory) / "encodecmae-base-random.pt"
    torch.save(make_checkpoint(), ecm)
    return {"wav2vec2": str(w2v), "encodecmae": str(ecm)}


def extraction_seconds(name, files, *, n_jobs, pretrained):
    """Seconds per clip of the representation ``name`` (mean output, no cache)."""
    feat = make_representation(
        name, output="mean", duration=30.0, n_jobs=n_jobs, pretrained=pretrained
    )
    feat.fit(files[:2]).transform(files[:2])  # warm-up: imports, JIT compilation, the workers
    t0 = time.perf_counter()
    feat.transform(files)
    return (time.perf_counter() - t0) / len(files)


def rf_seconds(n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_TRAIN + N_VALID, n_features)).astype(np.float32)
    y = np.arange(len(X)) % 10
    t0 = time.perf_counter()
    make_classifier("rf", n_jobs=1).fit(X, y)
    return time.perf_counter() - t0


def _epoch_in_worker(args):
    torch.set_num_threads(1)
    return epoch_seconds(*args[:2], **args[2])


def concurrent_slowdown(name, n_features, *, n_clips, options, workers, alone):
    """How much slower one epoch is when ``workers`` processes train at once (1 thread each)
    than alone: they share the memory bandwidth and the caches, not only the cores."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    job = (name, n_features, dict(n_clips=n_clips, options=options, repeats=1))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        together = list(pool.map(_epoch_in_worker, [job] * workers))
    return float(np.median([sum(t) for t in together])) / sum(alone)


def makespan(seconds, workers):
    """Wall time of independent tasks of ``seconds`` on ``workers`` processes, the longest
    started first (as the study orders them)."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads)


def project(epochs, extraction, rf, *, n_epochs, extraction_jobs, workers=1, slowdown=1.0):
    """Projected seconds of the full study, by part (cells on ``workers`` processes, each
    slowed down by ``slowdown`` when there are several)."""
    extract = sum(N_CLIPS * extraction[r][extraction_jobs] for r in extraction)
    cells = [n_epochs * (train + valid) for train, valid in epochs.values()]
    cells += list(rf.values())
    train = makespan(cells, workers) * (slowdown if workers > 1 else 1.0)
    return {"extraction": extract, "cells": train, "total": extract + train}


def _print_epochs(epochs, options):
    models = sorted({m for _, m in epochs})
    print(f"\nSeconds per epoch (720 training + 180 validation clips of {N_FRAMES} frames)")
    print(f"{'model':<12}" + "".join(f"{r:>10}" for r in SEQUENCE_FEATURES) + "   options")
    for m in models:
        cells = "".join(f"{sum(epochs[(r, m)]):>10.1f}" for r in SEQUENCE_FEATURES)
        print(f"{m:<12}{cells}   {options.get(m) or '-'}")


def _print_extraction(extraction):
    print("\nExtraction seconds per 30 s clip")
    print(f"{'representation':<16}{'n_jobs=1':>10}{'n_jobs=2':>10}")
    for r, t in extraction.items():
        print(f"{r:<16}{t[1]:>10.3f}{t[2]:>10.3f}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (study: 1)")
    parser.add_argument("--clips", type=int, default=64, help="clips per timed epoch")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=50, help="epochs in the projection")
    parser.add_argument("--options", action="store_true", help="use the CPU options")
    parser.add_argument("--models", nargs="+", default=list(_registry.model_names("sequence")))
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--extract-clips", type=int, default=12)
    parser.add_argument("--pretrained", action="store_true", help="time the encoders too")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes training cells (study --n-jobs)"
    )
    parser.add_argument("--out", default=None, help="save the figures as JSON")
    parser.add_argument("--device", default="cpu", help="torch device of the networks")
    parser.add_argument(
        "--epochs-only", action="store_true", help="only the per-epoch table (part 1)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    options = {m: (_cpu_options(m) if args.options else {}) for m in args.models}
    epochs = {}
    for m in args.models:
        for r, n_features in SEQUENCE_FEATURES.items():
            epochs[(r, m)] = epoch_seconds(
                m,
                n_features,
                n_clips=args.clips,
                options=options[m],
                repeats=args.repeats,
                device=args.device,
            )
            print(f"  {m} on {r}: {sum(epochs[(r, m)]):.1f} s per epoch", flush=True)
    _print_epochs(epochs, options)
    if args.epochs_only:
        _save(args.out, {"epochs": {f"{r}/{m}": v for (r, m), v in epochs.items()}}, args)
        return

    files = _clips(args.data, args.extract_clips)
    names = [r.name for r in _registry.REPRESENTATION_SPECS if args.pretrained or not r.pretrained]
    with tempfile.TemporaryDirectory() as tmp:
        pretrained = _pretrained_models(tmp) if args.pretrained else None
        extraction = {
            r: {j: extraction_seconds(r, files, n_jobs=j, pretrained=pretrained) for j in (1, 2)}
            for r in names
        }
    _print_extraction(extraction)

    sizes = {**SEQUENCE_FEATURES, "spectrum": 2049, "wav2vec2": 768, "encodecmae": 768}
    rf = {r: rf_seconds(sizes[r]) for r in names}
    slowdown = 1.0
    if args.workers > 1:
        probe = ("gru", "mel") if ("mel", "gru") in epochs else (args.models[0], "mel")
        slowdown = concurrent_slowdown(
            probe[0],
            SEQUENCE_FEATURES["mel"],
            n_clips=args.clips,
            options=options[probe[0]],
            workers=args.workers,
            alone=epochs[(probe[1], probe[0])],
        )
        print(f"\n{args.workers} processes at once: each epoch {slowdown:.2f}x slower ({probe})")
    projections = {}
    for workers in sorted({1, args.workers}):
        proj = projections[workers] = project(
            epochs,
            extraction,
            rf,
            n_epochs=args.epochs,
            extraction_jobs=2,
            workers=workers,
            slowdown=slowdown,
        )
        print(
            f"\nProjected full study ({N_CLIPS} clips, {args.epochs} epochs, cells on "
            f"{workers} process{'es' if workers > 1 else ''}):"
        )
        for part, seconds in proj.items():
            print(f"  {part:<11}{seconds / 3600:>7.2f} h")
    record = {
        "epochs": {f"{r}/{m}": v for (r, m), v in epochs.items()},
        "extraction": extraction,
        "rf": rf,
        "projection_s": projections,
        "slowdown": slowdown,
        "options": options,
    }
    _save(args.out, record, args)


def _save(path, record, args):
    """Write ``record`` (with the run's settings) as JSON to ``path`` (None: nowhere)."""
    if path:
        record = {**record, "threads": args.threads, "device": args.device}
        record["load"] = os.getloadavg()[0]
        Path(path).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
