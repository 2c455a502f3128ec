"""How the drawn faces look beside the true ones: sharpness, and their spread across speakers
(a decoder or a voice model that draws one average face for everyone has none).

Both are per-clip columns, so that the evaluation's group bootstrap gives them intervals:
- sharpness_ratio: the variance of the Laplacian of the clip's drawn face (grey), divided by
  its mean over all true test faces; its mean over all clips is the ratio of the means;
- spread_ratio: the distance of the clip's drawn face from the mean drawn face, divided by the
  mean distance of the true test faces from the mean true face (pixels, RMS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from speech2face.training import networks
from speech2face.training.common import face_images

METRICS = ("sharpness_ratio", "spread_ratio")
_LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)


def laplacian_variance(images: torch.Tensor) -> torch.Tensor:
    """Faces (N, 3, H, W) in [0, 1] -> the variance of the Laplacian of each grey face."""
    grey = images.float().mean(dim=1, keepdim=True)
    return F.conv2d(grey, _LAPLACIAN).flatten(1).var(dim=1)


def _distance_from_mean(images: np.ndarray) -> np.ndarray:
    flat = images.reshape(len(images), -1).astype(np.float64)
    return np.sqrt(np.mean((flat - flat.mean(axis=0)) ** 2, axis=1))


def true_faces(faces: np.ndarray, size: int) -> np.ndarray:
    """uint8 faces (N, H, W, 3) -> (N, 3, size, size) in [0, 1], as the decoder draws them."""
    return networks.batched(lambda batch: face_images(batch, size), faces)[0]


def face_quality(drawn: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """Per clip: the sharpness and spread of the drawn faces against the true faces (both
    (N, 3, H, W) in [0, 1], the same size)."""
    sharpness = networks.batched(laplacian_variance, drawn)[0]
    true_sharpness = networks.batched(laplacian_variance, truth)[0]
    spread = _distance_from_mean(drawn) / _distance_from_mean(truth).mean()
    return pd.DataFrame(
        {"sharpness_ratio": sharpness / true_sharpness.mean(), "spread_ratio": spread}
    )
