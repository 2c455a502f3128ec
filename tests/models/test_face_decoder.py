"""The face decoder: shapes, its first layer, training, determinism."""

import pytest
import torch

from speech2face.models.face_decoder import FaceDecoder, PatchDiscriminator


def tiny(image_size: int = 32, seed: int = 0) -> FaceDecoder:
    torch.manual_seed(seed)
    return FaceDecoder(embedding_dim=16, image_size=image_size, width=4)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_outputs_images_in_unit_range(size):
    images = tiny(size).eval()(torch.randn(2, 16))
    assert images.shape == (2, 3, size, size)
    assert images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1


def test_first_layer_is_the_relu_of_first():
    decoder = tiny()
    embedding = torch.randn(2, 16)
    activations = decoder.first_layer(embedding)
    assert activations.shape == (2, decoder.first.out_features)
    assert torch.equal(activations, torch.relu(decoder.first(embedding)))


@pytest.mark.parametrize("size", [48, 4])
def test_rejects_sizes_that_are_not_4_times_a_power_of_2(size):
    with pytest.raises(ValueError, match="image_size"):
        FaceDecoder(image_size=size)


def test_training_reduces_l1_to_a_target_image():
    decoder = tiny()
    embeddings = torch.randn(4, 16)
    target = torch.tensor([0.8, 0.5, 0.2]).view(1, 3, 1, 1).expand(4, 3, 32, 32)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        optimizer.zero_grad()
        loss = (decoder(embeddings) - target).abs().mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_is_deterministic_under_a_seed():
    embedding = torch.randn(2, 16)
    assert torch.equal(tiny(seed=3)(embedding), tiny(seed=3)(embedding))


@pytest.mark.parametrize("convs", [1, 2])
def test_each_block_has_its_convolutions_each_with_batch_norm(convs):
    decoder = FaceDecoder(embedding_dim=16, image_size=32, width=4, convs_per_block=convs)
    for block in decoder.blocks:
        kinds = [type(layer) for layer in block]
        assert kinds.count(torch.nn.Conv2d) == convs == kinds.count(torch.nn.BatchNorm2d)


def test_starts_without_a_checkerboard_every_subpixel_alike():
    images = tiny().eval()(torch.randn(2, 16))
    corners = [images[..., i::2, j::2] for i in (0, 1) for j in (0, 1)]
    assert all(torch.equal(corners[0], other) for other in corners[1:])


def test_patch_discriminator_scores_one_patch_per_8x8_at_depth_3():
    scores = PatchDiscriminator(width=4, depth=3)(torch.rand(2, 3, 64, 64))
    assert scores.shape == (2, 1, 8, 8)
