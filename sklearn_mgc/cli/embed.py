"""``sklearn-mgc embed``: one ``.npz`` of embeddings per audio file, for other tools.

Each file of the inputs (folders walked recursively) gets ``OUT/<path relative to its input
folder, audio suffix replaced by .npz>`` holding:

- ``embedding``: ``(n_frames, n_features)`` float32, the file's own frames (a file shorter
  than ``--duration`` is not padded), or ``(n_features,)`` with ``--mean``;
- ``timestamps``: ``(n_frames,)`` the centre of each frame in seconds;
- ``sr``: the sampling rate the frames were computed at;
- ``params``: the representation's parameters (a JSON string);
- ``model`` and ``checksum``: the pretrained model's name and the sha256 of its weights (or
  its hub revision; the representation's name for the spectral ones).

Files whose ``.npz`` exists are skipped without being decoded unless ``--overwrite``, so an
interrupted run resumes; every file is written atomically, as soon as it is computed.
``--n-jobs N`` computes N files at once.
"""

import json
import os
import time
from functools import partial
from pathlib import Path

import numpy as np

from .. import _registry
from .._io import atomic_write
from ..study import make_representation
from ..study.predict import describe_failure
from ..study.provenance import checkpoint_checksum
from ._common import (
    NO_AUDIO,
    Command,
    audio_files,
    compute_options,
    empty_folders,
    finish,
    load_model,
    logger,
    output_options,
    pretrained,
    pretrained_options,
)

__all__ = ["EmbedCommand"]


class EmbedCommand(Command):
    """Write one .npz of embeddings (and their timestamps) per audio file."""

    name = "embed"
    help = "write the embeddings of audio files and folders, one .npz per file"
    description = (
        "Embed every audio file of the inputs (folders are walked recursively) with one "
        "representation, whole by default, and write one .npz per file under --out, mirroring "
        "the input tree: embedding (frames x features, or features with --mean), timestamps "
        "(frame centres, seconds), sr, the representation's parameters and the model's name "
        "and checksum. Existing outputs are skipped unless --overwrite; failed files are "
        "reported and left out, and make the exit status non-zero."
    )
    shared = (pretrained_options, partial(compute_options), output_options)

    @staticmethod
    def add_arguments(p):
        p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files and folders")
        p.add_argument(
            "--feature",
            choices=_registry.representation_names(),
            default="mfcc",
            help="representation",
        )
        p.add_argument(
            "--model",
            default=None,
            metavar="MODEL",
            help="use the representation of a saved pipeline (.skops or .joblib) instead",
        )
        p.add_argument("--out", required=True, metavar="DIR", help="output folder")
        p.add_argument(
            "--duration",
            type=float,
            default=None,
            help="seconds kept from the start of each file (default: the whole file)",
        )
        p.add_argument("--mean", action="store_true", help="store the temporal mean only")
        p.add_argument("--overwrite", action="store_true", help="rewrite existing outputs")

    @staticmethod
    def run(args):
        if args.duration is not None and args.duration <= 0:
            logger.error("--duration must be positive")
            return 2
        files = audio_files(args.inputs)
        out_dir = Path(args.out)
        todo = [(p, out_dir / rel.with_suffix(".npz")) for p, rel in files]
        skipped = [t for t in todo if t[1].exists() and not args.overwrite]
        todo = [t for t in todo if args.overwrite or not t[1].exists()]
        written = 0
        failures = [
            {"index": -1, "clip": folder, "error": NO_AUDIO}
            for folder in empty_folders(args.inputs, files)
        ]
        if todo:
            features = _representation(args, todo[0][0])
            header = _header(features, args)
            # failures come back per file; each file is written as soon as it is computed,
            # with --n-jobs by parallel workers, so an interrupted run keeps what it wrote
            features.set_params(on_error="skip")
            clips = features._validate_clips([os.fspath(p) for p, _ in todo], reset=False)
            t0 = time.perf_counter()
            for i, ((path, target), frames) in enumerate(zip(todo, features._rows(clips)), 1):
                try:
                    if isinstance(frames, Exception):
                        raise frames
                    _write(features, frames, path, target, header, mean=args.mean)
                    written += 1
                    logger.info("[%d/%d] %s -> %s", i, len(todo), path, target)
                except Exception as exc:
                    message = describe_failure(exc)
                    failures.append({"index": i, "clip": os.fspath(path), "error": message})
                    logger.error("%s: cannot embed: %s", path, message)
            logger.debug("%.3f s per file", (time.perf_counter() - t0) / len(todo))
        print(f"embed: {written} written, {len(skipped)} skipped, {len(failures)} failed")
        return finish(written + len(skipped), failures, "embedded")


def _representation(args, first_file):
    """The fitted representation: the saved pipeline's, or ``--feature``'s."""
    if args.model is not None:
        model = load_model(args.model, device=args.device)
        features = model.steps[0][1] if hasattr(model, "steps") else model
        features = features.set_params(duration=args.duration, output="sequence")
        features.set_params(on_error="raise", cache_dir=args.cache_dir, verbose=0)
        return features
    features = make_representation(
        args.feature,
        output="sequence",
        duration=args.duration,
        n_jobs=args.n_jobs,
        cache_dir=args.cache_dir,
        device=args.device,
        pretrained=pretrained(args),
    )
    # fitting validates the parameters and loads the weights: it reads no audio
    return features.fit([os.fspath(first_file)])


def _header(features, args):
    """What every .npz of the run shares: sr, parameters, model name and checksum."""
    params = {k: v for k, v in features.get_params(deep=False).items() if k != "verbose"}
    checksum = checkpoint_checksum(features)
    name = (checksum or {}).get("model") or args.feature
    ident = (checksum or {}).get("sha256") or (checksum or {}).get("revision") or name
    return {
        "sr": np.int64(features._target_sr()),
        "params": json.dumps(
            {"class": type(features).__name__, **params}, default=str, sort_keys=True
        ),
        "model": name,
        "checksum": ident,
    }


def _write(features, frames, path, target, header, *, mean):
    """Write one file's ``.npz``: its own frames (never padded), or their mean."""
    frames = np.asarray(frames, dtype=np.float32)
    times = features.frame_times(frames.shape[0])
    embedding = frames.mean(axis=0, dtype=np.float64).astype(np.float32) if mean else frames
    with atomic_write(target) as tmp:
        np.savez(tmp, embedding=embedding, timestamps=times, source=os.fspath(path), **header)
