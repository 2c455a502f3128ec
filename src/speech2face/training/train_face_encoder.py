"""Stage `train_face_encoder`: the teacher (VGG-Face's role), identity from faces."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from speech2face.files import atomic_path
from speech2face.params import FaceEncoderParams
from speech2face.tracking import stage_run
from speech2face.training import networks
from speech2face.training.common import EMBEDDINGS, LOGITS, face_images, finish, fit_best
from speech2face.training.data import ArrayDataModule, ArrayDataset, feature_splits, load_split
from speech2face.training.face_augment import jitter
from speech2face.training.labels import attribute_classes, label_table, labelled_cross_entropy


class FaceEncoderModule(pl.LightningModule):
    """The teacher: identity classification from faces, and, with `attribute_weight` > 0,
    the labelled attributes (`classes`: attribute -> class names) read from the embedding by
    linear heads that only training uses, so that the embedding carries what a face shows of
    them (VGG-Face learns that from millions of identities; a few hundred do not teach it)."""

    def __init__(
        self,
        net: nn.Module,
        n_identities: int,
        image_size: int,
        lr: float,
        weight_decay: float,
        classes: dict[str, list[str]],
        attribute_weight: float,
        max_shift: float = 0.0,
    ):
        super().__init__()
        self.net = net
        self.save_hyperparameters(ignore=["net"])
        self.train_accuracy = MulticlassAccuracy(n_identities)
        self.val_accuracy = MulticlassAccuracy(n_identities)
        dim = net.head.in_features
        self.attribute_heads = nn.ModuleDict(
            {name: nn.Linear(dim, len(names)) for name, names in classes.items()}
            if attribute_weight > 0
            else {}
        )

    def model_step(self, batch: dict, split: str) -> torch.Tensor:
        images = face_images(batch["face"], self.hparams.image_size)
        if split == "train" and self.hparams.max_shift > 0:
            images = jitter(images, self.hparams.max_shift)
        embedding, logits = self.net(images)
        loss = F.cross_entropy(logits, batch["label"])
        for name, head in self.attribute_heads.items():
            attribute_loss = labelled_cross_entropy(head(embedding), batch[name])
            self.log(f"{split}/{name}_loss", attribute_loss, on_step=False, on_epoch=True)
            loss = loss + self.hparams.attribute_weight * attribute_loss
        accuracy = getattr(self, f"{split}_accuracy")
        accuracy(logits, batch["label"])
        self.log(f"{split}/loss", loss, on_step=False, on_epoch=True, prog_bar=True)
        self.log(f"{split}/accuracy", accuracy, on_step=False, on_epoch=True)
        return loss

    def training_step(self, batch: dict, _) -> torch.Tensor:
        return self.model_step(batch, "train")

    def validation_step(self, batch: dict, _) -> None:
        self.model_step(batch, "val")

    def configure_optimizers(self):
        return torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )


def heldout_rows(clips: pd.DataFrame) -> np.ndarray:
    """One clip per speaker (its last), held out to measure identity accuracy on unseen frames."""
    return clips.groupby("speaker_id").row.max().to_numpy()


def train_face_encoder(
    params: FaceEncoderParams,
    features: Path,
    model_dir: Path,
    embeddings_dir: Path,
    metrics_path: Path,
    params_path: Path,
    **overrides,
) -> dict:
    """Identity classification on train faces; embeddings and logits of every clip."""
    pl.seed_everything(params.seed, workers=True)
    arrays, clips = load_split(features, "train")
    speakers = sorted(clips.speaker_id.unique())
    labels = clips.speaker_id.map({s: i for i, s in enumerate(speakers)}).to_numpy(np.int64)
    held = heldout_rows(clips)
    fit = np.setdiff1d(clips.row.to_numpy(), held)
    classes = attribute_classes(clips)
    table = label_table(arrays["face"], clips, classes) | {"label": labels}
    data = ArrayDataModule(
        ArrayDataset(table, fit),
        ArrayDataset(table, held),
        params.trainer.batch_size,
        params.trainer.workers,
    )
    config = {
        "n_identities": len(speakers),
        "embedding_dim": params.embedding_dim,
        "width": params.width,
        "image_size": params.image_size,
        "dropout": params.dropout,
    }
    net = networks.build("face_encoder", config)
    module = FaceEncoderModule(
        net,
        len(speakers),
        params.image_size,
        params.lr,
        params.weight_decay,
        classes,
        params.attribute_weight,
        params.max_shift,
    )
    with stage_run("train_face_encoder", params_path) as run_id:
        trainer = fit_best(module, data, params, run_id, "val/accuracy", "max", **overrides)
        if not trainer.is_global_zero:
            return {}
        net = module.net.cpu().eval()
        encode = write_embeddings(net, params.image_size, features, embeddings_dir)
        _, held_logits = networks.batched(encode, arrays["face"][np.sort(held)])
        accuracy = float((held_logits.argmax(1) == labels[np.sort(held)]).mean())
        networks.save(net, "face_encoder", config, model_dir, run_id)
        if run_id:
            example = torch.from_numpy(np.array(arrays["face"][:2]))
            networks.log_model(_FaceEmbedder(net, params.image_size), "face_encoder", example)
        metrics = {
            "heldout_identity_accuracy": accuracy,
            "identities": len(speakers),
            "chance": 1.0 / len(speakers),
        }
        finish(trainer, run_id, metrics, metrics_path)
        return metrics


def write_embeddings(net: torch.nn.Module, image_size: int, features: Path, out: Path):
    """The embedding and logits of every clip's face, split by split, written atomically to
    `out`; returns the function that encodes a batch of faces."""
    encode = lambda faces: net(face_images(faces, image_size))  # noqa: E731
    with atomic_path(out, directory=True) as staging:
        for split in feature_splits(features):
            split_arrays, _ = load_split(features, split)
            embedding, logits = networks.batched(encode, split_arrays["face"])
            (staging / split).mkdir()
            np.save(staging / split / EMBEDDINGS, embedding.astype(np.float32))
            np.save(staging / split / LOGITS, logits.astype(np.float32))
    return encode


class _FaceEmbedder(torch.nn.Module):
    """The face encoder as served: uint8 faces (B, H, W, 3) -> face embeddings."""

    def __init__(self, net: torch.nn.Module, image_size: int):
        super().__init__()
        self.net, self.image_size = net, image_size

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        return self.net(face_images(faces, self.image_size))[0]
