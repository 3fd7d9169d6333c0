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

With ``--compare``, it instead times, in one run, on the same real clips (30 s of GTZAN at
24 kHz), one thread, interleaved clip by clip: the authors' ``encodecmae`` package (run in a
persistent subprocess of the throwaway virtual environment given by ``--authors-python``;
skipped when absent), ``EnCodecMAEFeatures`` in float32, int8 and, with ``--bfloat16``,
bfloat16 on the CPU. It prints the median CPU seconds per 30 s clip, the ratios to the
authors' (or, without them, to float32), and the fidelity of each variant: per-frame cosine
similarity to float32 (min, median) and the largest absolute difference. The authors' side
stops unless their model holds every encoder weight of the checkpoint after loading it. The
random checkpoint shares one feed-forward block among all layers, as the authors' model does
(their ``TransformerEncoder`` builds one): with one per layer, their loader kept the last
layer's in every layer, and the outputs agreed only to a cosine of about 0.06. The authors'
package is never a dependency: install it on its own, for instance::

    python3 -m venv /tmp/encodecmae-venv
    /tmp/encodecmae-venv/bin/pip install torch==2.9.1 torchaudio==2.9.1 encodec==0.1.1 \
        ginpipe==0.0.2 pytorch_lightning pandas torchmetrics
    /tmp/encodecmae-venv/bin/pip install --no-deps <a checkout of habla-liaa/encodecmae>

Usage::

    python benchmarks/bench_encodecmae.py                 # mel front end, CPU
    python benchmarks/bench_encodecmae.py --compare --clips 3 --repeats 2
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


def _base_checkpoint(front_end):
    """A base-size random checkpoint (published format), written once to the temporary folder."""
    import torch

    from sklearn_mgc.features.encodecmae.model import make_checkpoint

    # v2: one feed-forward block shared by all layers, as in the published models (v1 files had
    # one per layer, which the authors' code cannot hold: it kept the last layer's for all)
    path = os.path.join(tempfile.gettempdir(), f"bench_encodecmae_base_{front_end}_v2.pt")
    if not os.path.exists(path):
        ckpt = make_checkpoint(front_end=front_end, dim=768, num_layers=10, n_heads=12, ff_dim=4096)
        torch.save(ckpt, path)
    return path


_AUTHORS_WORKER = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import gin, numpy as np, torch
torch.set_num_threads(1)
from ginpipe.core import gin_configure_externals
from encodecmae.hub import get_model
state = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
gin_configure_externals({"module_list_str": state["imports"]})
gin.parse_config(state["config"])
model, processor = get_model()
model, processor = model(), processor()
missing = model.load_state_dict(state["state_dict"], strict=False).missing_keys
used = ("wav_encoder.", "masker.", "visible_encoder.encoder_layers.", "visible_encoder.final_norm.")
missing = [k for k in missing if k.startswith(used)]
loaded = model.state_dict()
differ = [k for k, v in state["state_dict"].items() if k in loaded and not loaded[k].equal(v)]
if missing or differ:  # strict=False only for the training-only parts (decoder, head, ...)
    sys.exit(f"the authors' model did not take the checkpoint: missing {missing[:4]}, "
             f"different after loading {differ[:4]} ({len(differ)} in all)")
model.eval()
model.processor = processor
model.visible_encoder.compile = False
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    job = json.loads(line)
    wave = np.load(job["wave"])
    c0 = time.process_time()
    out = model.extract_features_from_array(wave, layer=-1)
    cpu = time.process_time() - c0
    np.save(job["out"], np.asarray(out, dtype=np.float32).reshape(-1, out.shape[-1]))
    print(json.dumps({"cpu_s": cpu}), flush=True)
"""


def _authors_checkpoint(checkpoint, fixtures):
    """``checkpoint`` with the full gin configuration the authors' package needs.

    :func:`make_checkpoint` writes only the configuration our loader reads; the authors'
    ``get_model`` builds the whole training model from gin. The reference fixture of the same
    front end carries such a configuration, for a smaller model: its sizes are set back to
    the base ones (768-d, 10 layers); its training-only parts are left at random.
    """
    import torch

    front_end = "mel" if "_mel" in os.path.basename(checkpoint) else "ec"
    name = {"mel": "encodecmae_tiny_mel_d96_l3_st.pt", "ec": "encodecmae_tiny_ec_d96_l2_st.pt"}
    ref = torch.load(os.path.join(fixtures, front_end, name[front_end]), weights_only=True)
    config = ref["config"].replace("\nMODEL_DIM=96\n", "\nMODEL_DIM=768\n")
    config = config.replace("\nNUM_ENCODER_LAYERS=3\n", "\nNUM_ENCODER_LAYERS=10\n")
    config = config.replace("\nNUM_ENCODER_LAYERS=2\n", "\nNUM_ENCODER_LAYERS=10\n")
    ours = torch.load(checkpoint, weights_only=True)
    path = checkpoint[: -len(".pt")] + "_authors_format.pt"
    torch.save(
        {"imports": ref["imports"], "config": config, "state_dict": ours["state_dict"]}, path
    )
    return path


class _Authors:
    """The authors' package in a persistent subprocess of its own virtual environment."""

    def __init__(self, python, checkpoint, src=None):
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env["PYTHONPATH"] = src or ""
        self.proc = subprocess.Popen(
            [python, "-c", _AUTHORS_WORKER, checkpoint],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self.proc.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            raise RuntimeError("the authors' package did not start or did not load the checkpoint")

    def __call__(self, wave_path, out_path):
        self.proc.stdin.write(json.dumps({"wave": wave_path, "out": out_path}) + "\n")
        self.proc.stdin.flush()
        cpu = json.loads(self.proc.stdout.readline())["cpu_s"]
        import numpy as np

        return cpu, np.load(out_path)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def fidelity(out, ref):
    """Per-frame cosine similarity (min, median) and largest absolute difference."""
    import numpy as np

    out, ref = out.reshape(-1, out.shape[-1]), ref.reshape(-1, ref.shape[-1])
    cos = (out * ref).sum(-1) / (np.linalg.norm(out, axis=-1) * np.linalg.norm(ref, axis=-1))
    return float(cos.min()), float(np.median(cos)), float(np.abs(out - ref).max())


def timed_table(name_of_ref, times, outs, reference="float32"):
    """Print median CPU seconds per clip, ratios and fidelity to ``outs[reference]``."""
    import statistics

    base = statistics.median(times[name_of_ref])
    print(
        f"{'variant':>16} {'median CPU s':>12} {'all':>24} {'speed-up':>8} "
        f"{'cos min':>8} {'cos median':>10} {'max |diff|':>10}"
    )
    for name, t in times.items():
        cos_min, cos_med, diff = fidelity(outs[name], outs[reference])
        print(
            f"{name:>16} {statistics.median(t):>12.2f} "
            f"{', '.join(f'{v:.2f}' for v in t)[:24]:>24} {base / statistics.median(t):>7.2f}x "
            f"{cos_min:>8.5f} {cos_med:>10.5f} {diff:>10.3g}"
        )
    print(f"(speed-up: against {name_of_ref}; fidelity: against {reference}, all frames)")


def _gtzan_clips(root, n, sr, seconds=30.0):
    """The first ``n`` GTZAN clips of distinct genres, decoded to ``sr`` and cut to 30 s."""
    import glob

    from sklearn_mgc.audio import fix_length, load_audio

    files = sorted(glob.glob(os.path.join(root, "genres_original", "*", "*.wav")))
    by_genre = {}
    for f in files:
        by_genre.setdefault(os.path.basename(os.path.dirname(f)), f)
    chosen = list(by_genre.values())[:n]
    return chosen, [fix_length(load_audio(f, sr=sr), int(seconds * sr)) for f in chosen]


def compare(args, checkpoint):
    """Authors' package against ours (float32, int8, bfloat16): same clips, interleaved."""
    import numpy as np
    import torch

    from sklearn_mgc.features.encodecmae import EnCodecMAEFeatures

    torch.set_num_threads(1)
    names, waves = _gtzan_clips(args.data, args.clips, SR)
    tmp = tempfile.mkdtemp()
    authors = None
    if os.path.exists(args.authors_python):
        src = os.environ.get("ENCODECMAE_SRC", "/tmp/encodecmae-src")
        authors = _Authors(
            args.authors_python,
            _authors_checkpoint(checkpoint, args.fixtures),
            src if os.path.isdir(src) else None,
        )
    dtypes = ["float32", "int8"] + (["bfloat16"] if args.bfloat16 else [])
    feats = {
        f"ours {d}": EnCodecMAEFeatures(
            model=checkpoint, dtype=d, duration=None, output="sequence"
        ).fit(np.zeros((1, SR), np.float32))
        for d in dtypes
    }
    times = {"authors": []} if authors else {}
    times.update({name: [] for name in feats})
    outs = {name: [] for name in times}
    for repeat in range(args.repeats):
        for i, wave in enumerate(waves):
            if authors:
                wave_path = os.path.join(tmp, f"wave{i}.npy")
                np.save(wave_path, wave)
                cpu, out = authors(wave_path, os.path.join(tmp, "out.npy"))
                times["authors"].append(cpu)
                outs["authors"].append(out) if repeat == 0 else None
            for name, feat in feats.items():
                c0 = time.process_time()
                out = feat.transform([wave])[0]
                times[name].append(time.process_time() - c0)
                outs[name].append(out) if repeat == 0 else None
    if authors:
        authors.close()
    outs = {k: np.concatenate(v) for k, v in outs.items()}
    print(
        f"EnCodecMAE base ({args.front_end} front end, random weights), {len(waves)} GTZAN "
        f"clips of 30 s x {args.repeats} repeats, one thread, interleaved; load average "
        f"{os.getloadavg()[0]:.1f}; clips: {', '.join(os.path.basename(n) for n in names)}"
    )
    timed_table("authors" if authors else "ours float32", times, outs, "ours float32")
    if not authors:
        print(f"authors' package not found at {args.authors_python}: compared to ours only")


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
    parser.add_argument("--compare", action="store_true", help="against the authors' package")
    parser.add_argument("--clips", type=int, default=3, help="GTZAN clips (--compare)")
    parser.add_argument(
        "--data", default=os.path.join("..", "shared", "data", "gtzan-mini"), help="GTZAN folder"
    )
    parser.add_argument(
        "--authors-python",
        default="/tmp/encodecmae-venv/bin/python",
        help="python of the throwaway environment with the authors' package (--compare)",
    )
    parser.add_argument(
        "--fixtures",
        default=os.path.join("..", "shared", "fixtures", "encodecmae"),
        help="EnCodecMAE reference fixtures (their gin configuration feeds the authors' package)",
    )
    parser.add_argument("--bfloat16", action="store_true", help="also time bfloat16 (--compare)")
    args = parser.parse_args()
    if args.worker:
        return worker(json.loads(args.worker))
    path = _base_checkpoint(args.front_end)
    if args.compare:
        return compare(args, path)
    import torch

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
