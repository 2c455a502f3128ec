"""Everything the service can be told, in one place (the CLI's options fill it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from speech2face import paths
from speech2face.avatar.voice_input import VoiceLimits

DEFAULT_MODEL = "models:/speech2face@champion"


@dataclass(frozen=True)
class Settings:
    # An MLflow model URI (models:/name@alias, models:/name/3, runs:/id/avatar) or a folder:
    # a models folder of the pipeline (voice_encoder/, face_decoder/, ...) or a saved model.
    model: str = DEFAULT_MODEL
    max_upload_bytes: int = 10 * 1024 * 1024  # Content-Length above this: 413, body unread
    min_seconds: float = 1.0  # decoded audio shorter than this: 422
    max_seconds: float = 30.0  # decoded audio longer than this: 413
    face_size: int = 256  # side of the returned PNG, px
    inference_slots: int = 1  # faces drawn at once (each uses the CPU's threads)
    max_waiting: int = 16  # requests queued for a slot beyond which the service says 503
    retry_after_seconds: int = 2  # told to a client turned away with 503
    reports: Path = paths.REPORTS  # evaluation.md and metrics.json, shown and linked by the page

    @property
    def limits(self) -> VoiceLimits:
        return VoiceLimits(self.min_seconds, self.max_seconds)
