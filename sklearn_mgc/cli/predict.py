"""``sklearn-mgc predict``: genres of audio files and folders with a saved pipeline."""

import csv
import io
import json
import os

from ..audio import AudioError
from ..study.predict import describe_failure, predict_track_proba
from ._common import (
    NO_AUDIO,
    Command,
    audio_files,
    device_option,
    empty_folders,
    finish,
    load_model,
    logger,
    output_options,
)

__all__ = ["PredictCommand"]


class PredictCommand(Command):
    """Print the genre of each file; unreadable files are reported, the others classified."""

    name = "predict"
    help = "genre of audio files and folders with a saved pipeline"
    description = (
        "Print, for each audio file (folders are walked recursively), the predicted genre and "
        "its probability. Tracks longer than the model's clip duration are cut into windows "
        "(--hop: overlapping ones) whose probabilities are averaged; --per-window prints the "
        "timeline. Files that fail get one line each on stderr and a non-zero exit status; "
        "the other files are still classified."
    )
    shared = (device_option, output_options)

    @staticmethod
    def add_arguments(p):
        p.add_argument(
            "model",
            metavar="MODEL",
            help="saved pipeline (.skops or .joblib), e.g. best_model.skops",
        )
        p.add_argument(
            "files",
            nargs="*",
            metavar="INPUT",
            help="audio files and folders (wav, flac, ogg, mp3, m4a, opus...)",
        )
        p.add_argument(
            "--top", type=int, default=1, metavar="K", help="show the K most likely genres"
        )
        p.add_argument(
            "--hop",
            type=float,
            default=None,
            metavar="SECONDS",
            help="seconds between the starts of two windows (default: the clip duration)",
        )
        p.add_argument(
            "--per-window", action="store_true", help="the timeline: each window's probabilities"
        )
        p.add_argument(
            "--format", choices=("table", "csv", "json"), default="table", help="output format"
        )
        p.add_argument("--json", action="store_true", help="same as --format json")
        p.add_argument("--output", default=None, metavar="FILE", help="write the results there")
        p.add_argument(
            "--info",
            action="store_true",
            help="print the model's provenance (versions, seed, data, checkpoints) and stop",
        )

    @staticmethod
    def run(args):
        import numpy as np

        fmt = "json" if args.json else args.format
        if args.top < 1 or (args.hop is not None and args.hop <= 0):
            logger.error("--top must be at least 1 and --hop positive")
            return 2
        if args.info:
            return _info(load_model(args.model, device="cpu"))
        if not args.files:
            logger.error("give at least one audio file or folder (or --info)")
            return 2
        model = load_model(args.model, device=args.device)
        classes = np.asarray(model.classes_)
        files = audio_files(args.files)
        results, failures = [], []
        for folder in empty_folders(args.files, files):
            failures.append({"index": -1, "clip": folder, "error": NO_AUDIO})
            if fmt == "json":
                results.append({"file": folder, "error": NO_AUDIO})
        for i, (path, _) in enumerate(files):
            entry = _classify(model, classes, path, args)
            if "error" in entry:
                failures.append({"index": i, "clip": entry["file"], "error": entry["error"]})
            if "error" not in entry or fmt == "json":
                results.append(entry)
            if "error" not in entry and fmt == "table" and args.output is None:
                print(_table([entry], classes), flush=True)
        if fmt != "table" or args.output is not None:
            _write(_render(results, classes, fmt), args.output)
        n_failed_files = sum(f["index"] >= 0 for f in failures)
        return finish(len(files) - n_failed_files, failures, "classified")


def _classify(model, classes, path, args):
    """The entry of one file: its genre(s) and timeline, or the error that stopped it."""
    import numpy as np

    name = os.fspath(path)
    try:
        if not os.path.isfile(path):
            raise AudioError(f"no such file: {name!r}")
        proba, n_windows, windows = predict_track_proba(
            model, path, hop=args.hop, return_windows=True
        )
    except Exception as exc:
        message = describe_failure(exc)
        logger.error("%s: cannot classify: %s", name, message)
        return {"file": name, "error": message}
    order = np.argsort(-proba, kind="stable")[: min(args.top, len(classes))]
    ranked = [{"genre": str(classes[i]), "probability": round(float(proba[i]), 4)} for i in order]
    entry = {
        "file": name,
        "genre": ranked[0]["genre"],
        "probability": ranked[0]["probability"],
        "windows": int(n_windows),
        "probabilities": {str(c): round(float(p), 4) for c, p in zip(classes, proba)},
    }
    if args.top > 1:
        entry["top"] = ranked
    if args.per_window:
        entry["timeline"] = [
            {
                "start": round(float(s), 3),
                "end": round(float(e), 3) if np.isfinite(e) else None,  # None: the file's end
                "probabilities": {str(c): round(float(p), 4) for c, p in zip(classes, row)},
            }
            for s, e, row in zip(windows["start"], windows["end"], windows["proba"])
        ]
    return entry


def _line(entry):
    ranked = entry.get("top")
    if ranked is None:
        return f"{entry['file']}\t{entry['genre']}\t{entry['probability']:.3f}"
    if len(ranked) == 1:
        return f"{entry['file']}\t{ranked[0]['genre']}\t{ranked[0]['probability']:.3f}"
    return entry["file"] + "\t" + "\t".join(f"{t['genre']} {t['probability']:.3f}" for t in ranked)


def _table(results, classes):
    lines = []
    for entry in results:
        lines.append(_line(entry))
        for w in entry.get("timeline", ()):
            cells = "\t".join(f"{g} {p:.3f}" for g, p in w["probabilities"].items())
            end = "end" if w["end"] is None else f"{w['end']:.2f}"
            lines.append(f"  {w['start']:.2f}-{end}\t{cells}")
    return "\n".join(lines)


def _csv(results, classes):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    genres = [str(c) for c in classes]
    per_window = any("timeline" in e for e in results)
    head = ["file", "start", "end"] if per_window else ["file", "genre", "probability", "windows"]
    writer.writerow(head + genres)
    for e in results:
        if per_window:
            for w in e.get("timeline", ()):
                probs = [w["probabilities"][g] for g in genres]
                writer.writerow([e["file"], w["start"], w["end"], *probs])
        else:
            probs = [e["probabilities"][g] for g in genres]
            writer.writerow([e["file"], e["genre"], e["probability"], e["windows"], *probs])
    return buffer.getvalue().rstrip("\n")


def _render(results, classes, fmt):
    if fmt == "json":
        return json.dumps(results, indent=2)
    if fmt == "csv":
        return _csv(results, classes)
    return _table(results, classes)


def _write(text, output):
    if output is None:
        print(text, flush=True)
        return
    from .._io import atomic_write

    with atomic_write(output) as tmp:
        tmp.write_text(text + "\n")
    logger.info("wrote %s", output)


def _info(model):
    provenance = getattr(model, "provenance_", None)
    if not provenance:
        print("this model records no provenance (saved before sklearn-mgc recorded it)")
        return 0
    print(json.dumps(provenance, indent=2, sort_keys=True))
    return 0
