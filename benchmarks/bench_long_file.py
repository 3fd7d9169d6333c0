"""Peak memory and time of MFCC means over one long file (run by hand, not a test).

Writes a long 16-bit WAV (3 hours at 44.1 kHz mono by default, about 950 MB) into a temporary
folder, then runs ``MFCCFeatures(duration=None).fit_transform([path])`` in a child process and
prints the child's peak resident memory (``ru_maxrss``, as ``/usr/bin/time -v`` reports it)
and its wall-clock seconds. The file is decoded at 44.1 kHz and analysed at 22050 Hz, so
resampling is part of the measure.

Usage::

    python benchmarks/bench_long_file.py [--hours 3] [--sr 44100] [--output mean]

Goal: at most about 1 GB of peak memory for a 3-hour file's MFCC means.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

CHILD = """
import json, resource, sys, time
import numpy as np
from sklearn_mgc import MFCCFeatures
t0 = time.perf_counter()
out = MFCCFeatures(duration=None, output=sys.argv[2]).fit_transform([sys.argv[1]])
seconds = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak_kib / 1024,
                  "shape": list(out.shape), "finite": bool(np.isfinite(out).all())}))
"""


def write_long_wav(path, hours, sr, block_seconds=60):
    """Write ``hours`` of a tone with noise, block by block (bounded memory)."""
    rng = np.random.default_rng(0)
    n_total = int(hours * 3600 * sr)
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        done = 0
        while done < n_total:
            n = min(block_seconds * sr, n_total - done)
            t = (done + np.arange(n)) / sr
            y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(n)
            f.write(y.astype(np.float32))
            done += n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--sr", type=int, default=44100, help="rate of the file (Hz)")
    parser.add_argument("--output", default="mean", choices=["mean", "sequence"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "long.wav")
        t0 = time.perf_counter()
        write_long_wav(path, args.hours, args.sr)
        size_mb = os.path.getsize(path) / 2**20
        print(
            f"wrote {args.hours} h at {args.sr} Hz ({size_mb:.0f} MiB) in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, path, args.output], capture_output=True, text=True
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:])
            raise SystemExit(f"child failed with status {proc.returncode}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"MFCCFeatures(duration=None, output={args.output!r}): "
        f"peak RSS {result['peak_mib']:.0f} MiB, {result['seconds']:.1f} s "
        f"({result['cpu']:.1f} s of CPU, imports included), "
        f"output shape {tuple(result['shape'])}, finite={result['finite']}"
    )


if __name__ == "__main__":
    main()
