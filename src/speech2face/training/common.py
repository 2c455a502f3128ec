"""What the training stages share: fitting to the best checkpoint, metrics, embeddings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import lightning.pytorch as pl
import torch

from speech2face.files import write_json
from speech2face.training.data import ArrayDataModule
from speech2face.training.trainer import build_trainer


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
