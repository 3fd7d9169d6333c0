"""Held-out accuracy of each network on the synthetic genres (run by hand).

    python benchmarks/learn_networks.py [--n-clips 20] [--duration 5] [--max-epochs 60]
        [--hop-ms 10] [--threads N] [--only GRUClassifier ...]

Generates ``make_genre_clips`` (8 genres), extracts MFCC sequences (60 = 20 MFCC + deltas,
hop 10 ms) and their temporal mean, splits 75/25 stratified, trains every network with its
default architecture (early stopping on a 20 % validation split) and prints the held-out
accuracy and training time. Chance is 1 / 8 = 0.125.
"""

import argparse
import time

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.features.spectral import MFCCFeatures
from sklearn_mgc.networks import (
    CNN1DClassifier,
    CNN2DClassifier,
    GRUClassifier,
    LSTMClassifier,
    MLPClassifier,
    TransformerClassifier,
)


def standardize(train, test):
    """Per-feature standardisation fitted on the training frames."""
    shape_tr, shape_te = train.shape, test.shape
    sc = StandardScaler().fit(train.reshape(-1, shape_tr[-1]))
    return (
        sc.transform(train.reshape(-1, shape_tr[-1])).reshape(shape_tr).astype(np.float32),
        sc.transform(test.reshape(-1, shape_te[-1])).reshape(shape_te).astype(np.float32),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-clips", type=int, default=20)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--hop-ms", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    X_wav, y = make_genre_clips(args.n_clips, duration=args.duration, random_state=0)
    seq = MFCCFeatures(output="sequence", duration=args.duration, hop_ms=args.hop_ms).fit_transform(
        X_wav
    )
    print(f"{len(y)} clips, MFCC sequences {seq.shape}, {time.perf_counter() - t0:.1f} s")
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
    seq_tr, seq_te = standardize(seq[tr], seq[te])
    mean_tr, mean_te = seq_tr.mean(axis=1), seq_te.mean(axis=1)

    common = dict(max_epochs=args.max_epochs, random_state=0)
    models = {
        "MLPClassifier": (MLPClassifier(**common), mean_tr, mean_te),
        "LSTMClassifier": (LSTMClassifier(lr=3e-3, **common), seq_tr, seq_te),
        "GRUClassifier": (GRUClassifier(lr=3e-3, **common), seq_tr, seq_te),
        "CNN1DClassifier": (CNN1DClassifier(**common), seq_tr, seq_te),
        "CNN2DClassifier": (CNN2DClassifier(lr=3e-3, **common), seq_tr, seq_te),
        "TransformerClassifier": (TransformerClassifier(lr=3e-3, **common), seq_tr, seq_te),
    }
    print(f"{'network':24s} {'input':16s} {'epochs':>6s} {'test acc':>8s} {'fit s':>7s}")
    for name, (clf, Xtr, Xte) in models.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        clf.fit(Xtr, y[tr])
        dur = time.perf_counter() - t0
        acc = clf.score(Xte, y[te])
        print(
            f"{name:24s} {str(Xtr.shape[1:]):16s} {len(clf.history_):6d} {acc:8.3f} {dur:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
