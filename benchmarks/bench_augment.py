"""Cost of the recording augmentation beside a voice-encoder training step (results:
benchmarks/README.md). Needs no data or trained models:

    .venv/bin/python benchmarks/bench_augment.py [--steps 10] [--clips 840]

1. The room bank: simulating `rirs` rooms (pyroomacoustics) once, when the module is built.
2. `RecordingAugmentation` on a training batch (32 x 3 s at 16 kHz) on the CPU, with the
   default probabilities and with every condition on every clip, beside one training step of
   the default voice encoder (`train_voice_encoder`'s params: log-mel, 64 bands, width 0.25;
   untrained teacher head and decoder, which cost the same as trained ones).
3. `CodecTransform` on one 3 s clip, per codec and bitrate (DataLoader workers' CPU time).
4. `conditions.degrade` per condition on `--clips` 6 s clips (the test set: 840).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

# isort: off
import speech2face  # noqa: F401  first: it pins torch's CPU kernels, as in training

# isort: on
import numpy as np
import torch

from speech2face.audio import INT16_SCALE
from speech2face.params import (
    AugmentParams,
    FaceDecoderParams,
    FaceEncoderParams,
    VoiceEncoderParams,
    load_section,
)
from speech2face.paths import PARAMS
from speech2face.recording.augment import RecordingAugmentation
from speech2face.recording.codec import codec_round_trip
from speech2face.recording.conditions import CONDITIONS, degrade
from speech2face.recording.rooms import rir_bank
from speech2face.training import networks
from speech2face.training.train_voice_encoder import VoiceEncoderModule

RATE = 16000
IDENTITIES = 360  # train speakers of the default synthetic corpus (600 x 0.6)


def best_of(function, repeats: int, rounds: int = 2, clock=time.perf_counter) -> float:
    """Seconds per call of `function`, the best of `rounds` runs of `repeats` calls, on
    `clock` (wall time, or `time.process_time`: CPU time of all the process's threads)."""
    function()  # warm-up
    times = []
    for _ in range(rounds):
        start = clock()
        for _ in range(repeats):
            function()
        times.append((clock() - start) / repeats)
    return min(times)


def voices(clips: int, seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-like clips: harmonic tones (F0 90-250 Hz, gliding) in syllable bursts, in noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    out = np.empty((clips, len(t)), dtype=np.float32)
    for row in out:
        f0 = rng.uniform(90, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.2, 1) * t))
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        tone = sum(np.sin(k * phase) / k for k in range(1, 16))
        syllables = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t), 0, None)
        row[:] = 0.3 * tone * syllables / 3 + 0.002 * rng.standard_normal(len(t))
    return out


def training_step(batch_size: int, crop: int):
    """A function doing one optimisation step of the default voice encoder on one batch."""
    voice = load_section(VoiceEncoderParams, "train_voice_encoder", PARAMS)
    face = load_section(FaceEncoderParams, "train_face_encoder", PARAMS)
    decoder = load_section(FaceDecoderParams, "train_face_decoder", PARAMS)
    teacher = networks.build(
        "face_encoder",
        {
            "n_identities": IDENTITIES,
            "embedding_dim": face.embedding_dim,
            "width": face.width,
            "image_size": face.image_size,
            "dropout": face.dropout,
        },
    )
    config = {"embedding_dim": face.embedding_dim, "image_size": face.image_size}
    module = VoiceEncoderModule(
        networks.build(
            "voice_encoder",
            {
                "frontend": voice.frontend,
                "sample_rate": RATE,
                "n_mels": voice.n_mels,
                "embedding_dim": face.embedding_dim,
                "width": voice.width,
                "dropout": voice.dropout,
            },
        ),
        networks.build("face_decoder", {**config, "width": decoder.width}),
        teacher.head,
        voice.lr,
        voice.lr_decay,
        voice.lambda1,
        voice.lambda2,
        voice.temperature,
    )
    module.log = lambda *a, **k: None  # no trainer to log to
    module.train()
    optimizer = module.configure_optimizers()["optimizer"]
    batch = {
        "waveform": torch.from_numpy(
            (voices(batch_size, crop / RATE) * INT16_SCALE).astype(np.int16)
        ),
        "embedding": torch.randn(batch_size, face.embedding_dim),
    }

    def step():
        loss = module.model_step(batch, "train")[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step, voice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--clips", type=int, default=840)
    args = parser.parse_args()
    defaults = AugmentParams()
    load = os.getloadavg()[0]
    rows = [
        (
            "torch CPU threads, kernels",
            f"{torch.get_num_threads()}, {torch.backends.cpu.get_cpu_capability()}",
        )
    ]

    start = time.perf_counter()
    rir_bank(defaults.rirs, RATE, seed=0, rt60_s=defaults.rt60_s)
    bank_s = time.perf_counter() - start
    rows.append((f"room bank, {defaults.rirs} RIRs, once (s)", f"{bank_s:.2f}"))

    step, voice = training_step(32, int(voice_crop := 3.0 * RATE))
    step_s = best_of(step, args.steps)
    step_cpu = best_of(step, args.steps, clock=time.process_time)
    rows.append(("voice-encoder training step, batch 32 x 3 s (s)", f"{step_s:.3f}"))
    rows.append(("  its CPU time, all threads (s)", f"{step_cpu:.3f}"))
    batch = torch.from_numpy(voices(32, voice_crop / RATE, seed=1))
    always = dataclasses.replace(defaults, gain_p=1.0, noise_p=1.0, reverb_p=1.0, telephone_p=1.0)
    for name, params in (("default p", defaults), ("every condition, p = 1", always)):
        augment = RecordingAugmentation(params, RATE, seed=0)
        seconds = best_of(lambda a=augment: a(batch), args.steps * 2)
        rows.append((f"augmentation, batch 32 x 3 s, {name} (s)", f"{seconds:.4f}"))
        rows.append((f"  / training step, {name}", f"{seconds / step_s:.3f}"))
    for condition in ("gain", "noise", "reverb", "telephone"):
        only = {f"{c}_p": float(c == condition) for c in ("gain", "noise", "reverb", "telephone")}
        augment = RecordingAugmentation(dataclasses.replace(defaults, **only), RATE, seed=0)
        seconds = best_of(lambda a=augment: a(batch), args.steps * 2)
        rows.append((f"  {condition} alone on all 32 clips (s)", f"{seconds:.4f}"))

    clip = batch[0].numpy()
    per_clip = {}
    for codec in defaults.codecs:
        for kbps in (min(defaults.codec_kbps), max(defaults.codec_kbps)):
            seconds = best_of(lambda c=codec, k=kbps: codec_round_trip(clip, RATE, c, k), 10)
            per_clip[codec, kbps] = seconds
            rows.append(
                (
                    f"codec round trip, one 3 s clip, {codec} {kbps} kbps (ms)",
                    f"{seconds * 1000:.1f}",
                )
            )
    # Workers share the CPU with the step: their CPU time, not their wall time, is the cost.
    codec_batch = defaults.codec_p * 32 * float(np.mean(list(per_clip.values())))
    rows.append((f"  codec CPU per batch at p = {defaults.codec_p} (s)", f"{codec_batch:.3f}"))
    rows.append(("  / the step's CPU time", f"{codec_batch / step_cpu:.3f}"))

    clips = voices(args.clips, 6.0, seed=2)
    degrade(clips, RATE, "snr_20", seed=0)  # warm-up: the first run pays for fresh memory
    for condition in CONDITIONS[1:]:
        start = time.perf_counter()
        degrade(clips, RATE, condition, seed=0)
        seconds = time.perf_counter() - start
        rows.append((f"degrade {args.clips} x 6 s, {condition} (s)", f"{seconds:.1f}"))

    rows.append(
        ("load average at start, at end (other processes)", f"{load:.2f}, {os.getloadavg()[0]:.2f}")
    )
    print(f"voice encoder: {voice.frontend}, {voice.n_mels} bands, width {voice.width}")
    print("| measure | value |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
