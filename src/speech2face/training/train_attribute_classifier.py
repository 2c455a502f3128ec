"""Stage `train_attribute_classifier`: demographics and face geometry from faces.

The role Face++ plays in the paper: it judges the faces decoded from voices, so it must be
accurate on the true test faces first. It learns from train speakers only: their true faces
and, with `decoded_faces`, the faces the decoder draws from those faces' embeddings, so that
it reads a reconstruction (smooth, evenly lit, "average-looking") like a photograph.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from speech2face.features.arrays import embeddings, load_split
from speech2face.manifest import GEOMETRY_PREFIX, SPEAKERS_NAME, UNKNOWN
from speech2face.params import AttributeClassifierParams
from speech2face.tracking import stage_run
from speech2face.training import networks
from speech2face.training.common import finish, fit_best
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.face_augment import jitter
from speech2face.training.labels import attribute_classes, label_table, labelled_cross_entropy
from speech2face.training.networks import face_images


def labelled_clips(features: Path, speakers_csv: Path) -> dict[str, pd.DataFrame]:
    """Each split's clips (array order) with the speakers' face geometry when the corpus has
    it."""
    geometry = None
    if speakers_csv.exists():
        speakers = pd.read_csv(speakers_csv)
        columns = [c for c in speakers.columns if c.startswith(GEOMETRY_PREFIX)]
        geometry = speakers[["speaker_id", *columns]]
    clips = {}
    for split in ("train", "val", "test"):
        _, rows = load_split(features, split)
        clips[split] = (
            rows if geometry is None else rows.merge(geometry, on="speaker_id", how="left")
        )
    return clips


def number_columns(clips: pd.DataFrame) -> list[str]:
    return ["age", *[c for c in clips.columns if c.startswith(GEOMETRY_PREFIX)]]


class AttributeModule(pl.LightningModule):
    """Cross-entropy per attribute plus the squared error of the standardised numbers."""

    def __init__(
        self,
        net: nn.Module,
        image_size: int,
        lr: float,
        weight_decay: float,
        number_weight: float,
        max_shift: float = 0.0,
        lr_decay: float = 1.0,
    ):
        super().__init__()
        self.net = net
        self.save_hyperparameters(ignore=["net"])
        self.accuracy = nn.ModuleDict(
            {
                f"{split}_{name}": MulticlassAccuracy(len(names), ignore_index=-1)
                for split in ("train", "val")
                for name, names in net.classes.items()
            }
        )

    def model_step(self, batch: dict, split: str) -> torch.Tensor:
        images = face_images(batch["face"], self.hparams.image_size)
        if split == "train" and self.hparams.max_shift > 0:
            images = jitter(images, self.hparams.max_shift)
        logits, values = self.net(images)
        loss = 0.0
        for name, scores in logits.items():
            loss = loss + labelled_cross_entropy(scores, batch[name])
            accuracy = self.accuracy[f"{split}_{name}"]
            accuracy(scores, batch[name])
            self.log(f"{split}/{name}_accuracy", accuracy, on_step=False, on_epoch=True)
        errors = [
            self.net.standardized(name, values[name])
            - self.net.standardized(name, batch["numbers"][:, i])
            for i, name in enumerate(self.net.numbers)
        ]
        number_loss = torch.stack(errors).pow(2).mean()
        loss = loss + self.hparams.number_weight * number_loss
        self.log(f"{split}/number_loss", number_loss, on_step=False, on_epoch=True)
        self.log(f"{split}/loss", loss, on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def training_step(self, batch: dict, _) -> torch.Tensor:
        return self.model_step(batch, "train")

    def validation_step(self, batch: dict, _) -> None:
        self.model_step(batch, "val")

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.net.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.hparams.lr_decay)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": decay, "interval": "epoch"}}


def face_arrays(split_faces, split_embeddings, decoder: nn.Module | None, size: int):
    """uint8 (N, size, size, 3): a split's true faces, then (with a decoder) the faces it draws
    from their embeddings."""

    def to_uint8(images: torch.Tensor) -> torch.Tensor:
        images = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True)
        return (images.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1)

    parts = [networks.batched(lambda f: to_uint8(face_images(f, size)), split_faces)[0]]
    if decoder is not None:
        parts.append(networks.batched(lambda e: to_uint8(decoder(e)), split_embeddings)[0])
    return np.concatenate(parts).astype(np.uint8)


def accuracy_metrics(
    described: dict, clips: pd.DataFrame, classes: dict, numbers: list, prefix: str
) -> dict:
    """Accuracy per attribute on its labelled clips (and its majority-class chance), age MAE,
    geometry correlation."""
    metrics = {}
    for name in classes:
        known = (clips[name] != UNKNOWN).to_numpy()
        if not known.any():
            continue
        labels = clips[name][known]
        metrics[f"{prefix}_{name}_accuracy"] = float(np.mean(described[name][known] == labels))
        metrics[f"{prefix}_{name}_chance"] = float(labels.value_counts(normalize=True).max())
    metrics[f"{prefix}_age_mae"] = float(np.mean(np.abs(described["age"] - clips.age)))
    for name in numbers[1:]:
        correlation = np.corrcoef(described[name], clips[name])[0, 1]
        metrics[f"{prefix}_{name.removeprefix(GEOMETRY_PREFIX)}_correlation"] = float(correlation)
    return metrics


def train_attribute_classifier(
    params: AttributeClassifierParams,
    features: Path,
    raw: Path,
    embeddings_dir: Path,
    decoder_dir: Path,
    model_dir: Path,
    metrics_path: Path,
    params_path: Path,
    **overrides,
) -> dict:
    """Train on train speakers, stop on validation; report accuracy on the test faces, true
    and decoded from their embeddings."""
    pl.seed_everything(params.seed, workers=True)
    clips = labelled_clips(features, raw / SPEAKERS_NAME)
    classes, numbers = attribute_classes(clips["train"]), number_columns(clips["train"])
    scales = {n: [float(clips["train"][n].mean()), float(clips["train"][n].std())] for n in numbers}
    decoder = networks.load(decoder_dir)

    def table(split: str, decoded: bool) -> dict:
        faces = face_arrays(
            load_split(features, split)[0]["face"],
            embeddings(embeddings_dir, split),
            decoder if decoded else None,
            params.image_size,
        )
        labels = pd.concat([clips[split]] * (2 if decoded else 1), ignore_index=True)
        return label_table(faces, labels, classes, numbers)

    data = ArrayDataModule(
        ArrayDataset(table("train", params.decoded_faces)),
        ArrayDataset(table("val", params.decoded_faces)),
        params.trainer.batch_size,
        params.trainer.workers,
    )
    config = {
        "classes": classes,
        "numbers": scales,
        "embedding_dim": params.embedding_dim,
        "width": params.width,
        "image_size": params.image_size,
        "dropout": params.dropout,
        "own_trunk": [name for name in params.own_trunk if name in classes],
    }
    net = networks.build("attribute_classifier", config)
    module = AttributeModule(
        net,
        params.image_size,
        params.lr,
        params.weight_decay,
        params.number_weight,
        params.max_shift,
        params.lr_decay,
    )
    with stage_run("train_attribute_classifier", params_path) as run_id:
        trainer = fit_best(module, data, params, run_id, "val/loss", "min", **overrides)
        if not trainer.is_global_zero:
            return {}
        net = module.net.cpu().eval()
        test = table("test", decoded=True)
        described = networks.batched(
            lambda f: net.describe(face_images(f, params.image_size)), test["face"]
        )
        n = len(clips["test"])
        metrics = {"test_clips": n}
        for prefix, rows in (("test", slice(0, n)), ("test_decoded", slice(n, 2 * n))):
            part = {k: v[rows] for k, v in described.items()}
            metrics.update(accuracy_metrics(part, clips["test"], classes, numbers, prefix))
        networks.save(net, "attribute_classifier", config, model_dir, run_id)
        finish(trainer, run_id, metrics, metrics_path)
        return metrics
