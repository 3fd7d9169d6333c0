"""A synthetic, deterministic, genre-like audio dataset: :func:`make_genre_clips`.

Each synthetic "genre" is a small arrangement (drums, bass, and a harmonic
instrument playing a melody, chords or riffs) whose *style* is drawn from a
genre-specific recipe: tempo range, rhythm pattern (kick / snare / hi-hat
placement, swing), timbre (harmonic spectral envelope, attack and decay,
distortion), pitch register and mode, and background noise. Within a genre every
clip varies: tempo, key, pattern details, timbre details, mix balance and
loudness. Loudness is drawn from the same range for every genre, so it carries
no information about the genre.
"""

import numbers
from typing import NamedTuple

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from ._recipes import _RECIPES
from ._sounds import (
    _drum_samples,
    _harmonic_tone,
    _midi_to_hz,
    _note_track,
    _random_walk,
    _rms,
    _scale_pitches,
    _step_times,
    _triad,
)

__all__ = ["make_genre_clips", "GENRES"]

#: Names of the synthetic genres, in the order ``genres=int`` takes them.
GENRES = tuple(_RECIPES)


# --------------------------------------------------------------------------------------
# The arrangement of one clip
# --------------------------------------------------------------------------------------
class _Grid(NamedTuple):
    """The time grid of a clip: tempo, number of bars, 16th-step onsets (s), key."""

    tempo: float
    n_bars: int
    times: np.ndarray
    root: int


def _beat_grid(rec, rng, n, sr):
    """Draw the tempo, swing, phase and key of a clip of ``n`` samples."""
    tempo = rng.uniform(*rec["tempo"])
    swing8 = rec["swing8"] + rng.uniform(-0.02, 0.02) * (rec["swing8"] > 0.5)
    n_bars = int(np.ceil(n / sr * tempo / 240.0)) + 1
    times = _step_times(n_bars, tempo, swing8, rec["swing16"])
    start = rng.uniform(0, 240.0 / tempo)  # random phase: the clip starts anywhere in a bar
    times = times - start
    root = int(rng.integers(12))
    return _Grid(tempo, n_bars, times, root)


def _bar_steps(n_bars, steps):
    """Indices of the 16th ``steps`` of a one-bar pattern, repeated over ``n_bars`` bars."""
    steps = np.asarray(list(steps))
    return (np.arange(n_bars)[:, None] * 16 + steps[None, :]).ravel()


def _note_starts(rng, n_steps, shortest, longest):
    """Steps where notes of ``shortest`` to ``longest`` 16ths start, inside ``n_steps``."""
    spn = rng.integers(shortest, longest + 1, size=n_steps)
    starts = np.cumsum(np.concatenate([[0], spn]))
    return starts[starts < n_steps]


def _add_hits(track, sound, times, gains, sr):
    """Add ``sound`` into ``track`` at ``times`` (s) with ``gains``, in place."""
    n = track.shape[0]
    # a pre-roll hit that started before the clip: place its tail only
    for time, g in zip(times, gains):
        i = int(round(time * sr))
        s = sound
        if i < 0:
            s, i = s[-i:], 0
        m = min(s.shape[0], n - i)
        if m > 0:
            track[i : i + m] += g * s[:m]


def _drum_track(drums, rng, grid, n, sr):
    """The drum part: each sound of the pattern ``drums`` on its steps, hits drawn at random."""
    kit = _drum_samples(rng, sr, drums)
    track = np.zeros(n)
    for name, (steps, p) in drums.items():
        all_steps = _bar_steps(grid.n_bars, steps)
        keep = rng.random(all_steps.size) < p
        times = grid.times[all_steps[keep]]
        ok = times > -0.5
        gains = rng.uniform(0.7, 1.0, size=ok.sum())
        _add_hits(track, kit[name], times[ok], gains, sr)
    return track


def _voicing(h, rng, pitches, n_notes):
    """The pitches (rows: notes, columns: voices) of a melody, a riff or chords."""
    if h["kind"] == "melody":
        return _random_walk(rng, pitches, n_notes)[:, None]
    if h["kind"] == "power":
        base = _random_walk(rng, pitches[: max(len(pitches) // 2, 1)], n_notes, max_jump=2)
        base[rng.random(n_notes) < 0.5] = pitches[0]  # riffs return to the root
        return base[:, None] + np.array([0.0, 7.0, 12.0])[None, :]
    # chords, comp
    bases = _random_walk(rng, pitches[: max(len(pitches) - 6, 1)], n_notes, max_jump=2)
    return np.array([_triad(pitches, b, h.get("sevenths", False)) for b in bases])


def _harmony_notes(h, rng, grid, pitches):
    """Onsets (s), durations (s) and pitches of the harmonic instrument's notes."""
    if h["kind"] == "stabs":
        onsets = grid.times[_bar_steps(grid.n_bars, h["steps"])]
        durs = np.full(onsets.size, rng.uniform(0.08, 0.16))
        walk = _random_walk(rng, pitches[: max(len(pitches) - 4, 1)], grid.n_bars, max_jump=2)
        bases = np.repeat(walk, len(h["steps"]))
        return onsets, durs, np.array([_triad(pitches, b) for b in bases])
    starts = _note_starts(rng, grid.n_bars * 16, *h["steps_per_note"])
    onsets = grid.times[starts]
    durs = np.diff(np.append(onsets, grid.times[-1] + 60 / grid.tempo))
    return onsets, durs, _voicing(h, rng, pitches, onsets.size)


def _counter_melody(h, rng, grid, voice, n, sr):
    """A melody of the harmonic instrument above its sustained chords (``kind="chords"``)."""
    pitches = _scale_pitches(grid.root, h["scale"], *h["melody_register"])
    onsets = grid.times[_note_starts(rng, grid.n_bars * 16, 2, 5)]
    durs = np.diff(np.append(onsets, grid.times[-1]))
    rest = np.zeros(onsets.size, bool)
    idx, env = _note_track(onsets, durs, rest, n=n, sr=sr, attack=0.05, decay=2.0)
    freq = _midi_to_hz(_random_walk(rng, pitches, onsets.size, 2))[idx]
    return _harmonic_tone(freq, env, sr=sr, rng=rng, **voice)


def _harmony_track(h, rng, grid, n, sr):
    """The harmonic instrument's part: melody, chords, stabs, power riff or comping."""
    lo, hi = h["register"]
    shift = int(rng.integers(-2, 3))
    pitches = _scale_pitches(grid.root, h["scale"], lo + shift, hi + shift)
    track = np.zeros(n)
    voice = dict(
        harmonics=h["harmonics"] + int(rng.integers(-1, 2)),
        slope=h["slope"] * rng.uniform(0.9, 1.1),
        vibrato=h.get("vibrato", 0.0),
    )
    decay = h["decay"] * rng.uniform(0.8, 1.25)
    onsets, durs, chords = _harmony_notes(h, rng, grid, pitches)
    if h.get("rest"):
        chords = np.where(rng.random((chords.shape[0], 1)) < h["rest"], np.nan, chords)
    order = np.argsort(onsets, kind="stable")
    onsets, durs, chords = onsets[order], durs[order], chords[order]
    rest = np.isnan(chords).any(axis=1)
    hz = _midi_to_hz(np.where(np.isnan(chords), 60.0, chords))
    idx, env = _note_track(onsets, durs, rest, n=n, sr=sr, attack=h["attack"], decay=decay)
    for v in range(chords.shape[1]):
        track += _harmonic_tone(hz[idx, v], env, sr=sr, rng=rng, **voice)
    if h.get("drive"):
        track = np.tanh(h["drive"] * rng.uniform(0.8, 1.25) * track / (np.abs(track).max() + 1e-9))
    if h["kind"] == "chords":
        track += 0.8 * _counter_melody(h, rng, grid, voice, n, sr)
    return track


def _bass_notes(b, rng, pitches, n_bars, n_notes):
    """The bass line's pitches (NaN: a rest): a walk, or one note per bar."""
    if b.get("walking"):
        notes = _random_walk(rng, pitches, n_notes, max_jump=2)
    else:
        per_bar = pitches[np.minimum(rng.choice([0, 0, 2, 3, 4], size=n_bars), len(pitches) - 1)]
        notes = np.repeat(per_bar, len(b["steps"]))
        if b.get("octave"):
            notes = notes + 12.0 * (np.arange(notes.size) % 2)
    if b.get("rest"):
        notes = np.where(rng.random(notes.size) < b["rest"], np.nan, notes)
    return notes


def _bass_track(b, scale, rng, grid, n, sr):
    """The bass part, in the harmonic instrument's ``scale``."""
    onsets = grid.times[_bar_steps(grid.n_bars, b["steps"])]
    durs = np.diff(np.append(onsets, grid.times[-1]))
    pitches = _scale_pitches(grid.root, scale, *b["register"])
    notes = _bass_notes(b, rng, pitches, grid.n_bars, onsets.size)
    attack, decay = b.get("attack", 0.005), b.get("decay", 1.0)
    idx, env = _note_track(onsets, durs, np.isnan(notes), n=n, sr=sr, attack=attack, decay=decay)
    freq = _midi_to_hz(np.nan_to_num(notes, nan=60.0))[idx]
    return _harmonic_tone(freq, env, sr=sr, harmonics=b["harmonics"], slope=b["slope"], rng=rng)


def _mix(rec, rng, harm, bass, drums, n, sr):
    """Balance the parts (each scaled to unit RMS), add the background noise and crackle."""
    mix = harm / _rms(harm)
    if bass is not None:
        mix += rng.uniform(0.5, 0.9) * bass / _rms(bass)
    if drums is not None:
        mix += rec["drum_gain"] * rng.uniform(0.7, 1.4) * drums / _rms(drums)
    level = rec["noise"] * rng.uniform(0.6, 1.6) * _rms(mix)
    mix += level * rng.standard_normal(n)
    if rec.get("crackle"):
        pops = rng.random(n) < 8.0 / sr
        mix += 20 * level * pops * rng.standard_normal(n)
    return mix


def _make_clip(genre, rng, n, sr):
    """One clip of ``genre``, ``n`` samples at ``sr`` Hz, drawn from ``rng``."""
    rec = _RECIPES[genre]
    grid = _beat_grid(rec, rng, n, sr)
    drums = _drum_track(rec["drums"], rng, grid, n, sr) if rec["drums"] else None
    harm = _harmony_track(rec["harmony"], rng, grid, n, sr)
    bass = None  # (hip-hop has none: its 808 kick is the bass)
    if rec.get("bass") is not None:
        bass = _bass_track(rec["bass"], rec["harmony"]["scale"], rng, grid, n, sr)
    return _mix(rec, rng, harm, bass, drums, n, sr)


# --------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------
def _genre_names(genres):
    """The list of genre names that ``genres`` (None, an int or names) designates."""
    if genres is None:
        return list(GENRES)
    if isinstance(genres, numbers.Integral):
        return list(GENRES[:genres])
    names = list(genres)
    unknown = [g for g in names if g not in _RECIPES]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(f"genres must be distinct names among {list(GENRES)}, got {genres!r}.")
    return names


def _generator(random_state):
    """A numpy Generator from ``random_state`` (None, an int, a RandomState or a Generator)."""
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(np.iinfo(np.int32).max)
    return np.random.default_rng(random_state)


@validate_params(
    {
        "n_clips_per_genre": [Interval(numbers.Integral, 1, None, closed="left")],
        "duration": [Interval(numbers.Real, 0, None, closed="neither")],
        "sr": [Interval(numbers.Integral, 4000, None, closed="left")],
        "genres": [None, Interval(numbers.Integral, 2, len(GENRES), closed="both"), "array-like"],
        "shuffle": ["boolean"],
        "random_state": [
            None,
            Interval(numbers.Integral, 0, None, closed="left"),
            np.random.RandomState,
            np.random.Generator,
        ],
    },
    prefer_skip_nested_validation=True,
)
def make_genre_clips(
    n_clips_per_genre=20, *, duration=5.0, sr=22050, genres=None, shuffle=True, random_state=None
):
    """Generate a synthetic, genre-like music dataset.

    Each clip is a short arrangement synthesised from a genre "recipe": tempo
    range, rhythm pattern (kick / snare / hi-hat placement, swing), timbre
    (harmonic spectral envelope, attack and decay, distortion), pitch register
    and mode, and background noise. Within a genre, tempo, key, pattern details,
    timbre details, mix balance and loudness vary from clip to clip. Every clip
    is scaled to a random RMS drawn from the same range for all genres, so
    loudness alone does not reveal the genre.

    The synthetic genres are ``'blues'``, ``'classical'``, ``'disco'``,
    ``'hiphop'``, ``'jazz'``, ``'metal'``, ``'reggae'`` and ``'rock'``
    (:data:`GENRES`). They are caricatures, meant for demos and fast tests: a
    random forest on temporal means of MFCCs separates them well, which is not
    true of real music.

    Parameters
    ----------
    n_clips_per_genre : int, default=20
        Number of clips generated for each genre.
    duration : float, default=5.0
        Length of every clip in seconds.
    sr : int, default=22050
        Sampling rate in Hz.
    genres : None, int or list of str, default=None
        Which genres to generate: ``None`` for all 8, an int ``k`` for the
        first ``k`` of :data:`GENRES` (2 <= k <= 8), or a list of names taken
        from :data:`GENRES`.
    shuffle : bool, default=True
        Shuffle the clips. If False, clips are grouped by genre, in the order
        of ``genres``.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default=None
        Seed of the generation. The same integer gives the same dataset.

    Returns
    -------
    X : ndarray of shape (n_clips, n_samples), dtype float32
        The waveforms, ``n_clips = n_clips_per_genre * n_genres`` and
        ``n_samples = round(duration * sr)``; values lie in [-1, 1].
    y : ndarray of shape (n_clips,), dtype object
        The genre name of every clip.

    Raises
    ------
    ValueError
        If an argument is out of its range (the message names it and the
        accepted values), or ``genres`` names an unknown genre or one twice.

    Examples
    --------
    >>> from sklearn_mgc.datasets import make_genre_clips
    >>> X, y = make_genre_clips(2, duration=1.0, sr=8000, random_state=0)
    >>> X.shape, X.dtype
    ((16, 8000), dtype('float32'))
    >>> sorted(set(y))[:3]
    ['blues', 'classical', 'disco']
    >>> X, y = make_genre_clips(3, duration=0.5, genres=["jazz", "metal"], random_state=0)
    >>> X.shape
    (6, 11025)
    """
    if isinstance(n_clips_per_genre, bool):  # an int to the parameter check, not a count
        raise ValueError(
            f"The 'n_clips_per_genre' parameter of make_genre_clips must be an int in the range "
            f"[1, inf). Got {n_clips_per_genre!r} instead."
        )
    names = _genre_names(genres)
    rng = _generator(random_state)
    n = int(round(duration * sr))
    n_total = n_clips_per_genre * len(names)
    X = np.empty((n_total, n), dtype=np.float32)
    y = np.array([g for g in names for _ in range(n_clips_per_genre)], dtype=object)
    seeds = rng.integers(0, 2**63 - 1, size=n_total)
    # loudness: log-uniform RMS in the same range for every genre
    target_rms = 10.0 ** rng.uniform(np.log10(0.02), np.log10(0.1), size=n_total)
    for i in range(n_total):
        clip = _make_clip(y[i], np.random.default_rng(seeds[i]), n, sr)
        clip *= target_rms[i] / _rms(clip)
        X[i] = np.clip(clip, -1.0, 1.0)
    if shuffle:
        perm = rng.permutation(n_total)
        X, y = X[perm], y[perm]
    return X, y
