"""EnCodecMAE embeddings, from an independent implementation that loads the published checkpoints.

EnCodecMAE (Pepino, Riera, Ferrer, 2023, arXiv:2309.07391) is a masked autoencoder for
general audio whose encoder maps 24 kHz audio to 75 frames per second. The authors'
package is not on PyPI and needs gin, PyTorch Lightning and torchaudio; this subpackage
re-implements its inference path in plain PyTorch:

* :mod:`.fbank`: the Kaldi-compatible log-mel filterbank (mel front ends);
* :mod:`.seanet`: EnCodec's 24 kHz SEANet encoder (EnCodec front ends);
* :mod:`.transformer`: the encoder (front ends, ResiDual transformer);
* :mod:`.gin`: a small reader of the checkpoints' gin configurations;
* :mod:`.model`: building the encoder from a checkpoint, and tiny random checkpoints;
* :mod:`.hub`: checkpoint names on the Hugging Face hub, or local files.
"""

import os
import tempfile

from ..._io import atomic_write, is_local_path
from .._pretrained import PretrainedFeatures

__all__ = ["EnCodecMAEFeatures"]

#: a last chunk this short or shorter (in samples) is dropped, as the authors do
_MIN_LAST = 2048


class EnCodecMAEFeatures(PretrainedFeatures):
    """EnCodecMAE embeddings (768-d for the base models), at 75 frames per second.

    Each clip is decoded (or, for an in-memory waveform, resampled from ``sr``) to 24 kHz,
    cropped to ``duration`` seconds and cut into independent 4 s chunks (96,000 samples; a
    last chunk of 2,048 samples or fewer is dropped), as the authors' feature extraction
    does. Chunks go through the model ``batch_size`` at a time, so memory depends on the
    chunk length and ``batch_size``, not on the length of the track. The chunks' frames are
    concatenated, about 75 per second: a 30 s clip gives 2,250 frames with the EnCodec
    front end (``ceil(n / 320)`` per chunk) and 2,249 with the filterbank (Kaldi framing,
    300 frames per full chunk).

    The model is a native PyTorch re-implementation of the authors' encoder, which loads
    their published checkpoints unchanged and matches their outputs to about 1e-4.

    Parameters
    ----------
    model : str or os.PathLike, default="mel256-ec-base_st"
        A checkpoint name in the Hugging Face repository ``lpepino/encodecmae-v2`` (such as
        ``"mel256-ec-base_st"``, ``"ec-ec-large"`` or ``"mel128-ec-base"``), downloaded once
        into huggingface_hub's cache, or the path of a local ``.pt`` checkpoint in the same
        format. Loaded by ``fit``.
    layer : int or list of int, default=-1
        Which transformer layer's output: ``i`` is the output of layer ``i`` (0-based),
        ``-1`` the final output (after the last normalisation), as in the authors'
        ``extract_features_from_array(layer=...)``. A list averages those layers.
    output : {"mean", "sequence"}, default="mean"
        ``(n_clips, n_features)`` temporal mean, or ``(n_clips, n_frames, n_features)``.
    sr : int, default=24000
        Sampling rate of in-memory waveforms given to ``transform``.
    duration : float or None, default=30.0
        Seconds kept from the start of each clip; None keeps the whole clip.
    device : str, default="cpu"
        Torch device of the model, such as ``"cuda"``.
    batch_size : int, default=8
        Chunks per forward pass.
    dtype : {"float32", "int8", "float16", "bfloat16"}, default="float32"
        Arithmetic of the transformer. ``"int8"`` (CPU only) quantizes its Linear layers in
        ``fit`` (PyTorch's dynamic quantization): about 1.7x faster on a CPU, every frame's
        cosine similarity to float32 above 0.999 on a base-size model. ``"float16"`` (GPU only)
        and ``"bfloat16"`` run the transformer under :func:`torch.autocast` (the filterbank or
        EnCodec front end stays in float32). See the user guide for measured figures.
    n_jobs : int or None, default=None
        Clips processed in parallel (threads).
    cache_dir : str, os.PathLike, joblib.Memory or None, default=None
        Per-clip feature cache.
    verbose : int, default=0
        Progress bar when > 0.
    on_error : {"raise", "skip"}, default="raise"
        Policy for clips that cannot be used.

    Attributes
    ----------
    model_ : torch.nn.Module
        The encoder, in eval mode on ``device`` (Linear layers quantized if ``dtype="int8"``).
    checkpoint_path_ : str
        The checkpoint file that was loaded.
    front_end_ : {"mel", "ec"}
        The model's input: Kaldi log-mel filterbank or EnCodec encoder.
    n_features_ : int
        Feature dimension (768 for the base models, 1024 for the large ones).
    n_features_out_ : int
        Same as ``n_features_``.
    model_sr_ : int
        Sampling rate of the model (24000).
    layers_ : list of int
        The transformer layers ``layer`` designates, as non-negative indices (their outputs
        are averaged).
    chunk_samples_ : int
        Chunk length in samples at ``model_sr_`` (96,000: 4 s).
    skipped_ : list of dict
        Clips left out by the last ``transform`` (``on_error="skip"``).

    See Also
    --------
    Wav2Vec2Features : Hidden states of ``transformers`` speech encoders.

    Notes
    -----
    The published checkpoints carry a gin configuration; the values needed (front end,
    filterbank settings, number of heads, chunk length) are read from it, and the sizes
    from the weights, so every published size loads.

    References
    ----------
    L. Pepino, P. Riera, L. Ferrer, "EnCodecMAE: Leveraging neural codecs for universal
    audio representation learning", arXiv:2309.07391, 2023.

    Examples
    --------
    A tiny randomly initialised model stands in for a published checkpoint here:

    >>> import numpy as np
    >>> from sklearn_mgc.features.encodecmae import EnCodecMAEFeatures
    >>> tiny = EnCodecMAEFeatures.get_test_params()["model"]  # a path to a .pt file
    >>> feat = EnCodecMAEFeatures(model=tiny, duration=1.0)
    >>> X = np.random.default_rng(0).standard_normal((2, 24000)).astype("float32")
    >>> feat.fit_transform(X).shape
    (2, 16)
    >>> feat.set_params(output="sequence").fit_transform(X).shape
    (2, 74, 16)
    """

    _feature_prefix = "encodecmae"
    _cache_version = 1

    def __init__(
        self,
        model="mel256-ec-base_st",
        *,
        layer=-1,
        output="mean",
        sr=24000,
        duration=30.0,
        device="cpu",
        batch_size=8,
        dtype="float32",
        n_jobs=None,
        cache_dir=None,
        verbose=0,
        on_error="raise",
    ):
        self.model = model
        self.layer = layer
        self.output = output
        self.sr = sr
        self.duration = duration
        self.device = device
        self.batch_size = batch_size
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.on_error = on_error

    @classmethod
    def get_test_params(cls):
        """Cheap constructor settings for tests: a tiny random checkpoint (16-d, 2 layers).

        The checkpoint (published format, 32 mel bins) is written once to the
        temporary folder. ``sr=10`` turns the few-column arrays of scikit-learn's estimator
        checks into waveforms long enough for the model (240 samples at 24 kHz per column).

        Returns
        -------
        params : dict
        """
        return {"model": _tiny_checkpoint_path(), "sr": 10, "duration": 1.0, "batch_size": 2}

    # ------------------------------------------------------------------- hooks
    def _hub_file(self):
        from .hub import HUB_REPO, hub_filename

        if not isinstance(self.model, (str, os.PathLike)) or is_local_path(self.model):
            return None
        return HUB_REPO, hub_filename(self.model), None

    def _fit_model(self):
        import torch

        from .hub import load_checkpoint, resolve_checkpoint
        from .model import build_from_checkpoint

        device = torch.device(self.device)  # a valid one: see PretrainedFeatures._check_params
        path = resolve_checkpoint(self.model)
        model, info = build_from_checkpoint(load_checkpoint(path), name=os.fspath(self.model))
        self.layers_ = self._resolve_layers(len(model.layers), "transformer layers")
        # float32 whatever the checkpoint's weights are stored in (the front end computes in it)
        self.model_ = self._apply_dtype(model.to(device=device, dtype=torch.float32).eval())
        self.checkpoint_path_ = path
        self.front_end_ = info["front_end"]
        self.n_features_ = int(info["dim"])
        self.model_sr_ = int(info["sr"])
        self.chunk_samples_ = int(info["chunk_samples"])

    def _chunking(self):
        return self.chunk_samples_, _MIN_LAST

    def _embed(self, batch, lengths):
        # The authors' padding mask uses min(clip length, chunk length) for every chunk: a
        # partial last frame is masked only when the whole clip is shorter than a chunk.
        n_valid = [min(int(n), self.chunk_samples_) for n in lengths]
        if len(set(n_valid)) == 1:
            n_valid = n_valid[0]
        acts = self.model_(batch, self.layers_, n_valid=n_valid)
        if len(acts) == 1:
            return acts[0]
        return sum(acts) / len(acts)

    def _frame_centres(self, index):
        front = self.model_.front_end
        if hasattr(front, "window_shift"):  # Kaldi filterbank: frame i reads i * shift + [0, W)
            return index * front.window_shift + (front.window_size - 1) / 2
        # EnCodec's encoder: frame i advances over samples i * hop ... (i + 1) * hop - 1
        return index * front.hop_length + (front.hop_length - 1) / 2

    def _n_frames(self, n_samples):
        chunk, min_last = self._chunking()
        n_full, rest = divmod(int(n_samples), chunk)
        frames = n_full * self.model_.n_frames(chunk)
        if rest > min_last:
            frames += self.model_.n_frames(rest)
        return frames


def _tiny_checkpoint_path():
    """Write (once) and return a tiny random checkpoint in the published format."""
    import torch

    from .model import make_checkpoint

    uid = os.getuid() if hasattr(os, "getuid") else "user"
    path = os.path.join(tempfile.gettempdir(), f"sklearn_mgc_encodecmae_tiny_v2_{uid}.pt")
    if not os.path.exists(path):
        ckpt = make_checkpoint(
            front_end="mel", dim=16, num_layers=2, n_heads=2, ff_dim=32, num_mel_bins=32, seed=0
        )
        with atomic_write(path) as tmp:
            torch.save(ckpt, tmp)
    return path
