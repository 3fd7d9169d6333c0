"""The study's outputs: ``results.csv``, ``report.md``, the pictures, and the scoring of a model.

:func:`score_predictions` (accuracy, macro F1, per-genre report and confusion matrix) is the one
scoring path of the toolkit: the study scores its best model with it, and
:func:`evaluate_pipeline` (the ``sklearn-mgc evaluate`` command) a saved pipeline.
"""

import csv
import io
import math
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._io import get_logger
from .stats import BOOTSTRAP_SEED, N_BOOTSTRAP

__all__ = [
    "RESULT_COLUMNS",
    "format_results",
    "sorted_rows",
    "write_csv",
    "write_report",
    "draw_study_summary",
    "classification_report_md",
    "save_figure",
    "score_predictions",
    "evaluate_pipeline",
]

_logger = get_logger("sklearn_mgc.study")

#: Columns of ``results.csv``, one row per representation x model (and per fold under
#: cross-validation). ``kind`` says what a row is: ``"test"`` (scored on the split's test
#: part), ``"fold"`` (one cross-validation fold, numbered by ``fold`` from 0) or
#: ``"summary"`` (a cell's folds: means in ``accuracy`` and ``macro_f1``, standard deviations
#: in ``accuracy_std`` and ``macro_f1_std``). ``accuracy_low`` / ``accuracy_high`` are the
#: 95 % Wilson interval of a test or fold accuracy, ``macro_f1_low`` / ``macro_f1_high`` the
#: 95 % bootstrap interval of a test macro F1; ``recipe`` the networks' training recipe.
RESULT_COLUMNS = (
    "feature",
    "model",
    "accuracy",
    "macro_f1",
    "fit_seconds",
    "predict_seconds",
    "extract_seconds",
    "n_train",
    "n_test",
    "n_epochs",
    "status",
    "kind",
    "fold",
    "accuracy_low",
    "accuracy_high",
    "accuracy_std",
    "macro_f1_low",
    "macro_f1_high",
    "macro_f1_std",
    "recipe",
)

# columns of the printed table, and their headings
_TABLE = (
    ("feature", "feature"),
    ("model", "model"),
    ("accuracy", "accuracy"),
    ("macro_f1", "macro F1"),
    ("fit_seconds", "fit (s)"),
    ("predict_seconds", "predict (s)"),
    ("n_train", "n train"),
    ("n_test", "n test"),
    ("n_epochs", "epochs"),
)


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def sorted_rows(rows):
    """Rows best first: successful runs, then accuracy and macro F1.

    Ties keep their order (the grid's, in a study), never the fit time, which varies with
    the machine's load: the same study always ranks, and saves, the same model first.
    """

    def key(row):
        ok = row.get("status", "ok") == "ok"
        return (
            not ok,
            -(row.get("accuracy") or 0.0),
            -(row.get("macro_f1") or 0.0),
        )

    return sorted(rows, key=key)


def format_results(rows, *, markdown=False):
    """The results as a text (or Markdown) table, best accuracy first.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`run_study` (``result.results``).
    markdown : bool, default=False

    Returns
    -------
    table : str

    Examples
    --------
    >>> from sklearn_mgc.study import format_results
    >>> rows = [{"feature": "mfcc", "model": "rf", "accuracy": 0.9, "macro_f1": 0.88,
    ...          "fit_seconds": 1.2, "predict_seconds": 0.1, "n_train": 90, "n_test": 10}]
    >>> print(format_results(rows, markdown=True).splitlines()[2])
    | mfcc | rf | 0.900 | 0.880 | 1.2 | 0.1 | 90 | 10 |  |
    """
    columns = _columns(rows)
    heads = [head for head, _ in columns]
    body = []
    for row in sorted_rows(rows):
        cells = [cell(row) for _, cell in columns]
        if row.get("status", "ok") != "ok":
            cells[2:] = ["failed"] + [""] * (len(cells) - 3)
        body.append(cells)
    if markdown:
        lines = [
            "| " + " | ".join(heads) + " |",
            "|" + "|".join("---" if i < 2 else "---:" for i in range(len(heads))) + "|",
        ]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(heads)]

    def line(cells):
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    return "\n".join([line(heads), "  ".join("-" * w for w in widths)] + [line(r) for r in body])


def _interval(row, key):
    low, high = row.get(f"{key}_low"), row.get(f"{key}_high")
    if low is None or high is None or math.isnan(low):
        return ""
    return f"[{low:.2f}, {high:.2f}]"


def _columns(rows):
    """The table's ``(heading, cell of a row)``: :data:`_TABLE`, with the uncertainty after
    the accuracy and the macro F1 when some row has it (a standard deviation over folds, or
    a 95 % interval)."""
    columns = [
        (head, lambda r, c=c: _fmt(r.get(c), 1 if c.endswith("seconds") else 3))
        for c, head in _TABLE
    ]
    if any(r.get("accuracy_std") is not None for r in rows):
        extra = [
            ("+- std", lambda r, k=k: _fmt(r.get(f"{k}_std"))) for k in ("accuracy", "macro_f1")
        ]
    elif any(r.get("accuracy_low") is not None for r in rows):
        extra = [("95 % CI", lambda r, k=k: _interval(r, k)) for k in ("accuracy", "macro_f1")]
    else:
        return columns
    return columns[:3] + extra[:1] + columns[3:4] + extra[1:] + columns[4:]


def write_csv(path, rows):
    """Write ``rows`` to ``path`` with the columns :data:`RESULT_COLUMNS`."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RESULT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in RESULT_COLUMNS})
    return Path(path)


def classification_report_md(y_true, y_pred, labels):
    """The per-genre precision, recall, F1 and support as a Markdown table."""
    from sklearn.metrics import classification_report

    rep = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    lines = ["| genre | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    names = [(str(label), str(label)) for label in labels]
    names += [(avg, f"*{avg}*") for avg in ("macro avg", "weighted avg")]
    for key, shown in names:
        r = rep[key]
        lines.append(
            f"| {shown} | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['f1-score']:.3f} | {int(r['support'])} |"
        )
    lines.append(f"| *accuracy* | | | {rep['accuracy']:.3f} | {len(y_true)} |")
    return "\n".join(lines)


def save_figure(fig, path):
    """Save a matplotlib figure as ``path`` and close it; return the path."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def score_predictions(y_true, y_pred, *, out_dir, title):
    """Score predictions: accuracy, macro F1, per-genre report and ``confusion_matrix.png``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips,)
    out_dir : str or os.PathLike
        Folder of ``confusion_matrix.png`` (created).
    title : str
        First line of the confusion matrix's title (the accuracy and clip count follow).

    Returns
    -------
    scores : :class:`~sklearn.utils.Bunch`
        ``accuracy``, ``macro_f1``, ``labels``, ``report_md`` (Markdown table) and
        ``confusion_matrix`` (the picture's path).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mgc.study.report import score_predictions
    >>> s = score_predictions(["jazz", "rock"], ["jazz", "jazz"], out_dir=tempfile.mkdtemp(),
    ...                       title="demo")
    >>> float(s.accuracy), s.confusion_matrix.name
    (0.5, 'confusion_matrix.png')
    """
    from sklearn.metrics import accuracy_score, f1_score

    from ..plotting import plot_confusion_matrix

    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    accuracy = float(accuracy_score(y_true, y_pred))
    labels = np.unique(np.concatenate([y_true, y_pred]).astype(object))
    ax = plot_confusion_matrix(
        y_true,
        y_pred,
        labels=labels,
        title=f"{title}\naccuracy {accuracy:.1%}, {len(y_true)} clips",
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return Bunch(
        accuracy=accuracy,
        macro_f1=float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        labels=labels,
        report_md=classification_report_md(y_true, y_pred, labels),
        confusion_matrix=save_figure(ax.figure, out / "confusion_matrix.png"),
    )


def evaluate_pipeline(pipeline, clips, target, *, out_dir, title, description=""):
    """Classify labelled clips with a fitted pipeline; write ``report.md`` and the matrix.

    Clips that the pipeline's representation skips (``on_error="skip"``) are logged and left
    out of the scores.

    Parameters
    ----------
    pipeline : estimator
        A fitted classifier of clips (such as ``best_model.joblib``).
    clips : sequence of str or ndarray
    target : array-like of shape (n_clips,)
    out_dir : str or os.PathLike
        Folder of ``report.md`` and ``confusion_matrix.png`` (created).
    title : str
        What is evaluated (the report's heading and the matrix's title).
    description : str, default=""
        A line about the data, written in the report.

    Returns
    -------
    scores : :class:`~sklearn.utils.Bunch`
        As :func:`score_predictions`, with ``y_true``, ``y_pred``, ``n_clips`` and ``report``
        (the path of ``report.md``).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mgc.datasets import make_genre_clips
    >>> from sklearn_mgc.study import make_classifier, make_pipeline, make_representation
    >>> from sklearn_mgc.study.report import evaluate_pipeline
    >>> X, y = make_genre_clips(3, duration=0.3, genres=["jazz", "metal"], random_state=0)
    >>> pipe = make_pipeline(make_representation("mfcc", duration=0.3),
    ...                      make_classifier("rf", random_state=0), model="rf").fit(X, y)
    >>> scores = evaluate_pipeline(pipe, X, y, out_dir=tempfile.mkdtemp(), title="demo")
    >>> scores.n_clips, scores.report.name
    (6, 'report.md')
    """
    y = np.asarray(target, dtype=object)
    pred = np.asarray(pipeline.predict(clips), dtype=object)
    first = pipeline.steps[0][1] if hasattr(pipeline, "steps") else None
    skipped = getattr(first, "skipped_", None) or []
    for s in skipped:
        _logger.warning("%s: left out: %s", s["clip"], s["error"])
    y = np.delete(y, [s["index"] for s in skipped])
    scores = score_predictions(y, pred, out_dir=out_dir, title=title)
    report = Path(out_dir) / "report.md"
    report.write_text(
        f"# Evaluation of {title}\n\n- Data: {description}\n"
        f"- Accuracy: {scores.accuracy:.3f}; macro F1: {scores.macro_f1:.3f}\n\n"
        + scores.report_md
        + "\n\n![Confusion matrix](confusion_matrix.png)\n"
    )
    return Bunch(**scores, y_true=y, y_pred=pred, n_clips=len(y), report=report)


def write_report(path, ds, result, *, max_epochs, scores=None, cv=None, recipe="seed"):
    """Write the study's ``report.md``: data, evaluation, recipe, results, best model, pictures.

    ``result`` holds ``results``, ``best``, ``skipped``, ``recipe``, ``files`` and ``seconds``
    (as :func:`run_study`'s); ``scores`` are the best model's (:func:`score_predictions`);
    ``cv`` and ``recipe`` as :func:`run_study`'s.
    """
    buf = io.StringIO()
    w = buf.write
    w("# Music genre classification study\n\n")
    w(f"- Data: {ds.description} ({len(ds.genres)} genres: {', '.join(map(str, ds.genres))})\n")
    w(f"- Source: {ds.source}\n- Split: {ds.split}\n")
    w(
        f"- Clip duration: {ds.duration:g} s; networks: at most {max_epochs} epochs with early "
        "stopping on the validation loss\n"
    )
    w(_evaluation_line(ds, cv, result.results))
    w(f"- Wall time: {result.seconds:.0f} s\n\n")
    if result.skipped:
        w("## Skipped representations\n\n")
        w("".join(f"- {reason}\n" for _, reason in result.skipped) + "\n")
    _write_recipe(w, recipe, getattr(result, "recipe", None) or {})
    what = (
        f"Accuracy and macro-averaged F1: mean and standard deviation over the {cv} folds, "
        "best mean first"
        if cv
        else "Test-set accuracy and macro-averaged F1 with their 95 % intervals, best first"
    )
    w(f"## Results\n\n{what}.\n\n")
    w(format_results(result.results, markdown=True) + "\n\n")
    for r in result.results:
        if r.get("status") != "ok":
            w(f"- {r['model']} on {r['feature']}: {r['status']}\n")
    names = [Path(f).name for f in result.files]
    if "study_summary.png" in names:
        w("\n![Study summary](study_summary.png)\n\n")
    _write_best(w, result.best, scores, cv)
    _write_pictures(w, names)
    if result.get("provenance"):
        from .provenance import provenance_markdown

        w("\n" + provenance_markdown(result.provenance))
    Path(path).write_text(buf.getvalue())
    return Path(path)


def _evaluation_line(ds, cv, rows=()):
    """How the cells were scored, with the clips tested: those of the rows (a clip that a
    representation could not read is left out of its cells)."""
    total = len(ds.target) if cv else len(ds.test)
    scored = sorted({int(r["n_test"]) for r in rows if r.get("n_test") is not None})
    counts, left_out = " or ".join(map(str, scored)), scored and scored != [total]
    if cv:
        over = f"{counts} of the {total}" if left_out else f"all {total}"
        return (
            f"- Evaluation: stratified {cv}-fold cross-validation over {over} clips (the "
            "split's test part included; every clip is tested once"
            + ("; clips a representation could not read left out" if left_out else "")
            + "): mean and standard deviation over the folds\n"
        )
    tested = f"{total} clips"
    if left_out:
        tested = (
            f"{counts} of the split's {tested} (clips a representation could not read left out)"
        )
    return (
        f"- Test set: {tested}; 95 % intervals: Wilson score interval for the "
        f"accuracy, percentile bootstrap over the test clips for the macro F1 "
        f"({N_BOOTSTRAP} resamples, seed {BOOTSTRAP_SEED})\n"
    )


def _write_recipe(w, recipe, resolved):
    """The training recipe of the sequence networks, every value named."""
    from .factories import MODERN_RECIPE

    w("## Training recipe\n\n")
    if recipe == "seed":
        w(
            "`seed` (the reference study's): the sequence networks train on whole sequences, "
            "without augmentation, at a constant learning rate.\n\n"
        )
        return
    w(f"`{recipe}` (`MODERN_RECIPE`): " + ", ".join(f"{k}={v!r}" for k, v in MODERN_RECIPE.items()))
    w(".\n\nNetwork parameters of the sequence networks, per representation:\n\n")
    keys = list(next(iter(resolved.values()), {}))
    if keys:
        w("| representation | " + " | ".join(keys) + " |\n|---|" + "---:|" * len(keys) + "\n")
        for name, params in resolved.items():
            w(f"| {name} | " + " | ".join(str(params[k]) for k in keys) + " |\n")
    w("\n")


def _write_best(w, best, scores, cv=None):
    if best is None:
        return
    w(f"## Best model: {best['model']} on {best['feature']}\n\n")
    if cv:
        w(
            f"Mean accuracy {best['accuracy']:.3f} +- {best['accuracy_std']:.3f}, macro F1 "
            f"{best['macro_f1']:.3f} +- {best['macro_f1_std']:.3f} over {cv} folds. Refitted "
            f"on all {best['n_test']} clips and saved as `best_model.joblib` (a Pipeline from raw "
            "clips; classify files with `sklearn-mgc predict best_model.joblib FILE...`); the "
            "report and matrix below are of the out-of-fold predictions.\n\n"
        )
    else:
        w(
            f"Accuracy {best['accuracy']:.3f} (95 % interval {_interval(best, 'accuracy')}), "
            f"macro F1 {best['macro_f1']:.3f} on {best['n_test']} test clips. Saved as "
            "`best_model.joblib` (a Pipeline from raw clips; classify files with "
            "`sklearn-mgc predict best_model.joblib FILE...`).\n\n"
        )
    if scores is not None:
        where = "out-of-fold predictions" if cv else "test set"
        w(f"Per-genre classification report ({where}):\n\n" + scores.report_md + "\n\n")
    w("![Confusion matrix of the best model](confusion_matrix.png)\n\n")


def _write_pictures(w, names):
    sections = (
        ("learning_curves_", "## Learning curves\n\n"),
        ("umap_", "## UMAP projection of the best representation\n\n"),
    )
    for prefix, heading in sections:
        pictures = [n for n in names if n.startswith(prefix)]
        if pictures:
            w(heading + "".join(f"![{n[:-4]}]({n})\n\n" for n in pictures))


def draw_learning_curves(classifier, feature, model, out_dir):
    """``learning_curves_<feature>_<model>.png`` of a network; [] for another classifier.

    A drawing failure is logged and never stops the study.
    """
    from ..plotting import plot_learning_curves

    if not hasattr(classifier, "history_"):
        return []
    try:
        fig = plot_learning_curves(
            classifier, title=f"Learning curves: {type(classifier).__name__} on {feature}"
        )
        return [save_figure(fig, Path(out_dir) / f"learning_curves_{feature}_{model}.png")]
    except Exception as exc:  # pragma: no cover - drawing must not stop the study
        _logger.warning("could not draw the learning curves of %s on %s: %s", model, feature, exc)
        return []


def draw_umap(means, target, feature, out_dir, *, random_state):
    """``umap_<feature>.png``, the UMAP projection of temporal means; [] if it fails."""
    from ..plotting import plot_umap

    try:
        ax = plot_umap(
            means,
            target,
            random_state=random_state,
            title=f"UMAP of {feature} temporal means ({len(target)} clips)",
        )
        return [save_figure(ax.figure, Path(out_dir) / f"umap_{feature}.png")]
    except Exception as exc:  # pragma: no cover - drawing must not stop the study
        _logger.warning("could not draw the UMAP projection: %s: %s", type(exc).__name__, exc)
        return []


def draw_study_summary(rows, out_dir, *, chance=None):
    """``study_summary.png`` (:func:`~sklearn_mgc.plotting.plot_study_summary`); [] if it
    fails or there is nothing to draw."""
    from ..plotting import plot_study_summary

    if not rows:
        return []
    try:
        ax = plot_study_summary(rows, chance=chance, title="Study summary: accuracy per cell")
        return [save_figure(ax.figure, Path(out_dir) / "study_summary.png")]
    except Exception as exc:  # pragma: no cover - drawing must not stop the study
        _logger.warning("could not draw the study summary: %s: %s", type(exc).__name__, exc)
        return []
