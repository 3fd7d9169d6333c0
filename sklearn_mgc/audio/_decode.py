"""Opening and decoding files: only regular files, headers checked before any allocation.

A file is opened once, without blocking (a FIFO or a device is refused from its ``fstat``, so it
can never hang a run), then read by :mod:`soundfile` or, for what libsndfile cannot read (AAC,
Opus, WMA, the audio of MP4/WebM...), by FFmpeg through PyAV. Both give blocks of mono float32
samples at the file's own rate.
"""

import contextlib
import errno
import os
import stat

import numpy as np
import soundfile as sf

from ._core import MAX_CHANNELS, MAX_SAMPLES, MAX_SR, MIN_SR, AudioError, display_path

#: samples per channel read at a time
BLOCK = 2**18


def open_regular(path):
    """Open ``path`` read-only and return its file descriptor; refuse what is not a file."""
    name = display_path(path)
    raw = os.fsencode(os.fspath(path))
    if not raw:
        raise AudioError("no such file: the path is empty ('')")
    try:
        fd = os.open(raw, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if os.path.islink(raw):
            raise AudioError(f"no such file: '{name}' is a dangling symbolic link") from None
        raise AudioError(f"no such file: '{name}'") from None
    except IsADirectoryError:
        raise AudioError(f"'{name}' is a directory, not an audio file") from None
    except OSError as exc:
        raise AudioError(f"cannot open '{name}': {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (FIFO, device...)"
        raise AudioError(f"'{name}' is {kind}; only regular audio files are read")
    return fd


def check_header(name, sr, channels):
    """Raise an AudioError for a sampling rate or channel count out of the accepted range."""
    if not MIN_SR <= sr <= MAX_SR:
        raise AudioError(
            f"cannot decode '{name}': its header claims a sampling rate of {sr} Hz, outside "
            f"the accepted {MIN_SR}-{MAX_SR} Hz"
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(
            f"cannot decode '{name}': its header claims {channels} channels, outside the "
            f"accepted 1-{MAX_CHANNELS}"
        )


def span(name, sr, offset, duration, total=None, *, bounded=True):
    """First sample and number of samples to decode (None: to the end), within the limits.

    ``bounded=False`` (streaming, where memory does not grow with the length) skips the
    ``MAX_SAMPLES`` check.
    """
    start = max(0, int(round(offset * sr)))
    count = None if duration is None else int(np.ceil(duration * sr))
    if total is not None and total >= 0:
        left = max(0, total - start)
        count = left if count is None else min(count, left)
    if bounded and count is not None and count > MAX_SAMPLES:
        raise AudioError(
            f"cannot decode '{name}': {count} samples per channel requested "
            f"({count / sr / 3600:.1f} h at {sr} Hz), above the limit of {MAX_SAMPLES}; pass "
            "a duration"
        )
    return start, count


def _mono(block):
    return block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0]


def _sf_reason(exc):
    reason = getattr(exc, "error_string", None) or str(exc)
    if "does not exist" in reason or "System error" in reason:
        # libsndfile's words for data it does not recognise in a file that does exist
        reason = "format not recognised or data damaged"
    return reason


def _sf_blocks(f, start, count):
    if start:
        f.seek(min(start, f.frames) if f.frames > 0 else start)
    left = count
    while left is None or left > 0:
        n = BLOCK if left is None else min(BLOCK, left)
        block = f.read(frames=n, dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            return
        yield _mono(block)
        if left is not None:
            left -= block.shape[0]
        if block.shape[0] < n:
            return


@contextlib.contextmanager
def soundfile_stream(fd, name, *, offset, duration, bounded):
    """Yield ``(sr, blocks)`` from soundfile; raise ``sf.LibsndfileError`` if it cannot open."""
    with sf.SoundFile(fd, closefd=False) as f:
        check_header(name, f.samplerate, f.channels)
        start, count = span(name, f.samplerate, offset, duration, f.frames, bounded=bounded)
        yield f.samplerate, _guard(_sf_blocks(f, start, count), name, "soundfile")


def _guard(blocks, name, backend, errors=(RuntimeError, OSError, ValueError, EOFError)):
    """Re-raise a decoder's error in the middle of a file as an AudioError naming it."""
    try:
        yield from blocks
    except AudioError:
        raise
    except sf.LibsndfileError as exc:
        raise AudioError(f"cannot decode '{name}' ({backend}): {_sf_reason(exc)}") from None
    except errors as exc:
        raise AudioError(f"cannot decode '{name}' ({backend}): {exc}") from None


def _av_frames(container, stream, resampler):
    for packet in container.demux(stream):
        for frame in packet.decode():
            yield from resampler.resample(frame)
    yield from resampler.resample(None)


def _av_blocks(container, stream, start, count):
    import av

    resampler = av.AudioResampler(format="fltp")  # planar float, same layout and rate
    skip, left = start, count
    for frame in _av_frames(container, stream, resampler):
        y = frame.to_ndarray()  # (channels, n)
        y = y.mean(axis=0, dtype=np.float32) if y.shape[0] > 1 else y[0].astype(np.float32)
        if skip:
            y, skip = y[skip:], max(0, skip - len(y))
        if left is not None:
            y = y[:left]
            left -= len(y)
        if len(y):
            yield y
        if left == 0:
            return


@contextlib.contextmanager
def pyav_stream(fd, name, *, offset, duration, bounded):
    """Yield ``(sr, blocks)`` decoded by FFmpeg (PyAV) from the file's first audio stream."""
    import av

    with contextlib.ExitStack() as stack:
        fileobj = stack.enter_context(open(fd, "rb", closefd=False))
        try:
            container = stack.enter_context(av.open(fileobj, "r"))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise AudioError(f"cannot decode '{name}' (FFmpeg): {_av_reason(exc)}") from None
        if not container.streams.audio:
            raise AudioError(f"cannot decode '{name}': it holds no audio stream")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        if ctx is None:
            raise AudioError(f"cannot decode '{name}': FFmpeg has no decoder for its audio")
        check_header(name, int(ctx.sample_rate or 0), int(ctx.channels or 0))
        start, count = span(name, ctx.sample_rate, offset, duration, bounded=bounded)
        blocks = _av_blocks(container, stream, start, count)
        errors = (av.FFmpegError, RuntimeError, OSError, ValueError, EOFError)
        yield ctx.sample_rate, _guard(blocks, name, "FFmpeg", errors)


def _av_reason(exc):
    if getattr(exc, "errno", None) == errno.ENOENT:
        return "no such file"
    return getattr(exc, "strerror", None) or str(exc)


@contextlib.contextmanager
def native_stream(path, *, offset=0.0, duration=None, bounded=True):
    """Yield ``(name, sr, blocks)``: mono float32 blocks of ``path`` at its own rate.

    soundfile is tried first; what it cannot open goes to FFmpeg. Every failure is an
    AudioError naming the file.
    """
    name = display_path(path)
    fd = open_regular(path)
    try:
        try:
            cm = soundfile_stream(fd, name, offset=offset, duration=duration, bounded=bounded)
            sr, blocks = cm.__enter__()
        except AudioError:
            raise
        except (RuntimeError, ValueError) as exc:  # LibsndfileError and its kin: not for it
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                cm = pyav_stream(fd, name, offset=offset, duration=duration, bounded=bounded)
                sr, blocks = cm.__enter__()
            except AudioError as av_exc:
                raise AudioError(f"{av_exc}; soundfile: {_sf_reason(exc)}") from None
        try:
            yield name, sr, blocks
        finally:
            cm.__exit__(None, None, None)
    finally:
        os.close(fd)
