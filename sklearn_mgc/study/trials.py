"""Cells of the study's grid: classifiers trained and scored on one representation.

:func:`evaluate_cells` trains every model of an :class:`~.extraction.Extraction` on the
study's split, or on each fold of a stratified K-fold cross-validation, with the independent
(model, fold) tasks in parallel processes (:mod:`~.parallel`); it returns one :class:`Trial`
per model (its ``results.csv`` rows, the fitted parts and the test predictions).
:func:`evaluate_grid` does the same for several representations in one pool of processes.
:func:`refit` trains a cell again on every clip (the model the study saves under
cross-validation) and :func:`best_trial` picks the study's best.
"""

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .. import _registry
from .._io import get_logger
from ._scoped import torch_threads
from .factories import make_classifier, recipe_for, saved_pipeline
from .parallel import TaskStream, plan_workers
from .report import draw_learning_curves, sorted_rows
from .stats import macro_f1_interval, summarise_folds, wilson_interval

__all__ = [
    "Trial",
    "Task",
    "evaluate",
    "evaluate_cells",
    "evaluate_grid",
    "cell_stream",
    "submit_cells",
    "collect_cells",
    "PendingCells",
    "refit",
    "train_cell",
    "cell_workers",
    "best_trial",
    "network_params",
]

_logger = get_logger("sklearn_mgc.study")


@dataclass
class Trial:
    """A trained (or failed) cell of the grid.

    ``row`` is its ``results.csv`` row (``row["status"]`` is ``"ok"`` or says why it failed;
    under cross-validation, the summary row, and ``folds`` the rows of the folds);
    ``features`` and ``classifier`` are the fitted parts (the first fold's classifier under
    cross-validation), ``y_test`` and ``y_pred`` the test labels and predictions (every
    fold's, in the order of ``test_rows``, under cross-validation; None for a failed trial);
    ``pictures`` the learning curves drawn for it.
    """

    row: dict
    features: object = None
    classifier: object = None
    y_test: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    folds: list = field(default_factory=list)
    test_rows: np.ndarray | None = None
    pictures: list = field(default_factory=list)

    @property
    def ok(self):
        return self.row.get("status") == "ok"

    @cached_property
    def pipeline(self):
        """The fitted pipeline from raw clips, in :func:`make_pipeline`'s shape."""
        return saved_pipeline(self.features, self.classifier, model=self.row["model"])


@dataclass
class Task:
    """One (model, fold) of a representation: everything a worker process needs (picklable).

    ``X`` and ``y`` are the representation's whole inputs and labels, ``train`` and ``test``
    the rows of this fold; ``row`` the fixed part of its ``results.csv`` row; ``keep``
    whether the fitted classifier comes back (the first fold's only), and ``curves_dir``
    the folder where its learning curves are drawn (None: not drawn).
    """

    model: str
    X: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    row: dict
    settings: dict
    keep: bool = True
    curves_dir: str | None = None


def evaluate(config, extraction, model):
    """Train one ``model`` of ``extraction`` (:func:`evaluate_cells` for one model).

    Returns
    -------
    trial : Trial
        A failure of the classifier is recorded in ``trial.row["status"]``, never raised.
    """
    return evaluate_cells(config, extraction, (model,))[0]


def evaluate_cells(config, extraction, models=None):
    """Train and score every model of ``extraction``: one :class:`Trial` per model.

    Without ``config.cv``, each model is trained on the study's training rows and scored on
    its test rows, with 95 % intervals (Wilson for the accuracy, a bootstrap over the test
    clips for the macro F1). With ``config.cv = K``, on each fold of a stratified K-fold
    split of every clip (seeded by ``config.random_state``): the trial's row is the summary
    (mean and standard deviation), and its ``folds`` the fold rows. The (model, fold) tasks
    run in parallel processes (``config.n_jobs``; identical results to one process).

    Parameters
    ----------
    config : StudyConfig
        The study's settings (training length, device, seeds, threads, recipe, overrides).
    extraction : Extraction
        The representation's features and split.
    models : sequence of str or None, default=None
        None: ``extraction.models``.

    Returns
    -------
    trials : list of Trial
        In the order of ``models``; a failure is recorded in the row, never raised.
    """
    models = extraction.models if models is None else models
    return evaluate_grid(config, [(extraction, tuple(models))])[0]


def evaluate_grid(config, cells):
    """:func:`evaluate_cells` for several representations, all their tasks in one pool.

    Training the cells of several representations together lets the processes stay busy
    until the whole batch is done, instead of waiting at the end of each representation for
    its slowest model.

    Parameters
    ----------
    config : StudyConfig
    cells : list of (Extraction, tuple of str)
        Each representation with the models to train on it.

    Returns
    -------
    trials : list of list of Trial
        For each entry of ``cells``, its trials in the order of its models.
    """
    with cell_stream(config, sum(len(models) for _, models in cells)) as stream:
        pending = [submit_cells(stream, config, ex, models) for ex, models in cells]
        return [collect_cells(stream, config, p) for p in pending]


def cell_stream(config, n_cells):
    """The :class:`~.parallel.TaskStream` that trains up to ``n_cells`` cells of the grid, one
    task per cell and fold (:func:`cell_workers` processes)."""
    n_workers, threads = cell_workers(config, n_cells * (config.cv or 1))
    return TaskStream(train_cell, n_workers=n_workers, threads=threads)


@dataclass
class PendingCells:
    """The cells of one representation queued on a stream: ``(model, folds, handles)`` each."""

    extraction: object
    plan: list


def submit_cells(stream, config, extraction, models=None):
    """Queue every (model, fold) task of ``extraction`` on ``stream``; return them pending.

    Parameters
    ----------
    stream : :class:`~.parallel.TaskStream`
        From :func:`cell_stream`; its processes start the largest inputs first.
    config : StudyConfig
    extraction : Extraction
    models : sequence of str or None, default=None
        None: ``extraction.models``.

    Returns
    -------
    pending : PendingCells
        For :func:`collect_cells`.
    """
    ex = extraction
    models = ex.models if models is None else models
    folds = _folds(config, ex)
    tasks = [_task(config, ex, m, i, tr, te) for m in models for i, (tr, te) in enumerate(folds)]
    if stream.n_workers > 1:  # the random forest's trees share the cores of one worker
        for t in tasks:
            t.settings["n_jobs"] = max(1, (stream.threads or 1))
    where = f" in {stream.n_workers} processes" if stream.n_workers > 1 else ""
    config.info(f"training {len(models)} models on {ex.name}: {len(tasks)} fits{where} ...")
    handles = iter(stream.submit(tasks, keys=[_size_key(t) for t in tasks]))
    return PendingCells(ex, [(m, folds, [next(handles) for _ in folds]) for m in models])


def collect_cells(stream, config, pending):
    """The :class:`Trial` of each model of ``pending``, once its tasks have run."""
    ex = pending.extraction
    return [_trial(config, ex, folds, stream.wait(handles)) for _, folds, handles in pending.plan]


def cell_workers(config, n_tasks):
    """Processes and torch threads per process for ``n_tasks`` cells of the grid.

    On the CPU, :func:`~.parallel.plan_workers` of ``config.n_jobs`` and
    ``config.torch_threads``; on another device, one process that leaves torch's threads
    alone.
    """
    if str(config.device) != "cpu":
        return 1, None
    return plan_workers(config.n_jobs, n_tasks, config.torch_threads)


def _folds(config, ex):
    """The (train rows, test rows) of each fold: the study's split, or K stratified folds."""
    if not config.cv:
        return [(ex.train, ex.test)]
    from sklearn.model_selection import StratifiedKFold

    cv = StratifiedKFold(n_splits=config.cv, shuffle=True, random_state=config.random_state)
    return list(cv.split(np.zeros(len(ex.target)), ex.target))


def network_params(config, ex, model):
    """The parameters ``model`` trains with on ``ex``: the recipe's, then the user's
    ``model_params`` (which win)."""
    params = recipe_for(config.recipe, model, ex.sequences, ex.duration)
    params.update(config.model_params.get(model) or {})
    return params


def _task(config, ex, model, fold, train, test):
    params = network_params(config, ex, model)
    settings = dict(
        max_epochs=config.max_epochs,
        patience=config.patience,
        device=config.device,
        n_jobs=config.n_jobs,
        random_state=config.random_state,
        verbose=int(config.verbose >= 2),
        params=params,
    )
    row = dict(
        feature=ex.name,
        model=model,
        n_train=len(train),
        n_test=len(test),
        extract_seconds=round(ex.seconds, 3),
        status="ok",
        kind="fold" if config.cv else "test",
        fold=fold if config.cv else None,
        recipe=config.recipe,
    )
    inputs = ex.inputs(model)
    keep = fold == 0
    return Task(model, inputs, ex.target, train, test, row, settings, keep, str(config.out_dir))


def _size_key(task):
    """Start key: the processes end together when the sequence networks start first, on the
    largest inputs (values per training set) first, the heavier networks (later in the
    registry) first among equals; then the vector models."""
    rank = {m: i for i, m in enumerate(_registry.model_names())}
    spec = _registry.model(task.model)
    size = len(task.train) * int(np.prod(task.X.shape[1:]))
    return (spec.kind != "sequence", -size, -rank[spec.name])


def train_cell(task):
    """Fit and score one :class:`Task`; return ``(row, classifier or None, predictions,
    pictures)``: the kept classifier's learning curves are drawn here, in the worker, when
    ``task.curves_dir`` is set.

    A failure of the classifier is recorded in ``row["status"]`` (and logged), never raised.
    """
    row, y = dict(task.row), task.y
    if len(task.test) == 0:  # every test clip was skipped by the representation
        reason = "no test clip left (the representation skipped all of them)"
        row["status"] = f"failed: {reason}"
        _logger.warning("%s on %s: %s", task.model, row["feature"], reason)
        return row, None, None, []
    try:  # an unknown parameter (model_params, a recipe) fails here: recorded too
        clf = make_classifier(task.model, **task.settings)
        t0 = time.perf_counter()
        clf.fit(task.X[task.train], y[task.train])
        row["fit_seconds"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        pred = np.asarray(clf.predict(task.X[task.test]), dtype=object)
        row["predict_seconds"] = round(time.perf_counter() - t0, 3)
    except Exception as exc:  # keep the study going; the row records the failure
        row["status"] = f"failed: {type(exc).__name__}: {exc}"[:300]
        _logger.warning(
            "%s on %s failed: %s: %s", task.model, row["feature"], type(exc).__name__, exc
        )
        return row, None, None, []
    _score(row, np.asarray(y[task.test], dtype=object), pred, clf)
    if not task.keep:
        return row, None, pred, []
    pictures = []
    if task.curves_dir is not None:
        pictures = draw_learning_curves(clf, row["feature"], task.model, task.curves_dir)
    return row, clf, pred, pictures


def _score(row, y_test, pred, clf):
    from sklearn.metrics import f1_score

    n_correct = int(np.sum(y_test == pred))
    row["accuracy"] = n_correct / len(y_test)
    row["accuracy_low"], row["accuracy_high"] = wilson_interval(n_correct, len(y_test))
    row["macro_f1"] = float(f1_score(y_test, pred, average="macro", zero_division=0))
    if row.get("kind") == "test":
        row["macro_f1_low"], row["macro_f1_high"] = macro_f1_interval(y_test, pred)
    if hasattr(clf, "history_"):
        row["n_epochs"] = len(clf.history_)


def _trial(config, ex, folds, done):
    """The Trial of one model from its (row, classifier, predictions, pictures) per fold."""
    rows = [row for row, *_ in done]
    row = summarise_folds(rows) if config.cv else rows[0]
    model = row["model"]
    if row["status"] != "ok":
        return Trial(row, folds=rows if config.cv else [])
    test_rows = np.concatenate([te for _, te in folds])
    y_pred = np.concatenate([pred for _, _, pred, _ in done])
    spread = f" +- {row['accuracy_std']:.3f}" if config.cv else ""
    config.info(
        f"{model} on {ex.name}: accuracy {row['accuracy']:.3f}{spread}, macro F1 "
        f"{row['macro_f1']:.3f}, fit {row['fit_seconds']:.1f} s"
    )
    y_test = np.asarray(ex.target, dtype=object)[test_rows]
    folds_rows = rows if config.cv else []
    kept, pictures = done[0][1], done[0][3]
    return Trial(row, ex.features, kept, y_test, y_pred, folds_rows, test_rows, pictures)


def refit(config, extraction, trial):
    """Train ``trial``'s cell again on every clip of ``extraction`` (the model to save).

    Under cross-validation the study saves this refit of its best cell: the same classifier
    and settings, trained on all the clips (the networks still hold out their validation
    fraction for early stopping). The returned trial keeps ``trial``'s row and out-of-fold
    predictions.

    Returns
    -------
    trial : Trial
    """
    ex, model = extraction, trial.row["model"]
    every = np.arange(len(ex.target))
    task = _task(config, ex, model, 0, every, every[:0])
    clf = make_classifier(model, **task.settings)
    config.info(f"refitting {model} on {ex.name} on all {len(every)} clips ...")
    with torch_threads(cell_workers(config, 1)[1]):
        clf.fit(task.X, task.y)
    return Trial(
        trial.row, ex.features, clf, trial.y_test, trial.y_pred, trial.folds, trial.test_rows
    )


def best_trial(trials):
    """The successful trial of highest accuracy (then macro F1, then first in ``trials``), or None.

    A study passes its trials in the grid's order, so ties go to the first cell of the grid
    whatever the fit times, and the same study saves the same model.

    Parameters
    ----------
    trials : list of Trial

    Returns
    -------
    best : Trial or None

    Examples
    --------
    >>> a = Trial({"model": "rf", "status": "ok", "accuracy": 0.5, "macro_f1": 0.4})
    >>> b = Trial({"model": "gru", "status": "ok", "accuracy": 0.7, "macro_f1": 0.6})
    >>> c = Trial({"model": "mlp", "status": "failed: ValueError: x"})
    >>> best_trial([a, b, c]).row["model"], best_trial([c])
    ('gru', None)
    """
    by_row = {id(t.row): t for t in trials}
    ok = [r for r in sorted_rows([t.row for t in trials]) if r.get("status") == "ok"]
    return by_row[id(ok[0])] if ok else None
