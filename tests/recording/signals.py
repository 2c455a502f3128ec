"""Test signals: a harmonic tone (a voice's F0 and harmonics) and white noise."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
F0 = 150.0


def harmonic(seconds: float = 1.0, f0: float = F0, level: float = 0.1) -> np.ndarray:
    """A tone of `f0` and its harmonics up to 3 kHz (1/k amplitudes), slowly modulated."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    partials = sum(np.sin(2 * np.pi * k * f0 * t + k) / k for k in range(1, int(3000 // f0) + 1))
    envelope = 1 + 0.3 * np.sin(2 * np.pi * 2 * t)
    tone = partials * envelope
    return (level * tone / np.abs(tone).max()).astype(np.float32)


def white(clips: int, seconds: float, seed: int = 0, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal((clips, int(seconds * SAMPLE_RATE)))).astype(np.float32)
