"""Two settings of one network, compared fold by fold under cross-validation (run by hand).

    python benchmarks/compare_settings.py cnn2d downsampling=max_pool downsampling=stride
    python benchmarks/compare_settings.py transformer patch_size=1 patch_size=4 --data gtzan
    [--representation mfcc] [--folds 5] [--repeats 2] [--max-epochs 20] [--patience 10]
    [--clips-per-genre 20] [--duration 3.0] [--threads 1]

Both settings train with the study's architecture (``sklearn_mgc.study.make_classifier``) on
the same folds of a repeated stratified K-fold split, with the same seed, on MFCC (or
``--representation``) sequences of:

- ``--data synthetic`` (default): ``make_genre_clips(--clips-per-genre, duration=--duration)``,
  8 genres;
- ``--data gtzan``: the 60 real clips of ``../shared/data/gtzan-mini`` (their first
  ``--duration`` seconds; 10 genres).

Prints each setting's mean accuracy, standard deviation and fit seconds, then the paired
difference (second minus first): its mean, a 95 % t-interval over the folds (folds of a
repeated K-fold are not independent, so the interval is a little too narrow) and how many
folds each setting won. "Equal accuracy" here means an interval that holds 0 and is narrow
against the difference one cares about.
"""

import argparse
import ast
import time
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.model_selection import RepeatedStratifiedKFold

from sklearn_mgc.datasets import load_gtzan, make_genre_clips
from sklearn_mgc.study import make_classifier, make_representation

DEFAULT_GTZAN = Path(__file__).resolve().parents[2] / "shared" / "data" / "gtzan-mini"


def setting(text):
    """``"name=value"`` -> ``{"name": value}`` (the value read as a Python literal)."""
    name, _, value = text.partition("=")
    try:
        return {name: ast.literal_eval(value)}
    except (ValueError, SyntaxError):
        return {name: value}


def load(args):
    if args.data == "synthetic":
        return make_genre_clips(args.clips_per_genre, duration=args.duration, random_state=0)
    data = load_gtzan(args.gtzan)
    return data.filenames, np.asarray(data.target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("first", type=setting)
    parser.add_argument("second", type=setting)
    parser.add_argument("--data", choices=["synthetic", "gtzan"], default="synthetic")
    parser.add_argument("--gtzan", default=str(DEFAULT_GTZAN))
    parser.add_argument("--representation", default="mfcc")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--clips-per-genre", type=int, default=20)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    clips, y = load(args)
    X = make_representation(
        args.representation, output="sequence", duration=args.duration
    ).fit_transform(clips)
    cv = RepeatedStratifiedKFold(n_splits=args.folds, n_repeats=args.repeats, random_state=0)
    splits = list(cv.split(np.zeros(len(y)), y))
    print(f"{args.data}: {X.shape} {args.representation}, {len(splits)} folds", flush=True)
    scores = {0: [], 1: []}
    seconds = {0: [], 1: []}
    for k, (train, test) in enumerate(splits):
        for i, params in enumerate((args.first, args.second)):  # paired, interleaved
            clf = make_classifier(
                args.model,
                max_epochs=args.max_epochs,
                patience=args.patience,
                random_state=k,
                params=params,
            )
            t0 = time.perf_counter()
            clf.fit(X[train], y[train])
            seconds[i].append(time.perf_counter() - t0)
            scores[i].append(float(np.mean(clf.predict(X[test]) == y[test])))
        print(f"fold {k}: {scores[0][-1]:.3f} vs {scores[1][-1]:.3f}", flush=True)
    report(args, scores, seconds)


def report(args, scores, seconds):
    print()
    for i, params in enumerate((args.first, args.second)):
        print(
            f"{args.model} {params}: accuracy {np.mean(scores[i]):.3f} +- "
            f"{np.std(scores[i]):.3f}, fit {np.median(seconds[i]):.1f} s (median)"
        )
    diff = np.asarray(scores[1]) - np.asarray(scores[0])
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    print(
        f"second - first: {diff.mean():+.3f}, 95 % interval [{diff.mean() - half:+.3f}, "
        f"{diff.mean() + half:+.3f}]; folds won: first {int((diff < 0).sum())}, "
        f"second {int((diff > 0).sum())}, ties {int((diff == 0).sum())}"
    )
    print(f"fit time ratio (first / second): {np.median(seconds[0]) / np.median(seconds[1]):.2f}x")


if __name__ == "__main__":
    main()
