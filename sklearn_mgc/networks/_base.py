"""The shared scikit-learn estimator behind every network of :mod:`sklearn_mgc.networks`.

:class:`BaseNetClassifier` is a thin scikit-learn classifier: its constructor only stores
plain parameters (architecture sizes and training settings), and :meth:`~BaseNetClassifier.fit`
builds a :class:`skorch.NeuralNetClassifier` around the family's ``nn.Module`` and stores it
as ``net_``.  Every family (``rnn.py``, ``cnn.py``, ``transformer.py``, ``mlp.py``) only
declares its architecture parameters and defines ``_build_module`` and the kind of input it
reads; labels, input checks, parameter validation, ``random_state``, the stratified
validation split, early stopping, class weights, gradient clipping and the learning history
live here, once. The training options live in private modules next to it: input checks and
standardisation (``_inputs.py``), crops and windows (``_crops.py``), augmentation
(``_augment.py``), learning-rate schedules (``_schedules.py``) and the skorch net that
applies them (``_net.py``).
"""

import copy
import math

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from torch import nn

# AttentionPooling lived here: fitted models pickled before the move name this module
from ._attention import AttentionPooling  # noqa: F401
from ._crops import CropDataset, WindowDataset
from ._docs import fill_doc
from ._inputs import InputMixin
from ._params import OPTIMIZERS, TRAINING_PARAMS, declare_params
from ._schedules import schedule_callback

__all__ = ["BaseNetClassifier"]


def _silent(*args, **kwargs):
    """A print sink that prints nothing (module-level so that fitted nets pickle)."""


def _n_frames_and_features(X):
    """(T, F) of a 3-D input; for vector input T is None."""
    if X.ndim == 3:
        return X.shape[1], X.shape[2]
    return None, X.shape[1]


def _check_finite_losses(history, name):
    """Raise a ``ValueError`` if a training loss of ``history`` is not finite."""
    losses = np.asarray(history[:, "train_loss"], dtype=np.float64)
    if not np.isfinite(losses).all():
        epoch = int(np.argmin(np.isfinite(losses))) + 1
        raise ValueError(
            f"{name}: the training loss is not finite from epoch {epoch}: the input values are "
            "too large for float32 arithmetic in the network, or the learning rate too high. "
            "Rescale X, keep standardize=True, or lower lr."
        )


class BaseNetClassifier(InputMixin, ClassifierMixin, BaseEstimator):
    """Base class of the skorch-backed network classifiers.

    Not used directly: a subclass declares its architecture parameters and defines
    ``_build_module(n_features, n_frames, n_classes) -> torch.nn.Module`` and the class
    attribute ``_input_kind``:

    - ``"sequence"``: ``X`` of shape ``(n, T, F)``; a 2-D ``(n, T)`` array is a univariate
      sequence ``(n, T, 1)``. The module receives ``(batch, T, F)`` float32 tensors.
    - ``"vector"``: ``X`` of shape ``(n, d)``; a 3-D input raises a ``ValueError``.

    Parameters are declared, not forwarded: the class attribute ``_architecture_params``
    maps each architecture parameter to ``(default, constraints)`` (scikit-learn's
    ``_parameter_constraints`` syntax), and defining the subclass gives it an ``__init__``
    whose signature lists those parameters and the training parameters below, keyword-only,
    and which only stores them (see ``sklearn_mgc.networks._params.declare_params``). A
    subclass's declaration extends its parent's. ``fit`` validates every parameter first.
    A subclass's docstring may name a shared fragment of ``networks._docs.DOC_FRAGMENTS`` in
    braces (such as the training parameters' text); it is filled in when the class is made.

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
    #: name -> (default, constraints) of the architecture parameters; subclasses extend it
    _architecture_params = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fill_doc(cls)
        if "_architecture_params" in vars(cls) and "__init__" not in vars(cls):
            architecture = {}
            for klass in reversed(cls.__mro__):
                architecture.update(vars(klass).get("_architecture_params", {}))
            declare_params(cls, {**architecture, **TRAINING_PARAMS})

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

    def _check_params(self, n_features):
        """Check the rules that tie parameters to each other or to the data.

        Called by ``fit`` after the single parameters are validated and before any
        training; raise a ``ValueError`` naming every parameter involved. Nothing by default.

        Parameters
        ----------
        n_features : int
            ``F`` (sequence input, 1 for a univariate sequence) or ``d`` (vector input).
        """

    #: the architecture part of :meth:`get_test_params` (a tiny model); subclasses set it
    _test_params = {}

    @classmethod
    def get_test_params(cls):
        """Cheap constructor settings for tests: few epochs and the class's tiny model.

        Returns
        -------
        params : dict
            The training settings below, updated with the class's ``_test_params``.
        """
        return {
            "max_epochs": 20,
            "batch_size": 16,
            "lr": 0.02,
            "validation_fraction": None,
            "patience": None,
            "random_state": 0,
            **cls._test_params,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = self._input_kind != "vector"
        tags.input_tags.allow_nan = False
        return tags

    def _check_training_params(self):
        """Rules between the crop / mask parameters and the kind of input."""
        name = type(self).__name__
        if self._input_kind == "vector":
            used = [
                f"{p}={getattr(self, p)!r}"
                for p in ("crop_frames", "crop_hop")
                if getattr(self, p) is not None
            ]
            if min(self.time_mask) > 0:
                used.append(f"time_mask={self.time_mask!r}")
            if used:
                raise ValueError(
                    f"{name} takes vectors, which have no frames: {', '.join(used)} only "
                    "apply to sequence networks (freq_mask and mixup do apply)."
                )
        for p, off in (("crop_hop", None), ("crops_per_clip", 1)):
            if getattr(self, p) != off and self.crop_frames is None:
                raise ValueError(f"{p}={getattr(self, p)} needs crop_frames (crop_frames=None).")
        if self.crop_hop is not None and self.crop_hop > self.crop_frames:
            raise ValueError(
                f"crop_hop={self.crop_hop} must not exceed crop_frames={self.crop_frames} "
                "(the windows would skip frames)."
            )

    def _hop(self):
        """The hop of the prediction windows (``crop_frames // 2`` by default, at least 1)."""
        if self.crop_hop is not None:
            return self.crop_hop
        return max(1, self.crop_frames // 2)

    # ------------------------------------------------------------------ training
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
        self._validate_params()
        X, y = self._validate_X_fit(X, y)
        self._check_training_params()
        y_enc = self._encode_labels(y)
        seed = self._training_seed()
        train_idx, valid_idx = self._split(y_enc, seed)
        if self.standardize:
            self._fit_standardization(X[train_idx])
        Xt = self._to_tensor(X)
        yt = torch.from_numpy(y_enc.astype(np.int64))
        n_frames, n_features = _n_frames_and_features(Xt if self._input_kind != "vector" else X)
        self._check_params(n_features)
        if self.crop_frames is not None:
            n_frames = self.crop_frames  # the module sees crops and windows
        train, valid = self._datasets(Xt, yt, train_idx, valid_idx, seed)
        net_args = {"shape": (n_features, n_frames), "valid": valid, "y": y}
        self.net_ = self._train_seeded(train, seed, net_args)
        self.history_ = self.net_.history
        _check_finite_losses(self.history_, type(self).__name__)
        return self

    def _datasets(self, Xt, yt, train_idx, valid_idx, seed):
        """Training data (tensors or crops) and validation dataset (clips or windows) or None."""
        from skorch.dataset import Dataset

        X_train, y_train = Xt[train_idx], yt[train_idx]
        if self.crop_frames is None:
            valid = None if valid_idx is None else Dataset(Xt[valid_idx], yt[valid_idx])
            return (X_train, y_train), valid
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % np.iinfo(np.int64).max)
        train = CropDataset(X_train, y_train, self.crop_frames, seed, self.crops_per_clip)
        if valid_idx is None:
            return train, None
        return train, WindowDataset(Xt[valid_idx], yt[valid_idx], self.crop_frames, self._hop())

    def _encode_labels(self, y):
        """Set ``classes_`` (the sorted labels) and return ``y`` as indices into it."""
        check_classification_targets(y)
        encoder = LabelEncoder()
        y_enc = encoder.fit_transform(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                f"({self.classes_[0]!r})."
            )
        return y_enc

    def _training_seed(self):
        """The int that seeds the split, the weights and the batches; None if unseeded."""
        if self.random_state is None:
            return None
        rng = check_random_state(self.random_state)
        return int(rng.randint(np.iinfo(np.int32).max))

    def _split(self, y, seed):
        """Indices (train, valid) of the stratified validation split, valid None if disabled."""
        frac = self.validation_fraction
        n = len(y)
        if frac is None or frac == 0:
            return np.arange(n), None
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

    def _callbacks(self, monitor, batches_per_epoch):
        """skorch callbacks: train accuracy, gradient clipping, early stopping on ``monitor``,
        the learning-rate schedule, then copies of the user's ``callbacks``."""
        from skorch.callbacks import EarlyStopping, EpochScoring, GradientNormClipping

        train_acc = EpochScoring("accuracy", on_train=True, name="train_acc", lower_is_better=False)
        callbacks = [("train_acc", train_acc)]
        if self.grad_clip is not None:
            callbacks.append(("grad_clip", GradientNormClipping(self.grad_clip)))
        if self.patience is not None:
            sink = print if self.verbose else _silent
            stopping = EarlyStopping(
                monitor=monitor, patience=self.patience, load_best=True, sink=sink
            )
            callbacks.append(("early_stopping", stopping))
        schedule = schedule_callback(
            self.lr_schedule,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batches_per_epoch=batches_per_epoch,
            monitor=monitor,
        )
        if schedule is not None:
            callbacks.append(("lr_schedule", schedule))
        # copies: fitting initialises callbacks, and parameters must stay untouched
        return callbacks + copy.deepcopy(list(self.callbacks or []))

    def _initialize_net(self, generators, n_train, *, shape, valid, y):
        """Build the module and the skorch net around it (under the training seed).

        ``generators`` are the torch generators of the batches and of the augmentation,
        ``shape`` is ``(n_features, n_frames)``, ``valid`` the validation dataset or None,
        ``y`` the training labels (for class weights).
        """
        from skorch.helper import predefined_split

        from ._net import MGCNet

        n_classes = len(self.classes_)
        self.module_shape_ = tuple(shape)
        module = self._build_module(*shape, n_classes)
        kwargs = {}
        if self.class_weight is not None:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            kwargs["criterion__weight"] = torch.as_tensor(weights, dtype=torch.float32)
        drop_last = n_train % self.batch_size == 1 and n_train > 1
        batches = n_train // self.batch_size if drop_last else math.ceil(n_train / self.batch_size)
        monitor = "train_loss" if valid is None else "valid_loss"
        return MGCNet(
            module,
            time_mask=tuple(self.time_mask),
            freq_mask=tuple(self.freq_mask),
            mixup=self.mixup,
            augment_generator=generators[1],
            criterion=nn.CrossEntropyLoss,
            optimizer=self._optimizer_class(),
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=self._callbacks(monitor, batches),
            classes=np.arange(n_classes),
            device=self.device,
            verbose=self.verbose,
            iterator_train__shuffle=True,
            iterator_train__generator=generators[0],
            # a lone last sample would break BatchNorm in training mode
            iterator_train__drop_last=drop_last,
            **kwargs,
        )

    def _train_seeded(self, train, seed, net_args):
        """Build and train the net with torch seeded by ``seed``; restore torch's RNG after.

        ``train`` is the ``(X, y)`` tensors of the training clips, or a crop dataset.
        """
        generator, augment = torch.Generator(), torch.Generator()
        cuda_devices = []
        if str(self.device).startswith("cuda") and torch.cuda.is_available():
            cuda_devices = [torch.device(self.device).index or 0]
        with torch.random.fork_rng(devices=cuda_devices, enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
                generator.manual_seed(seed)
                augment.manual_seed(seed + 1)
            else:
                generator.seed()
                augment.seed()
            n_train = len(train[0]) if isinstance(train, tuple) else len(train)
            net = self._initialize_net((generator, augment), n_train, **net_args)
            net.fit(*train) if isinstance(train, tuple) else net.fit(train, None)
        # the generators are only needed while training; drop them so the net pickles cleanly
        net.iterator_train__generator = None
        net.augment_generator = None
        return net

    def _optimizer_class(self):
        """The optimizer class (``optimizer`` is validated: a known name or such a class)."""
        if isinstance(self.optimizer, str):
            return OPTIMIZERS[self.optimizer]
        return self.optimizer

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
        data = self._to_tensor(X)
        if getattr(self, "crop_frames", None) is not None:  # (models pickled before: None)
            data = WindowDataset(data, None, self.crop_frames, self._hop())
        # the DataLoader draws its base seed from torch's global generator: leave it untouched
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            proba = self.net_.predict_proba(data).astype(np.float64)
        if not np.isfinite(proba).all():
            raise ValueError(
                f"{type(self).__name__} computed non-finite probabilities: X has values too "
                f"large for float32 arithmetic in the network (largest |value| "
                f"{np.abs(X).max():.3g}). Rescale X, or fit with standardize=True on data of "
                "the same scale."
            )
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


declare_params(BaseNetClassifier, TRAINING_PARAMS)
fill_doc(BaseNetClassifier)
