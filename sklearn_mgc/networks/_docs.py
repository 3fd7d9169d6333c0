"""Numpydoc fragments shared by the network docstrings, and the helper that inserts them.

A network's docstring names a fragment by a placeholder such as ``{training_params}``;
:func:`fill_doc` (run for every subclass of ``BaseNetClassifier``) replaces it, so each text is
written once. Other braces in a docstring (``{"lstm", "gru"}``) are left alone.
"""

__all__ = ["DOC_FRAGMENTS", "fill_doc"]

_TRAINING_PARAMS = """\
max_epochs : int, default=100
        Maximum number of passes over the training data (at least 1).

    batch_size : int, default=32
        Number of clips per mini-batch (the training batches are shuffled every epoch).

    lr : float, default=1e-3
        Learning rate of the optimizer (>= 0).

    weight_decay : float, default=0.01
        Weight decay (L2 penalty, >= 0; decoupled for AdamW).

    optimizer : {"adamw", "adam", "sgd", "rmsprop"} or torch.optim.Optimizer subclass, \
default="adamw"
        The optimizer: a name, or the class itself (``torch.optim.Adam``).

    grad_clip : float or None, default=1.0
        Clip the global gradient norm to this value (> 0); ``None`` disables clipping.

    validation_fraction : float in [0, 1) or None, default=0.2
        Fraction of the training clips held out, stratified by class, to monitor the
        validation loss and accuracy (the reference study's 80/20 split). ``None`` or 0 trains
        on every clip (early stopping then monitors the training loss).

    patience : int or None, default=10
        Early stopping: stop when the monitored loss has not improved for this many
        epochs (at least 1), and restore the weights of the best epoch. ``None`` trains for
        ``max_epochs`` epochs and keeps the last weights.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the cross-entropy loss, as in scikit-learn
        (``"balanced"``: ``n_samples / (n_classes * np.bincount(y))``).

    device : str, torch.device or None, default="cpu"
        Torch device to train and predict on, e.g. ``"cuda"``; ``None`` leaves the module
        and the tensors where they are (skorch's convention).

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout, the batch shuffling and the validation
        split, and (with generators of their own) the crops and the augmentations. With an
        int, two fits on the CPU give the same probabilities. The global torch random state
        is restored after ``fit``.

    verbose : int, default=0
        ``0`` is silent; ``> 0`` prints skorch's per-epoch table (losses, accuracies,
        duration).

    standardize : bool, default=True
        Standardise each feature with the mean and standard deviation of the training
        data (over clips and frames) before the network, as a ``StandardScaler`` would for
        2-D input; this matters for raw representations such as log-mel or MFCC values,
        for which scikit-learn has no 3-D scaler. ``False`` feeds ``X`` unchanged. The
        statistics come from the real frames only, and padded frames (trailing frames whose
        features are all exactly 0) stay exactly 0, so padding never changes them. They are
        computed in float64, and values near float32's limit (3e38) are scaled without
        overflow.

    crop_frames : int or None, default=None
        Sequence networks only (``MLPClassifier`` rejects it). ``None`` trains and predicts
        on whole sequences. An int trains on crops: every epoch, each training clip gives
        one crop of ``crop_frames`` frames drawn at random among its real frames (a clip
        with fewer real frames is used whole, zero-padded); the validation split and
        ``predict_proba`` cut each clip into windows of ``crop_frames`` frames and
        average the windows' probabilities per clip. The validation split is made by clip,
        so no clip has crops on both sides.

    crops_per_clip : int, default=1
        Crops of each training clip per epoch (needs ``crop_frames``). With one crop per
        clip, an epoch of a few dozen clips is one or two gradient steps; about
        ``n_frames / crop_frames`` crops make an epoch cover as many frames as an epoch on
        whole sequences, with that many times more steps.

    crop_hop : int or None, default=None
        Hop between the prediction windows (at most ``crop_frames``; needs ``crop_frames``).
        ``None`` means ``crop_frames // 2``. The windows cover the real frames only, and the
        last one ends on the last real frame.

    time_mask : (int, int), default=(0, 0)
        SpecAugment-style time masking of the training batches: ``(n_masks, max_width)``,
        each mask zeroing (the training mean, after standardisation) a span of 0 to
        ``max_width`` frames within the clip's real frames. Sequence networks only; never
        applied in validation or prediction. ``(0, 0)`` is off.

    freq_mask : (int, int), default=(0, 0)
        Frequency (feature) masking of the training batches: ``(n_masks, max_width)`` spans
        of 0 to ``max_width`` features zeroed in the clip's real frames (for vectors: in
        the row). ``(0, 0)`` is off.

    mixup : float, default=0.0
        Mixup of the training batches (``>= 0``; 0 is off): each clip is mixed with another
        of the batch with weight ``lam ~ Beta(mixup, mixup)``, and the loss mixes the two
        labels' losses with the same weight (soft targets).

    lr_schedule : {"cosine", "plateau", "onecycle"} or None, default=None
        Learning-rate schedule: ``"cosine"`` anneals from ``lr`` to 0 over ``max_epochs``
        epochs; ``"plateau"`` halves it after 3 epochs without improvement of the monitored
        loss; ``"onecycle"`` warms up to ``lr`` and anneals, stepped every batch. ``None``
        keeps ``lr`` constant.

    callbacks : list or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs), added after the
        ones the network builds (``train_acc``, ``grad_clip``, ``early_stopping``,
        ``lr_schedule``). ``fit`` trains with copies, so the list is left untouched; the
        fitted ones are in ``net_.callbacks_``."""

_TRAINING_ATTRIBUTES = """\
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
        ``valid_acc``, ``dur``), e.g. ``history_[:, "valid_loss"]``, for learning curves.

    module_shape_ : tuple of (int, int or None)
        ``(n_features, n_frames)`` the torch module was built for (``n_frames`` is the crop
        length with ``crop_frames``, None for vector input), so that saved weights can be
        loaded into a module rebuilt by ``_build_module``."""

_RECURRENT_SECTIONS = (
    """\
Parameters
    ----------
    hidden_size : int, default=32
        Hidden size per direction (``h_t`` has ``2 * hidden_size`` values). The same
        default for the LSTM and the GRU (the study's setting for both).

    n_layers : int, default=1
        Number of stacked bidirectional layers.

    dropout : float in [0, 1), default=0.0
        Dropout between recurrent layers and on the pooled context.

    """
    + _TRAINING_PARAMS
    + """

    Attributes
    ----------
    """
    + _TRAINING_ATTRIBUTES
    + """

    Notes
    -----
    Attention pooling: ``a_t = w . h_t + b``, ``alpha = softmax_t(a)``,
    ``context = sum_t alpha_t h_t``.

    ``X`` is ``(n_samples, n_frames, n_features)`` (time before features); a 2-D
    ``(n_samples, n_frames)`` array is a univariate sequence. The number of frames may
    differ between ``fit`` and ``predict`` for 3-D input."""
)

#: placeholder name -> text; every value is indented for a class docstring's sections
DOC_FRAGMENTS = {
    "training_params": _TRAINING_PARAMS,
    "training_attributes": _TRAINING_ATTRIBUTES,
    "recurrent_sections": _RECURRENT_SECTIONS,
}


def fill_doc(cls):
    """Replace each ``{name}`` of :data:`DOC_FRAGMENTS` in ``cls.__doc__``; return ``cls``."""
    doc = cls.__dict__.get("__doc__")
    if doc:
        for name, text in DOC_FRAGMENTS.items():
            doc = doc.replace("{" + name + "}", text)
        cls.__doc__ = doc
    return cls
