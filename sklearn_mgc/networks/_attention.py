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
    ``forward(h, mask=None)`` maps ``h`` of shape ``(n, T, input_size)`` to the context
    ``(n, input_size)``. With a boolean ``mask`` of shape ``(n, T)`` (True for a real frame,
    see :func:`~sklearn_mgc.networks._masking.frame_mask`), padded frames get a score of
    ``-inf``: their weight is exactly 0, so the context depends on the real frames only.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mgc.networks import AttentionPooling
    >>> AttentionPooling(6)(torch.randn(2, 10, 6)).shape
    torch.Size([2, 6])

    A masked frame has no weight: padding a sequence does not change its context.

    >>> pool = AttentionPooling(6)
    >>> h = torch.randn(1, 4, 6)
    >>> padded = torch.cat([h, torch.randn(1, 3, 6)], dim=1)
    >>> mask = torch.arange(7)[None, :] < 4
    >>> torch.allclose(pool(h), pool(padded, mask), atol=1e-6)
    True
    """

    def __init__(self, input_size):
        super().__init__()
        self.score = nn.Linear(input_size, 1)

    def forward(self, h, mask=None):
        scores = self.score(h).squeeze(-1)  # (n, T)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        alpha = torch.softmax(scores, dim=1)
        return torch.bmm(alpha.unsqueeze(1), h).squeeze(1)
