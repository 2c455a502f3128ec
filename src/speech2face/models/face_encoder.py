"""The face recognition network (the teacher, in VGG-Face's role): a small ResNet."""

from __future__ import annotations

import torch
from torch import nn

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int) -> nn.Sequential:
    """Conv without bias -> batch norm."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class ResidualBlock(nn.Module):
    """A ResNet basic block that halves the resolution."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(in_channels, out_channels, 3, 2),
            nn.ReLU(inplace=True),
            conv_bn(out_channels, out_channels, 3, 1),
        )
        self.shortcut = conv_bn(in_channels, out_channels, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class FaceEncoder(nn.Module):
    """Images (batch, 3, H, W) in [0, 1] -> (embedding, identity logits).

    A stride-2 stem, then residual blocks that halve the resolution down to 4x4 at
    `image_size` (channels width, 2·width, …), global average pooling, optional dropout,
    and FC -> ReLU to the embedding (VGG-Face's fc7; no ReLU with `linear_embedding`, to
    reproduce a descriptor with signs, like dlib's). `head` maps any embedding to identity
    logits (fc8).
    """

    def __init__(
        self,
        n_identities: int,
        embedding_dim: int = 256,
        width: int = 32,
        image_size: int = 128,
        dropout: float = 0.0,
        linear_embedding: bool = False,
    ):
        super().__init__()
        stages = (image_size // 8).bit_length() - 1
        if image_size < 16 or 8 * 2**stages != image_size:
            raise ValueError(f"image_size must be 8·2^k with k >= 1, got {image_size}")
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)
        layers: list[nn.Module] = [conv_bn(3, width, 3, 2), nn.ReLU(inplace=True)]
        channels = width
        for stage in range(stages):
            layers.append(ResidualBlock(channels, width * 2**stage))
            channels = width * 2**stage
        self.features = nn.Sequential(*layers)
        last = nn.Identity() if linear_embedding else nn.ReLU(inplace=True)
        self.embed = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, embedding_dim), last)
        self.head = nn.Linear(embedding_dim, n_identities)

    def feature_maps(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The activations after the stem and after each residual block (for a perceptual
        loss: how alike two faces look to the network at every scale)."""
        maps, x = [], (images - self.mean) / self.std
        for layer in self.features:
            x = layer(x)
            if not isinstance(layer, nn.Sequential):  # the stem's ReLU, or a residual block
                maps.append(x)
        return maps

    def embedding_of(self, features: torch.Tensor) -> torch.Tensor:
        """The embedding of the last feature map (pooled, then fc7)."""
        return self.embed(features.mean(dim=(2, 3)))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.embedding_of(self.features((images - self.mean) / self.std))
        return embedding, self.head(embedding)
