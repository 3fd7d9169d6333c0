"""``sklearn-mgc study``: the grid of representations x classifiers (:func:`run_study`)."""

from pathlib import Path

from .. import _registry
from ..study import format_results, run_study
from ._common import (
    Command,
    compute_options,
    logger,
    output_options,
    pretrained,
    pretrained_options,
    training_options,
    verbosity,
)

__all__ = ["StudyCommand"]


class StudyCommand(Command):
    """Run the genre study and print its results table."""

    name = "study"
    help = "run the grid of representations x classifiers (results, report, pictures)"
    description = (
        "Run the genre study: every representation ({features}) x every classifier (a random "
        "forest on temporal means, the MLP on the spectrum's mean, and the sequence networks "
        "({sequence}) on sequences). Writes results.csv, report.md, pictures and "
        "best_model.joblib into --out. Without --data, runs on embedded synthetic clips in a "
        "few minutes."
    ).format(
        features=", ".join(_registry.representation_names()),
        sequence=", ".join(_registry.model_names("sequence")),
    )
    shared = (training_options, pretrained_options, compute_options, output_options)

    @staticmethod
    def add_arguments(p):
        representations, models = _registry.representation_names(), _registry.model_names()
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
            choices=representations,
            default=None,
            metavar="NAME",
            help=f"representations to run, among {', '.join(representations)} (default: all)",
        )
        p.add_argument(
            "--models",
            nargs="+",
            choices=models,
            default=None,
            metavar="NAME",
            help=f"classifiers to run, among {', '.join(models)} (default: all; the MLP "
            "on the spectrum only unless named)",
        )
        p.add_argument("--out", default="mgc-study", metavar="DIR", help="output folder")
        _add_data_size(p)
        _add_evaluation(p)
        p.add_argument("--no-umap", action="store_true", help="do not draw the UMAP projection")

    @classmethod
    def register(cls, subparsers):
        parser = super().register(subparsers)
        n_jobs = next(a for a in parser._actions if a.dest == "n_jobs")  # the shared option
        n_jobs.default = -1  # the study also trains the grid's cells in parallel
        n_jobs.help = (
            "processes training independent cells of the grid at once, clips extracted in "
            "parallel (-1: all cores; results are identical to --n-jobs 1)"
        )
        return parser

    @staticmethod
    def run(args):
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
            pretrained=pretrained(args),
            duration=args.duration,
            n_clips_per_genre=args.n_clips_per_genre,
            splits_dir=args.splits_dir,
            umap=not args.no_umap,
            torch_threads=args.torch_threads or None,
            verbose=verbosity(args),
            cv=args.cv,
            recipe=args.recipe,
        )
        print(format_results(result.results))
        if result.best is None:
            logger.error("no model could be trained; see the messages above")
            return 1
        best = result.best
        how = "mean accuracy" if args.cv else "accuracy"
        refit = ", refitted on every clip" if args.cv else ""
        print(
            f"\nBest: {best['model']} on {best['feature']} ({how} {best['accuracy']:.3f}), "
            f"saved{refit} as {Path(result.out_dir) / 'best_model.joblib'}"
        )
        return 0


def _add_data_size(p):
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


def _add_evaluation(p):
    p.add_argument(
        "--cv",
        type=int,
        default=None,
        metavar="K",
        help="stratified K-fold cross-validation of every cell over every clip (mean and "
        "standard deviation; the best cell is refitted on every clip); default: the split's "
        "test set, with 95%% intervals",
    )
