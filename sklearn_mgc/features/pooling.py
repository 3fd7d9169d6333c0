"""Pooling steps that turn sequence output into vectors for vector classifiers."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_array, check_is_fitted

from .._padding import real_mean

__all__ = ["TemporalMean"]


class TemporalMean(TransformerMixin, BaseEstimator):
    """Average a sequence ``(n, n_frames, n_features)`` over time, giving ``(n, n_features)``.

    Use it inside a :class:`~sklearn.pipeline.Pipeline` to feed a representation's
    ``output="sequence"`` to a vector classifier, such as a random forest, or to share one
    cached sequence between sequence and vector models.

    Parameters
    ----------
    ignore_padding : bool, default=True
        Leave out the padding: the trailing frames whose features are all exactly zero, which
        is how the representations pad clips shorter than ``duration`` (an all-zero frame
        followed by a real one, such as digital silence inside a clip, is a real frame). With
        it, the result equals the representation's own ``output="mean"``. A clip made only of
        such frames gives zeros.

    Attributes
    ----------
    n_features_in_ : int
        Features per frame seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mgc import TemporalMean
    >>> X = np.zeros((2, 4, 3), dtype=np.float32); X[:, :2] = 1.0
    >>> TemporalMean().fit_transform(X)
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    >>> TemporalMean(ignore_padding=False).fit_transform(X)[0]
    array([0.5, 0.5, 0.5], dtype=float32)
    """

    _parameter_constraints: dict = {"ignore_padding": ["boolean"]}

    def __init__(self, *, ignore_padding=True):
        self.ignore_padding = ignore_padding

    def _as_3d(self, X, reset):
        X = check_array(X, allow_nd=True, dtype=(np.float32, np.float64))
        if X.ndim != 3:
            raise ValueError(
                f"TemporalMean expects sequences of shape (n, n_frames, n_features), got an array "
                f"of shape {X.shape}; use a representation's output='sequence'"
            )
        if reset:
            self.n_features_in_ = X.shape[2]
        elif X.shape[2] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[2]} features per frame, but TemporalMean was fitted with "
                f"{self.n_features_in_}"
            )
        return X

    def fit(self, X, y=None):
        """Record the number of features per frame.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_features)
        y : ignored

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._as_3d(X, reset=True)
        return self

    def transform(self, X):
        """Average each sequence over its (real) frames.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_features)

        Returns
        -------
        means : ndarray of shape (n, n_features)
            Same float dtype as ``X``.
        """
        check_is_fitted(self)
        X = self._as_3d(X, reset=False)
        if not self.ignore_padding:
            return X.mean(axis=1, dtype=np.float64).astype(X.dtype)
        return real_mean(X).astype(X.dtype)

    def get_feature_names_out(self, input_features=None):
        """Output names: ``input_features``, or ``"mean0"`` ... for the features.

        Parameters
        ----------
        input_features : array-like of str or None
            One name per feature of a frame (``n_features_in_``).

        Returns
        -------
        names : ndarray of shape (n_features,), dtype object
        """
        check_is_fitted(self)
        if input_features is not None:  # one name per feature, or a ValueError
            return _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"mean{i}" for i in range(self.n_features_in_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
