"""EnCodecMAE's encoder (Pepino, Riera, Ferrer, 2023), inference only.

The published checkpoints (``lpepino/encodecmae-v2``) are dictionaries with ``imports``,
``config`` (a gin configuration, as text) and ``state_dict``. This module rebuilds the
part used for feature extraction from them, without the authors' package or gin:

front end
    either the Kaldi log-mel filterbank of the waveform (normalised by the config's
    ``norm_stats``), or EnCodec's SEANet encoder (128-d, hop 320); then a Linear to the
    model dimension.
positional encoding
    sinusoidal (sine on even, cosine on odd channels) times a learned scalar, added.
transformer
    ``num_layers`` layers with ResiDual normalisation (Xie et al., 2023): each layer
    carries two streams, a normalised one ``a`` (fed to the sublayers) and an
    unnormalised one ``b`` (the sum of every sublayer output)::

        h = attention(a);   a = norm1(a + h);   b = b + h
        h = feedforward(a); a = norm2(a + h);   b = b + h

    and the output of the stack is ``a + final_norm(b)``. Attention has no biases and
    splits its projections into heads with the head index varying fastest (channel
    ``c = d * n_heads + h``), unlike PyTorch's ``c = h * head_dim + d``. The feed-forward
    block is Linear -> ReLU -> Linear. Keys past ``n_samples // hop`` frames are masked.

The activations of layer ``i`` are the normalised stream ``a`` after layer ``i``; the
last layer's is replaced by the final output (index ``-1``), as the authors' feature
extraction does.

Their extraction builds the key padding mask from ``min(clip length, chunk length)``
rather than from each chunk's own length, so in practice only a clip shorter than one
chunk has a masked (partial) last frame; ``EnCodecMAEFeatures`` reproduces that through
``forward(..., n_valid=...)``.
"""

import ast
import math
import re

import torch
from torch import nn
from torch.nn import functional as F

from .fbank import fbank_n_frames, frame_sizes, kaldi_fbank, mel_filters
from .seanet import SEANetEncoder, rename_seanet_key, seanet_key_to_published

__all__ = [
    "GinConfig",
    "EnCodecMAEEncoder",
    "MelFrontEnd",
    "EnCodecFrontEnd",
    "build_from_checkpoint",
    "make_checkpoint",
]


# --------------------------------------------------------------------------- gin parsing
_MACRO = re.compile(r"%([A-Za-z_][\w.]*)")


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _balance(text):
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


class GinConfig:
    """The handful of gin features EnCodecMAE's configs use, read without gin.

    Understands ``MACRO = value``, ``scope/package.Class.param = value``, ``+=`` on lists,
    blocks ``scope/package.Class:`` followed by indented ``param = value`` lines,
    ``%MACRO`` references, ``@references`` (kept as strings), comments and values that
    span several lines. A later binding overrides an earlier one, as in gin.

    Parameters
    ----------
    text : str
        The configuration.
    """

    def __init__(self, text):
        self.macros = {}
        self.bindings = {}  # (configurable, param) -> raw value text, in order
        block = None
        pending = None
        for raw_line in text.splitlines():
            line = _strip_comment(raw_line).rstrip()
            if pending is not None:
                pending[-1] += " " + line.strip()
                if _balance(pending[-1]) <= 0:
                    self._bind(*pending)
                    pending = None
                continue
            if not line.strip():
                continue
            stripped = line.strip()
            if stripped.startswith(("import ", "from ", "include ")):
                continue
            indented = line[0].isspace()
            if not indented and stripped.endswith(":") and "=" not in stripped:
                block = stripped[:-1].strip()
                continue
            match = re.match(r"^([^=+]+?)\s*(\+?=)\s*(.*)$", stripped)
            if match is None:
                continue
            lhs, op, rhs = match.groups()
            if indented and block is not None:
                target = (block, lhs)
            else:
                block = None
                if "." in lhs.split("/")[-1]:
                    configurable, _, param = lhs.rpartition(".")
                    target = (configurable, param)
                else:
                    target = (None, lhs)
            if _balance(rhs) > 0:
                pending = [target, op, rhs]
            else:
                self._bind(target, op, rhs)

    def _bind(self, target, op, rhs):
        rhs = rhs.strip()
        store = self.macros if target[0] is None else self.bindings
        key = target[1] if target[0] is None else target
        if op == "+=" and key in store:
            old = store.pop(key)
            if old.endswith("]") and rhs.startswith("["):
                rhs = old[:-1].rstrip().rstrip(",") + ", " + rhs[1:]
        store.pop(key, None)
        store[key] = rhs

    def evaluate(self, raw, _depth=0):
        """Python value of a raw gin value (``@references`` stay strings)."""
        if _depth > 20:
            raise ValueError(f"gin macros nest too deeply at {raw!r}")
        raw = raw.strip()
        whole = _MACRO.fullmatch(raw)
        if whole:
            name = whole.group(1)
            if name not in self.macros:
                raise KeyError(f"gin macro %{name} is not defined in the checkpoint's config")
            return self.evaluate(self.macros[name], _depth + 1)
        if "%" in raw:
            raw = _MACRO.sub(lambda m: repr(self.evaluate("%" + m.group(1), _depth + 1)), raw)
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw

    def get(self, configurable, param, default=None, *, scope=None):
        """Value bound to ``param`` of the configurable whose name ends with ``configurable``.

        Parameters
        ----------
        configurable : str
            Class name, e.g. ``"MelspectrogramProcessor"`` (package prefix optional).
        param : str
        default : object, optional
            Returned when nothing is bound.
        scope : str, optional
            Only bindings in this gin scope (``"encoder"`` in ``encoder/...``); None: any.
        """
        found = None
        for (name, p), raw in self.bindings.items():
            if p != param:
                continue
            bound_scope, _, qualname = name.rpartition("/")
            if scope is not None and bound_scope != scope:
                continue
            if qualname == configurable or qualname.endswith("." + configurable):
                found = raw
        return default if found is None else self.evaluate(found)

    def macro(self, name, default=None):
        """Value of the macro ``name``, or ``default``."""
        return default if name not in self.macros else self.evaluate(self.macros[name])


# ----------------------------------------------------------------------------- modules
class MelFrontEnd(nn.Module):
    """Normalised Kaldi filterbank: waveforms ``(b, n)`` -> ``(b, frames, num_mel_bins)``."""

    def __init__(
        self,
        *,
        num_mel_bins=256,
        sample_frequency=24000,
        frame_length=26.56,
        frame_shift=13.28,
        low_freq=20.0,
        high_freq=0.0,
        window_type="hanning",
        norm_stats=(-6.12, 4.82),
    ):
        super().__init__()
        self.kwargs = dict(
            sample_frequency=float(sample_frequency),
            frame_length=float(frame_length),
            frame_shift=float(frame_shift),
            num_mel_bins=int(num_mel_bins),
            low_freq=float(low_freq),
            high_freq=float(high_freq),
            window_type=window_type,
        )
        self.window_size, self.window_shift = frame_sizes(
            sample_frequency=self.kwargs["sample_frequency"],
            frame_length=self.kwargs["frame_length"],
            frame_shift=self.kwargs["frame_shift"],
        )
        n_fft = 1 << (self.window_size - 1).bit_length()
        self.register_buffer(
            "filters",
            mel_filters(
                num_mel_bins=int(num_mel_bins),
                n_fft=n_fft,
                sample_frequency=float(sample_frequency),
                low_freq=float(low_freq),
                high_freq=float(high_freq),
            ),
            persistent=False,
        )
        self.mean, self.std = float(norm_stats[0]), float(norm_stats[1])
        self.out_dim = int(num_mel_bins)

    def n_frames(self, n_samples):
        return fbank_n_frames(
            int(n_samples), window_size=self.window_size, window_shift=self.window_shift
        )

    def forward(self, wav):
        mel = kaldi_fbank(wav, filters=self.filters, **self.kwargs)
        return (mel - self.mean) / self.std


class EnCodecFrontEnd(SEANetEncoder):
    """EnCodec's SEANet encoder as a front end: ``(b, n)`` -> ``(b, ceil(n / 320), 128)``."""

    @property
    def out_dim(self):
        return self.dimension


class ResiDualLayer(nn.Module):
    """One transformer layer with ResiDual normalisation (see the module docstring)."""

    def __init__(self, dim, n_heads, ff_dim, head_dim=None):
        super().__init__()
        head_dim = dim // n_heads if head_dim is None else head_dim
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.wq = nn.Linear(dim, head_dim * n_heads, bias=False)
        self.wk = nn.Linear(dim, head_dim * n_heads, bias=False)
        self.wv = nn.Linear(dim, head_dim * n_heads, bias=False)
        self.wo = nn.Linear(head_dim * n_heads, dim, bias=False)
        self.ff1 = nn.Linear(dim, ff_dim)
        self.ff2 = nn.Linear(ff_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)

    def _heads(self, x):
        b, t, _ = x.shape
        # channel c = d * n_heads + h  ->  (b, h, t, d)
        return x.view(b, t, self.head_dim, self.n_heads).permute(0, 3, 1, 2)

    def attention(self, x, key_mask):
        b, t, _ = x.shape
        q, k, v = self._heads(self.wq(x)), self._heads(self.wk(x)), self._heads(self.wv(x))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask)
        # (b, h, t, d) -> (b, t, d, h) -> (b, t, d * n_heads + h)
        return self.wo(out.permute(0, 2, 3, 1).reshape(b, t, self.head_dim * self.n_heads))

    def forward(self, a, b, key_mask=None):
        h = self.attention(a, key_mask)
        a = self.norm1(a + h)
        b = b + h
        h = self.ff2(F.relu(self.ff1(a)))
        return self.norm2(a + h), b + h


class EnCodecMAEEncoder(nn.Module):
    """Front end, projection, positional encoding and ResiDual transformer.

    Parameters
    ----------
    front_end : MelFrontEnd or EnCodecFrontEnd
    dim : int
        Model dimension (768 for base, 1024 for large).
    num_layers : int
        Transformer layers (10 for base, 5 for small, 20 for large).
    n_heads : int, default=12
    ff_dim : int, default=4096
    head_dim : int, optional
        Per-head width of the projections (default ``dim // n_heads``).
    hop_length : int, default=320
        Samples per frame used for the key padding mask (``n // hop_length`` valid frames).
    """

    def __init__(
        self, front_end, *, dim, num_layers, n_heads=12, ff_dim=4096, head_dim=None, hop_length=320
    ):
        super().__init__()
        self.front_end = front_end
        self.proj = nn.Linear(front_end.out_dim, dim)
        self.pos_scale = nn.Parameter(torch.tensor(1.0))
        self.layers = nn.ModuleList(
            [ResiDualLayer(dim, n_heads, ff_dim, head_dim) for _ in range(num_layers)]
        )
        self.final_norm = nn.LayerNorm(dim)
        self.dim = dim
        self.hop_length = hop_length

    def n_frames(self, n_samples):
        """Frames out of one chunk of ``n_samples`` samples."""
        return self.front_end.n_frames(n_samples)

    def positional_encoding(self, t, dtype, device):
        position = torch.arange(t, device=device, dtype=torch.float32).unsqueeze(1)
        freq = torch.exp(
            torch.arange(0, self.dim, 2, device=device, dtype=torch.float32)
            * (-math.log(10000.0) / self.dim)
        )
        pe = torch.zeros(t, self.dim, device=device, dtype=torch.float32)
        pe[:, 0::2] = torch.sin(position * freq)
        pe[:, 1::2] = torch.cos(position * freq)[:, : self.dim // 2]
        return pe.to(dtype)

    def resolve_layers(self, layers):
        """Map layer indices (negative from the end) to ``0 .. num_layers - 1``."""
        n = len(self.layers)
        out = []
        for layer in layers:
            if not -n <= layer < n:
                raise ValueError(
                    f"layer {layer} is out of range for a model with {n} transformer layers "
                    f"(-{n} .. {n - 1})"
                )
            out.append(layer % n)
        return out

    def forward(self, wav, layers=(-1,), *, n_valid=None):
        """Activations of ``layers`` for a batch of equal-length chunks.

        Parameters
        ----------
        wav : torch.Tensor of shape (b, n)
        layers : sequence of int, default=(-1,)
        n_valid : int, optional
            Samples counted as real audio for the key padding mask (frames from
            ``n_valid // hop_length`` on are not attended to); default ``n``.

        Returns
        -------
        activations : list of torch.Tensor of shape (b, n_frames, dim), one per requested layer
        """
        wanted = self.resolve_layers(layers)
        x = self.proj(self.front_end(wav))
        bsz, t, _ = x.shape
        x = x + self.pos_scale * self.positional_encoding(t, x.dtype, x.device)
        valid = (wav.shape[-1] if n_valid is None else int(n_valid)) // self.hop_length
        key_mask = None
        if valid < t:
            key_mask = (torch.arange(t, device=x.device) < valid).view(1, 1, 1, t)
        a, b = x, x
        last = max(wanted)
        acts = {}
        for i, layer in enumerate(self.layers[: last + 1]):
            a, b = layer(a, b, key_mask)
            if i in wanted:
                acts[i] = a
        if last == len(self.layers) - 1:
            acts[last] = a + self.final_norm(b)
        return [acts[i] for i in wanted]


# ------------------------------------------------------------------ checkpoint handling
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
    sd = checkpoint["state_dict"]
    config = GinConfig(checkpoint["config"])
    try:
        proj_w = sd["wav_encoder.post_net.weight"]
        dim = proj_w.shape[0]
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
    fs = int(config.get("WavEncoder", "fs", 24000) or 24000)
    kind = _front_end_kind(config, sd)
    if kind == "ec":
        encoder = str(config.get("WavEncoder", "encoder", ""))
        causal = not encoder.endswith("SEANetEncoder")  # EnCodec's 24 kHz model is causal
        has_lstm = any(".lstm." in k for k in sd if k.startswith(_ENCODER_PREFIX))
        n_filters = sd[_ENCODER_PREFIX + "0.conv.conv.weight_v"].shape[0]
        front = EnCodecFrontEnd(
            dimension=proj_w.shape[1],
            n_filters=n_filters,
            lstm=2 if has_lstm else 0,
            causal=causal,
            scale=float(config.get("EncodecEncoder", "scale", 1.0)) if causal else 1.0,
        )
        hop = int(config.get("WavEncoder", "hop_length", front.hop_length) or front.hop_length)
    else:
        get = lambda p, d: config.get("MelspectrogramProcessor", p, d)  # noqa: E731
        if get("use_energy", False):
            raise NotImplementedError(
                f"{name}: filterbank with an energy coefficient is not supported"
            )
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
        if front.out_dim != proj_w.shape[1]:
            raise ValueError(
                f"{name}: the config asks for {front.out_dim} mel bins but the projection takes "
                f"{proj_w.shape[1]}"
            )
        hop = int(config.get("WavEncoder", "hop_length", 320) or 320)
    # the transformer is created without memory and takes the checkpoint's tensors as they are,
    # so that loading never holds two copies of the weights
    with torch.device("meta"):
        model = EnCodecMAEEncoder(
            front,
            dim=dim,
            num_layers=num_layers,
            n_heads=n_heads,
            ff_dim=ff_dim,
            head_dim=qk_total // n_heads,
            hop_length=hop,
        )
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
    model.eval()
    max_length = config.get("ReadAudioProcessor", "max_length", None)
    if max_length is None:
        max_length = config.macro("MAX_AUDIO_DURATION", 4)
    info = {"sr": fs, "chunk_samples": int(fs * float(max_length)), "front_end": kind, "dim": dim}
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


def make_checkpoint(
    *, front_end="mel", dim=768, num_layers=10, n_heads=12, ff_dim=4096, num_mel_bins=256, seed=0
):
    """A randomly initialised checkpoint in the published format (for tests and benchmarks).

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
        for module in model.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        with torch.no_grad():
            model.pos_scale.fill_(1.0)
    config = _CONFIG_COMMON.format(dim=dim, num_layers=num_layers, n_heads=n_heads, max_length=4)
    config += _CONFIG_EC if front_end == "ec" else _CONFIG_MEL.format(num_mel_bins=num_mel_bins)
    state = {k: v.detach().clone() for k, v in _ours_to_published(model.state_dict()).items()}
    return {"imports": _IMPORTS, "config": config, "state_dict": state}
