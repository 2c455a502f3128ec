"""The three networks that turn a voice into a face and its readings, loaded once."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from speech2face.audio import fit_length
from speech2face.errors import InputError
from speech2face.files import sha256
from speech2face.paths import ROOT_VARIABLE
from speech2face.training import networks

KINDS = ("voice_encoder", "face_decoder", "attribute_classifier")


@dataclass(frozen=True)
class Prediction:
    face: np.ndarray  # uint8 (H, W, 3)
    attributes: dict[str, tuple[str, float]]  # attribute -> (most likely class, probability)
    age: float

    def png(self, size: int | None = None) -> bytes:
        """The face as PNG bytes, `size` pixels square (bicubic) or as drawn."""
        image = Image.fromarray(self.face)
        if size and size != image.width:
            image = image.resize((size, size), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    def png_data_url(self, size: int | None = None) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png(size)).decode("ascii")


def check_models(models: Path) -> None:
    """Say where the models were looked for, and how to point at others, when any is missing."""
    missing = [kind for kind in KINDS if not (models / kind / networks.MODEL_FILE).is_file()]
    if missing:
        raise InputError(
            f"no trained {', '.join(missing)} in {models} (looked for "
            f"<kind>/{networks.MODEL_FILE}): run `dvc repro` in the project, run this command "
            f"inside it (or set {ROOT_VARIABLE}), or name another folder (predict: --models DIR "
            "or --run-id ID; serve: --model DIR)"
        )


def models_sha256(models: Path) -> dict[str, str]:
    """Each network's SHA-256 and, under "models", one over the three: the models' identity."""
    networks_sha256 = {kind: sha256(models / kind / networks.MODEL_FILE) for kind in KINDS}
    joined = json.dumps(networks_sha256, sort_keys=True).encode()
    return {**networks_sha256, "models": hashlib.sha256(joined).hexdigest()}


class Avatar:
    """Voice encoder, face decoder and attribute classifier from a models folder, on the CPU."""

    def __init__(self, models: Path):
        models = Path(models)
        check_models(models)
        self.voice = networks.load(models / "voice_encoder")
        self.decoder = networks.load(models / "face_decoder")
        self.classifier = networks.load(models / "attribute_classifier")
        self.identity = models_sha256(models)["models"]
        inputs = networks.meta(models / "voice_encoder")
        self.sample_rate: int = int(inputs["sample_rate"])
        self.seconds: float = float(inputs["seconds"])

    @torch.no_grad()
    def face(self, samples: np.ndarray) -> Prediction:
        """The face for mono `samples` at `sample_rate` (repeated or cropped to the models'
        input length), and the classifier's reading of it."""
        waveform = fit_length(samples, int(round(self.seconds * self.sample_rate)))
        face = self.decoder(self.voice(torch.from_numpy(np.ascontiguousarray(waveform))[None]))
        logits, values = self.classifier(face)
        attributes = {}
        for name, scores in logits.items():
            probabilities = scores.softmax(dim=1)[0]
            best = int(probabilities.argmax())
            attributes[name] = (self.classifier.classes[name][best], float(probabilities[best]))
        picture = (face[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()
        return Prediction(picture, attributes, float(values["age"][0]))
