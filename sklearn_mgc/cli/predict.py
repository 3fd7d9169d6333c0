"""``sklearn-mgc predict``: genres of audio files of any length with a saved pipeline."""

import json
import os

from ..audio import AudioError
from ..study import predict_track_proba
from ._common import Command, load_model, logger, output_options

__all__ = ["PredictCommand"]


class PredictCommand(Command):
    """Print the genre of each file; unreadable files are reported, the others classified."""

    name = "predict"
    help = "genre of audio files with a saved pipeline"
    description = (
        "Print, for each audio file, the predicted genre and its probability. Tracks longer "
        "than the model's clip duration are cut into windows whose probabilities are averaged. "
        "Unreadable files get one line each on stderr and a non-zero exit status; the other "
        "files are still classified."
    )
    shared = (output_options,)

    @staticmethod
    def add_arguments(p):
        p.add_argument(
            "model", metavar="MODEL", help="saved pipeline (.joblib), e.g. best_model.joblib"
        )
        p.add_argument(
            "files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, mp3, au...)"
        )
        p.add_argument(
            "--top", type=int, default=1, metavar="K", help="show the K most likely genres"
        )
        p.add_argument(
            "--json", action="store_true", help="machine-readable output (one JSON document)"
        )

    @staticmethod
    def run(args):
        import numpy as np

        if args.top < 1:
            logger.error("--top must be at least 1, got %d", args.top)
            return 2
        model = load_model(args.model)
        classes = np.asarray(model.classes_)
        results, failed = [], 0
        for path in args.files:
            entry = _classify(model, classes, path, args.top)
            failed += "error" in entry
            if "error" not in entry or args.json:
                results.append(entry)
            if "error" not in entry and not args.json:
                print(_line(entry), flush=True)
        if args.json:
            print(json.dumps(results, indent=2))
        return 1 if failed else 0


def _classify(model, classes, path, top):
    """The JSON entry of one file: its genre(s), or the error that stopped it."""
    import numpy as np

    try:
        if not os.path.isfile(path):
            raise AudioError(f"no such file: {path!r}")
        proba, n_windows = predict_track_proba(model, path)
    except (AudioError, OSError, ValueError) as exc:
        logger.error("%s: cannot classify: %s", path, exc)
        return {"file": path, "error": str(exc)}
    order = np.argsort(-proba, kind="stable")[: min(top, len(classes))]
    ranked = [{"genre": str(classes[i]), "probability": round(float(proba[i]), 4)} for i in order]
    entry = {
        "file": path,
        "genre": ranked[0]["genre"],
        "probability": ranked[0]["probability"],
        "windows": int(n_windows),
    }
    if top > 1:
        entry["top"] = ranked
    return entry


def _line(entry):
    ranked = entry.get("top")
    if ranked is None:
        return f"{entry['file']}\t{entry['genre']}\t{entry['probability']:.3f}"
    if len(ranked) == 1:
        return f"{entry['file']}\t{ranked[0]['genre']}\t{ranked[0]['probability']:.3f}"
    return entry["file"] + "\t" + "\t".join(f"{t['genre']} {t['probability']:.3f}" for t in ranked)
