"""The Lightning Trainer every training stage uses: GPU when present, tracked in MLflow."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import MLFlowLogger

from speech2face.params import TrainerParams
from speech2face.tracking import EXPERIMENT, tracking_uri


def precision() -> str:
    """bf16 mixed precision on a GPU that supports it, full precision elsewhere."""
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def build_trainer(
    params: TrainerParams,
    run_id: str | None,
    checkpoint_dir: Path,
    monitor: str,
    mode: str,
    callbacks: tuple = (),
    **overrides,
) -> tuple[pl.Trainer, ModelCheckpoint]:
    """A deterministic Trainer that keeps the best checkpoint on `monitor` and stops early.

    With `run_id`, metrics go to that MLflow run; `overrides` reach the Trainer as they are
    (tests pass e.g. `fast_dev_run`).
    """
    best = ModelCheckpoint(
        dirpath=checkpoint_dir,
        filename="best",
        monitor=monitor,
        mode=mode,
        save_top_k=1,
        save_weights_only=True,
    )
    stop = EarlyStopping(monitor=monitor, mode=mode, patience=params.patience)
    logger = (
        MLFlowLogger(
            experiment_name=EXPERIMENT, tracking_uri=tracking_uri(), run_id=run_id, log_model=False
        )
        if run_id
        else False
    )
    trainer = pl.Trainer(
        max_epochs=params.max_epochs,
        accelerator=params.accelerator,
        devices=params.devices,
        strategy=params.strategy,
        num_nodes=params.num_nodes,
        precision=precision(),
        deterministic=True,
        logger=logger,
        callbacks=[best, stop, *callbacks],
        log_every_n_steps=10,
        enable_model_summary=False,
        **overrides,
    )
    return trainer, best
