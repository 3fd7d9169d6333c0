"""Tests of the study's results you can trust: --cv, intervals, --recipe and --n-jobs."""

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from sklearn.utils import Bunch

from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.study import MODERN_RECIPE, RESULT_COLUMNS, recipe_params, run_study
from sklearn_mgc.study.parallel import TaskStream, plan_workers
from sklearn_mgc.study.stats import macro_f1_interval, summarise_folds, wilson_interval

TINY = dict(
    n_clips_per_genre=3,
    duration=0.5,
    max_epochs=2,
    random_state=0,
    verbose=0,
    umap=False,
    model_params={"gru": {"hidden_size": 4}, "rf": {"n_estimators": 20}},
)


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _config(tmp_path, **overrides):
    import inspect

    from sklearn_mgc.study.runner import StudyConfig

    params = {n: p.default for n, p in inspect.signature(run_study).parameters.items()}
    params.update(out_dir=tmp_path, verbose=0, cache_dir=None, **overrides)
    return StudyConfig(**params)


@pytest.fixture(scope="module")
def extraction(tmp_path_factory):
    """The mfcc sequences and means of 16 tiny clips of 4 genres."""
    from sklearn_mgc.study.extraction import extract

    genres = ["blues", "jazz", "metal", "rock"]
    X, y = make_genre_clips(4, duration=0.4, genres=genres, random_state=0)
    ds = Bunch(clips=X, target=y, train=np.arange(12), test=np.arange(12, 16), duration=0.4)
    ds.sr = 22050
    config = _config(tmp_path_factory.mktemp("ex"), n_jobs=1)
    return extract(config, ds, "mfcc", ("rf", "gru"))


# --------------------------------------------------------------------------------------
# --cv
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cv_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("cv")
    return out, run_study(features=["mfcc"], models=["rf", "gru"], out_dir=out, cv=3, **TINY)


def test_cv_writes_a_row_per_cell_and_fold_plus_summaries(cv_study):
    out, result = cv_study
    rows = _read_csv(out / "results.csv")
    assert tuple(rows[0]) == RESULT_COLUMNS
    assert RESULT_COLUMNS[:11] == (
        "feature", "model", "accuracy", "macro_f1", "fit_seconds", "predict_seconds",
        "extract_seconds", "n_train", "n_test", "n_epochs", "status",
    )  # fmt: skip
    assert [(r["model"], r["kind"], r["fold"]) for r in rows] == [
        (m, k, f)
        for m in ("rf", "gru")
        for k, f in [("fold", "0"), ("fold", "1"), ("fold", "2"), ("summary", "")]
    ]
    for model in ("rf", "gru"):
        folds = [r for r in rows if r["model"] == model and r["kind"] == "fold"]
        summary = next(r for r in rows if r["model"] == model and r["kind"] == "summary")
        acc = np.array([float(r["accuracy"]) for r in folds])
        assert float(summary["accuracy"]) == pytest.approx(acc.mean())
        assert float(summary["accuracy_std"]) == pytest.approx(acc.std())
        f1 = np.array([float(r["macro_f1"]) for r in folds])
        assert float(summary["macro_f1_std"]) == pytest.approx(f1.std())
        assert sum(int(r["n_test"]) for r in folds) == int(summary["n_test"]) == 24
        for r in folds:  # each fold's accuracy has its Wilson interval
            assert float(r["accuracy_low"]) <= float(r["accuracy"]) <= float(r["accuracy_high"])
    assert [r["kind"] for r in result.results] == ["summary", "summary"]
    assert len(result.folds) == 6 and result.best["kind"] == "summary"


def test_cv_report_ranks_by_mean_and_says_the_best_is_refitted(cv_study):
    out, result = cv_study
    report = (out / "report.md").read_text()
    assert "stratified 3-fold cross-validation over all 24 clips" in report
    assert "| feature | model | accuracy | +- std | macro F1 | +- std |" in report
    table = [line for line in report.splitlines() if line.startswith("| mfcc |")]
    means = [float(line.split("|")[3]) for line in table]
    assert means == sorted(means, reverse=True)
    assert "Refitted on all 24 clips" in report and "out-of-fold predictions" in report
    assert "![Study summary](study_summary.png)" in report
    assert (out / "study_summary.png").stat().st_size > 0


def test_cv_saves_the_best_cell_refitted_on_every_clip(cv_study, tmp_path):
    import joblib

    out, result = cv_study
    pipe = joblib.load(out / "best_model.joblib")
    X, _ = make_genre_clips(1, duration=0.5, random_state=1)
    assert pipe.predict(X).shape == (8,)
    clf = result.best_pipeline.named_steps["classifier"]
    if result.best["model"] == "rf":  # a bootstrap of all 24 clips, not of a fold's 16
        assert clf.estimators_[0].tree_.weighted_n_node_samples[0] == 24


def test_refit_trains_on_every_clip(extraction, tmp_path):
    from sklearn_mgc.study.trials import evaluate_cells, refit

    config = _config(tmp_path, cv=2, n_jobs=1, model_params={"rf": {"n_estimators": 5}})
    trial = evaluate_cells(config, extraction, ("rf",))[0]
    assert len(trial.y_pred) == len(trial.test_rows) == 16
    assert sorted(trial.test_rows) == list(range(16))  # every clip tested once
    again = refit(config, extraction, trial)
    assert again.row is trial.row and again.classifier is not trial.classifier
    assert again.classifier.estimators_[0].tree_.weighted_n_node_samples[0] == 16
    X, _ = make_genre_clips(1, duration=0.4, genres=["jazz", "rock"], random_state=3)
    assert again.pipeline.predict(X).shape == (2,)


@pytest.mark.parametrize("cv", [1, 0, 2.5, True, "3"])
def test_cv_must_be_an_integer_of_at_least_2(cv, tmp_path):
    with pytest.raises((ValueError, TypeError)):
        _config(tmp_path, cv=cv, features=["mfcc"], models=["rf"])


def test_cv_command_writes_the_folds(tmp_path, capsys):
    from sklearn_mgc.cli import main

    out = tmp_path / "study"
    args = ["study", "--features", "mfcc", "--models", "rf", "--n-clips-per-genre", "2"]
    args += ["--duration", "0.3", "--cv", "2", "--no-umap", "--out", str(out), "-q"]
    assert main(args) == 0
    rows = _read_csv(out / "results.csv")
    assert [r["kind"] for r in rows] == ["fold", "fold", "summary"]
    printed = capsys.readouterr().out
    assert "+- std" in printed and "refitted on every clip" in printed


# --------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------
def test_wilson_interval_matches_the_formula_and_the_ends():
    assert wilson_interval(85, 100) == pytest.approx((0.7672, 0.9069), abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(1 - high) and high - low < 0.62
    assert all(np.isnan(wilson_interval(0, 0)))


def test_macro_f1_interval_is_a_seeded_bootstrap_of_sklearns_f1():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    y = rng.choice(list("abcde"), 30)
    pred = y.copy()
    pred[:12] = rng.choice(list("abcdf"), 12)
    draws = np.random.default_rng(0).integers(0, 30, size=(1000, 30))
    ref = [f1_score(y[d], pred[d], average="macro", zero_division=0) for d in draws]
    assert macro_f1_interval(y, pred) == pytest.approx(tuple(np.percentile(ref, [2.5, 97.5])))
    assert macro_f1_interval(y, pred) == macro_f1_interval(y, pred)  # fixed seed


def test_summary_of_a_failed_fold_is_failed():
    folds = [
        dict(feature="mel", model="gru", accuracy=0.5, macro_f1=0.5, fit_seconds=1.0,
             predict_seconds=0.1, n_train=8, n_test=2, status="ok", kind="fold", fold=0),
        dict(feature="mel", model="gru", n_train=8, n_test=2, status="failed: X", kind="fold",
             fold=1),
    ]  # fmt: skip
    row = summarise_folds(folds)
    assert row["status"] == "failed: X" and row["kind"] == "summary"


# --------------------------------------------------------------------------------------
# --recipe
# --------------------------------------------------------------------------------------
def test_recipe_params_convert_seconds_to_frames():
    real = recipe_params("modern", "gru", n_frames=3001, n_features=80, duration=30.0)
    assert real["crop_frames"] == 300  # 3 s at 100 frames per second
    assert real["crops_per_clip"] == 5  # together, half of the clip per epoch
    assert real["crop_hop"] == 150 and real["time_mask"] == (0, 0) and real["freq_mask"] == (0, 0)
    assert real["mixup"] == MODERN_RECIPE["mixup"]
    assert real["lr_schedule"] == MODERN_RECIPE["lr_schedule"]
    short = recipe_params("modern", "cnn2d", n_frames=151, n_features=60, duration=1.5)
    assert short["crop_frames"] == 76  # at most half of a 1.5 s clip
    assert short["crops_per_clip"] == 1
    assert recipe_params("seed", "gru", n_frames=151, n_features=80, duration=1.5) == {}
    assert recipe_params("modern", "rf", n_frames=1, n_features=80, duration=1.5) == {}
    with pytest.raises(ValueError, match="recipe"):
        recipe_params("fancy", "gru", n_frames=10, n_features=2, duration=1.0)


def test_recipe_masks_follow_the_recipe(monkeypatch):
    from sklearn_mgc.study import factories

    monkeypatch.setitem(factories.MODERN_RECIPE, "time_masks", 2)
    monkeypatch.setitem(factories.MODERN_RECIPE, "freq_masks", 1)
    real = recipe_params("modern", "gru", n_frames=3001, n_features=80, duration=30.0)
    assert real["time_mask"] == (2, 30) and real["freq_mask"] == (1, 8)


def test_modern_recipe_reaches_the_networks_and_overrides_win(extraction, tmp_path):
    from sklearn_mgc.study.trials import _task

    config = _config(tmp_path, recipe="modern", model_params={"gru": {"mixup": 0.5}})
    task = _task(config, extraction, "gru", 0, extraction.train, extraction.test)
    params = task.settings["params"]
    assert params["crop_frames"] == 20 and params["lr_schedule"] == "cosine"  # 0.2 s of 0.4
    assert params["mixup"] == 0.5  # the user's model_params win over the recipe
    assert (
        _task(config, extraction, "rf", 0, extraction.train, extraction.test).settings["params"]
        == {}
    )
    with pytest.raises(ValueError, match="recipe"):
        _config(tmp_path, recipe="fancy")


def test_modern_recipe_is_named_in_the_report(tmp_path):
    result = run_study(features=["mfcc"], models=["rf"], out_dir=tmp_path, recipe="modern", **TINY)
    report = (tmp_path / "report.md").read_text()
    assert "`modern` (`MODERN_RECIPE`)" in report
    for key, value in MODERN_RECIPE.items():
        assert f"{key}={value!r}" in report
    assert {r["recipe"] for r in _read_csv(tmp_path / "results.csv")} == {"modern"}
    assert result.recipe == {}  # no sequence network ran


def _networks_take_the_recipe():
    from sklearn_mgc import GRUClassifier

    return "crop_frames" in GRUClassifier().get_params()


@pytest.mark.skipif(
    not _networks_take_the_recipe(), reason="the networks' crop/augmentation parameters"
)
def test_modern_recipe_trains_the_sequence_networks(tmp_path):
    result = run_study(
        features=["mfcc"], models=["gru"], out_dir=tmp_path, recipe="modern", cv=2, **TINY
    )
    assert all(r["status"] == "ok" for r in result.folds), result.folds
    params = result.recipe["mfcc"]
    assert params["crop_frames"] < 51 and params["lr_schedule"] == "cosine"
    report = (tmp_path / "report.md").read_text()
    assert "| mfcc | " + " | ".join(str(params[k]) for k in params) + " |" in report
    clf = result.best_pipeline.named_steps["classifier"]
    assert clf.crop_frames == params["crop_frames"] and clf.mixup == params["mixup"]


# --------------------------------------------------------------------------------------
# --n-jobs
# --------------------------------------------------------------------------------------
def test_plan_workers_never_oversubscribes_the_cores():
    assert plan_workers(-1, 7, 1, cores=2) == (2, 1)
    assert plan_workers(-1, 1, 1, cores=2) == (1, 1)  # one task: this process
    assert plan_workers(None, 7, None, cores=4) == (1, None)
    for n_jobs, threads, cores in [(-1, None, 8), (3, 4, 8), (16, 2, 4), (2, None, 3)]:
        workers, per = plan_workers(n_jobs, 10, threads, cores=cores)
        assert workers * per <= cores and per >= 1


def _log_and_negate(x):
    from sklearn_mgc._io import get_logger

    get_logger("sklearn_mgc.study").warning("task %d ran", x)
    return -x


def test_stream_runs_tasks_as_submitted_and_replays_their_logs(caplog):
    stream = TaskStream(_log_and_negate, n_workers=2, threads=1)
    with caplog.at_level(logging.WARNING, logger="sklearn_mgc"), stream:
        first = stream.submit([1, 2], keys=[1, 0])
        second = stream.submit([3], keys=[2])
        assert stream.wait(second + first) == [-3, -1, -2]
    assert sorted(r.getMessage() for r in caplog.records) == [f"task {i} ran" for i in (1, 2, 3)]


def test_stream_in_one_process_runs_the_smallest_key_first():
    ran = []
    with TaskStream(ran.append, n_workers=1, threads=None) as stream:
        handles = stream.submit(["c", "a", "b"], keys=[3, 1, 2])
        assert ran == []  # nothing runs before it is waited for
        stream.wait(handles[2:])
        assert ran == ["a", "b"]
        stream.wait(handles[:2])
    assert ran == ["a", "b", "c"]


@dataclass
class _Holder:
    big: np.ndarray
    small: np.ndarray


def _describe(task):
    return type(task.big).__name__, task.big.flags.writeable, float(task.big.sum()), task.small


def test_stream_shares_large_arrays_once_as_memory_maps():
    big, small = np.arange(2**19, dtype=np.float32), np.arange(3)
    with TaskStream(_describe, n_workers=2, threads=1) as stream:
        handles = stream.submit([_Holder(big, small), _Holder(big, small + 1)], keys=[0, 1])
        out = stream.wait(handles)
        assert len(os.listdir(stream._folder.name)) == 1  # written once for both tasks
        folder = stream._folder.name
    assert [o[:3] for o in out] == [("memmap", False, float(big.sum()))] * 2
    np.testing.assert_array_equal(out[1][3], small + 1)
    assert not os.path.exists(folder)  # removed when the stream closes


def _thread_limits(_):
    import torch

    return (
        os.environ.get("OMP_NUM_THREADS"),
        os.environ.get("OPENBLAS_NUM_THREADS"),
        (torch.get_num_threads()),
    )


def test_stream_workers_never_use_more_threads_than_their_share():
    with TaskStream(_thread_limits, n_workers=2, threads=1) as stream:
        assert stream.wait(stream.submit([0, 1], keys=[0, 1])) == [("1", "1", 1)] * 2


def _die(_):
    os._exit(3)


def test_stream_raises_when_a_worker_dies_instead_of_waiting_forever():
    with TaskStream(_die, n_workers=2, threads=1) as stream:
        handles = stream.submit([0, 1, 2], keys=[0, 1, 2])
        with pytest.raises(Exception, match="(?i)terminated|broken|exit"):
            stream.wait(handles)


def test_parallel_cells_are_identical_to_one_process(extraction, tmp_path):
    from sklearn_mgc.study.trials import evaluate_cells

    runs = []
    for n_jobs in (1, 2):
        config = _config(
            tmp_path, cv=2, n_jobs=n_jobs, max_epochs=2, model_params=TINY["model_params"]
        )
        runs.append(evaluate_cells(config, extraction))
    for one, two in zip(*runs):
        assert one.row["model"] == two.row["model"]
        np.testing.assert_array_equal(one.y_pred, two.y_pred)
        for a, b in zip(one.folds, two.folds):
            assert (a["accuracy"], a["macro_f1"]) == (b["accuracy"], b["macro_f1"])
        proba = [t.classifier.predict_proba(extraction.inputs(t.row["model"])) for t in (one, two)]
        np.testing.assert_array_equal(*proba)


def test_parallel_study_writes_the_same_results(tmp_path):
    keys = ("feature", "model", "kind", "fold", "accuracy", "macro_f1", "accuracy_low")
    tables, curves = [], []
    for n_jobs in (1, 2):
        out = tmp_path / f"jobs{n_jobs}"
        result = run_study(
            features=["mfcc", "mel"], models=["rf", "gru"], out_dir=out, n_jobs=n_jobs, **TINY
        )
        tables.append([tuple(r[k] for k in keys) for r in _read_csv(out / "results.csv")])
        drawn = [Path(f) for f in result.files if Path(f).name.startswith("learning_curves")]
        assert all(f.stat().st_size > 0 for f in drawn)  # drawn by the workers under n_jobs=2
        curves.append(sorted(f.name for f in drawn))
    assert tables[0] == tables[1]
    assert curves[0] == curves[1] == ["learning_curves_mel_gru.png", "learning_curves_mfcc_gru.png"]
    assert [(r[0], r[1]) for r in tables[0]] == [
        ("mfcc", "rf"),
        ("mfcc", "gru"),
        ("mel", "rf"),
        ("mel", "gru"),
    ]


def test_grid_of_two_representations_equals_each_alone(extraction, tmp_path):
    """One pool for the cells of several representations: the same trials, in order."""
    from sklearn_mgc.study.trials import evaluate_cells, evaluate_grid

    config = _config(tmp_path, n_jobs=2, max_epochs=2, model_params=TINY["model_params"])
    grid = evaluate_grid(config, [(extraction, ("gru",)), (extraction, ("rf", "gru"))])
    alone = [evaluate_cells(config, extraction, ("gru",)), evaluate_cells(config, extraction)]
    assert [[t.row["model"] for t in trials] for trials in grid] == [["gru"], ["rf", "gru"]]
    for got, expected in zip(sum(grid, []), sum(alone, [])):
        np.testing.assert_array_equal(got.y_pred, expected.y_pred)
        assert got.row["accuracy"] == expected.row["accuracy"]


def test_representations_wait_for_one_pool_only_in_parallel_on_the_cpu(extraction, tmp_path):
    from sklearn_mgc.study import runner

    parallel = _config(tmp_path, n_jobs=2)
    assert runner._may_hold(parallel, [extraction])
    assert not runner._may_hold(_config(tmp_path, n_jobs=1), [extraction])
    assert not runner._may_hold(_config(tmp_path, n_jobs=2, device="cuda"), [extraction])
    huge = Bunch(sequences=np.lib.stride_tricks.as_strided(np.zeros(1), (2**50,), (0,)))
    assert not runner._may_hold(parallel, [extraction, huge])


def test_summary_of_a_failed_fold_states_no_score():
    """A failed cell's summary row carries no score: not the first fold's as if the cell's."""
    folds = [
        dict(feature="mel", model="gru", accuracy=0.5, macro_f1=0.4, fit_seconds=1.0,
             predict_seconds=0.1, n_train=8, n_test=2, n_epochs=3, status="ok", kind="fold",
             fold=0),
        dict(feature="mel", model="gru", n_train=8, n_test=2, status="failed: X", kind="fold",
             fold=1),
    ]  # fmt: skip
    row = summarise_folds(folds)
    assert row["status"] == "failed: X"
    for key in ("accuracy", "macro_f1", "fit_seconds", "predict_seconds", "n_epochs"):
        assert row.get(key) is None, key
    assert row["n_test"] == 4  # the clips of every fold, as in a successful summary


@pytest.mark.skipif(
    not _networks_take_the_recipe(), reason="the networks' crop/augmentation parameters"
)
def test_report_states_the_recipe_values_the_networks_trained_with(tmp_path):
    params = {"gru": {"hidden_size": 4, "mixup": 0.5}}
    settings = {**TINY, "model_params": params}
    result = run_study(
        features=["mfcc"], models=["gru"], out_dir=tmp_path, recipe="modern", **settings
    )
    clf = result.best_pipeline.named_steps["classifier"]
    assert clf.mixup == 0.5
    assert result.recipe["mfcc"]["mixup"] == 0.5  # was the recipe's 0.2
    resolved = result.recipe["mfcc"]
    report = (tmp_path / "report.md").read_text()
    assert "| mfcc | " + " | ".join(str(resolved[k]) for k in resolved) + " |" in report


def test_recipe_values_that_differ_between_networks_are_all_reported():
    from sklearn_mgc.study.runner import _Run

    ex = Bunch(name="mfcc", sequences=np.zeros((4, 50, 3)), duration=0.5)
    config = Bunch(recipe="modern", model_params={"gru": {"mixup": 0.5}})
    run = _Run(config)
    for model in ("rf", "lstm", "gru", "cnn1d"):
        run.add_recipe(ex, model)
    assert list(run.recipe) == ["mfcc", "mfcc (gru)"]
    assert run.recipe["mfcc"]["mixup"] == MODERN_RECIPE["mixup"]
    assert run.recipe["mfcc (gru)"]["mixup"] == 0.5
    assert set(run.recipe["mfcc (gru)"]) == set(run.recipe["mfcc"])  # the recipe's keys only
