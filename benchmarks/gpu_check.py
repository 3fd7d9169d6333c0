"""The GPU path, checked in one run on a machine with a GPU (run by hand).

    python benchmarks/gpu_check.py [--device cuda] [--out gpu.json] [--quick]

1. The default study (``sklearn-mgc study``) with ``--device cuda``: its wall time and
   best row.
2. A network trained on the GPU (a small study of the GRU on MFCC, whose saved best model is
   that GRU), loaded and predicting in a fresh process that sees no GPU
   (``CUDA_VISIBLE_DEVICES=""``) on the study's test clips: its accuracy must be the study's.
3. The per-epoch table at GTZAN scale on the device (``bench_scale.py --device cuda
   --epochs-only``), with the study's architecture settings and with the CPU options: the
   user guide's GPU column ("Network training speed").

``--quick`` runs a tiny study and one network, to try the script itself (with ``--device
cpu`` on a machine without a GPU). ``--out`` saves the figures as JSON. The script stops at
the first step that fails, with that step's output.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY_CLIPS, TINY_DURATION = 3, 0.5  # per genre, seconds: the small studies' embedded data
TINY_STUDY = ["--features", "mfcc", "--n-clips-per-genre", str(TINY_CLIPS)]
TINY_STUDY += ["--duration", str(TINY_DURATION), "--max-epochs", "2"]
QUICK_STUDY = [*TINY_STUDY, "--models", "rf", "gru"]
NETWORK_STUDY = [*TINY_STUDY, "--models", "gru"]
QUICK_SCALE = ["--models", "gru", "--clips", "8"]

PREDICT_ON_CPU = """
import json, sys
import numpy as np
from sklearn_mgc.persistence import load_model
from sklearn_mgc.study import load_study_data
args = json.loads(sys.argv[1])
model = load_model(args["model"])
ds = load_study_data(None, n_clips_per_genre=args["n_clips_per_genre"], duration=args["duration"])
test = np.asarray(ds.test)
pred = model.predict([ds.clips[i] for i in test])
import torch
print(json.dumps({"cuda_visible": torch.cuda.is_available(),
                  "accuracy": float(np.mean(pred == np.asarray(ds.target)[test]))}))
"""


def _run(cmd, env=None):
    """Run ``cmd``; return (seconds, stdout); on failure print its output and stop."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - t0, done.stdout


def study_on_device(device, out, options):
    cmd = [sys.executable, "-m", "sklearn_mgc", "study", "--device", device, "--out", out]
    cmd += ["--no-umap", "-q", *options]
    seconds, _ = _run(cmd, env=dict(os.environ, MPLBACKEND="Agg"))
    with open(os.path.join(out, "results.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "ok"]
    best = max(rows, key=lambda r: float(r["accuracy"]))
    return seconds, {k: best[k] for k in ("feature", "model", "accuracy", "macro_f1")}


def predict_without_gpu(out):
    settings = {"model": os.path.join(out, "best_model.joblib")}
    settings.update(n_clips_per_genre=TINY_CLIPS, duration=TINY_DURATION)  # NETWORK_STUDY's
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    _, stdout = _run([sys.executable, "-c", PREDICT_ON_CPU, json.dumps(settings)], env=env)
    return json.loads(stdout.strip().splitlines()[-1])


def epoch_table(device, quick, options, out):
    cmd = [sys.executable, str(HERE / "bench_scale.py"), "--device", device, "--epochs-only"]
    cmd += ["--threads", "1", "--out", out]
    cmd += [*(QUICK_SCALE if quick else []), *(["--options"] if options else [])]
    _run(cmd)
    return json.loads(Path(out).read_text())["epochs"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="a tiny run of every step")
    parser.add_argument("--out", default=None, help="save the figures as JSON")
    args = parser.parse_args()
    record = {"device": args.device}
    with tempfile.TemporaryDirectory(prefix="mgc-gpu-check-") as tmp:
        seconds, best = study_on_device(args.device, tmp, QUICK_STUDY if args.quick else [])
        print(f"1. study --device {args.device}: {seconds:.1f} s; best {best}", flush=True)
        net = os.path.join(tmp, "network")
        _, net_best = study_on_device(args.device, net, NETWORK_STUDY)
        on_cpu = predict_without_gpu(net)
        same = abs(on_cpu["accuracy"] - float(net_best["accuracy"])) < 1e-9
        print(f"2. {net_best} trained there, predicting without GPU: {on_cpu}; same: {same}")
        record.update(study_seconds=seconds, best=best, network=net_best, on_cpu=on_cpu)
        record["same_accuracy"] = same
        for options in (False, True):
            epochs = epoch_table(args.device, args.quick, options, os.path.join(tmp, "e.json"))
            record["epochs_options" if options else "epochs"] = epochs
            print(f"3. seconds per GTZAN-scale epoch (train, validation), options={options}:")
            for key, (train, valid) in epochs.items():
                print(f"   {key:<18} {train:8.2f} {valid:8.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps(record, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
