"""The sounds of the synthetic genres: tones, note envelopes, drums and pitch helpers.

Pieces that :mod:`sklearn_mgc.datasets.synthetic` arranges into clips following the genre
recipes: additive (wavetable) synthesis of harmonic tones, per-sample note envelopes, a drum
kit with random variations of tuning and decay, and the scales, walks and chords of a part.
Every random draw takes the generator ``rng`` it is given, in a fixed order, so that a seed
always gives the same sound.
"""

import numpy as np

_SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "pentatonic": (0, 2, 4, 7, 9),
}


# --------------------------------------------------------------------------------------
# Tones and note envelopes
# --------------------------------------------------------------------------------------
def _midi_to_hz(m):
    return 440.0 * 2.0 ** ((np.asarray(m, dtype=np.float64) - 69.0) / 12.0)


def _step_times(n_bars, tempo, swing8, swing16):
    """Onset time (s) of every 16th step of ``n_bars`` bars, with swing."""
    beat = 60.0 / tempo
    # position of the 4 sixteenths inside a beat (fractions of a beat)
    sub = np.array([0.0, 0.25 + swing16, swing8, swing8 + (1.0 - swing8) * 0.5 + swing16])
    steps = np.arange(n_bars * 16)
    return (steps // 4 + sub[steps % 4]) * beat


_TABLE_SIZE = 8192


def _harmonic_tone(freq, env, *, sr, harmonics, slope, rng, vibrato=0.0, drive=0.0):
    """Additive synthesis of a (possibly time-varying) pitch ``freq`` (Hz, per sample).

    Harmonic ``k`` has amplitude ``k ** -slope``; harmonics above 0.45 ``sr`` for the
    highest pitch are left out. One period is tabulated (wavetable synthesis), and
    only the samples where the envelope ``env`` is audible are synthesised.
    """
    n = freq.shape[0]
    if vibrato:
        t = np.arange(n) / sr
        freq = freq * (1.0 + vibrato * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t))
    cycles = np.cumsum(freq) / sr + rng.uniform(0.0, 1.0)
    on = env > 1e-4
    out = np.zeros(n)
    if not on.any():
        return out
    k = np.arange(1.0, int(min(harmonics, max(1, 0.45 * sr // freq[on].max()))) + 1)
    grid = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    table = (k[:, None] ** (-slope) * np.sin(2 * np.pi * k[:, None] * grid[None, :])).sum(0)
    # nearest table entry: with 8192 entries the phase error stays below 1/16384 of a period
    if on.all():
        pos = (cycles * _TABLE_SIZE).astype(np.int64)
        pos &= _TABLE_SIZE - 1
        out = table[pos]
        out *= env
    else:
        pos = (cycles[on] * _TABLE_SIZE).astype(np.int64)
        pos &= _TABLE_SIZE - 1
        out[on] = table[pos] * env[on]
    if drive:
        out = np.tanh(drive * out) / np.tanh(drive)
    return out


def _note_track(onsets, durations, rest, *, n, sr, attack, decay, release=0.01):
    """Note index and amplitude envelope, per sample, of a sequence of notes.

    ``onsets`` / ``durations`` in seconds (sorted); ``rest`` marks silent notes.
    Returns ``(idx, env)``: the index of the note sounding at each sample and the
    envelope; the frequency of a voice is then ``hz[idx]``.
    """
    onsets = np.asarray(onsets)
    on = np.round(onsets * sr).astype(np.int64)
    # index of the sounding note, via a cumulative count of onsets
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, np.clip(on, 0, n), 1)
    idx = np.cumsum(marks[:n]) - 1
    valid = idx >= 0
    idx = np.clip(idx, 0, None)
    tr = np.arange(n) / sr - onsets[idx]
    dur = np.asarray(durations)[idx]
    env = np.minimum(tr / attack, 1.0) * np.exp(-tr / decay)
    env *= np.clip((dur - tr) / release, 0.0, 1.0)
    env *= valid & ~np.asarray(rest)[idx]
    return idx, env


def _rms(x):
    """Root mean square of ``x`` (never zero)."""
    return np.sqrt(np.mean(x**2)) + 1e-12


# --------------------------------------------------------------------------------------
# Drums: one function per sound, each with random variations of tuning and decay
# --------------------------------------------------------------------------------------
def _seconds(sec, sr):
    """Sample times (s) of a sound of ``sec`` seconds."""
    return np.arange(int(sec * sr)) / sr


def _bright_noise(rng, size):
    """First difference of white noise: a bright, high-passed noise."""
    return np.diff(rng.standard_normal(size + 1))


def _kick(rng, sr):
    t = _seconds(0.35, sr)
    f0, f1 = rng.uniform(100, 140), rng.uniform(45, 60)
    f = f1 + (f0 - f1) * np.exp(-t / 0.03)
    return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / rng.uniform(0.08, 0.14))


def _kick808(rng, sr):
    t = _seconds(0.9, sr)
    f = rng.uniform(40, 52) + 60 * np.exp(-t / 0.02)
    return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / rng.uniform(0.35, 0.5))


def _snare(rng, sr):
    t = _seconds(0.25, sr)
    return 0.6 * rng.standard_normal(t.size) * np.exp(-t / rng.uniform(0.05, 0.09)) + 0.5 * np.sin(
        2 * np.pi * rng.uniform(170, 220) * t
    ) * np.exp(-t / 0.05)


def _hat(rng, sr):
    t = _seconds(0.06, sr)
    return 0.35 * _bright_noise(rng, t.size) * np.exp(-t / rng.uniform(0.012, 0.02))


def _pedal_hat(rng, sr):
    t = _seconds(0.06, sr)
    return 0.25 * _bright_noise(rng, t.size) * np.exp(-t / 0.01)


def _open_hat(rng, sr):
    t = _seconds(0.3, sr)
    return 0.3 * _bright_noise(rng, t.size) * np.exp(-t / rng.uniform(0.08, 0.12))


def _ride(rng, sr):
    t = _seconds(0.6, sr)
    partials = rng.uniform(3000, 9000, size=6)
    metal = np.sin(2 * np.pi * partials[:, None] * t).sum(0) / 6
    return (0.25 * metal + 0.1 * _bright_noise(rng, t.size)) * np.exp(-t / 0.25)


def _crash(rng, sr):
    t = _seconds(0.8, sr)
    return 0.3 * _bright_noise(rng, t.size) * np.exp(-t / 0.3)


def _rim(rng, sr):
    t = _seconds(0.04, sr)
    return 0.5 * np.sin(2 * np.pi * rng.uniform(800, 1100) * t) * np.exp(-t / 0.008)


def _brush(rng, sr):
    t = _seconds(0.2, sr)
    return 0.12 * rng.standard_normal(t.size) * np.sin(np.pi * t / t[-1])


_DRUMS = {
    "kick": _kick,
    "kick808": _kick808,
    "snare": _snare,
    "hat": _hat,
    "pedal_hat": _pedal_hat,
    "open_hat": _open_hat,
    "ride": _ride,
    "crash": _crash,
    "rim": _rim,
    "brush": _brush,
}


def _drum_samples(rng, sr, names):
    """The drum sounds ``names`` of one kit (``{name: samples}``), drawn in that order."""
    return {name: _DRUMS[name](rng, sr) for name in names}


# --------------------------------------------------------------------------------------
# Pitches
# --------------------------------------------------------------------------------------
def _scale_pitches(root, scale, lo, hi):
    """All MIDI pitches of ``scale`` on ``root`` inside [lo, hi]."""
    pcs = set((root + np.array(_SCALES[scale])) % 12)
    return np.array([m for m in range(lo, hi + 1) if m % 12 in pcs], dtype=np.float64)


def _random_walk(rng, pitches, n_notes, max_jump=3):
    """``n_notes`` pitches of ``pitches``, each at most ``max_jump`` steps from the last."""
    i = rng.integers(len(pitches))
    out = np.empty(n_notes)
    for j in range(n_notes):
        out[j] = pitches[i]
        i = int(np.clip(i + rng.integers(-max_jump, max_jump + 1), 0, len(pitches) - 1))
    return out


def _triad(pitches, base, sevenths=False):
    """Chord tones stacked in thirds on ``base`` within the scale ``pitches``."""
    i = int(np.argmin(np.abs(pitches - base)))
    idx = [i, i + 2, i + 4] + ([i + 6] if sevenths else [])
    idx = [min(j, len(pitches) - 1) for j in idx]
    return pitches[idx]
