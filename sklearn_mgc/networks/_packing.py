"""A fitted network as plain arrays and parameters, and back: the ``.skops`` form of networks.

Torch objects cannot go through skops, so :mod:`sklearn_mgc.persistence` stores a network's
module weights as numpy arrays (:func:`pack_net`) and rebuilds the module with the network's own
``_build_module`` and the toolkit's :class:`~sklearn_mgc.networks._net.MGCNet` on load
(:func:`build_net`).
"""

import numpy as np

__all__ = ["state_arrays", "tensors", "pack_net", "build_net"]


def state_arrays(tensors):
    """``{name: [dtype name, float32 array]}`` of a state dict of plain tensors."""
    state = {}
    for key, value in tensors.items():
        if not hasattr(value, "is_quantized") or value.is_quantized:  # a bug if it happens
            raise TypeError(f"the state entry {key!r} is not a plain tensor")
        state[key] = [str(value.dtype).removeprefix("torch."), value.detach().cpu().float().numpy()]
    return state


def pack_net(est):
    """``{"n_features", "n_frames", "state"}`` of a fitted network, checked to rebuild it.

    Raises a ValueError when the module its parameters build now, with the fitted weights,
    computes other outputs than the fitted module (a parameter changed after ``fit``).
    """
    module = est.net_.module_
    state = state_arrays(module.state_dict())
    n_features, n_frames = est.module_shape_
    packed = {"n_features": n_features, "n_frames": n_frames, "state": state}
    rebuilt = build_net(est, packed, "cpu").module_  # refuse now what cannot be rebuilt
    shape = (2, n_features) if n_frames is None else (2, n_frames, n_features)
    if not _same_outputs(module, rebuilt, shape):
        raise ValueError(
            f"cannot save this {type(est).__name__} in the .skops format: the network its "
            "parameters build now computes other outputs than the fitted one (a parameter "
            "was changed after fit); fit it again, or save a .joblib file"
        )
    return packed


def _same_outputs(module, rebuilt, shape):
    """Whether two modules (the second on the CPU) give the same outputs for one input."""
    import torch

    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    training = module.training
    try:
        with torch.no_grad():
            out = module.eval()(x.to(next(module.parameters()).device)).cpu()
            again = rebuilt(x)
        return out.shape == again.shape and torch.allclose(out, again, rtol=1e-4, atol=1e-5)
    finally:
        module.train(training)


def tensors(state):
    """The state dict of tensors of :func:`state_arrays`' ``state``, in their own dtypes."""
    import torch

    return {
        key: torch.from_numpy(np.asarray(array)).to(getattr(torch, dtype))
        for key, (dtype, array) in state.items()
    }


def build_net(est, packed, device):
    """The skorch net of a network ``est`` from :func:`pack_net`'s ``packed``, on ``device``,
    as ``fit`` builds it (an :class:`~sklearn_mgc.networks._net.MGCNet`) and in eval mode."""
    import torch

    from ._net import MGCNet

    n_classes = len(est.classes_)
    with torch.random.fork_rng(devices=[]):  # building the module draws random weights
        module = est._build_module(packed["n_features"], packed["n_frames"], n_classes)
    module.load_state_dict(tensors(packed["state"]))
    net = MGCNet(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        batch_size=est.batch_size,
        classes=np.arange(n_classes),
        device=device,
        train_split=None,
    )
    net.initialize()
    net.module_.eval()
    return net
