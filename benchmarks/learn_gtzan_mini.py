"""Seed recipe versus modern recipe on the 60 real GTZAN clips of gtzan-mini (run by hand).

    python benchmarks/learn_gtzan_mini.py [--data ../shared/data/gtzan-mini]
        [--representations mfcc mel] [--networks gru lstm cnn1d cnn2d transformer]
        [--recipes seed modern] [--no-rf] [--repeats 2] [--folds 5] [--max-epochs 50]
        [--cache-dir DIR] [--threads N] [--device cpu] [--csv folds.csv]

Extracts each representation's sequences once (30 s clips, hop 10 ms; cached on disk), then
runs repeated stratified K-fold cross-validation (``RepeatedStratifiedKFold``, the same splits
for every cell) of:

- the random forest of the study on the temporal means (the baseline);
- each sequence network with the study's settings (``sklearn_mgc.study.make_classifier``):
  ``seed`` trains on whole sequences (the reference study's training), ``modern`` adds the
  study's modern recipe (``sklearn_mgc.study.MODERN_RECIPE`` through ``recipe_params``: five
  random 3 s crops per clip and epoch, averaged over windows at prediction, mixup and a
  cosine schedule), exactly as ``sklearn-mgc study --recipe modern`` trains them.

Prints one row per cell: mean and standard deviation of the accuracy over the folds, and the
mean fit time in seconds. Every option chooses a part, so the full table can be computed in
pieces (for example one network per run). Chance is 0.10 (10 genres).
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold

from sklearn_mgc import TemporalMean
from sklearn_mgc.datasets import load_gtzan
from sklearn_mgc.study import make_classifier, make_representation, recipe_params

RECIPES = ("seed", "modern")
NETWORKS = ("gru", "lstm", "cnn1d", "cnn2d", "transformer")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(Path("..") / "shared" / "data" / "gtzan-mini"))
    parser.add_argument("--representations", nargs="+", default=["mfcc", "mel"])
    parser.add_argument("--networks", nargs="*", default=list(NETWORKS), choices=NETWORKS)
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--no-rf", action="store_true", help="skip the random forest")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "sklearn_mgc_bench"))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu", help="torch device of the networks")
    parser.add_argument("--csv", default=None, help="also write one row per cell and fold")
    return parser.parse_args()


def extract(name, files, args):
    """``(n_clips, n_frames, n_features)`` sequences of ``files`` (cached)."""
    features = make_representation(
        name, output="sequence", duration=args.duration, cache_dir=args.cache_dir
    )
    t0 = time.perf_counter()
    X = features.fit_transform(files)
    print(f"{name}: sequences {X.shape} in {time.perf_counter() - t0:.1f} s", flush=True)
    return X


def evaluate(make, X, y, splits):
    """Accuracy and fit seconds of a fresh ``make()`` on each ``(train, test)`` split."""
    scores, seconds = [], []
    for train, test in splits:
        clf = make()
        t0 = time.perf_counter()
        clf.fit(X[train], y[train])
        seconds.append(time.perf_counter() - t0)
        scores.append(float(np.mean(clf.predict(X[test]) == y[test])))
    return scores, seconds


def cells(args, X):
    """``(model, recipe, uses_means, make)`` of every cell asked for, on sequences ``X``."""
    if not args.no_rf:
        yield "rf", "-", True, lambda: make_classifier("rf", random_state=0)
    for model in args.networks:
        for recipe in args.recipes:

            def make(model=model, recipe=recipe):
                return make_classifier(
                    model,
                    max_epochs=args.max_epochs,
                    patience=args.patience,
                    random_state=0,
                    device=args.device,
                    params=recipe_params(
                        recipe, model, n_frames=X.shape[1], n_features=X.shape[2], duration=30.0
                    ),
                )

            yield model, recipe, False, make


def main():
    args = parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data = load_gtzan(args.data)
    y = np.asarray(data.target)
    cv = RepeatedStratifiedKFold(n_splits=args.folds, n_repeats=args.repeats, random_state=0)
    splits = list(cv.split(np.zeros(len(y)), y))
    print(f"{len(y)} clips, {len(set(y))} genres, {len(splits)} folds", flush=True)
    rows, folds = [], []
    for rep in args.representations:
        X = extract(rep, data.filenames, args)
        means = TemporalMean().fit_transform(X)  # over real frames, as the study
        for model, recipe, uses_means, make in cells(args, X):
            scores, seconds = evaluate(make, means if uses_means else X, y, splits)
            row = (rep, model, recipe, np.mean(scores), np.std(scores), np.mean(seconds))
            rows.append(row)
            per_fold = enumerate(zip(scores, seconds))
            folds += [(rep, model, recipe, k, s, t) for k, (s, t) in per_fold]
            print("{:<6} {:<12} {:<7} acc {:.3f} +- {:.3f}  fit {:7.1f} s".format(*row), flush=True)
    print_table(rows)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["representation", "model", "recipe", "fold", "accuracy", "fit_s"])
            writer.writerows(folds)


def print_table(rows):
    """The summary table, in Markdown."""
    print("\n| representation | model | recipe | accuracy mean | std | fit s (mean) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rep, model, recipe, mean, std, seconds in rows:
        print(f"| {rep} | {model} | {recipe} | {mean:.3f} | {std:.3f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
