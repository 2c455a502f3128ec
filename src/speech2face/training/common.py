"""What the training stages share: fitting to the best checkpoint, metrics, embeddings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.files import write_json
from speech2face.training.data import ArrayDataModule
from speech2face.training.trainer import build_trainer

EMBEDDINGS = "embeddings.npy"
LOGITS = "logits.npy"


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


def fit_best(
    module: pl.LightningModule,
    data: ArrayDataModule,
    params,
    run_id: str | None,
    monitor: str,
    mode: str,
    **overrides,
) -> pl.Trainer:
    """Train, then load the best validation checkpoint's weights back into `module` (in the
    global-zero process, the one that writes the stage's outputs)."""
    with tempfile.TemporaryDirectory(prefix="s2f-ckpt-") as folder:
        trainer, best = build_trainer(
            params.trainer, run_id, Path(folder), monitor, mode, **overrides
        )
        trainer.fit(module, data)
        # Under DDP the checkpoint is in the first process's folder, on the first node.
        if trainer.is_global_zero and best.best_model_path:
            state = torch.load(best.best_model_path, map_location="cpu", weights_only=True)
            module.load_state_dict(state["state_dict"])
    return trainer


def finish(trainer: pl.Trainer, run_id: str | None, metrics: dict, metrics_path: Path) -> None:
    """Write the stage's metrics file, and log the metrics to its MLflow run."""
    metrics = {**metrics, "epochs": trainer.current_epoch}
    write_json(metrics_path, metrics)
    if run_id:
        import mlflow

        mlflow.log_metrics({f"final/{k}": float(v) for k, v in metrics.items()})


def embeddings(folder: Path, split: str) -> np.ndarray:
    return np.load(folder / split / EMBEDDINGS, mmap_mode="r")


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
