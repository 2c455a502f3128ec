"""`speech2face predict`: a voice recording -> a face picture (and the face's attributes)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from speech2face.audio import fit_length, load_mono
from speech2face.errors import InputError
from speech2face.files import atomic_path
from speech2face.paths import ROOT_VARIABLE
from speech2face.training import networks

KINDS = ("voice_encoder", "face_decoder", "attribute_classifier")
SILENCE_RMS = 1e-3  # below this (full scale 1.0) a recording holds no usable voice


@dataclass(frozen=True)
class Prediction:
    face: np.ndarray  # uint8 (H, W, 3)
    attributes: dict[str, tuple[str, float]]  # attribute -> (most likely class, probability)
    age: float


def read_voice(path: Path, sample_rate: int, seconds: float) -> np.ndarray:
    """The recording (any format audio.load_mono reads) as mono at `sample_rate`, repeated or
    cropped to `seconds`."""
    samples = load_mono(path, sample_rate)
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    if rms < SILENCE_RMS:
        raise InputError(f"{path}: the audio is silent (RMS {rms:.1e} < {SILENCE_RMS:.0e})")
    return fit_length(samples, int(round(seconds * sample_rate)))


def run_models(run_id: str, folder: Path) -> Path:
    """Download the models an MLflow run used into `folder` (a sub-folder per model).

    A pipeline run that was evaluated names its models' runs in tags; a stage run carries
    its own model under `models/<kind>`.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    from speech2face.tracking import MODELS_TAG, client, latest_evaluated_run, tracking_uri

    mlflow_client = client()
    if run_id == "latest":
        run_id = latest_evaluated_run()
        if run_id is None:
            raise InputError(f"no evaluated pipeline run in {tracking_uri()}: run `dvc repro`")
    try:
        tags = mlflow_client.get_run(run_id).data.tags
    except mlflow.exceptions.MlflowException as error:
        raise InputError(f"MLflow run {run_id}: {error.message}") from error
    for kind in KINDS:
        source = tags.get(MODELS_TAG + kind, run_id)
        try:
            mlflow_client.download_artifacts(source, f"models/{kind}", str(folder))
        except (mlflow.exceptions.MlflowException, OSError) as error:
            raise InputError(
                f"MLflow run {run_id}: no {kind} model (looked in run {source}); give an "
                "evaluated pipeline run"
            ) from error
    return folder


def check_models(models: Path) -> None:
    """Say where the models were looked for, and how to point at others, when any is missing."""
    missing = [kind for kind in KINDS if not (models / kind / networks.MODEL_FILE).is_file()]
    if missing:
        raise InputError(
            f"no trained {', '.join(missing)} in {models} (looked for "
            f"<kind>/{networks.MODEL_FILE}): run `dvc repro` in the project, run this command "
            f"inside it (or set {ROOT_VARIABLE}), or give --models DIR or --run-id ID"
        )


@torch.no_grad()
def predict_face(audio: Path, models: Path) -> Prediction:
    """The face the models draw for the voice in `audio`, and the classifier's reading of it."""
    check_models(models)
    voice = networks.load(models / "voice_encoder")
    decoder = networks.load(models / "face_decoder")
    classifier = networks.load(models / "attribute_classifier")
    inputs = networks.meta(models / "voice_encoder")
    waveform = read_voice(audio, inputs["sample_rate"], inputs["seconds"])
    face = decoder(voice(torch.from_numpy(waveform)[None]))
    logits, values = classifier(face)
    attributes = {}
    for name, scores in logits.items():
        probabilities = scores.softmax(dim=1)[0]
        best = int(probabilities.argmax())
        attributes[name] = (classifier.classes[name][best], float(probabilities[best]))
    picture = (face[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()
    return Prediction(picture, attributes, float(values["age"][0]))


def predict(audio: Path, out: Path, models: Path, run_id: str | None, size: int) -> Prediction:
    """Write the face for `audio` to `out` (PNG, size x size), atomically."""
    with tempfile.TemporaryDirectory(prefix="s2f-models-") as folder:
        source = run_models(run_id, Path(folder)) if run_id else models
        prediction = predict_face(audio, source)
    image = Image.fromarray(prediction.face).resize((size, size), Image.Resampling.BICUBIC)
    with atomic_path(out) as temporary:
        image.save(temporary, format="PNG")
    return prediction
