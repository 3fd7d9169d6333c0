"""Audio representations: each a scikit-learn transformer from clips to float32 features.

``output="mean"`` gives ``(n_clips, n_features)``, ``output="sequence"`` gives
``(n_clips, n_frames, n_features)``. The pretrained encoders (``Wav2Vec2Features``,
``EnCodecMAEFeatures``) are imported lazily, as they need torch and transformers.
"""

from ._base import BaseFeatures
from ._pretrained import PretrainedFeatures
from .pooling import TemporalMean
from .spectral import CQTFeatures, MelFeatures, MFCCFeatures, SpectrumFeatures

__all__ = [
    "BaseFeatures",
    "PretrainedFeatures",
    "MelFeatures",
    "MFCCFeatures",
    "CQTFeatures",
    "SpectrumFeatures",
    "TemporalMean",
    "Wav2Vec2Features",
    "EnCodecMAEFeatures",
]


def __getattr__(name):
    if name == "Wav2Vec2Features":
        from .huggingface import Wav2Vec2Features

        return Wav2Vec2Features
    if name == "EnCodecMAEFeatures":
        from .encodecmae import EnCodecMAEFeatures

        return EnCodecMAEFeatures
    raise AttributeError(f"module 'sklearn_mgc.features' has no attribute {name!r}")
