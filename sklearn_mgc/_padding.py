"""The padding rule, in numpy: which frames of a ``(n, T, F)`` sequence array are real.

The representations zero-pad sequences shorter than ``duration`` (see
:class:`~sklearn_mgc.features.BaseFeatures`): a padded frame has all its features exactly zero,
and padding only ever follows the real frames. A clip's length is therefore the index of its
last frame with any non-zero feature, plus one, and at least one, so that a clip of pure
digital silence is still one real frame. An all-zero frame followed by a real one (silence
inside a clip) is real.

:class:`~sklearn_mgc.TemporalMean`, :func:`~sklearn_mgc.plotting.plot_umap` and the networks'
standardisation and crops read the lengths from here;
:func:`sklearn_mgc.networks._masking.frame_lengths` is the same rule on torch batches, inside
the networks' forward pass.
"""

import numpy as np

__all__ = ["real_lengths", "real_frame_mask", "real_mean"]


def real_lengths(X):
    """Real frames of each clip of a ``(n, T, F)`` array.

    Parameters
    ----------
    X : array-like of shape (n, T, F)
        A numpy array or a CPU tensor (read without a copy).

    Returns
    -------
    lengths : ndarray of shape (n,), int64
        Index of the last frame with a non-zero feature, plus one; at least 1.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((3, 4, 2)); X[0, :3] = 1; X[1, 0] = 1; X[2, 2, 1] = 1
    >>> real_lengths(X).tolist()
    [3, 1, 3]
    """
    X = np.asarray(X)
    lengths = np.ones(len(X), dtype=np.int64)
    for i, clip in enumerate(X):  # one clip at a time: no (n, T, F) temporary
        real = np.flatnonzero(np.any(clip != 0, axis=-1))
        if real.size:
            lengths[i] = real[-1] + 1
    return lengths


def real_frame_mask(X, lengths=None):
    """``(n, T)`` bool mask of the real frames of a ``(n, T, F)`` array (True = real).

    Parameters
    ----------
    X : array-like of shape (n, T, F)
    lengths : ndarray of shape (n,) or None, default=None
        The clips' lengths, when already known; computed with :func:`real_lengths` if None.

    Returns
    -------
    mask : ndarray of shape (n, T), bool

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((1, 3, 1)); X[0, 1] = 1
    >>> real_frame_mask(X).tolist()
    [[True, True, False]]
    """
    if lengths is None:
        lengths = real_lengths(X)
    return np.arange(np.shape(X)[1])[None, :] < np.asarray(lengths)[:, None]


def real_mean(X):
    """Mean of each clip of a ``(n, T, F)`` array over its real frames, in float64.

    Parameters
    ----------
    X : ndarray of shape (n, T, F)

    Returns
    -------
    means : ndarray of shape (n, F), float64
        A clip of only all-zero frames gives zeros (its one real frame).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((1, 4, 1)); X[0, 0] = 1; X[0, 2] = 3  # silence inside, then padding
    >>> real_mean(X).tolist()
    [[1.3333333333333333]]
    """
    lengths = real_lengths(X)
    real = real_frame_mask(X, lengths)
    sums = np.einsum("ntf,nt->nf", X, real.astype(X.dtype), dtype=np.float64)
    return sums / lengths[:, None]
