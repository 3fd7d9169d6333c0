"""The genre study: a grid of representations x classifiers, with results, report and pictures.

:func:`run_study` reproduces the reference study from Python (the ``sklearn-mgc study``
command is a thin layer over it): every representation is extracted once per clip, as a
sequence, and cached; its temporal mean feeds the vector classifiers (a random forest, the
MLP) and the sequence itself the networks (GRU, LSTM, CNN1D, CNN2D, Transformer). Each pair is
scored on a held-out test set, and the study writes ``results.csv``, ``report.md``, the
pictures and the best pipeline (``best_model.joblib``) into one folder.

:func:`make_representation`, :func:`make_classifier` and :func:`make_pipeline` build the
study's settings one at a time, and :func:`predict_track_proba` classifies a track of any
length by averaging the probabilities of its clip-sized windows.
"""

import copy
import csv
import io
import math
import os
import socket
import sys
import time
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from sklearn.utils import Bunch

__all__ = [
    "REPRESENTATIONS",
    "MODELS",
    "SEQUENCE_MODELS",
    "VECTOR_MODELS",
    "PRETRAINED_REPRESENTATIONS",
    "EMBEDDED_DEFAULT",
    "STUDY_MODEL_PARAMS",
    "RESULT_COLUMNS",
    "run_study",
    "format_results",
    "load_study_data",
    "make_representation",
    "make_classifier",
    "make_pipeline",
    "predict_track_proba",
]

#: Representation names and their classes in :mod:`sklearn_mgc`.
REPRESENTATIONS = {
    "mel": "MelFeatures",
    "mfcc": "MFCCFeatures",
    "cqt": "CQTFeatures",
    "spectrum": "SpectrumFeatures",
    "wav2vec2": "Wav2Vec2Features",
    "encodecmae": "EnCodecMAEFeatures",
}
#: Representations whose weights must be downloaded or given as a local path.
PRETRAINED_REPRESENTATIONS = ("wav2vec2", "encodecmae")
_DEFAULT_PRETRAINED = {"wav2vec2": "facebook/wav2vec2-base", "encodecmae": "mel256-ec-base_st"}
_HOW_TO_PROVIDE = {
    "wav2vec2": (
        "to include it, pass a local copy (a folder written by save_pretrained) with "
        "--wav2vec2-model DIR (Python: pretrained={'wav2vec2': DIR}), or download "
        "'facebook/wav2vec2-base' once where huggingface.co is reachable"
    ),
    "encodecmae": (
        "to include it, download https://huggingface.co/lpepino/encodecmae-v2/resolve/main/"
        "mel256-ec-base_st.pt and pass it with --encodecmae-model FILE.pt "
        "(Python: pretrained={'encodecmae': 'FILE.pt'})"
    ),
}

#: Vector classifiers (trained on temporal means) and sequence classifiers.
VECTOR_MODELS = ("rf", "mlp")
SEQUENCE_MODELS = ("gru", "lstm", "cnn1d", "cnn2d", "transformer")
MODELS = VECTOR_MODELS + SEQUENCE_MODELS
_NETWORK_CLASSES = {
    "mlp": "MLPClassifier",
    "gru": "GRUClassifier",
    "lstm": "LSTMClassifier",
    "cnn1d": "CNN1DClassifier",
    "cnn2d": "CNN2DClassifier",
    "transformer": "TransformerClassifier",
}
#: The study's architecture settings (sized for CPUs); any can be overridden with
#: ``run_study(model_params={"gru": {...}})``.
STUDY_MODEL_PARAMS = {
    "rf": {"n_estimators": 300},
    "mlp": {"hidden_sizes": (256, 128, 64), "dropout": 0.3},
    "gru": {"hidden_size": 32},
    "lstm": {"hidden_size": 32},
    "cnn1d": {"channels": (64, 128), "dense_size": 64, "dropout": 0.3},
    "cnn2d": {"channels": (4, 16), "pool_size": 4, "lr": 1e-2},
    "transformer": {"d_model": 32, "n_heads": 4, "n_layers": 1, "dim_feedforward": 64},
}

#: The embedded default dataset: ``make_genre_clips`` settings, sized so that the whole
#: default study (every spectral representation x every model) runs in minutes on 2 CPU cores.
EMBEDDED_DEFAULT = {"n_clips_per_genre": 12, "duration": 1.5, "sr": 22050, "max_epochs": 15}


# --------------------------------------------------------------------------------------
# logging
# --------------------------------------------------------------------------------------
def _log(verbose, message):
    if verbose:
        print(f"[sklearn-mgc] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------
def load_study_data(
    data=None,
    *,
    split="study",
    random_state=28,
    splits_dir=None,
    n_clips_per_genre=None,
    duration=None,
    cache_dir=None,
):
    """Clips, genres and the train / test partition of the study.

    Parameters
    ----------
    data : str, os.PathLike or None, default=None
        A GTZAN folder in either layout, or any ``<genre>/<file>`` tree of audio files (see
        :func:`~sklearn_mgc.datasets.load_gtzan`). None generates the embedded default,
        :func:`~sklearn_mgc.datasets.make_genre_clips` with :data:`EMBEDDED_DEFAULT`.
    split : {"study", "fault-filtered"} or None, default="study"
        None: no test set (every clip in ``train``). ``"study"``: a stratified 10 % of the
        clips is the test set, and the rest is
        for training (the networks hold out 20 % of it, stratified, for validation and
        early stopping: the study's 80/20). ``"fault-filtered"``: the artist-filtered split of
        full GTZAN (train and validation lists for training, the test list for testing).
    random_state : int, default=28
        Seed of the split (28 is the study's) and of the embedded data.
    splits_dir : str or None, default=None
        Folder of the fault-filtered lists (see :func:`~sklearn_mgc.datasets.load_gtzan`).
    n_clips_per_genre : int or None, default=None
        Embedded data only: clips per genre (None: :data:`EMBEDDED_DEFAULT`).
    duration : float or None, default=None
        Embedded data only: seconds per clip (None: :data:`EMBEDDED_DEFAULT`).
    cache_dir : str or None, default=None
        Embedded data only: folder where the generated clips are kept for the next run.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``clips`` (file paths, or an ndarray ``(n_clips, n_samples)`` of waveforms),
        ``target`` (n_clips,), ``train`` and ``test`` (index arrays), ``duration`` (seconds
        of a clip for the representations), ``sr`` (sampling rate of in-memory clips),
        ``source`` and ``description`` (text).

    Examples
    --------
    >>> from sklearn_mgc.study import load_study_data
    >>> data = load_study_data(n_clips_per_genre=2, duration=0.1)
    >>> data.clips.shape, len(data.train), len(data.test)
    ((16, 2205), 8, 8)
    """
    from .datasets import load_gtzan, make_genre_clips

    if split not in ("study", "fault-filtered", None):
        raise ValueError(f"split must be 'study', 'fault-filtered' or None, got {split!r}")
    if data is None:
        if split == "fault-filtered":
            raise ValueError(
                "split='fault-filtered' needs the full GTZAN dataset: pass data=PATH (--data PATH)"
            )
        n_per = (
            EMBEDDED_DEFAULT["n_clips_per_genre"]
            if n_clips_per_genre is None
            else int(n_clips_per_genre)
        )
        dur = EMBEDDED_DEFAULT["duration"] if duration is None else float(duration)
        sr = EMBEDDED_DEFAULT["sr"]
        X = y = None
        stored = None
        if cache_dir is not None:
            stored = Path(cache_dir) / f"embedded_{n_per}x{dur:g}s_{sr}Hz_rs{random_state}.npz"
            if stored.exists():
                try:
                    with np.load(stored, allow_pickle=False) as f:
                        X, y = f["X"], f["y"].astype(object)
                except (OSError, ValueError, KeyError):
                    X = y = None
        if X is None:
            X, y = make_genre_clips(n_per, duration=dur, sr=sr, random_state=random_state)
            if stored is not None:
                stored.parent.mkdir(parents=True, exist_ok=True)
                tmp = stored.with_name(stored.stem + f".{os.getpid()}.tmp.npz")
                np.savez(tmp, X=X, y=y.astype(str))
                os.replace(tmp, stored)
        clips, target = X, np.asarray(y, dtype=object)
        source = "embedded synthetic clips (sklearn_mgc.datasets.make_genre_clips)"
        desc = (
            f"{len(target)} synthetic clips of {dur:g} s ({n_per} per genre, "
            f"random_state={random_state})"
        )
    else:
        gtzan_split = "fault-filtered" if split == "fault-filtered" else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            bunch = load_gtzan(data, split=gtzan_split, splits_dir=splits_dir)
        for w in caught:
            print(f"[sklearn-mgc] warning: {w.message}", file=sys.stderr)
        clips, target = list(bunch.filenames), np.asarray(bunch.target, dtype=object)
        dur, sr = 30.0 if duration is None else float(duration), 22050
        source = str(bunch.root)
        desc = f"{len(target)} audio clips from {bunch.root}"
    if len(set(target)) < 2:
        raise ValueError(f"the study needs at least 2 genres; found {sorted(set(target))}")

    idx = np.arange(len(target))
    if split is None:
        train, test = idx, idx[:0]
        split_desc = f"no split: all {len(idx)} clips"
    elif split == "fault-filtered":
        parts = np.asarray(bunch.split)
        train, test = idx[parts != "test"], idx[parts == "test"]
        split_desc = (
            "fault-filtered split (Kereliuk, Sturm & Larsen 2015): train + validation "
            f"lists for training ({len(train)} clips), test list ({len(test)} clips)"
        )
    else:
        from sklearn.model_selection import train_test_split

        # the first half of train_valid_test_split: the same test set; the networks make the
        # 80/20 train/validation split of the rest themselves (validation_fraction=0.2)
        n_classes = len(set(target))
        test_size = 0.1 if math.ceil(0.1 * len(idx)) >= n_classes else n_classes
        train, test = train_test_split(
            idx, test_size=test_size, stratify=target, random_state=random_state
        )
        train, test = np.sort(train), np.sort(test)
        split_desc = (
            f"stratified 10 % test set ({len(test)} clips), the rest for training "
            f"({len(train)} clips; networks hold out 20 % of it for validation), "
            f"random_state={random_state}"
        )
    return Bunch(
        clips=clips,
        target=target,
        train=train,
        test=test,
        duration=dur,
        sr=sr,
        source=source,
        description=desc,
        split=split_desc,
        genres=np.array(sorted(set(target)), dtype=object),
    )


# --------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------
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
    import sklearn_mgc

    if name not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r}; choose among {list(REPRESENTATIONS)}")
    cls = getattr(sklearn_mgc, REPRESENTATIONS[name])
    params = dict(
        output=output,
        duration=duration,
        sr=sr,
        cache_dir=cache_dir,
        verbose=verbose,
        on_error=on_error,
    )
    if name in PRETRAINED_REPRESENTATIONS:
        model = (pretrained or {}).get(name) or _DEFAULT_PRETRAINED[name]
        params.update(model=model, device=device)
    else:
        params.update(n_jobs=n_jobs)
    return cls(**params)


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
    settings = {**STUDY_MODEL_PARAMS.get(name, {}), **(params or {})}
    if name == "rf":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            **{"n_jobs": n_jobs, "random_state": random_state, **settings}
        )
    if name not in _NETWORK_CLASSES:
        raise ValueError(f"unknown model {name!r}; choose among {list(MODELS)}")
    import sklearn_mgc

    cls = getattr(sklearn_mgc, _NETWORK_CLASSES[name])
    base = dict(
        max_epochs=max_epochs,
        patience=patience,
        device=device,
        random_state=random_state,
        verbose=verbose,
        validation_fraction=0.2,
    )
    return cls(**{**base, **settings})


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

    from .features.pooling import TemporalMean

    if model is None:
        vector = (
            not getattr(classifier, "__sklearn_tags__", None)
            or not classifier.__sklearn_tags__().input_tags.three_d_array
        )
    else:
        vector = model in VECTOR_MODELS
    features.set_params(output="sequence")
    steps = [("features", features)]
    if vector:
        steps.append(("mean", TemporalMean()))
    steps.append(("classifier", classifier))
    return Pipeline(steps)


# --------------------------------------------------------------------------------------
# weights of the pretrained representations
# --------------------------------------------------------------------------------------
def _hub_reachable(timeout=3.0):
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (443 if parsed.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@contextmanager
def _hub_offline():
    """Make huggingface_hub use only its local cache (no network retries)."""
    try:
        import huggingface_hub.constants as hf_constants
    except ImportError:  # pragma: no cover - a dependency
        yield
        return
    old = hf_constants.HF_HUB_OFFLINE
    old_env = os.environ.get("HF_HUB_OFFLINE")
    hf_constants.HF_HUB_OFFLINE = True
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        hf_constants.HF_HUB_OFFLINE = old
        if old_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = old_env


@contextmanager
def _torch_threads(n):
    if n is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _sequence_bytes(features, n_clips):
    """Bytes of the float32 sequence array of ``n_clips`` clips, or None if unknown."""
    try:
        n_samples = int(round(features.duration * features._target_sr()))
        return 4 * n_clips * int(features._n_frames(n_samples)) * int(features.n_features_out_)
    except Exception:  # duration None, or a representation without these hooks
        return None


def _available_memory():
    """Bytes of memory available to this process (None where unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _fit_pretrained(name, features, clips):
    """Fit a pretrained representation; return None, or the one-line reason it was skipped."""
    model = features.model
    text = os.path.expanduser(os.fspath(model))
    path_like = (
        os.path.exists(text)
        or os.path.isabs(text)
        or text.startswith(".")
        or text.endswith((".pt", ".pth", ".ckpt"))
    )
    offline = not path_like and not _hub_reachable()
    try:
        with _hub_offline() if offline else nullcontext():
            features.fit(clips[:1])
    except (OSError, ValueError, TypeError, ImportError, RuntimeError, KeyError) as exc:
        if offline:
            why = (
                f"its weights {os.fspath(model)!r} are not available: the Hugging Face hub is "
                "unreachable and they are not in the local cache"
            )
        else:
            first = str(exc).split(". ")[0].strip()
            why = f"cannot load {os.fspath(model)!r} ({type(exc).__name__}: {first[:300]})"
        return f"skipping {name}: {why}; {_HOW_TO_PROVIDE[name]}."
    return None


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
RESULT_COLUMNS = (
    "feature",
    "model",
    "accuracy",
    "macro_f1",
    "fit_seconds",
    "predict_seconds",
    "extract_seconds",
    "n_train",
    "n_test",
    "n_epochs",
    "status",
)


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_results(rows, *, markdown=False):
    """The results as a text (or Markdown) table, best accuracy first.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`run_study` (``result.results``).
    markdown : bool, default=False

    Returns
    -------
    table : str

    Examples
    --------
    >>> from sklearn_mgc.study import format_results
    >>> rows = [{"feature": "mfcc", "model": "rf", "accuracy": 0.9, "macro_f1": 0.88,
    ...          "fit_seconds": 1.2, "predict_seconds": 0.1, "n_train": 90, "n_test": 10}]
    >>> print(format_results(rows, markdown=True).splitlines()[2])
    | mfcc | rf | 0.900 | 0.880 | 1.2 | 0.1 | 90 | 10 |  |
    """
    cols = (
        "feature",
        "model",
        "accuracy",
        "macro_f1",
        "fit_seconds",
        "predict_seconds",
        "n_train",
        "n_test",
        "n_epochs",
    )
    heads = (
        "feature",
        "model",
        "accuracy",
        "macro F1",
        "fit (s)",
        "predict (s)",
        "n train",
        "n test",
        "epochs",
    )
    body = []
    for row in _sorted_rows(rows):
        cells = []
        for c in cols:
            v = row.get(c)
            cells.append(_fmt(v, 1 if c.endswith("seconds") else 3))
        if row.get("status", "ok") != "ok":
            cells[2] = "failed"
        body.append(cells)
    if markdown:
        lines = [
            "| " + " | ".join(heads) + " |",
            "|" + "|".join("---" if i < 2 else "---:" for i in range(len(heads))) + "|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(heads)
    ]
    lines = [
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(heads, widths))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append(
            "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
            )
        )
    return "\n".join(lines)


def _sorted_rows(rows):
    def key(row):
        ok = row.get("status", "ok") == "ok"
        return (
            not ok,
            -(row.get("accuracy") or 0.0),
            -(row.get("macro_f1") or 0.0),
            row.get("fit_seconds") or 0.0,
        )

    return sorted(rows, key=key)


def _write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RESULT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in RESULT_COLUMNS})


def _classification_report_md(y_true, y_pred, labels):
    from sklearn.metrics import classification_report

    rep = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    lines = ["| genre | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label in labels:
        r = rep[str(label)]
        lines.append(
            f"| {label} | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['f1-score']:.3f} | {int(r['support'])} |"
        )
    for avg in ("macro avg", "weighted avg"):
        r = rep[avg]
        lines.append(
            f"| *{avg}* | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['f1-score']:.3f} | {int(r['support'])} |"
        )
    lines.append(f"| *accuracy* | | | {rep['accuracy']:.3f} | {len(y_true)} |")
    return "\n".join(lines)


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------
# the study
# --------------------------------------------------------------------------------------
def _pairs(features, models, models_given):
    pairs = []
    for f in features:
        for m in models:
            if m == "mlp" and not models_given and f != "spectrum":
                continue  # the study's MLP runs on the spectrum's mean
            pairs.append((f, m))
    return pairs


def run_study(
    data=None,
    *,
    split="study",
    features=None,
    models=None,
    out_dir="mgc-study",
    cache_dir=None,
    max_epochs=None,
    patience=10,
    device="cpu",
    n_jobs=None,
    random_state=28,
    pretrained=None,
    model_params=None,
    duration=None,
    n_clips_per_genre=None,
    splits_dir=None,
    umap=True,
    torch_threads=1,
    verbose=1,
):
    """Run the genre study: every representation x every classifier, with report and pictures.

    Each representation is extracted once per clip (as a sequence, cached in ``cache_dir``);
    the vector classifiers (``"rf"``, ``"mlp"``) get its temporal mean
    (:class:`~sklearn_mgc.TemporalMean`), the sequence networks the sequence itself. Every
    pair is trained on the training part of the split and scored on its test part.

    Parameters
    ----------
    data : str, os.PathLike or None, default=None
        A GTZAN folder (either layout) or any ``<genre>/<file>`` tree of audio files; None
        uses the embedded synthetic default (see :func:`load_study_data`).
    split : {"study", "fault-filtered"}, default="study"
        The study's stratified 10 % test split (the rest 80/20 train/validation), or the
        fault-filtered split of full GTZAN.
    features : list of str or None, default=None
        Among ``"mel"``, ``"mfcc"``, ``"cqt"``, ``"spectrum"``, ``"wav2vec2"``,
        ``"encodecmae"``; None takes them all. A pretrained representation whose weights
        cannot be obtained is skipped with a message saying how to provide them.
    models : list of str or None, default=None
        Among ``"rf"``, ``"mlp"``, ``"gru"``, ``"lstm"``, ``"cnn1d"``, ``"cnn2d"``,
        ``"transformer"``; None takes them all, the MLP on the spectrum only (as the study).
        A named ``"mlp"`` runs on every representation's mean.
    out_dir : str or os.PathLike, default="mgc-study"
        Folder of the outputs (created): ``results.csv``, ``report.md``,
        ``confusion_matrix.png``, ``learning_curves_<feature>_<model>.png``,
        ``umap_<feature>.png`` and ``best_model.joblib``.
    cache_dir : str, os.PathLike or None, default=None
        Feature cache; None uses ``out_dir/cache``. A re-run reads the features back.
    max_epochs : int or None, default=None
        Maximum epochs of the networks; None: 50, or 15 on the embedded data.
    patience : int, default=10
        Early-stopping patience of the networks (epochs without a better validation loss).
    device : str, default="cpu"
        Torch device of the networks and pretrained encoders.
    torch_threads : int or None, default=1
        Torch threads while the networks train on the CPU. The study's networks are small,
        and one thread is faster than several on small machines (and far faster when the
        cores are busy); None leaves torch's setting.
    n_jobs : int or None, default=None
        Parallel clips during extraction and trees of the random forest.
    random_state : int, default=28
        Seed of the split, the models and the UMAP projection (28 is the study's).
    pretrained : dict or None, default=None
        ``{"wav2vec2": model id or folder, "encodecmae": checkpoint name or .pt path}``.
    model_params : dict or None, default=None
        ``{model name: {parameter: value}}`` overriding :data:`STUDY_MODEL_PARAMS`.
    duration : float or None, default=None
        Seconds per clip: 30 for audio folders, the clip length for the embedded data.
    n_clips_per_genre : int or None, default=None
        Size of the embedded data (None: :data:`EMBEDDED_DEFAULT`).
    splits_dir : str or None, default=None
        Folder of the fault-filtered lists.
    umap : bool, default=True
        Draw the UMAP projection of the best representation's temporal means.
    verbose : int, default=1
        0: silent; 1: progress lines and the final table; 2: also progress bars of the
        extraction and the networks' per-epoch tables.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``results`` (list of dict, one per representation x model, with the columns of
        ``results.csv``), ``best`` (the best row), ``best_pipeline`` (fitted
        :class:`~sklearn.pipeline.Pipeline` from raw clips), ``skipped`` (list of
        ``(representation, reason)``), ``files`` (paths written), ``out_dir``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_mgc.study import run_study
    >>> result = run_study(features=["mfcc"], models=["rf"], n_clips_per_genre=2,
    ...                    duration=0.5, out_dir=tempfile.mkdtemp(), umap=False, verbose=0)
    >>> result.best["model"], result.best["feature"], result.best["n_test"]
    ('rf', 'mfcc', 8)
    >>> sorted(os.path.basename(f) for f in result.files)
    ['best_model.joblib', 'confusion_matrix.png', 'report.md', 'results.csv']
    """
    import joblib
    from sklearn.metrics import accuracy_score, f1_score

    from .features.pooling import TemporalMean
    from .plotting import plot_confusion_matrix, plot_learning_curves, plot_umap

    started = time.perf_counter()
    models_given = models is not None
    features = list(REPRESENTATIONS) if features is None else list(features)
    models = list(MODELS) if models is None else list(models)
    for f in features:
        if f not in REPRESENTATIONS:
            raise ValueError(f"unknown representation {f!r}; choose among {list(REPRESENTATIONS)}")
    for m in models:
        if m not in MODELS:
            raise ValueError(f"unknown model {m!r}; choose among {list(MODELS)}")
    if not features or not models:
        raise ValueError("the study needs at least one representation and one model")
    model_params = model_params or {}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = out / "cache" if cache_dir is None else Path(cache_dir)

    if max_epochs is None:
        max_epochs = EMBEDDED_DEFAULT["max_epochs"] if data is None else 50
    ds = load_study_data(
        data,
        split=split,
        random_state=random_state,
        splits_dir=splits_dir,
        n_clips_per_genre=n_clips_per_genre,
        duration=duration,
        cache_dir=cache_dir if data is None else None,
    )
    clips, y = ds.clips, ds.target
    _log(verbose, f"data: {ds.description}")
    _log(verbose, f"split: {ds.split}")
    pairs = _pairs(features, models, models_given)
    if not pairs:
        raise ValueError(
            "no representation x model pair to run (the MLP alone runs on the spectrum only "
            "unless models are named)"
        )

    rows, skipped, files = [], [], []
    fitted = {}  # (feature, model) -> (features transformer, classifier, test predictions)
    means = {}  # feature -> (temporal means, labels) for the UMAP
    for fname in features:
        fmodels = [m for f, m in pairs if f == fname]
        if not fmodels:
            continue
        feat = make_representation(
            fname,
            duration=ds.duration,
            sr=ds.sr,
            n_jobs=n_jobs,
            cache_dir=cache_dir,
            device=device,
            verbose=int(verbose >= 1),
            pretrained=pretrained,
            on_error="skip",
        )
        t0 = time.perf_counter()
        if fname in PRETRAINED_REPRESENTATIONS:
            _log(verbose, f"loading {fname} weights ({os.fspath(feat.model)}) ...")
            reason = _fit_pretrained(fname, feat, clips)
            if reason is not None:
                _log(1, reason)
                skipped.append((fname, reason))
                continue
        else:
            feat.fit(clips[:1])
        need_seq = any(m in SEQUENCE_MODELS for m in fmodels)
        if need_seq:
            needed = _sequence_bytes(feat, len(y))
            available = _available_memory()
            if needed is not None and available is not None and needed > 0.6 * available:
                dropped = [m for m in fmodels if m in SEQUENCE_MODELS]
                fmodels = [m for m in fmodels if m not in SEQUENCE_MODELS]
                reason = (
                    f"skipping {', '.join(dropped)} on {fname}: its sequences would need "
                    f"{needed / 2**30:.1f} GiB of memory ({available / 2**30:.1f} GiB "
                    "available); use a shorter --duration, fewer clips or other features"
                )
                _log(1, reason)
                skipped.append((fname, reason))
                need_seq = False
                if not fmodels:
                    continue
        _log(
            verbose,
            f"extracting {fname} ({type(feat).__name__}, "
            f"{'sequence' if need_seq else 'mean'}) for {len(y)} clips ...",
        )
        feat.set_params(output="sequence" if need_seq else "mean")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                Z = feat.transform(clips)
            except (MemoryError, RuntimeError, OSError, ValueError) as exc:
                reason = f"skipping {fname}: extraction failed ({type(exc).__name__}: {exc})"
                _log(1, reason)
                skipped.append((fname, reason))
                continue
        for w in caught:
            if issubclass(w.category, UserWarning):
                _log(verbose, f"warning: {w.message}")
        extract_seconds = time.perf_counter() - t0
        kept = np.ones(len(y), dtype=bool)
        kept[[s["index"] for s in feat.skipped_]] = False
        row_of = -np.ones(len(y), dtype=int)
        row_of[kept] = np.arange(kept.sum())
        train = row_of[ds.train][row_of[ds.train] >= 0]
        test = row_of[ds.test][row_of[ds.test] >= 0]
        yk = y[kept]
        if need_seq:
            pool = TemporalMean().fit(Z[:1])
            M = pool.transform(Z)
        else:
            pool, M = None, Z
        means[fname] = (M, yk)
        shape = "x".join(str(s) for s in Z.shape[1:])
        _log(verbose, f"{fname}: {shape} per clip, extracted in {extract_seconds:.1f} s")

        for mname in fmodels:
            clf = make_classifier(
                mname,
                max_epochs=max_epochs,
                patience=patience,
                device=device,
                n_jobs=n_jobs,
                random_state=random_state,
                verbose=int(verbose >= 2),
                params=model_params.get(mname),
            )
            Xm = Z if mname in SEQUENCE_MODELS else M
            row = dict(
                feature=fname,
                model=mname,
                n_train=len(train),
                n_test=len(test),
                extract_seconds=round(extract_seconds, 3),
                status="ok",
            )
            _log(verbose, f"training {mname} on {fname} ({len(train)} clips) ...")
            try:
                t0 = time.perf_counter()
                with _torch_threads(
                    torch_threads if str(device) == "cpu" and mname != "rf" else None
                ):
                    clf.fit(Xm[train], yk[train])
                row["fit_seconds"] = round(time.perf_counter() - t0, 3)
                t0 = time.perf_counter()
                pred = clf.predict(Xm[test])
                row["predict_seconds"] = round(time.perf_counter() - t0, 3)
            except Exception as exc:  # keep the study going; the row records the failure
                row["status"] = f"failed: {type(exc).__name__}: {exc}"[:300]
                _log(1, f"{mname} on {fname} failed: {type(exc).__name__}: {exc}")
                rows.append(row)
                continue
            row["accuracy"] = float(accuracy_score(yk[test], pred))
            row["macro_f1"] = float(f1_score(yk[test], pred, average="macro", zero_division=0))
            if hasattr(clf, "history_"):
                row["n_epochs"] = len(clf.history_)
                try:
                    fig = plot_learning_curves(
                        clf, title=f"Learning curves: {type(clf).__name__} on {fname}"
                    )
                    files.append(_save(fig, out / f"learning_curves_{fname}_{mname}.png"))
                except Exception as exc:  # pragma: no cover - drawing must not stop the study
                    _log(1, f"could not draw the learning curves of {mname} on {fname}: {exc}")
            rows.append(row)
            fitted[(fname, mname)] = (feat, pool, clf, yk[test], pred)
            _log(
                verbose,
                f"{mname} on {fname}: accuracy {row['accuracy']:.3f}, macro F1 "
                f"{row['macro_f1']:.3f}, fit {row['fit_seconds']:.1f} s",
            )

    csv_path = out / "results.csv"
    _write_csv(csv_path, rows)
    files.append(csv_path)
    ok = [r for r in _sorted_rows(rows) if r.get("status") == "ok"]
    best = ok[0] if ok else None
    best_pipeline = None
    report_extra = []
    if best is not None:
        from sklearn.pipeline import Pipeline

        feat, pool, clf, y_test, pred = fitted[(best["feature"], best["model"])]
        saved_feat = copy.deepcopy(feat)
        saved_feat.set_params(
            cache_dir=None,
            verbose=0,
            on_error="raise",
            output="sequence" if pool is not None or best["model"] in SEQUENCE_MODELS else "mean",
        )
        if hasattr(clf, "verbose"):
            clf.set_params(verbose=0)
        steps = [("features", saved_feat)]
        if pool is not None and best["model"] in VECTOR_MODELS:
            steps.append(("mean", pool))
        steps.append(("classifier", clf))
        best_pipeline = Pipeline(steps)
        model_path = out / "best_model.joblib"
        joblib.dump(best_pipeline, model_path)
        files.append(model_path)
        labels = np.unique(np.concatenate([y_test, pred]).astype(object))
        ax = plot_confusion_matrix(
            y_test,
            pred,
            labels=labels,
            title=(
                f"Best model: {best['model']} on {best['feature']}\n"
                f"test accuracy {best['accuracy']:.1%}, {len(y_test)} clips"
            ),
        )
        files.append(_save(ax.figure, out / "confusion_matrix.png"))
        report_extra.append(_classification_report_md(y_test, pred, labels))
        if umap and best["feature"] in means:
            M, ym = means[best["feature"]]
            try:
                _log(verbose, f"drawing the UMAP projection of {best['feature']} ...")
                ax = plot_umap(
                    M,
                    ym,
                    random_state=random_state,
                    title=f"UMAP of {best['feature']} temporal means ({len(ym)} clips)",
                )
                files.append(_save(ax.figure, out / f"umap_{best['feature']}.png"))
            except Exception as exc:  # pragma: no cover - drawing must not stop the study
                _log(1, f"could not draw the UMAP projection: {type(exc).__name__}: {exc}")

    elapsed = time.perf_counter() - started
    report_path = out / "report.md"
    report_path.write_text(
        _report(
            ds,
            rows,
            best,
            skipped,
            report_extra,
            files,
            out,
            elapsed,
            random_state=random_state,
            max_epochs=max_epochs,
        )
    )
    files.append(report_path)
    if verbose:
        print(f"\nResults ({len(rows)} runs, {elapsed:.0f} s; outputs in {out}):\n", flush=True)
        print(format_results(rows), flush=True)
        if best is not None:
            print(
                f"\nBest: {best['model']} on {best['feature']} (accuracy {best['accuracy']:.3f}), "
                f"saved as {out / 'best_model.joblib'}",
                flush=True,
            )
        for _, reason in skipped:
            print(reason, flush=True)
    return Bunch(
        results=rows,
        best=best,
        best_pipeline=best_pipeline,
        skipped=skipped,
        files=[str(f) for f in files],
        out_dir=str(out),
        seconds=elapsed,
    )


def _report(ds, rows, best, skipped, extra, files, out, elapsed, *, random_state, max_epochs):
    buf = io.StringIO()
    w = buf.write
    w("# Music genre classification study\n\n")
    w(f"- Data: {ds.description} ({len(ds.genres)} genres: {', '.join(map(str, ds.genres))})\n")
    w(f"- Source: {ds.source}\n")
    w(f"- Split: {ds.split}\n")
    w(
        f"- Clip duration: {ds.duration:g} s; networks: at most {max_epochs} epochs with early "
        "stopping on the validation loss\n"
    )
    w(f"- Wall time: {elapsed:.0f} s\n\n")
    if skipped:
        w("## Skipped representations\n\n")
        for _, reason in skipped:
            w(f"- {reason}\n")
        w("\n")
    w("## Results\n\nTest-set accuracy and macro-averaged F1, best first.\n\n")
    w(format_results(rows, markdown=True) + "\n\n")
    failed = [r for r in rows if r.get("status") != "ok"]
    for r in failed:
        w(f"- {r['model']} on {r['feature']}: {r['status']}\n")
    if best is not None:
        w(f"## Best model: {best['model']} on {best['feature']}\n\n")
        w(
            f"Accuracy {best['accuracy']:.3f}, macro F1 {best['macro_f1']:.3f} on {best['n_test']} "
            "test clips. Saved as `best_model.joblib` (a Pipeline from raw clips; classify files "
            "with `sklearn-mgc predict best_model.joblib FILE...`).\n\n"
        )
        if extra:
            w("Per-genre classification report (test set):\n\n" + extra[0] + "\n\n")
        w("![Confusion matrix of the best model](confusion_matrix.png)\n\n")
    names = [Path(f).name for f in files]
    curves = [n for n in names if n.startswith("learning_curves_")]
    if curves:
        w("## Learning curves\n\n")
        for n in curves:
            w(f"![{n[:-4]}]({n})\n\n")
    umaps = [n for n in names if n.startswith("umap_")]
    if umaps:
        w("## UMAP projection of the best representation\n\n")
        for n in umaps:
            w(f"![{n[:-4]}]({n})\n\n")
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# prediction of whole tracks
# --------------------------------------------------------------------------------------
def predict_track_proba(pipeline, path, *, batch_size=8):
    """Genre probabilities of a track of any length, averaged over clip-sized windows.

    The track is decoded at the pipeline's sampling rate and cut into consecutive windows of
    the representation's ``duration`` (a last partial window of at least half a clip is kept
    and zero-padded); the pipeline classifies each window and the probabilities are averaged.
    A track shorter than one clip is one window.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline whose first step is a representation of :mod:`sklearn_mgc`
        (such as ``best_model.joblib``); another pipeline classifies the file as a whole.
    path : str or os.PathLike
        The audio file.
    batch_size : int, default=8
        Windows classified at once.

    Returns
    -------
    proba : ndarray of shape (n_classes,)
        Columns follow ``pipeline.classes_``.
    n_windows : int

    Raises
    ------
    sklearn_mgc.audio.AudioError
        The file cannot be decoded; the message names it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_mgc.datasets import make_genre_clips
    >>> from sklearn_mgc.study import (make_classifier, make_pipeline, make_representation,
    ...                                predict_track_proba)
    >>> X, y = make_genre_clips(4, duration=0.5, genres=["jazz", "metal"], random_state=0)
    >>> pipe = make_pipeline(make_representation("mfcc", duration=0.5),
    ...                      make_classifier("rf", random_state=0), model="rf").fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "track.wav")
    >>> sf.write(path, np.concatenate([X[0], X[0], X[0]]), 22050)  # 1.5 s: three windows
    >>> proba, n_windows = predict_track_proba(pipe, path)
    >>> n_windows, proba.shape
    (3, (2,))
    """
    from .audio import load_audio
    from .features._base import BaseFeatures

    first = pipeline.steps[0][1] if hasattr(pipeline, "steps") else None
    if not isinstance(first, BaseFeatures) or getattr(first, "duration", None) is None:
        return np.asarray(pipeline.predict_proba([os.fspath(path)])[0], dtype=float), 1
    sr = int(first.sr)
    y = load_audio(path, sr=sr)
    n = max(1, int(round(first.duration * sr)))
    if y.shape[0] <= n:
        windows = [y]
    else:
        k = y.shape[0] // n
        windows = [y[i * n : (i + 1) * n] for i in range(k)]
        rest = y[k * n :]
        if rest.shape[0] >= n / 2:
            windows.append(rest)
    probas = []
    for start in range(0, len(windows), batch_size):
        probas.append(
            np.asarray(pipeline.predict_proba(windows[start : start + batch_size]), dtype=float)
        )
    proba = np.concatenate(probas).mean(axis=0)
    return proba, len(windows)
