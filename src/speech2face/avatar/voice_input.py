"""A caller's recording, checked before any model sees it: decodable, every sample a number,
long enough, not silent, not too long. Each refusal is a `VoiceRejected` naming its reason in
one line."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from speech2face.audio import AudioError, load_mono
from speech2face.errors import InputError

SILENCE_RMS = 1e-3  # below this (full scale 1.0) a recording holds no usable voice
UPLOAD_NAME = "upload"  # the only name an upload is ever written under


class VoiceRejected(InputError):
    """A recording no face can be drawn from; `reason`: undecodable, non_finite, too_short,
    too_long or silent."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class VoiceLimits:
    min_seconds: float = 1.0
    max_seconds: float = 60.0


def checked_voice(samples: np.ndarray, rate: int, source: str, limits: VoiceLimits) -> np.ndarray:
    """`samples` when they can carry a voice, else VoiceRejected saying why."""
    seconds = len(samples) / rate
    if seconds < limits.min_seconds:
        raise VoiceRejected(
            "too_short", f"{source}: {seconds:.2f} s of audio, at least {limits.min_seconds:g} s"
        )
    if seconds > limits.max_seconds:
        raise VoiceRejected(
            "too_long", f"{source}: {seconds:.1f} s of audio, at most {limits.max_seconds:g} s"
        )
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    if rms < SILENCE_RMS:
        raise VoiceRejected("silent", f"{source}: the audio is silent (RMS {rms:.1e})")
    return samples


def voice_from_file(path: Path, rate: int, limits: VoiceLimits) -> np.ndarray:
    """The file's audio, mono at `rate`, checked (any format `audio.load_mono` reads)."""
    try:
        samples = load_mono(path, rate)
    except AudioError as error:
        reason = error.reason if error.reason in ("too_short", "non_finite") else "undecodable"
        raise VoiceRejected(reason, str(error)) from error
    return checked_voice(samples, rate, str(path), limits)


def voice_from_bytes(data: bytes, rate: int, limits: VoiceLimits, source: str) -> np.ndarray:
    """Like `voice_from_file` for a file's bytes; `source` names it in messages.

    The bytes go to a private temporary folder under a fixed name, never the caller's."""
    if not data:
        raise VoiceRejected("undecodable", f"{source}: the file is empty (0 bytes)")
    with tempfile.TemporaryDirectory(prefix="s2f-voice-") as folder:
        path = Path(folder) / UPLOAD_NAME
        path.write_bytes(data)
        try:
            return voice_from_file(path, rate, limits)
        except VoiceRejected as error:
            message = str(error).replace(str(path), source)
            raise VoiceRejected(error.reason, message) from None
