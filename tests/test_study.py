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
    _pairs,
    load_study_data,
    make_classifier,
    make_pipeline,
    make_representation,
    predict_track_proba,
    run_study,
)

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


def test_pretrained_without_weights_is_skipped(tmp_path, capsys):
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
    err = capsys.readouterr().err
    assert sum("skipping encodecmae" in line for line in err.splitlines()) == 1
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


def test_default_grid_runs_the_mlp_on_the_spectrum_only():
    pairs = _pairs(["mel", "spectrum"], list(MODELS), models_given=False)
    assert ("spectrum", "mlp") in pairs and ("mel", "mlp") not in pairs
    assert ("mel", "rf") in pairs and ("mel", "transformer") in pairs
    assert ("mel", "mlp") in _pairs(["mel"], ["mlp"], models_given=True)


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


def test_sequences_too_large_for_memory_are_skipped(tmp_path, monkeypatch, capsys):
    import sklearn_mgc.study as study

    monkeypatch.setattr(study, "_available_memory", lambda: 1000)
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
    assert "skipping gru on mfcc" in capsys.readouterr().err
