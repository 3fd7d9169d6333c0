"""Speed and memory of EnCodecMAEFeatures with a base-size model (run by hand).

The model has the architecture of the published ``mel256-ec-base_st`` (256-band filterbank
front end, 768-d, 10 layers, 12 heads, feed-forward 4096) or, with ``--front-end ec``,
of ``ec-ec-base_st`` (EnCodec front end), with random weights: the published weights are
not needed to measure cost.

Every measurement runs in a fresh Python process, so that its peak resident memory
(``ru_maxrss``) is its own. Reported:

* seconds per 30 s clip (best of ``--repeats`` transforms after a warm-up clip), wall
  clock and CPU time (with ``--threads 1`` the CPU time is what an idle core would take,
  a useful figure on a busy machine);
* peak resident memory of the whole process (``ru_maxrss``, loading included), the
  highest resident memory sampled during the transform, and its increase over the
  process with the model loaded and the waveform in memory;
* the same for longer tracks (default 2 and 10 minutes) and several ``batch_size``: the
  increase should depend on ``batch_size`` (chunks in flight), not on the track's length,
  except for the frames themselves (2,250 x 768 float32 = 6.9 MB per 30 s).

Usage::

    python benchmarks/bench_encodecmae.py                 # mel front end, CPU
    python benchmarks/bench_encodecmae.py --front-end ec  # EnCodec front end
    python benchmarks/bench_encodecmae.py --device cuda --threads 0
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SR = 24000
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ["PYTHONPATH"] = REPO + os.pathsep + os.environ.get("PYTHONPATH", "")


def _rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _RSSSampler:
    """Highest resident memory seen while the ``with`` block runs (sampled every 2 ms)."""

    def __enter__(self):
        import threading

        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def worker(spec):
    import numpy as np
    import torch

    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    from sklearn_mgc.features.encodecmae import EnCodecMAEFeatures

    feat = EnCodecMAEFeatures(
        model=spec["checkpoint"],
        duration=None,
        batch_size=spec["batch_size"],
        device=spec["device"],
    )
    feat.fit(np.zeros((1, SR), dtype=np.float32))
    rng = np.random.default_rng(0)
    n = int(spec["seconds"] * SR)
    track = (0.1 * rng.standard_normal(n)).astype(np.float32)
    rss_loaded = _rss_mb()
    peak_loaded = _peak_mb()
    times, cpu_times = [], []
    with _RSSSampler() as sampler:
        for _ in range(spec["repeats"]):
            t0, c0 = time.perf_counter(), time.process_time()
            out = feat.transform([track])
            if spec["device"].startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
    result = {
        "seconds_of_audio": spec["seconds"],
        "batch_size": spec["batch_size"],
        "best_s": min(times),
        "all_s": times,
        "cpu_s": cpu_times,
        "rss_loaded_mb": rss_loaded,
        "peak_before_mb": peak_loaded,
        "peak_mb": _peak_mb(),
        "transform_peak_rss_mb": sampler.peak,
        "out_shape": list(out.shape),
    }
    if spec["device"].startswith("cuda"):
        result["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(result))


def run(spec):
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--front-end", choices=["mel", "ec"], default="mel")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--repeats", type=int, default=3, help="timed transforms of the 30 s clip")
    parser.add_argument(
        "--long", type=float, nargs="+", default=[120.0, 600.0], help="long track lengths (s)"
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[2, 8])
    args = parser.parse_args()
    if args.worker:
        return worker(json.loads(args.worker))

    import torch

    from sklearn_mgc.features.encodecmae.model import make_checkpoint

    path = os.path.join(tempfile.gettempdir(), f"bench_encodecmae_base_{args.front_end}.pt")
    if not os.path.exists(path):
        torch.save(
            make_checkpoint(
                front_end=args.front_end, dim=768, num_layers=10, n_heads=12, ff_dim=4096
            ),
            path,
        )
    base = {"checkpoint": path, "device": args.device, "threads": args.threads}
    print(
        f"EnCodecMAE base ({args.front_end} front end, 768-d, 10 layers, 12 heads), "
        f"device={args.device}, "
        f"torch threads={args.threads or torch.get_num_threads()}, load average "
        f"{os.getloadavg()[0]:.1f}"
    )

    r = run({**base, "seconds": 30.0, "batch_size": 8, "repeats": args.repeats + 1})
    timed = r["all_s"][1:]  # the first transform warms up
    cpu = r["cpu_s"][1:]
    print(
        f"30 s clip: {min(timed):.2f} s per clip (best of {len(timed)}; all "
        f"{', '.join(f'{t:.2f}' for t in timed)}), "
        f"{30.0 / min(timed):.1f}x real time; CPU time {min(cpu):.2f} s; output {r['out_shape']}"
    )
    print(
        f"           peak RSS {r['peak_mb']:.0f} MB, model loaded {r['rss_loaded_mb']:.0f} MB, "
        f"peak during transform {r['transform_peak_rss_mb']:.0f} MB "
        f"(+{r['transform_peak_rss_mb'] - r['rss_loaded_mb']:.0f} MB over the loaded model)"
        + (f", CUDA peak {r['cuda_peak_mb']:.0f} MB" if "cuda_peak_mb" in r else "")
    )
    print("\nlong tracks (one transform each, fresh process):")
    print(
        f"{'track':>8} {'batch':>5} {'seconds':>8} {'CPU s':>8} {'peak RSS MB':>11} "
        f"{'transform peak MB':>17} {'increase MB':>11}"
    )
    for batch_size in args.batch_sizes:
        for seconds in args.long:
            r = run({**base, "seconds": seconds, "batch_size": batch_size, "repeats": 1})
            print(
                f"{seconds / 60:>6.1f} m {batch_size:>5} {r['best_s']:>8.1f} "
                f"{r['cpu_s'][0]:>8.1f} {r['peak_mb']:>11.0f} "
                f"{r['transform_peak_rss_mb']:>17.0f} "
                f"{r['transform_peak_rss_mb'] - r['rss_loaded_mb']:>11.0f}"
                + (f"  CUDA peak {r['cuda_peak_mb']:.0f} MB" if "cuda_peak_mb" in r else ""),
                flush=True,
            )


if __name__ == "__main__":
    main()
