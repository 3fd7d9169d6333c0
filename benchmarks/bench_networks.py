"""Training speed of the network classifiers (run by hand; prints figures).

    python benchmarks/bench_networks.py [--n 64] [--frames 3000] [--features 80] [--repeats 2]

1. Overhead of the scikit-learn/skorch wrapper: one training epoch of ``GRUClassifier``
   (``fit`` with ``max_epochs=1``, no validation split, no early stopping, so exactly one
   pass over the data) against a bare PyTorch loop doing the same work: the same module,
   batch size, optimizer (AdamW), cross-entropy, gradient-norm clipping and shuffled
   mini-batches. Both timings include building the module; ``fit`` also includes the
   input validation, the float32 copy and the standardisation. Goal: ratio <= 1.1.
2. Seconds per training epoch of each of the six networks with its default architecture
   on ``(n, frames, features)`` random input (the MLP on the temporal mean ``(n, features)``),
   and of the fast variants: ``CNN2DClassifier(downsampling="stride")`` and
   ``TransformerClassifier(patch_size=4)``.
3. With ``--compare``: each fast variant against its default, timed interleaved (A, B, A,
   B, ...), medians of ``--repeats`` epochs and their ratio.
4. With ``--profile NAME``: where one training epoch of the network NAME (a name printed
   in 2.) spends its time, as torch.profiler's table of operators.

Uses torch's default number of threads unless ``--threads`` is given.

    python benchmarks/bench_networks.py --compare --repeats 5 --skip all
    python benchmarks/bench_networks.py --profile CNN2DClassifier --skip all
"""

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn

from sklearn_mgc.networks import (
    CNN1DClassifier,
    CNN2DClassifier,
    GRUClassifier,
    LSTMClassifier,
    MLPClassifier,
    TransformerClassifier,
)
from sklearn_mgc.networks.rnn import RecurrentAttentionNet


def bare_epoch(
    X,
    y,
    *,
    hidden_size=32,
    batch_size=32,
    lr=1e-3,
    weight_decay=0.01,
    clip=1.0,
    seed=0,
    device="cpu",
):
    torch.manual_seed(seed)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    module = RecurrentAttentionNet(
        X.shape[2], int(y.max()) + 1, cell="gru", hidden_size=hidden_size
    ).to(device)
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    module.train()
    perm = torch.randperm(len(Xt))
    for start in range(0, len(Xt), batch_size):
        idx = perm[start : start + batch_size]
        opt.zero_grad()
        loss = loss_fn(module(Xt[idx].to(device)), yt[idx].to(device))
        loss.backward()
        nn.utils.clip_grad_norm_(module.parameters(), clip)
        opt.step()
    if device != "cpu":
        torch.cuda.synchronize()
    return module


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


#: the fast variants: name -> (estimator, parameters), beside the defaults they speed up
VARIANTS = {
    "CNN2DClassifier": (CNN2DClassifier, {}),
    "CNN2D(downsampling='stride')": (CNN2DClassifier, {"downsampling": "stride"}),
    "TransformerClassifier": (TransformerClassifier, {}),
    "Transformer(patch_size=4)": (TransformerClassifier, {"patch_size": 4}),
}


def compare(X, y, one_epoch, repeats):
    """Each fast variant against its default, epochs timed interleaved: medians and ratio."""
    print(f"\nfast variants against their defaults, interleaved, median of {repeats} epochs:")
    names = list(VARIANTS)
    for default, fast in zip(names[::2], names[1::2]):
        times = {default: [], fast: []}
        for _ in range(repeats):
            for name in (default, fast):
                Est, params = VARIANTS[name]
                t0 = time.perf_counter()
                Est(**params, **one_epoch).fit(X, y)
                times[name].append(time.perf_counter() - t0)
        a, b = statistics.median(times[default]), statistics.median(times[fast])
        print(f"  {default:30s} {a:8.2f} s/epoch", flush=True)
        print(f"  {fast:30s} {b:8.2f} s/epoch   {a / b:5.1f}x faster", flush=True)


def profile(name, X, y, one_epoch, row_limit=15):
    """torch.profiler's table of one training epoch of the network ``name``."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    Est, params = VARIANTS.get(name) or (NETWORKS[name], {})
    Est(**params, **one_epoch).fit(X[:8], y[:8])  # warm up
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        Est(**params, **one_epoch).fit(X, y)
    print(f"\none training epoch of {name}, operators by self CPU time:")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=row_limit))


NETWORKS = {
    Est.__name__: Est
    for Est in (
        MLPClassifier,
        LSTMClassifier,
        GRUClassifier,
        CNN1DClassifier,
        CNN2DClassifier,
        TransformerClassifier,
    )
}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--features", type=int, default=80)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--skip", nargs="*", default=[], help="network names to skip ('all' skips 1. and 2.)"
    )
    parser.add_argument("--compare", action="store_true", help="fast variants vs defaults")
    parser.add_argument("--profile", default=None, help="profile one epoch of this network")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} threads; "
        f"input ({args.n}, {args.frames}, {args.features}), {args.classes} classes, "
        f"best of {args.repeats}"
    )

    rng = np.random.RandomState(0)
    X = rng.randn(args.n, args.frames, args.features).astype(np.float32)
    y = rng.randint(args.classes, size=args.n).astype(np.int64)
    one_epoch = dict(
        max_epochs=1, validation_fraction=None, patience=None, random_state=0, device=args.device
    )

    if args.profile:
        profile(args.profile, X, y, one_epoch)
    if args.compare:
        compare(X, y, one_epoch, args.repeats)
    if "all" in args.skip:
        return
    overhead(X, y, one_epoch, args)
    per_epoch(X, y, one_epoch, args)


def overhead(X, y, one_epoch, args):
    """1. one epoch of GRUClassifier against a bare PyTorch loop."""
    # warm up (imports, CUDA context, kernel selection) outside the timings
    bare_epoch(X[:8], y[:8], device=args.device)
    GRUClassifier(**one_epoch).fit(X[:8], np.arange(8) % 2)
    bare = best_of(lambda: bare_epoch(X, y, device=args.device), args.repeats)
    wrapped = best_of(lambda: GRUClassifier(**one_epoch).fit(X, y), args.repeats)
    raw = best_of(lambda: GRUClassifier(standardize=False, **one_epoch).fit(X, y), args.repeats)
    print("\nGRUClassifier, one epoch (batch 32, AdamW, CE, clipping):")
    print(f"  bare PyTorch loop            {bare:8.2f} s")
    print(f"  GRUClassifier.fit            {wrapped:8.2f} s   ratio {wrapped / bare:.3f}")
    print(f"  ... with standardize=False   {raw:8.2f} s   ratio {raw / bare:.3f}")


def per_epoch(X, y, one_epoch, args):
    """2. seconds per epoch of each network, and of the fast variants."""
    print("\nseconds per training epoch (default architecture, batch 32):")
    nets = [(name, Est, {}) for name, Est in NETWORKS.items()]
    nets += [(name, Est, params) for name, (Est, params) in VARIANTS.items() if params]
    for name, Est, params in nets:
        if name in args.skip:
            continue
        data = X.mean(axis=1) if Est is MLPClassifier else X
        clf = Est(**params, **one_epoch)
        t = best_of(lambda: clf.fit(data, y), args.repeats)
        n_params = sum(p.numel() for p in clf.net_.module_.parameters())
        t0 = time.perf_counter()
        clf.predict_proba(data)
        t_pred = time.perf_counter() - t0
        print(
            f"  {name:28s} input {str(data.shape):16s} {t:8.2f} s/epoch   "
            f"predict {t_pred:6.2f} s   {n_params:>9,d} parameters",
            flush=True,
        )


if __name__ == "__main__":
    main()
