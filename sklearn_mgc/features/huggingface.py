"""Embeddings from Hugging Face ``transformers`` audio encoders (wav2vec 2.0, HuBERT, WavLM, ...).

:class:`Wav2Vec2Features` turns audio clips into the hidden states of a self-supervised speech
encoder loaded with ``transformers.AutoModel`` and ``transformers.AutoFeatureExtractor``. Every
encoder whose input is the raw waveform and whose front end is a strided convolution stack
(``config.conv_kernel`` / ``config.conv_stride``) works: wav2vec 2.0, HuBERT, WavLM,
data2vec-audio, UniSpeech(-SAT), SEW.
"""

import os
import sys
import tempfile
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._io import atomic_write, is_local_path
from ._pretrained import PretrainedFeatures, _quantize_int8

__all__ = ["Wav2Vec2Features"]

_HOW_TO_PROVIDE = (
    "To use a model without the network, download it once where the hub is reachable "
    "(``huggingface-cli download {name}``, or ``AutoModel.from_pretrained({name!r})``) and then "
    "either set the environment variable HF_HUB_OFFLINE=1 so that the local Hugging Face cache "
    "is used, or save it to a directory (``model.save_pretrained(d)`` and "
    "``feature_extractor.save_pretrained(d)``) and pass that directory as model=d."
)


def _conv_out_length(n, kernel, stride):
    return (n - kernel) // stride + 1


class Wav2Vec2Features(PretrainedFeatures):
    """Hidden states of a pretrained ``transformers`` audio encoder (wav2vec 2.0, HuBERT, WavLM).

    Each clip is decoded (or, for an in-memory waveform, resampled from ``sr``) to the rate of the
    model's feature extractor (16 kHz for the base models), cropped to ``duration`` seconds, cut
    into independent chunks of ``chunk_duration`` seconds, normalised exactly as the model's
    ``transformers`` feature extractor does it (zero mean and unit variance per chunk when its
    ``do_normalize`` is set), and run through the encoder. The frames of the chunks are
    concatenated: about 50 frames per second for the base models, so a 30 s clip gives about
    1500 frames of 768 features.

    Parameters
    ----------
    model : str or os.PathLike, default="facebook/wav2vec2-base"
        A Hugging Face hub model id (for example ``"facebook/wav2vec2-base"``,
        ``"facebook/hubert-base-ls960"``, ``"microsoft/wavlm-base-plus"``) or a local directory
        holding a model and a feature extractor saved with ``save_pretrained``. Loaded in
        :meth:`fit` with ``AutoModel`` and ``AutoFeatureExtractor``.
    revision : str or None, default=None
        The hub revision to load: a branch, a tag or, to pin the weights, a commit hash (None:
        the default branch). Ignored for a local directory. Part of the cache key.
    trust_remote_code : bool, default=False
        Let transformers run the Python code a hub repository ships for its model class, which
        some music encoders need (MERT-v1). Only set it for repositories you trust, ideally
        with a pinned ``revision``: that code runs in your process.
    layer : int or list of int, default=-1
        Which entry of the model's ``hidden_states`` to return: 0 is the input of the first
        transformer layer (the projected convolutional features after positional embedding),
        ``i`` the output of layer ``i``, -1 the last layer. A list of layers returns their mean.
    output : {"mean", "sequence"}, default="mean"
        ``"mean"``: the temporal mean of the frames, shape ``(n_clips, n_features)``.
        ``"sequence"``: the frames, shape ``(n_clips, n_frames, n_features)``, zero-padded or
        cropped to the number of frames of ``duration`` seconds.
    sr : int, default=22050
        Sampling rate of in-memory waveforms given to :meth:`transform`; they are resampled to
        the model's rate. Audio files are decoded straight to the model's rate.
    duration : float or None, default=30.0
        Seconds of each clip that are embedded (clips are cropped, frames zero-padded);
        None embeds every clip whole (then ``output="sequence"`` needs clips of equal length).
    chunk_duration : float or None, default=10.0
        Length in seconds of the independent chunks the audio is cut into before the encoder,
        so that memory grows with the chunk size and ``batch_size``, not with the track length
        (self-attention costs the square of the chunk length). A final chunk too short to give
        one frame (400 samples for the base models) is dropped. None runs each clip whole.
    device : str or torch.device, default="cpu"
        Where the model runs, e.g. ``"cuda"``.
    batch_size : int, default=2
        Number of chunks run through the model at once. Peak memory grows with
        ``batch_size * chunk_duration``: on CPU a base-size model needs about 0.5 GB with its
        weights, plus about 15-25 MB per second of audio in a batch (the first convolution's
        512 channels at 3.2 kHz dominate), so the defaults (2 x 10 s) embed a 10-minute track
        in about 1.4 GB, while 8 x 10 s needs about 2.5 GB (``benchmarks/bench_wav2vec2.py``).
        Batching barely speeds up CPU inference; on a GPU, raise it.
    dtype : {"float32", "int8", "float16", "bfloat16"}, default="float32"
        Arithmetic of the encoder. ``"int8"`` (CPU only) quantizes, in :meth:`fit`, its Linear
        layers and the strided convolutions of its front end (all but the first, 1 x 10 one,
        computed as int8 matrix products with activations scaled per frame), with PyTorch's
        dynamic quantization. ``"float16"`` (GPU only) and ``"bfloat16"`` run the forward pass
        under :func:`torch.autocast`. See the user guide for measured speeds and fidelity.
    n_jobs : int or None, default=None
        Number of clips embedded in parallel (threads).
    cache_dir : str, os.PathLike, joblib.Memory or None, default=None
        Where to cache the frames of each audio file; None disables the cache.
    verbose : int, default=0
        Progress messages when positive.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a clip that cannot be read: raise an error that names it, or report it
        and leave it out.

    Attributes
    ----------
    model_ : transformers.PreTrainedModel
        The encoder, in evaluation mode, on ``device`` (Linear layers and front-end
        convolutions quantized if ``dtype="int8"``).
    feature_extractor_ : transformers.FeatureExtractionMixin
        The model's feature extractor (normalisation and sampling rate).
    n_features_ : int
        Dimension of the hidden states (``config.hidden_size``; 768 for the base models).
    model_sr_ : int
        Sampling rate the model works at (the feature extractor's ``sampling_rate``).
    n_features_out_ : int
        Number of output features (equal to ``n_features_``).
    layers_ : list of int
        The entries of ``hidden_states`` that ``layer`` designates, as non-negative indices
        (their mean is returned).
    skipped_ : list of dict
        Clips left out by the last ``transform`` (``on_error="skip"``).

    See Also
    --------
    EnCodecMAEFeatures : Embeddings of the EnCodecMAE music model.
    TemporalMean : Temporal pooling of a sequence output.

    Notes
    -----
    The study that motivated this toolkit used HuBERT base (``"facebook/hubert-base-ls960"``)
    as its "wav2vec2" representation. Without network access, give a local directory or set
    ``HF_HUB_OFFLINE=1`` once the model is in the Hugging Face cache.

    Examples
    --------
    Any local directory saved with ``save_pretrained`` works as ``model``; here a tiny randomly
    initialised wav2vec 2.0 stands in for ``"facebook/wav2vec2-base"``:

    >>> import tempfile
    >>> import numpy as np
    >>> from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model
    >>> from sklearn_mgc import Wav2Vec2Features
    >>> config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
    ...                         intermediate_size=64, conv_dim=(16, 16, 16),
    ...                         conv_kernel=(10, 3, 3), conv_stride=(5, 4, 4),
    ...                         num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    >>> directory = tempfile.mkdtemp()
    >>> Wav2Vec2Model(config).save_pretrained(directory)
    >>> _ = Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(directory)
    >>> clips = np.random.default_rng(0).standard_normal((3, 22050)).astype(np.float32)
    >>> features = Wav2Vec2Features(model=directory, duration=1.0, sr=22050)
    >>> features.fit_transform(clips).shape
    (3, 32)
    >>> features.set_params(output="sequence").transform(clips).shape
    (3, 200, 32)
    """

    _parameter_constraints: dict = {
        **PretrainedFeatures._parameter_constraints,
        "chunk_duration": [Interval(Real, 0, None, closed="neither"), None],
        "revision": [str, None],
        "trust_remote_code": ["boolean"],
    }

    def __init__(
        self,
        model="facebook/wav2vec2-base",
        *,
        layer=-1,
        output="mean",
        sr=22050,
        duration=30.0,
        chunk_duration=10.0,
        device="cpu",
        batch_size=2,
        dtype="float32",
        n_jobs=None,
        cache_dir=None,
        verbose=0,
        on_error="raise",
        revision=None,
        trust_remote_code=False,
    ):
        self.model = model
        self.revision = revision
        self.trust_remote_code = trust_remote_code
        self.layer = layer
        self.output = output
        self.sr = sr
        self.duration = duration
        self.chunk_duration = chunk_duration
        self.device = device
        self.batch_size = batch_size
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.on_error = on_error

    # ------------------------------------------------------------------ loading
    def _load_pretrained(self):
        """Load the feature extractor and the model named by ``self.model``."""
        from transformers import AutoFeatureExtractor, AutoModel

        name = self.model
        local = is_local_path(name)
        if local:
            path = os.path.expanduser(os.fspath(name))
            if not os.path.isdir(path):
                raise OSError(
                    f"Cannot load model={os.fspath(name)!r}: no such directory. Give a Hugging "
                    "Face model id (such as 'facebook/wav2vec2-base') or a directory written "
                    "with save_pretrained that holds config.json, the weights and "
                    "preprocessor_config.json."
                )
            source = path
        else:
            source = name
        try:
            hub = {"revision": self.revision, "trust_remote_code": self.trust_remote_code}
            feature_extractor = AutoFeatureExtractor.from_pretrained(source, **hub)
            model = AutoModel.from_pretrained(source, **hub)
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError, ...
            where = (
                f"the local directory {source!r}"
                if local
                else f"the Hugging Face hub model {source!r}"
            )
            raise OSError(
                f"Cannot load {where} with transformers' AutoModel and AutoFeatureExtractor "
                f"({type(exc).__name__}: {exc}). " + _HOW_TO_PROVIDE.format(name=source)
            ) from exc
        return feature_extractor, model

    def _hub_file(self):
        if is_local_path(self.model):
            return None
        return os.fspath(self.model), "config.json", self.revision

    def _fit_model(self):
        import torch

        feature_extractor, model = self._load_pretrained()
        config = model.config
        input_names = getattr(feature_extractor, "model_input_names", None) or []
        if (
            not input_names
            or input_names[0] != "input_values"
            or not hasattr(config, "conv_kernel")
            or not hasattr(config, "conv_stride")
        ):
            raise ValueError(
                f"model={self.model!r} ({type(model).__name__}) is not a raw-waveform encoder "
                "with a convolutional front end (wav2vec 2.0, HuBERT, WavLM, data2vec-audio): "
                "its feature extractor must produce 'input_values' and its config must have "
                "conv_kernel and conv_stride."
            )
        # hidden_states holds the input of the first layer, then the output of every layer
        layers = self._resolve_layers(config.num_hidden_layers + 1, "hidden_states entries")

        model = self._apply_dtype(model.to(device=self.device, dtype=torch.float32).eval())
        self.feature_extractor_ = feature_extractor
        self.model_ = model
        self.n_features_ = int(config.hidden_size)
        self.model_sr_ = int(feature_extractor.sampling_rate)
        self.layers_ = layers

    # ------------------------------------------------------------- frame maths
    def _conv_frames(self, n_samples):
        """Frames the convolutional front end gives for one chunk.

        A model's adapter (``config.add_adapter``) is left out: it subsamples the last hidden
        state only, after the encoder, and ``hidden_states`` are the encoder's.
        """
        config = self.model_.config
        n = int(n_samples)
        for kernel, stride in zip(config.conv_kernel, config.conv_stride):
            n = _conv_out_length(n, kernel, stride)
            if n <= 0:
                return 0
        return n // self._squeeze()

    def _squeeze(self):
        """Front-end frames averaged into one by the encoder (SEW's ``squeeze_factor``), else 1.

        SEW and SEW-D pool their encoder's input over ``squeeze_factor`` frames (keeping
        ``frames // squeeze_factor``) and upsample only the last hidden state.
        """
        return int(getattr(self.model_.config, "squeeze_factor", 1) or 1)

    def _receptive_field(self):
        """Fewest samples for which the front end (and SEW's pooling) gives one frame."""
        config = self.model_.config
        n = self._squeeze()  # front-end frames needed for one output frame
        for kernel, stride in zip(reversed(config.conv_kernel), reversed(config.conv_stride)):
            n = (n - 1) * stride + kernel
        return n

    def _hop(self):
        """Samples between consecutive frames: the product of the strides (and SEW's pooling)."""
        # hidden_states: no adapter
        return int(np.prod(self.model_.config.conv_stride)) * self._squeeze()

    def _frame_centres(self, index):
        # frame i reads samples i * hop ... i * hop + receptive_field - 1 of its chunk
        return index * self._hop() + (self._receptive_field() - 1) / 2

    # ------------------------------------------------------ PretrainedFeatures
    def _chunking(self):
        if self.chunk_duration is None:
            chunk = sys.maxsize  # one chunk: the whole clip
        else:
            chunk = max(int(round(self.chunk_duration * self.model_sr_)), self._receptive_field())
        return chunk, self._receptive_field() - 1

    def _n_frames(self, n_samples):
        n_samples = int(n_samples)
        chunk, min_last = self._chunking()
        if n_samples <= chunk:
            return self._conv_frames(n_samples) if n_samples > min_last else 0
        n_full, rest = divmod(n_samples, chunk)
        frames = n_full * self._conv_frames(chunk)
        if rest > min_last:
            frames += self._conv_frames(rest)
        return frames

    def _normalize(self, batch):
        """Apply the model's feature extractor to a batch of equal-length chunks (b, n)."""
        import torch

        waves = list(batch.detach().to("cpu", torch.float32).numpy())
        values = self.feature_extractor_(waves, sampling_rate=self.model_sr_, return_tensors="np")[
            "input_values"
        ]
        return torch.as_tensor(np.asarray(values, dtype=np.float32), device=batch.device)

    def _embed(self, batch, lengths):
        # every chunk is normalised and encoded on its own: the clip's length plays no part
        import torch

        values = self._normalize(batch)
        out = self.model_(values, output_hidden_states=True, return_dict=True)
        states = out.hidden_states
        if len(self.layers_) == 1:
            return states[self.layers_[0]]
        return torch.stack([states[i] for i in self.layers_]).mean(dim=0)

    # ----------------------------------------------------------------- pickling
    def __getstate__(self):
        # transformers' encoders hold weight-normalised convolutions (torch parametrizations),
        # which torch refuses to pickle as modules: store the fitted model as config + weights.
        state = dict(super().__getstate__())  # a copy: never alter the live estimator
        model = state.get("model_")
        if hasattr(model, "state_dict"):  # not already plain data
            weights = model.state_dict()
            # with dtype="int8", entries of the quantized Linear layers are packed parameters
            # (tuples) and dtypes rather than tensors, loaded by the version in _metadata
            packed = type(weights)(
                (k, v.detach().cpu() if hasattr(v, "detach") else v) for k, v in weights.items()
            )
            packed._metadata = getattr(weights, "_metadata", {})
            state["model_"] = {
                "__sklearn_mgc_model__": type(model),
                "config": model.config,
                "state_dict": packed,
            }
        return state

    def __setstate__(self, state):
        packed = state.get("model_")
        if isinstance(packed, dict) and "__sklearn_mgc_model__" in packed:
            import torch

            with torch.random.fork_rng(devices=[]):  # building the module draws random weights
                model = packed["__sklearn_mgc_model__"](packed["config"])
            device = str(state.get("device", "cpu"))
            if device.startswith("cuda") and not torch.cuda.is_available():
                device = "cpu"  # a model saved on a GPU loads on a CPU-only machine
            model = model.to(device=device, dtype=torch.float32).eval()
            if state.get("dtype") == "int8":  # packed int8 Linear and convolution parameters
                model = _quantize_int8(model, torch)
            model.load_state_dict(packed["state_dict"])
            state = {**state, "model_": model}
        super().__setstate__(state)

    @classmethod
    def get_test_params(cls):
        """Cheap constructor settings for tests: a tiny random model saved to a temporary folder.

        Returns
        -------
        params : dict
            Keyword arguments for ``Wav2Vec2Features``; ``model`` is a local directory holding
            a tiny randomly initialised wav2vec 2.0 (32 features), built once per machine.
        """
        directory = os.path.join(tempfile.gettempdir(), f"sklearn_mgc_tiny_wav2vec2_{_uid()}")
        if not os.path.isfile(os.path.join(directory, "preprocessor_config.json")):
            _save_tiny_model(directory)
        return {"model": directory, "duration": 1.0, "chunk_duration": 0.5, "sr": 100}


def _uid():
    return os.getuid() if hasattr(os, "getuid") else "user"


def _tiny_config(kind="wav2vec2"):
    """Config of a tiny encoder (32 features, 2 layers, hop 80 samples) for tests and examples."""
    from transformers import HubertConfig, Wav2Vec2Config

    kwargs = dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16, 16),
        conv_kernel=(10, 3, 3),
        conv_stride=(5, 4, 4),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    if kind == "wav2vec2":
        return Wav2Vec2Config(**kwargs)
    if kind == "hubert":
        return HubertConfig(**kwargs)
    raise ValueError(f"kind must be 'wav2vec2' or 'hubert', got {kind!r}.")


def _save_tiny_model(directory, *, kind="wav2vec2", seed=0, sampling_rate=16000):
    """Save a tiny randomly initialised encoder and its feature extractor to ``directory``.

    The files are written to a sibling temporary folder first and moved into place, so that
    concurrent callers never see a half-written model.
    """
    import torch
    from transformers import AutoModel, Wav2Vec2FeatureExtractor

    directory = os.fspath(directory)
    try:
        with atomic_write(directory, directory=True) as tmp:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = AutoModel.from_config(_tiny_config(kind))
            model.save_pretrained(tmp)
            Wav2Vec2FeatureExtractor(
                sampling_rate=sampling_rate, do_normalize=True, return_attention_mask=False
            ).save_pretrained(tmp)
    except OSError:  # directory exists already (another process won the race)
        if not os.path.isfile(os.path.join(directory, "preprocessor_config.json")):
            raise
    return directory
