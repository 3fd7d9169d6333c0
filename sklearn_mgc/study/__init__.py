"""The genre study: a grid of representations x classifiers, with results, report and pictures.

:func:`run_study` reproduces the reference study from Python (the ``sklearn-mgc study``
command is a thin layer over it): every representation is extracted once per clip, as a
sequence, and cached; its temporal mean feeds the vector classifiers (a random forest, the
MLP) and the sequence itself the networks (GRU, LSTM, CNN1D, CNN2D, Transformer). Each pair is
scored on a held-out test set with 95 % intervals, or cross-validated (``cv=K``), in parallel
processes (``n_jobs``), under a training recipe (``recipe="seed"`` or ``"modern"``,
:data:`MODERN_RECIPE`); the study writes ``results.csv``, ``report.md``, the pictures and the
best pipeline (``best_model.joblib``) into one folder.

:func:`make_representation`, :func:`make_classifier` and :func:`make_pipeline` build the
study's settings one at a time, and :func:`predict_track_proba` classifies a track of any
length by averaging the probabilities of its clip-sized windows.

The parts: :mod:`~sklearn_mgc.study.data` (the clips and the split),
:mod:`~sklearn_mgc.study.factories` (the only place pipelines are built),
:mod:`~sklearn_mgc.study.extraction` and :mod:`~sklearn_mgc.study.trials` (one
representation, the cells of the grid), :mod:`~sklearn_mgc.study.parallel` (cells in parallel
processes), :mod:`~sklearn_mgc.study.stats` (intervals and fold summaries),
:mod:`~sklearn_mgc.study.runner` (the run),
:mod:`~sklearn_mgc.study.report` (tables, report, pictures, scoring) and
:mod:`~sklearn_mgc.study.predict` (whole tracks). The names of the representations and models
come from :mod:`sklearn_mgc._registry`.
"""

from .data import EMBEDDED_DEFAULT, load_study_data
from .factories import (
    MODELS,
    MODERN_RECIPE,
    PRETRAINED_REPRESENTATIONS,
    RECIPES,
    REPRESENTATIONS,
    SEQUENCE_MODELS,
    STUDY_MODEL_PARAMS,
    VECTOR_MODELS,
    make_classifier,
    make_pipeline,
    make_representation,
    recipe_params,
)
from .predict import predict_track_proba
from .report import RESULT_COLUMNS, format_results
from .runner import run_study

__all__ = [
    "REPRESENTATIONS",
    "MODELS",
    "SEQUENCE_MODELS",
    "VECTOR_MODELS",
    "PRETRAINED_REPRESENTATIONS",
    "EMBEDDED_DEFAULT",
    "STUDY_MODEL_PARAMS",
    "RECIPES",
    "MODERN_RECIPE",
    "RESULT_COLUMNS",
    "run_study",
    "format_results",
    "load_study_data",
    "make_representation",
    "make_classifier",
    "make_pipeline",
    "recipe_params",
    "predict_track_proba",
]
