"""Kaldi-compatible log-mel filterbank, in plain PyTorch.

EnCodecMAE's mel front end was trained on the filterbank that Kaldi computes
(``compute-fbank-feats``): frames cut with ``snip_edges`` (no padding), the DC
offset removed per frame, pre-emphasis, a window, an FFT of the next power of
two, the power spectrum, triangular filters on the HTK mel scale, and the
natural log floored at float32's epsilon. This module computes the same
numbers for a batch of equal-length waveforms without torchaudio, which
cannot be installed next to transformers here.
"""

import math

import torch

__all__ = ["kaldi_fbank", "fbank_n_frames", "frame_sizes"]


def frame_sizes(*, sample_frequency, frame_length, frame_shift):
    """Window and hop in samples, truncated as Kaldi does.

    Parameters
    ----------
    sample_frequency : float
        Sampling rate in Hz.
    frame_length, frame_shift : float
        Window length and hop in milliseconds.

    Returns
    -------
    window_size, window_shift : int
    """
    window_size = int(sample_frequency * frame_length * 0.001)
    window_shift = int(sample_frequency * frame_shift * 0.001)
    return window_size, window_shift


def fbank_n_frames(n_samples, *, window_size, window_shift):
    """Number of frames Kaldi's ``snip_edges=True`` framing gives.

    Parameters
    ----------
    n_samples : int
    window_size, window_shift : int
        In samples (see :func:`frame_sizes`).

    Returns
    -------
    n_frames : int
        0 when the waveform is shorter than one window.
    """
    if n_samples < window_size:
        return 0
    return 1 + (n_samples - window_size) // window_shift


def _mel(freq):
    # HTK mel scale, as Kaldi (natural log, 1127).
    return 1127.0 * torch.log(1.0 + freq / 700.0)


def _mel_scalar(freq):
    return 1127.0 * math.log(1.0 + freq / 700.0)


def _window(window_type, size, *, dtype, device):
    if window_type == "hanning":
        return torch.hann_window(size, periodic=False, dtype=dtype, device=device)
    if window_type == "hamming":
        return torch.hamming_window(
            size, periodic=False, alpha=0.54, beta=0.46, dtype=dtype, device=device
        )
    if window_type == "povey":
        return torch.hann_window(size, periodic=False, dtype=dtype, device=device).pow(0.85)
    if window_type == "rectangular":
        return torch.ones(size, dtype=dtype, device=device)
    raise ValueError(
        f"window_type={window_type!r} is not supported; use 'hanning', 'hamming', 'povey' or "
        "'rectangular'."
    )


def mel_filters(
    *, num_mel_bins, n_fft, sample_frequency, low_freq=20.0, high_freq=0.0, dtype=torch.float32
):
    """Kaldi's triangular mel filters.

    Parameters
    ----------
    num_mel_bins : int
    n_fft : int
        Padded FFT length (a power of two).
    sample_frequency : float
    low_freq : float, default=20.0
    high_freq : float, default=0.0
        A value ``<= 0`` is an offset from the Nyquist frequency.
    dtype : torch.dtype, default=torch.float32

    Returns
    -------
    filters : torch.Tensor of shape (num_mel_bins, n_fft // 2 + 1)
        The last column (Nyquist bin) is zero, as in Kaldi.
    """
    nyquist = 0.5 * sample_frequency
    if high_freq <= 0.0:
        high_freq = high_freq + nyquist
    if not (0.0 <= low_freq < nyquist and 0.0 < high_freq <= nyquist and low_freq < high_freq):
        raise ValueError(
            f"Bad filterbank frequencies: low_freq={low_freq}, high_freq={high_freq}, "
            f"nyquist={nyquist}."
        )
    bin_width = sample_frequency / n_fft
    mel_lo = _mel_scalar(low_freq)
    mel_hi = _mel_scalar(high_freq)
    delta = (mel_hi - mel_lo) / (num_mel_bins + 1)
    idx = torch.arange(num_mel_bins, dtype=dtype).unsqueeze(1)
    left = mel_lo + idx * delta
    center = mel_lo + (idx + 1.0) * delta
    right = mel_lo + (idx + 2.0) * delta
    mel = _mel(bin_width * torch.arange(n_fft // 2, dtype=dtype)).unsqueeze(0)
    rising = (mel - left) / (center - left)
    falling = (right - mel) / (right - center)
    filters = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return torch.nn.functional.pad(filters, (0, 1))


def kaldi_fbank(
    waveforms,
    *,
    sample_frequency=16000.0,
    frame_length=25.0,
    frame_shift=10.0,
    num_mel_bins=23,
    low_freq=20.0,
    high_freq=0.0,
    window_type="povey",
    preemphasis_coefficient=0.97,
    remove_dc_offset=True,
    round_to_power_of_two=True,
    filters=None,
):
    """Log-mel filterbank of a batch of waveforms, as Kaldi computes it.

    The defaults are Kaldi's (no dither, no energy, ``snip_edges=True``,
    power spectrum, log).

    Parameters
    ----------
    waveforms : torch.Tensor of shape (n_samples,) or (batch, n_samples)
        Float waveforms, all of the same length.
    sample_frequency : float, default=16000.0
    frame_length, frame_shift : float, default=25.0, 10.0
        Milliseconds.
    num_mel_bins : int, default=23
    low_freq, high_freq : float, default=20.0, 0.0
    window_type : {"povey", "hanning", "hamming", "rectangular"}, default="povey"
    preemphasis_coefficient : float, default=0.97
    remove_dc_offset : bool, default=True
    round_to_power_of_two : bool, default=True
    filters : torch.Tensor, optional
        Precomputed :func:`mel_filters` (saves a little time when called often).

    Returns
    -------
    fbank : torch.Tensor of shape (n_frames, num_mel_bins) or (batch, n_frames, num_mel_bins)
    """
    squeeze = waveforms.ndim == 1
    x = waveforms.unsqueeze(0) if squeeze else waveforms
    size, shift = frame_sizes(
        sample_frequency=sample_frequency, frame_length=frame_length, frame_shift=frame_shift
    )
    n_frames = fbank_n_frames(x.shape[-1], window_size=size, window_shift=shift)
    if n_frames == 0:
        raise ValueError(
            f"A waveform of {x.shape[-1]} samples is shorter than one {size}-sample window."
        )
    frames = x.unfold(-1, size, shift)  # (batch, n_frames, size)
    if remove_dc_offset:
        frames = frames - frames.mean(dim=-1, keepdim=True)
    else:
        frames = frames.clone()
    if preemphasis_coefficient != 0.0:
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
        frames = frames - preemphasis_coefficient * previous
    frames = frames * _window(window_type, size, dtype=frames.dtype, device=frames.device)
    n_fft = 1 << (size - 1).bit_length() if round_to_power_of_two else size
    power = torch.fft.rfft(frames, n=n_fft).abs().pow(2.0)
    if filters is None:
        filters = mel_filters(
            num_mel_bins=num_mel_bins,
            n_fft=n_fft,
            sample_frequency=sample_frequency,
            low_freq=low_freq,
            high_freq=high_freq,
            dtype=frames.dtype,
        )
    mel = torch.matmul(power, filters.to(device=power.device, dtype=power.dtype).T)
    eps = torch.finfo(mel.dtype).eps
    out = torch.clamp(mel, min=eps).log()
    return out[0] if squeeze else out
