"""The GE2E front end: Resemblyzer's shipped encoder, reproduced as the project's own module."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from speech2face.errors import InputError
from speech2face.features import ge2e as ge2e_module
from speech2face.features.ge2e import EMBEDDING_SIZE, GE2E
from tests.audio_files import voice


@pytest.fixture(scope="module")
def ge2e() -> GE2E:
    return GE2E().eval()


def noisy_voice(seconds: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 0.01, round(seconds * 16000))
    return (voice(seconds, 16000) + noise).astype(np.float32)


@pytest.mark.parametrize("seconds", [0.4, 1.6, 2.9, 6.3])
def test_an_utterance_embedding_equals_resemblyzer_s(ge2e, seconds):
    from resemblyzer import VoiceEncoder

    wav = noisy_voice(seconds, seed=round(seconds * 10))
    expected = VoiceEncoder("cpu", verbose=False).embed_utterance(wav)
    with torch.no_grad():
        embedding = ge2e(torch.from_numpy(wav)[None])[0].numpy()
    assert embedding.shape == (EMBEDDING_SIZE,)
    np.testing.assert_allclose(embedding, expected, atol=1e-5)


def test_a_batch_embeds_each_waveform_as_alone(ge2e):
    batch = torch.from_numpy(np.stack([noisy_voice(3.0, seed) for seed in (1, 2)]))
    with torch.no_grad():
        together = ge2e(batch)
        alone = torch.stack([ge2e(row[None])[0] for row in batch])
    torch.testing.assert_close(together, alone)
    assert not torch.allclose(together[0], together[1])


def test_without_resemblyzer_it_is_a_one_line_error(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="needs the resemblyzer package"):
        ge2e_module.weights_path()
