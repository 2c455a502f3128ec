"""The Speech2Face voice encoder, with a width multiplier for CPU budgets."""

from __future__ import annotations

import torch
from torch import nn

# The paper's layers as (output channels at width 1, (frequency, time) stride, time pooling
# after), except that the first two convs stride 2 along time, for a CPU's budget: at full
# time resolution, on the most frames, they are the costliest layers.
PLAN = (
    (64, (1, 2), False),
    (64, (1, 2), False),
    (128, (1, 1), True),
    (128, (1, 1), True),
    (128, (1, 1), True),
    (256, (1, 1), True),
    (512, (1, 1), False),
    (512, (2, 2), False),
    (512, (2, 2), False),
)


def block(in_channels: int, out_channels: int, stride: tuple[int, int]) -> nn.Sequential:
    """Conv 3x3 -> ReLU -> batch norm, as in the paper."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
        nn.ReLU(inplace=True),
        nn.BatchNorm2d(out_channels),
    )


class VoiceEncoder(nn.Module):
    """Waveforms (batch, samples) -> predicted face embedding (batch, embedding_dim).

    The front end runs inside, so the spectrogram (batch, in_channels, frequency_bins, frames)
    is computed on the module's device (pass waveforms there). It is batch-normalised, then goes
    through the conv -> ReLU -> BN blocks of `PLAN`, whose channels grow 64 -> 128 -> 256 -> 512
    (times `width`, at least 8), max-pooled along time only, then two stride-2 convs, an average
    over time, and FC -> ReLU -> FC on the (channels x remaining frequency bins) features.
    """

    def __init__(
        self,
        frontend: nn.Module,
        in_channels: int,
        frequency_bins: int,
        embedding_dim: int = 256,
        width: float = 0.25,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.frontend = frontend
        self.input_norm = nn.BatchNorm2d(in_channels)
        layers: list[nn.Module] = []
        channels, bins = in_channels, frequency_bins
        for base, stride, pool in PLAN:
            out = max(8, round(base * width))
            layers.append(block(channels, out, stride))
            if pool:
                layers.append(nn.MaxPool2d((1, 2), ceil_mode=True))
            channels, bins = out, (bins - 1) // stride[0] + 1
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Sequential(
            nn.Linear(channels * bins, embedding_dim),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(embedding_dim, embedding_dim),
        )

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        features = self.convs(self.input_norm(self.frontend(waveforms)))
        return self.fc(features.mean(dim=3).flatten(1))
