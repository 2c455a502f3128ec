"""Stage `train_face_decoder`: embedding -> canonical face (Cole et al.'s role)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.features.arrays import embeddings, load_split, unit
from speech2face.models.face_decoder import PatchDiscriminator
from speech2face.params import FaceDecoderParams
from speech2face.tracking import stage_run
from speech2face.training import networks
from speech2face.training.common import finish, fit_best
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.networks import face_images, frozen


class FaceDecoderModule(pl.LightningModule):
    """Embedding -> face. The generator's loss, each term weighted by params:

    - `l1`: mean absolute difference to the true face (pixels in [0, 1]);
    - `identity`: 1 - cosine between the face encoder's embedding of the drawn face and the
      embedding it was drawn from;
    - `perceptual`: mean absolute difference of the frozen face encoder's activations on the
      drawn and the true face, at every scale (each map divided by its mean magnitude on the
      true face, so every scale counts alike);
    - `adversarial`: the hinge loss of a patch discriminator trained beside it (0: none).

    Validation tracks the sum without the adversarial term, which the best checkpoint uses.
    """

    def __init__(
        self,
        net: nn.Module,
        teacher: nn.Module,
        discriminator: nn.Module | None,
        image_size: int,
        lr: float,
        weights: dict[str, float],
    ):
        super().__init__()
        self.net, self.teacher, self.discriminator = net, frozen(teacher), discriminator
        self.automatic_optimization = False
        self.save_hyperparameters(ignore=["net", "teacher", "discriminator"])

    def reconstruction(self, batch: dict, split: str) -> tuple[torch.Tensor, ...]:
        """The drawn faces, the true faces, and the weighted non-adversarial loss (logged)."""
        weights = self.hparams.weights
        embedding = batch["embedding"].float()
        decoded = self.net(embedding)
        truth = face_images(batch["face"], self.hparams.image_size)
        terms = {"l1": F.l1_loss(decoded, truth)}
        maps = self.teacher.feature_maps(decoded)  # one pass serves identity and perceptual
        re_embedded = self.teacher.embedding_of(maps[-1])
        terms["identity"] = 1.0 - F.cosine_similarity(re_embedded, embedding, dim=1).mean()
        if weights["perceptual"] > 0:
            with torch.no_grad():
                true_maps = self.teacher.feature_maps(truth)
            terms["perceptual"] = perceptual_distance(maps, true_maps)
        loss = sum(weights[name] * value for name, value in terms.items())
        for name, value in (("loss", loss), *terms.items()):
            self.log(f"{split}/{name}", value, on_step=False, on_epoch=True, prog_bar=True)
        return decoded, truth, loss

    def training_step(self, batch: dict, _) -> None:
        self.teacher.eval()
        optimizers = self.optimizers()
        generator, critic = optimizers if self.discriminator else (optimizers, None)
        decoded, truth, loss = self.reconstruction(batch, "train")
        if critic is not None:
            critic_loss = (
                F.relu(1.0 - self.discriminator(truth)).mean()
                + F.relu(1.0 + self.discriminator(decoded.detach())).mean()
            )
            critic.zero_grad()
            self.manual_backward(critic_loss)
            critic.step()
            adversarial = -self.discriminator(decoded).mean()
            loss = loss + self.hparams.weights["adversarial"] * adversarial
            self.log_dict(
                {"train/critic": critic_loss, "train/adversarial": adversarial},
                on_step=False,
                on_epoch=True,
            )
        generator.zero_grad()
        self.manual_backward(loss)
        generator.step()

    def validation_step(self, batch: dict, _) -> None:
        self.reconstruction(batch, "val")

    def configure_optimizers(self):
        lr = self.hparams.lr
        generator = torch.optim.Adam(self.net.parameters(), lr=lr, betas=(0.5, 0.999))
        if self.discriminator is None:
            return generator
        critic = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
        return [generator, critic]


def perceptual_distance(drawn_maps: list, true_maps: list) -> torch.Tensor:
    """Mean over scales of |drawn map - true map| / mean |true map| (the face encoder's
    activations on the drawn and the true faces)."""
    distances = [
        (drawn - true).abs().mean() / true.abs().mean().clamp_min(1e-6)
        for drawn, true in zip(drawn_maps, true_maps)
    ]
    return torch.stack(distances).mean()


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
        "convs_per_block": params.convs_per_block,
    }
    net = networks.build("face_decoder", config)
    weights = dataclasses.asdict(params.loss_weights)
    critic = PatchDiscriminator(params.width) if weights["adversarial"] > 0 else None
    module = FaceDecoderModule(net, teacher, critic, image_size, params.lr, weights)
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
