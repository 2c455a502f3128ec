"""Reading audio the way the pipeline feeds it to models: mono, one rate, one fixed length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from speech2face.errors import InputError

INT16_SCALE = 32767.0


def load_mono(path: Path, sample_rate: int) -> np.ndarray:
    """The file's audio as float32 mono at `sample_rate` (channels averaged, resampled)."""
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises several types for missing or corrupt files
        raise InputError(f"{path}: cannot read audio: {error}") from error
    if len(samples) == 0:
        raise InputError(f"{path}: the audio is empty")
    mono = samples.mean(axis=1)
    if rate != sample_rate:
        import librosa

        mono = librosa.resample(mono, orig_sr=rate, target_sr=sample_rate)
    return mono.astype(np.float32)


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Repeat a short clip until it is `length` long (as the paper does); crop a long one."""
    repeats = -(-length // len(samples))
    return np.tile(samples, repeats)[:length]


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * INT16_SCALE), -32768, 32767).astype(np.int16)
