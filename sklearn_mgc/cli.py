"""The ``sklearn-mgc`` command: run the genre study, and classify music with its best model.

Subcommands (``sklearn-mgc SUBCOMMAND --help`` for each):

- ``study``: the grid of representations x classifiers, with results, report and pictures;
- ``predict``: genres of audio files of any length with a saved pipeline;
- ``fit``: train one representation + classifier on a folder and save the pipeline;
- ``evaluate``: score a saved pipeline on a folder (report and confusion matrix).

``python -m sklearn_mgc`` runs the same command. :func:`main` returns the exit status, so the
command is also callable from Python: ``main(["predict", "model.joblib", "song.wav"])``.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import __version__

__all__ = ["main", "build_parser"]

_REPRESENTATIONS = ("mel", "mfcc", "cqt", "spectrum", "wav2vec2", "encodecmae")
_MODELS = ("rf", "mlp", "gru", "lstm", "cnn1d", "cnn2d", "transformer")


class _Formatter(argparse.HelpFormatter):
    """Show an option's default unless its help already says it, or it is None / False."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"

    def _fill_text(self, text, width, indent):
        import textwrap

        text = " ".join(text.split())
        return textwrap.fill(
            text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )


def _add_common(p, *, device=True):
    if device:
        p.add_argument(
            "--device", default="cpu", help="torch device of the networks and encoders, e.g. cuda"
        )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="clips extracted in parallel (-1: all cores)",
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="folder of the feature cache (default: study: OUT/cache; others: none)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the results")


def _add_pretrained(p):
    p.add_argument(
        "--wav2vec2-model",
        default=None,
        metavar="NAME_OR_DIR",
        help="Hugging Face model id or local folder (save_pretrained) of the wav2vec2 "
        "representation (default: facebook/wav2vec2-base)",
    )
    p.add_argument(
        "--encodecmae-model",
        default=None,
        metavar="NAME_OR_FILE",
        help="EnCodecMAE checkpoint name on the hub or local .pt file (default: mel256-ec-base_st)",
    )


def _pretrained(args):
    out = {}
    if getattr(args, "wav2vec2_model", None):
        out["wav2vec2"] = args.wav2vec2_model
    if getattr(args, "encodecmae_model", None):
        out["encodecmae"] = args.encodecmae_model
    return out


def build_parser():
    """The argument parser of ``sklearn-mgc``.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="sklearn-mgc",
        description="Music genre classification with scikit-learn: reproduce the genre study, "
        "then classify your own music with the best model.",
        epilog="Example: sklearn-mgc study --out DIR, then "
        "sklearn-mgc predict DIR/best_model.joblib song.wav",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    # ---------------------------------------------------------------- study
    p = sub.add_parser(
        "study",
        formatter_class=_Formatter,
        help="run the grid of representations x classifiers (results, report, pictures)",
        description="Run the genre study: every representation (mel, mfcc, cqt, spectrum, "
        "wav2vec2, encodecmae) x every classifier (a random forest on temporal means, "
        "the MLP on the spectrum's mean, and the GRU, LSTM, CNN1D, CNN2D and "
        "Transformer on sequences). Writes results.csv, report.md, pictures and "
        "best_model.joblib into --out. Without --data, runs on embedded synthetic "
        "clips in a few minutes.",
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="GTZAN folder (either layout) or any <genre>/<file> tree of audio files; "
        "default: the embedded synthetic dataset",
    )
    p.add_argument(
        "--split",
        choices=("study", "fault-filtered"),
        default="study",
        help="study: stratified 10%% test, the rest 80/20 train/validation; "
        "fault-filtered: the artist-filtered split of full GTZAN",
    )
    p.add_argument(
        "--splits-dir",
        default=None,
        metavar="DIR",
        help="folder of the fault-filtered lists (default: downloaded once)",
    )
    p.add_argument(
        "--features",
        nargs="+",
        choices=_REPRESENTATIONS,
        default=None,
        metavar="NAME",
        help=f"representations to run, among {', '.join(_REPRESENTATIONS)} (default: all)",
    )
    p.add_argument(
        "--models",
        nargs="+",
        choices=_MODELS,
        default=None,
        metavar="NAME",
        help=f"classifiers to run, among {', '.join(_MODELS)} (default: all; the MLP "
        "on the spectrum only unless named)",
    )
    p.add_argument("--out", default="mgc-study", metavar="DIR", help="output folder")
    p.add_argument("--random-state", type=int, default=28, help="seed of the split and the models")
    p.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="maximum epochs of the networks (default: 50, 15 on the embedded data)",
    )
    p.add_argument("--patience", type=int, default=10, help="early-stopping patience (epochs)")
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds per clip (default: 30 for audio folders, the clip length for "
        "the embedded data)",
    )
    p.add_argument(
        "--n-clips-per-genre",
        type=int,
        default=None,
        metavar="N",
        help="size of the embedded dataset (default: 12 clips of 1.5 s per genre)",
    )
    p.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        metavar="N",
        help="torch threads while the networks train on the CPU (0: torch's default)",
    )
    p.add_argument("--no-umap", action="store_true", help="do not draw the UMAP projection")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also show the networks' per-epoch tables"
    )
    _add_pretrained(p)
    _add_common(p)

    # ---------------------------------------------------------------- predict
    p = sub.add_parser(
        "predict",
        formatter_class=_Formatter,
        help="genre of audio files with a saved pipeline",
        description="Print, for each audio file, the predicted genre and its probability. "
        "Tracks longer than the model's clip duration are cut into windows whose "
        "probabilities are averaged. Unreadable files get one line each on stderr "
        "and a non-zero exit status; the other files are still classified.",
    )
    p.add_argument(
        "model", metavar="MODEL", help="saved pipeline (.joblib), e.g. best_model.joblib"
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, mp3, au...)"
    )
    p.add_argument("--top", type=int, default=1, metavar="K", help="show the K most likely genres")
    p.add_argument(
        "--json", action="store_true", help="machine-readable output (one JSON document)"
    )

    # ---------------------------------------------------------------- fit
    p = sub.add_parser(
        "fit",
        formatter_class=_Formatter,
        help="train one representation + classifier on a folder and save the pipeline",
        description="Train one representation + classifier on every clip of a folder "
        "(<genre>/<file> tree or GTZAN) and save the pipeline for predict/evaluate.",
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="training folder; default: the embedded synthetic dataset",
    )
    p.add_argument("--feature", choices=_REPRESENTATIONS, default="mfcc", help="representation")
    p.add_argument("--model", choices=_MODELS, default="rf", help="classifier")
    p.add_argument(
        "--out", default="model.joblib", metavar="FILE", help="where to save the pipeline"
    )
    p.add_argument("--random-state", type=int, default=28, help="seed of the model")
    p.add_argument("--max-epochs", type=int, default=50, help="maximum epochs of a network")
    p.add_argument("--patience", type=int, default=10, help="early-stopping patience (epochs)")
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds per clip (default: 30, or the embedded clip length)",
    )
    _add_pretrained(p)
    _add_common(p)

    # ---------------------------------------------------------------- evaluate
    p = sub.add_parser(
        "evaluate",
        formatter_class=_Formatter,
        help="score a saved pipeline on a folder (report and confusion matrix)",
        description="Classify every clip of a labelled folder (<genre>/<file> tree or GTZAN) with "
        "a saved pipeline; print accuracy and the per-genre report, and write "
        "report.md and confusion_matrix.png into --out.",
    )
    p.add_argument("model", metavar="MODEL", help="saved pipeline (.joblib)")
    p.add_argument("--data", required=True, metavar="PATH", help="labelled folder of audio files")
    p.add_argument("--out", default="mgc-evaluate", metavar="DIR", help="output folder")
    _add_common(p, device=False)
    return parser


def _err(message):
    print(f"sklearn-mgc: {message}", file=sys.stderr, flush=True)


def _load_model(path):
    import joblib

    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path!r} does not exist")
    try:
        model = joblib.load(path)
    except Exception as exc:
        raise ValueError(f"cannot load the model {path!r}: {type(exc).__name__}: {exc}") from None
    if not hasattr(model, "predict_proba"):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a classifier with predict_proba"
        )
    return model


# --------------------------------------------------------------------------------------
# subcommands
# --------------------------------------------------------------------------------------
def _cmd_study(args):
    from .study import run_study

    result = run_study(
        args.data,
        split=args.split,
        features=args.features,
        models=args.models,
        out_dir=args.out,
        cache_dir=args.cache_dir,
        max_epochs=args.max_epochs,
        patience=args.patience,
        device=args.device,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        pretrained=_pretrained(args),
        duration=args.duration,
        n_clips_per_genre=args.n_clips_per_genre,
        splits_dir=args.splits_dir,
        umap=not args.no_umap,
        torch_threads=args.torch_threads or None,
        verbose=0 if args.quiet else (2 if args.verbose else 1),
    )
    if args.quiet:
        from .study import format_results

        print(format_results(result.results))
    if result.best is None:
        _err("no model could be trained; see the messages above")
        return 1
    return 0


def _cmd_predict(args):
    import numpy as np

    from .audio import AudioError
    from .study import predict_track_proba

    if args.top < 1:
        _err(f"--top must be at least 1, got {args.top}")
        return 2
    model = _load_model(args.model)
    classes = np.asarray(model.classes_)
    k = min(args.top, len(classes))
    results, failed = [], 0
    for path in args.files:
        try:
            if not os.path.isfile(path):
                raise AudioError(f"no such file: {path!r}")
            proba, n_windows = predict_track_proba(model, path)
        except (AudioError, OSError, ValueError) as exc:
            failed += 1
            _err(f"{path}: cannot classify: {exc}")
            if args.json:
                results.append({"file": path, "error": str(exc)})
            continue
        order = np.argsort(-proba, kind="stable")[:k]
        top = [{"genre": str(classes[i]), "probability": round(float(proba[i]), 4)} for i in order]
        entry = {
            "file": path,
            "genre": top[0]["genre"],
            "probability": top[0]["probability"],
            "windows": int(n_windows),
        }
        if args.top > 1:
            entry["top"] = top
        results.append(entry)
        if not args.json:
            if k == 1:
                print(f"{path}\t{top[0]['genre']}\t{top[0]['probability']:.3f}", flush=True)
            else:
                ranked = "\t".join(f"{t['genre']} {t['probability']:.3f}" for t in top)
                print(f"{path}\t{ranked}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


def _fit_data(data, duration, random_state, quiet):
    from .study import load_study_data

    ds = load_study_data(data, split=None, duration=duration, random_state=random_state)
    if not quiet:
        print(f"[sklearn-mgc] data: {ds.description}", file=sys.stderr, flush=True)
    return ds


def _cmd_fit(args):
    import joblib

    from .study import (
        PRETRAINED_REPRESENTATIONS,
        make_classifier,
        make_pipeline,
        make_representation,
    )

    ds = _fit_data(args.data, args.duration, args.random_state, args.quiet)
    features = make_representation(
        args.feature,
        duration=ds.duration,
        sr=ds.sr,
        n_jobs=args.n_jobs,
        cache_dir=args.cache_dir,
        device=args.device,
        verbose=int(not args.quiet),
        pretrained=_pretrained(args),
    )
    clf = make_classifier(
        args.model,
        max_epochs=args.max_epochs,
        patience=args.patience,
        device=args.device,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )
    pipe = make_pipeline(features, clf, model=args.model)
    if not args.quiet:
        print(
            f"[sklearn-mgc] training {args.model} on {args.feature} ({len(ds.target)} clips) ...",
            file=sys.stderr,
            flush=True,
        )
    t0 = time.perf_counter()
    try:
        pipe.fit(ds.clips, ds.target)
    except OSError as exc:
        if args.feature in PRETRAINED_REPRESENTATIONS:
            _err(f"cannot load the {args.feature} weights: {exc}")
            return 1
        raise
    seconds = time.perf_counter() - t0
    features.set_params(verbose=0, cache_dir=None)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipe, out)
    print(
        f"trained {args.model} on {args.feature} with {len(ds.target)} clips "
        f"({len(set(ds.target))} genres) in {seconds:.1f} s; saved {out}"
    )
    return 0


def _cmd_evaluate(args):
    import numpy as np
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    from .features._base import BaseFeatures
    from .plotting import plot_confusion_matrix
    from .study import _classification_report_md, _save, load_study_data

    model = _load_model(args.model)
    first = model.steps[0][1] if hasattr(model, "steps") else None
    ds = load_study_data(args.data, split=None, duration=getattr(first, "duration", None))
    clips, y = list(ds.clips), ds.target
    if isinstance(first, BaseFeatures):
        first.set_params(on_error="skip", verbose=int(not args.quiet), cache_dir=args.cache_dir)
        if args.n_jobs is not None:
            first.set_params(n_jobs=args.n_jobs)
    if not args.quiet:
        print(f"[sklearn-mgc] data: {ds.description}", file=sys.stderr, flush=True)
    pred = np.asarray(model.predict(clips))
    if isinstance(first, BaseFeatures) and first.skipped_:
        for s in first.skipped_:
            _err(f"{s['clip']}: left out: {s['error']}")
        y = np.delete(y, [s["index"] for s in first.skipped_])
    acc = accuracy_score(y, pred)
    f1 = f1_score(y, pred, average="macro", zero_division=0)
    labels = np.unique(np.concatenate([y, pred]).astype(object))
    print(f"accuracy {acc:.3f}, macro F1 {f1:.3f} on {len(y)} clips\n")
    print(classification_report(y, pred, labels=labels, zero_division=0))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ax = plot_confusion_matrix(
        y,
        pred,
        labels=labels,
        title=f"{Path(args.model).name} on {Path(args.data).name}\n"
        f"accuracy {acc:.1%}, {len(y)} clips",
    )
    _save(ax.figure, out / "confusion_matrix.png")
    (out / "report.md").write_text(
        f"# Evaluation of {args.model}\n\n- Data: {ds.description}\n"
        f"- Accuracy: {acc:.3f}; macro F1: {f1:.3f}\n\n"
        + _classification_report_md(y, pred, labels)
        + "\n\n![Confusion matrix](confusion_matrix.png)\n"
    )
    print(f"wrote {out / 'report.md'} and {out / 'confusion_matrix.png'}")
    return 0


_COMMANDS = {
    "study": _cmd_study,
    "predict": _cmd_predict,
    "fit": _cmd_fit,
    "evaluate": _cmd_evaluate,
}


def main(argv=None):
    """Run ``sklearn-mgc`` with ``argv`` (default: the process's arguments).

    Parameters
    ----------
    argv : list of str or None, default=None

    Returns
    -------
    status : int
        0 on success; 1 when a file could not be classified or the work failed; 2 for a
        command-line error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except (FileNotFoundError, ValueError, OSError) as exc:
        _err(str(exc))
        return 1
