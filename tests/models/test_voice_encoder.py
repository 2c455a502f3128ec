"""The voice encoder on both front ends: shapes, gradients, training, determinism."""

import pytest
import torch
from torch import nn

from speech2face.features.frontends import make_frontend
from speech2face.models.face_decoder import FaceDecoder
from speech2face.models.losses import speech2face_loss
from speech2face.models.voice_encoder import VoiceEncoder


def tiny(frontend: str = "logmel", seed: int = 0) -> VoiceEncoder:
    torch.manual_seed(seed)
    module, channels, bins = make_frontend(frontend, 16000, n_mels=32)
    return VoiceEncoder(module, channels, bins, embedding_dim=16, width=0.125)


def waveforms(batch: int = 2, seconds: float = 0.5, seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(batch, int(16000 * seconds), generator=generator)


@pytest.mark.parametrize("frontend", ["logmel", "paper"])
def test_embeds_waveforms_through_either_front_end(frontend):
    embedding = tiny(frontend)(waveforms())
    assert embedding.shape == (2, 16)
    assert embedding.dtype == torch.float32
    assert torch.isfinite(embedding).all()


def test_gradients_reach_the_first_conv():
    encoder = tiny()
    encoder(waveforms()).pow(2).sum().backward()
    first = encoder.convs[0][0]
    assert isinstance(first, nn.Conv2d)
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0


def test_training_with_the_paper_loss_approaches_a_target_embedding():
    encoder = tiny()
    torch.manual_seed(2)
    decoder = FaceDecoder(embedding_dim=16, image_size=8, width=4).requires_grad_(False)
    head = nn.Linear(16, 3).requires_grad_(False)
    audio, target = waveforms(batch=4), torch.randn(4, 16).relu()

    def loss(predicted):
        return speech2face_loss(predicted, target, decoder.first_layer, head, 0.025, 200, 2)

    floor = loss(target)["loss"].item()  # the target entropy, weighted by lambda2
    optimizer = torch.optim.Adam(encoder.parameters(), lr=3e-3)
    excess = []
    for _ in range(8):
        optimizer.zero_grad()
        total = loss(encoder(audio))["loss"]
        total.backward()
        optimizer.step()
        excess.append(total.item() - floor)
    assert excess[-1] < 0.5 * excess[0]


def test_is_deterministic_under_a_seed():
    audio = waveforms()
    assert torch.equal(tiny(seed=3)(audio), tiny(seed=3)(audio))
