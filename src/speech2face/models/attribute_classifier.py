"""The face-attribute classifier (Face++'s role in the paper): demographics and geometry."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.models.face_encoder import FaceEncoder


class AttributeClassifier(nn.Module):
    """Images (batch, 3, H, W) in [0, 1] -> {attribute: logits} and {measure: value}.

    A face-encoder trunk whose last layer has one output per class of every categorical
    attribute (`classes`: attribute -> class names) and one per numeric measure (`numbers`:
    name -> (mean, std) of its training labels, e.g. age and craniofacial measurements).
    Numbers come out in their own units. Images of another size are resized to `image_size`.
    """

    def __init__(
        self,
        classes: dict[str, list[str]],
        numbers: dict[str, list[float]],
        embedding_dim: int = 128,
        width: int = 32,
        image_size: int = 64,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.classes, self.numbers, self.image_size = classes, list(numbers), image_size
        outputs = sum(len(names) for names in classes.values()) + len(numbers)
        self.trunk = FaceEncoder(outputs, embedding_dim, width, image_size, dropout)
        scale = torch.tensor([list(pair) for pair in numbers.values()]).reshape(-1, 2)
        self.register_buffer("number_mean", scale[:, 0].clone(), persistent=False)
        self.register_buffer("number_std", scale[:, 1].clone(), persistent=False)

    def forward(self, images: torch.Tensor) -> tuple[dict, dict]:
        if images.shape[-1] != self.image_size:
            size = (self.image_size, self.image_size)
            images = F.interpolate(
                images, size=size, mode="bilinear", antialias=True, align_corners=False
            )
        _, outputs = self.trunk(images)
        sizes = [len(names) for names in self.classes.values()] + [len(self.numbers)]
        *logits, standardized = outputs.split(sizes, dim=1)
        values = standardized * self.number_std + self.number_mean
        return dict(zip(self.classes, logits)), dict(zip(self.numbers, values.unbind(dim=1)))

    def standardized(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """`value` of measure `name` in standard units of its training labels."""
        index = self.numbers.index(name)
        return (value - self.number_mean[index]) / self.number_std[index]

    @torch.no_grad()
    def describe(self, images: torch.Tensor) -> dict[str, np.ndarray]:
        """The most likely class name of every attribute, and every measure, per image."""
        logits, values = self(images)
        described = {
            name: np.asarray(self.classes[name])[scores.argmax(dim=1).cpu().numpy()]
            for name, scores in logits.items()
        }
        described.update({name: value.float().cpu().numpy() for name, value in values.items()})
        return described
