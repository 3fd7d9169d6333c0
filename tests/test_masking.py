"""Padding never changes a result: the masks inside every sequence network.

A padded frame is a trailing frame whose features are all exactly 0
(:mod:`sklearn_mgc.networks._masking`). Each test pads the same clips to ``T`` and to
``2 T`` frames and checks that the outputs agree, and that a batch without padding still
computes exactly what the networks computed before masks existed.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_mgc._padding import real_frame_mask, real_lengths
from sklearn_mgc.networks import (
    AttentionPooling,
    CNN1DClassifier,
    CNN2DClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
)
from sklearn_mgc.networks._masking import frame_lengths, masked_mean, pooled_lengths
from sklearn_mgc.networks.cnn import CNN1DNet, CNN2DNet
from sklearn_mgc.networks.rnn import RecurrentAttentionNet
from sklearn_mgc.networks.transformer import TransformerNet

SEQUENCE = [LSTMClassifier, GRUClassifier, CNN1DClassifier, CNN2DClassifier, TransformerClassifier]

MODULES = {
    "gru": lambda: RecurrentAttentionNet(6, 3, cell="gru", hidden_size=5, n_layers=2),
    "lstm": lambda: RecurrentAttentionNet(6, 3, cell="lstm", hidden_size=5),
    "cnn1d": lambda: CNN1DNet(6, 3, channels=(8, 8), dense_size=8, kernel_size=5),
    "cnn1d_even_kernel": lambda: CNN1DNet(6, 3, channels=(8, 8), dense_size=8, kernel_size=4),
    "cnn2d": lambda: CNN2DNet(3, channels=(4, 8)),
    "cnn2d_even_kernel": lambda: CNN2DNet(3, channels=(4, 8), kernel_size=4),
    "cnn2d_k5_p3": lambda: CNN2DNet(3, channels=(4, 4, 4), kernel_size=5, pool_size=3),
    "cnn2d_stride": lambda: CNN2DNet(3, channels=(4, 8), downsampling="stride"),
    "cnn2d_stride_k5_p3": lambda: CNN2DNet(
        3, channels=(4, 4, 4), kernel_size=5, pool_size=3, downsampling="stride"
    ),
    "transformer": lambda: TransformerNet(6, 3, n_heads=2, n_layers=2),
    "transformer_patch3": lambda: TransformerNet(6, 3, d_model=8, n_heads=2, patch_size=3),
    "transformer_learned": lambda: TransformerNet(
        6, 3, d_model=8, n_heads=2, positional_encoding="learned", max_len=20
    ),
}


def clips(lengths, n_features=6, seed=0):
    """Random clips of the given lengths (no zero frame inside)."""
    rng = np.random.RandomState(seed)
    return [rng.randn(n, n_features).astype(np.float32) + 0.1 for n in lengths]


def pad(clip_list, T):
    out = np.zeros((len(clip_list), T, clip_list[0].shape[1]), dtype=np.float32)
    for i, c in enumerate(clip_list):
        out[i, : len(c)] = c
    return out


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_output_does_not_depend_on_padding(name):
    torch.manual_seed(0)
    net = MODULES[name]().eval()
    lengths = [40, 27, 33, 29, 40]  # two clips fill T = 40 exactly; all outlast the pooling
    xs = clips(lengths)
    with torch.no_grad():
        at_t = net(torch.from_numpy(pad(xs, 40)))
        at_2t = net(torch.from_numpy(pad(xs, 80)))
        alone = torch.cat([net(torch.from_numpy(x[None])) for x in xs])
    torch.testing.assert_close(at_t, at_2t, atol=1e-5, rtol=0)
    torch.testing.assert_close(alone, at_2t, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_short_clips_in_a_padded_batch_give_what_they_give_alone(name):
    """Clips shorter than the pooling windows, batched with long ones: as alone.

    Alone, such a clip is pooled with a window of its own length; padded, the window (and a
    later block's window) must not reach into the padding.
    """
    torch.manual_seed(0)
    net = MODULES[name]().eval()
    xs = clips([40, 1, 2, 4, 5, 8, 10])
    with torch.no_grad():
        batch = net(torch.from_numpy(pad(xs, 40)))
        alone = torch.cat([net(torch.from_numpy(x[None])) for x in xs])
    torch.testing.assert_close(batch, alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["gru", "lstm", "transformer", "cnn1d", "cnn2d_stride"])
def test_gradients_do_not_flow_from_padding(name):
    """In training mode too, a padded batch trains on the real frames only."""
    torch.manual_seed(0)
    net = MODULES[name]()
    net.train()
    for m in net.modules():  # dropout off: compare two forward passes exactly
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    x = torch.from_numpy(pad(clips([30, 12]), 30)).requires_grad_(True)
    net(x).sum().backward()
    assert x.grad[1, 12:].abs().max() == 0


def test_unpadded_batch_is_the_plain_computation():
    """Without padding the networks run exactly their unmasked computation."""
    torch.manual_seed(0)
    x = torch.randn(3, 21, 6)
    rnn = MODULES["lstm"]().eval()
    h, _ = rnn.rnn(x)
    expected = rnn.out(torch.bmm(torch.softmax(rnn.pool.score(h).squeeze(-1), 1)[:, None], h))
    assert torch.equal(rnn(x), expected.squeeze(1))
    gru = MODULES["gru"]().eval()  # on a CPU the GRU's own scan: equal up to rounding
    h, _ = gru.rnn(x)
    expected = gru.out(torch.bmm(torch.softmax(gru.pool.score(h).squeeze(-1), 1)[:, None], h))
    torch.testing.assert_close(gru(x), expected.squeeze(1), atol=1e-6, rtol=0)
    cnn = MODULES["cnn1d"]().eval()
    z = x.transpose(1, 2)
    for conv in cnn.convs:
        z = F.max_pool1d(F.leaky_relu(conv(z)), 3, 3)
    assert torch.equal(cnn(x), cnn.out(F.leaky_relu(cnn.dense(z.mean(dim=-1)))))
    cnn2d = MODULES["cnn2d"]().eval()  # the reference order: ReLU, then max-pooling
    z = x.unsqueeze(1)
    for conv in cnn2d.convs:
        z = F.max_pool2d(F.relu(conv(z)), 2, 2)
    assert torch.equal(cnn2d(x), cnn2d.out(z.mean(dim=(-2, -1))))
    tr = MODULES["transformer"]().eval()
    h = tr.encoder(tr.pos(x))
    assert torch.equal(tr(x), tr.out(tr.pool(h)))


def test_attention_pooling_mask():
    torch.manual_seed(0)
    pool = AttentionPooling(4)
    h = torch.randn(2, 7, 4)
    assert torch.equal(pool(h), pool(h, None))
    # all frames real: the same weights
    torch.testing.assert_close(pool(h, torch.ones(2, 7, dtype=torch.bool)), pool(h))
    mask = torch.arange(7)[None, :] < torch.tensor([[3], [7]])
    noisy = h.clone()
    noisy[0, 3:] = 1e6  # padded frames, however large, have no weight
    out = pool(noisy, mask)
    torch.testing.assert_close(out[0], pool(h[:1, :3])[0])
    torch.testing.assert_close(out[1], pool(h[1:])[0])


def test_pooled_lengths_and_masked_mean():
    lengths = torch.tensor([1, 2, 3, 8])
    assert pooled_lengths(lengths, 2).tolist() == [1, 1, 1, 4]
    assert pooled_lengths(None, 2) is None
    x = torch.arange(8.0).repeat(4, 1)
    assert masked_mean(x, lengths).tolist() == [0.0, 0.5, 1.0, 3.5]
    assert torch.equal(masked_mean(x, None), x.mean(dim=1))
    # an all-silent clip still has one real frame
    assert frame_lengths(torch.zeros(1, 5, 2)).tolist() == [1]


def test_numpy_and_torch_padding_rules_agree():
    """``_padding.real_lengths`` (numpy) and ``frame_lengths`` (torch) are one rule."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 9, 3).astype(np.float32)
    X[rng.rand(40, 9) < 0.3] = 0.0  # silent frames anywhere, inside or trailing
    X[:3] = 0.0  # all-silent clips
    X[5, :, 1] = 0.0  # a feature that is zero everywhere
    X[6, -1] = [0.0, -0.0, np.nan]  # NaN is not padding
    expected = frame_lengths(torch.from_numpy(X)).numpy()
    np.testing.assert_array_equal(real_lengths(X), expected)
    np.testing.assert_array_equal(real_lengths(torch.from_numpy(X)), expected)
    mask = real_frame_mask(X)
    np.testing.assert_array_equal(mask.sum(axis=1), expected)
    np.testing.assert_array_equal(real_frame_mask(X, expected), mask)
    assert real_lengths(np.zeros((0, 4, 2))).shape == (0,)


def _padded_pair(n_frames=24, seed=0):
    """Training data with clips of varied lengths, and one clip padded to T and to 2 T."""
    rng = np.random.RandomState(seed)
    y = np.arange(30) % 3
    X = rng.randn(30, n_frames, 6).astype(np.float32) + 0.1
    X[:, :, 0] += y[:, None]
    for i, n in enumerate(rng.randint(6, n_frames + 1, size=30)):
        X[i, n:] = 0.0
    return X, y


@pytest.mark.parametrize("Est", SEQUENCE)
def test_predict_proba_does_not_depend_on_padding(Est):
    X, y = _padded_pair()
    params = {**Est.get_test_params(), "max_epochs": 2, "random_state": 0, "standardize": False}
    if Est is TransformerClassifier:
        params["patch_size"] = 2
    clf = Est(**params).fit(X, y)
    X2 = np.concatenate([X, np.zeros_like(X)], axis=1)  # the same clips padded to 2 T
    np.testing.assert_allclose(clf.predict_proba(X), clf.predict_proba(X2), atol=1e-5)


def test_cnn2d_downsampling_stride():
    """The strided variant has the reference's weights, and downsamples in its convolutions."""
    X, y = _padded_pair()
    ref = CNN2DClassifier(channels=(4, 8), max_epochs=2, random_state=0).fit(X, y)
    fast = CNN2DClassifier(
        channels=(4, 8), max_epochs=2, random_state=0, downsampling="stride"
    ).fit(X, y)
    shapes = [p.shape for p in ref.net_.module_.parameters()]
    assert [p.shape for p in fast.net_.module_.parameters()] == shapes
    assert [c.stride for c in fast.net_.module_.convs] == [(2, 2), (2, 2)]
    assert fast.predict_proba(X[:, :1]).shape == (30, 3)  # one frame: no failure
    with pytest.raises(ValueError, match="downsampling"):
        CNN2DClassifier(downsampling="avg").fit(X, y)


# ----------------------------------------------------------------------- Transformer patches
def test_patch_size_one_is_the_reference_architecture():
    """``patch_size=1`` adds no parameter and computes what the reference network computes."""
    X, y = _padded_pair()
    X = X + 0.5  # no padding: the reference network had no masks
    a = TransformerClassifier(n_heads=2, n_layers=1, max_epochs=2, random_state=0).fit(X, y)
    b = TransformerClassifier(
        n_heads=2, n_layers=1, max_epochs=2, random_state=0, patch_size=1
    ).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    module = a.net_.module_
    assert isinstance(module.proj, torch.nn.Identity)
    assert not any(k.startswith("proj") for k in module.state_dict())


@pytest.mark.parametrize("T", [12, 13, 14, 15])
def test_patch_tokens_shapes_and_masks(T):
    torch.manual_seed(0)
    net = TransformerNet(6, 3, d_model=8, n_heads=2, n_layers=1, patch_size=4).eval()
    seen = {}
    net.encoder.register_forward_hook(lambda m, args, out: seen.update(shape=out.shape))
    assert net(torch.randn(2, T, 6)).shape == (2, 3)
    assert seen["shape"] == (2, -(-T // 4), 8)
    assert net.proj.in_features == 24


def test_transformer_classifier_patch_size_fit_and_learned_positions():
    X, y = _padded_pair(n_frames=22)
    clf = TransformerClassifier(
        d_model=8,
        n_heads=2,
        n_layers=1,
        max_epochs=2,
        random_state=0,
        patch_size=4,
        positional_encoding="learned",
        standardize=False,
    ).fit(X, y)
    assert clf.net_.module_.pos.table.shape == (6, 8)  # ceil(22 / 4) tokens
    # a longer input at predict time: the padding of a clip never changes its probabilities
    X3 = np.concatenate([X, np.zeros((30, 40, 6), np.float32)], axis=1)
    np.testing.assert_allclose(clf.predict_proba(X), clf.predict_proba(X3), atol=1e-5)
    with pytest.raises(ValueError, match="patch_size"):
        TransformerClassifier(patch_size=0).fit(X, y)
