"""The study's building blocks, and the only place its pipelines are built.

The names and settings come from :mod:`sklearn_mgc._registry`, the toolkit's one list of
representations and models; the constants below are views of it kept for the study's users.
"""

import copy

import numpy as np

from .. import _registry

__all__ = [
    "REPRESENTATIONS",
    "PRETRAINED_REPRESENTATIONS",
    "VECTOR_MODELS",
    "SEQUENCE_MODELS",
    "MODELS",
    "STUDY_MODEL_PARAMS",
    "RECIPES",
    "MODERN_RECIPE",
    "recipe_params",
    "make_representation",
    "make_classifier",
    "make_pipeline",
    "saved_pipeline",
]

#: Representation names and their classes in :mod:`sklearn_mgc`.
REPRESENTATIONS = {r.name: r.class_name for r in _registry.REPRESENTATION_SPECS}
#: Representations whose weights must be downloaded or given as a local path.
PRETRAINED_REPRESENTATIONS = tuple(r.name for r in _registry.REPRESENTATION_SPECS if r.pretrained)
#: Vector classifiers (trained on temporal means) and sequence classifiers.
VECTOR_MODELS = _registry.model_names("vector")
SEQUENCE_MODELS = _registry.model_names("sequence")
MODELS = VECTOR_MODELS + SEQUENCE_MODELS
#: The study's architecture settings (sized for CPUs); any can be overridden with
#: ``run_study(model_params={"gru": {...}})``.
STUDY_MODEL_PARAMS = {m.name: dict(m.params) for m in _registry.MODEL_SPECS}

#: The study's training recipes: ``"seed"`` trains as the reference study (whole sequences,
#: no augmentation, a constant learning rate); ``"modern"`` applies :data:`MODERN_RECIPE`.
RECIPES = ("seed", "modern")

#: The ``"modern"`` recipe of the sequence networks, the one place its values live. Lengths
#: are in seconds or fractions, turned into frames and features for each representation by
#: :func:`recipe_params`: crops of 3 s (the usual GTZAN segment, at most half of a clip so
#: that short clips still get varied crops), as many per clip and epoch as cover half of it,
#: predicted by windows half a crop apart; mixup with alpha 0.2; a cosine learning-rate
#: schedule. No time or feature masks: on the real clips of gtzan-mini (CNN1D on MFCC,
#: 5-fold) they lowered the accuracy (0.383 without, 0.317 with two of each at 10 %); set
#: ``time_masks`` / ``freq_masks`` (and their widths) to try them.
MODERN_RECIPE = {
    "crop_seconds": 3.0,
    "max_crop_fraction": 0.5,
    "crop_hop_fraction": 0.5,
    "crop_coverage": 0.5,
    "time_masks": 0,
    "time_mask_fraction": 0.1,
    "freq_masks": 0,
    "freq_mask_fraction": 0.1,
    "mixup": 0.2,
    "lr_schedule": "cosine",
}


def recipe_params(recipe, model, *, n_frames, n_features, duration):
    """The network parameters of a training recipe for ``model`` on one representation.

    Parameters
    ----------
    recipe : {"seed", "modern"}
    model : str
        The classifier's study name; only the sequence networks take a recipe.
    n_frames, n_features : int
        Frames and features of the representation's sequences.
    duration : float
        Seconds those ``n_frames`` frames cover (the frame rate is ``n_frames / duration``).

    Returns
    -------
    params : dict
        Empty for the seed recipe and for vector models; otherwise ``crop_frames``,
        ``crops_per_clip``, ``crop_hop``, ``time_mask`` and ``freq_mask`` (``(number of
        masks, maximum width)``, ``(0, 0)`` when off), ``mixup`` and ``lr_schedule``,
        computed from :data:`MODERN_RECIPE`.

    Examples
    --------
    >>> from sklearn_mgc.study import recipe_params
    >>> params = recipe_params("modern", "gru", n_frames=3001, n_features=80, duration=30.0)
    >>> params["crop_frames"], params["crops_per_clip"], params["crop_hop"]
    (300, 5, 150)
    >>> params["time_mask"], params["freq_mask"], params["mixup"], params["lr_schedule"]
    ((0, 0), (0, 0), 0.2, 'cosine')
    >>> recipe_params("modern", "gru", n_frames=151, n_features=80, duration=1.5)["crop_frames"]
    76
    >>> recipe_params("seed", "gru", n_frames=151, n_features=80, duration=1.5)
    {}
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {RECIPES}, got {recipe!r}")
    if recipe == "seed" or _registry.model(model).kind != "sequence":
        return {}
    r = MODERN_RECIPE
    seconds = min(r["crop_seconds"], r["max_crop_fraction"] * duration)
    crop = int(max(1, min(n_frames, round(seconds * n_frames / duration))))
    return dict(
        crop_frames=crop,
        crops_per_clip=max(1, int(round(r["crop_coverage"] * n_frames / crop))),
        crop_hop=max(1, int(round(r["crop_hop_fraction"] * crop))),
        time_mask=_mask(r["time_masks"], r["time_mask_fraction"] * crop),
        freq_mask=_mask(r["freq_masks"], r["freq_mask_fraction"] * n_features),
        mixup=r["mixup"],
        lr_schedule=r["lr_schedule"],
    )


def recipe_for(recipe, model, sequences, duration):
    """:func:`recipe_params` of ``model`` on a representation's extracted ``sequences``.

    ``sequences`` is ``(n_clips, n_frames, n_features)``, or None for a representation
    extracted as vectors only; ``duration`` is the seconds its frames cover.
    """
    n_frames, n_features = (1, 1) if sequences is None else sequences.shape[1:]
    return recipe_params(recipe, model, n_frames=n_frames, n_features=n_features, duration=duration)


def _mask(n_masks, width):
    """``(n_masks, max width)`` of a mask parameter, ``(0, 0)`` (off) without masks."""
    return (n_masks, max(1, int(round(width)))) if n_masks else (0, 0)


def make_representation(
    name,
    *,
    output="sequence",
    duration=30.0,
    sr=22050,
    n_jobs=None,
    cache_dir=None,
    device="cpu",
    verbose=0,
    pretrained=None,
    on_error="raise",
):
    """The study's representation ``name``, unfitted.

    Parameters
    ----------
    name : {"mel", "mfcc", "cqt", "spectrum", "wav2vec2", "encodecmae"}
    output : {"sequence", "mean"}, default="sequence"
    duration : float, default=30.0
        Seconds per clip.
    sr : int, default=22050
        Sampling rate of the analysis (spectral) and of in-memory waveforms.
    n_jobs, cache_dir, verbose, on_error
        As the representations' parameters.
    device : str, default="cpu"
        Torch device of the pretrained encoders.
    pretrained : dict or None, default=None
        ``{"wav2vec2": model id or folder, "encodecmae": checkpoint name or .pt path}``;
        missing entries take the defaults (``facebook/wav2vec2-base``, ``mel256-ec-base_st``).

    Returns
    -------
    features : transformer
        One of :mod:`sklearn_mgc.features`.

    Examples
    --------
    >>> from sklearn_mgc.study import make_representation
    >>> make_representation("mfcc", duration=5.0)
    MFCCFeatures(duration=5.0, output='sequence')
    """
    spec = _registry.representation(name)
    params = dict(
        output=output,
        duration=duration,
        sr=sr,
        cache_dir=cache_dir,
        verbose=verbose,
        on_error=on_error,
    )
    if spec.pretrained:
        model = (pretrained or {}).get(name) or spec.default_model
        params.update(model=model, device=device)
    else:
        params.update(n_jobs=n_jobs)
    return _registry.load_class(spec)(**params)


def make_classifier(
    name,
    *,
    max_epochs=50,
    patience=10,
    device="cpu",
    n_jobs=None,
    random_state=28,
    verbose=0,
    params=None,
):
    """The study's classifier ``name``, unfitted.

    Parameters
    ----------
    name : {"rf", "mlp", "gru", "lstm", "cnn1d", "cnn2d", "transformer"}
        ``"rf"`` is scikit-learn's :class:`~sklearn.ensemble.RandomForestClassifier`; the others
        are the networks of :mod:`sklearn_mgc.networks` with :data:`STUDY_MODEL_PARAMS`.
    max_epochs, patience : int, default=50 and 10
        Training length and early stopping of the networks.
    device : str, default="cpu"
    n_jobs : int or None, default=None
        Trees grown in parallel by the random forest.
    random_state : int, default=28
    verbose : int, default=0
    params : dict or None, default=None
        Settings that override the study's for this classifier.

    Returns
    -------
    classifier : estimator

    Examples
    --------
    >>> from sklearn_mgc.study import make_classifier
    >>> make_classifier("rf", random_state=0)
    RandomForestClassifier(n_estimators=300, random_state=0)
    """
    spec = _registry.model(name)
    settings = {**spec.params, **(params or {})}
    cls = _registry.load_class(spec)
    if not spec.network:  # another library's classifier (the random forest)
        return cls(**{"n_jobs": n_jobs, "random_state": random_state, **settings})
    base = dict(
        max_epochs=max_epochs,
        patience=patience,
        device=device,
        random_state=random_state,
        verbose=verbose,
        validation_fraction=0.2,
    )
    return cls(**{**base, **settings})


def _is_vector(classifier, model):
    if model is not None:
        return _registry.model(model).kind == "vector"
    tags = getattr(classifier, "__sklearn_tags__", None)
    return not tags or not classifier.__sklearn_tags__().input_tags.three_d_array


def make_pipeline(features, classifier, *, model=None):
    """Chain a representation and a classifier: features -> [TemporalMean] -> classifier.

    Parameters
    ----------
    features : transformer
        A representation (its ``output`` is set to ``"sequence"``).
    classifier : estimator
    model : str or None, default=None
        The classifier's study name; vector models (``"rf"``, ``"mlp"``) get a
        :class:`~sklearn_mgc.TemporalMean` step. None guesses from the classifier.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features``, optionally ``mean``, and ``classifier``.

    Examples
    --------
    >>> from sklearn_mgc.study import make_classifier, make_pipeline, make_representation
    >>> pipe = make_pipeline(make_representation("mfcc", duration=5.0),
    ...                      make_classifier("rf"), model="rf")
    >>> [name for name, _ in pipe.steps]
    ['features', 'mean', 'classifier']
    """
    from sklearn.pipeline import Pipeline

    features.set_params(output="sequence")
    steps = [("features", features)]
    if _is_vector(classifier, model):
        steps.append(("mean", _registry.load_class(_registry.POOLING)()))
    steps.append(("classifier", classifier))
    return Pipeline(steps)


def saved_pipeline(features, classifier, *, model):
    """The pipeline the study saves: fitted parts in :func:`make_pipeline`'s shape.

    Whatever output the study extracted for training (the sequence, or directly its mean),
    the saved pipeline is ``features (sequence) -> [mean] -> classifier``: a vector model
    always gets the :class:`~sklearn_mgc.TemporalMean` step. The representation is a copy
    with no cache, no progress output and ``on_error="raise"``.

    Parameters
    ----------
    features : transformer
        The fitted representation the classifier was trained on.
    classifier : estimator
        The fitted classifier.
    model : str
        The classifier's study name.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Fitted, ready to ``predict`` raw clips.

    Examples
    --------
    >>> from sklearn_mgc.datasets import make_genre_clips
    >>> from sklearn_mgc.study import make_classifier, make_representation
    >>> from sklearn_mgc.study.factories import saved_pipeline
    >>> X, y = make_genre_clips(2, duration=0.3, genres=["jazz", "metal"], random_state=0)
    >>> feat = make_representation("mfcc", output="mean", duration=0.3).fit(X)
    >>> clf = make_classifier("rf", random_state=0).fit(feat.transform(X), y)
    >>> [name for name, _ in saved_pipeline(feat, clf, model="rf").steps]
    ['features', 'mean', 'classifier']
    """
    saved = copy.deepcopy(features)
    saved.set_params(cache_dir=None, verbose=0, on_error="raise")
    if hasattr(classifier, "verbose"):
        classifier.set_params(verbose=0)
    pipeline = make_pipeline(saved, classifier, model=model)
    if "mean" in pipeline.named_steps:  # fitted on the representation's shape
        n_features = int(saved.n_features_out_)
        pipeline.named_steps["mean"].fit(np.zeros((1, 1, n_features), dtype=np.float32))
    return pipeline
