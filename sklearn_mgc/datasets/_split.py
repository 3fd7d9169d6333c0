"""The reference study's stratified train / validation / test split."""

import numbers

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, RealNotInt, validate_params

__all__ = ["train_valid_test_split"]


@validate_params(
    {
        "stratify": ["array-like", None],
        "test_size": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "valid_size": [
            Interval(RealNotInt, 0, 1, closed="left"),
            Interval(numbers.Integral, 0, None, closed="left"),
            None,
        ],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def train_valid_test_split(
    *arrays, stratify=None, test_size=0.1, valid_size=0.2, shuffle=True, random_state=28
):
    """Split arrays into train, validation and test subsets, as the reference study did.

    The study held out a stratified 10 % of the clips for the final evaluation
    (``test``), then split the rest 80/20 into ``train`` and ``valid``, both
    times with :func:`sklearn.model_selection.train_test_split` and
    ``random_state=28``. Pass ``stratify=y`` to reproduce it.

    With ``valid_size=0`` only the first split is made: ``test`` is the same as
    with any other ``valid_size``, ``train`` is all the rest (in the order of the
    first split) and ``valid`` is empty, indexed from the input like the others
    (an empty list for a list, an array of length 0 for an array). This is a
    plain train / test split with the study's held-out test set, for models that
    hold out their own validation data.

    Parameters
    ----------
    *arrays : sequence of indexables with the same length
        Lists, numpy arrays, scipy-sparse matrices or pandas dataframes.
    stratify : array-like of shape (n_samples,), default=None
        Class labels to stratify both splits by (the study: the genres).
        ``None`` splits without stratification.
    test_size : float or int, default=0.1
        Fraction (float in (0, 1)) or number (int >= 1) of all samples held out
        as test set. ``None`` takes 0.25, as :func:`~sklearn.model_selection.train_test_split`.
    valid_size : float or int, default=0.2
        Fraction (float in [0, 1)) or number (int >= 0) of the *remaining*
        samples used as validation set; 0 (or 0.0) leaves the validation set
        empty. ``None`` takes 0.25, as :func:`~sklearn.model_selection.train_test_split`.
    shuffle : bool, default=True
        Shuffle before splitting; must be True when stratifying.
    random_state : int, RandomState instance or None, default=28
        Seed of both splits; 28 is the study's.

    Returns
    -------
    splitting : list of length 3 * len(arrays)
        ``train``, ``valid`` and ``test`` of every input array in turn:
        ``a_train, a_valid, a_test, b_train, b_valid, b_test, ...``.

    Raises
    ------
    ValueError
        If no array is given, or an argument is out of its range (the message
        names the argument and the accepted values).

    See Also
    --------
    sklearn.model_selection.train_test_split : The two-way split this applies twice.
    load_gtzan : With ``split="fault-filtered"``, the artist-filtered split of GTZAN.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc.datasets import train_valid_test_split
    >>> X = np.arange(200).reshape(100, 2)
    >>> y = np.repeat(["jazz", "rock"], 50)
    >>> X_tr, X_va, X_te, y_tr, y_va, y_te = train_valid_test_split(X, y, stratify=y)
    >>> len(y_tr), len(y_va), len(y_te)
    (72, 18, 10)
    >>> int((y_te == "jazz").sum())
    5

    Without validation set, the same test set:

    >>> idx_tr, idx_va, idx_te = train_valid_test_split(
    ...     np.arange(100), stratify=y, valid_size=0)
    >>> len(idx_tr), len(idx_va), bool((X[idx_te] == X_te).all())
    (90, 0, True)
    """
    if not arrays:
        raise ValueError("train_valid_test_split needs at least one array.")
    if stratify is not None:
        arrays = arrays + (stratify,)
    first = train_test_split(
        *arrays, test_size=test_size, shuffle=shuffle, stratify=stratify, random_state=random_state
    )
    rest, test = first[0::2], first[1::2]
    if valid_size is not None and valid_size == 0:
        train, valid = rest, [_safe_indexing(a, np.arange(0)) for a in rest]
    else:
        strat_rest = rest[-1] if stratify is not None else None
        second = train_test_split(
            *rest,
            test_size=valid_size,
            shuffle=shuffle,
            stratify=strat_rest,
            random_state=random_state,
        )
        train, valid = second[0::2], second[1::2]
    n = len(arrays) - (stratify is not None)
    out = []
    for i in range(n):
        out.extend([train[i], valid[i], test[i]])
    return out
