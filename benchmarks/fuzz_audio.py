"""A longer fuzz run of the decoder (run by hand, not a test).

Uses the machinery of ``tests/test_fuzz.py`` (damaged WAV, FLAC, OGG and MP3 files, each batch in
one child process with a timeout) on many more random cases and several seeds, and prints the
counts of each outcome: ``ok`` (finite features), ``AudioError``, ``other`` (any other
exception: a bug), ``crash`` and ``hang`` (bugs), with the files of every bug.

Usage::

    python benchmarks/fuzz_audio.py [--seeds 0 1 2] [--n-random 20] [--batch 50] [--timeout 300]
"""

import argparse
import collections
import importlib.util
import os
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("test_fuzz", HERE.parent / "tests/test_fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kind(result):
    if result in ("ok", "AudioError", "hang", "non-finite"):
        return result
    return "crash" if result.startswith("crash") else "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-random", type=int, default=20, help="random cases per kind")
    parser.add_argument("--batch", type=int, default=50, help="cases per child process")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per batch")
    args = parser.parse_args()
    fuzz = _fuzz_module()
    counts, bugs = collections.Counter(), []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            todo = fuzz.write_cases(tmp, seed=seed, n_random=args.n_random)
            while todo:
                batch, todo = todo[: args.batch], todo[args.batch :]
                results = fuzz.run_batch(batch, timeout=args.timeout)
                for path, result in results.items():
                    counts[_kind(result)] += 1
                    if _kind(result) not in ("ok", "AudioError"):
                        bugs.append((seed, os.path.basename(path), result))
                todo = [p for p in batch if p not in results] + todo  # resume after a crash
        print(f"after seed {seed}: {dict(counts)}", flush=True)
    print(
        "total:",
        ", ".join(
            f"{k} {counts[k]}" for k in ("ok", "AudioError", "other", "non-finite", "crash", "hang")
        ),
    )
    for seed, name, result in bugs:
        print(f"  seed {seed} {name}: {result}")


if __name__ == "__main__":
    main()
