"""Learning-rate schedules of the networks (``lr_schedule``), as skorch ``LRScheduler`` callbacks.

- ``"cosine"``: ``CosineAnnealingLR`` from ``lr`` down to 0 over ``max_epochs`` epochs,
  stepped once per epoch.
- ``"plateau"``: ``ReduceLROnPlateau`` on the monitored loss (the validation loss, or the
  training loss without a validation split): halve the rate after 3 epochs without
  improvement (fewer than ``patience`` epochs, so that the rate drops before early stopping).
- ``"onecycle"``: ``OneCycleLR`` with peak ``lr``, stepped after every training batch over
  ``max_epochs * batches_per_epoch`` steps.
"""

from torch.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau

__all__ = ["LR_SCHEDULES", "schedule_callback"]

LR_SCHEDULES = ("cosine", "plateau", "onecycle")


def schedule_callback(name, *, lr, max_epochs, batches_per_epoch, monitor):
    """The skorch callback of a schedule, or None.

    Parameters
    ----------
    name : {"cosine", "plateau", "onecycle"} or None
    lr : float
        The optimizer's (peak) learning rate.
    max_epochs : int
    batches_per_epoch : int
        Training batches per epoch (for ``"onecycle"``).
    monitor : str
        History key of the loss that ``"plateau"`` watches.

    Returns
    -------
    callback : skorch.callbacks.LRScheduler or None

    Examples
    --------
    >>> cb = schedule_callback("cosine", lr=0.01, max_epochs=5, batches_per_epoch=2,
    ...                        monitor="valid_loss")
    >>> cb.policy.__name__, cb.T_max
    ('CosineAnnealingLR', 5)
    """
    from skorch.callbacks import LRScheduler

    if name is None:
        return None
    if name == "cosine":
        return LRScheduler(policy=CosineAnnealingLR, T_max=max_epochs)
    if name == "plateau":
        return LRScheduler(policy=ReduceLROnPlateau, monitor=monitor, factor=0.5, patience=3)
    if name == "onecycle":
        return LRScheduler(
            policy=OneCycleLR,
            max_lr=lr,
            total_steps=max(1, max_epochs * batches_per_epoch),
            step_every="batch",
        )
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES} or None; got {name!r}.")
