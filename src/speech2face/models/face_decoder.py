"""The face decoder (Cole et al.'s role): a face embedding -> a canonical frontal face."""

from __future__ import annotations

import torch
from torch import nn

START = 4


def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


def up_block(in_channels: int, out_channels: int, convs: int = 1) -> nn.Sequential:
    """Nearest upsampling by 2, then `convs` times conv 3x3 -> batch norm -> ReLU."""
    layers: list[nn.Module] = [nn.Upsample(scale_factor=2, mode="nearest")]
    for i in range(convs):
        layers += conv_bn_relu(in_channels if i == 0 else out_channels, out_channels)
    return nn.Sequential(*layers)


@torch.no_grad()
def icnr_(conv: nn.Conv2d, scale: int) -> None:
    """Initialise a conv followed by a pixel shuffle by `scale` so that its output starts as a
    nearest-neighbour upsampling (every sub-pixel of a pixel shares its weights): no
    checkerboard at the start, which adversarial training would otherwise amplify."""
    subpixels = scale * scale
    weight = conv.weight[: conv.out_channels // subpixels].clone()
    conv.weight.copy_(weight.repeat_interleave(subpixels, dim=0))
    if conv.bias is not None:
        conv.bias.copy_(conv.bias[: conv.out_channels // subpixels].repeat_interleave(subpixels))


class FaceDecoder(nn.Module):
    """Embeddings (batch, embedding_dim) -> images (batch, 3, image_size, image_size) in [0, 1].

    `first` (Linear -> ReLU, exposed as `first_layer`) makes a 4x4 map, which up blocks double
    to image_size / 2, halving the channels from 8·width down to `width`; each block has
    `convs_per_block` convolutions (batch norm in every one: without it, the paper saw one
    face drawn for everyone). A sub-pixel conv (conv to 4 x RGB, pixel shuffle) and a sigmoid
    give the image at full resolution: a conv with 3 output channels at full resolution is
    slow on CPU.
    """

    def __init__(
        self,
        embedding_dim: int = 256,
        image_size: int = 128,
        width: int = 32,
        convs_per_block: int = 1,
    ):
        super().__init__()
        doublings = (image_size // START).bit_length() - 1
        if doublings < 1 or START * 2**doublings != image_size:
            raise ValueError(f"image_size must be 4·2^k with k >= 1, got {image_size}")
        channels = [width * min(8, 2 ** (doublings - 1 - i)) for i in range(doublings)]
        self.start_channels = channels[0]
        self.first = nn.Linear(embedding_dim, channels[0] * START * START)
        self.blocks = nn.Sequential(
            *(up_block(a, b, convs_per_block) for a, b in zip(channels, channels[1:]))
        )
        self.to_rgb = nn.Sequential(
            nn.Conv2d(channels[-1], 3 * 4, 3, padding=1), nn.PixelShuffle(2)
        )
        icnr_(self.to_rgb[0], 2)

    def first_layer(self, embedding: torch.Tensor) -> torch.Tensor:
        """The first layer's activations, compared by the Speech2Face loss."""
        return torch.relu(self.first(embedding))

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        start = self.first_layer(embedding).view(-1, self.start_channels, START, START)
        return torch.sigmoid(self.to_rgb(self.blocks(start)))


class PatchDiscriminator(nn.Module):
    """Images (batch, 3, H, W) in [0, 1] -> a map of real/fake scores, one per patch.

    `depth` stride-2 4x4 convolutions (channels width, 2·width, …; spectral norm, leaky ReLU)
    and a 3x3 conv to one score per patch: at depth 3 each score sees about 30 px, so it
    judges texture and edges, the detail an L1 loss averages away.
    """

    def __init__(self, width: int = 32, depth: int = 3):
        super().__init__()
        norm = nn.utils.parametrizations.spectral_norm
        layers: list[nn.Module] = []
        channels = 3
        for i in range(depth):
            layers += [norm(nn.Conv2d(channels, width * 2**i, 4, 2, 1)), nn.LeakyReLU(0.2)]
            channels = width * 2**i
        layers.append(norm(nn.Conv2d(channels, 1, 3, padding=1)))
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images * 2.0 - 1.0)
