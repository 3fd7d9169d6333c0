"""Wall time of ``sklearn-mgc study`` with ``--n-jobs 1`` against ``--n-jobs N`` (run by hand).

Each run starts from an empty output folder (so both pay the extraction: nothing is read back
from another run's cache), in a fresh process, and the two ``results.csv`` are compared: the
accuracies and macro F1 must be identical. Prints the wall time of each run and the speed-up.

Usage (on a quiet machine; the default study takes minutes)::

    python benchmarks/bench_study_jobs.py                      # the default study, 1 vs 2
    python benchmarks/bench_study_jobs.py --jobs 1 4 --repeats 2
    python benchmarks/bench_study_jobs.py -- --features mfcc --models rf gru \\
        --n-clips-per-genre 2 --duration 0.5 --max-epochs 2     # a smoke run on a tiny grid

Everything after ``--`` is passed to ``sklearn-mgc study``.

Goal (issue 12 item 4): the default study's wall time at least 1.6x shorter with
``--n-jobs 2`` than with ``--n-jobs 1`` on 2 cores.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

KEYS = ("feature", "model", "kind", "fold", "accuracy", "macro_f1", "status")


def run(n_jobs, extra, out):
    cmd = [sys.executable, "-m", "sklearn_mgc", "study", "--out", out, "--n-jobs", str(n_jobs)]
    cmd += ["--no-umap", "-q", *extra]
    env = dict(os.environ, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    with open(os.path.join(out, "results.csv"), newline="") as f:
        rows = [tuple(r[k] for k in KEYS) for r in csv.DictReader(f)]
    return seconds, rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", nargs=2, type=int, default=[1, 2], metavar=("A", "B"))
    p.add_argument("--repeats", type=int, default=1, help="runs of each setting (best kept)")
    args = p.parse_args(argv)
    times, tables = {}, {}
    for repeat in range(args.repeats):
        for n_jobs in args.jobs:
            with tempfile.TemporaryDirectory(prefix="mgc-bench-") as out:
                seconds, rows = run(n_jobs, extra, out)
            times[n_jobs] = min(times.get(n_jobs, float("inf")), seconds)
            tables.setdefault(n_jobs, rows)
            print(f"repeat {repeat + 1}: --n-jobs {n_jobs}: {seconds:.1f} s", flush=True)
    a, b = args.jobs
    same = tables[a] == tables[b]
    print(f"\ncores: {os.cpu_count()}; study options: {' '.join(extra) or '(the default study)'}")
    print(f"--n-jobs {a}: {times[a]:.1f} s   --n-jobs {b}: {times[b]:.1f} s")
    print(f"speed-up: {times[a] / times[b]:.2f}x (goal: >= 1.6x on 2 cores)")
    print(f"results identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
