"""The face encoder (the teacher): shapes, training, determinism."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from speech2face.models.face_encoder import FaceEncoder


def tiny(seed: int = 0) -> FaceEncoder:
    torch.manual_seed(seed)
    return FaceEncoder(n_identities=5, embedding_dim=16, width=8, image_size=32)


def test_outputs_embedding_and_logits_from_its_head():
    encoder = tiny().eval()
    embedding, logits = encoder(torch.rand(2, 3, 32, 32))
    assert embedding.shape == (2, 16) and logits.shape == (2, 5)
    assert embedding.dtype == logits.dtype == torch.float32
    assert (embedding >= 0).all()
    assert isinstance(encoder.head, nn.Linear)
    assert torch.allclose(encoder.head(embedding), logits)


@pytest.mark.parametrize("size", [48, 8])
def test_rejects_image_sizes_it_cannot_halve_to_4(size):
    with pytest.raises(ValueError, match="image_size"):
        FaceEncoder(n_identities=2, image_size=size)


def test_training_reduces_identity_cross_entropy():
    encoder = tiny()
    images, identities = torch.rand(4, 3, 32, 32), torch.tensor([0, 0, 1, 1])
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        optimizer.zero_grad()
        loss = F.cross_entropy(encoder(images)[1], identities)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_is_deterministic_under_a_seed():
    images = torch.rand(2, 3, 32, 32)
    first, second = tiny(3)(images), tiny(3)(images)
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_feature_maps_are_the_stem_and_every_residual_block_down_to_4x4():
    encoder = tiny().eval()
    maps = encoder.feature_maps(torch.rand(2, 3, 32, 32))
    assert [m.shape[-1] for m in maps] == [16, 8, 4]
    assert [m.shape[1] for m in maps] == [8, 8, 16]
    features = encoder.features((torch.rand(1, 3, 32, 32) - encoder.mean) / encoder.std)
    assert features.shape == (1, *maps[-1].shape[1:])
