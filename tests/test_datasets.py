"""Tests of sklearn_mgc.datasets: make_genre_clips, load_gtzan and the splits."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sklearn_mgc.datasets import GENRES, make_genre_clips


# --------------------------------------------------------------------------------------
# make_genre_clips
# --------------------------------------------------------------------------------------
def test_make_genre_clips_shapes_dtype():
    X, y = make_genre_clips(3, duration=0.5, sr=8000, random_state=0)
    assert X.shape == (3 * len(GENRES), 4000)
    assert X.dtype == np.float32
    assert y.dtype == object and y.shape == (X.shape[0],)
    assert sorted(set(y)) == sorted(GENRES)
    assert all((y == g).sum() == 3 for g in GENRES)
    assert np.isfinite(X).all() and np.abs(X).max() <= 1.0
    # every clip is audible
    assert (np.sqrt((X.astype(float) ** 2).mean(1)) > 0.005).all()


def test_make_genre_clips_deterministic():
    X1, y1 = make_genre_clips(2, duration=0.5, random_state=3)
    X2, y2 = make_genre_clips(2, duration=0.5, random_state=3)
    X3, _ = make_genre_clips(2, duration=0.5, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    rng = np.random.default_rng(3)
    X4, _ = make_genre_clips(2, duration=0.5, random_state=rng)
    np.testing.assert_array_equal(X1, X4)


def test_make_genre_clips_genres_and_shuffle():
    X, y = make_genre_clips(2, duration=0.25, genres=3, shuffle=False, random_state=0)
    assert list(y) == [g for g in GENRES[:3] for _ in range(2)]
    X, y = make_genre_clips(2, duration=0.25, genres=["metal", "jazz"], shuffle=False,
                            random_state=0)
    assert list(y) == ["metal", "metal", "jazz", "jazz"]
    # the same clips, shuffled
    Xs, ys = make_genre_clips(2, duration=0.25, genres=["metal", "jazz"], random_state=0)
    assert sorted(map(bytes, Xs)) == sorted(map(bytes, X))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_clips_per_genre=0), "n_clips_per_genre"),
        (dict(n_clips_per_genre=2.5), "n_clips_per_genre"),
        (dict(duration=-1.0), "duration"),
        (dict(sr=100), "sr"),
        (dict(genres=1), "genres"),
        (dict(genres=["jazz", "polka"]), "genres"),
        (dict(genres="jazz"), "genres"),
    ],
)
def test_make_genre_clips_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_genre_clips(**kwargs)


@pytest.fixture(scope="module")
def synthetic_data():
    return make_genre_clips(10, duration=3.0, random_state=0)


def test_make_genre_clips_separable_by_mfcc(synthetic_data):
    librosa = pytest.importorskip("librosa")
    X, y = synthetic_data
    feats = np.array([librosa.feature.mfcc(y=x, sr=22050, n_mfcc=20).mean(axis=1) for x in X])
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    score = cross_val_score(RandomForestClassifier(100, random_state=0), feats, y, cv=cv).mean()
    assert score > 0.8


def test_make_genre_clips_not_separable_by_loudness(synthetic_data):
    librosa = pytest.importorskip("librosa")
    X, y = synthetic_data
    rms = np.sqrt((X.astype(np.float64) ** 2).mean(axis=1))
    frame_rms = np.array([librosa.feature.rms(y=x).mean() for x in X])
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    for feat in (rms, frame_rms):
        score = cross_val_score(RandomForestClassifier(100, random_state=0), feat[:, None], y,
                                cv=cv).mean()
        assert score < 0.4
