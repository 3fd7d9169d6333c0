"""
Pretrained embeddings: EnCodecMAE and Wav2Vec2
==============================================

In the reference study, pretrained embeddings beat every spectrogram by far: a random forest
on temporal means reached 0.79 with EnCodecMAE, 0.66 with a wav2vec-style encoder (HuBERT
base) and 0.32 with the best spectrogram, and the best model (0.85) was a GRU with attention
on EnCodecMAE sequences. :class:`~sklearn_mgc.EnCodecMAEFeatures` and
:class:`~sklearn_mgc.Wav2Vec2Features` are used like any other representation:

.. code-block:: python

   from sklearn_mgc import EnCodecMAEFeatures, Wav2Vec2Features

   encodecmae = EnCodecMAEFeatures("mel256-ec-base_st", output="mean")      # 768-d
   wav2vec2 = Wav2Vec2Features("facebook/hubert-base-ls960", output="mean")  # 768-d

**They need the pretrained weights.** ``fit`` downloads them once from the Hugging Face hub
into its cache (``lpepino/encodecmae-v2`` for EnCodecMAE, the model id for Wav2Vec2), or
loads a local copy: a ``.pt`` checkpoint file for EnCodecMAE, a folder written by
``save_pretrained`` for Wav2Vec2 (see the user guide's section on pretrained weights).

So that the documentation builds without network access and in seconds, this example never
downloads anything: it uses the published weights when they are already in the Hugging Face
cache, and otherwise says so and falls back to **tiny, randomly initialised models of the
same architectures, built locally**. Those demonstrate the API (shapes, pipelines); being
untrained, their accuracies mean nothing.
"""

# %%
# Find the weights
# ----------------
import os
import tempfile

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_mgc import EnCodecMAEFeatures, Wav2Vec2Features
from sklearn_mgc.datasets import make_genre_clips

from transformers.utils import logging as transformers_logging  # isort: skip

transformers_logging.disable_progress_bar()  # keep the output short


def cached_encodecmae(name="mel256-ec-base_st"):
    """Path of the EnCodecMAE checkpoint in the Hugging Face cache, or None."""
    from huggingface_hub import try_to_load_from_cache

    path = try_to_load_from_cache("lpepino/encodecmae-v2", f"{name}.pt")
    return path if isinstance(path, str) else None


def cached_wav2vec2(model_id="facebook/wav2vec2-base"):
    """Local folder of a transformers model in the Hugging Face cache, or None."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(model_id, local_files_only=True)
    except Exception:
        return None


encodecmae_weights = cached_encodecmae()
wav2vec2_weights = cached_wav2vec2()
untrained = set()

if encodecmae_weights is None:
    print(
        "EnCodecMAE: the checkpoint 'mel256-ec-base_st' is not in the Hugging Face cache.\n"
        "  To use it: EnCodecMAEFeatures('mel256-ec-base_st') downloads it where "
        "huggingface.co is reachable,\n  or download https://huggingface.co/lpepino/"
        "encodecmae-v2/resolve/main/mel256-ec-base_st.pt and pass its path.\n"
        "  Falling back to a tiny, randomly initialised EnCodecMAE (UNTRAINED)."
    )
    import torch

    from sklearn_mgc.features.encodecmae.model import make_checkpoint

    encodecmae_weights = os.path.join(tempfile.mkdtemp(), "tiny-untrained-encodecmae.pt")
    torch.save(
        make_checkpoint(
            front_end="mel", dim=32, num_layers=2, n_heads=2, ff_dim=64, num_mel_bins=32, seed=0
        ),
        encodecmae_weights,
    )
    untrained.add("EnCodecMAE")
else:
    print("EnCodecMAE: using the published checkpoint", encodecmae_weights)

if wav2vec2_weights is None:
    print(
        "Wav2Vec2: 'facebook/wav2vec2-base' is not in the Hugging Face cache.\n"
        "  To use it: Wav2Vec2Features('facebook/wav2vec2-base') downloads it where "
        "huggingface.co is reachable,\n  or pass a folder written by save_pretrained.\n"
        "  Falling back to a tiny, randomly initialised wav2vec 2.0 (UNTRAINED)."
    )
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    wav2vec2_weights = tempfile.mkdtemp(suffix="-tiny-untrained-wav2vec2")
    config = Wav2Vec2Config(
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
    Wav2Vec2Model(config).save_pretrained(wav2vec2_weights)
    Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(wav2vec2_weights)
    untrained.add("Wav2Vec2")
else:
    print("Wav2Vec2: using the pretrained model in", wav2vec2_weights)

# %%
# Embed clips
# -----------
# Waveforms in memory are resampled from ``sr`` to the model's rate (24 kHz for EnCodecMAE,
# 16 kHz for wav2vec 2.0); files are decoded straight to it. ``output="sequence"`` gives
# the frames (75 per second for EnCodecMAE, 50 for wav2vec 2.0), ``output="mean"`` their
# temporal mean.
X, y = make_genre_clips(4, duration=2.0, random_state=0)
representations = {
    "EnCodecMAE": EnCodecMAEFeatures(encodecmae_weights, sr=22050, duration=2.0),
    "Wav2Vec2": Wav2Vec2Features(wav2vec2_weights, sr=22050, duration=2.0),
}
for name, features in representations.items():
    sequence = features.set_params(output="sequence").fit_transform(X[:2])
    label = " (untrained)" if name in untrained else ""
    print(
        f"{name}{label}: sequence {sequence.shape}, {features.n_features_out_} features per frame"
    )

# %%
# A random forest on temporal means
# ---------------------------------
# Exactly as with the spectral representations. With the tiny untrained models, the score
# only shows that the pipeline runs.
cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
for name, features in representations.items():
    pipe = Pipeline(
        [
            ("feat", features.set_params(output="mean")),
            ("clf", RandomForestClassifier(n_estimators=100, random_state=0)),
        ]
    )
    scores = cross_val_score(pipe, X, y, cv=cv)
    label = " (UNTRAINED model: meaningless)" if name in untrained else ""
    print(f"{name}: accuracy {np.mean(scores):.2f}{label}")

# %%
# On a GPU, pass ``device="cuda"``; with ``cache_dir`` each clip is embedded once, whatever
# the number of folds, grid points or runs.
