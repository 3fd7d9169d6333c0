"""``sklearn-mgc fit``: train one representation + classifier and save the pipeline."""

import time
from pathlib import Path

from .. import _registry
from ..persistence import save_model
from ..study import load_study_data, make_classifier, make_pipeline, make_representation
from ..study.data import default_max_epochs
from ..study.factories import recipe_for
from ..study.provenance import provenance
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

__all__ = ["FitCommand"]


class FitCommand(Command):
    """Train on every clip of a folder (or the embedded data) and save the pipeline."""

    name = "fit"
    help = "train one representation + classifier on a folder and save the pipeline"
    description = (
        "Train one representation + classifier on every clip of a folder (<genre>/<file> tree "
        "or GTZAN) and save the pipeline for predict/evaluate."
    )
    shared = (training_options, pretrained_options, compute_options, output_options)

    @staticmethod
    def add_arguments(p):
        p.add_argument(
            "--data",
            default=None,
            metavar="PATH",
            help="training folder; default: the embedded synthetic dataset",
        )
        p.add_argument(
            "--feature",
            choices=_registry.representation_names(),
            default="mfcc",
            help="representation",
        )
        p.add_argument("--model", choices=_registry.model_names(), default="rf", help="classifier")
        p.add_argument(
            "--out",
            default="model.joblib",
            metavar="FILE",
            help="where to save the pipeline (a .joblib pickle and, beside it, the same name "
            "with .skops: the safe format to share)",
        )
        p.add_argument(
            "--duration",
            type=float,
            default=None,
            help="seconds per clip (default: 30, or the embedded clip length)",
        )

    @staticmethod
    def run(args):
        ds = load_study_data(
            args.data, split=None, duration=args.duration, random_state=args.random_state
        )
        logger.info("data: %s", ds.description)
        pipe = _pipeline(args, ds)
        logger.info("training %s on %s (%d clips) ...", args.model, args.feature, len(ds.target))
        t0 = time.perf_counter()
        try:
            _fit(pipe, ds, args)
        except OSError as exc:
            if _registry.representation(args.feature).pretrained:
                logger.error("cannot load the %s weights: %s", args.feature, exc)
                return 1
            raise
        seconds = time.perf_counter() - t0
        pipe.steps[0][1].set_params(verbose=0, cache_dir=None)
        prov = provenance(
            [pipe], random_state=args.random_state, clips=ds.clips, description=ds.description
        )
        saved = save_both(pipe, Path(args.out), prov)
        print(
            f"trained {args.model} on {args.feature} with {len(ds.target)} clips "
            f"({len(set(ds.target))} genres) in {seconds:.1f} s; saved {' and '.join(saved)}"
        )
        return 0


def save_both(pipe, out, prov):
    """Save ``pipe`` as ``out`` (.joblib unless it says .skops) and the other format beside."""
    other = out.with_suffix(".skops" if out.suffix != ".skops" else ".joblib")
    saved = []
    for path in (out, other):
        try:
            save_model(pipe, path, provenance=prov)
            saved.append(str(path))
        except (ValueError, TypeError) as exc:
            logger.warning("could not save %s: %s", path, exc)
    return saved


def _fit(pipe, ds, args):
    """Fit ``pipe`` on the clips; a sequence network under a recipe gets the recipe's
    parameters from the shape of the extracted sequences first (as in the study)."""
    if args.recipe == "seed" or _registry.model(args.model).kind != "sequence":
        return pipe.fit(ds.clips, ds.target)
    features, clf = pipe.steps[0][1], pipe.steps[-1][1]
    X = features.fit_transform(ds.clips)
    params = recipe_for(args.recipe, args.model, X, ds.duration)
    logger.info("%s recipe: %s", args.recipe, ", ".join(f"{k}={v!r}" for k, v in params.items()))
    clf.set_params(**params).fit(X, ds.target)
    return pipe


def _pipeline(args, ds):
    features = make_representation(
        args.feature,
        duration=ds.duration,
        sr=ds.sr,
        n_jobs=args.n_jobs,
        cache_dir=args.cache_dir,
        device=args.device,
        verbose=int(verbosity(args) >= 1),
        pretrained=pretrained(args),
    )
    clf = make_classifier(
        args.model,
        max_epochs=default_max_epochs(args.data) if args.max_epochs is None else args.max_epochs,
        patience=args.patience,
        device=args.device,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        verbose=int(verbosity(args) >= 2),
    )
    return make_pipeline(features, clf, model=args.model)
