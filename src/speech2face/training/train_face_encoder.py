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

from speech2face.features.arrays import EMBEDDINGS, LOGITS, feature_splits, load_split
from speech2face.files import atomic_path
from speech2face.params import FaceEncoderParams
from speech2face.pretrained.descriptor_stage import cached_descriptors
from speech2face.pretrained.dlib_faces import DESCRIPTOR_DIM
from speech2face.tracking import stage_run
from speech2face.training import networks
from speech2face.training.common import finish, fit_best
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.dlib_teacher import (
    descriptor_loss,
    fit_identity_head,
    write_descriptor_embeddings,
)
from speech2face.training.face_augment import jitter
from speech2face.training.labels import attribute_classes, label_table, labelled_cross_entropy
from speech2face.training.networks import face_images, frozen


class FaceEncoderModule(pl.LightningModule):
    """The teacher: identity classification from faces, and, with `attribute_weight` > 0,
    the labelled attributes (`classes`: attribute -> class names) read from the embedding by
    linear heads that only training uses, so that the embedding carries what a face shows of
    them (VGG-Face learns that from millions of identities; a few hundred do not teach it).
    With `descriptor_weight` > 0 (the dlib teacher's stand-in), the squared distance of the
    embedding to each face's dlib descriptor is added, under a frozen fitted head."""

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
        descriptor_weight: float = 0.0,
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
        if self.hparams.descriptor_weight > 0:
            distance = descriptor_loss(embedding, batch["descriptor"])
            self.log(f"{split}/descriptor_distance", distance, on_step=False, on_epoch=True)
            loss = loss + self.hparams.descriptor_weight * distance
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
    descriptors: Path,
    model_dir: Path,
    embeddings_dir: Path,
    metrics_path: Path,
    params_path: Path,
    **overrides,
) -> dict:
    """Identity classification on train faces; embeddings and logits of every clip. With the
    dlib teacher (see training/dlib_teacher.py), dlib's descriptors are the embeddings and the
    network trained is their differentiable stand-in."""
    pl.seed_everything(params.seed, workers=True)
    arrays, clips = load_split(features, "train")
    speakers = sorted(clips.speaker_id.unique())
    labels = clips.speaker_id.map({s: i for i, s in enumerate(speakers)}).to_numpy(np.int64)
    held = np.sort(heldout_rows(clips))
    fit = np.setdiff1d(clips.row.to_numpy(), held)
    dlib = params.teacher == "dlib"
    classes = {} if dlib else attribute_classes(clips)
    table = label_table(arrays["face"], clips, classes) | {"label": labels}
    if dlib:
        table["descriptor"] = cached_descriptors(descriptors, "train", len(clips))
        head = fit_identity_head(
            table["descriptor"][fit], labels[fit], len(speakers), params.head_l2, params.seed
        )
    data = ArrayDataModule(
        ArrayDataset(table, fit),
        ArrayDataset(table, held),
        params.trainer.batch_size,
        params.trainer.workers,
    )
    config = {
        "n_identities": len(speakers),
        "embedding_dim": DESCRIPTOR_DIM if dlib else params.embedding_dim,
        "width": params.width,
        "image_size": params.image_size,
        "dropout": params.dropout,
        "linear_embedding": dlib,
    }
    net = networks.build("face_encoder", config)
    if dlib:
        net.head.load_state_dict(head.state_dict())
        frozen(net.head)
    module = FaceEncoderModule(
        net,
        len(speakers),
        params.image_size,
        params.lr,
        params.weight_decay,
        classes,
        0.0 if dlib else params.attribute_weight,
        params.max_shift,
        1.0 if dlib else 0.0,
    )
    with stage_run("train_face_encoder", params_path) as run_id:
        trainer = fit_best(module, data, params, run_id, "val/accuracy", "max", **overrides)
        if not trainer.is_global_zero:
            return {}
        net = module.net.cpu().eval()
        encode = face_encoding(net, params.image_size)
        held_embedding, held_logits = networks.batched(encode, arrays["face"][held])
        accuracy = float((held_logits.argmax(1) == labels[held]).mean())
        metrics = {}
        if not dlib:
            write_embeddings(net, params.image_size, features, embeddings_dir)
        else:
            write_descriptor_embeddings(descriptors, features, net.head, embeddings_dir)
            with torch.no_grad():
                dlib_logits = net.head(torch.from_numpy(table["descriptor"][held])).numpy()
            distance = np.linalg.norm(held_embedding - table["descriptor"][held], axis=1)
            metrics |= {
                "stand_in_heldout_identity_accuracy": accuracy,
                "stand_in_heldout_descriptor_distance": float(distance.mean()),
            }
            accuracy = float((dlib_logits.argmax(1) == labels[held]).mean())
        networks.save(net, "face_encoder", config, model_dir, run_id)
        if run_id:
            example = torch.from_numpy(np.array(arrays["face"][:2]))
            networks.log_model(_FaceEmbedder(net, params.image_size), "face_encoder", example)
        metrics |= {
            "heldout_identity_accuracy": accuracy,
            "identities": len(speakers),
            "chance": 1.0 / len(speakers),
        }
        finish(trainer, run_id, metrics, metrics_path)
        return metrics


def face_encoding(net: torch.nn.Module, image_size: int):
    """The function from a batch of uint8 faces to the face encoder's (embedding, logits)."""
    return lambda faces: net(face_images(faces, image_size))


def write_embeddings(net: torch.nn.Module, image_size: int, features: Path, out: Path) -> None:
    """The embedding and logits of every clip's face, split by split, written atomically to
    `out`."""
    encode = face_encoding(net, image_size)
    with atomic_path(out, directory=True) as staging:
        for split in feature_splits(features):
            split_arrays, _ = load_split(features, split)
            embedding, logits = networks.batched(encode, split_arrays["face"])
            (staging / split).mkdir()
            np.save(staging / split / EMBEDDINGS, embedding.astype(np.float32))
            np.save(staging / split / LOGITS, logits.astype(np.float32))


class _FaceEmbedder(torch.nn.Module):
    """The face encoder as served: uint8 faces (B, H, W, 3) -> face embeddings."""

    def __init__(self, net: torch.nn.Module, image_size: int):
        super().__init__()
        self.net, self.image_size = net, image_size

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        return self.net(face_images(faces, self.image_size))[0]
