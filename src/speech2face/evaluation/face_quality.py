"""How the drawn faces look beside the true ones: sharpness, and their spread across speakers
(a decoder or a voice model that draws one average face for everyone has none).

Both are per-clip columns, so that the evaluation's group bootstrap gives them intervals:
- sharpness_ratio: the variance of the Laplacian of the clip's drawn face (grey), divided by
  its mean over all true test faces; its mean over all clips is the ratio of the means;
- detail_ratio: the same after a 3x3 binomial blur of both drawn and true faces, which removes
  the finest, period-2 pattern: the sharpness that is not a pixel checkerboard (the artefact
  an up-sampling generator trained against a critic tends to draw);
- spread_ratio: the distance of the clip's drawn face from the mean drawn face, divided by the
  mean distance of the true test faces from the mean true face (pixels, RMS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from speech2face.training import networks
from speech2face.training.networks import face_images

_LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)
_BINOMIAL = (torch.tensor([1.0, 2.0, 1.0])[:, None] * torch.tensor([1.0, 2.0, 1.0])) / 16.0


def laplacian_variance(images: torch.Tensor) -> torch.Tensor:
    """Faces (N, 3, H, W) in [0, 1] -> the variance of the Laplacian of each grey face."""
    grey = images.float().mean(dim=1, keepdim=True)
    return F.conv2d(grey, _LAPLACIAN).flatten(1).var(dim=1)


def binomial_blur(images: torch.Tensor) -> torch.Tensor:
    """Faces (N, C, H, W) -> each channel blurred by [1, 2, 1] x [1, 2, 1] / 16 (edges
    repeated): a checkerboard of period 2 becomes flat."""
    channels = images.shape[1]
    padded = F.pad(images.float(), (1, 1, 1, 1), mode="replicate")
    return F.conv2d(padded, _BINOMIAL.expand(channels, 1, 3, 3), groups=channels)


def _sharpness(images: np.ndarray, blurred: bool = False) -> np.ndarray:
    """Per face: the Laplacian variance of the face, or of its binomial blur."""
    prepare = binomial_blur if blurred else torch.as_tensor
    return networks.batched(lambda x: laplacian_variance(prepare(x)), images)[0]


def _distance_from_mean(images: np.ndarray) -> np.ndarray:
    flat = images.reshape(len(images), -1).astype(np.float64)
    return np.sqrt(np.mean((flat - flat.mean(axis=0)) ** 2, axis=1))


@dataclass(frozen=True)
class QualityReference:
    """The true test faces' means the ratios divide by, measured once for every system."""

    sharpness: float
    detail: float
    spread: float


def quality_reference(truth: np.ndarray) -> QualityReference:
    """The reference of the true faces (N, 3, H, W) in [0, 1]."""
    return QualityReference(
        float(_sharpness(truth).mean()),
        float(_sharpness(truth, blurred=True).mean()),
        float(_distance_from_mean(truth).mean()),
    )


def true_faces(faces: np.ndarray, size: int) -> np.ndarray:
    """uint8 faces (N, H, W, 3) -> (N, 3, size, size) in [0, 1], as the decoder draws them."""
    return networks.batched(lambda batch: face_images(batch, size), faces)[0]


def face_quality(drawn: np.ndarray, reference: QualityReference) -> pd.DataFrame:
    """Per clip: the sharpness, detail and spread of the drawn faces ((N, 3, H, W) in [0, 1],
    the size of the true faces `reference` was measured on) against the true faces."""
    return pd.DataFrame(
        {
            "sharpness_ratio": _sharpness(drawn) / reference.sharpness,
            "detail_ratio": _sharpness(drawn, blurred=True) / reference.detail,
            "spread_ratio": _distance_from_mean(drawn) / reference.spread,
        }
    )
