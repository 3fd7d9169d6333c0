"""Tests for sklearn_mgc.networks: the scikit-learn contract of the six network classifiers."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_mgc.networks import (
    BaseNetClassifier,
    CNN1DClassifier,
    CNN2DClassifier,
    GRUClassifier,
    LSTMClassifier,
    MLPClassifier,
    TransformerClassifier,
)

ALL = [
    MLPClassifier,
    LSTMClassifier,
    GRUClassifier,
    CNN1DClassifier,
    CNN2DClassifier,
    TransformerClassifier,
]
SEQUENCE = [E for E in ALL if E is not MLPClassifier]


def tiny(Est, **kw):
    params = {**Est.get_test_params(), "max_epochs": 3}
    params.update(kw)
    return Est(**params)


def toy(Est, n=24, T=12, F=4, labels=("rock", "jazz", "blues"), seed=0):
    """Separable toy data: the class shifts the mean of the first feature."""
    rng = np.random.RandomState(seed)
    y = np.array([labels[i % len(labels)] for i in range(n)], dtype=object)
    code = np.searchsorted(np.sort(labels), y).astype(np.float32)
    if Est is MLPClassifier:
        X = rng.randn(n, F).astype(np.float32)
        X[:, 0] += 3 * code
    else:
        X = rng.randn(n, T, F).astype(np.float32)
        X[:, :, 0] += 3 * code[:, None]
    return X, y


# --------------------------------------------------------------------------- basic contract
@pytest.mark.parametrize("Est", ALL)
def test_fit_predict_shapes_string_labels(Est):
    X, y = toy(Est)
    clf = tiny(Est).fit(X, y)
    assert clf.classes_.tolist() == ["blues", "jazz", "rock"]
    pred = clf.predict(X)
    assert pred.shape == (len(X),)
    assert set(pred) <= set(y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert 0.0 <= clf.score(X, y) <= 1.0
    assert clf.n_features_in_ == X.shape[-1]
    # learning history: one row per epoch with train/valid curves
    assert len(clf.history_) == 3
    assert len(clf.history_[:, "train_loss"]) == 3
    assert len(clf.history_[:, "train_acc"]) == 3


@pytest.mark.parametrize("Est", ALL)
def test_integer_labels_and_reproducibility(Est):
    X, y = toy(Est)
    y_int = np.searchsorted(np.unique(y), y) * 10 + 5  # labels 5, 15, 25
    a = tiny(Est, random_state=3, validation_fraction=0.25, patience=2).fit(X, y_int)
    b = tiny(Est, random_state=3, validation_fraction=0.25, patience=2).fit(X, y_int)
    assert a.classes_.tolist() == [5, 15, 25]
    assert set(a.predict(X)) <= {5, 15, 25}
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)
    # validation curves are recorded when a split is used
    assert len(a.history_[:, "valid_loss"]) == len(a.history_)
    assert len(a.history_[:, "valid_acc"]) == len(a.history_)
    # the global torch RNG is left as it was
    state = torch.random.get_rng_state()
    tiny(Est, random_state=0).fit(X, y_int)
    assert torch.equal(state, torch.random.get_rng_state())


@pytest.mark.parametrize("Est", ALL)
def test_clone_is_unfitted_and_params_searchable(Est):
    clf = tiny(Est)
    X, y = toy(Est)
    clf.fit(X, y)
    c = clone(clf)
    assert not hasattr(c, "net_")
    assert c.get_params() == clf.get_params()


@pytest.mark.parametrize("Est", ALL)
def test_pickle_and_joblib_round_trip(Est, tmp_path):
    X, y = toy(Est)
    # with the default validation split and early stopping callbacks
    clf = tiny(Est, random_state=0, validation_fraction=0.25, patience=2).fit(X, y)
    expected = clf.predict_proba(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    path = tmp_path / "clf.joblib"
    joblib.dump(clf, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


@pytest.mark.parametrize("Est", SEQUENCE)
@pytest.mark.parametrize("T", [1, 2, 5])
def test_short_sequences_do_not_crash(Est, T):
    X, y = toy(Est, T=T)
    clf = tiny(Est, max_epochs=1).fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 3)
    # another sequence length at predict time (3-D input)
    X2, _ = toy(Est, T=T + 7)
    assert clf.predict(X2).shape == (len(X2),)


@pytest.mark.parametrize("Est", SEQUENCE)
def test_univariate_2d_input(Est):
    X, y = toy(Est, F=1)
    X2 = X[:, :, 0]
    clf = tiny(Est).fit(X2, y)
    assert clf.n_features_in_ == X2.shape[1]
    assert clf.predict_proba(X2).shape == (len(X2), 3)
    # 2-D fit: the sequence length is the number of features, as scikit-learn requires
    with pytest.raises(ValueError, match="features"):
        clf.predict(X2[:, :-1])
    with pytest.raises(ValueError, match="fitted on 2-D"):
        clf.predict(X)


@pytest.mark.parametrize("Est", ALL)
def test_wrong_n_features_at_predict(Est):
    X, y = toy(Est, F=4)
    clf = tiny(Est).fit(X, y)
    X_bad, _ = toy(Est, F=5)
    with pytest.raises(ValueError, match="X has 5 features, but .* is expecting 4 features"):
        clf.predict(X_bad)
    with pytest.raises(ValueError, match="X has 5 features"):
        clf.predict_proba(X_bad)
    if Est is not MLPClassifier:
        with pytest.raises(ValueError, match="3-D"):
            clf.predict(X[:, :, 0])


def test_mlp_rejects_3d_input_with_hint():
    X, y = toy(GRUClassifier)
    with pytest.raises(ValueError, match="TemporalMean"):
        tiny(MLPClassifier).fit(X, y)
    clf = tiny(MLPClassifier).fit(X.mean(axis=1), y)
    with pytest.raises(ValueError, match="TemporalMean"):
        clf.predict(X)


def test_transformer_head_mismatch_and_projection():
    X, y = toy(TransformerClassifier, F=6)
    with pytest.raises(ValueError, match=r"n_heads=4 must divide .*n_features = 6"):
        tiny(TransformerClassifier, d_model=None, n_heads=4).fit(X, y)
    with pytest.raises(ValueError, match=r"n_heads=3 must divide .*d_model=8"):
        tiny(TransformerClassifier, d_model=8, n_heads=3).fit(X, y)
    clf = tiny(TransformerClassifier, d_model=None, n_heads=3).fit(X, y)
    assert clf.predict(X).shape == (len(X),)


def test_transformer_learned_positions_longer_sequences():
    X, y = toy(TransformerClassifier, T=10)
    clf = tiny(TransformerClassifier, positional_encoding="learned").fit(X, y)
    assert clf.net_.module_.pos.table.shape == (10, 8)
    X_long, _ = toy(TransformerClassifier, T=25)
    assert clf.predict_proba(X_long).shape == (len(X_long), 3)
    with pytest.raises(ValueError, match="positional_encoding"):
        tiny(TransformerClassifier, positional_encoding="rotary").fit(X, y)


@pytest.mark.parametrize("Est", ALL)
def test_class_weight_balanced_and_dict(Est):
    X, y = toy(Est, n=30)
    y = y.copy()
    y[:4] = "blues"  # imbalance
    clf = tiny(Est, class_weight="balanced").fit(X, y)
    w = clf.net_.criterion_.weight.numpy()
    counts = np.array([np.sum(y == c) for c in clf.classes_])
    np.testing.assert_allclose(w, len(y) / (3 * counts), rtol=1e-6)
    clf = tiny(Est, class_weight={"blues": 2.0, "jazz": 1.0, "rock": 1.0}).fit(X, y)
    np.testing.assert_allclose(clf.net_.criterion_.weight.numpy(), [2.0, 1.0, 1.0])


def test_errors_and_early_stopping():
    X, y = toy(GRUClassifier)
    with pytest.raises(ValueError, match="at least 2 classes"):
        tiny(GRUClassifier).fit(X, np.array(["rock"] * len(X)))
    with pytest.raises(ValueError, match="optimizer"):
        tiny(GRUClassifier, optimizer="lbfgsx").fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction"):
        tiny(GRUClassifier, validation_fraction=1.5).fit(X, y)
    # another optimizer by name or class
    tiny(GRUClassifier, optimizer="sgd").fit(X, y)
    tiny(GRUClassifier, optimizer=torch.optim.Adam).fit(X, y)
    # patience stops training early (lr 0: the validation loss never improves)
    clf = tiny(GRUClassifier, lr=0.0, max_epochs=50, validation_fraction=0.25, patience=2)
    clf.fit(X, y)
    assert len(clf.history_) < 50


def test_verbose_prints_progress(capsys):
    X, y = toy(GRUClassifier)
    tiny(GRUClassifier, verbose=1, max_epochs=2).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out
    tiny(GRUClassifier, verbose=0, max_epochs=2).fit(X, y)
    assert capsys.readouterr().out == ""


def test_standardize_option():
    X, y = toy(GRUClassifier)
    X = X * 1000 + 500
    clf = tiny(GRUClassifier).fit(X, y)
    assert clf._mean.shape == (X.shape[2],)
    raw = tiny(GRUClassifier, standardize=False).fit(X, y)
    assert raw.predict(X).shape == (len(X),)


def test_base_class_is_abstract():
    X, y = toy(MLPClassifier)
    with pytest.raises(NotImplementedError):
        BaseNetClassifier(max_epochs=1).fit(X, y)


# --------------------------------------------------------------------------- learning
@pytest.fixture(scope="module")
def genre_sequences():
    from sklearn_mgc.datasets import make_genre_clips
    from sklearn_mgc.features.spectral import MFCCFeatures

    X, y = make_genre_clips(8, duration=1.5, genres=5, random_state=0)
    seq = MFCCFeatures(output="sequence", duration=1.5, hop_ms=40.0).fit_transform(X)
    return seq, y


LEARN = {
    MLPClassifier: dict(hidden_sizes=(32, 16), dropout=0.1),
    LSTMClassifier: dict(hidden_size=8),
    GRUClassifier: dict(hidden_size=8),
    CNN1DClassifier: dict(channels=(16, 16), dense_size=16, dropout=0.1),
    CNN2DClassifier: dict(channels=(8, 8)),
    TransformerClassifier: dict(n_heads=2, n_layers=1, dim_feedforward=16),
}


@pytest.mark.parametrize("Est", ALL)
def test_learns_genres_above_chance(Est, genre_sequences):
    seq, y = genre_sequences
    X = seq.mean(axis=1) if Est is MLPClassifier else seq
    rng = np.random.RandomState(0)
    test = np.zeros(len(y), bool)
    for g in np.unique(y):  # 3 of 8 clips per genre held out
        test[rng.choice(np.flatnonzero(y == g), 3, replace=False)] = True
    clf = Est(
        **LEARN[Est],
        max_epochs=25,
        lr=0.01,
        batch_size=8,
        validation_fraction=None,
        patience=None,
        random_state=0,
    )
    clf.fit(X[~test], y[~test])
    acc = clf.score(X[test], y[test])
    assert acc >= 0.5, acc  # chance is 0.2 (5 genres)


def test_pipeline_cross_val_and_grid_search(genre_sequences):
    from sklearn_mgc.features.pooling import TemporalMean

    seq, y = genre_sequences
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    gru = GRUClassifier(
        hidden_size=8,
        max_epochs=15,
        lr=0.01,
        batch_size=8,
        validation_fraction=None,
        patience=None,
        random_state=0,
    )
    scores = cross_val_score(gru, seq, y, cv=cv)
    assert scores.shape == (2,) and scores.mean() > 0.4

    pipe = Pipeline(
        [
            ("pool", TemporalMean()),
            (
                "clf",
                MLPClassifier(
                    hidden_sizes=(16,),
                    dropout=0.0,
                    max_epochs=15,
                    lr=0.01,
                    batch_size=8,
                    validation_fraction=None,
                    random_state=0,
                ),
            ),
        ]
    )
    grid = GridSearchCV(pipe, {"clf__hidden_sizes": [(8,), (16,)]}, cv=cv).fit(seq, y)
    assert grid.best_params_["clf__hidden_sizes"] in [(8,), (16,)]
    assert grid.predict(seq[:3]).shape == (3,)

    grid = GridSearchCV(clone(gru).set_params(max_epochs=5), {"hidden_size": [4, 8]}, cv=cv).fit(
        seq, y
    )
    assert set(grid.predict(seq)) <= set(y)


def test_pipeline_on_real_clips(gtzan_mini):
    from sklearn_mgc.features.spectral import MelFeatures

    root = gtzan_mini
    files, labels = [], []
    for genre in ("classical", "metal"):
        paths = sorted((root / "genres_original" / genre).glob("*.wav"))[:3]
        files += [str(p) for p in paths]
        labels += [genre] * len(paths)
    assert len(files) >= 4
    y = np.array(labels, dtype=object)
    pipe = Pipeline(
        [
            ("feat", MelFeatures(output="sequence", duration=3.0, hop_ms=50.0)),
            (
                "clf",
                GRUClassifier(
                    hidden_size=4, max_epochs=2, validation_fraction=None, random_state=0
                ),
            ),
        ]
    )
    pipe.fit(files, y)
    pred = pipe.predict(files[:2])
    assert pred.shape == (2,) and set(pred) <= {"classical", "metal"}


def test_transformer_attention_dropout_is_separate():
    # attention-weight dropout disables PyTorch's fused attention kernel (T x T matrices in memory)
    X = np.random.default_rng(0).standard_normal((12, 6, 4)).astype(np.float32)
    y = np.array(["a", "b"] * 6)
    clf = TransformerClassifier(
        n_heads=2, n_layers=2, dropout=0.3, max_epochs=1, random_state=0
    ).fit(X, y)
    layers = clf.net_.module_.encoder.layers
    assert all(layer.self_attn.dropout == 0.0 and layer.dropout1.p == 0.3 for layer in layers)
    clf = TransformerClassifier(n_heads=2, n_layers=1, attention_dropout=0.2, max_epochs=1).fit(
        X, y
    )
    assert clf.net_.module_.encoder.layers[0].self_attn.dropout == 0.2


# an architecture size to search, per network
GRID = {
    MLPClassifier: {"clf__hidden_sizes": [(8,), (16,)]},
    LSTMClassifier: {"clf__hidden_size": [4, 8]},
    GRUClassifier: {"clf__hidden_size": [4, 8]},
    CNN1DClassifier: {"clf__dense_size": [8, 16]},
    CNN2DClassifier: {"clf__channels": [(4, 4), (8, 8)]},
    TransformerClassifier: {"clf__dim_feedforward": [8, 16]},
}


def _raw_audio_pipeline(Est, duration, hop_ms):
    from sklearn_mgc.features.pooling import TemporalMean
    from sklearn_mgc.features.spectral import MFCCFeatures

    steps = [("feat", MFCCFeatures(output="sequence", duration=duration, hop_ms=hop_ms))]
    if Est is MLPClassifier:
        steps.append(("pool", TemporalMean()))
    clf = Est(
        **LEARN[Est],
        max_epochs=4,
        lr=0.01,
        batch_size=8,
        validation_fraction=None,
        patience=None,
        random_state=0,
    )
    return Pipeline(steps + [("clf", clf)])


@pytest.mark.parametrize("Est", ALL)
def test_each_network_in_pipeline_grid_search_and_cross_val_score(Est):
    from sklearn_mgc.datasets import make_genre_clips

    X, y = make_genre_clips(4, duration=1.0, genres=3, random_state=1)
    pipe = _raw_audio_pipeline(Est, duration=1.0, hop_ms=40.0)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    grid = GridSearchCV(pipe, GRID[Est], cv=cv).fit(X, y)
    ((name, values),) = GRID[Est].items()
    assert grid.best_params_[name] in values
    assert set(grid.predict(X[:4])) <= set(y)


@pytest.mark.parametrize("Est", ALL)
def test_each_network_on_real_clips(Est, gtzan_files):
    chosen = [(f, g) for f, g in gtzan_files if g in ("classical", "metal")][::3]
    files = [f for f, _ in chosen]
    y = np.array([g for _, g in chosen], dtype=object)
    pipe = _raw_audio_pipeline(Est, duration=3.0, hop_ms=50.0).fit(files, y)
    proba = pipe.predict_proba(files)
    assert proba.shape == (len(files), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(pipe.predict(files)) <= {"classical", "metal"}
