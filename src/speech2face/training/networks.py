"""Saving and loading the trained networks: a state dict with the config that rebuilds it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from speech2face.features.frontends import make_frontend
from speech2face.files import atomic_path, write_json
from speech2face.models.face_decoder import FaceDecoder
from speech2face.models.face_encoder import FaceEncoder
from speech2face.models.voice_encoder import VoiceEncoder

MODEL_FILE = "model.pt"
RUN_FILE = "run.json"


def voice_encoder(frontend: str, sample_rate: int, n_mels: int, **config) -> VoiceEncoder:
    module, channels, bins = make_frontend(frontend, sample_rate, n_mels)
    return VoiceEncoder(module, channels, bins, **config)


BUILDERS = {
    "face_encoder": FaceEncoder,
    "face_decoder": FaceDecoder,
    "voice_encoder": voice_encoder,
}


def build(kind: str, config: dict) -> nn.Module:
    return BUILDERS[kind](**config)


def save(net: nn.Module, kind: str, config: dict, folder: Path, runs: dict) -> None:
    """Write `model.pt` (kind, config, weights) and `run.json` (MLflow run ids) to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / MODEL_FILE) as temporary:
        torch.save({"kind": kind, "config": config, "state_dict": net.state_dict()}, temporary)
    write_json(folder / RUN_FILE, runs)


def load(folder: Path, device: str = "cpu") -> nn.Module:
    """The network saved in `folder`, in eval mode."""
    saved = torch.load(folder / MODEL_FILE, map_location=device, weights_only=True)
    net = build(saved["kind"], saved["config"])
    net.load_state_dict(saved["state_dict"])
    return net.eval().to(device)


def config(folder: Path) -> dict:
    """The constructor arguments of the network saved in `folder`."""
    return torch.load(folder / MODEL_FILE, map_location="cpu", weights_only=True)["config"]


def runs(folder: Path) -> dict:
    return json.loads((folder / RUN_FILE).read_text())


@torch.no_grad()
def batched(function, array: np.ndarray, batch_size: int = 128) -> list[np.ndarray]:
    """Apply `function` (tensor -> tensor or tuple of tensors) over `array` in batches."""
    outputs: list[list[np.ndarray]] = []
    for start in range(0, len(array), batch_size):
        result = function(torch.from_numpy(np.array(array[start : start + batch_size])))
        parts = result if isinstance(result, tuple) else (result,)
        outputs.append([p.float().cpu().numpy() for p in parts])
    return [np.concatenate(column) for column in zip(*outputs)]


def log_model(net: nn.Module, name: str, example: torch.Tensor) -> None:
    """Log `net` to the active MLflow run with an input example (no dependency inference)."""
    import mlflow

    mlflow.pytorch.log_model(
        net.cpu().eval(),
        name=name,
        input_example=example.numpy(),
        pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
    )
