"""One cell of the study's grid: a classifier trained and scored on one representation.

:func:`evaluate` returns a :class:`Trial` (its ``results.csv`` row, the fitted parts and the
test predictions); :func:`best_trial` picks the study's best.
"""

import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import _registry
from .._io import get_logger
from ._scoped import torch_threads
from .factories import make_classifier, saved_pipeline
from .report import sorted_rows

__all__ = ["Trial", "evaluate", "best_trial"]

_logger = get_logger("sklearn_mgc.study")


@dataclass
class Trial:
    """A trained (or failed) cell of the grid.

    ``row`` is its ``results.csv`` row (``row["status"]`` is ``"ok"`` or says why it failed);
    ``features`` and ``classifier`` are the fitted parts, ``y_test`` and ``y_pred`` the test
    labels and predictions (None for a failed trial).
    """

    row: dict
    features: object = None
    classifier: object = None
    y_test: np.ndarray | None = None
    y_pred: np.ndarray | None = None

    @property
    def ok(self):
        return self.row.get("status") == "ok"

    @cached_property
    def pipeline(self):
        """The fitted pipeline from raw clips, in :func:`make_pipeline`'s shape."""
        return saved_pipeline(self.features, self.classifier, model=self.row["model"])


def evaluate(config, extraction, model):
    """Train ``model`` on the training rows of ``extraction`` and score it on its test rows.

    Parameters
    ----------
    config : StudyConfig
        The study's settings (training length, device, seeds, threads, overrides).
    extraction : Extraction
        The representation's features and split.
    model : str
        The classifier's study name.

    Returns
    -------
    trial : Trial
        A failure of the classifier is recorded in ``trial.row["status"]``, never raised.
    """
    ex = extraction
    clf = make_classifier(
        model,
        max_epochs=config.max_epochs,
        patience=config.patience,
        device=config.device,
        n_jobs=config.n_jobs,
        random_state=config.random_state,
        verbose=int(config.verbose >= 2),
        params=config.model_params.get(model),
    )
    row = dict(
        feature=ex.name,
        model=model,
        n_train=len(ex.train),
        n_test=len(ex.test),
        extract_seconds=round(ex.seconds, 3),
        status="ok",
    )
    config.info(f"training {model} on {ex.name} ({len(ex.train)} clips) ...")
    X, y = ex.inputs(model), ex.target
    try:
        pred = _fit_predict(config, model, clf, X, y, ex.train, ex.test, row)
    except Exception as exc:  # keep the study going; the row records the failure
        row["status"] = f"failed: {type(exc).__name__}: {exc}"[:300]
        _logger.warning("%s on %s failed: %s: %s", model, ex.name, type(exc).__name__, exc)
        return Trial(row)
    y_test = y[ex.test]
    _score(row, y_test, pred, clf)
    config.info(
        f"{model} on {ex.name}: accuracy {row['accuracy']:.3f}, macro F1 "
        f"{row['macro_f1']:.3f}, fit {row['fit_seconds']:.1f} s"
    )
    return Trial(row, ex.features, clf, y_test, pred)


def _fit_predict(config, model, clf, X, y, train, test, row):
    network = _registry.model(model).network
    threads = config.torch_threads if str(config.device) == "cpu" and network else None
    t0 = time.perf_counter()
    with torch_threads(threads):
        clf.fit(X[train], y[train])
    row["fit_seconds"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    pred = clf.predict(X[test])
    row["predict_seconds"] = round(time.perf_counter() - t0, 3)
    return pred


def _score(row, y_test, pred, clf):
    from sklearn.metrics import accuracy_score, f1_score

    row["accuracy"] = float(accuracy_score(y_test, pred))
    row["macro_f1"] = float(f1_score(y_test, pred, average="macro", zero_division=0))
    if hasattr(clf, "history_"):
        row["n_epochs"] = len(clf.history_)


def best_trial(trials):
    """The successful trial of highest accuracy (then macro F1, then shortest fit), or None.

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
