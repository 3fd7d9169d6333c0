"""Datasets: the GTZAN loader and its splits, and a synthetic genre-like dataset.

- :func:`load_gtzan` lists a GTZAN copy on disk (a :class:`~sklearn.utils.Bunch` of file
  names and genres), optionally restricted to the fault-filtered split;
- :func:`train_valid_test_split` is the reference study's stratified 72/18/10 split (or,
  with ``valid_size=0``, its 90/10 train / test part);
- :func:`make_genre_clips` generates a synthetic, deterministic, genre-like dataset of
  waveforms, the embedded default for demos and tests;
- :func:`get_data_home` is the cache folder of downloaded data.
"""

from ._split import train_valid_test_split
from .gtzan import AUDIO_EXTENSIONS, get_data_home, load_gtzan
from .synthetic import GENRES, make_genre_clips

__all__ = [
    "AUDIO_EXTENSIONS",
    "GENRES",
    "get_data_home",
    "load_gtzan",
    "make_genre_clips",
    "train_valid_test_split",
]
