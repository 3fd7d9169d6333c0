"""Tests of the int8 convolutions of ``dtype="int8"`` (sklearn_mgc.features._int8)."""

import pickle

import pytest

torch = pytest.importorskip("torch")

from sklearn_mgc.features import _int8  # noqa: E402
from sklearn_mgc.features._int8 import (  # noqa: E402
    Int8Conv1d,
    NormedConv1d,
    fold_group_norms,
    is_plain_conv1d,
    quantize_convolutions,
)
from sklearn_mgc.features._pretrained import _quantize_int8  # noqa: E402


def _cosine(a, b):
    a, b = a.double().flatten(), b.double().flatten()
    return float(a @ b / (a.norm() * b.norm()))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kernel, stride", [(3, 2), (2, 2), (4, 1), (5, 3)])
def test_int8_conv_equals_the_float_conv(kernel, stride, bias):
    torch.manual_seed(kernel * 10 + stride)
    conv = torch.nn.Conv1d(96, 40, kernel, stride=stride, bias=bias)
    if bias:
        torch.nn.init.uniform_(conv.bias, -1.0, 1.0)
    x = torch.nn.functional.gelu(torch.randn(3, 96, 257))
    quantized = Int8Conv1d(conv)
    with torch.inference_mode():
        ref = conv(x)
        out = quantized(x)
        # an input laid out channels-last (as Int8Conv1d's own output) gives the same result
        out_cl = quantized(x.transpose(1, 2).contiguous().transpose(1, 2))
    assert out.shape == ref.shape and out.dtype == torch.float32
    assert _cosine(out, ref) >= 0.999
    assert torch.equal(out, out_cl)
    assert not torch.equal(out, ref)  # it did run in int8
    # per output channel too
    per_channel = torch.nn.functional.cosine_similarity(out, ref, dim=2)
    assert per_channel.min() > 0.99


def test_int8_conv_in_blocks_equals_one_block(monkeypatch):
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(64, 32, 3, stride=2)
    x = torch.randn(2, 64, 2001)  # 1000 output frames
    quantized = Int8Conv1d(conv)
    with torch.inference_mode():
        whole = quantized(x)
        monkeypatch.setattr(_int8, "_BLOCK_ROWS", 150)  # 75 frames per block, the last one 25
        blocks = quantized(x)
        ref = conv(x)
    assert blocks.shape == whole.shape == ref.shape
    assert _cosine(blocks, ref) >= 0.999
    assert _cosine(blocks, whole) >= 0.999  # not equal: activations are quantized per block


def test_int8_conv_input_too_short():
    quantized = Int8Conv1d(torch.nn.Conv1d(64, 8, 4, stride=2))
    with pytest.raises(RuntimeError, match="shorter than the kernel"):
        quantized(torch.randn(1, 64, 3))


def test_only_plain_convolutions_are_replaced():
    from torch.nn.utils.parametrizations import weight_norm

    class MyConv(torch.nn.Conv1d):
        pass

    net = torch.nn.ModuleDict(
        {
            "plain": torch.nn.Conv1d(64, 64, 4, stride=2),
            "small": torch.nn.Conv1d(1, 64, 10, stride=5),  # 1 x 10 < 256
            "padded": torch.nn.Conv1d(64, 64, 4, padding=2),
            "same": torch.nn.Conv1d(64, 64, 3, padding="same"),
            "grouped": torch.nn.Conv1d(64, 64, 4, groups=4),
            "dilated": torch.nn.Conv1d(64, 64, 4, dilation=2),
            "normed": weight_norm(torch.nn.Conv1d(64, 64, 4), dim=2),
            "subclass": MyConv(64, 64, 4),
            "conv2d": torch.nn.Conv2d(64, 64, 4),
            "inner": torch.nn.Sequential(torch.nn.GELU(), torch.nn.Conv1d(128, 32, 2, stride=2)),
        }
    )
    before = dict(net.named_children())
    names = quantize_convolutions(net)
    assert names == ["plain", "inner.1"]
    assert isinstance(net["plain"], Int8Conv1d) and isinstance(net["inner"][1], Int8Conv1d)
    for name in ["small", "padded", "same", "grouped", "dilated", "normed", "subclass", "conv2d"]:
        assert net[name] is before[name]  # untouched
    assert not is_plain_conv1d(torch.nn.Conv1d(64, 64, 4), min_size=257)
    assert quantize_convolutions(torch.nn.Conv1d(64, 64, 4)) == []  # no parent to set it in
    with pytest.raises(ValueError, match="not a plain Conv1d"):
        Int8Conv1d(net["padded"])


def test_quantize_int8_without_convolutions_leaves_them():
    net = torch.nn.Sequential(torch.nn.Conv1d(64, 64, 4, stride=2), torch.nn.Linear(8, 8))
    _quantize_int8(net, torch, convolutions=False)
    assert type(net[0]) is torch.nn.Conv1d
    assert type(net[1]) is torch.ao.nn.quantized.dynamic.Linear
    net = torch.nn.Sequential(torch.nn.Conv1d(64, 64, 4, stride=2), torch.nn.Linear(8, 8))
    _quantize_int8(net, torch)
    assert isinstance(net[0], Int8Conv1d)
    # the conv's own Linear is quantized once, per output channel, not quantized again
    assert net[0].linear.weight().qscheme() == torch.per_channel_affine


def test_int8_conv_state_dict_and_pickle_round_trip():
    torch.manual_seed(1)
    conv = torch.nn.Conv1d(64, 16, 3, stride=2)
    quantized = Int8Conv1d(conv)
    x = torch.randn(2, 64, 99)
    with torch.inference_mode():
        out = quantized(x)
        # a module built from other weights, loaded with the state dict, computes the same
        twin = Int8Conv1d(torch.nn.Conv1d(64, 16, 3, stride=2))
        twin.load_state_dict(quantized.state_dict())
        assert torch.equal(twin(x), out)
        assert torch.equal(pickle.loads(pickle.dumps(quantized))(x), out)


def test_quiet_frames_keep_their_precision():
    # activations are scaled per output frame before quantization: a passage 10^4 times
    # quieter than the rest of the input is as faithful as the loud one
    torch.manual_seed(2)
    conv = torch.nn.Conv1d(64, 32, 3, stride=2, bias=False)
    x = torch.randn(1, 64, 801)
    x[..., :400] *= 1e-4
    with torch.inference_mode():
        out, ref = Int8Conv1d(conv)(x), conv(x)
    per_frame = torch.nn.functional.cosine_similarity(out, ref, dim=1)  # over channels
    assert per_frame.min() > 0.999
    assert per_frame[:150].min() > 0.999  # the quiet frames


def test_encodecmae_convolutions_stay_float32():
    import numpy as np

    from sklearn_mgc import EnCodecMAEFeatures

    params = EnCodecMAEFeatures.get_test_params()
    feat = EnCodecMAEFeatures(**params, dtype="int8").fit(np.zeros((1, 20), dtype=np.float32))
    kinds = {type(m).__name__ for m in feat.model_.modules()}
    assert "Int8Conv1d" not in kinds
    assert not any(type(m) is torch.nn.Conv1d for m in feat.model_.modules())


class _GroupNormConvLayer(torch.nn.Module):
    """The layout of transformers' ``Wav2Vec2GroupNormConvLayer`` (and its copies)."""

    def __init__(self, conv, norm):
        super().__init__()
        self.conv, self.layer_norm, self.activation = conv, norm, torch.nn.GELU()

    def forward(self, x):
        return self.activation(self.layer_norm(self.conv(x)))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("in_channels, kernel, stride, bias", [(1, 10, 5, False), (4, 3, 2, True)])
def test_normed_conv_equals_conv_then_group_norm(in_channels, kernel, stride, bias, affine):
    torch.manual_seed(kernel)
    conv = torch.nn.Conv1d(in_channels, 48, kernel, stride=stride, bias=bias)
    norm = torch.nn.GroupNorm(48, 48, eps=1e-5, affine=affine)
    if affine:
        torch.nn.init.uniform_(norm.weight, 0.5, 1.5)
        torch.nn.init.uniform_(norm.bias, -1.0, 1.0)
    x = torch.randn(3, in_channels, 4001) * torch.tensor([1.0, 1e-3, 50.0])[:, None, None]
    x += 2.0  # an offset: the statistics are centred
    fused = NormedConv1d(conv, norm)
    with torch.inference_mode():
        ref, out = norm(conv(x)), fused(x)
        # a channels-last input gives the same result
        out_cl = fused(x.transpose(1, 2).contiguous().transpose(1, 2))
    assert out.shape == ref.shape and out.dtype == torch.float32
    assert out.transpose(1, 2).is_contiguous()  # channels-last, for the next Int8Conv1d
    # the same function up to rounding: as close to a float64 reference as the float32 layers
    # (the quiet item with an offset loses about 1e-4 to rounding, in both)
    exact = torch.nn.functional.group_norm(
        torch.nn.functional.conv1d(x.double(), conv.weight.double(), None, stride),
        48,
        norm.weight if norm.weight is None else norm.weight.double(),
        norm.bias if norm.bias is None else norm.bias.double(),
        eps=norm.eps,
    )
    error, ref_error = (out - exact).abs().amax((1, 2)), (ref - exact).abs().amax((1, 2))
    assert (error <= 2 * ref_error + 1e-6).all() and error.max() < 1e-3
    assert torch.allclose(out_cl, out, atol=1e-5)


def test_normed_conv_checks_its_input():
    conv, norm = torch.nn.Conv1d(1, 8, 10, stride=5), torch.nn.GroupNorm(8, 8)
    with pytest.raises(RuntimeError, match="shorter than the kernel"):
        NormedConv1d(conv, norm)(torch.randn(1, 1, 9))
    with pytest.raises(ValueError, match="not a GroupNorm of one group per channel"):
        NormedConv1d(conv, torch.nn.GroupNorm(4, 8))
    with pytest.raises(ValueError, match="not a plain Conv1d"):
        NormedConv1d(torch.nn.Conv1d(1, 8, 10, padding=2), norm)


def test_fold_group_norms_only_in_small_group_norm_conv_layers():
    torch.manual_seed(3)
    first = _GroupNormConvLayer(torch.nn.Conv1d(1, 64, 10, stride=5), torch.nn.GroupNorm(64, 64))
    net = torch.nn.Sequential(
        first,
        _GroupNormConvLayer(torch.nn.Conv1d(64, 64, 4, stride=2), torch.nn.GroupNorm(64, 64)),
        _GroupNormConvLayer(torch.nn.Conv1d(64, 64, 4, stride=2), torch.nn.GroupNorm(8, 64)),
        torch.nn.Sequential(torch.nn.Conv1d(1, 8, 3), torch.nn.GroupNorm(8, 8)),
    )
    x = torch.randn(2, 1, 3000)
    with torch.inference_mode():
        ref = net[:3](x)
        assert fold_group_norms(net) == ["0"]
        out = net[:3](x)
    assert isinstance(net[0].conv, NormedConv1d) and isinstance(
        net[0].layer_norm, torch.nn.Identity
    )
    assert type(net[1].conv) is torch.nn.Conv1d  # 64 x 4: quantize_convolutions' share
    assert type(net[2].layer_norm) is torch.nn.GroupNorm  # 8 groups of 8 channels
    assert type(net[3][0]) is torch.nn.Conv1d  # not a ...GroupNormConvLayer
    assert torch.allclose(out, ref, atol=1e-4)
    # then the next layer is quantized, and reads the channels-last output without a copy
    assert quantize_convolutions(net) == ["1.conv", "2.conv"]
    with torch.inference_mode():
        assert _cosine(net[:3](x), ref) > 0.999
    restored = pickle.loads(pickle.dumps(net))
    with torch.inference_mode():
        assert torch.equal(restored[:3](x), net[:3](x))


def test_int8_conv_with_the_known_range_equals_the_dynamic_linear(monkeypatch):
    # the rows' quantization range, taken from the frames' extremes and given to the
    # fixed-scale operator, is the one the dynamic Linear layer finds by reading them
    assert _int8._LINEAR_FP32 is not None  # this PyTorch has the operator
    torch.manual_seed(4)
    conv = torch.nn.Conv1d(128, 64, 3, stride=2)
    x = torch.nn.functional.gelu(torch.randn(2, 128, 601)) * torch.linspace(0.01, 3.0, 601)
    quantized = Int8Conv1d(conv)
    with torch.inference_mode():
        out = quantized(x)
        monkeypatch.setattr(_int8, "_LINEAR_FP32", None)
        dynamic = quantized(x)
        ref = conv(x)
    assert _cosine(out, dynamic) > 0.99999
    assert (out - dynamic).abs().max() < 0.01 * ref.abs().max()
    assert abs(_cosine(out, ref) - _cosine(dynamic, ref)) < 1e-4
