"""Seed recipe versus modern recipe on the 60 real GTZAN clips of gtzan-mini (run by hand).

    python benchmarks/learn_gtzan_mini.py [--data ../shared/data/gtzan-mini]
        [--representations mfcc mel] [--networks gru lstm cnn1d cnn2d transformer]
        [--recipes seed modern] [--no-rf] [--repeats 2] [--folds 5] [--max-epochs 50]
        [--cache-dir DIR] [--threads N] [--device cpu] [--csv folds.csv [--resume]]
        [--params '{"lr": 0.003}'] [--label NAME]

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
mean fit time in seconds, wall clock and CPU of this process (with ``--threads 1`` the CPU
seconds are the fit's cost even on a busy machine). Every option chooses a part, so the full
table can be computed in pieces (for example one network per run). ``--csv`` appends one row
per fold as soon as it is scored; with ``--resume`` the folds already in that file are read
back instead of refitted, so a long cell (the Transformer's seed recipe takes about 15 CPU
minutes per fold) can be computed over several runs. ``--params`` (a JSON object) sets
network parameters on top of the recipe, for example ``'{"validation_fraction": null,
"patience": null}'`` (no validation split, no early stopping) or ``'{"freq_mask": [2, 8]}'``;
``--label`` names such a variant in place of the recipe in the table and the CSV. Chance is
0.10 (10 genres).
"""

import argparse
import csv
import json
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
    parser.add_argument(
        "--params",
        type=json.loads,
        default={},
        help="network parameters set on top of the recipe (a JSON object)",
    )
    parser.add_argument("--label", default=None, help="name of the --params variant")
    parser.add_argument(
        "--resume", action="store_true", help="reuse the folds already written to --csv"
    )
    args = parser.parse_args()
    if args.resume and not args.csv:
        parser.error("--resume needs --csv")
    if not isinstance(args.params, dict) or (args.params and not args.label):
        parser.error("--params takes a JSON object, and needs --label to name the variant")
    return args


def extract(name, files, args):
    """``(n_clips, n_frames, n_features)`` sequences of ``files`` (cached)."""
    features = make_representation(
        name, output="sequence", duration=args.duration, cache_dir=args.cache_dir
    )
    t0 = time.perf_counter()
    X = features.fit_transform(files)
    print(f"{name}: sequences {X.shape} in {time.perf_counter() - t0:.1f} s", flush=True)
    return X


CSV_COLUMNS = ["representation", "model", "recipe", "fold", "accuracy", "fit_s", "fit_cpu_s"]


class FoldLog:
    """The per-fold CSV: rows appended as folds finish, and those of earlier runs."""

    def __init__(self, path, resume):
        self.path = path
        self.done = {}
        if path is None:
            return
        if resume and Path(path).exists():
            with open(path, newline="") as f:
                for row in csv.DictReader(f):
                    key = (row["representation"], row["model"], row["recipe"], int(row["fold"]))
                    cpu = row.get("fit_cpu_s") or "nan"
                    self.done[key] = (float(row["accuracy"]), float(row["fit_s"]), float(cpu))
        else:
            with open(path, "w", newline="") as f:
                csv.writer(f).writerow(CSV_COLUMNS)

    def add(self, key, result):
        if self.path is not None:
            with open(self.path, "a", newline="") as f:
                csv.writer(f).writerow([*key, *result])


def evaluate(make, X, y, splits, log, cell):
    """``(accuracy, fit s, fit CPU s)`` of a fresh ``make()`` on each ``(train, test)`` split;
    folds found in ``log`` (from an earlier run) are not refitted."""
    results = []
    for k, (train, test) in enumerate(splits):
        key = (*cell, k)
        if key in log.done:
            results.append(log.done[key])
            continue
        clf = make()
        t0, c0 = time.perf_counter(), time.process_time()
        clf.fit(X[train], y[train])
        result = (time.perf_counter() - t0, time.process_time() - c0)
        result = (float(np.mean(clf.predict(X[test]) == y[test])), *result)
        log.add(key, result)
        results.append(result)
    return np.array(results)


def cells(args, X):
    """``(model, recipe, uses_means, make)`` of every cell asked for, on sequences ``X``."""
    if not args.no_rf:
        yield "rf", "-", True, lambda: make_classifier("rf", random_state=0)
    for model in args.networks:
        for recipe in args.recipes:

            def make(model=model, recipe=recipe):
                params = recipe_params(
                    recipe, model, n_frames=X.shape[1], n_features=X.shape[2], duration=30.0
                )
                return make_classifier(
                    model,
                    max_epochs=args.max_epochs,
                    patience=args.patience,
                    random_state=0,
                    device=args.device,
                    params={**params, **args.params},
                )

            label = f"{recipe}+{args.label}" if args.label else recipe
            yield model, label, False, make


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
    log = FoldLog(args.csv, args.resume)
    rows = []
    for rep in args.representations:
        X = extract(rep, data.filenames, args)
        means = TemporalMean().fit_transform(X)  # over real frames, as the study
        for model, recipe, uses_means, make in cells(args, X):
            folds = evaluate(make, means if uses_means else X, y, splits, log, (rep, model, recipe))
            acc, wall, cpu = folds.T
            row = (rep, model, recipe, acc.mean(), acc.std(), wall.mean(), cpu.mean())
            rows.append(row)
            line = "{:<6} {:<12} {:<7} acc {:.3f} +- {:.3f}  fit {:7.1f} s ({:.1f} CPU s)"
            print(line.format(*row), flush=True)
    print_table(rows)


def print_table(rows):
    """The summary table, in Markdown."""
    print("\n| representation | model | recipe | accuracy mean | std | fit s (mean) | fit CPU s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rep, model, recipe, mean, std, wall, cpu in rows:
        print(f"| {rep} | {model} | {recipe} | {mean:.3f} | {std:.3f} | {wall:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
