"""Stage `train_voice_encoder`: the student, voice -> face embedding, with the paper's loss."""

from __future__ import annotations

import json
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from torch import nn

from speech2face.audio import INT16_SCALE
from speech2face.features.arrays import embeddings, load_split, unit
from speech2face.models.losses import speech2face_loss
from speech2face.params import VoiceEncoderParams
from speech2face.recording.augment import RecordingAugmentation
from speech2face.recording.codec import CodecTransform
from speech2face.tracking import stage_run
from speech2face.training import networks
from speech2face.training.common import finish, fit_best
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.labels import balanced_weights
from speech2face.training.metrics import VoiceFaceRetrieval
from speech2face.training.networks import frozen


class VoiceEncoderModule(pl.LightningModule):
    """The student: waveform -> face embedding, trained with the paper's loss on voices
    recorded anew by `augment` (identity outside training)."""

    def __init__(
        self,
        net: nn.Module,
        augment: nn.Module,
        decoder: nn.Module,
        teacher_head: nn.Module,
        lr: float,
        lr_decay: float,
        lambda1: float,
        lambda2: float,
        temperature: float,
    ):
        super().__init__()
        self.net, self.augment = net, augment
        self.decoder, self.teacher_head = frozen(decoder), frozen(teacher_head)
        self.save_hyperparameters(ignore=["net", "augment", "decoder", "teacher_head"])
        self.retrieval = VoiceFaceRetrieval()

    def model_step(self, batch: dict, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        predicted = self.net(self.augment(batch["waveform"].float() / INT16_SCALE))
        terms = speech2face_loss(
            predicted,
            batch["embedding"].float(),
            self.decoder.first_layer,
            self.teacher_head,
            self.hparams.lambda1,
            self.hparams.lambda2,
            self.hparams.temperature,
        )
        for name, value in terms.items():
            self.log(
                f"{split}/{name}",
                value,
                on_step=False,
                on_epoch=True,
                prog_bar=name == "loss",
                sync_dist=split == "val",
            )
        return terms["loss"], predicted

    def on_fit_start(self) -> None:
        self.augment.reseed(self.augment.seed + self.global_rank)  # DDP: a stream per process

    def training_step(self, batch: dict, _) -> torch.Tensor:
        self.decoder.eval()
        self.teacher_head.eval()
        return self.model_step(batch, "train")[0]

    def validation_step(self, batch: dict, _) -> None:
        _, predicted = self.model_step(batch, "val")
        self.retrieval.update(predicted, batch["embedding"].float(), batch["speaker"])

    def on_validation_epoch_end(self) -> None:
        for name, value in self.retrieval.compute().items():
            self.log(f"val/{name}", value, prog_bar=name in ("cosine", "recall_at_5"))
        self.retrieval.reset()

    def configure_optimizers(self):
        # Adam with beta1 0.5 and eps 1e-4, exponential decay: the paper's optimiser.
        optimizer = torch.optim.Adam(
            self.net.parameters(), lr=self.hparams.lr, betas=(0.5, 0.999), eps=1e-4
        )
        decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.hparams.lr_decay)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": decay, "interval": "epoch"}}


def start_at(net: torch.nn.Module, embedding: np.ndarray) -> None:
    """Make the student start near `embedding` (the mean training target), not near zero.

    Its last layer's bias becomes the embedding and its weights shrink tenfold: training
    starts from the mean-embedding baseline and learns how each voice departs from it.
    """
    last = net.fc[-1]
    with torch.no_grad():
        last.bias.copy_(torch.from_numpy(embedding))
        last.weight.mul_(0.1)


def voice_encoder_config(params: VoiceEncoderParams, sample_rate: int, encoder_dir: Path) -> dict:
    """The voice encoder's constructor arguments: its params, and the teacher's embedding size."""
    return {
        "frontend": params.frontend,
        "sample_rate": sample_rate,
        "n_mels": params.n_mels,
        "embedding_dim": networks.config(encoder_dir)["embedding_dim"],
        "width": params.width,
        "dropout": params.dropout,
    }


def train_voice_encoder(
    params: VoiceEncoderParams,
    features: Path,
    embeddings_dir: Path,
    encoder_dir: Path,
    decoder_dir: Path,
    model_dir: Path,
    metrics_path: Path,
    params_path: Path,
    train_speakers: frozenset[str] | None = None,
    **overrides,
) -> dict:
    """Voice -> face embedding with the paper's loss; validation retrieval among speakers.

    `train_speakers`: train on these speakers' clips only (a bias study's draw), not on every
    training clip.
    """
    pl.seed_everything(params.seed, workers=True)
    teacher, decoder = networks.load(encoder_dir), networks.load(decoder_dir)
    meta = json.loads((features / "meta.json").read_text())
    crop = int(round(params.crop_seconds * meta["sample_rate"]))

    def table(split: str, speakers: frozenset[str] | None = None) -> tuple[dict, pd.DataFrame]:
        arrays, clips = load_split(features, split)
        columns = {"waveform": arrays["waveform"], "embedding": embeddings(embeddings_dir, split)}
        if speakers is not None:
            rows = np.flatnonzero(clips.speaker_id.isin(speakers).to_numpy())
            columns = {name: np.asarray(array[rows]) for name, array in columns.items()}
            clips = clips.iloc[rows].reset_index(drop=True)
        speaker = pd.factorize(clips.speaker_id)[0].astype(np.int64)
        return columns | {"speaker": speaker}, clips

    (train, train_clips), (val, _) = table("train", train_speakers), table("val")
    codec = CodecTransform(params.augment, meta["sample_rate"])
    weights = balanced_weights(train_clips[params.balance_by]) if params.balance_by else None
    data = ArrayDataModule(
        ArrayDataset(train, crop=crop, random_crop=True, transform=codec),
        ArrayDataset(val, crop=crop),
        params.trainer.batch_size,
        params.trainer.workers,
        weights,
        params.seed,
    )
    config = voice_encoder_config(params, meta["sample_rate"], encoder_dir)
    net = networks.build("voice_encoder", config)
    mean_embedding = np.asarray(train["embedding"]).mean(axis=0)
    start_at(net, mean_embedding)
    module = VoiceEncoderModule(
        net,
        RecordingAugmentation(params.augment, meta["sample_rate"], params.seed),
        decoder,
        teacher.head,
        params.lr,
        params.lr_decay,
        params.lambda1,
        params.lambda2,
        params.temperature,
    )
    with stage_run("train_voice_encoder", params_path) as run_id:
        trainer = fit_best(module, data, params, run_id, "val/recall_at_5", "max", **overrides)
        validated = trainer.validate(module, data, verbose=False)[0]  # every DDP process
        if not trainer.is_global_zero:
            return {}
        baseline = mean_embedding[None]
        val_target = np.asarray(val["embedding"])
        speakers = len(np.unique(val["speaker"]))
        metrics = {
            "val_cosine": validated["val/cosine"],
            "val_recall_at_1": validated["val/recall_at_1"],
            "val_recall_at_5": validated["val/recall_at_5"],
            "val_recall_at_10": validated["val/recall_at_10"],
            "val_speakers": speakers,
            "chance_recall_at_5": 5.0 / speakers,
            "baseline_mean_embedding_cosine": float(
                np.mean(np.sum(unit(baseline) * unit(val_target), axis=1))
            ),
        }
        net = module.net.cpu().eval()
        inputs = {"sample_rate": meta["sample_rate"], "seconds": meta["seconds"]}
        networks.save(net, "voice_encoder", config, model_dir, run_id, inputs)
        if run_id:
            example = torch.from_numpy(np.asarray(val["waveform"][:2, :crop], dtype=np.float32))
            networks.log_model(net, "voice_encoder", example / INT16_SCALE)
        finish(trainer, run_id, metrics, metrics_path)
        return metrics
