"""On a CUDA GPU: bf16 mixed precision is chosen and the voice encoder trains on the device,
its spectrogram included. Skipped without a GPU."""

import pytest
import torch

from speech2face.training.trainer import precision
from tests.models.test_voice_encoder import tiny, waveforms

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def test_bf16_mixed_precision_on_a_gpu_that_supports_it():
    expected = "bf16-mixed" if torch.cuda.is_bf16_supported() else "32-true"
    assert precision() == expected


@pytest.mark.parametrize("frontend", ["logmel", "paper"])
def test_voice_encoder_steps_on_the_gpu_under_autocast(frontend):
    encoder = tiny(frontend).cuda()
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    batch = waveforms(batch=4).cuda()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        embedding = encoder(batch)
    assert embedding.device.type == "cuda"
    embedding.float().pow(2).mean().backward()
    optimizer.step()
    assert all(torch.isfinite(p).all() for p in encoder.parameters())
