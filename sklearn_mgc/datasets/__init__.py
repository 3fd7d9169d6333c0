"""Datasets: the GTZAN loader and its splits, and a synthetic genre-like dataset."""

from .synthetic import GENRES, make_genre_clips

__all__ = ["GENRES", "make_genre_clips"]
