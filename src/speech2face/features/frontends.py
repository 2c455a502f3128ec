"""Audio front ends as torch modules, so spectrograms are computed on the training device."""

from __future__ import annotations

import torch
from torch import nn


class PaperSpectrogram(nn.Module):
    """The Speech2Face input: a complex STFT, real and imaginary parts power-law compressed.

    25 ms Hann window, 10 ms hop, 512-point FFT, no centre padding; each part x becomes
    sign(x)|x|^0.3. Waveforms (batch, samples) -> (batch, 2, 257, frames).
    """

    def __init__(self, sample_rate: int = 16000, n_fft: int = 512, exponent: float = 0.3):
        super().__init__()
        import torchaudio

        self.stft = torchaudio.transforms.Spectrogram(
            n_fft=n_fft,
            win_length=int(round(0.025 * sample_rate)),
            hop_length=int(round(0.010 * sample_rate)),
            window_fn=torch.hann_window,
            power=None,
            center=False,
        )
        self.exponent = exponent

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        spectrum = self.stft(waveforms.float())
        parts = torch.stack((spectrum.real, spectrum.imag), dim=1)
        return parts.sign() * parts.abs().pow(self.exponent)


class LogMel(nn.Module):
    """Log mel power spectrogram: 25 ms Hann window, 10 ms hop, 512-point FFT, no centre padding.

    Waveforms (batch, samples) -> log(mel + 1e-6) as (batch, 1, n_mels, frames).
    """

    def __init__(self, sample_rate: int = 16000, n_mels: int = 64, n_fft: int = 512):
        super().__init__()
        import torchaudio

        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=n_fft,
            win_length=int(round(0.025 * sample_rate)),
            hop_length=int(round(0.010 * sample_rate)),
            window_fn=torch.hann_window,
            n_mels=n_mels,
            center=False,
        )

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return torch.log(self.mel(waveforms.float()) + 1e-6).unsqueeze(1)


FRONTENDS = ("paper", "logmel")


def make_frontend(name: str, sample_rate: int, n_mels: int = 64) -> tuple[nn.Module, int, int]:
    """The front end called `name` as (module, channels, frequency bins)."""
    if name == "paper":
        paper = PaperSpectrogram(sample_rate)
        return paper, 2, paper.stft.n_fft // 2 + 1
    if name == "logmel":
        return LogMel(sample_rate, n_mels), 1, n_mels
    raise ValueError(f"unknown front end {name!r}: expected one of {', '.join(FRONTENDS)}")
