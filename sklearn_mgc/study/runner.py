"""The study's run: its validated settings, its plan, and :func:`run_study`, which reads as
the study's table of contents (load the data; for each representation, extract it and
evaluate every model on it; then save the best model, the scores, the pictures and the report).
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.utils import Bunch

from .. import _registry
from .._io import get_logger
from ..persistence import save_model
from .data import default_max_epochs, load_study_data
from .extraction import available_memory, extract
from .factories import RECIPES, recipe_for
from .provenance import checkpoints, provenance, write_provenance
from .report import (
    draw_study_summary,
    draw_umap,
    format_results,
    score_predictions,
    write_csv,
    write_report,
)
from .trials import (
    best_trial,
    cell_stream,
    cell_workers,
    collect_cells,
    network_params,
    refit,
    submit_cells,
)

__all__ = ["StudyConfig", "plan_pairs", "run_study"]

_logger = get_logger("sklearn_mgc.study")


def plan_pairs(features, models, *, models_given):
    """The grid: ``(representation, model)`` pairs in the study's order.

    Unless models are named (``models_given``), a model runs only on the representations
    of its registry entry's ``default_on`` (the MLP on the spectrum's mean only, as in the
    reference study).

    Examples
    --------
    >>> plan_pairs(["mel", "spectrum"], ["rf", "mlp"], models_given=False)
    [('mel', 'rf'), ('spectrum', 'rf'), ('spectrum', 'mlp')]
    """

    def runs(f, m):
        default_on = _registry.model(m).default_on
        return models_given or default_on is None or f in default_on

    return [(f, m) for f in features for m in models if runs(f, m)]


@dataclass
class StudyConfig:
    """The settings of one study run, validated and completed (see :func:`run_study`).

    Built from :func:`run_study`'s arguments, which hold the defaults: ``features`` and
    ``models`` become tuples (all of them when None), ``out_dir`` and ``cache_dir`` paths
    (``out_dir/cache`` when None), ``max_epochs`` a number (50, or 15 on the embedded data),
    ``pretrained`` and ``model_params`` dicts. Unknown names, a ``cv`` below 2 and an
    unknown ``recipe`` raise ValueError.
    """

    data: object
    split: str | None
    features: tuple | None
    models: tuple | None
    out_dir: Path
    cache_dir: Path | None
    max_epochs: int | None
    patience: int
    device: str
    n_jobs: int | None
    random_state: int
    pretrained: dict | None
    model_params: dict | None
    duration: float | None
    n_clips_per_genre: int | None
    splits_dir: str | None
    umap: bool
    torch_threads: int | None
    verbose: int
    cv: int | None = None
    recipe: str = "seed"
    models_given: bool = field(init=False)

    def __post_init__(self):
        self.models_given = self.models is not None
        names = _registry.representation_names() if self.features is None else self.features
        self.features = tuple(_registry.representation(f).name for f in names)
        names = _registry.model_names() if self.models is None else self.models
        self.models = tuple(_registry.model(m).name for m in names)
        if not self.features or not self.models:
            raise ValueError("the study needs at least one representation and one model")
        if not self.pairs():
            raise ValueError(
                "no representation x model pair to run (the MLP alone runs on the spectrum "
                "only unless models are named)"
            )
        self.out_dir = Path(self.out_dir)
        self.cache_dir = self.out_dir / "cache" if self.cache_dir is None else Path(self.cache_dir)
        if self.max_epochs is None:
            self.max_epochs = default_max_epochs(self.data)
        self.pretrained = dict(self.pretrained or {})
        self.model_params = dict(self.model_params or {})
        if self.cv is not None and (
            isinstance(self.cv, bool) or int(self.cv) != self.cv or self.cv < 2
        ):
            raise ValueError(f"cv must be None or an integer of at least 2, got {self.cv!r}")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {RECIPES}, got {self.recipe!r}")

    def pairs(self):
        """The grid's ``(representation, model)`` pairs (:func:`plan_pairs`)."""
        return plan_pairs(self.features, self.models, models_given=self.models_given)

    def plan(self):
        """``(representation, models)`` for each representation with something to run."""
        pairs = self.pairs()
        grouped = [(f, tuple(m for g, m in pairs if g == f)) for f in self.features]
        return [(f, models) for f, models in grouped if models]

    def info(self, message):
        """Log a progress line (when ``verbose``)."""
        if self.verbose:
            _logger.info(message)


def run_study(
    data=None,
    *,
    split="study",
    features=None,
    models=None,
    out_dir="mgc-study",
    cache_dir=None,
    max_epochs=None,
    patience=10,
    device="cpu",
    n_jobs=-1,
    random_state=28,
    pretrained=None,
    model_params=None,
    duration=None,
    n_clips_per_genre=None,
    splits_dir=None,
    umap=True,
    torch_threads=1,
    verbose=1,
    cv=None,
    recipe="seed",
):
    """Run the genre study: every representation x every classifier, with report and pictures.

    Each representation is extracted once per clip (as a sequence, cached in ``cache_dir``);
    the vector classifiers (``"rf"``, ``"mlp"``) get its temporal mean
    (:class:`~sklearn_mgc.TemporalMean`), the sequence networks the sequence itself. Every
    pair is trained on the training part of the split and scored on its test part, with 95 %
    intervals (Wilson for the accuracy, a bootstrap over the test clips for the macro F1), or
    with ``cv=K`` cross-validated over every clip (mean and standard deviation). The
    independent cells train in parallel processes (``n_jobs``), with the same results as one
    process.

    Parameters
    ----------
    data : str, os.PathLike or None, default=None
        A GTZAN folder (either layout) or any ``<genre>/<file>`` tree of audio files; None
        uses the embedded synthetic default (see :func:`load_study_data`).
    split : {"study", "fault-filtered"}, default="study"
        The study's stratified 10 % test split (the rest 80/20 train/validation), or the
        fault-filtered split of full GTZAN.
    features : list of str or None, default=None
        Among ``"mel"``, ``"mfcc"``, ``"cqt"``, ``"spectrum"``, ``"wav2vec2"``,
        ``"encodecmae"``; None takes them all. A pretrained representation whose weights
        cannot be obtained is skipped with a message saying how to provide them.
    models : list of str or None, default=None
        Among ``"rf"``, ``"mlp"``, ``"gru"``, ``"lstm"``, ``"cnn1d"``, ``"cnn2d"``,
        ``"transformer"``; None takes them all, the MLP on the spectrum only (as the study).
        A named ``"mlp"`` runs on every representation's mean.
    out_dir : str or os.PathLike, default="mgc-study"
        Folder of the outputs (created): ``results.csv``, ``report.md``,
        ``study_summary.png``, ``confusion_matrix.png``,
        ``learning_curves_<feature>_<model>.png``, ``umap_<feature>.png`` and
        ``best_model.joblib``.
    cache_dir : str, os.PathLike or None, default=None
        Feature cache; None uses ``out_dir/cache``. A re-run reads the features back.
    max_epochs : int or None, default=None
        Maximum epochs of the networks; None: 50, or 15 on the embedded data.
    patience : int, default=10
        Early-stopping patience of the networks (epochs without a better validation loss).
    device : str, default="cpu"
        Torch device of the networks and pretrained encoders.
    torch_threads : int or None, default=1
        Torch threads while the networks train on the CPU. The study's networks are small,
        and one thread is faster than several on small machines (and far faster when the
        cores are busy); None leaves torch's setting.
    n_jobs : int or None, default=-1
        Processes training the independent cells (and folds) of the grid at once, clips
        extracted in parallel and trees of the random forest; -1: all cores, None: 1. Each
        process trains with at most ``cores // n_jobs`` torch threads, and the results are
        identical to ``n_jobs=1``. A representation's cells start as soon as it is
        extracted and train while the next one is extracted. On a device other than the
        CPU, cells train one at a time.
    random_state : int, default=28
        Seed of the split, the models and the UMAP projection (28 is the study's).
    pretrained : dict or None, default=None
        ``{"wav2vec2": model id or folder, "encodecmae": checkpoint name or .pt path}``.
    model_params : dict or None, default=None
        ``{model name: {parameter: value}}`` overriding :data:`STUDY_MODEL_PARAMS`.
    duration : float or None, default=None
        Seconds per clip: 30 for audio folders, the clip length for the embedded data.
    n_clips_per_genre : int or None, default=None
        Size of the embedded data (None: :data:`EMBEDDED_DEFAULT`).
    splits_dir : str or None, default=None
        Folder of the fault-filtered lists.
    umap : bool, default=True
        Draw the UMAP projection of the best representation's temporal means.
    cv : int or None, default=None
        None: train on the split's training part and score on its test part. An int K:
        stratified K-fold cross-validation of every cell over every clip (the split is not
        used; seeded by ``random_state``), each clip extracted once; ``results.csv`` has a
        row per cell and fold (``kind="fold"``) and a summary row per cell
        (``kind="summary"``: mean and standard deviation); the report ranks by the mean. The
        saved best model is the best cell (by mean accuracy) refitted on every clip, and its
        confusion matrix shows the out-of-fold predictions.
    recipe : {"seed", "modern"}, default="seed"
        Training of the sequence networks: ``"seed"`` as the reference study; ``"modern"``:
        several random crops per clip and epoch with window averaging, mixup and a cosine
        learning-rate schedule, from :data:`~sklearn_mgc.study.MODERN_RECIPE`
        (see :func:`~sklearn_mgc.study.recipe_params`). The report names every value.
    verbose : int, default=1
        0: no progress messages; 1: progress lines and the final table, logged at INFO on
        the ``sklearn_mgc.study`` logger; 2: also progress bars of the extraction and the
        networks' per-epoch tables. What is left out (a representation without weights,
        sequences too large for memory, a failed model, a warning during extraction) is
        always logged, as a warning.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``results`` (list of dict, one per representation x model, with the columns of
        ``results.csv``; the summary rows under cross-validation), ``folds`` (the fold rows;
        empty without ``cv``), ``best`` (the best row), ``best_pipeline`` (fitted
        :class:`~sklearn.pipeline.Pipeline` from raw clips), ``skipped`` (list of
        ``(representation, reason)``), ``recipe`` (``{representation: network
        parameters}`` of the modern recipe), ``files`` (paths written), ``out_dir``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_mgc.study import run_study
    >>> result = run_study(features=["mfcc"], models=["rf"], n_clips_per_genre=2,
    ...                    duration=0.5, out_dir=tempfile.mkdtemp(), umap=False, verbose=0)
    >>> result.best["model"], result.best["feature"], result.best["n_test"]
    ('rf', 'mfcc', 8)
    >>> sorted(os.path.basename(f) for f in result.files)
    ['best_model.joblib', 'best_model.skops', 'confusion_matrix.png', 'provenance.json',
     'report.md', 'results.csv', 'study_summary.png']
    >>> cv = run_study(features=["mfcc"], models=["rf"], n_clips_per_genre=3, duration=0.5,
    ...                out_dir=tempfile.mkdtemp(), umap=False, verbose=0, cv=3)
    >>> [(r["kind"], r["fold"]) for r in cv.folds + cv.results]
    [('fold', 0), ('fold', 1), ('fold', 2), ('summary', None)]
    """
    config = StudyConfig(**locals())
    started = time.perf_counter()
    config.out_dir.mkdir(parents=True, exist_ok=True)
    ds = _load_data(config)
    run, pending = _Run(config), []
    with cell_stream(config, len(config.pairs())) as stream:
        for name, models in config.plan():
            ex = extract(config, ds, name, models)  # while the cells before it train
            run.skipped += [(name, reason) for reason in ex.skipped]
            pending += [submit_cells(stream, config, ex)] if ex.models else []
            if pending and not _may_hold(config, [p.extraction for p in pending]):
                run.collect(stream, pending)
                pending = []
        if stream.n_workers > 1:
            _import_for_conclusion(config)
        run.collect(stream, pending)
    return _conclude(config, ds, run, started)


def _import_for_conclusion(config):
    """Import what the study's end needs in this process while the cells train in others.

    This process would wait idle for the workers; the pictures and the saved models (a
    network's optimizer imports ``torch._dynamo`` when its state is first read) otherwise
    import their libraries, seconds of one core, after the last cell.
    """
    import matplotlib.pyplot  # noqa: F401
    import skops.io  # noqa: F401

    if any(_registry.model(m).kind == "sequence" for m in config.models):
        import torch._dynamo  # noqa: F401


#: Extracted representations stay in memory while their cells train (in parallel processes,
#: as the next representations are extracted) as long as their inputs take at most this
#: fraction of the available memory.
HOLD_FRACTION = 0.25


def _may_hold(config, pending):
    """Whether to extract the next representation before ``pending``'s cells have trained.

    In parallel processes the cells train while the next representation is extracted, and
    those of several representations share the processes to the end; it is worth holding
    their inputs in memory only when there are processes.
    """
    if cell_workers(config, 2)[0] < 2:
        return False
    held = sum(ex.sequences.nbytes for ex in pending if ex.sequences is not None)
    available = available_memory()
    return available is not None and held <= HOLD_FRACTION * available


@dataclass
class _Run:
    """What the study gathers while it runs: the trials, what was skipped, the files written,
    the temporal means (for the UMAP), the fitted representations (for the provenance), the
    modern recipe's values, and the best trial (with its extraction under cross-validation,
    to refit it on every clip)."""

    config: StudyConfig
    trials: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    files: list = field(default_factory=list)
    means: dict = field(default_factory=dict)
    representations: list = field(default_factory=list)
    recipe: dict = field(default_factory=dict)
    best: object = None
    best_extraction: object = None

    def collect(self, stream, pending):
        """Wait for the cells of ``pending`` (:class:`~.trials.PendingCells`) and add them."""
        for cells in pending:
            self.add(cells.extraction, collect_cells(stream, self.config, cells))

    def add(self, ex, trials):
        config = self.config
        self.means[ex.name] = (ex.means, ex.target)
        self.representations.append(ex.features)
        self.trials += trials
        for t in trials:
            self.files += t.pictures  # learning curves, drawn where the cell trained
            self.add_recipe(ex, t.row["model"])
        best = best_trial([t for t in (self.best,) if t is not None] + trials)
        if best is not self.best:
            self.best, self.best_extraction = best, ex if config.cv else None

    def add_recipe(self, ex, model):
        """Record the recipe's values ``model`` trained with on ``ex`` (``model_params``
        overrides applied): under the representation's name, or ``"<representation>
        (<model>)"`` where they differ from another model's on it."""
        recipe = recipe_for(self.config.recipe, model, ex.sequences, ex.duration)
        used = network_params(self.config, ex, model)
        params = {k: used[k] for k in recipe}
        if params:
            same = self.recipe.get(ex.name, params) == params
            self.recipe.setdefault(ex.name if same else f"{ex.name} ({model})", params)


def _load_data(config):
    ds = load_study_data(
        config.data,
        split=config.split,
        random_state=config.random_state,
        splits_dir=config.splits_dir,
        n_clips_per_genre=config.n_clips_per_genre,
        duration=config.duration,
        cache_dir=config.cache_dir if config.data is None else None,
    )
    config.info(f"data: {ds.description}")
    config.info(f"split: {ds.split}")
    return ds


def _conclude(config, ds, run, started):
    """Write results.csv, the summary figure, provenance.json, the best model and its
    pictures, and report.md."""
    out, files = config.out_dir, run.files
    rows = [t.row for t in run.trials]
    folds = [r for t in run.trials for r in t.folds]
    files.append(write_csv(out / "results.csv", _csv_rows(run.trials)))
    files += draw_study_summary(rows, out, chance=1 / max(1, len(ds.genres)))
    best, scores = run.best, None
    if best is not None and config.cv:
        best = refit(config, run.best_extraction, best)
    prov, model_prov = _provenances(config, ds, run, best)
    files.append(write_provenance(out / "provenance.json", prov))
    if best is not None:
        scores, best_files = _save_best(config, best, run.means, model_prov)
        files += best_files
    result = Bunch(
        results=rows,
        folds=folds,
        best=None if best is None else best.row,
        best_pipeline=None if best is None else best.pipeline,
        skipped=run.skipped,
        recipe=run.recipe,
        files=files,
        out_dir=str(out),
        seconds=time.perf_counter() - started,
        provenance=prov,
    )
    files.append(
        write_report(
            out / "report.md",
            ds,
            result,
            max_epochs=config.max_epochs,
            scores=scores,
            cv=config.cv,
            recipe=config.recipe,
        )
    )
    result.files = [str(f) for f in files]
    config.info(f"{len(rows)} runs in {result.seconds:.0f} s; outputs in {out}")
    _logger.debug("results:\n%s", format_results(rows))
    return result


def _provenances(config, ds, run, best):
    """The run's provenance (the weights of every representation in results.csv) and the
    saved model's (its own weights only)."""
    model = [best.pipeline] if best is not None else []
    prov = provenance(
        [*run.representations, *model],
        random_state=config.random_state,
        clips=ds.clips,
        description=ds.description,
    )
    return prov, {**prov, "checkpoints": checkpoints(model)}


def _csv_rows(trials):
    """The rows of results.csv: each cell's fold rows (under cross-validation), then its row."""
    return [r for t in trials for r in (*t.folds, t.row)]


def _save_best(config, best, means, prov):
    """Save ``best_model.joblib`` (and ``.skops``), its confusion matrix and the UMAP of its
    representation."""
    feature, model = best.row["feature"], best.row["model"]
    model_path = config.out_dir / "best_model.joblib"
    saved = [save_model(best.pipeline, model_path, provenance=prov)]
    try:
        saved.append(save_model(best.pipeline, model_path.with_suffix(".skops"), provenance=prov))
    except (ValueError, TypeError) as exc:
        _logger.warning("could not save the best model as .skops: %s", exc)
    config.info(f"saved the best model, {model} on {feature}, as {model_path} (and .skops)")
    title = f"Best model: {model} on {feature}"
    if config.cv:
        title += f" ({config.cv}-fold out-of-fold predictions)"
    scores = score_predictions(best.y_test, best.y_pred, out_dir=config.out_dir, title=title)
    files = [*saved, scores.confusion_matrix]
    if config.umap and feature in means:
        config.info(f"drawing the UMAP projection of {feature} ...")
        M, y = means[feature]
        files += draw_umap(M, y, feature, config.out_dir, random_state=config.random_state)
    return scores, files
