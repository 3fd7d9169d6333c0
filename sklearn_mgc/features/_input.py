"""What the representations accept as ``X``, and the errors that say what is wrong with it.

``X`` is a sequence of clips: paths (``str``, ``bytes`` or :class:`os.PathLike`; a NumPy
string array of paths, one column or flat, also works) and 1-D real waveforms, any mix, in a
list, a tuple, an array of objects or any iterable (a generator is read once). A 2-D real
array is one waveform per row. Complex waveforms are refused rather than silently losing their
imaginary part.
"""

import os
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_array, validate_data

__all__ = [
    "is_path",
    "validate_clips",
    "materialize",
    "index_kept_rows",
    "check_features_unchanged",
]


def is_path(clip):
    """Whether ``clip`` is a path (str or os.PathLike) rather than a waveform."""
    return isinstance(clip, (str, os.PathLike))


def materialize(X):
    """``X`` itself if it can be read twice, else a list of its items (a generator)."""
    if isinstance(X, (list, tuple, str, bytes, os.PathLike)) or hasattr(X, "__array__"):
        return X
    if sp.issparse(X) or hasattr(X, "__len__") or not hasattr(X, "__iter__"):
        return X
    return list(X)


def index_kept_rows(out, X, dropped, estimator):
    """``out`` indexed by the rows of the DataFrame ``X`` it kept, for pandas output.

    With ``set_output(transform="pandas")``, scikit-learn indexes the output by ``X.index``,
    which is too long once clips were skipped (``dropped``: their positions): the output is
    then given the kept rows' index. Otherwise ``out`` is returned as it is.
    """
    pd = sys.modules.get("pandas")
    if not dropped or out.ndim != 2 or pd is None or not isinstance(X, pd.DataFrame):
        return out
    if _get_output_config("transform", estimator)["dense"] != "pandas":
        return out
    return pd.DataFrame(out, index=X.index.delete(dropped))


def check_features_unchanged(estimator):
    """A NotFittedError if ``set_params`` changed the features per frame since ``fit``.

    ``n_features_out_``, the feature names and the cache's check of its entries come from
    ``fit``; the frames, from the current parameters.
    """
    n = estimator._n_features()
    if n != estimator.n_features_out_:
        raise NotFittedError(
            f"{type(estimator).__name__} was fitted for {estimator.n_features_out_} features per "
            f"frame, but its parameters now give {n}: fit it again after set_params"
        )


def _complex_error(what):
    # a ValueError, as scikit-learn's "Complex data not supported"
    return ValueError(
        f"Complex data not supported: {what} is complex: a waveform must hold real samples "
        "(pass np.real(y), np.abs(y) or each channel as its own clip)"
    )


def _from_array(estimator, X, *, reset):
    """Clips of an array ``X``: a list, or a flat array to read clip by clip."""
    arr = np.asarray(X)
    if arr.dtype.kind in "US":  # NumPy strings: paths, flat or in one column
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                "X is an array of strings of shape "
                f"{arr.shape}: paths must be given as a 1-D sequence or a single column"
            )
        return [os.fsdecode(p) if isinstance(p, bytes) else str(p) for p in arr.tolist()]
    if arr.dtype.kind == "c":
        raise _complex_error("X")
    if arr.ndim == 2 and arr.dtype == object and arr.shape[1] == 1:
        return arr[:, 0]  # a one-column table of paths
    if arr.ndim == 2:  # one waveform per row
        finite = estimator.on_error == "raise"
        with np.errstate(over="ignore", invalid="ignore"):  # sums of very loud rows
            return list(_check_2d(estimator, X, finite=finite, reset=reset))
    if arr.ndim == 1 and arr.dtype != object:
        raise ValueError(
            "X is a 1-D numeric array, but X must be a sequence of clips. Reshape your "
            "data: for a single waveform pass [y] or y.reshape(1, -1)"
        )
    if arr.ndim != 1:
        raise ValueError(
            "X must be a sequence of clips or a 2-D array (n_clips, n_samples), "
            f"got an array of shape {arr.shape}"
        )
    return arr


def _check_2d(estimator, X, *, finite, reset):
    if reset:
        return validate_data(estimator, X, dtype=np.float32, ensure_all_finite=finite)
    return check_array(X, dtype=np.float32, ensure_all_finite=finite)


def _check_clip(clip, i):
    """One clip as a path (str or os.PathLike) or a real array; a TypeError naming it."""
    if is_path(clip):
        return clip
    if isinstance(clip, (bytes, np.bytes_)):
        return os.fsdecode(bytes(clip))
    if isinstance(clip, dict) or np.ndim(clip) == 0:
        raise TypeError(f"clip {i} must be a path or a 1-D waveform, got {type(clip).__name__}")
    y = np.asarray(clip)
    if np.iscomplexobj(y):
        raise _complex_error(f"clip {i}")
    return y


def validate_clips(estimator, X, *, reset):
    """Return the clips of ``X`` as a list of paths and waveforms (see the module docstring).

    Parameters
    ----------
    estimator : BaseFeatures
        ``on_error`` decides whether a 2-D array must be finite; with ``reset``,
        ``n_features_in_`` is set from a 2-D array.
    X : sequence of clips or array-like of shape (n_clips, n_samples)
    reset : bool
        True in ``fit``.

    Returns
    -------
    clips : list of (str or os.PathLike or ndarray)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc import MelFeatures
    >>> from sklearn_mgc.features._input import validate_clips
    >>> validate_clips(MelFeatures(), np.array([["a.wav"], ["b.wav"]]), reset=False)
    ['a.wav', 'b.wav']
    >>> validate_clips(MelFeatures(), (p for p in [b"c.wav"]), reset=False)
    ['c.wav']
    """
    if is_path(X) or isinstance(X, bytes):
        raise TypeError(
            f"X must be a sequence of clips, got the single path {os.fsdecode(X)!r}; "
            "wrap it in a list"
        )
    if sp.issparse(X):
        raise TypeError(
            "sparse input is not supported: X must be a sequence of clips or a dense 2-D "
            "array (n_clips, n_samples)"
        )
    if not isinstance(X, (list, tuple)) and hasattr(X, "__array__"):
        X = _from_array(estimator, X, reset=reset)
    try:
        clips = list(X)
    except TypeError:
        raise TypeError(f"X must be a sequence of clips, got {type(X).__name__}") from None
    if not clips:
        raise ValueError("X holds no clips: 0 sample(s) given, at least 1 required")
    return [_check_clip(clip, i) for i, clip in enumerate(clips)]
