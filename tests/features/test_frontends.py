"""The paper's spectrogram module against a librosa reference."""

import librosa
import numpy as np
import pytest
import torch

from speech2face.features.frontends import LogMel, PaperSpectrogram, make_frontend

# float32 STFTs of different libraries agree to about 1e-6 of the largest bin; after the
# ^0.3 compression, relative error near zero grows, so compare with an absolute tolerance
# scaled to the largest compressed value.
TOLERANCE = 1e-3


def reference(samples: np.ndarray) -> np.ndarray:
    spectrum = librosa.stft(
        samples, n_fft=512, hop_length=160, win_length=400, window="hann", center=False
    )
    parts = np.stack([spectrum.real, spectrum.imag])
    return np.sign(parts) * np.abs(parts) ** 0.3


@pytest.mark.parametrize("seconds", [0.5, 6.0])
def test_paper_spectrogram_matches_librosa(seconds):
    rng = np.random.default_rng(0)
    t = np.arange(int(16000 * seconds)) / 16000
    samples = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    samples = samples.astype(np.float32)
    ours = PaperSpectrogram()(torch.from_numpy(samples)[None])[0].numpy()
    expected = reference(samples)
    assert ours.shape == expected.shape
    assert np.abs(ours - expected).max() <= TOLERANCE * np.abs(expected).max()


def test_paper_spectrogram_shape_for_six_seconds():
    frames = PaperSpectrogram()(torch.zeros(3, 96000))
    assert frames.shape == (3, 2, 257, 597)


def test_log_mel_shape():
    frames = LogMel(16000, n_mels=40)(torch.randn(2, 16000))
    assert frames.shape == (2, 1, 40, 97)  # (16000 - 512) // 160 + 1 frames, as the paper's
    assert frames.dtype == torch.float32


def test_log_mel_is_finite_on_silence():
    frames = LogMel()(torch.zeros(1, 8000))
    assert torch.isfinite(frames).all()
    assert torch.allclose(frames, torch.full_like(frames, np.log(1e-6)))


@pytest.mark.parametrize("name", ["paper", "logmel"])
def test_make_frontend_declares_its_output(name):
    module, channels, bins = make_frontend(name, 16000, n_mels=32)
    assert module(torch.randn(1, 16000)).shape[1:3] == (channels, bins)


def test_make_frontend_names_the_allowed_values():
    with pytest.raises(ValueError, match="paper, logmel"):
        make_frontend("mfcc", 16000)
