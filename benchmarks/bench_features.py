"""Speed of the spectral representations on real clips (run by hand, not a test).

For each representation, prints the seconds per clip of the transformer (one job, no cache)
next to the bare librosa calls it wraps (``librosa.load`` + the feature function + the temporal
mean), the speed-up of ``n_jobs=2`` and the speed-up of a cached second pass.

Usage::

    python benchmarks/bench_features.py [--data ../shared/data/gtzan-mini] [--n-clips 20]

Goals: overhead <= 1.1x, n_jobs=2 >= 1.7x on 2 cores, cached pass >= 20x.
"""

import argparse
import glob
import os
import tempfile
import time
import warnings

import librosa
import numpy as np

from sklearn_mgc import CQTFeatures, MelFeatures, MFCCFeatures, SpectrumFeatures

SR = 22050
HOP, WIN, NFFT = 220, 551, 1024


def bare_mel(y):
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=NFFT, hop_length=HOP, win_length=WIN, n_mels=80
    )
    return librosa.power_to_db(S, ref=1.0, top_db=None).mean(axis=1)


def bare_mfcc(y):
    M = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=NFFT, hop_length=HOP, win_length=WIN)
    return np.concatenate([M, librosa.feature.delta(M), librosa.feature.delta(M, order=2)]).mean(
        axis=1
    )


def bare_cqt(y):
    C = np.abs(librosa.cqt(y, sr=SR, hop_length=HOP, n_bins=84))
    return librosa.amplitude_to_db(C, ref=1.0, amin=1e-5, top_db=None).mean(axis=1)


def bare_spectrum(y):
    return np.abs(librosa.stft(y, n_fft=4096, hop_length=HOP)).mean(axis=1)


CASES = [
    ("MelFeatures", MelFeatures, bare_mel),
    ("MFCCFeatures", MFCCFeatures, bare_mfcc),
    ("CQTFeatures", CQTFeatures, bare_cqt),
    ("SpectrumFeatures", SpectrumFeatures, bare_spectrum),
]


def timed(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument(
        "--data", default=os.path.join(here, "..", "..", "shared", "data", "gtzan-mini")
    )
    parser.add_argument("--n-clips", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2, help="best of N timings")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.data, "**", "*.wav"), recursive=True))[::3][
        : args.n_clips
    ]
    if not files:
        raise SystemExit(f"no .wav files under {args.data}")
    n = len(files)
    print(f"{n} clips from {args.data}, {os.cpu_count()} cores\n")
    warnings.filterwarnings("ignore")
    # warm up numba's JIT and the joblib worker pool so that no timing pays for them
    for _, cls, bare in CASES:
        bare(librosa.load(files[0], sr=SR, duration=2.0)[0])
        cls(duration=2.0, n_jobs=2).fit_transform(files[:4])

    header = (
        f"{'representation':<18}{'bare s/clip':>12}{'ours s/clip':>12}"
        f"{'overhead':>10}{'n_jobs=2':>10}{'cached':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, cls, bare in CASES:
        t_bare, ref = timed(
            lambda: [bare(librosa.load(f, sr=SR, duration=30.0)[0]) for f in files], args.repeat
        )
        t_ours, got = timed(lambda: cls().fit_transform(files), args.repeat)
        assert np.allclose(np.asarray(ref), got, rtol=1e-3, atol=1e-2), (
            f"{name} differs from bare librosa"
        )
        t_par, _ = timed(lambda: cls(n_jobs=2).fit_transform(files), args.repeat)
        with tempfile.TemporaryDirectory() as cache:
            t_fill, first = timed(lambda: cls(cache_dir=cache).fit_transform(files), 1)
            t_hit, second = timed(lambda: cls(cache_dir=cache).fit_transform(files), args.repeat)
            assert np.array_equal(first, second)
        print(
            f"{name:<18}{t_bare / n:>12.4f}{t_ours / n:>12.4f}{t_ours / t_bare:>9.2f}x"
            f"{t_ours / t_par:>9.2f}x{t_fill / t_hit:>9.0f}x"
        )
    print(
        "\noverhead = ours / bare (goal <= 1.1); n_jobs=2 and cached = speed-ups (goals >= 1.7, "
        ">= 20)"
    )


if __name__ == "__main__":
    main()
