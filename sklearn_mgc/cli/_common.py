"""What the subcommands share: the help formatter, the options declared once, the error
policy, the logging of ``-q`` / ``-v``, and the loading of a saved model.

Options shared by several subcommands are declared here once, as functions that add them to
a subcommand's parser: ``--device``, ``--n-jobs``, ``--cache-dir``, ``-q`` / ``-v``, the
pretrained model options and the training options (``--random-state``, ``--max-epochs``,
``--patience``, whose defaults are the same for ``study`` and ``fit``: 50 epochs, 15 on the
embedded data, and a patience of 10).
"""

import argparse
import logging
import os
import sys
import textwrap
from contextlib import contextmanager

from .._io import get_logger

__all__ = [
    "Formatter",
    "Command",
    "USER_ERRORS",
    "logger",
    "output_options",
    "compute_options",
    "pretrained_options",
    "training_options",
    "pretrained",
    "verbosity",
    "cli_logging",
    "load_model",
    "AUDIO_SUFFIXES",
    "audio_files",
    "device_option",
    "finish",
]

#: Suffixes of the audio files found in folders by ``predict`` and ``embed``.
AUDIO_SUFFIXES = frozenset(
    (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".mp4", ".webm")
    + (".wma", ".au", ".aiff", ".aif")
)

#: Errors that are the user's input or environment, shown as one line (exit status 1):
#: OSError (a missing or unreadable path, a full disk) and ValueError (a bad value: the
#: toolkit's AudioError, scikit-learn's InvalidParameterError and the study's validation).
#: Any other exception is a bug and shows its traceback; ``-v`` shows it for these too.
USER_ERRORS = (OSError, ValueError)

logger = get_logger("sklearn_mgc.cli")


class Formatter(argparse.HelpFormatter):
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
        text = " ".join(text.split())
        return textwrap.fill(
            text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )


class Command:
    """A subcommand: registers its own parser, and runs it.

    Subclasses set ``name``, ``help``, ``description`` and ``shared`` (the functions that
    add the options shared with other subcommands), and define ``add_arguments(parser)``
    and ``run(args)`` (returning the exit status).
    """

    name = ""
    help = ""
    description = ""
    shared = ()

    @classmethod
    def register(cls, subparsers):
        parser = subparsers.add_parser(
            cls.name,
            help=cls.help,
            description=cls.description,
            formatter_class=Formatter,
        )
        cls.add_arguments(parser)
        for add_options in cls.shared:  # the options declared once for several subcommands
            add_options(parser)
        parser.set_defaults(run=cls.run)
        return parser

    @staticmethod
    def add_arguments(parser):  # pragma: no cover - every subcommand defines it
        raise NotImplementedError

    @staticmethod
    def run(args):  # pragma: no cover - every subcommand defines it
        raise NotImplementedError


def output_options(p):
    """``-q`` / ``-v``: the level of the ``sklearn_mgc`` messages on stderr."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-q", "--quiet", action="store_true", help="print only the results (and errors)"
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="more detail: debug messages, the networks' per-epoch tables",
    )


def compute_options(p, *, device=True):
    """``--device``, ``--n-jobs`` and ``--cache-dir``."""
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


def pretrained_options(p):
    """``--wav2vec2-model`` and ``--encodecmae-model``, defaults from the registry."""
    from .. import _registry

    for spec in _registry.REPRESENTATION_SPECS:
        if not spec.pretrained:
            continue
        p.add_argument(
            f"--{spec.name}-model",
            default=None,
            metavar="NAME_OR_PATH",
            help=f"model name on the Hugging Face hub or local {spec.local_weights} of the "
            f"{spec.name} representation (default: {spec.default_model})",
        )


def training_options(p):
    """``--random-state``, ``--max-epochs``, ``--patience`` and ``--recipe`` (the same for study
    and fit)."""
    from ..study.factories import RECIPES

    p.add_argument("--random-state", type=int, default=28, help="seed of the split and the models")
    p.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="maximum epochs of the networks (default: 50, 15 on the embedded data)",
    )
    p.add_argument("--patience", type=int, default=10, help="early-stopping patience (epochs)")
    p.add_argument(
        "--recipe",
        choices=RECIPES,
        default="seed",
        help="training of the sequence networks: seed (the reference study's, on whole "
        "sequences) or modern (crops, mixup and a cosine schedule; see MODERN_RECIPE)",
    )


def pretrained(args):
    """``{representation: model}`` of the pretrained model options that were given."""
    from .. import _registry

    out = {}
    for spec in _registry.REPRESENTATION_SPECS:
        value = getattr(args, f"{spec.name}_model", None) if spec.pretrained else None
        if value:
            out[spec.name] = value
    return out


def verbosity(args):
    """0 with ``-q``, 2 with ``-v``, 1 otherwise."""
    if getattr(args, "quiet", False):
        return 0
    return 2 if getattr(args, "verbose", False) else 1


class _LineFormatter(logging.Formatter):
    def format(self, record):
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if record.levelno >= logging.WARNING:
            return f"sklearn-mgc: {message}"
        return f"[sklearn-mgc] {message}"


@contextmanager
def cli_logging(level_of_verbosity):
    """Show the ``sklearn_mgc`` messages on stderr for the block (``-q``: warnings only)."""
    levels = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
    root = logging.getLogger("sklearn_mgc")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    old_level = root.level
    root.setLevel(levels[level_of_verbosity])
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def load_model(path, device=None):
    """The saved pipeline at ``path`` (``.skops`` or ``.joblib``), on ``device``.

    FileNotFoundError or ValueError say what is wrong: no such file, not a model, untrusted
    types in a ``.skops`` file, or a model that was never fitted.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from ..persistence import load_model as _load

    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path!r} does not exist")
    try:
        model = _load(path, device=device)
    except (FileNotFoundError, ValueError) as exc:
        if "refusing to load" in str(exc):
            raise
        raise ValueError(f"cannot load the model {path!r}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        raise ValueError(f"cannot load the model {path!r}: {type(exc).__name__}: {exc}") from None
    if not hasattr(model, "predict_proba"):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a classifier with predict_proba"
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(
            f"the model {path!r} was never fitted: train it first (sklearn-mgc fit, or "
            "pipeline.fit in Python) and save the fitted pipeline"
        ) from None
    return model


def device_option(p):
    """``--device auto|cpu|cuda`` of the commands that use a saved model."""
    p.add_argument(
        "--device",
        default="auto",
        metavar="{auto,cpu,cuda}",
        help="torch device of the networks and encoders (auto: cuda if available, else cpu; "
        "cuda:N for one GPU)",
    )


def audio_files(inputs):
    """The audio files of ``inputs`` (files and folders, folders walked recursively).

    Returns a list of ``(path, relative)``: each file, and its path relative to the folder it
    was found in (a file given directly: its name). Files given directly are kept whatever
    their suffix; in folders, only names ending in :data:`AUDIO_SUFFIXES` (any case) count,
    and hidden files and folders are left out. A missing input is kept as a file, for its
    error to be reported with the others.
    """
    from pathlib import Path

    out = []
    for given in inputs:
        root = Path(given)
        if not root.is_dir():
            out.append((root, Path(root.name)))
            continue
        found = []
        for folder, dirs, files in os.walk(root, followlinks=True):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_SUFFIXES:
                    found.append(Path(folder) / name)
        out.extend((path, path.relative_to(root)) for path in sorted(found))
    return out


#: The error of a folder given as input in which no audio file was found.
NO_AUDIO = "no audio file in this folder (wav, flac, ogg, mp3, m4a, opus...)"


def empty_folders(inputs, files):
    """The folders of ``inputs`` in which :func:`audio_files` found none of ``files``.

    Each is logged as an error (:data:`NO_AUDIO`): nothing in it can be processed, and a
    command must not end as if it had been.
    """
    from pathlib import Path

    holding = set().union(*(path.parents for path, _ in files))
    empty = [os.fspath(g) for g in inputs if Path(g).is_dir() and Path(g) not in holding]
    for folder in empty:
        logger.error("%s: %s", folder, NO_AUDIO)
    return empty


def finish(n_done, failures, what):
    """Log the failures at the end and return the exit status (1 if any failed)."""
    if not failures:
        return 0
    bugs = [f for f in failures if "a bug" in f["error"]]
    logger.error(
        "%d of %d files could not be %s%s",
        len(failures),
        n_done + len(failures),
        what,
        "" if not bugs else f" ({len(bugs)} by an unexpected error: {bugs[0]['error']})",
    )
    return 1
