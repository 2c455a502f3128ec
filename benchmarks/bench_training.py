"""Voice-encoder training speed, run by hand after `dvc repro` (it reads data/ and models/):

    .venv/bin/python benchmarks/bench_training.py [--steps 40]

1. step time with the real DataModule (memory-mapped arrays, workers) vs. tensors already in
   memory: the loader must not be the bottleneck (target ratio <= 1.15);
2. a Lightning epoch vs. a plain PyTorch loop on the same model and batches (target <= 1.10);
3. throughput (samples/s) of the default and the paper-scale voice encoders on this machine.
"""

from __future__ import annotations

import argparse
import time

import lightning.pytorch as pl
import numpy as np

from speech2face.features.arrays import load_split
from speech2face.params import VoiceEncoderParams, load_section
from speech2face.paths import EMBEDDINGS, FEATURES, MODELS, PARAMS
from speech2face.recording.augment import RecordingAugmentation
from speech2face.training import networks
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.train_voice_encoder import VoiceEncoderModule, voice_encoder_config


def voice_module(params: VoiceEncoderParams, **changes) -> VoiceEncoderModule:
    teacher = networks.load(MODELS / "face_encoder")
    decoder = networks.load(MODELS / "face_decoder")
    config = voice_encoder_config(params, 16000, MODELS / "face_encoder") | changes
    return VoiceEncoderModule(
        networks.build("voice_encoder", config),
        RecordingAugmentation(params.augment, 16000, params.seed),
        decoder,
        teacher.head,
        params.lr,
        params.lr_decay,
        params.lambda1,
        params.lambda2,
        params.temperature,
    )


def data_module(params: VoiceEncoderParams, crop: int) -> ArrayDataModule:
    arrays, _ = load_split(FEATURES, "train")
    embeddings = np.load(EMBEDDINGS / "train" / "embeddings.npy", mmap_mode="r")
    table = {"waveform": arrays["waveform"], "embedding": embeddings}
    dataset = ArrayDataset(table, crop=crop, random_crop=True)
    return ArrayDataModule(dataset, dataset, params.trainer.batch_size, params.trainer.workers)


WARM_UP = 5


class StepTimer(pl.Callback):
    """Seconds per training step inside `Trainer.fit`, warm-up and set-up excluded."""

    def on_train_batch_start(self, trainer, module, batch, index):
        if index == WARM_UP:
            self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer, module):
        self.seconds = (time.perf_counter() - self.start) / (trainer.num_training_batches - WARM_UP)


def timed_steps(module: VoiceEncoderModule, batches, steps: int) -> float:
    """Seconds per optimisation step of a plain loop over `batches`, warm-up excluded."""
    optimizer = module.configure_optimizers()["optimizer"]
    module.train()
    iterator = iter(batches)
    start = None
    for step in range(steps + WARM_UP):
        if step == WARM_UP:
            start = time.perf_counter()
        batch = next(iterator)
        loss = module.model_step(batch, "train")[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    params = load_section(VoiceEncoderParams, "train_voice_encoder", PARAMS)
    crop = int(params.crop_seconds * 16000)
    pl.seed_everything(0)
    module = voice_module(params)
    module.log = lambda *a, **k: None  # plain loops have no trainer to log to
    data = data_module(params, crop)
    loader = data.train_dataloader()
    in_memory = [batch for _, batch in zip(range(args.steps + WARM_UP), loader)]
    # Alternate and keep the best of two, so neither side pays for the machine's warm-up.
    memory_s = min(timed_steps(module, in_memory, args.steps) for _ in range(2))
    loader_s = min(timed_steps(module, loader, args.steps) for _ in range(2))

    batches = args.steps * params.trainer.batch_size
    limited = ArrayDataModule(
        data.train, data.val, params.trainer.batch_size, params.trainer.workers
    )
    trainer = pl.Trainer(
        max_epochs=1,
        limit_train_batches=args.steps + 3,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="auto",
    )
    lightning_module = voice_module(params)
    start = time.perf_counter()
    trainer.fit(lightning_module, limited)
    lightning_s = (time.perf_counter() - start) / (args.steps + 3)

    print("| measure | value |")
    print("| --- | --- |")
    print(f"| step, plain loop, batches in memory (s) | {memory_s:.3f} |")
    print(f"| step, plain loop, real DataModule (s) | {loader_s:.3f} |")
    print(f"| DataModule / in memory | {loader_s / memory_s:.3f} |")
    print(f"| step, Lightning Trainer, real DataModule (s) | {lightning_s:.3f} |")
    print(f"| Lightning / plain loop | {lightning_s / loader_s:.3f} |")
    print(f"| default encoder throughput (samples/s) | {batches / (loader_s * args.steps):.1f} |")


if __name__ == "__main__":
    main()
