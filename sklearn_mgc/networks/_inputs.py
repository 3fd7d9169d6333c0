"""Input rules of the networks: shape checks and standardisation that respects padding.

- A sequence needs at least one frame and one feature (:func:`check_sequence_shape`).
- :func:`fit_standardization` computes each feature's mean and standard deviation over the
  REAL frames only (padding, by the rule of :mod:`sklearn_mgc._padding`, is left
  out), in float64.
- :func:`standardize` applies them in float32 (so results are bitwise those of the plain
  formula), falls back to float64 where float32 overflows (values near 3e38), and leaves
  padded frames exactly 0 and each clip's last real frame non-zero, so that the modules
  still find each clip's length.
"""

import contextlib

import numpy as np
import torch
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .._padding import real_frame_mask, real_lengths

__all__ = [
    "InputMixin",
    "check_sequence_shape",
    "fit_standardization",
    "standardize",
]


def check_sequence_shape(X, name):
    """Raise a ``ValueError`` for a 3-D ``(n, T, F)`` input with ``T == 0`` or ``F == 0``.

    Parameters
    ----------
    X : ndarray of shape (n, T, F)
    name : str
        The estimator's name, for the message.
    """
    if X.shape[1] == 0:
        raise ValueError(
            f"X has sequences of 0 frames (shape {X.shape}: (n_samples, n_frames, "
            f"n_features)); {name} needs at least 1 frame per clip."
        )
    if X.shape[2] == 0:
        raise ValueError(
            f"X has frames of 0 features (shape {X.shape}: (n_samples, n_frames, "
            f"n_features)); {name} needs at least 1 feature."
        )


def fit_standardization(X, sequence):
    """Per-feature mean and scale (float32) of the real frames (all rows for vectors).

    Parameters
    ----------
    X : ndarray of shape (n, T, F) or (n, d)
    sequence : bool
        Whether ``X`` is 3-D sequences whose padding is left out.

    Returns
    -------
    mean, scale : ndarray of shape (F,), float32
        A constant feature gets scale 1 (it stays put).
    """
    flat = X[real_frame_mask(X)] if sequence else X.reshape(-1, X.shape[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        mean = flat.mean(axis=0, dtype=np.float64)
        std = flat.std(axis=0, dtype=np.float64)
    std[~np.isfinite(std)] = np.finfo(np.float32).max  # beyond float32: only the mean matters
    std[std < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0  # constant features stay put
    std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def standardize(X, mean, scale, sequence):
    """``(X - mean) / scale`` as float32, padding left at exactly 0.

    Parameters
    ----------
    X : ndarray of shape (n, T, F) or (n, d), float32
    mean, scale : ndarray of shape (F,), float32
    sequence : bool
        Whether ``X`` is 3-D sequences whose padded frames stay 0.

    Returns
    -------
    Z : ndarray, same shape as ``X``, float32
        Computed in float64 for the rows where float32 overflows; values beyond float32's
        range are clipped to it. A clip's last real frame that standardises to all zeros gets
        the smallest normal float32 (about 1e-38) as its first feature, so that the clip keeps
        its length.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        Z = (X - mean) / scale
    bad = ~np.isfinite(Z)
    if bad.any():
        wide = (X.astype(np.float64) - mean.astype(np.float64)) / scale.astype(np.float64)
        big = np.finfo(np.float32).max
        Z = np.where(bad, np.clip(wide, -big, big), Z).astype(np.float32)
    if sequence:
        lengths = real_lengths(X)
        Z[~real_frame_mask(X, lengths)] = 0.0
        # a last real frame exactly at the mean would read as padding: keep it (barely) non-zero
        rows = np.flatnonzero(~np.any(Z[np.arange(len(Z)), lengths - 1] != 0, axis=1))
        Z[rows, lengths[rows] - 1, 0] = np.finfo(np.float32).tiny
    return Z


def _ndim(X):
    """Number of dimensions of an array-like without calling numpy functions on it."""
    ndim = getattr(X, "ndim", None)
    if isinstance(ndim, int):
        return ndim
    return np.asarray(X).ndim


@contextlib.contextmanager
def _frames_hint(estimator):
    """Add to scikit-learn's "0 feature(s)" error that a 2-D sequence's columns are frames."""
    try:
        yield
    except ValueError as err:
        if estimator._input_kind == "vector" or "0 feature(s)" not in str(err):
            raise
        raise ValueError(
            f"{err} For {type(estimator).__name__}, the columns of a 2-D X are the frames of "
            "a univariate sequence: X has sequences of 0 frames."
        ) from None


class InputMixin:
    """Input checks and standardisation of :class:`~sklearn_mgc.networks.BaseNetClassifier`."""

    def _validate_X_fit(self, X, y):
        if self._input_kind == "vector" and _ndim(X) == 3:
            raise ValueError(self._vector_3d_message(X))
        with _frames_hint(self):
            X, y = validate_data(
                self,
                X,
                y,
                allow_nd=self._input_kind != "vector",
                dtype=np.float32,
                ensure_min_samples=1,
            )
        if X.ndim > 3:
            raise ValueError(
                f"X must be 2-D (n, T) or 3-D (n, T, F) for {type(self).__name__}; "
                f"got an array of shape {X.shape}."
            )
        self._n_dims_in = X.ndim
        if X.ndim == 3:
            check_sequence_shape(X, type(self).__name__)
            self.n_features_in_ = X.shape[2]
        return X, y

    def _vector_3d_message(self, X):
        return (
            f"{type(self).__name__} takes 2-D input (n_samples, n_features); got a 3-D "
            f"array of shape {np.shape(X)}. Pool the sequence first, e.g. with "
            "sklearn_mgc.TemporalMean() in a Pipeline, or use output='mean' features."
        )

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        name = type(self).__name__
        ndim = _ndim(X)
        if ndim == 3:
            if self._input_kind == "vector":
                raise ValueError(self._vector_3d_message(X))
            X = check_array(X, allow_nd=True, dtype=np.float32, input_name="X")
            check_sequence_shape(X, name)
            if self._n_dims_in != 3:
                raise ValueError(
                    f"{name} was fitted on 2-D input (n, T) but X is 3-D with shape {X.shape}."
                )
            if X.shape[2] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[2]} features, but {name} is expecting "
                    f"{self.n_features_in_} features as input (X of shape {X.shape}: "
                    "(n_samples, n_frames, n_features))."
                )
            return X
        if self._n_dims_in == 3 and ndim == 2:
            raise ValueError(
                f"{name} was fitted on 3-D input (n, T, F) with F={self.n_features_in_} "
                f"but X is 2-D with shape {np.shape(X)}."
            )
        with _frames_hint(self):
            return validate_data(self, X, reset=False, allow_nd=False, dtype=np.float32)

    def _as_model_input(self, X):
        """``X`` as the module reads it: 3-D for sequences, (n, d) for vectors."""
        if self._input_kind != "vector" and X.ndim == 2:
            return X[:, :, None]  # univariate sequence (n, T) -> (n, T, 1)
        return X

    def _to_tensor(self, X):
        X = self._as_model_input(X)
        if self.standardize:
            X = standardize(X, self._mean, self._scale, sequence=X.ndim == 3)
        return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))

    def _fit_standardization(self, X):
        """Per-feature mean and scale of the real frames (float64 accumulation)."""
        X = self._as_model_input(X)
        self._mean, self._scale = fit_standardization(X, sequence=X.ndim == 3)
