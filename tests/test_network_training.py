"""Tests of the training options of the networks: crops and windows, padding, augmentation,
learning-rate schedules, extra callbacks, and the input checks of issue 13."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback
from torch import nn

from sklearn_mgc.networks import (
    BaseNetClassifier,
    CNN1DClassifier,
    CNN2DClassifier,
    GRUClassifier,
    LSTMClassifier,
    MLPClassifier,
    TransformerClassifier,
)
from sklearn_mgc.networks._augment import mask_features, mask_time, mixup_batch
from sklearn_mgc.networks._crops import window_starts

SEQUENCE = [
    LSTMClassifier,
    GRUClassifier,
    CNN1DClassifier,
    CNN2DClassifier,
    TransformerClassifier,
]
ALL = [MLPClassifier, *SEQUENCE]


def tiny(Est, **kw):
    return Est(**{**Est.get_test_params(), "max_epochs": 2, **kw})


def toy(n=18, T=12, F=4, seed=0, positive=False):
    """Three classes that shift the first feature; ``positive``: no value is 0."""
    rng = np.random.RandomState(seed)
    y = np.array(["blues", "jazz", "rock"] * (n // 3), dtype=object)
    X = rng.randn(n, T, F).astype(np.float32)
    if positive:
        X = np.abs(X) + 0.5
    X[:, :, 0] += 2 * (np.arange(n) % 3)[:, None]
    return X, y


class Recorder(Callback):
    """Records the batches the net sees: (training?, X as numpy)."""

    def initialize(self):
        self.batches = []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        X = batch[0]
        if isinstance(X, dict):
            keep = torch.arange(X["windows"].shape[1])[None] < X["n_windows"][:, None]
            X = X["windows"][keep]
        self.batches.append((training, X.detach().numpy().copy()))


def recorder_of(clf):
    return dict(clf.net_.callbacks_)["recorder"]


# --------------------------------------------------------------------------- crops
@pytest.mark.parametrize("Est", SEQUENCE)
def test_crops_are_reproducible_and_give_clip_probabilities(Est):
    X, y = toy()
    a = tiny(Est, crop_frames=5, random_state=0, validation_fraction=0.3).fit(X, y)
    b = tiny(Est, crop_frames=5, random_state=0, validation_fraction=0.3).fit(X, y)
    pa = a.predict_proba(X)
    np.testing.assert_array_equal(pa, b.predict_proba(X))
    assert pa.shape == (len(X), 3)
    np.testing.assert_allclose(pa.sum(axis=1), 1.0, atol=1e-6)
    assert np.isfinite(a.history_[:, "valid_loss"]).all()


def named_frames(n, T):
    """Toy clips whose feature 0 names the clip (1..n) and feature 1 the frame (1..T)."""
    X, y = toy(n=n, T=T, positive=True)
    X[:, :, 0] = np.arange(1, n + 1)[:, None]
    X[:, :, 1] = np.arange(1, T + 1)[None, :]
    return X, y


def test_crops_differ_per_epoch_and_have_crop_length():
    X, y = named_frames(n=9, T=20)
    clf = tiny(
        GRUClassifier,
        crop_frames=6,
        max_epochs=3,
        standardize=False,
        validation_fraction=None,
        batch_size=9,
        callbacks=[("recorder", Recorder())],
    ).fit(X, y)
    train = [x for training, x in recorder_of(clf).batches if training]
    assert len(train) == 3 and all(x.shape == (9, 6, 4) for x in train)
    assert not np.array_equal(train[0], train[1])  # fresh crops every epoch
    for x in train:  # each crop: 6 consecutive frames of one clip
        assert (x[:, :, 0] == x[:, :1, 0]).all()
        np.testing.assert_array_equal(np.diff(x[:, :, 1], axis=1), 1.0)
        assert x[:, :, 1].min() >= 1 and x[:, :, 1].max() <= 20


def test_several_crops_per_clip_each_epoch():
    X, y = named_frames(n=9, T=20)
    clf = tiny(
        GRUClassifier,
        crop_frames=6,
        crops_per_clip=3,
        max_epochs=2,
        standardize=False,
        validation_fraction=None,
        batch_size=27,
        random_state=0,
        callbacks=[("recorder", Recorder())],
    ).fit(X, y)
    train = [x for training, x in recorder_of(clf).batches if training]
    assert len(train) == 2 and all(x.shape == (27, 6, 4) for x in train)
    for x in train:  # every clip three times, each a run of 6 consecutive frames
        assert sorted(x[:, 0, 0].tolist()) == sorted(list(range(1, 10)) * 3)
        np.testing.assert_array_equal(np.diff(x[:, :, 1], axis=1), 1.0)
        starts = {}
        for crop in x:
            starts.setdefault(crop[0, 0], set()).add(crop[0, 1])
        assert max(len(s) for s in starts.values()) > 1  # the crops of a clip differ


def test_one_crop_per_clip_draws_as_before():
    from sklearn_mgc.networks._crops import CropDataset

    X = torch.ones(5, 12, 2)
    X[2, 7:] = 0.0
    crops = CropDataset(X, torch.zeros(5), 4, seed=3)
    crops.set_epoch(2)
    room = np.array([8, 8, 3, 8, 8])
    np.testing.assert_array_equal(crops.starts, np.random.default_rng([3, 2]).integers(0, room + 1))
    three = CropDataset(X, torch.zeros(5), 4, seed=3, crops_per_clip=3)
    assert len(three) == 15 and (three.starts[5:] <= np.tile(room, 2)).all()


def test_crops_of_one_clip_never_on_both_sides_of_the_split():
    X, y = toy(n=24, T=15, positive=True)
    X[:, :, 0] = np.arange(1, 25)[:, None]  # feature 0 names the clip
    clf = tiny(
        CNN1DClassifier,
        crop_frames=4,
        crop_hop=2,
        max_epochs=3,
        standardize=False,
        validation_fraction=0.25,
        patience=None,
        random_state=0,
        callbacks=[("recorder", Recorder())],
    ).fit(X, y)
    seen = {True: set(), False: set()}
    for training, x in recorder_of(clf).batches:
        seen[training] |= set(np.unique(x[:, :, 0]).tolist())
    assert seen[True] and seen[False]
    assert not seen[True] & seen[False]
    assert len(seen[False]) == 6 and len(seen[True]) == 18


def test_short_clips_are_used_whole_and_padding_only_after_them():
    X, y = toy(n=9, T=10, positive=True)
    X[:, 3:] = 0.0  # 3 real frames, crops of 5
    clf = tiny(
        LSTMClassifier,
        crop_frames=5,
        standardize=False,
        validation_fraction=None,
        callbacks=[("recorder", Recorder())],
    ).fit(X, y)
    for _, x in recorder_of(clf).batches:
        assert (x[:, :3] != 0).all() and (x[:, 3:] == 0).all()
    assert np.isfinite(clf.predict_proba(X)).all()


def test_window_starts_cover_real_frames_and_end_on_the_last():
    assert window_starts(10, 4, 2) == [0, 2, 4, 6]
    assert window_starts(11, 4, 2) == [0, 2, 4, 6, 7]
    assert window_starts(4, 4, 2) == [0]
    assert window_starts(3, 4, 2) == [0]


@pytest.mark.parametrize("Est", [GRUClassifier, TransformerClassifier])
def test_predict_proba_is_the_mean_over_windows(Est):
    X, y = toy(T=16)
    clf = tiny(Est, crop_frames=6, crop_hop=4, random_state=0).fit(X, y)
    clip = X[:2, :13]  # 13 real frames: windows at 0, 4, 7
    windows = [clip[:, s : s + 6] for s in (0, 4, 7)]
    expected = np.mean([clf.predict_proba(w) for w in windows], axis=0)
    np.testing.assert_allclose(clf.predict_proba(clip), expected, atol=1e-6)


def test_crop_parameter_rules():
    X, y = toy()
    with pytest.raises(ValueError, match="crop_frames=4 only apply to sequence networks"):
        tiny(MLPClassifier, crop_frames=4).fit(X.mean(axis=1), y)
    with pytest.raises(ValueError, match="time_mask"):
        tiny(MLPClassifier, time_mask=(1, 2)).fit(X.mean(axis=1), y)
    with pytest.raises(ValueError, match="crop_hop=2 needs crop_frames"):
        tiny(GRUClassifier, crop_hop=2).fit(X, y)
    with pytest.raises(ValueError, match="crop_hop=1 needs crop_frames"):
        tiny(GRUClassifier, crop_hop=1).fit(X, y)
    with pytest.raises(ValueError, match="crops_per_clip=3 needs crop_frames"):
        tiny(GRUClassifier, crops_per_clip=3).fit(X, y)
    with pytest.raises(ValueError, match="crops_per_clip"):
        tiny(GRUClassifier, crops_per_clip=0).fit(X, y)
    with pytest.raises(ValueError, match="must not exceed crop_frames=3"):
        tiny(GRUClassifier, crop_frames=3, crop_hop=4).fit(X, y)
    with pytest.raises(ValueError, match="time_mask"):
        tiny(GRUClassifier, time_mask=(1,)).fit(X, y)


# --------------------------------------------------------------------------- padding
class _Probe(nn.Module):
    """Mean over frames, then linear; remembers the last input it saw."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.out = nn.Linear(n_features, n_classes)
        self.seen = None
        self.log = []  # (training?, input) of every call

    def forward(self, x):
        self.seen = x.detach().clone()
        self.log.append((self.training, self.seen.numpy()))
        return self.out(x.mean(dim=1))


class _ProbeClassifier(BaseNetClassifier):
    _architecture_params = {}

    def _build_module(self, n_features, n_frames, n_classes):
        return _Probe(n_features, n_classes)


def test_standardize_uses_real_frames_and_keeps_padding_at_zero():
    X, y = toy(n=6, T=10, positive=True)
    X[:3, 6:] = 0.0  # padding
    clf = _ProbeClassifier(max_epochs=1, batch_size=6, validation_fraction=None).fit(X, y)
    seen = clf.net_.module_.seen  # the whole training set in one batch (shuffled)
    padded = (seen == 0).all(dim=-1)
    assert int(padded.sum()) == 3 * 4  # padded frames stay exactly 0
    real = seen[~padded]
    np.testing.assert_allclose(real.mean(dim=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(real.std(dim=0, unbiased=False), 1.0, atol=1e-4)


def test_standardize_keeps_a_last_real_frame_that_equals_the_mean():
    """A real frame standardised to all zeros at a clip's end is still a real frame."""
    from sklearn_mgc.networks._masking import frame_lengths

    X = np.array([[1, 3, 2, 0], [3, 1, 2, 2], [2, 2, 3, 1], [2, 2, 1, 3]], np.float32)
    y = ["a", "b", "a", "b"]  # univariate, training mean exactly 2: the value 2 standardises to 0
    clf = _ProbeClassifier(max_epochs=1, batch_size=4, validation_fraction=None).fit(X, y)
    np.testing.assert_array_equal(clf._mean, [2.0])
    lengths = frame_lengths(clf._to_tensor(X)).tolist()
    assert lengths == [3, 4, 4, 4]  # the raw clips' real frames (clip 0 is padded once)
    np.testing.assert_allclose(clf._to_tensor(X)[1, 2:, 0], 0.0, atol=1e-30)  # values unchanged


@pytest.mark.parametrize("Est", SEQUENCE)
def test_padding_never_changes_probabilities(Est):
    X, y = toy(T=10)
    X[::2, 7:] = 0.0
    clf = tiny(Est, random_state=0).fit(X, y)
    clip = X[:1, :7]
    pad_T = np.concatenate([clip, np.zeros((1, 3, 4), np.float32)], axis=1)
    pad_2T = np.concatenate([clip, np.zeros((1, 13, 4), np.float32)], axis=1)
    np.testing.assert_allclose(clf.predict_proba(pad_T), clf.predict_proba(pad_2T), atol=1e-5)


# --------------------------------------------------------------------------- augmentation
def test_time_masks_stay_within_real_frames():
    x = torch.ones(4, 10, 3)
    x[:2, 6:] = 0.0
    out = mask_time(x, 2, 3, torch.Generator().manual_seed(0))
    masked = (out == 0).all(dim=-1)
    assert masked[:, :6].any()
    assert (out[:2, 6:] == 0).all()
    # at most 2 masks of 3 frames among the real frames
    assert masked[:2, :6].sum(dim=1).le(6).all() and masked[2:].sum(dim=1).le(6).all()
    assert mask_time(x, 0, 3, None) is x


def test_feature_masks_leave_padding_and_vectors_work():
    x = torch.ones(3, 8, 6)
    x[:, 5:] = 0.0
    out = mask_features(x, 1, 6, torch.Generator().manual_seed(1))
    assert (out[:, 5:] == 0).all()
    zeroed = (out[:, :5] == 0).all(dim=1)  # (B, F): features masked in every real frame
    assert zeroed.any() and ((out[:, :5] == 0) == zeroed[:, None, :]).all()
    vec = mask_features(torch.ones(5, 6), 2, 2, torch.Generator().manual_seed(0))
    assert (vec == 0).sum(dim=1).le(4).all()


def test_mixup_mixes_pairs_with_one_weight():
    x = torch.arange(4.0)[:, None].repeat(1, 3)
    mixed, perm, lam = mixup_batch(x, 0.4, torch.Generator().manual_seed(0))
    assert 0.0 <= lam <= 1.0
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x[perm])


@pytest.mark.parametrize("Est", [GRUClassifier, CNN2DClassifier, MLPClassifier])
def test_augmentation_is_reproducible_and_off_by_default(Est):
    X, y = toy()
    if Est is MLPClassifier:
        X = X.mean(axis=1)
        aug = {"freq_mask": (1, 2), "mixup": 0.4}
    else:
        aug = {"time_mask": (2, 3), "freq_mask": (1, 2), "mixup": 0.4}
    default = tiny(Est, random_state=0).fit(X, y).predict_proba(X)
    off = tiny(Est, random_state=0, time_mask=(0, 0), freq_mask=(0, 0), mixup=0.0)
    np.testing.assert_array_equal(off.fit(X, y).predict_proba(X), default)
    a = tiny(Est, random_state=0, **aug).fit(X, y).predict_proba(X)
    b = tiny(Est, random_state=0, **aug).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, default)


def test_masks_only_touch_training_batches():
    X, y = toy(n=12, T=10, positive=True)
    clf = _ProbeClassifier(
        time_mask=(2, 3),
        freq_mask=(1, 2),
        crop_frames=8,
        max_epochs=3,
        standardize=False,
        validation_fraction=0.25,
        random_state=0,
    ).fit(X, y)
    log = clf.net_.module_.log
    assert any((x == 0).any() for training, x in log if training)
    assert not any((x == 0).any() for training, x in log if not training)
    n_before = len(log)
    clf.predict_proba(X)
    assert len(log) > n_before
    assert not any((x == 0).any() for _, x in log[n_before:])


# --------------------------------------------------------------------------- schedules, callbacks
@pytest.mark.parametrize("schedule", ["cosine", "plateau", "onecycle"])
def test_lr_schedules_change_the_rate(schedule):
    X, y = toy()
    clf = tiny(GRUClassifier, lr_schedule=schedule, max_epochs=4, lr=0.01, batch_size=6)
    clf.fit(X, y)
    group = clf.net_.optimizer_.param_groups[0]
    if schedule == "plateau":
        assert "lr_schedule" in dict(clf.net_.callbacks_)
    else:
        assert group["lr"] != pytest.approx(0.01)
    if schedule == "onecycle":  # stepped every batch: 4 epochs x 3 batches of the 15 clips
        assert len(clf.history_[-1, "batches"]) == 3


def test_schedule_and_callbacks_survive_clone_params_pickle_and_grid_search():
    X, y = toy()
    clf = tiny(GRUClassifier, lr_schedule="onecycle", callbacks=[("recorder", Recorder())])
    params = clf.get_params()
    assert params["lr_schedule"] == "onecycle"
    twin = clone(clf)
    assert twin.lr_schedule == "onecycle"
    assert isinstance(twin.callbacks[0][1], Recorder)
    twin.set_params(lr_schedule="cosine", callbacks=None)
    assert (twin.lr_schedule, twin.callbacks) == ("cosine", None)
    clf.fit(X, y)
    assert not hasattr(clf.callbacks[0][1], "batches")  # the parameter is left untouched
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))
    grid = GridSearchCV(
        tiny(GRUClassifier),
        {"lr_schedule": [None, "cosine"], "callbacks": [None, [("recorder", Recorder())]]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.lr_schedule in (None, "cosine")


# --------------------------------------------------------------------------- input checks
@pytest.mark.parametrize("Est", ALL)
def test_zero_frames_or_features_are_named(Est):
    X, y = toy(n=6)
    if Est is MLPClassifier:
        with pytest.raises(ValueError, match="0 feature"):
            tiny(Est).fit(np.zeros((6, 0), np.float32), y)
        return
    for bad in (np.zeros((6, 0, 4), np.float32), np.zeros((6, 0), np.float32)):
        with pytest.raises(ValueError, match="0 frames"):
            tiny(Est).fit(bad, y)
    with pytest.raises(ValueError, match="0 features"):
        tiny(Est).fit(np.zeros((6, 5, 0), np.float32), y)
    clf = tiny(Est).fit(X, y)
    with pytest.raises(ValueError, match="0 frames"):
        clf.predict_proba(X[:, :0])


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values_are_named(Est, value):
    X, y = toy(n=6)
    if Est is MLPClassifier:
        X = X.mean(axis=1)
    bad = X.copy()
    bad[0, 0] = value
    with pytest.raises(ValueError, match="NaN|infinity"):
        tiny(Est).fit(bad, y)
    with pytest.raises(ValueError, match="NaN|infinity"):
        tiny(Est).fit(X, y).predict_proba(bad)


@pytest.mark.parametrize("Est", ALL)
def test_values_near_float32_max_give_no_nan(Est):
    rng = np.random.RandomState(0)
    X, y = toy(n=6, T=5)
    huge = (rng.rand(*X.shape) * 3e38).astype(np.float32)
    if Est is MLPClassifier:
        huge = huge[:, 0]
    proba = tiny(Est, random_state=0).fit(huge, y).predict_proba(huge)
    assert np.isfinite(proba).all()
    small = huge / np.float32(1e37)
    clf = tiny(Est, random_state=0).fit(small, y)
    try:  # 1e37 times the training scale: finite probabilities or a named error
        assert np.isfinite(clf.predict_proba(huge)).all()
    except ValueError as err:
        assert "too large" in str(err)
    try:
        proba = tiny(Est, standardize=False).fit(huge, y).predict_proba(huge)
        assert np.isfinite(proba).all()
    except ValueError as err:
        assert "too large" in str(err)


@pytest.mark.parametrize("crop_frames", [None, 4])
def test_predict_leaves_torchs_global_random_state_alone(crop_frames):
    # iterating a DataLoader draws a seed from torch's global generator: predicting changed
    # every random number a user's own torch code drew afterwards
    from sklearn_mgc import GRUClassifier

    X = np.random.default_rng(0).standard_normal((6, 8, 3)).astype(np.float32)
    clf = GRUClassifier(max_epochs=1, hidden_size=4, crop_frames=crop_frames, random_state=0)
    clf.set_params(validation_fraction=None).fit(X, [0, 1, 2] * 2)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    clf.predict_proba(X)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)
