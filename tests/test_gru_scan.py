"""The CPU GRU scan computes exactly what torch.nn.GRU computes, gradients included."""

import pytest
import torch
from torch import nn

from sklearn_mgc.networks._gru_scan import bidirectional_gru


def _padded_batch(lengths, n_features, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(lengths), max(lengths) + 3, n_features, generator=g, dtype=torch.float64)
    for i, n in enumerate(lengths):
        x[i, n:] = 0.0
    return x.requires_grad_(True), torch.tensor(lengths)


def _packed_reference(gru, x, lengths):
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    h, _ = nn.utils.rnn.pad_packed_sequence(gru(packed)[0], batch_first=True)
    return nn.functional.pad(h, (0, 0, 0, x.shape[1] - h.shape[1]))


@pytest.mark.parametrize("n_layers", [1, 3])
def test_outputs_and_gradients_equal_packed_nn_gru(n_layers):
    torch.manual_seed(0)
    gru = nn.GRU(5, 4, num_layers=n_layers, batch_first=True, bidirectional=True).double()
    x, lengths = _padded_batch([9, 4, 1, 9], 5)
    expected = _packed_reference(gru, x, lengths)
    got = bidirectional_gru(x, gru, lengths)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=0)
    grad_out = torch.randn_like(expected)
    params = [x, *gru.parameters()]
    for a, b in zip(
        torch.autograd.grad(expected, params, grad_out), torch.autograd.grad(got, params, grad_out)
    ):
        torch.testing.assert_close(b, a, atol=1e-12, rtol=0)


def test_unpadded_batch_equals_nn_gru_in_float32():
    torch.manual_seed(0)
    gru = nn.GRU(6, 8, batch_first=True, bidirectional=True)
    x = torch.randn(3, 50, 6)
    torch.testing.assert_close(bidirectional_gru(x, gru), gru(x)[0], atol=1e-6, rtol=0)


def test_dropout_between_layers_only_in_training_and_seeded():
    gru = nn.GRU(4, 3, num_layers=2, dropout=0.5, batch_first=True, bidirectional=True)
    x = torch.randn(2, 7, 4)
    gru.eval()
    torch.testing.assert_close(bidirectional_gru(x, gru), gru(x)[0], atol=1e-6, rtol=0)
    gru.train()
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        runs.append(bidirectional_gru(x, gru))
    assert torch.equal(runs[0], runs[1])
    assert not torch.allclose(runs[0], gru.eval()(x)[0], atol=1e-3)


def test_rejects_a_unidirectional_gru():
    with pytest.raises(ValueError, match="bidirectional"):
        bidirectional_gru(torch.randn(1, 3, 2), nn.GRU(2, 3, batch_first=True))
