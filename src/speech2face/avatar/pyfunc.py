"""The avatar as one MLflow pyfunc model, logged from code (`pyfunc_entry.py`): a table with a
binary `audio` column (each row a recording's file bytes, any common format) -> the face as
PNG (base64), each attribute's reading and its probability, and the age.

The model uses the installed `speech2face` package (no code copy inside the model), so a
serving process imports the same code the pipeline ran.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import soundfile

from speech2face.avatar.model import KINDS, Avatar, Prediction
from speech2face.avatar.voice_input import VoiceLimits, voice_from_bytes

ARTIFACT = "models"  # the artifact holding the three networks' folders
FACE_SIZE = 256  # default side of the PNG, px (param `size`)
LIMITS = VoiceLimits(max_seconds=math.inf)  # a caller's own front end sets its own


class AvatarModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        self.avatar = Avatar(Path(context.artifacts[ARTIFACT]))

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):
        size = int((params or {}).get("size", FACE_SIZE))
        rows = []
        for number, data in enumerate(model_input["audio"]):
            voice = voice_from_bytes(
                _bytes(data), self.avatar.sample_rate, LIMITS, f"audio row {number}"
            )
            rows.append(output_row(self.avatar.face(voice), size))
        return pd.DataFrame(rows)


def _bytes(data) -> bytes:
    """A cell of the `audio` column: bytes in process; base64 text from some JSON clients."""
    return base64.b64decode(data) if isinstance(data, str) else bytes(data)


def output_row(prediction: Prediction, size: int) -> dict:
    row: dict = {"image_png_b64": base64.b64encode(prediction.png(size)).decode("ascii")}
    for name, (label, probability) in prediction.attributes.items():
        row[name] = label
        row[f"{name}_probability"] = probability
    row["age"] = prediction.age
    return row


def example_voice(sample_rate: int, seconds: float = 2.0) -> bytes:
    """A WAV of a sustained vowel-like tone (harmonics of 150 Hz): the model's input example
    and the service's warm-up call."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 16))
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.2 * tone / np.abs(tone).max(), sample_rate, "PCM_16", format="WAV")
    return buffer.getvalue()


def log_avatar_model(models: Path, registered_name: str, staging: Path):
    """Log the avatar built from `models` to the active run and register it under
    `registered_name`; returns MLflow's ModelInfo. `staging` is a scratch folder."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    avatar = Avatar(models)
    example = pd.DataFrame({"audio": [example_voice(avatar.sample_rate)]})
    outputs = [ColSpec("string", "image_png_b64")]
    for name in avatar.classifier.classes:
        outputs += [ColSpec("string", name), ColSpec("double", f"{name}_probability")]
    signature = ModelSignature(
        inputs=Schema([ColSpec("binary", "audio")]),
        outputs=Schema([*outputs, ColSpec("double", "age")]),
        params=ParamSchema([ParamSpec("size", "long", FACE_SIZE)]),
    )
    bundle = staging / ARTIFACT
    for kind in KINDS:
        (bundle / kind).mkdir(parents=True)
        (bundle / kind / "model.pt").write_bytes((models / kind / "model.pt").read_bytes())
    return mlflow.pyfunc.log_model(
        name="avatar",
        python_model=str(Path(__file__).with_name("pyfunc_entry.py")),
        artifacts={ARTIFACT: str(bundle)},
        signature=signature,
        input_example=example,
        registered_model_name=registered_name,
        pip_requirements=[f"speech2face=={_version()}"],
    )


def _version() -> str:
    from importlib.metadata import version

    return version("speech2face")
