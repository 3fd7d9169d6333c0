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

import numpy as np

__all__ = ["make_genre_clips", "GENRES"]

# --------------------------------------------------------------------------------------
# Genre recipes
# --------------------------------------------------------------------------------------
_SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "pentatonic": (0, 2, 4, 7, 9),
}

# Drum patterns are one 4/4 bar on a 16-step grid: {instrument: (steps, probability)}.
# "harmony" kinds: melody (one voice), chords (sustained triads), stabs (short chords),
# power (distorted root + fifth + octave riff), comp (decaying 7th chords).
_RECIPES = {
    "blues": dict(
        tempo=(70, 100),
        swing8=0.66,
        swing16=0.0,
        drums={"kick": ((0, 8), 0.9), "snare": ((4, 12), 0.95), "hat": (range(0, 16, 2), 0.9)},
        drum_gain=0.5,
        bass=dict(steps=(0, 2, 4, 6, 8, 10, 12, 14), register=(36, 50), harmonics=4, slope=1.5),
        harmony=dict(
            kind="melody",
            steps_per_note=(2, 4),
            register=(55, 76),
            scale="blues",
            harmonics=12,
            slope=1.1,
            attack=0.01,
            decay=0.6,
            drive=2.5,
        ),
        noise=0.04,
    ),
    "classical": dict(
        tempo=(60, 95),
        swing8=0.5,
        swing16=0.0,
        drums={},
        drum_gain=0.0,
        bass=dict(steps=(0, 8), register=(36, 50), harmonics=8, slope=1.0, attack=0.08),
        harmony=dict(
            kind="chords",
            steps_per_note=(8, 16),
            register=(52, 72),
            scale="major",
            harmonics=16,
            slope=1.0,
            attack=0.12,
            decay=4.0,
            vibrato=0.006,
            melody_register=(67, 86),
        ),
        noise=0.003,
    ),
    "disco": dict(
        tempo=(112, 130),
        swing8=0.5,
        swing16=0.0,
        drums={
            "kick": ((0, 4, 8, 12), 1.0),
            "snare": ((4, 12), 1.0),
            "hat": (range(16), 0.8),
            "open_hat": ((2, 6, 10, 14), 0.95),
        },
        drum_gain=0.7,
        bass=dict(
            steps=(0, 2, 4, 6, 8, 10, 12, 14),
            register=(36, 48),
            harmonics=8,
            slope=0.9,
            octave=True,
        ),
        harmony=dict(
            kind="stabs",
            steps=(2, 6, 10, 14),
            register=(60, 76),
            scale="major",
            harmonics=10,
            slope=0.8,
            attack=0.005,
            decay=0.15,
        ),
        noise=0.005,
    ),
    "hiphop": dict(
        tempo=(80, 98),
        swing8=0.5,
        swing16=0.09,
        drums={"kick808": ((0, 3, 7, 10), 0.8), "snare": ((4, 12), 1.0), "hat": (range(16), 0.85)},
        drum_gain=1.0,
        bass=None,
        harmony=dict(
            kind="melody",
            steps_per_note=(4, 8),
            register=(62, 82),
            scale="minor",
            harmonics=3,
            slope=3.0,
            attack=0.01,
            decay=0.5,
            rest=0.4,
        ),
        noise=0.015,
        crackle=True,
    ),
    "jazz": dict(
        tempo=(110, 180),
        swing8=0.67,
        swing16=0.0,
        drums={
            "ride": ((0, 4, 6, 8, 12, 14), 0.95),
            "pedal_hat": ((4, 12), 0.9),
            "kick": ((0, 10), 0.25),
            "brush": ((0, 4, 8, 12), 0.7),
        },
        drum_gain=0.35,
        bass=dict(
            steps=(0, 4, 8, 12), register=(31, 50), harmonics=3, slope=2.0, walking=True, decay=0.5
        ),
        harmony=dict(
            kind="comp",
            steps_per_note=(6, 10),
            register=(53, 72),
            scale="dorian",
            harmonics=8,
            slope=1.8,
            attack=0.003,
            decay=0.4,
            sevenths=True,
        ),
        noise=0.008,
    ),
    "metal": dict(
        tempo=(150, 200),
        swing8=0.5,
        swing16=0.0,
        drums={"kick": (range(16), 0.9), "snare": ((4, 12), 1.0), "crash": (range(0, 16, 2), 0.8)},
        drum_gain=0.6,
        bass=None,
        harmony=dict(
            kind="power",
            steps_per_note=(1, 2),
            register=(28, 45),
            scale="phrygian",
            harmonics=10,
            slope=0.9,
            attack=0.002,
            decay=0.25,
            drive=18.0,
        ),
        noise=0.01,
    ),
    "reggae": dict(
        tempo=(64, 84),
        swing8=0.56,
        swing16=0.0,
        drums={"kick": ((8,), 1.0), "rim": ((8,), 1.0), "hat": (range(0, 16, 2), 0.85)},
        drum_gain=0.5,
        bass=dict(
            steps=(0, 3, 6, 8, 11, 14),
            register=(31, 45),
            harmonics=2,
            slope=2.5,
            rest=0.25,
            decay=0.4,
        ),
        harmony=dict(
            kind="stabs",
            steps=(4, 12),
            register=(57, 72),
            scale="minor",
            harmonics=7,
            slope=1.4,
            attack=0.003,
            decay=0.08,
        ),
        noise=0.006,
    ),
    "rock": dict(
        tempo=(100, 140),
        swing8=0.5,
        swing16=0.0,
        drums={"kick": ((0, 6, 8), 0.95), "snare": ((4, 12), 1.0), "hat": (range(0, 16, 2), 0.95)},
        drum_gain=0.6,
        bass=dict(steps=(0, 2, 4, 6, 8, 10, 12, 14), register=(33, 45), harmonics=6, slope=1.2),
        harmony=dict(
            kind="power",
            steps_per_note=(2, 4),
            register=(40, 55),
            scale="pentatonic",
            harmonics=8,
            slope=1.1,
            attack=0.005,
            decay=0.8,
            drive=5.0,
        ),
        noise=0.008,
    ),
}

#: Names of the synthetic genres, in the order ``genres=int`` takes them.
GENRES = tuple(_RECIPES)


# --------------------------------------------------------------------------------------
# Building blocks
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


def _drum_samples(rng, sr, names):
    """The drum sounds ``names`` of one kit, with random variations of tuning and decay."""

    def t_(sec):
        return np.arange(int(sec * sr)) / sr

    def hp_noise(size):  # first difference of white noise: a bright, high-passed noise
        return np.diff(rng.standard_normal(size + 1))

    kit = {}
    for name in names:
        if name == "kick":
            t = t_(0.35)
            f0, f1 = rng.uniform(100, 140), rng.uniform(45, 60)
            f = f1 + (f0 - f1) * np.exp(-t / 0.03)
            s = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / rng.uniform(0.08, 0.14))
        elif name == "kick808":
            t = t_(0.9)
            f = rng.uniform(40, 52) + 60 * np.exp(-t / 0.02)
            s = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / rng.uniform(0.35, 0.5))
        elif name == "snare":
            t = t_(0.25)
            s = 0.6 * rng.standard_normal(t.size) * np.exp(
                -t / rng.uniform(0.05, 0.09)
            ) + 0.5 * np.sin(2 * np.pi * rng.uniform(170, 220) * t) * np.exp(-t / 0.05)
        elif name == "hat":
            t = t_(0.06)
            s = 0.35 * hp_noise(t.size) * np.exp(-t / rng.uniform(0.012, 0.02))
        elif name == "pedal_hat":
            t = t_(0.06)
            s = 0.25 * hp_noise(t.size) * np.exp(-t / 0.01)
        elif name == "open_hat":
            t = t_(0.3)
            s = 0.3 * hp_noise(t.size) * np.exp(-t / rng.uniform(0.08, 0.12))
        elif name == "ride":
            t = t_(0.6)
            partials = rng.uniform(3000, 9000, size=6)
            metal = np.sin(2 * np.pi * partials[:, None] * t).sum(0) / 6
            s = (0.25 * metal + 0.1 * hp_noise(t.size)) * np.exp(-t / 0.25)
        elif name == "crash":
            t = t_(0.8)
            s = 0.3 * hp_noise(t.size) * np.exp(-t / 0.3)
        elif name == "rim":
            t = t_(0.04)
            s = 0.5 * np.sin(2 * np.pi * rng.uniform(800, 1100) * t) * np.exp(-t / 0.008)
        elif name == "brush":
            t = t_(0.2)
            s = 0.12 * rng.standard_normal(t.size) * np.sin(np.pi * t / t[-1])
        else:  # pragma: no cover - recipes only name the sounds above
            raise KeyError(name)
        kit[name] = s
    return kit


def _scale_pitches(root, scale, lo, hi):
    """All MIDI pitches of ``scale`` on ``root`` inside [lo, hi]."""
    pcs = set((root + np.array(_SCALES[scale])) % 12)
    return np.array([m for m in range(lo, hi + 1) if m % 12 in pcs], dtype=np.float64)


def _random_walk(rng, pitches, n_notes, max_jump=3):
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


def _make_clip(genre, rng, n, sr):
    rec = _RECIPES[genre]
    duration = n / sr
    tempo = rng.uniform(*rec["tempo"])
    swing8 = rec["swing8"] + rng.uniform(-0.02, 0.02) * (rec["swing8"] > 0.5)
    n_bars = int(np.ceil(duration * tempo / 240.0)) + 1
    st = _step_times(n_bars, tempo, swing8, rec["swing16"])
    start = rng.uniform(0, 240.0 / tempo)  # random phase: the clip starts anywhere in a bar
    st = st - start
    root = int(rng.integers(12))

    # drums
    drums = np.zeros(n)
    if rec["drums"]:
        kit = _drum_samples(rng, sr, rec["drums"])
        for name, (steps, p) in rec["drums"].items():
            steps = np.asarray(list(steps))
            all_steps = (np.arange(n_bars)[:, None] * 16 + steps[None, :]).ravel()
            keep = rng.random(all_steps.size) < p
            times = st[all_steps[keep]]
            ok = times > -0.5
            gains = rng.uniform(0.7, 1.0, size=ok.sum())
            # a pre-roll hit that started before the clip: place its tail only
            for time, g in zip(times[ok], gains):
                i = int(round(time * sr))
                s = kit[name]
                if i < 0:
                    s, i = s[-i:], 0
                m = min(s.shape[0], n - i)
                if m > 0:
                    drums[i : i + m] += g * s[:m]

    # harmonic instrument
    h = rec["harmony"]
    lo, hi = h["register"]
    shift = int(rng.integers(-2, 3))
    pitches = _scale_pitches(root, h["scale"], lo + shift, hi + shift)
    harm = np.zeros(n)
    harmonics = h["harmonics"] + int(rng.integers(-1, 2))
    slope = h["slope"] * rng.uniform(0.9, 1.1)
    decay = h["decay"] * rng.uniform(0.8, 1.25)
    kind = h["kind"]
    if kind == "stabs":
        steps = np.asarray(h["steps"])
        all_steps = (np.arange(n_bars)[:, None] * 16 + steps[None, :]).ravel()
        onsets = st[all_steps]
        durs = np.full(onsets.size, rng.uniform(0.08, 0.16))
        bases = np.repeat(
            _random_walk(rng, pitches[: max(len(pitches) - 4, 1)], n_bars, max_jump=2), len(steps)
        )
        chords = np.array([_triad(pitches, b) for b in bases])
    else:
        spn = rng.integers(h["steps_per_note"][0], h["steps_per_note"][1] + 1, size=n_bars * 16)
        starts = np.cumsum(np.concatenate([[0], spn]))
        starts = starts[starts < n_bars * 16]
        onsets = st[starts]
        durs = np.diff(np.append(onsets, st[-1] + 60 / tempo))
        n_notes = onsets.size
        if kind == "melody":
            chords = _random_walk(rng, pitches, n_notes)[:, None]
        elif kind == "power":
            base = _random_walk(rng, pitches[: max(len(pitches) // 2, 1)], n_notes, max_jump=2)
            base[rng.random(n_notes) < 0.5] = pitches[0]  # riffs return to the root
            chords = base[:, None] + np.array([0.0, 7.0, 12.0])[None, :]
        else:  # chords, comp
            bases = _random_walk(rng, pitches[: max(len(pitches) - 6, 1)], n_notes, max_jump=2)
            chords = np.array([_triad(pitches, b, h.get("sevenths", False)) for b in bases])
    if h.get("rest"):
        chords = np.where(rng.random((chords.shape[0], 1)) < h["rest"], np.nan, chords)
    order = np.argsort(onsets, kind="stable")
    onsets, durs, chords = onsets[order], durs[order], chords[order]
    rest = np.isnan(chords).any(axis=1)
    hz = _midi_to_hz(np.where(np.isnan(chords), 60.0, chords))
    idx, env = _note_track(onsets, durs, rest, n=n, sr=sr, attack=h["attack"], decay=decay)
    for v in range(chords.shape[1]):
        harm += _harmonic_tone(
            hz[idx, v],
            env,
            sr=sr,
            harmonics=harmonics,
            slope=slope,
            rng=rng,
            vibrato=h.get("vibrato", 0.0),
        )
    if h.get("drive"):
        harm = np.tanh(h["drive"] * rng.uniform(0.8, 1.25) * harm / (np.abs(harm).max() + 1e-9))
    if kind == "chords":  # a melody above the sustained chords
        mel = _scale_pitches(root, h["scale"], *h["melody_register"])
        spn = rng.integers(2, 6, size=n_bars * 16)
        starts = np.cumsum(np.concatenate([[0], spn]))
        starts = starts[starts < n_bars * 16]
        on = st[starts]
        du = np.diff(np.append(on, st[-1]))
        idx, env = _note_track(on, du, np.zeros(on.size, bool), n=n, sr=sr, attack=0.05, decay=2.0)
        freq = _midi_to_hz(_random_walk(rng, mel, on.size, 2))[idx]
        harm += 0.8 * _harmonic_tone(
            freq,
            env,
            sr=sr,
            harmonics=harmonics,
            slope=slope,
            rng=rng,
            vibrato=h.get("vibrato", 0.0),
        )

    # bass
    bass = np.zeros(n)  # (hip-hop has none: its 808 kick is the bass)
    b = rec.get("bass")
    if b is not None:
        steps = np.asarray(b["steps"])
        all_steps = (np.arange(n_bars)[:, None] * 16 + steps[None, :]).ravel()
        onsets = st[all_steps]
        durs = np.diff(np.append(onsets, st[-1]))
        bp = _scale_pitches(root, h["scale"], *b["register"])
        if b.get("walking"):
            notes = _random_walk(rng, bp, onsets.size, max_jump=2)
        else:
            per_bar = bp[np.minimum(rng.choice([0, 0, 2, 3, 4], size=n_bars), len(bp) - 1)]
            notes = np.repeat(per_bar, len(steps))
            if b.get("octave"):
                notes = notes + 12.0 * (np.arange(notes.size) % 2)
        if b.get("rest"):
            notes = np.where(rng.random(notes.size) < b["rest"], np.nan, notes)
        idx, env = _note_track(
            onsets,
            durs,
            np.isnan(notes),
            n=n,
            sr=sr,
            attack=b.get("attack", 0.005),
            decay=b.get("decay", 1.0),
        )
        freq = _midi_to_hz(np.nan_to_num(notes, nan=60.0))[idx]
        bass = _harmonic_tone(freq, env, sr=sr, harmonics=b["harmonics"], slope=b["slope"], rng=rng)

    def _rms(x):
        return np.sqrt(np.mean(x**2)) + 1e-12

    mix = harm / _rms(harm)
    if b is not None:
        mix += rng.uniform(0.5, 0.9) * bass / _rms(bass)
    if rec["drums"]:
        mix += rec["drum_gain"] * rng.uniform(0.7, 1.4) * drums / _rms(drums)
    level = rec["noise"] * rng.uniform(0.6, 1.6) * _rms(mix)
    mix += level * rng.standard_normal(n)
    if rec.get("crackle"):
        pops = rng.random(n) < 8.0 / sr
        mix += 20 * level * pops * rng.standard_normal(n)
    return mix


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
    if (
        isinstance(n_clips_per_genre, bool)
        or not isinstance(n_clips_per_genre, numbers.Integral)
        or n_clips_per_genre < 1
    ):
        raise ValueError(
            f"n_clips_per_genre must be a positive integer, got {n_clips_per_genre!r}."
        )
    if not isinstance(duration, numbers.Real) or not np.isfinite(duration) or duration <= 0:
        raise ValueError(f"duration must be a positive number of seconds, got {duration!r}.")
    if isinstance(sr, bool) or not isinstance(sr, numbers.Integral) or sr < 4000:
        raise ValueError(f"sr must be an integer sampling rate >= 4000 Hz, got {sr!r}.")
    if genres is None:
        names = list(GENRES)
    elif isinstance(genres, numbers.Integral) and not isinstance(genres, bool):
        if not 2 <= genres <= len(GENRES):
            raise ValueError(f"genres as an int must be between 2 and {len(GENRES)}, got {genres}.")
        names = list(GENRES[:genres])
    elif isinstance(genres, str):
        raise ValueError(
            f"genres must be None, an int or a list of names, got the string {genres!r}."
        )
    else:
        names = list(genres)
        unknown = [g for g in names if g not in _RECIPES]
        if unknown or not names or len(set(names)) != len(names):
            raise ValueError(f"genres must be distinct names among {list(GENRES)}, got {genres!r}.")
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(random_state)

    n = int(round(duration * sr))
    n_total = n_clips_per_genre * len(names)
    X = np.empty((n_total, n), dtype=np.float32)
    y = np.array([g for g in names for _ in range(n_clips_per_genre)], dtype=object)
    seeds = rng.integers(0, 2**63 - 1, size=n_total)
    # loudness: log-uniform RMS in the same range for every genre
    target_rms = 10.0 ** rng.uniform(np.log10(0.02), np.log10(0.1), size=n_total)
    for i in range(n_total):
        clip = _make_clip(y[i], np.random.default_rng(seeds[i]), n, sr)
        clip *= target_rms[i] / (np.sqrt(np.mean(clip**2)) + 1e-12)
        X[i] = np.clip(clip, -1.0, 1.0)
    if shuffle:
        perm = rng.permutation(n_total)
        X, y = X[perm], y[perm]
    return X, y
