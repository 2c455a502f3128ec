"""`speech2face predict`: a voice recording -> a face picture (and the face's attributes)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from speech2face.avatar.model import KINDS, Avatar, Prediction
from speech2face.avatar.voice_input import VoiceLimits, voice_from_file
from speech2face.errors import InputError
from speech2face.files import atomic_path

# The CLI crops a long recording rather than refusing it.
LIMITS = VoiceLimits(max_seconds=math.inf)


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


def predict_face(audio: Path, models: Path) -> Prediction:
    """The face the models draw for the voice in `audio`, and the classifier's reading of it."""
    avatar = Avatar(models)
    return avatar.face(voice_from_file(audio, avatar.sample_rate, LIMITS))


def predict(audio: Path, out: Path, models: Path, run_id: str | None, size: int) -> Prediction:
    """Write the face for `audio` to `out` (PNG, size x size), atomically."""
    with tempfile.TemporaryDirectory(prefix="s2f-models-") as folder:
        source = run_models(run_id, Path(folder)) if run_id else models
        prediction = predict_face(audio, source)
    with atomic_path(out) as temporary:
        temporary.write_bytes(prediction.png(size))
    return prediction
