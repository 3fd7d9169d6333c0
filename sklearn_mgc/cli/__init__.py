"""The ``sklearn-mgc`` command: run the genre study, and classify music with its best model.

Subcommands (``sklearn-mgc SUBCOMMAND --help`` for each), one module each:

- ``study``: the grid of representations x classifiers, with results, report and pictures;
- ``predict``: genres of audio files of any length with a saved pipeline;
- ``fit``: train one representation + classifier on a folder and save the pipeline;
- ``evaluate``: score a saved pipeline on a folder (report and confusion matrix);
- ``embed``: write the embeddings of audio files and folders, one ``.npz`` per file.

``python -m sklearn_mgc`` runs the same command. :func:`main` returns the exit status, so the
command is also callable from Python: ``main(["predict", "model.joblib", "song.wav"])``.

The results go to stdout; messages (progress, skipped files, errors) go to stderr through the
``sklearn_mgc`` loggers, whose level ``-q`` (warnings and errors only) and ``-v`` (debug)
set. Errors of the user's input or environment (see ``USER_ERRORS`` in ``_common``) end the
command with one line and status 1; any other exception is a bug and shows its traceback.
"""

import argparse

from .. import __version__
from ._common import USER_ERRORS, Formatter, cli_logging, logger, verbosity
from .embed import EmbedCommand
from .evaluate import EvaluateCommand
from .fit import FitCommand
from .predict import PredictCommand
from .study import StudyCommand

__all__ = ["main", "build_parser"]

COMMANDS = (StudyCommand, PredictCommand, FitCommand, EvaluateCommand, EmbedCommand)


def build_parser():
    """The argument parser of ``sklearn-mgc``.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> from sklearn_mgc.cli import build_parser
    >>> args = build_parser().parse_args(["predict", "model.joblib", "song.wav", "--top", "2"])
    >>> args.command, args.files, args.top
    ('predict', ['song.wav'], 2)
    """
    parser = argparse.ArgumentParser(
        prog="sklearn-mgc",
        description="Music genre classification with scikit-learn: reproduce the genre study, "
        "then classify your own music with the best model.",
        epilog="Example: sklearn-mgc study --out DIR, then "
        "sklearn-mgc predict DIR/best_model.joblib song.wav",
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv=None):
    """Run ``sklearn-mgc`` with ``argv`` (default: the process's arguments).

    Parameters
    ----------
    argv : list of str or None, default=None

    Returns
    -------
    status : int
        0 on success; 1 when a file could not be classified or the work failed; 2 for a
        command-line error; 130 when interrupted.

    Examples
    --------
    >>> from sklearn_mgc.cli import main
    >>> main(["predict", "no-such-model.joblib", "song.wav"])
    1
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    with cli_logging(verbosity(args)):
        try:
            return args.run(args)
        except KeyboardInterrupt:
            logger.error("interrupted")
            return 130
        except USER_ERRORS as exc:
            logger.error("%s", exc, exc_info=verbosity(args) >= 2)
            return 1
