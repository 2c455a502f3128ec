"""The training jitter of faces (face encoder, classifier): mirrored and moved, nothing else."""

import pytest
import torch

from speech2face.training.face_augment import jitter


def face() -> torch.Tensor:
    """A face-sized image with a bright square left of centre: where it lands shows the move."""
    image = torch.zeros(1, 3, 32, 32)
    image[..., 12:20, 6:12] = 1.0
    return image


def bright_columns(image: torch.Tensor) -> torch.Tensor:
    return (image[0, 0] > 0.5).any(dim=0).nonzero().flatten()


def test_jitter_mirrors_and_moves_within_the_limit_and_keeps_the_content():
    torch.manual_seed(0)
    faces = face().repeat(64, 1, 1, 1)
    moved = jitter(faces, max_shift=0.1)
    assert moved.shape == faces.shape
    assert moved.min() >= 0.0 and moved.max() <= 1.0
    centres = torch.stack([bright_columns(image[None]).float().mean() for image in moved])
    mirrored = centres > 16
    assert 0 < int(mirrored.sum()) < len(faces)  # some mirrored, some not
    original = bright_columns(face()).float().mean()
    offsets = torch.where(mirrored, 31 - centres, centres) - original
    assert offsets.abs().max() <= 0.1 * 32 + 1  # within max_shift of the side (+ a pixel)
    assert offsets.abs().max() > 1  # and moved
    assert moved.sum(dim=(1, 2, 3)) == pytest.approx(faces.sum(dim=(1, 2, 3)), rel=0.1)


def test_no_shift_still_only_mirrors():
    torch.manual_seed(1)
    faces = face().repeat(16, 1, 1, 1)
    moved = jitter(faces, max_shift=0.0)
    for image in moved:
        assert torch.allclose(image, faces[0], atol=1e-5) or torch.allclose(
            image, faces[0].flip(-1), atol=1e-5
        )
