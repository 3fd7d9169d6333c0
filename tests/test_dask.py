"""Scaling out: the same code under ``joblib.parallel_backend("dask")`` and a shared cache.

A :class:`dask.distributed.LocalCluster` with two worker *processes* on the loopback
interface stands in for a multi-machine cluster: feature extraction (``n_jobs=-1``),
``cross_val_score`` and ``GridSearchCV`` run unchanged under joblib's Dask backend and give
the same results as a single-process run. A second test makes several processes write the
same per-file cache entries at the same time.
"""

import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_mgc import MFCCFeatures
from sklearn_mgc._cache import FeatureCache
from sklearn_mgc.datasets import make_genre_clips

SR = 22050
ROOT = Path(__file__).resolve().parents[1]  # the writers import this checkout


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Twelve synthetic clips of 3 genres written as WAV files, and their genres."""
    X, y = make_genre_clips(4, duration=2.0, sr=SR, genres=3, random_state=0)
    folder = tmp_path_factory.mktemp("clips")
    paths = []
    for i, wave in enumerate(X):
        path = folder / f"clip{i:02d}.wav"
        sf.write(path, wave, SR, subtype="FLOAT")
        paths.append(str(path))
    return paths, y


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # port / resource notices of a local test cluster
        cluster = distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _pipeline():
    return Pipeline(
        [
            ("feat", MFCCFeatures(output="mean", duration=2.0, n_jobs=-1)),
            ("clf", RandomForestClassifier(n_estimators=10, random_state=0)),
        ]
    )


def test_feature_extraction_under_dask_equals_single_process(dask_client, clips):
    paths, _ = clips
    expected = MFCCFeatures(output="mean", duration=2.0).fit_transform(paths)
    from dask.distributed import get_task_stream

    with get_task_stream(client=dask_client) as stream, joblib.parallel_backend("dask"):
        got = MFCCFeatures(output="mean", duration=2.0, n_jobs=-1).fit_transform(paths)
    assert got.shape == expected.shape == (12, 60)
    assert got.dtype == np.float32
    # workers may run BLAS with other thread counts: equal up to float32 rounding
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    # the clips were processed by the cluster's worker processes
    assert len(stream.data) > 0
    assert {task["worker"] for task in stream.data} <= set(dask_client.scheduler_info()["workers"])


def test_cross_val_score_and_grid_search_under_dask(dask_client, clips):
    paths, y = clips
    cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    grid = {"feat__n_mfcc": [13, 20], "clf__max_depth": [4]}

    expected_cv = cross_val_score(_pipeline().set_params(feat__n_jobs=None), paths, y, cv=cv)
    expected_gs = GridSearchCV(_pipeline().set_params(feat__n_jobs=None), grid, cv=cv).fit(paths, y)

    with joblib.parallel_backend("dask"):
        got_cv = cross_val_score(_pipeline(), paths, y, cv=cv, n_jobs=-1)
        got_gs = GridSearchCV(_pipeline(), grid, cv=cv, n_jobs=-1).fit(paths, y)

    np.testing.assert_allclose(got_cv, expected_cv)
    assert got_gs.best_params_ == expected_gs.best_params_
    np.testing.assert_allclose(
        got_gs.cv_results_["mean_test_score"], expected_gs.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(got_gs.predict(paths), expected_gs.predict(paths))
    # synthetic genres are easy: the search learns well above chance (1/3)
    assert got_gs.best_score_ > 0.5


# A second writer runs as a separate Python process (not a fork of this one, whose Dask
# client threads would not survive a fork).
_WRITER = """
import sys
import numpy as np
from sklearn_mgc import MFCCFeatures
paths = sys.argv[2:]
feat = MFCCFeatures(output="sequence", duration=2.0, cache_dir=sys.argv[1])
out = feat.fit_transform(paths[::-1] * 2)
np.save(sys.argv[1] + "-writer.npy", out[::-1][: len(paths)])
"""


def test_cache_written_by_concurrent_processes(clips, tmp_path):
    """Three processes fill the same cache entries at once: ``n_jobs=2`` here, one more outside."""
    paths, _ = clips
    cache = tmp_path / "cache"
    expected = MFCCFeatures(output="sequence", duration=2.0).fit_transform(paths)
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(cache), *paths], cwd=ROOT)
    # the same files three times over: both worker processes compute and write each entry
    est = MFCCFeatures(output="sequence", duration=2.0, cache_dir=cache, n_jobs=2)
    ours = est.fit_transform(paths * 3)
    assert writer.wait(timeout=300) == 0
    results = [ours[i * 12 : (i + 1) * 12] for i in range(3)] + [
        np.load(tmp_path / "cache-writer.npy")
    ]
    entries = sorted(cache.rglob("*.mgc"))
    assert len(entries) == len(paths)  # one entry per file, whoever wrote it last
    assert not list(cache.rglob("*.tmp"))
    for entry in entries:
        frames = FeatureCache(cache, "MFCCFeatures").get(entry.stem)  # checked on read
        assert frames.dtype == np.float32 and frames.ndim == 2 and frames.shape[1] == 60
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-4)
    # a later run reads the entries back and gives the same features
    again = MFCCFeatures(output="sequence", duration=2.0, cache_dir=cache).fit_transform(paths)
    np.testing.assert_allclose(again, expected, rtol=1e-5, atol=1e-4)
