"""Training augmentation of faces that changes neither who the face is nor what it shows."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def jitter(images: torch.Tensor, max_shift: float) -> torch.Tensor:
    """Each image mirrored with probability 1/2 and moved by up to `max_shift` of its side
    each way (borders repeated): neither changes who the face is or its geometry."""
    n = len(images)
    theta = torch.zeros(n, 2, 3, device=images.device)
    mirror = torch.randint(0, 2, (n,), device=images.device) * 2 - 1
    theta[:, 0, 0], theta[:, 1, 1] = mirror.float(), 1.0
    theta[:, :, 2] = (torch.rand(n, 2, device=images.device) * 2 - 1) * 2 * max_shift
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, padding_mode="border", align_corners=False)
