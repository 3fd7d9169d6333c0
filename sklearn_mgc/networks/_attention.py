"""Attention pooling over time, shared by the recurrent and Transformer networks."""

import torch
from torch import nn

__all__ = ["AttentionPooling"]


class AttentionPooling(nn.Module):
    """Attention pooling over time.

    ``a_t = w . h_t + b``, ``alpha = softmax_t(a)``, ``context = sum_t alpha_t h_t``.

    Parameters
    ----------
    input_size : int
        Size of each ``h_t``.

    Attributes
    ----------
    score : torch.nn.Linear
        The scoring layer ``w . h_t + b``, from ``input_size`` to 1.

    Notes
    -----
    ``forward`` maps ``h`` of shape ``(n, T, input_size)`` to the context ``(n, input_size)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mgc.networks import AttentionPooling
    >>> AttentionPooling(6)(torch.randn(2, 10, 6)).shape
    torch.Size([2, 6])
    """

    def __init__(self, input_size):
        super().__init__()
        self.score = nn.Linear(input_size, 1)

    def forward(self, h):
        alpha = torch.softmax(self.score(h).squeeze(-1), dim=1)  # (n, T)
        return torch.bmm(alpha.unsqueeze(1), h).squeeze(1)
