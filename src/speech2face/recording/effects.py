"""Recording degradations as batched torch operations on float waveforms (batch, samples).

They run on whatever device the waveforms are on and draw nothing at random: the callers
(`conditions`, fixed and seeded; `augment`, random per clip) choose their parameters.
Filtering, resampling, convolution and mu-law come from torchaudio.functional; filter design
from scipy.signal.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torchaudio.functional as AF

TELEPHONE_BAND_HZ = (300.0, 3400.0)  # ITU-T G.712's pass band
TELEPHONE_RATE = 8000  # G.711: 8 kHz, 8-bit mu-law
MU_LAW_CHANNELS = 256
BAND_TAPS = 1025  # Kaiser-window FIR: ~80 dB stop band, ~40 Hz transitions at 16 kHz
KAISER_BETA = 8.0
FRAME_SECONDS = 0.02
SILENCE_DB = 40.0  # frames this far below the loudest are pauses, not speech


def speech_power(waveforms: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Mean power (batch,) of each clip's active frames: 20 ms frames within SILENCE_DB of
    its loudest, so pauses do not lower a clip's speech level (as ITU-T P.56 intends)."""
    frame = int(round(FRAME_SECONDS * sample_rate))
    frames = waveforms[:, : waveforms.shape[1] // frame * frame].unflatten(1, (-1, frame))
    power = frames.pow(2).mean(dim=2)
    active = power >= power.amax(dim=1, keepdim=True) * 10 ** (-SILENCE_DB / 10)
    return (power * active).sum(dim=1) / active.sum(dim=1).clamp(min=1)


def coloured_noise(white: torch.Tensor, exponent: torch.Tensor) -> torch.Tensor:
    """`white` Gaussian noise (batch, samples) shaped to a 1/f^exponent power spectrum
    (0 white, 1 pink, 2 brown; exponent per clip), with unit power per clip."""
    spectrum = torch.fft.rfft(white, dim=1)
    bins = torch.arange(spectrum.shape[1], device=white.device, dtype=white.dtype)
    slope = bins.clamp(min=1)[None].pow(-exponent[:, None] / 2)
    slope[:, 0] = 0.0  # no DC
    noise = torch.fft.irfft(spectrum * slope, n=white.shape[1], dim=1)
    return noise / noise.pow(2).mean(dim=1, keepdim=True).sqrt().clamp(min=1e-12)


def add_noise(
    waveforms: torch.Tensor, noise: torch.Tensor, snr_db: torch.Tensor, sample_rate: int
) -> torch.Tensor:
    """`noise` (unit power) added to each clip at `snr_db` (batch,) below its speech power."""
    scale = (speech_power(waveforms, sample_rate) * 10 ** (-snr_db / 10)).sqrt()
    return waveforms + noise * scale[:, None]


def gain(waveforms: torch.Tensor, gain_db: torch.Tensor) -> torch.Tensor:
    return waveforms * 10 ** (gain_db[:, None] / 20)


def _convolve(waveforms: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Full FFT convolution (torchaudio's), the kernels zero-padded to a fast FFT length
    (about twice as fast as a length with a large prime factor)."""
    from scipy.fft import next_fast_len

    full = waveforms.shape[-1] + kernels.shape[-1] - 1
    padding = next_fast_len(full, real=True) - full
    return AF.fftconvolve(waveforms, torch.nn.functional.pad(kernels, (0, padding)))


def reverberate(waveforms: torch.Tensor, responses: torch.Tensor, lead: int) -> torch.Tensor:
    """Each clip convolved (FFT) with its room response (batch, length), whose direct path is
    at sample `lead`: same length, aligned with the dry clip."""
    wet = _convolve(waveforms, responses.to(waveforms.dtype))
    return wet[:, lead : lead + waveforms.shape[1]]


@functools.cache
def _band_filter(sample_rate: int) -> np.ndarray:
    from scipy.signal import firwin

    return firwin(
        BAND_TAPS,
        TELEPHONE_BAND_HZ,
        pass_zero=False,
        window=("kaiser", KAISER_BETA),
        fs=sample_rate,
    ).astype(np.float32)


def band_limit(waveforms: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """The telephone pass band, 300-3400 Hz, by a linear-phase FIR (no delay, same length)."""
    taps = torch.from_numpy(_band_filter(sample_rate)).to(waveforms)
    filtered = _convolve(waveforms, taps[None])
    delay = (BAND_TAPS - 1) // 2
    return filtered[:, delay : delay + waveforms.shape[1]]


def telephone(waveforms: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """A G.711 call: 8 kHz, 8-bit mu-law, then 300-3400 Hz at the receiver; same length.

    Mu-law quantises each clip relative to its own peak, so a loud clip is not clipped.
    """
    samples = waveforms.shape[1]
    narrow = AF.resample(waveforms, sample_rate, TELEPHONE_RATE)
    peak = narrow.abs().amax(dim=1, keepdim=True).clamp(min=1e-8)
    coded = AF.mu_law_encoding(narrow / peak, MU_LAW_CHANNELS)
    narrow = AF.mu_law_decoding(coded, MU_LAW_CHANNELS).to(waveforms.dtype) * peak
    wide = AF.resample(narrow, TELEPHONE_RATE, sample_rate)
    wide = torch.nn.functional.pad(wide, (0, max(0, samples - wide.shape[1])))[:, :samples]
    return band_limit(wide, sample_rate)
