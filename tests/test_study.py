"""Tests of sklearn_mgc.study: the study end to end on a tiny synthetic configuration."""

import csv
import os

import matplotlib

matplotlib.use("Agg")

import joblib
import numpy as np
import pytest
import soundfile as sf

from sklearn_mgc.datasets import GENRES, make_genre_clips
from sklearn_mgc.study import (
    MODELS,
    RESULT_COLUMNS,
    load_study_data,
    make_classifier,
    make_pipeline,
    make_representation,
    predict_track_proba,
    run_study,
)
from sklearn_mgc.study.runner import plan_pairs

TINY = dict(
    n_clips_per_genre=4,
    duration=0.5,
    max_epochs=2,
    random_state=0,
    verbose=0,
    model_params={"gru": {"hidden_size": 4}, "mlp": {"hidden_sizes": (16,)}},
)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    result = run_study(
        features=["mfcc", "mel"], models=["rf", "gru", "mlp"], out_dir=out, umap=False, **TINY
    )
    return out, result


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_study_writes_results_report_pictures_and_model(study):
    out, result = study
    rows = _read_csv(out / "results.csv")
    assert tuple(rows[0]) == RESULT_COLUMNS
    assert {(r["feature"], r["model"]) for r in rows} == {
        (f, m) for f in ("mfcc", "mel") for m in ("rf", "gru", "mlp")
    }
    for r in rows:
        assert r["status"] == "ok"
        assert 0.0 <= float(r["accuracy"]) <= 1.0 and 0.0 <= float(r["macro_f1"]) <= 1.0
        assert float(r["fit_seconds"]) >= 0 and int(r["n_test"]) == 8 and int(r["n_train"]) == 24
        assert (r["n_epochs"] != "") == (r["model"] != "rf")
    # the random forest on temporal means learns the synthetic genres (chance is 1/8)
    assert max(float(r["accuracy"]) for r in rows if r["model"] == "rf") >= 0.5

    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "confusion_matrix.png" in pngs
    assert {"learning_curves_mfcc_gru.png", "learning_curves_mel_mlp.png"} <= set(pngs)
    assert len(pngs) >= 3

    report = (out / "report.md").read_text()
    best = result.best
    assert f"## Best model: {best['model']} on {best['feature']}" in report
    assert "| feature | model | accuracy |" in report
    assert "| genre | precision | recall | F1 | support |" in report
    assert "![Confusion matrix of the best model](confusion_matrix.png)" in report
    assert best["accuracy"] == max(float(r["accuracy"]) for r in rows)


def test_each_test_score_has_its_95_percent_interval(study):
    from sklearn_mgc.study.stats import macro_f1_interval, wilson_interval

    out, result = study
    rows = _read_csv(out / "results.csv")
    for r in rows:
        assert r["kind"] == "test" and r["fold"] == "" and r["recipe"] == "seed"
        acc, n = float(r["accuracy"]), int(r["n_test"])
        low, high = wilson_interval(round(acc * n), n)
        assert (float(r["accuracy_low"]), float(r["accuracy_high"])) == pytest.approx((low, high))
        assert float(r["accuracy_low"]) <= acc <= float(r["accuracy_high"])
        assert float(r["macro_f1_low"]) <= float(r["macro_f1_high"])
    best = result.best  # the same bootstrap as the best model's predictions give
    report = (out / "report.md").read_text()
    assert "- Test set: 8 clips; 95 % intervals: Wilson score interval" in report
    assert "| feature | model | accuracy | 95 % CI | macro F1 | 95 % CI |" in report
    assert f"[{best['accuracy_low']:.2f}, {best['accuracy_high']:.2f}]" in report
    assert (out / "study_summary.png").stat().st_size > 0
    assert "![Study summary](study_summary.png)" in report
    assert macro_f1_interval(["a"], ["a"]) == (1.0, 1.0)


def test_best_model_is_a_pipeline_from_raw_clips(study, tmp_path):
    out, result = study
    pipe = joblib.load(out / "best_model.joblib")
    names = [name for name, _ in pipe.steps]
    assert names[0] == "features" and names[-1] == "classifier"
    assert ("mean" in names) == (result.best["model"] in ("rf", "mlp"))
    X, y = make_genre_clips(1, duration=0.5, random_state=1)
    pred = pipe.predict(X)
    assert set(pred) <= set(GENRES)
    path = tmp_path / "clip.wav"
    sf.write(path, X[0], 22050)
    assert pipe.predict([str(path)])[0] == pred[0]
    assert pipe.steps[0][1].cache_dir is None


def test_rerun_reads_the_feature_cache(study, tmp_path):
    out, result = study
    cache = out / "cache"

    def frame_entries():  # the cache also keeps each clip's mean beside its frames
        return sorted(p.name for p in cache.rglob("*.mgc") if not p.name.endswith("-mean.mgc"))

    entries = frame_entries()
    assert entries, "the features were not cached"
    again = run_study(
        features=["mfcc"], models=["rf"], out_dir=tmp_path, cache_dir=cache, umap=False, **TINY
    )
    assert frame_entries() == entries  # nothing recomputed
    first = next(r for r in result.results if (r["feature"], r["model"]) == ("mfcc", "rf"))
    assert again.results[0]["accuracy"] == first["accuracy"]


def test_pretrained_without_weights_is_skipped(tmp_path, caplog):
    missing = str(tmp_path / "nowhere" / "mel256-ec-base_st.pt")
    result = run_study(
        features=["encodecmae", "mfcc"],
        models=["rf"],
        out_dir=tmp_path / "out",
        pretrained={"encodecmae": missing},
        umap=False,
        **{**TINY, "verbose": 1},
    )
    assert [r["feature"] for r in result.results] == ["mfcc"]
    ((name, reason),) = result.skipped
    assert name == "encodecmae"
    assert "skipping encodecmae" in reason and "--encodecmae-model" in reason
    logged = [r for r in caplog.records if r.name.startswith("sklearn_mgc")]
    assert sum("skipping encodecmae" in r.getMessage() for r in logged) == 1  # said once
    assert all(r.levelname == "WARNING" for r in logged if "skipping" in r.getMessage())
    assert "Skipped representations" in (tmp_path / "out" / "report.md").read_text()


def test_pretrained_with_local_weights_runs(tmp_path):
    from sklearn_mgc import EnCodecMAEFeatures

    ckpt = EnCodecMAEFeatures.get_test_params()["model"]
    result = run_study(
        features=["encodecmae"],
        models=["rf"],
        out_dir=tmp_path,
        pretrained={"encodecmae": ckpt},
        umap=False,
        **TINY,
    )
    assert not result.skipped
    assert result.results[0]["feature"] == "encodecmae" and result.results[0]["status"] == "ok"


def test_provenance_of_the_run_names_every_checkpoint_it_used(tmp_path):
    """provenance.json describes results.csv: the weights of every representation in it,
    not only those of the best model's."""
    import json

    from sklearn_mgc import EnCodecMAEFeatures

    ckpt = EnCodecMAEFeatures.get_test_params()["model"]
    result = run_study(
        features=["encodecmae", "mfcc"],
        models=["rf"],
        out_dir=tmp_path,
        pretrained={"encodecmae": ckpt},
        umap=False,
        **TINY,
    )
    run = json.loads((tmp_path / "provenance.json").read_text())
    assert [c["model"] for c in run["checkpoints"]] == [os.fspath(ckpt)], result.best
    assert "Checkpoint " in (tmp_path / "report.md").read_text()
    saved = joblib.load(tmp_path / "best_model.joblib").provenance_
    expected = [os.fspath(ckpt)] if result.best["feature"] == "encodecmae" else []
    assert [c["model"] for c in saved["checkpoints"]] == expected  # the model's own weights


def _fake_hub_cache(root, repo_id, filename, repo_type="models"):
    """A huggingface_hub cache holding ``filename`` of ``repo_id`` (as a download leaves it)."""
    folder = root / f"{repo_type}--{repo_id.replace('/', '--')}"
    snapshot = folder / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / filename).write_bytes(b"{}")
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("0" * 40)


@pytest.mark.parametrize(
    "name, repo_id, filename",
    [
        ("wav2vec2", "facebook/wav2vec2-base", "config.json"),
        ("encodecmae", "lpepino/encodecmae-v2", "mel256-ec-base_st.pt"),
    ],
)
def test_pretrained_weights_in_the_local_cache_are_found_without_loading(
    name, repo_id, filename, tmp_path, monkeypatch
):
    import huggingface_hub.constants

    from sklearn_mgc.study import make_representation

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    features = make_representation(name, duration=1.0)
    assert not features.in_local_cache()
    _fake_hub_cache(tmp_path, repo_id, filename)
    assert features.in_local_cache()
    assert features.set_params(model=str(tmp_path)).in_local_cache()  # a local path


def test_offline_without_cached_weights_is_skipped_before_loading(tmp_path, monkeypatch):
    from sklearn_mgc.study import extraction, make_representation

    features = make_representation("wav2vec2", duration=1.0)
    monkeypatch.setattr(extraction, "hub_reachable", lambda *a, **k: False)
    monkeypatch.setattr(features, "in_local_cache", lambda: False)
    monkeypatch.setattr(features, "fit", lambda *a: pytest.fail("fit was tried"))
    reason = extraction.fit_pretrained("wav2vec2", features, [np.zeros(10)])
    assert "hub is unreachable and they are not in the local cache" in reason
    assert "--wav2vec2-model" in reason


def test_default_grid_runs_the_mlp_on_the_spectrum_only():
    pairs = plan_pairs(["mel", "spectrum"], list(MODELS), models_given=False)
    assert ("spectrum", "mlp") in pairs and ("mel", "mlp") not in pairs
    assert ("mel", "rf") in pairs and ("mel", "transformer") in pairs
    assert ("mel", "mlp") in plan_pairs(["mel"], ["mlp"], models_given=True)


def test_study_data_split_and_errors():
    data = load_study_data(n_clips_per_genre=10, duration=0.25, random_state=28)
    assert len(data.target) == 80 and len(data.test) == 8
    assert set(data.target[data.test]) == set(GENRES)  # stratified: one clip per genre
    assert not set(data.train) & set(data.test)
    with pytest.raises(ValueError, match="fault-filtered"):
        load_study_data(split="fault-filtered")
    with pytest.raises(ValueError, match="unknown representation"):
        run_study(features=["chroma"], verbose=0)
    with pytest.raises(ValueError, match="unknown model"):
        run_study(models=["svm"], verbose=0)


def test_folder_data_and_long_track_windows(tmp_path):
    X, y = make_genre_clips(3, duration=0.5, genres=["metal", "classical"], random_state=0)
    for i, (clip, genre) in enumerate(zip(X, y)):
        (tmp_path / "data" / genre).mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "data" / genre / f"{genre}.{i:05d}.wav", clip, 22050)
    data = load_study_data(tmp_path / "data", split=None, duration=0.5)
    assert len(data.clips) == 6 and all(os.path.isfile(c) for c in data.clips)
    pipe = make_pipeline(
        make_representation("mfcc", duration=0.5), make_classifier("rf", random_state=0), model="rf"
    )
    pipe.fit(data.clips, data.target)
    long = tmp_path / "long.wav"
    sf.write(long, np.concatenate([X[0], X[0], X[0]]), 22050)  # 3 clips long
    proba, n_windows = predict_track_proba(pipe, long)
    assert n_windows == 3
    assert proba.shape == (2,) and np.isclose(proba.sum(), 1.0)
    short = tmp_path / "short.wav"
    sf.write(short, X[0][:2000], 22050)
    assert predict_track_proba(pipe, short)[1] == 1


def test_sequences_too_large_for_memory_are_skipped(tmp_path, monkeypatch, caplog):
    import sklearn_mgc.study.extraction as extraction

    monkeypatch.setattr(extraction, "available_memory", lambda: 1000)
    result = run_study(
        features=["mfcc"],
        models=["rf", "gru"],
        out_dir=tmp_path,
        umap=False,
        **{**TINY, "verbose": 1},
    )
    assert [(r["feature"], r["model"]) for r in result.results] == [("mfcc", "rf")]
    ((name, reason),) = result.skipped
    assert name == "mfcc" and "skipping gru on mfcc" in reason and "GiB" in reason
    assert any("skipping gru on mfcc" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------------------
# the parts of the study, without a whole study
# --------------------------------------------------------------------------------------
def _config(tmp_path, **overrides):
    """A StudyConfig with run_study's own defaults (read from its signature)."""
    import inspect

    from sklearn_mgc.study.runner import StudyConfig

    params = {n: p.default for n, p in inspect.signature(run_study).parameters.items()}
    params.update(out_dir=tmp_path, verbose=0, **overrides)
    return StudyConfig(**params)


@pytest.mark.parametrize(
    "target, random_state, test",
    [
        # computed with the study's code before it delegated to train_valid_test_split
        (np.array(list("abc") * 6, dtype=object), 28, [1, 3, 11]),  # one clip per genre
        (np.repeat(list("abcd"), 10).astype(object), 28, [1, 13, 28, 30]),  # 10 %
        (np.repeat(list("abcd"), 10).astype(object), 0, [5, 14, 27, 34]),
    ],
)
def test_study_split_keeps_the_test_indices(target, random_state, test):
    from sklearn_mgc.study.data import study_split

    train, got = study_split(target, random_state=random_state)
    assert got.tolist() == test
    assert sorted(train.tolist() + got.tolist()) == list(range(len(target)))
    assert list(train) == sorted(train)


def test_embedded_study_data_keeps_its_split():
    # the same test clips as before the split delegated to train_valid_test_split
    data = load_study_data(n_clips_per_genre=2, duration=0.01, random_state=28)
    assert data.test.tolist() == [2, 3, 7, 8, 10, 11, 12, 15]


def test_realign_maps_the_split_onto_the_kept_rows():
    from sklearn_mgc.study.extraction import realign

    kept, train, test = realign(6, [0, 4], np.array([0, 1, 2, 5]), np.array([3, 4]))
    assert kept.tolist() == [False, True, True, True, False, True]
    # rows of the extracted array: clip 1 -> 0, 2 -> 1, 3 -> 2, 5 -> 3
    assert train.tolist() == [0, 1, 3] and test.tolist() == [2]
    kept, train, test = realign(3, [], np.array([0, 2]), np.array([1]))
    assert kept.all() and train.tolist() == [0, 2] and test.tolist() == [1]


def test_extract_leaves_out_a_bad_clip_and_realigns(tmp_path):
    from sklearn.utils import Bunch

    from sklearn_mgc.study.extraction import extract

    X, y = make_genre_clips(2, duration=0.3, genres=["jazz", "metal"], random_state=0)
    X = X.copy()
    X[1, :] = np.nan  # a clip the representation skips
    ds = Bunch(
        clips=X, target=y, train=np.array([0, 1, 2]), test=np.array([3]), duration=0.3, sr=22050
    )
    ex = extract(_config(tmp_path, cache_dir=None), ds, "mfcc", ("rf", "gru"))
    assert ex.models == ("rf", "gru") and not ex.skipped
    assert ex.sequences.shape[0] == ex.means.shape[0] == 3
    assert ex.target.tolist() == [y[0], y[2], y[3]]
    assert ex.train.tolist() == [0, 1] and ex.test.tolist() == [2]
    assert ex.inputs("gru") is ex.sequences and ex.inputs("rf") is ex.means


@pytest.mark.parametrize("cv", [None, 2])
def test_report_counts_the_clips_scored_when_one_is_left_out(tmp_path, cv):
    """A clip the representation cannot read is left out: the report's count of tested clips
    says so instead of stating the split's count over intervals of one clip fewer."""
    settings = {**TINY, "n_clips_per_genre": 3}
    ds = load_study_data(n_clips_per_genre=3, duration=0.5, random_state=0)
    clips = ds.clips.copy()
    clips[ds.test[0]] = np.nan  # unreadable for every representation
    cache = tmp_path / "cache"
    cache.mkdir()
    np.savez(cache / "embedded_3x0.5s_22050Hz_rs0.npz", X=clips, y=ds.target.astype(str))
    result = run_study(
        features=["mfcc"], models=["rf"], out_dir=tmp_path, cache_dir=cache, umap=False, cv=cv,
        **settings,
    )  # fmt: skip
    n_scored = len(ds.target) - 1 if cv else len(ds.test) - 1
    assert result.best["n_test"] == n_scored
    report = (tmp_path / "report.md").read_text()
    if cv:
        assert f"over all {len(ds.target)} clips" not in report
        assert f"over {n_scored} of the {len(ds.target)} clips" in report
    else:
        assert f"Test set: {len(ds.test)} clips;" not in report
        assert f"Test set: {n_scored} of the split's {len(ds.test)} clips" in report


def test_memory_guard_drops_only_the_sequence_models():
    from sklearn_mgc.study.extraction import memory_guard

    models, reason = memory_guard("mel", ["rf", "gru", "cnn2d"], 7 * 2**30, 10 * 2**30)
    assert models == ("rf",)
    assert "skipping gru, cnn2d on mel" in reason and "7.0 GiB" in reason
    assert memory_guard("mel", ["gru"], 5 * 2**30, 10 * 2**30) == (("gru",), None)
    assert memory_guard("mel", ["gru"], None, 10) == (("gru",), None)  # unknown: run
    assert memory_guard("mel", ["gru"], 10, None) == (("gru",), None)
    assert memory_guard("mel", ["rf"], 10**12, 10) == (("rf",), None)
    assert memory_guard("mel", ["gru"], 10**12, 10)[0] == ()


def test_extraction_warnings_are_logged_not_dropped(caplog):
    import warnings

    from sklearn_mgc.study.extraction import _transform

    class Noisy:
        def transform(self, clips):
            warnings.warn("old option", DeprecationWarning)
            warnings.warn("a clip was skipped", UserWarning)
            return np.zeros((len(clips), 2))

    with caplog.at_level("WARNING", logger="sklearn_mgc"):
        assert _transform(Noisy(), [0, 1]).shape == (2, 2)
    messages = [r.getMessage() for r in caplog.records]
    assert "DeprecationWarning: old option" in messages
    assert "UserWarning: a clip was skipped" in messages


def test_a_cell_whose_test_clips_were_all_skipped_fails_clearly(caplog):
    # an empty test set reached the scoring, which divided by zero and stopped the study
    from sklearn_mgc.study.trials import Task, train_cell

    X = np.random.default_rng(0).standard_normal((6, 3))
    y = np.array(["a", "b"] * 3, dtype=object)
    task = Task("rf", X, y, np.arange(6), np.arange(0), {"feature": "mfcc", "model": "rf"}, {})
    with caplog.at_level("WARNING", logger="sklearn_mgc"):
        row, clf, pred, pictures = train_cell(task)
    assert row["status"] == "failed: no test clip left (the representation skipped all of them)"
    assert clf is None and pred is None and "accuracy" not in row
    assert "rf on mfcc: no test clip left" in caplog.text


def test_best_trial_prefers_accuracy_then_f1_then_the_grid_order():
    # it broke ties by the fit time, which varies with the load: the saved model could change
    from sklearn_mgc.study.trials import Trial, best_trial

    def trial(model, accuracy, f1, seconds, status="ok"):
        row = dict(model=model, accuracy=accuracy, macro_f1=f1, fit_seconds=seconds)
        return Trial({**row, "status": status})

    trials = [
        trial("rf", 0.8, 0.7, 1.0),
        trial("gru", 0.8, 0.75, 9.0),
        trial("lstm", 0.8, 0.75, 3.0),
        trial("mlp", 0.9, 0.9, 1.0, status="failed: RuntimeError: boom"),
    ]
    assert best_trial(trials).row["model"] == "gru"  # before the faster lstm in the grid
    assert best_trial(trials[::-1]).row["model"] == "lstm"
    assert best_trial(trials[3:]) is None and best_trial([]) is None


def test_best_model_has_the_same_shape_with_or_without_sequence_models(tmp_path):
    from sklearn.utils import Bunch

    from sklearn_mgc.study.extraction import extract
    from sklearn_mgc.study.trials import evaluate

    X, y = make_genre_clips(3, duration=0.3, genres=["jazz", "metal"], random_state=0)
    ds = Bunch(clips=X, target=y, train=np.arange(4), test=np.arange(4, 6), duration=0.3, sr=22050)
    config = _config(tmp_path, cache_dir=None, model_params={"rf": {"n_estimators": 5}})
    shapes = []
    for models in (("rf",), ("rf", "gru")):  # means extracted directly, or from sequences
        ex = extract(config, ds, "mfcc", models)
        assert (ex.sequences is None) == (models == ("rf",))
        pipe = evaluate(config, ex, "rf").pipeline
        shapes.append([(name, type(step).__name__) for name, step in pipe.steps])
        assert pipe.steps[0][1].output == "sequence" and pipe.steps[0][1].cache_dir is None
        assert pipe.predict(X).shape == (6,)
    assert (
        shapes[0]
        == shapes[1]
        == [
            ("features", "MFCCFeatures"),
            ("mean", "TemporalMean"),
            ("classifier", "RandomForestClassifier"),
        ]
    )


def test_failed_classifier_is_recorded_not_raised(tmp_path):
    from sklearn_mgc.study.extraction import Extraction
    from sklearn_mgc.study.trials import evaluate

    ex = Extraction(
        "mfcc",
        models=("rf",),
        means=np.zeros((4, 2)),
        target=np.array(["a", "b", "a", "b"], dtype=object),
        train=np.arange(3),
        test=np.arange(3, 4),
    )
    config = _config(tmp_path, model_params={"rf": {"max_depth": -1}})  # refused in fit
    trial = evaluate(config, ex, "rf")
    assert not trial.ok and trial.row["status"].startswith("failed: InvalidParameterError")
    assert trial.classifier is None and "accuracy" not in trial.row


def test_scoped_torch_threads_are_restored_even_on_errors():
    import torch

    from sklearn_mgc.study._scoped import torch_threads

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"), torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


@pytest.mark.parametrize("env_before", [None, "0"])
def test_scoped_hub_offline_is_restored_even_on_errors(env_before, monkeypatch):
    import huggingface_hub.constants as hf_constants

    from sklearn_mgc.study._scoped import hub_offline

    if env_before is None:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", env_before)
    constant_before = hf_constants.HF_HUB_OFFLINE
    with pytest.raises(OSError), hub_offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1" and hf_constants.HF_HUB_OFFLINE is True
        raise OSError("no network")
    assert os.environ.get("HF_HUB_OFFLINE") == env_before
    assert constant_before == hf_constants.HF_HUB_OFFLINE


def test_study_names_come_from_the_registry():
    from sklearn_mgc import _registry
    from sklearn_mgc.study import (
        PRETRAINED_REPRESENTATIONS,
        REPRESENTATIONS,
        SEQUENCE_MODELS,
        STUDY_MODEL_PARAMS,
        VECTOR_MODELS,
    )

    assert tuple(REPRESENTATIONS) == _registry.representation_names()
    assert MODELS == _registry.model_names() == VECTOR_MODELS + SEQUENCE_MODELS
    assert set(PRETRAINED_REPRESENTATIONS) == {
        r.name for r in _registry.REPRESENTATION_SPECS if r.pretrained
    }
    assert STUDY_MODEL_PARAMS["gru"] == dict(_registry.model("gru").params)
    for name in MODELS:
        assert type(make_classifier(name)).__name__ == _registry.model(name).class_name


def test_fault_filtered_split_follows_the_lists_and_logs_the_loader_warnings(
    gtzan_mini, gtzan_splits, caplog
):
    from sklearn_mgc.datasets import load_gtzan

    with caplog.at_level("WARNING", logger="sklearn_mgc"):
        data = load_study_data(gtzan_mini, split="fault-filtered", splits_dir=gtzan_splits)
    with pytest.warns(UserWarning):
        parts = np.asarray(
            load_gtzan(gtzan_mini, split="fault-filtered", splits_dir=gtzan_splits).split
        )
    assert (parts[data.test] == "test").all() and (parts[data.train] != "test").all()
    assert len(data.train) + len(data.test) == len(data.target) and len(data.test) > 0
    assert "fault-filtered split" in data.split and "parts" not in data
    # gtzan-mini holds few of the listed clips: the loader's warning is logged, not dropped
    assert any("missing or unreadable" in r.getMessage() for r in caplog.records)
