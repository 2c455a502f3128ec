"""Stage `train_face_decoder`: embedding -> canonical face (Cole et al.'s role)."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.params import FaceDecoderParams
from speech2face.tracking import stage_run
from speech2face.training import networks
from speech2face.training.common import (
    embeddings,
    face_images,
    finish,
    fit_best,
    frozen,
    unit,
)
from speech2face.training.data import ArrayDataModule, ArrayDataset, load_split


class FaceDecoderModule(pl.LightningModule):
    """Embedding -> face: L1 to the face, plus agreement of the face encoder's embeddings."""

    def __init__(
        self, net: nn.Module, teacher: nn.Module, image_size: int, lr: float, feature_weight: float
    ):
        super().__init__()
        self.net, self.teacher = net, frozen(teacher)
        self.save_hyperparameters(ignore=["net", "teacher"])

    def model_step(self, batch: dict, split: str) -> torch.Tensor:
        embedding = batch["embedding"].float()
        decoded = self.net(embedding)
        l1 = F.l1_loss(decoded, face_images(batch["face"], self.hparams.image_size))
        re_embedded, _ = self.teacher(decoded)
        identity = F.cosine_similarity(re_embedded, embedding, dim=1).mean()
        loss = l1 + self.hparams.feature_weight * (1.0 - identity)
        for name, value in (("loss", loss), ("l1", l1), ("identity_cosine", identity)):
            self.log(f"{split}/{name}", value, on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def training_step(self, batch: dict, _) -> torch.Tensor:
        self.teacher.eval()
        return self.model_step(batch, "train")

    def validation_step(self, batch: dict, _) -> None:
        self.model_step(batch, "val")

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.hparams.lr)


def train_face_decoder(
    params: FaceDecoderParams,
    features: Path,
    embeddings_dir: Path,
    encoder_dir: Path,
    model_dir: Path,
    metrics_path: Path,
    params_path: Path,
    **overrides,
) -> dict:
    """Embedding -> face, trained on train clips; reconstruction and identity on test."""
    pl.seed_everything(params.seed, workers=True)
    teacher = networks.load(encoder_dir)
    encoder_config = networks.config(encoder_dir)
    image_size = encoder_config["image_size"]

    def table(split: str) -> dict:
        return {
            "embedding": embeddings(embeddings_dir, split),
            "face": load_split(features, split)[0]["face"],
        }

    data = ArrayDataModule(
        ArrayDataset(table("train")),
        ArrayDataset(table("val")),
        params.trainer.batch_size,
        params.trainer.workers,
    )
    config = {
        "embedding_dim": encoder_config["embedding_dim"],
        "image_size": image_size,
        "width": params.width,
    }
    net = networks.build("face_decoder", config)
    module = FaceDecoderModule(net, teacher, image_size, params.lr, params.feature_weight)
    with stage_run("train_face_decoder", params_path) as run_id:
        trainer = fit_best(module, data, params, run_id, "val/loss", "min", **overrides)
        if not trainer.is_global_zero:
            return {}
        net = module.net.cpu().eval()
        test = table("test")
        decoded = networks.batched(net, test["embedding"])[0]
        truth = networks.batched(lambda f: face_images(f, image_size), test["face"])[0]
        re_embedded = networks.batched(lambda d: teacher(d)[0], decoded)[0]
        target = np.asarray(test["embedding"])
        cosine = np.sum(unit(re_embedded) * unit(target), axis=1)
        metrics = {
            "test_l1": float(np.abs(decoded - truth).mean()),
            "test_identity_cosine": float(cosine.mean()),
        }
        networks.save(net, "face_decoder", config, model_dir, run_id)
        if run_id:
            networks.log_model(net, "face_decoder", torch.from_numpy(target[:2].copy()))
        finish(trainer, run_id, metrics, metrics_path)
        return metrics
