"""How sure a score is: the study's intervals and its summaries of cross-validation folds.

- :func:`wilson_interval`: the 95 % Wilson score interval of an accuracy (k correct of n);
- :func:`macro_f1_interval`: a percentile bootstrap interval of the macro F1 over the test
  clips, with a fixed seed;
- :func:`summarise_folds`: the summary row of one cell of the grid from its fold rows (mean
  and standard deviation of accuracy and macro F1).
"""

import math

import numpy as np

__all__ = ["CONFIDENCE", "wilson_interval", "macro_f1_interval", "summarise_folds"]

#: Confidence level of every interval the study reports.
CONFIDENCE = 0.95

#: Resamples and seed of the bootstrap intervals (fixed: the same predictions always give
#: the same interval).
N_BOOTSTRAP, BOOTSTRAP_SEED = 1000, 0


def wilson_interval(n_correct, n, *, confidence=CONFIDENCE):
    """Wilson score interval of a proportion (an accuracy of ``n_correct`` out of ``n``).

    Unlike the normal approximation ``p +- z sqrt(p (1 - p) / n)``, it stays inside [0, 1]
    and is not empty when every clip (or none) is right, which matters on the small test
    sets of a study.

    Parameters
    ----------
    n_correct : int
        Clips classified correctly.
    n : int
        Clips tested.
    confidence : float, default=0.95

    Returns
    -------
    low, high : float
        The interval (``nan, nan`` when ``n`` is 0).

    Examples
    --------
    >>> from sklearn_mgc.study.stats import wilson_interval
    >>> low, high = wilson_interval(85, 100)
    >>> round(low, 3), round(high, 3)
    (0.767, 0.907)
    >>> wilson_interval(10, 10)[1]
    1.0
    """
    from scipy.stats import norm

    if n <= 0:
        return math.nan, math.nan
    z = float(norm.ppf(0.5 + confidence / 2))
    p = n_correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if n_correct <= 0 else max(0.0, centre - half)  # exact at the ends
    return low, 1.0 if n_correct >= n else min(1.0, centre + half)


def macro_f1_interval(y_true, y_pred, *, confidence=CONFIDENCE, n_resamples=None):
    """Percentile bootstrap interval of the macro-averaged F1 over the test clips.

    The clips are resampled with replacement ``n_resamples`` times (default 1000) with a
    fixed seed, so the same predictions always give the same interval. Each resample's macro
    F1 is scikit-learn's ``f1_score(average="macro", zero_division=0)``: the mean over the
    genres present in its true or predicted labels of ``2 TP / (n_true + n_pred)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips,)
    confidence : float, default=0.95
    n_resamples : int or None, default=None
        None: 1000.

    Returns
    -------
    low, high : float
        (``nan, nan`` without clips.)

    Examples
    --------
    >>> from sklearn_mgc.study.stats import macro_f1_interval
    >>> y = ["jazz", "rock"] * 10
    >>> low, high = macro_f1_interval(y, y[:15] + ["jazz"] * 5)
    >>> 0.0 <= low < 0.74 < high <= 1.0
    True
    """
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    n = len(y_true)
    if n == 0:
        return math.nan, math.nan
    labels, codes = np.unique(np.concatenate([y_true, y_pred]).astype(str), return_inverse=True)
    t, p, c = codes[:n], codes[n:], len(labels)
    draws = np.random.default_rng(BOOTSTRAP_SEED).integers(
        0, n, size=(n_resamples or N_BOOTSTRAP, n)
    )
    offset = np.arange(len(draws))[:, None] * c  # one block of c counts per resample

    def counts(values, where=None):
        idx = (values[draws] + offset).ravel()
        weights = None if where is None else where[draws].ravel().astype(float)
        return np.bincount(idx, weights=weights, minlength=len(draws) * c).reshape(-1, c)

    tp, n_true, n_pred = counts(t, where=t == p), counts(t), counts(p)
    present = (n_true + n_pred) > 0
    f1 = np.where(present, 2 * tp / np.maximum(n_true + n_pred, 1), 0.0)
    scores = f1.sum(axis=1) / present.sum(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def summarise_folds(fold_rows):
    """The summary row of one cell of the grid from its cross-validation fold rows.

    ``accuracy`` and ``macro_f1`` are the means over the folds, ``accuracy_std`` and
    ``macro_f1_std`` their standard deviations (``ddof=0``, as ``scores.std()`` after
    :func:`~sklearn.model_selection.cross_val_score`); ``fit_seconds`` and
    ``predict_seconds`` the mean per fold; ``n_train`` the mean training size of a fold and
    ``n_test`` the clips tested over all folds (each clip once); ``n_epochs`` the mean epochs
    (rounded).
    A failed fold makes the whole cell failed, with that fold's status and no score.

    Parameters
    ----------
    fold_rows : list of dict
        Rows of one cell, one per fold (``kind="fold"``).

    Returns
    -------
    row : dict
        With ``kind="summary"`` and ``fold`` None.

    Examples
    --------
    >>> from sklearn_mgc.study.stats import summarise_folds
    >>> folds = [dict(feature="mfcc", model="rf", accuracy=a, macro_f1=a, fit_seconds=1.0,
    ...               n_train=8, n_test=2, status="ok", kind="fold", fold=i)
    ...          for i, a in enumerate([0.5, 1.0])]
    >>> s = summarise_folds(folds)
    >>> s["accuracy"], s["accuracy_std"], s["n_test"], s["kind"]
    (0.75, 0.25, 4, 'summary')
    """
    first = fold_rows[0]
    row = {k: v for k, v in first.items() if k not in ("accuracy_low", "accuracy_high")}
    row.update(kind="summary", fold=None, macro_f1_low=None, macro_f1_high=None)
    row["n_train"] = int(round(np.mean([r["n_train"] for r in fold_rows])))
    row["n_test"] = int(sum(r["n_test"] for r in fold_rows))
    failed = [r["status"] for r in fold_rows if r.get("status") != "ok"]
    if failed:  # no score: the first fold's is not the cell's
        row.update(dict.fromkeys(_SCORES), status=failed[0])
        return row
    for key in ("accuracy", "macro_f1"):
        values = np.array([r[key] for r in fold_rows], dtype=float)
        row[key], row[f"{key}_std"] = float(values.mean()), float(values.std())
    for key, digits in (("fit_seconds", 3), ("predict_seconds", 3), ("n_epochs", None)):
        values = [r[key] for r in fold_rows if r.get(key) is not None]
        row[key] = round(float(np.mean(values)), digits) if values else None
    return row


#: The scores and timings of a summary row, none of them stated for a failed cell.
_SCORES = ("accuracy", "macro_f1", "fit_seconds", "predict_seconds", "n_epochs")
