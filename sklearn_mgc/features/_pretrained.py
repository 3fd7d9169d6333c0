"""The shared machinery of the pretrained neural encoders.

:class:`PretrainedFeatures` adds to :class:`~sklearn_mgc.features.BaseFeatures` what neural
encoders share: a model loaded in ``fit``, a device, the ``layer`` parameter (checked once,
here, and resolved into the fitted ``layers_``), and chunked, batched inference whose memory
does not grow with the length of the track.
"""

import os
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._cache import clip_fingerprint
from .._io import get_logger
from ._base import BaseFeatures

__all__ = ["PretrainedFeatures"]

_logger = get_logger("sklearn_mgc.features.pretrained")


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


class PretrainedFeatures(BaseFeatures):
    """Base class of the pretrained neural encoders (not used directly).

    Adds to :class:`BaseFeatures` the model loaded in ``fit`` (into ``model_``), ``device`` and
    ``batch_size``, and chunked inference: each clip is cut into independent chunks of a fixed
    length, which go through the model ``batch_size`` at a time under
    :func:`torch.inference_mode`, so memory is bounded by ``batch_size`` chunks whatever the
    track's length. Subclasses implement ``_fit_model`` (setting ``model_``, ``n_features_``,
    ``model_sr_`` and, with :meth:`_resolve_layers`, ``layers_``), ``_chunking``,
    ``_embed(batch, lengths)``, ``_n_frames`` and ``_frame_centres`` (for :meth:`frame_times`).

    Parameters
    ----------
    model : str or os.PathLike
        A pretrained model's name on the Hugging Face hub, or a local path; loaded in ``fit``.
    layer : int or list of int
        Which layer's output to return (a list is averaged); the meaning of the indices is the
        subclass's. Negative indices count from the last layer.
    device : str or torch.device
        Torch device of the model, such as ``"cpu"`` or ``"cuda"``.
    batch_size : int
        Chunks per forward pass; memory grows with it, not with the track's length.
    dtype : {"float32", "int8", "float16", "bfloat16"}
        Arithmetic of the model's matrix products. ``"float32"``: unchanged. ``"int8"`` (CPU
        only): the Linear layers, and the plain strided ``Conv1d`` layers of a convolutional
        front end (as in wav2vec 2.0), are quantized in ``fit`` with PyTorch's dynamic
        quantization (int8 weights, activations quantized on the fly), faster on a CPU at a
        small loss of fidelity. ``"float16"`` (GPU only) and ``"bfloat16"``: the forward pass runs
        under :func:`torch.autocast`; bfloat16 also runs on a CPU, fast only on those with
        bfloat16 matrix units (AMX). The user guide gives the measured speeds and fidelity.
    output, sr, duration, n_jobs, cache_dir, verbose, on_error
        See :class:`BaseFeatures`. ``sr`` is the rate of in-memory waveforms, which are
        resampled to the model's rate.

    Attributes
    ----------
    model_ : torch.nn.Module
        The loaded model, in evaluation mode on ``device`` (its Linear layers and plain
        strided convolutions quantized when ``dtype="int8"``).
    layers_ : list of int
        The layers ``layer`` designates, as non-negative indices (their outputs are averaged).
    n_features_ : int
        Dimension of the embeddings.
    model_sr_ : int
        Sampling rate (Hz) the model expects.
    n_features_out_ : int
        Same as ``n_features_``.
    skipped_ : list of dict
        See :class:`BaseFeatures`.

    Examples
    --------
    The two pretrained encoders of the toolkit are subclasses:

    >>> from sklearn_mgc import EnCodecMAEFeatures, Wav2Vec2Features
    >>> from sklearn_mgc.features import PretrainedFeatures
    >>> [issubclass(c, PretrainedFeatures) for c in (EnCodecMAEFeatures, Wav2Vec2Features)]
    [True, True]
    """

    _prefer = "threads"

    _parameter_constraints: dict = {
        **BaseFeatures._parameter_constraints,
        "model": [str, os.PathLike],
        "layer": [Integral, list, tuple],  # of ints, not empty: see _check_params
        "device": "no_validation",  # a str or a torch.device: see _check_params
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "int8", "float16", "bfloat16"})],
    }

    def _target_sr(self):
        return self.model_sr_

    def _n_features(self):
        return self.n_features_

    def _hub_file(self):
        """``(repo_id, filename, revision)`` of a file of the hub model ``self.model`` names,
        present in huggingface_hub's cache once its weights were downloaded; None when
        ``self.model`` is local."""
        return None

    def in_local_cache(self):
        """Whether the weights ``model`` names can be loaded without the network.

        A local folder or file: True. A name on the Hugging Face hub: whether
        huggingface_hub's local cache holds it, checked from the cache's files alone, without
        importing the model's library (the study asks this before trying an unreachable
        hub). True as well when the cache cannot tell; :meth:`fit` then says why it fails.

        Returns
        -------
        cached : bool
        """
        where = self._hub_file()
        if where is None:
            return True
        repo_id, filename, revision = where
        try:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(repo_id, filename, revision=revision)
        except Exception:  # no huggingface_hub, or a name it rejects: fit says why
            return True
        return isinstance(found, str)

    def _chunking(self):  # pragma: no cover - abstract
        """Return ``(chunk_samples, min_last_samples)`` at the model's rate."""
        raise NotImplementedError

    def _embed(self, batch, lengths):  # pragma: no cover - abstract
        """Embed a batch of equal-length chunks.

        Parameters
        ----------
        batch : torch.Tensor of shape (b, n), float32, on ``device``
            Chunks of ``n`` samples at the model's rate.
        lengths : list of int, of length b
            Number of samples of the whole clip each chunk was cut from (at the model's rate,
            after the crop to ``duration``), for encoders whose masking depends on it.

        Returns
        -------
        frames : torch.Tensor of shape (b, n_frames, n_features)
        """
        raise NotImplementedError

    def _frame_centres(self, index):  # pragma: no cover - abstract
        """Centres, in samples at ``model_sr_`` from the chunk's start, of frames ``index``."""
        raise NotImplementedError

    def _frame_times(self, n_frames):
        # chunks are independent: frame t is frame t % per_chunk of chunk t // per_chunk
        chunk, _ = self._chunking()
        per_chunk = max(1, self._n_frames(chunk))
        chunk_index, index = np.divmod(np.arange(n_frames, dtype=np.int64), per_chunk)
        return (chunk_index * float(chunk) + self._frame_centres(index)) / self.model_sr_

    def _check_params(self):
        layer = self.layer
        layers = list(layer) if isinstance(layer, (list, tuple)) else [layer]
        if not layers or not all(_is_int(i) for i in layers):
            raise ValueError(f"layer must be an int or a non-empty list of ints, got {layer!r}")
        import torch

        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(
                f"device={self.device!r} is not a torch device, such as 'cpu' or 'cuda': {exc}"
            ) from None
        if self.dtype == "int8" and device.type != "cpu":
            raise ValueError(
                f"dtype='int8' runs on the CPU only (PyTorch's dynamic quantization), not on "
                f"device={self.device!r}: use dtype='float16' or 'bfloat16' on a GPU."
            )
        if self.dtype == "float16" and device.type == "cpu":
            raise ValueError(
                "dtype='float16' is for GPUs; on device='cpu' use dtype='int8' (faster) or "
                "'bfloat16' (fast only on CPUs with bfloat16 matrix units)."
            )

    def _resolve_layers(self, n_layers, what):
        """``layer`` as a list of indices in ``0 .. n_layers - 1`` (negative: from the end).

        ``what`` names the model's layers in the error raised for an index out of range.
        """
        layers = list(self.layer) if isinstance(self.layer, (list, tuple)) else [self.layer]
        for i in layers:
            if not -n_layers <= i < n_layers:
                raise ValueError(
                    f"layer={self.layer!r} is out of range for model={self.model!r}, which has "
                    f"{n_layers} {what} (layers {-n_layers} to {n_layers - 1})."
                )
        return [int(i) % n_layers for i in layers]

    def _cache_params(self):
        params = super()._cache_params()
        model = params.get("model")
        if isinstance(model, (str, os.PathLike)):
            path = os.path.expanduser(os.fspath(model))  # "~/model.pt" is loaded so
            if os.path.exists(path):
                params["model"] = _local_model_fingerprint(path)
            else:  # a hub model: the weights fit resolved, so that an update is not served stale
                params["weights"] = self._resolved_weights()
        if self.dtype == "int8":  # dynamic quantization scales each batch of chunks by its range
            params["batch_size"] = self.batch_size
        return params

    def _resolved_weights(self):
        """The weights ``fit`` loaded for a hub model: its downloaded file, or the commit."""
        path = getattr(self, "checkpoint_path_", None)
        if path is not None and os.path.isfile(path):
            return _local_model_fingerprint(path)
        config = getattr(getattr(self, "model_", None), "config", None)
        return getattr(config, "_commit_hash", None)

    def _apply_dtype(self, model):
        """``model`` (float32, in evaluation mode) prepared for ``dtype``: int8 quantizes it."""
        if self.dtype != "int8":
            return model
        import torch

        return _quantize_int8(model, torch)

    def _embed_numpy(self, chunks, n_samples):
        """Frames ``(b * frames, n_features)`` of chunks ``(b, n)`` of a clip of ``n_samples``."""
        import contextlib

        import torch

        batch = torch.from_numpy(np.ascontiguousarray(chunks)).to(self.device)
        autocast = contextlib.nullcontext()
        if self.dtype in ("float16", "bfloat16"):
            autocast = torch.autocast(batch.device.type, dtype=getattr(torch, self.dtype))
        with autocast:
            emb = self._embed(batch, [n_samples] * batch.shape[0])
        emb = emb.float().cpu().numpy()
        return emb.reshape(-1, emb.shape[-1])

    def _frames(self, y):
        import torch

        chunk, min_last = self._chunking()
        n = y.shape[0]
        n_full = n // chunk
        rest = y[n_full * chunk :]
        # filled in place, chunk batch by chunk batch: the frames are held once
        out = np.empty((self._n_frames(n), self.n_features_), dtype=np.float32)
        t = 0
        with torch.inference_mode():
            for start in range(0, n_full, self.batch_size):
                stop = min(n_full, start + self.batch_size)
                emb = self._embed_numpy(y[start * chunk : stop * chunk].reshape(-1, chunk), n)
                out[t : t + emb.shape[0]] = emb
                t += emb.shape[0]
            if rest.shape[0] > min_last:
                emb = self._embed_numpy(rest[None], n)
                out[t : t + emb.shape[0]] = emb
                t += emb.shape[0]
        if t != out.shape[0]:
            raise RuntimeError(
                f"{type(self).__name__}._n_frames announced {out.shape[0]} frames for "
                f"{n} samples, the model gave {t}"
            )
        return out


def _quantize_int8(model, torch, *, convolutions=True):
    """Quantize ``model`` in place (dynamic int8, CPU) and return it.

    The Linear layers become ``torch.ao.nn.quantized.dynamic.Linear`` (but for those whose
    weights their owner reads directly, ``_READ_DIRECTLY``: WavLM's attention projections,
    which stay float32); with ``convolutions``,
    every plain ``Conv1d`` (no groups, dilation, padding or weight norm) large enough to gain
    (``_int8.is_plain_conv1d``) becomes an ``_int8.Int8Conv1d``, the same convolution as an
    int8 matrix product: the front end of the wav2vec 2.0 family but its first layer, which,
    when a per-channel group norm follows it (wav2vec2-base), becomes an
    ``_int8.NormedConv1d``: float32, the norm folded in, the output channels-last. EnCodecMAE
    has none of these: its convolutions are weight-normed and padded, and stay float32.
    ``torch.ao.quantization.quantize_dynamic`` warns that it is deprecated in favour of the
    separate ``torchao`` package; the warnings are logged once here instead of repeated at
    every ``fit``.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if convolutions:
            from ._int8 import fold_group_norms, quantize_convolutions

            fold_group_norms(model)
            quantize_convolutions(model)
        model = torch.ao.quantization.quantize_dynamic(
            model, _dynamic_int8_layers(model, torch), dtype=torch.qint8, inplace=True
        )
    global _QUANT_WARNED
    if caught and not _QUANT_WARNED:
        _QUANT_WARNED = True
        _logger.info(
            "dtype='int8' uses torch.ao.quantization.quantize_dynamic, which warned: %s",
            "; ".join(str(w.message).splitlines()[0] for w in caught),
        )
    return model


_QUANT_WARNED = False

#: Linear layers whose owner reads their weight tensors directly, so they must stay float32:
#: WavLM's attention hands its projections' weights to F.multi_head_attention_forward
_READ_DIRECTLY = {"WavLMAttention": ("q_proj", "k_proj", "v_proj", "out_proj")}


def _dynamic_int8_layers(model, torch):
    """``quantize_dynamic``'s spec: every Linear layer but those in ``_READ_DIRECTLY``."""
    kept = {
        f"{name}.{child}"
        for name, module in model.named_modules()
        for child in _READ_DIRECTLY.get(type(module).__name__, ())
    }
    if not kept:
        return {torch.nn.Linear}
    qconfig = torch.ao.quantization.default_dynamic_qconfig
    return {
        name: qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name not in kept
    }


def _local_model_fingerprint(model):
    """A local model's identity in cache keys: a file's, or that of each file of a folder
    (whose own metadata stays the same when a weights file in it is overwritten)."""
    path = os.path.abspath(os.fspath(model))
    if not os.path.isdir(path):
        return clip_fingerprint(path)
    with os.scandir(path) as entries:
        files = sorted(e.path for e in entries if e.is_file())
    return ["folder", path, [clip_fingerprint(f)[1:] for f in files]]
