"""The skorch net behind every network: a ``NeuralNetClassifier`` that augments training batches
and averages the windows of a clip.

:class:`MGCNet` adds to skorch's classifier only what skorch has no parameter for:

- its training step applies the masks and mixup of :mod:`~sklearn_mgc.networks._augment`
  (training batches only; mixup's loss mixes the two labels' losses with the batch's weight);
- its inference step reads the ``{"windows", "n_windows"}`` items of
  :class:`~sklearn_mgc.networks._crops.WindowDataset` and returns the log of the windows' mean
  probability per clip (so the validation loss, the validation accuracy and ``predict_proba``
  are per clip);
- at the start of each epoch it asks a training :class:`~sklearn_mgc.networks._crops.CropDataset`
  for fresh crops.

With every augmentation off and whole sequences, it computes exactly what
``skorch.NeuralNetClassifier`` computes: the augmentation generator is its own, never torch's
global one.
"""

import torch
from skorch import NeuralNetClassifier
from skorch.dataset import unpack_data

from ._augment import mask_features, mask_time, mixup_batch
from ._crops import window_log_proba

__all__ = ["MGCNet"]


class MGCNet(NeuralNetClassifier):
    """``skorch.NeuralNetClassifier`` with augmentation and window averaging.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    time_mask, freq_mask : tuple of (int, int), default=(0, 0)
        ``(n_masks, max_width)`` of the time and feature masks of training batches.
    mixup : float, default=0.0
        Alpha of mixup (0 disables it).
    augment_generator : torch.Generator or None, default=None
        Generator of the augmentation; dropped after ``fit`` so that the net pickles.
    **kwargs
        Everything ``skorch.NeuralNetClassifier`` takes.
    """

    def __init__(
        self,
        module,
        *,
        time_mask=(0, 0),
        freq_mask=(0, 0),
        mixup=0.0,
        augment_generator=None,
        **kwargs,
    ):
        super().__init__(module, **kwargs)
        self.time_mask = time_mask
        self.freq_mask = freq_mask
        self.mixup = mixup
        self.augment_generator = augment_generator

    def _augment(self, Xi, yi):
        """Masked / mixed training batch: ``(Xi, y_partner or None, lam)``."""
        if not isinstance(Xi, torch.Tensor):
            return Xi, None, 1.0
        gen = self.augment_generator
        if Xi.ndim == 3:
            Xi = mask_time(Xi, *self.time_mask, gen)
        Xi = mask_features(Xi, *self.freq_mask, gen)
        if self.mixup > 0 and len(Xi) > 1:
            Xi, perm, lam = mixup_batch(Xi, self.mixup, gen)
            return Xi, yi[perm.to(yi.device)], lam
        return Xi, None, 1.0

    def train_step_single(self, batch, **fit_params):
        """One training step on an augmented batch (see the class description).

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` from the training data loader.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": logits}``.
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        Xi, y_partner, lam = self._augment(Xi, yi)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        if y_partner is not None:
            partner_loss = self.get_loss(y_pred, y_partner, X=Xi, training=True)
            loss = lam * loss + (1.0 - lam) * partner_loss
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def infer(self, x, **fit_params):
        """Logits of a batch; for a batch of windows, the log of their mean probability.

        Parameters
        ----------
        x : torch.Tensor or dict
            ``(B, T, F)`` / ``(B, d)``, or ``{"windows": (B, W, c, F), "n_windows": (B,)}``.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        out : torch.Tensor of shape (B, n_classes)
        """
        if isinstance(x, dict) and "windows" in x:
            windows = x["windows"].to(self.device) if self.device else x["windows"]
            return window_log_proba(self.module_, windows, torch.as_tensor(x["n_windows"]))
        return super().infer(x, **fit_params)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Start the history row of the epoch; draw the epoch's crops of a crop dataset."""
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        if hasattr(dataset_train, "set_epoch"):
            dataset_train.set_epoch(len(self.history))
