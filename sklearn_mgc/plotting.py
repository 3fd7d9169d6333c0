"""Pictures of a genre study: learning curves, confusion matrices, UMAP, the study's summary.

Every function draws with matplotlib and returns what it drew on (an ``Axes`` or a ``Figure``),
so it works the same in a notebook, in a script, or inside :func:`sklearn_mgc.study.run_study`,
which saves these pictures next to its results. Functions that draw a single panel take
``ax=`` to draw into an existing figure.

matplotlib is imported when a function is first called, never at import time; choose a
non-interactive backend (``MPLBACKEND=Agg``) on machines without a display.
"""

import numbers
import warnings

import numpy as np

from ._padding import real_mean

__all__ = ["plot_learning_curves", "plot_confusion_matrix", "plot_umap", "plot_study_summary"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _history_columns(history):
    """Per-epoch lists ``{key: values}`` of a skorch History, a list of dicts or a dict of lists."""
    if isinstance(history, dict):
        return {k: list(v) for k, v in history.items()}
    rows = list(history)
    keys = ("epoch", "train_loss", "valid_loss", "train_acc", "valid_acc")
    out = {}
    for key in keys:
        values = [row.get(key, np.nan) if hasattr(row, "get") else np.nan for row in rows]
        if any(v is not None and not (isinstance(v, float) and np.isnan(v)) for v in values):
            out[key] = [np.nan if v is None else float(v) for v in values]
    return out


def _history_of(estimator_or_history):
    """``(columns, name)``: the per-epoch columns of a network, pipeline or history.

    ``name`` is the network's class name, None when a history was given.
    """
    obj = estimator_or_history
    name = None
    if hasattr(obj, "steps"):  # a Pipeline: its last step
        obj = obj.steps[-1][1]
    if hasattr(obj, "history_"):
        name = type(obj).__name__
        obj = obj.history_
    elif hasattr(obj, "fit") and hasattr(obj, "get_params"):
        raise ValueError(
            f"{type(obj).__name__} has no learning history: pass a fitted network of "
            "sklearn_mgc.networks (it records history_), or its history."
        )
    return _history_columns(obj), name


def _draw_curve_panel(ax, cols, epochs, n_epochs, kind, label):
    """One panel of the learning curves: the ``kind`` (loss or acc) of both splits."""
    drawn = False
    for split, style in (("train", "-o"), ("valid", "--s")):
        values = cols.get(f"{split}_{kind}")
        if values is None:
            continue
        ax.plot(
            epochs[: len(values)],
            values,
            style,
            markersize=3,
            label="training" if split == "train" else "validation",
        )
        drawn = True
    ax.set_xlabel("Epoch")
    ax.set_ylabel(label)
    ax.set_title("Loss" if kind == "loss" else "Accuracy")
    ax.grid(True, alpha=0.3)
    if kind == "acc":
        ax.set_ylim(-0.02, 1.02)
    if drawn:
        ax.legend()
    else:
        ax.text(
            0.5,
            0.5,
            f"no {label.lower()} recorded",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    if n_epochs < 12:
        ax.set_xticks(epochs[:n_epochs])


def plot_learning_curves(estimator_or_history, *, title=None, fig=None):
    """Train and validation loss and accuracy per epoch of a fitted network.

    Parameters
    ----------
    estimator_or_history : fitted network, skorch History, list of dict or dict of lists
        A fitted :mod:`sklearn_mgc.networks` classifier (its ``history_`` is read), a
        :class:`~sklearn.pipeline.Pipeline` ending in one, a skorch ``History`` or
        ``net.history``, a list of per-epoch dicts, or a dict of per-epoch lists. The keys
        read are ``train_loss``, ``valid_loss``, ``train_acc`` and ``valid_acc``; missing
        ones are left out (a network trained without a validation set has no ``valid_*``).
    title : str or None, default=None
        Title of the figure; None gives ``"Learning curves"`` (with the estimator's class name
        when one was given).
    fig : matplotlib.figure.Figure or None, default=None
        Figure to draw into (cleared first); None creates a new one, 10 x 4 inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two panels: loss (left) and accuracy (right) against the epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_mgc.plotting import plot_learning_curves
    >>> history = [{"epoch": 1, "train_loss": 1.2, "valid_loss": 1.3, "train_acc": 0.4,
    ...             "valid_acc": 0.35},
    ...            {"epoch": 2, "train_loss": 0.8, "valid_loss": 1.0, "train_acc": 0.7,
    ...             "valid_acc": 0.6}]
    >>> fig = plot_learning_curves(history)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['Cross-entropy loss', 'Accuracy']
    """
    cols, name = _history_of(estimator_or_history)
    n_epochs = max((len(v) for v in cols.values()), default=0)
    if n_epochs == 0:
        raise ValueError("the history is empty: the network must be fitted for at least one epoch")
    epochs = cols.get("epoch") or list(range(1, n_epochs + 1))

    plt = _pyplot()
    if fig is None:
        fig = plt.figure(figsize=(10, 4), layout="constrained")
    else:
        fig.clear()
    ax_loss, ax_acc = fig.subplots(1, 2)
    _draw_curve_panel(ax_loss, cols, epochs, n_epochs, "loss", "Cross-entropy loss")
    _draw_curve_panel(ax_acc, cols, epochs, n_epochs, "acc", "Accuracy")
    if title is None:
        title = "Learning curves" + (f" of {name}" if name else "")
    fig.suptitle(title)
    return fig


def _annotate_cells(ax, cm, normalize):
    """Write every cell's value (a share or a count) in it, white on dark cells."""
    n = cm.shape[0]
    threshold = (1 if normalize else cm.max()) / 2
    fontsize = 10 if n <= 10 else 8 if n <= 16 else 6
    for i in range(n):
        for j in range(n):
            value = cm[i, j]
            text = ("0" if value == 0 else f"{value:.2f}") if normalize else f"{int(value)}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if value > threshold else "black",
            )


def plot_confusion_matrix(
    y_true, y_pred, *, labels=None, normalize="true", title=None, cmap="Blues", ax=None
):
    """Confusion matrix with the genre names on both axes and the values in the cells.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True genres.
    y_pred : array-like of shape (n_samples,)
        Predicted genres.
    labels : array-like of shape (n_classes,) or None, default=None
        Genres to show, in order; None takes the sorted union of ``y_true`` and ``y_pred``.
    normalize : {"true", "pred", "all"} or None, default="true"
        As :func:`sklearn.metrics.confusion_matrix`: ``"true"`` shows, in each row, the share
        of that genre's clips predicted as each genre (rows sum to 1; the diagonal is the
        per-genre recall); None shows counts.
    title : str or None, default=None
        Axes title; None gives ``"Confusion matrix"`` with the accuracy.
    cmap : str or matplotlib colormap, default="Blues"
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None creates a figure sized for the number of genres.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_mgc.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix(["jazz", "rock", "rock"], ["jazz", "rock", "jazz"])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['jazz', 'rock']
    >>> ax.get_ylabel()
    'True genre'
    """
    from sklearn.metrics import confusion_matrix

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D and of the same length; got shapes {y_true.shape} "
            f"and {y_pred.shape}"
        )
    if labels is None:
        labels = np.unique(np.concatenate([y_true.astype(object), y_pred.astype(object)]))
    labels = np.asarray(labels)
    if normalize not in ("true", "pred", "all", None):
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")
    cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    n = len(labels)
    plt = _pyplot()
    if ax is None:
        size = max(4.5, 0.6 * n + 2.5)
        _, ax = plt.subplots(figsize=(size + 1.0, size), layout="constrained")
    im = ax.imshow(
        cm, interpolation="nearest", cmap=cmap, vmin=0, vmax=1 if normalize else max(1, cm.max())
    )
    ax.figure.colorbar(
        im,
        ax=ax,
        fraction=0.046,
        pad=0.04,
        label="Share of the true genre's clips"
        if normalize == "true"
        else ("Share" if normalize else "Clips"),
    )
    names = [str(label) for label in labels]
    ax.set_xticks(range(n), names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("Predicted genre")
    ax.set_ylabel("True genre")
    _annotate_cells(ax, cm, normalize)
    if title is None:
        accuracy = float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")
        title = f"Confusion matrix (accuracy {accuracy:.1%}, {len(y_true)} clips)"
    ax.set_title(title)
    return ax


def _clip_vectors(X, y, n_neighbors):
    """Check the inputs of :func:`plot_umap`; a 3-D ``X`` is averaged over its real frames."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim == 3:  # the padding rule: only trailing all-zero frames are padding
        X = real_mean(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_clips, n_features) or 3-D sequences, got shape {X.shape}"
        )
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must be 1-D with one genre per clip: X has {len(X)} clips, y has shape {y.shape}"
        )
    if len(X) < 3:
        raise ValueError(f"a UMAP projection needs at least 3 clips, got {len(X)}")
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinite values")
    if not (isinstance(n_neighbors, numbers.Integral) and n_neighbors >= 2):
        raise ValueError(f"n_neighbors must be an integer >= 2, got {n_neighbors!r}")
    return X, y


def _umap_embedding(X, *, n_neighbors, min_dist, metric, random_state):
    """The 2-D UMAP embedding of the rows of ``X``, without umap's routine warnings."""
    n = len(X)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        warnings.filterwarnings("ignore", category=FutureWarning)
        import umap

        reducer = umap.UMAP(
            n_components=2,
            n_neighbors=int(min(n_neighbors, n - 1)),
            min_dist=min_dist,
            metric=metric,
            random_state=random_state,
            init="spectral" if n > 10 else "random",
        )
        return reducer.fit_transform(X)


def _scatter_genres(ax, emb, y):
    """One colour and marker per genre, with a legend on the right."""
    plt = _pyplot()
    genres = np.unique(y.astype(object))
    cmap = plt.get_cmap("tab10" if len(genres) <= 10 else "tab20")
    markers = "osD^vP*Xhp<>"
    for i, genre in enumerate(genres):
        mask = y.astype(object) == genre
        ax.scatter(
            emb[mask, 0],
            emb[mask, 1],
            s=28,
            alpha=0.85,
            color=cmap(i % cmap.N),
            marker=markers[i % len(markers)],
            label=str(genre),
            edgecolors="none",
        )
    ax.legend(
        title="Genre",
        fontsize=9,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        markerscale=1.2,
        frameon=False,
    )


def plot_umap(
    X,
    y,
    *,
    n_neighbors=15,
    min_dist=0.1,
    metric="euclidean",
    standardize=True,
    random_state=None,
    title=None,
    ax=None,
):
    """2-D UMAP projection of clip vectors (such as temporal means), coloured by genre.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_features) or (n_clips, n_frames, n_features)
        One vector per clip, such as a representation's ``output="mean"``; a 3-D sequence
        array is averaged over time first (padding frames left out, as
        :class:`~sklearn_mgc.TemporalMean`).
    y : array-like of shape (n_clips,)
        Genre of each clip; one colour per genre, with a legend.
    n_neighbors : int, default=15
        UMAP's neighbourhood size, lowered to ``n_clips - 1`` for small sets.
    min_dist : float, default=0.1
    metric : str, default="euclidean"
        UMAP's parameters.
    standardize : bool, default=True
        Scale every feature to zero mean and unit variance first, so that no single
        feature's range dominates the distances.
    random_state : int or None, default=None
        Seed of UMAP (an int makes the picture reproducible).
    title : str or None, default=None
        Axes title; None gives ``"UMAP projection of N clips"``.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None creates a new 8 x 6 inch figure (legend on the right).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The embedding is stored on it as ``ax.embedding_``, shape ``(n_clips, 2)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_mgc.plotting import plot_umap
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (10, 5)), rng.normal(4, 1, (10, 5))])
    >>> y = ["jazz"] * 10 + ["rock"] * 10
    >>> ax = plot_umap(X, y, random_state=0)  # doctest: +SKIP
    >>> ax.embedding_.shape  # doctest: +SKIP
    (20, 2)
    """
    X, y = _clip_vectors(X, y, n_neighbors)
    n = len(X)
    if standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    emb = _umap_embedding(
        X, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, random_state=random_state
    )
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(8, 6), layout="constrained")
    _scatter_genres(ax, emb, y)
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.set_title(title if title is not None else f"UMAP projection of {n} clips")
    ax.embedding_ = emb
    return ax


def _numbers(rows, key):
    """``rows[i][key]`` as floats (nan where missing or empty, as in ``results.csv``)."""
    return np.array([np.nan if r.get(key) in (None, "") else float(r[key]) for r in rows])


def _summary_rows(results):
    """One row per cell: the summaries under cross-validation, else the test rows."""
    if isinstance(results, (str, bytes)) or hasattr(results, "__fspath__"):
        import csv

        with open(results, newline="") as f:
            results = list(csv.DictReader(f))
    wanted = "summary" if any(r.get("kind") == "summary" for r in results) else "test"
    return [dict(r) for r in results if (r.get("kind") or "test") == wanted]


def _errors(rows, metric, values):
    """Error bars ``(2, n)`` and their meaning: standard deviations or 95 % intervals."""
    std = _numbers(rows, f"{metric}_std")
    if np.isfinite(std).any():
        return np.vstack([std, std]), "mean +- std over folds"
    low, high = _numbers(rows, f"{metric}_low"), _numbers(rows, f"{metric}_high")
    if np.isfinite(low).any():
        return np.vstack([values - low, high - values]), "95 % interval"
    return None, None


def plot_study_summary(results, *, metric="accuracy", chance=None, title=None, ax=None):
    """The study's grid at a glance: representations x models, with error bars.

    A group of bars per representation, a bar per model: the mean over the folds and its
    standard deviation under cross-validation, else the test score and its 95 % interval.
    Each bar carries its value; a failed cell is marked with a cross.

    Parameters
    ----------
    results : list of dict, str or os.PathLike
        The rows of :func:`~sklearn_mgc.study.run_study` (``result.results``, and fold rows
        may be included: they are left out), or the path of a study's ``results.csv``.
    metric : {"accuracy", "macro_f1"}, default="accuracy"
    chance : float or None, default=None
        Draw a dashed line at this score (for example ``1 / n_genres``).
    title : str or None, default=None
        None: ``"Study summary"``.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None creates a figure sized for the grid.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_mgc.plotting import plot_study_summary
    >>> rows = [dict(feature=f, model=m, accuracy=a, accuracy_std=0.05, status="ok")
    ...         for f, m, a in [("mel", "rf", 0.6), ("mel", "gru", 0.7), ("mfcc", "rf", 0.8)]]
    >>> ax = plot_study_summary(rows, chance=0.1)
    >>> [t.get_text() for t in ax.get_xticklabels()], ax.get_legend().get_title().get_text()
    (['mel', 'mfcc'], 'model')
    """
    if metric not in ("accuracy", "macro_f1"):
        raise ValueError(f"metric must be 'accuracy' or 'macro_f1', got {metric!r}")
    rows = _summary_rows(results)
    features, models = (list(dict.fromkeys(r[k] for r in rows)) for k in ("feature", "model"))
    plt = _pyplot()
    if ax is None:
        width = min(16.0, max(5.0, 0.35 * len(rows) + 1.2 * len(features) + 2.0))
        _, ax = plt.subplots(figsize=(width, 4.8), layout="constrained")
    step = 0.8 / max(1, len(models))
    for j, model in enumerate(models):
        mine = [r for r in rows if r["model"] == model]
        _draw_model_bars(ax, mine, features, metric, (j - (len(models) - 1) / 2) * step, step)
    ax.set_xticks(range(len(features)), features)
    ax.set_ylim(0, 1.1)
    meaning = _errors(rows, metric, _numbers(rows, metric))[1]
    name = "Accuracy" if metric == "accuracy" else "Macro F1"
    ax.set(ylabel=f"{name} ({meaning})" if meaning else name, xlabel="Representation")
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle="--", linewidth=1, label="chance")
    ax.legend(title="model", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title or "Study summary")
    return ax


def _draw_model_bars(ax, rows, features, metric, offset, width):
    """One model's bars (one per representation it ran on), values and failure crosses."""
    ok = [r for r in rows if (r.get("status") or "ok") == "ok"]
    x = np.array([features.index(r["feature"]) + offset for r in ok])
    values = _numbers(ok, metric)
    errors, _ = _errors(ok, metric, values)
    errors = None if errors is None else np.nan_to_num(np.clip(errors, 0, None))
    bars = ax.bar(x, values, width * 0.9, yerr=errors, capsize=2, label=rows[0]["model"])
    top = values + (0 if errors is None else errors[1])
    for xi, yi, v in zip(x, top, values):
        ax.text(xi, yi + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=7, rotation=90)
    failed = [features.index(r["feature"]) + offset for r in rows if r not in ok]
    color = bars.patches[0].get_facecolor() if bars.patches else "0.3"
    ax.plot(failed, [0.02] * len(failed), "x", color=color, markersize=8)
