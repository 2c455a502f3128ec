"""The face decoder (Cole et al.'s role): a face embedding -> a canonical frontal face."""

from __future__ import annotations

import torch
from torch import nn

START = 4


def up_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Nearest upsampling by 2 -> conv 3x3 -> batch norm -> ReLU."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class FaceDecoder(nn.Module):
    """Embeddings (batch, embedding_dim) -> images (batch, 3, image_size, image_size) in [0, 1].

    `first` (Linear -> ReLU, exposed as `first_layer`) makes a 4x4 map, which up blocks double
    to image_size / 2, halving the channels from 8·width down to `width`; a sub-pixel conv
    (conv to 4 x RGB, pixel shuffle) and a sigmoid give the image at full resolution: a conv
    with 3 output channels at full resolution is slow on CPU.
    """

    def __init__(self, embedding_dim: int = 256, image_size: int = 128, width: int = 32):
        super().__init__()
        doublings = (image_size // START).bit_length() - 1
        if doublings < 1 or START * 2**doublings != image_size:
            raise ValueError(f"image_size must be 4·2^k with k >= 1, got {image_size}")
        channels = [width * min(8, 2 ** (doublings - 1 - i)) for i in range(doublings)]
        self.start_channels = channels[0]
        self.first = nn.Linear(embedding_dim, channels[0] * START * START)
        self.blocks = nn.Sequential(*(up_block(a, b) for a, b in zip(channels, channels[1:])))
        self.to_rgb = nn.Sequential(
            nn.Conv2d(channels[-1], 3 * 4, 3, padding=1), nn.PixelShuffle(2)
        )

    def first_layer(self, embedding: torch.Tensor) -> torch.Tensor:
        """The first layer's activations, compared by the Speech2Face loss."""
        return torch.relu(self.first(embedding))

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        start = self.first_layer(embedding).view(-1, self.start_channels, START, START)
        return torch.sigmoid(self.to_rgb(self.blocks(start)))
