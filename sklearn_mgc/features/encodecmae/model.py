"""EnCodecMAE's checkpoints: building the encoder from one, and making tiny random ones.

The published checkpoints (``lpepino/encodecmae-v2``) are dictionaries with ``imports``,
``config`` (a gin configuration, as text, read by :class:`~.gin.GinConfig`) and
``state_dict``. :func:`build_from_checkpoint` reads the sizes from the weights and the rest
from the configuration, builds the :class:`~.transformer.EnCodecMAEEncoder` and loads the
weights into it; :func:`make_checkpoint` writes a randomly initialised one in the same format.
The encoder's classes are also importable from here.
"""

import torch
from torch import nn

from .gin import GinConfig
from .seanet import rename_seanet_key, seanet_key_to_published
from .transformer import EnCodecFrontEnd, EnCodecMAEEncoder, MelFrontEnd

__all__ = [
    "GinConfig",
    "EnCodecMAEEncoder",
    "MelFrontEnd",
    "EnCodecFrontEnd",
    "build_from_checkpoint",
    "make_checkpoint",
]


_ENCODER_PREFIX = "wav_encoder.encoder.model.model."


def _layer_key_to_ours(rest):
    rest = rest.replace("att_layer.", "", 1)
    return rest.replace("ff_layer.0.", "ff1.", 1).replace("ff_layer.2.", "ff2.", 1)


def _layer_key_to_published(rest):
    if rest.startswith(("wq.", "wk.", "wv.", "wo.")):
        return "att_layer." + rest
    return rest.replace("ff1.", "ff_layer.0.", 1).replace("ff2.", "ff_layer.2.", 1)


def _published_to_ours(state_dict):
    ours = {}
    for key, value in state_dict.items():
        if key.startswith(_ENCODER_PREFIX):
            ours["front_end.layers." + rename_seanet_key(key[len(_ENCODER_PREFIX) :])] = value
        elif key.startswith("wav_encoder.post_net."):
            ours["proj." + key[len("wav_encoder.post_net.") :]] = value
        elif key == "masker.positional_encoder.scale":
            ours["pos_scale"] = value
        elif key.startswith("visible_encoder.encoder_layers."):
            idx, _, rest = key[len("visible_encoder.encoder_layers.") :].partition(".")
            ours[f"layers.{idx}.{_layer_key_to_ours(rest)}"] = value
        elif key.startswith("visible_encoder.final_norm."):
            ours[key[len("visible_encoder.") :]] = value
        # anything else (decoder, head, target encoder, post_net of the encoder) is training-only
    return ours


def _ours_to_published(state_dict):
    out = {}
    for key, value in state_dict.items():
        if key.startswith("front_end.layers."):
            out[_ENCODER_PREFIX + seanet_key_to_published(key[len("front_end.layers.") :])] = value
        elif key.startswith("proj."):
            out["wav_encoder.post_net." + key[len("proj.") :]] = value
        elif key == "pos_scale":
            out["masker.positional_encoder.scale"] = value
        elif key.startswith("layers."):
            idx, _, rest = key[len("layers.") :].partition(".")
            out[f"visible_encoder.encoder_layers.{idx}.{_layer_key_to_published(rest)}"] = value
        elif key.startswith("final_norm."):
            out["visible_encoder." + key] = value
    return out


def _front_end_kind(config, state_dict):
    encoder = str(config.get("WavEncoder", "encoder", ""))
    has_seanet = any(k.startswith(_ENCODER_PREFIX) for k in state_dict)
    if has_seanet or encoder.endswith(("EncodecEncoder", "SEANetEncoder")):
        return "ec"
    processors = str(config.get("SequentialProcessor", "processors", ""))
    if "SpectrogramProcessor" in processors and "MelspectrogramProcessor" not in processors:
        raise NotImplementedError(
            "this checkpoint uses the linear spectrogram front end, which is not implemented; "
            "the mel filterbank and EnCodec front ends are"
        )
    return "mel"


def _check_checkpoint(checkpoint, name):
    if (
        not isinstance(checkpoint, dict)
        or "state_dict" not in checkpoint
        or "config" not in checkpoint
    ):
        keys = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(
            f"{name} is not an EnCodecMAE checkpoint: expected a dict with 'config' and "
            f"'state_dict', got {keys}"
        )


def _transformer_sizes(sd, config, name):
    """``dim``, ``num_layers``, ``ff_dim``, ``n_heads``, ``head_dim`` of the checkpoint."""
    try:
        dim = sd["wav_encoder.post_net.weight"].shape[0]
        num_layers = 1 + max(
            int(k.split(".")[2]) for k in sd if k.startswith("visible_encoder.encoder_layers.")
        )
        ff_dim = sd["visible_encoder.encoder_layers.0.ff_layer.0.weight"].shape[0]
        qk_total = sd["visible_encoder.encoder_layers.0.att_layer.wq.weight"].shape[0]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{name} lacks the EnCodecMAE encoder's weights ({exc})") from None
    n_heads = int(
        config.get(
            "MultiHeadAttention",
            "num_heads",
            config.macro("NUM_ENCODER_HEADS", 12),
            scope="encoder",
        )
    )
    if qk_total % n_heads:
        raise ValueError(
            f"{name}: projections of width {qk_total} cannot be split into {n_heads} heads"
        )
    return dict(
        dim=dim, num_layers=num_layers, ff_dim=ff_dim, n_heads=n_heads, head_dim=qk_total // n_heads
    )


def _encodec_front_end(config, sd):
    """EnCodec's SEANet encoder as the checkpoint configures it, and its hop."""
    encoder = str(config.get("WavEncoder", "encoder", ""))
    causal = not encoder.endswith("SEANetEncoder")  # EnCodec's 24 kHz model is causal
    has_lstm = any(".lstm." in k for k in sd if k.startswith(_ENCODER_PREFIX))
    n_filters = sd[_ENCODER_PREFIX + "0.conv.conv.weight_v"].shape[0]
    front = EnCodecFrontEnd(
        dimension=sd["wav_encoder.post_net.weight"].shape[1],
        n_filters=n_filters,
        lstm=2 if has_lstm else 0,
        causal=causal,
        scale=float(config.get("EncodecEncoder", "scale", 1.0)) if causal else 1.0,
    )
    hop = int(config.get("WavEncoder", "hop_length", front.hop_length) or front.hop_length)
    return front, hop


def _mel_front_end(config, sd, name):
    """The Kaldi filterbank as the checkpoint configures it, and its hop."""
    get = lambda p, d: config.get("MelspectrogramProcessor", p, d)  # noqa: E731
    if get("use_energy", False):
        raise NotImplementedError(f"{name}: filterbank with an energy coefficient is not supported")
    front = MelFrontEnd(
        num_mel_bins=get("num_mel_bins", 23),
        sample_frequency=get("sample_frequency", 16000),
        frame_length=get("frame_length", 25),
        frame_shift=get("frame_shift", 10),
        low_freq=get("low_freq", 20),
        high_freq=get("high_freq", 0),
        window_type=get("window_type", "povey"),
        norm_stats=get("norm_stats", [0, 1]),
    )
    n_in = sd["wav_encoder.post_net.weight"].shape[1]
    if front.out_dim != n_in:
        raise ValueError(
            f"{name}: the config asks for {front.out_dim} mel bins but the projection takes {n_in}"
        )
    hop = int(config.get("WavEncoder", "hop_length", 320) or 320)
    return front, hop


def _load_weights(model, sd, name):
    """Load the published weights into ``model`` (built on the meta device) without copies."""
    try:
        missing, unexpected = model.load_state_dict(
            _published_to_ours(sd), strict=False, assign=True
        )
    except RuntimeError as exc:
        raise ValueError(f"{name}: weights do not fit the architecture: {exc}") from None
    if missing or unexpected or any(p.is_meta for p in model.parameters()):
        raise ValueError(
            f"{name}: weights do not fit the architecture (missing {missing[:5]}, unexpected "
            f"{unexpected[:5]})"
        )


def build_from_checkpoint(checkpoint, *, name="checkpoint"):
    """Build an :class:`EnCodecMAEEncoder` from a published-format checkpoint and load its weights.

    Parameters
    ----------
    checkpoint : dict
        With ``config`` (gin text) and ``state_dict``, as ``torch.load`` returns it.
    name : str, default="checkpoint"
        Used in error messages.

    Returns
    -------
    model : EnCodecMAEEncoder
        In eval mode, on the CPU.
    info : dict
        ``sr`` (model rate), ``chunk_samples`` (the authors' chunk length), ``front_end``
        (``"mel"`` or ``"ec"``) and ``dim``.
    """
    _check_checkpoint(checkpoint, name)
    sd = checkpoint["state_dict"]
    config = GinConfig(checkpoint["config"])
    sizes = _transformer_sizes(sd, config, name)
    fs = int(config.get("WavEncoder", "fs", 24000) or 24000)
    kind = _front_end_kind(config, sd)
    if kind == "ec":
        front, hop = _encodec_front_end(config, sd)
    else:
        front, hop = _mel_front_end(config, sd, name)
    # the transformer is created without memory and takes the checkpoint's tensors as they are,
    # so that loading never holds two copies of the weights
    with torch.device("meta"):
        model = EnCodecMAEEncoder(front, hop_length=hop, **sizes)
    _load_weights(model, sd, name)
    model.eval()
    max_length = config.get("ReadAudioProcessor", "max_length", None)
    if max_length is None:
        max_length = config.macro("MAX_AUDIO_DURATION", 4)
    chunk_samples = int(fs * float(max_length))
    info = {"sr": fs, "chunk_samples": chunk_samples, "front_end": kind, "dim": sizes["dim"]}
    return model, info


_IMPORTS = """encodecmae.models.encoders: encodecmae.models.encoders
encodecmae.models.transformers: encodecmae.models.transformers
encodecmae.models: encodecmae.models
encodecmae.tasks.features: encodecmae.tasks.features
torch.nn: torch.nn
"""

_CONFIG_COMMON = """MODEL_DIM={dim}
NUM_ENCODER_LAYERS={num_layers}
NUM_ENCODER_HEADS={n_heads}
MAX_AUDIO_DURATION={max_length}
encodecmae.models.EncodecMAE:
    wav_encoder = @encodecmae.models.encoders.WavEncoder
    masker = @encodecmae.models.masks.PatchoutMask
    visible_encoder = @encoder/encodecmae.models.transformers.TransformerEncoder
encodecmae.models.masks.PatchoutMask:
    positional_encoder = @encodecmae.models.transformers.SinusoidalPositionalEmbeddings
encoder/encodecmae.models.transformers.TransformerEncoder:
    model_dim=%MODEL_DIM
    num_layers=%NUM_ENCODER_LAYERS
    attention_layer=@encoder/encodecmae.models.transformers.MultiHeadAttention
encoder/encodecmae.models.transformers.MultiHeadAttention:
    model_dim=%MODEL_DIM
    num_heads=%NUM_ENCODER_HEADS
encodecmae.tasks.features.ReadAudioProcessor:
    key_in = 'filename'
    key_out = 'wav'
    max_length = %MAX_AUDIO_DURATION
"""

_CONFIG_EC = """encodecmae.models.encoders.WavEncoder:
    encoder = @encodecmae.models.encoders.EncodecEncoder
    post_net = @wav_encoder_proj/torch.nn.Linear
encodecmae.tasks.features.SequentialProcessor:
    processors=[@encodecmae.tasks.features.ReadAudioProcessor]
"""

_CONFIG_MEL = """NUM_MEL_BINS={num_mel_bins}
encodecmae.models.encoders.WavEncoder:
    encoder = @torch.nn.Identity
    post_net = @wav_encoder_proj/torch.nn.Linear
    hop_length = 320
    fs = 24000
encodecmae.tasks.features.SequentialProcessor:
    processors=[@encodecmae.tasks.features.ReadAudioProcessor,
                @encodecmae.tasks.features.MelspectrogramProcessor]
encodecmae.tasks.features.MelspectrogramProcessor:
    sample_frequency=24000
    frame_shift=13.28
    frame_length=26.56
    htk_compat=True
    use_energy=False
    window_type='hanning'
    num_mel_bins=%NUM_MEL_BINS
    dither=0.0
    norm_stats=[-6.12, 4.82]
"""


def _tie_feed_forward(model):
    """Give every layer the first layer's feed-forward block, as the published model has it.

    The authors' ``TransformerEncoder`` builds one ``ff_layer`` and hands it to all its layers,
    so a published checkpoint repeats the same feed-forward weights under every layer's keys.
    Their code cannot hold different ones: loading such a state dict leaves the last layer's in
    all layers, so a checkpoint with independent ones would not be one of theirs.
    """
    for layer in model.layers[1:]:
        layer.ff1, layer.ff2 = model.layers[0].ff1, model.layers[0].ff2


def _detached_copy(state_dict):
    """A copy of ``state_dict`` in which tensors that shared memory still share it."""
    copies, out = {}, {}
    for key, value in state_dict.items():
        ident = (value.data_ptr(), tuple(value.shape), value.dtype)
        if ident not in copies:
            copies[ident] = value.detach().clone()
        out[key] = copies[ident]
    return out


def make_checkpoint(
    *, front_end="mel", dim=768, num_layers=10, n_heads=12, ff_dim=4096, num_mel_bins=256, seed=0
):
    """A randomly initialised checkpoint in the published format (for tests and benchmarks).

    As in the published models, all transformer layers share one feed-forward block (the
    same tensors under every layer's ``ff_layer`` keys), so that the authors' code, which
    builds them that way, loads the checkpoint unchanged.

    Parameters
    ----------
    front_end : {"mel", "ec"}, default="mel"
    dim, num_layers, n_heads, ff_dim : int
        Defaults are the base models' (768, 10, 12, 4096).
    num_mel_bins : int, default=256
    seed : int, default=0
        Seed of the random weights.

    Returns
    -------
    checkpoint : dict
        ``{"imports": str, "config": str, "state_dict": dict}``, loadable by
        :func:`build_from_checkpoint` (save it with ``torch.save``).
    """
    if front_end not in ("mel", "ec"):
        raise ValueError(f"front_end must be 'mel' or 'ec', got {front_end!r}")
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        front = EnCodecFrontEnd() if front_end == "ec" else MelFrontEnd(num_mel_bins=num_mel_bins)
        model = EnCodecMAEEncoder(
            front, dim=dim, num_layers=num_layers, n_heads=n_heads, ff_dim=ff_dim
        )
        _tie_feed_forward(model)
        for module in model.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        with torch.no_grad():
            model.pos_scale.fill_(1.0)
    config = _CONFIG_COMMON.format(dim=dim, num_layers=num_layers, n_heads=n_heads, max_length=4)
    config += _CONFIG_EC if front_end == "ec" else _CONFIG_MEL.format(num_mel_bins=num_mel_bins)
    state = _detached_copy(_ours_to_published(model.state_dict()))
    return {"imports": _IMPORTS, "config": config, "state_dict": state}
