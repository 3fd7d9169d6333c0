"""Audio input: decoding, mono mix-down, resampling, cropping and padding.

Every representation reads its clips through this package, so decoding and the error policy
are the same everywhere. Files are decoded with :mod:`soundfile` (WAV, FLAC, OGG/Vorbis, MP3,
Sun/NeXT ``.au`` as in the original GTZAN, AIFF, ...) and, for what libsndfile cannot read
(m4a/AAC, Opus, WMA, the audio of MP4/WebM...), with FFmpeg through PyAV, whose wheels bundle
FFmpeg. Resampling uses :mod:`soxr`; torchaudio is not needed.

Limits, checked from a file's header before anything is allocated (each breach is an
:class:`AudioError` naming the file and the reason): a sampling rate between ``MIN_SR`` (1 kHz)
and ``MAX_SR`` (768 kHz), at most ``MAX_CHANNELS`` (64) channels, and at most ``MAX_SAMPLES``
samples per channel decoded at once or produced by resampling (2**31 - 2**20, about 13.5 hours
at 44.1 kHz: 32-bit indices in soxr and librosa never overflow). Only regular files are
opened; a FIFO, a device or a folder is refused without blocking.
"""

from ._core import (
    MAX_CHANNELS,
    MAX_SAMPLES,
    MAX_SR,
    MIN_SR,
    AudioError,
    check_waveform,
    clip_name,
    fix_length,
    resample,
)
from ._load import load_audio, stream_audio

__all__ = [
    "AudioError",
    "load_audio",
    "stream_audio",
    "resample",
    "fix_length",
    "check_waveform",
    "clip_name",
    "MIN_SR",
    "MAX_SR",
    "MAX_CHANNELS",
    "MAX_SAMPLES",
]
