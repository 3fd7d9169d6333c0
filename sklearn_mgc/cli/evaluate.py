"""``sklearn-mgc evaluate``: score a saved pipeline on a labelled folder."""

from functools import partial
from pathlib import Path

from ..study import load_study_data
from ..study.predict import predict_files
from ..study.report import evaluate_pipeline
from ._common import (
    Command,
    compute_options,
    device_option,
    finish,
    load_model,
    logger,
    output_options,
    verbosity,
)

__all__ = ["EvaluateCommand"]


class EvaluateCommand(Command):
    """Print accuracy and the per-genre report; write report.md and the confusion matrix."""

    name = "evaluate"
    help = "score a saved pipeline on a folder (report and confusion matrix)"
    description = (
        "Classify every clip of a labelled folder (<genre>/<file> tree or GTZAN) with a saved "
        "pipeline; print accuracy and the per-genre report, and write report.md and "
        "confusion_matrix.png into --out."
    )
    shared = (partial(compute_options, device=False), device_option, output_options)

    @staticmethod
    def add_arguments(p):
        p.add_argument("model", metavar="MODEL", help="saved pipeline (.skops or .joblib)")
        p.add_argument(
            "--data", required=True, metavar="PATH", help="labelled folder of audio files"
        )
        p.add_argument("--out", default="mgc-evaluate", metavar="DIR", help="output folder")

    @staticmethod
    def run(args):
        from sklearn.metrics import classification_report

        from ..features import BaseFeatures

        model = load_model(args.model, device=args.device)
        first = model.steps[0][1] if hasattr(model, "steps") else None
        ds = load_study_data(args.data, split=None, duration=getattr(first, "duration", None))
        if isinstance(first, BaseFeatures):
            first.set_params(on_error="skip", verbose=int(verbosity(args) >= 1))
            first.set_params(cache_dir=args.cache_dir)
            if args.n_jobs is not None:
                first.set_params(n_jobs=args.n_jobs)
        logger.info("data: %s", ds.description)
        tolerant = _Tolerant(model)
        scores = evaluate_pipeline(
            tolerant,
            list(ds.clips),
            ds.target,
            out_dir=args.out,
            title=f"{Path(args.model).name} on {Path(args.data).name}",
            description=ds.description,
        )
        print(
            f"accuracy {scores.accuracy:.3f}, macro F1 {scores.macro_f1:.3f} "
            f"on {scores.n_clips} clips\n"
        )
        y, pred = scores.y_true, scores.y_pred
        print(classification_report(y, pred, labels=scores.labels, zero_division=0))
        print(f"wrote {scores.report} and {scores.confusion_matrix}")
        failures = tolerant.steps[0][1].failures
        return finish(scores.n_clips, failures, "classified")


class _Tolerant:
    """A fitted pipeline whose ``predict`` keeps going after any clip's failure.

    Its first step's ``skipped_`` lists the clips left out, as a representation's does, so
    ``evaluate_pipeline`` aligns the labels and reports them.
    """

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.steps = [("failures", _Failures())]

    def predict(self, clips):
        pred, failures = predict_files(self.pipeline, clips)
        self.steps[0][1].skipped_ = self.steps[0][1].failures = failures
        return pred


class _Failures:
    skipped_ = failures = ()
