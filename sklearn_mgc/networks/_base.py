"""The shared scikit-learn estimator behind every network of :mod:`sklearn_mgc.networks`.

:class:`BaseNetClassifier` is a thin scikit-learn classifier: its constructor only stores
plain parameters (architecture sizes and training settings), and :meth:`~BaseNetClassifier.fit`
builds a :class:`skorch.NeuralNetClassifier` around the family's ``nn.Module`` and stores it
as ``net_``.  Every family (``rnn.py``, ``cnn.py``, ``transformer.py``, ``mlp.py``) only
defines ``_build_module`` and the kind of input it reads; labels, input checks,
``random_state``, the stratified validation split, early stopping, class weights, gradient
clipping and the learning history live here, once.
"""

import math
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from torch import nn

__all__ = ["BaseNetClassifier", "AttentionPooling"]

_OPTIMIZERS = {
    "adamw": torch.optim.AdamW,
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Shared numpydoc text for the training parameters, appended to every estimator's docstring.
TRAINING_PARAMS_DOC = """\
max_epochs : int, default=100
        Maximum number of passes over the training data.

    batch_size : int, default=32
        Number of clips per mini-batch (the training batches are shuffled every epoch).

    lr : float, default=1e-3
        Learning rate of the optimizer.

    weight_decay : float, default=0.01
        Weight decay (L2 penalty; decoupled for AdamW).

    optimizer : {"adamw", "adam", "sgd", "rmsprop"} or torch.optim.Optimizer subclass, \
default="adamw"
        The optimizer.

    grad_clip : float or None, default=1.0
        Clip the global gradient norm to this value; ``None`` disables clipping.

    validation_fraction : float or None, default=0.2
        Fraction of the training clips held out, stratified by class, to monitor the
        validation loss and accuracy (the reference study's 80/20 split). ``None`` trains
        on every clip (early stopping then monitors the training loss).

    patience : int or None, default=10
        Early stopping: stop when the monitored loss has not improved for this many
        epochs, and restore the weights of the best epoch. ``None`` trains for
        ``max_epochs`` epochs and keeps the last weights.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the cross-entropy loss, as in scikit-learn
        (``"balanced"``: ``n_samples / (n_classes * np.bincount(y))``).

    device : str, default="cpu"
        Torch device to train and predict on, e.g. ``"cuda"``.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout, the batch shuffling and the validation
        split. With an int, two fits on the CPU give the same probabilities. The global
        torch random state is restored after ``fit``.

    verbose : int, default=0
        ``0`` is silent; ``> 0`` prints skorch's per-epoch table (losses, accuracies,
        duration).

    standardize : bool, default=True
        Standardise each feature with the mean and standard deviation of the training
        data (over clips and frames) before the network, as a ``StandardScaler`` would for
        2-D input; this matters for raw representations such as log-mel or MFCC values,
        for which scikit-learn has no 3-D scaler. ``False`` feeds ``X`` unchanged."""

TRAINING_ATTRIBUTES_DOC = """\
classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.

    n_features_in_ : int
        Number of features seen during ``fit``: ``X.shape[1]`` for a 2-D input and the
        feature axis ``F`` for a 3-D ``(n, T, F)`` input.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, only when ``X`` was a DataFrame with string column names.

    net_ : skorch.NeuralNetClassifier
        The fitted skorch net; ``net_.module_`` is the torch module.

    history_ : skorch.History
        The per-epoch learning history (``train_loss``, ``train_acc``, ``valid_loss``,
        ``valid_acc``, ``dur``), e.g. ``history_[:, "valid_loss"]``, for learning curves."""


def _fill_doc(cls):
    """Insert the shared training parameter and attribute docs into ``cls.__doc__``."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("{training_params}", TRAINING_PARAMS_DOC).replace(
            "{training_attributes}", TRAINING_ATTRIBUTES_DOC
        )
    return cls


class AttentionPooling(nn.Module):
    """Attention pooling over time.

    ``a_t = w . h_t + b``, ``alpha = softmax_t(a)``, ``context = sum_t alpha_t h_t``.

    Parameters
    ----------
    input_size : int
        Size of each ``h_t``.

    Attributes
    ----------
    score : torch.nn.Linear
        The scoring layer ``w . h_t + b``, from ``input_size`` to 1.

    Notes
    -----
    ``forward`` maps ``h`` of shape ``(n, T, input_size)`` to the context ``(n, input_size)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mgc.networks import AttentionPooling
    >>> AttentionPooling(6)(torch.randn(2, 10, 6)).shape
    torch.Size([2, 6])
    """

    def __init__(self, input_size):
        super().__init__()
        self.score = nn.Linear(input_size, 1)

    def forward(self, h):
        alpha = torch.softmax(self.score(h).squeeze(-1), dim=1)  # (n, T)
        return torch.bmm(alpha.unsqueeze(1), h).squeeze(1)


def _silent(*args, **kwargs):
    """A print sink that prints nothing (module-level so that fitted nets pickle)."""


def _ndim(X):
    """Number of dimensions of an array-like without calling numpy functions on it."""
    ndim = getattr(X, "ndim", None)
    if isinstance(ndim, int):
        return ndim
    return np.asarray(X).ndim


def _n_frames_and_features(X):
    """(T, F) of a 3-D input; for vector input T is None."""
    if X.ndim == 3:
        return X.shape[1], X.shape[2]
    return None, X.shape[1]


class BaseNetClassifier(ClassifierMixin, BaseEstimator):
    """Base class of the skorch-backed network classifiers.

    Not used directly: a subclass lists its architecture parameters and the training
    parameters below in ``__init__`` and defines
    ``_build_module(n_features, n_frames, n_classes) -> torch.nn.Module`` and the class
    attribute ``_input_kind``:

    - ``"sequence"``: ``X`` of shape ``(n, T, F)``; a 2-D ``(n, T)`` array is a univariate
      sequence ``(n, T, 1)``. The module receives ``(batch, T, F)`` float32 tensors.
    - ``"vector"``: ``X`` of shape ``(n, d)``; a 3-D input raises a ``ValueError``.

    Parameters
    ----------
    {training_params}

    Attributes
    ----------
    {training_attributes}

    Examples
    --------
    A new network needs only its module; labels, input checks, the validation split, early
    stopping and reproducibility come from the base class:

    >>> import numpy as np
    >>> from torch import nn
    >>> from sklearn_mgc.networks import BaseNetClassifier
    >>> class LinearClassifier(BaseNetClassifier):
    ...     _input_kind = "vector"
    ...     def _build_module(self, n_features, n_frames, n_classes):
    ...         return nn.Linear(n_features, n_classes)
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 1, (20, 3)), rng.normal(2, 1, (20, 3))]
    >>> y = np.array(["pop"] * 20 + ["rock"] * 20)
    >>> clf = LinearClassifier(max_epochs=30, lr=0.05, random_state=0).fit(X, y)
    >>> clf.predict([[-2, -2, -2], [2, 2, 2]])
    array(['pop', 'rock'], dtype='<U4')
    """

    _input_kind = "sequence"

    def __init__(
        self,
        *,
        max_epochs=100,
        batch_size=32,
        lr=1e-3,
        weight_decay=0.01,
        optimizer="adamw",
        grad_clip=1.0,
        validation_fraction=0.2,
        patience=10,
        class_weight=None,
        device="cpu",
        random_state=None,
        verbose=0,
        standardize=True,
    ):
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.grad_clip = grad_clip
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.class_weight = class_weight
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.standardize = standardize

    # ------------------------------------------------------------------ to override
    def _build_module(self, n_features, n_frames, n_classes):  # pragma: no cover
        """Return the ``torch.nn.Module`` mapping a batch of inputs to class logits.

        Parameters
        ----------
        n_features : int
            ``F`` (sequence input) or ``d`` (vector input).
        n_frames : int or None
            ``T`` at fit time (sequence input), ``None`` for vector input.
        n_classes : int
            Number of classes (size of the logits).
        """
        raise NotImplementedError

    @classmethod
    def get_test_params(cls):
        """Cheap constructor settings for tests (tiny model, few epochs).

        Returns
        -------
        params : dict
        """
        return {
            "max_epochs": 20,
            "batch_size": 16,
            "lr": 0.02,
            "validation_fraction": None,
            "patience": None,
            "random_state": 0,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = self._input_kind != "vector"
        tags.input_tags.allow_nan = False
        return tags

    # ------------------------------------------------------------------ input handling
    def _validate_X_fit(self, X, y):
        if self._input_kind == "vector" and _ndim(X) == 3:
            raise ValueError(self._vector_3d_message(X))
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
        return validate_data(self, X, reset=False, allow_nd=False, dtype=np.float32)

    def _to_tensor(self, X):
        if self._input_kind != "vector" and X.ndim == 2:
            X = X[:, :, None]  # univariate sequence (n, T) -> (n, T, 1)
        if self.standardize:
            X = (X - self._mean) / self._scale
        return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))

    def _fit_standardization(self, X):
        """Per-feature mean and scale over every axis but the last (float64 accumulation)."""
        if self._input_kind != "vector" and X.ndim == 2:
            X = X[:, :, None]
        flat = X.reshape(-1, X.shape[-1])
        mean = flat.mean(axis=0, dtype=np.float64)
        std = flat.std(axis=0, dtype=np.float64)
        std[std < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0  # constant features stay put
        std[std == 0] = 1.0
        self._mean = mean.astype(np.float32)
        self._scale = std.astype(np.float32)

    # ------------------------------------------------------------------ training
    def _split(self, y, seed):
        """Indices (train, valid) of the stratified validation split, valid None if disabled."""
        frac = self.validation_fraction
        n = len(y)
        if frac is None or frac == 0:
            return np.arange(n), None
        if not isinstance(frac, numbers.Real) or not 0 < frac < 1:
            raise ValueError(
                f"validation_fraction must be a float in (0, 1) or None; got {frac!r}."
            )
        n_valid = math.ceil(frac * n)
        if n - n_valid < 1:
            raise ValueError(
                f"validation_fraction={frac} leaves no training sample out of {n}; "
                "use a smaller fraction or validation_fraction=None."
            )
        try:
            splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_valid, random_state=seed)
            train, valid = next(splitter.split(np.zeros(n), y))
        except ValueError:  # a class too small to stratify: plain random split
            splitter = ShuffleSplit(n_splits=1, test_size=n_valid, random_state=seed)
            train, valid = next(splitter.split(np.zeros(n)))
        return train, valid

    def _make_optimizer(self):
        opt = self.optimizer
        if isinstance(opt, str):
            try:
                return _OPTIMIZERS[opt.lower()]
            except KeyError:
                raise ValueError(
                    f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch.optim.Optimizer "
                    f"subclass; got {opt!r}."
                ) from None
        if isinstance(opt, type) and issubclass(opt, torch.optim.Optimizer):
            return opt
        raise ValueError(
            f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch.optim.Optimizer "
            f"subclass; got {opt!r}."
        )

    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)
            Training input; see the class description for which shapes this network reads.
        y : array-like of shape (n_samples,)
            Class labels (strings, ints...).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        from skorch import NeuralNetClassifier
        from skorch.callbacks import EarlyStopping, EpochScoring, GradientNormClipping
        from skorch.dataset import Dataset
        from skorch.helper import predefined_split

        X, y = self._validate_X_fit(X, y)
        check_classification_targets(y)
        encoder = LabelEncoder()
        y_enc = encoder.fit_transform(y)
        self.classes_ = encoder.classes_
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                f"({self.classes_[0]!r})."
            )
        optimizer = self._make_optimizer()

        rng = check_random_state(self.random_state)
        seed = None if self.random_state is None else int(rng.randint(np.iinfo(np.int32).max))
        train_idx, valid_idx = self._split(y_enc, seed)

        if self.standardize:
            self._fit_standardization(X[train_idx])
        Xt = self._to_tensor(X)
        yt = torch.from_numpy(y_enc.astype(np.int64))
        n_frames, n_features = _n_frames_and_features(Xt if self._input_kind != "vector" else X)

        callbacks = [
            (
                "train_acc",
                EpochScoring("accuracy", on_train=True, name="train_acc", lower_is_better=False),
            ),
        ]
        if self.grad_clip is not None:
            callbacks.append(("grad_clip", GradientNormClipping(self.grad_clip)))
        if valid_idx is not None:
            train_split = predefined_split(Dataset(Xt[valid_idx], yt[valid_idx]))
            monitor = "valid_loss"
        else:
            train_split = None
            monitor = "train_loss"
        if self.patience is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor=monitor,
                        patience=self.patience,
                        load_best=True,
                        sink=print if self.verbose else _silent,
                    ),
                )
            )

        kwargs = {}
        if self.class_weight is not None:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            kwargs["criterion__weight"] = torch.as_tensor(weights, dtype=torch.float32)

        n_train = len(train_idx)
        generator = torch.Generator()
        cuda_devices = []
        if str(self.device).startswith("cuda") and torch.cuda.is_available():
            cuda_devices = [torch.device(self.device).index or 0]
        with torch.random.fork_rng(devices=cuda_devices, enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
                generator.manual_seed(seed)
            else:
                generator.seed()
            module = self._build_module(n_features, n_frames, n_classes)
            net = NeuralNetClassifier(
                module,
                criterion=nn.CrossEntropyLoss,
                optimizer=optimizer,
                optimizer__weight_decay=self.weight_decay,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                train_split=train_split,
                callbacks=callbacks,
                classes=np.arange(n_classes),
                device=self.device,
                verbose=self.verbose,
                iterator_train__shuffle=True,
                iterator_train__generator=generator,
                # a lone last sample would break BatchNorm in training mode
                iterator_train__drop_last=(n_train % self.batch_size == 1 and n_train > 1),
                **kwargs,
            )
            net.fit(Xt[train_idx], yt[train_idx])
        # the generator is only needed while training; drop it so the net pickles cleanly
        net.iterator_train__generator = None
        self.net_ = net
        self.history_ = net.history
        return self

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        X = self._validate_X_predict(X)
        with torch.no_grad():
            proba = self.net_.predict_proba(self._to_tensor(X)).astype(np.float64)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, shape ``(n_samples, n_classes)``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


_fill_doc(BaseNetClassifier)
