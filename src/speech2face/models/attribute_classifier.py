"""The face-attribute classifier (Face++'s role in the paper): demographics and geometry."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.models.face_encoder import FaceEncoder

SHARED = "shared"  # the trunk of the attributes without one of their own


class AttributeClassifier(nn.Module):
    """Images (batch, 3, H, W) in [0, 1] -> {attribute: logits} and {measure: value}.

    Face-encoder trunks whose last layers have one output per class of a categorical
    attribute (`classes`: attribute -> class names) or per numeric measure (`numbers`:
    name -> (mean, std) of its training labels, e.g. age and craniofacial measurements).
    Attributes named in `own_trunk` get a trunk of their own (like a commercial API's separate
    models: one task cannot crowd out another); the rest share one. Numbers come out in their
    own units. Images of another size are resized to `image_size`.
    """

    def __init__(
        self,
        classes: dict[str, list[str]],
        numbers: dict[str, list[float]],
        embedding_dim: int = 128,
        width: int = 32,
        image_size: int = 64,
        dropout: float = 0.0,
        own_trunk: tuple[str, ...] = (),
    ):
        super().__init__()
        unknown = set(own_trunk) - set(classes)
        if unknown:
            raise ValueError(f"own_trunk names unknown attributes: {sorted(unknown)}")
        self.classes, self.numbers, self.image_size = classes, list(numbers), image_size
        shared = [name for name in classes if name not in own_trunk]
        # trunk -> the outputs it carries, in order, as (name, width)
        self.outputs = {name: [(name, len(classes[name]))] for name in own_trunk}
        self.outputs[SHARED] = [(name, len(classes[name])) for name in shared]
        self.outputs[SHARED] += [(name, 1) for name in numbers]
        self.trunks = nn.ModuleDict(
            {
                trunk: FaceEncoder(
                    sum(size for _, size in outputs), embedding_dim, width, image_size, dropout
                )
                for trunk, outputs in self.outputs.items()
            }
        )
        scale = torch.tensor([list(pair) for pair in numbers.values()]).reshape(-1, 2)
        self.register_buffer("number_mean", scale[:, 0].clone(), persistent=False)
        self.register_buffer("number_std", scale[:, 1].clone(), persistent=False)

    def forward(self, images: torch.Tensor) -> tuple[dict, dict]:
        if images.shape[-1] != self.image_size:
            size = (self.image_size, self.image_size)
            images = F.interpolate(
                images, size=size, mode="bilinear", antialias=True, align_corners=False
            )
        parts = {}
        for trunk, outputs in self.outputs.items():
            _, scores = self.trunks[trunk](images)
            names, sizes = zip(*outputs)
            parts.update(zip(names, scores.split(sizes, dim=1)))
        logits = {name: parts[name] for name in self.classes}
        standardized = torch.cat([parts[name] for name in self.numbers], dim=1)
        values = standardized * self.number_std + self.number_mean
        return logits, dict(zip(self.numbers, values.unbind(dim=1)))

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
