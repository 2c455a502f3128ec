"""Saving and loading the trained networks: a state dict with the config that rebuilds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.audio import INT16_SCALE
from speech2face.errors import InputError
from speech2face.features.frontends import make_frontend
from speech2face.files import atomic_path, sha256
from speech2face.models.attribute_classifier import AttributeClassifier
from speech2face.models.face_decoder import FaceDecoder
from speech2face.models.face_encoder import FaceEncoder
from speech2face.models.voice_encoder import VoiceEncoder

MODEL_FILE = "model.pt"


def voice_encoder(frontend: str, sample_rate: int, n_mels: int, **config) -> VoiceEncoder:
    module, channels, bins = make_frontend(frontend, sample_rate, n_mels)
    return VoiceEncoder(module, channels, bins, **config)


BUILDERS = {
    "face_encoder": FaceEncoder,
    "face_decoder": FaceDecoder,
    "voice_encoder": voice_encoder,
    "attribute_classifier": AttributeClassifier,
}


def build(kind: str, config: dict) -> nn.Module:
    return BUILDERS[kind](**config)


def save(
    net: nn.Module,
    kind: str,
    config: dict,
    folder: Path,
    run_id: str | None,
    meta: dict | None = None,
) -> None:
    """Write `model.pt` (kind, config, weights, meta) to `folder`: the same bytes for the same
    training, so DVC's lock reproduces.

    `meta` holds what using the network needs beyond its weights (e.g. the input length).
    With a `run_id`, the folder is also logged to that (active) MLflow run, under
    `models/<kind>`, so `speech2face predict --run-id` can rebuild the network from it, and the
    run is tagged with the file's hash, which traces the model back to it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    saved = {"kind": kind, "config": config, "meta": meta or {}, "state_dict": net.state_dict()}
    with atomic_path(folder / MODEL_FILE) as temporary:
        torch.save(saved, temporary)
    if run_id:
        import mlflow

        from speech2face.tracking import MODEL_HASH_TAG

        mlflow.log_artifacts(str(folder), artifact_path=f"models/{kind}")
        mlflow.set_tag(MODEL_HASH_TAG, sha256(folder / MODEL_FILE))


def _saved(folder: Path, device: str = "cpu") -> dict:
    try:
        return torch.load(folder / MODEL_FILE, map_location=device, weights_only=True)
    except FileNotFoundError as error:
        raise InputError(
            f"{folder / MODEL_FILE}: no trained model there; run `dvc repro` in the project "
            "that holds it, or point the command at another models folder"
        ) from error


def load(folder: Path, device: str = "cpu") -> nn.Module:
    """The network saved in `folder`, in eval mode."""
    saved = _saved(folder, device)
    net = build(saved["kind"], saved["config"])
    net.load_state_dict(saved["state_dict"])
    return net.eval().to(device)


def config(folder: Path) -> dict:
    """The constructor arguments of the network saved in `folder`."""
    return _saved(folder)["config"]


def meta(folder: Path) -> dict:
    """What using the network saved in `folder` needs beyond its weights."""
    return _saved(folder).get("meta", {})


@torch.no_grad()
def batched(function, array: np.ndarray, batch_size: int = 128):
    """Apply `function` over `array` in batches; concatenate its outputs.

    `function` maps a tensor to a tensor or a tuple of tensors (-> a list of arrays), or to a
    dict of tensors or arrays (-> a dict of arrays).
    """
    outputs = []
    for start in range(0, len(array), batch_size):
        result = function(torch.from_numpy(np.array(array[start : start + batch_size])))
        if not isinstance(result, dict):
            result = dict(enumerate(result if isinstance(result, tuple) else (result,)))
        outputs.append({k: _numpy(v) for k, v in result.items()})
    joined = {k: np.concatenate([part[k] for part in outputs]) for k in outputs[0]}
    return joined if not all(isinstance(k, int) for k in joined) else list(joined.values())


def voice_embeddings(voice: nn.Module, waveforms: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """int16-scale waveforms (clips, samples) -> the voice encoder's face embeddings."""
    run = lambda w: voice(w.float() / INT16_SCALE)  # noqa: E731
    return batched(run, waveforms, batch_size)[0]


def _numpy(value) -> np.ndarray:
    return value.float().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def log_model(net: nn.Module, name: str, example: torch.Tensor) -> None:
    """Log `net` to the active MLflow run with an input example (no dependency inference)."""
    import mlflow

    mlflow.pytorch.log_model(
        net.cpu().eval(),
        name=name,
        input_example=example.numpy(),
        pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
    )


def face_images(faces: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, size, size) in [0, 1], resized on the device."""
    images = faces.permute(0, 3, 1, 2).float() / 255.0
    if images.shape[-1] != size:
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
    return images


def frozen(net: nn.Module) -> nn.Module:
    """`net` in eval mode with no trainable parameters (a teacher or a fixed decoder)."""
    net.eval()
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    return net
