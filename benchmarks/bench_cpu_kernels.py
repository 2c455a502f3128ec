"""What pinning the CPU kernels to AVX2 costs (`speech2face.CPU_KERNELS`), run by hand after
`dvc repro` (it reads data/ and models/):

    .venv/bin/python benchmarks/bench_cpu_kernels.py [--steps 20] [--rounds 3]

Voice-encoder optimisation steps (plain loop, batches in memory) and face-encoder training
steps, each in a fresh process with the pinned kernels and with the CPU's own (PyTorch's
detected capability, oneDNN's and MKL's full ISA), alternated `--rounds` times; the best of
each is kept and their ratio printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

PINNED = "pinned to AVX2"


def native_environment() -> dict[str, str]:
    """The environment with the CPU's own kernels: PyTorch's capability as detected when
    nothing pins it, oneDNN's and MKL's widest ISA."""
    environment = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    detect = "import torch; print(torch.backends.cpu.get_cpu_capability().lower())"
    capability = subprocess.run(
        [sys.executable, "-c", detect], env=environment, check=True, capture_output=True, text=True
    ).stdout.strip()
    return {
        **environment,
        "ATEN_CPU_CAPABILITY": capability,
        "ONEDNN_MAX_CPU_ISA": "ALL",
        "MKL_CBWR": "AUTO",
    }


def face_encoder_step_seconds(steps: int) -> float:
    """Seconds per training step of the face encoder on a batch of train faces."""
    import torch

    from speech2face.features.arrays import load_split
    from speech2face.params import FaceEncoderParams, load_section
    from speech2face.paths import FEATURES, MODELS, PARAMS
    from speech2face.training import networks
    from speech2face.training.networks import face_images

    params = load_section(FaceEncoderParams, "train_face_encoder", PARAMS)
    net = networks.build("face_encoder", networks.config(MODELS / "face_encoder")).train()
    faces = load_split(FEATURES, "train")[0]["face"][: params.trainer.batch_size]
    images = face_images(torch.from_numpy(faces.copy()), params.image_size)
    optimizer = torch.optim.Adam(net.parameters(), lr=params.lr)
    for step in range(steps + 3):
        if step == 3:
            start = time.perf_counter()
        loss = net(images)[0].square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def measure(steps: int) -> dict[str, float]:
    """This process's seconds per step, with whatever kernels its environment selects."""
    import lightning.pytorch as pl
    from bench_training import WARM_UP, data_module, timed_steps, voice_module

    from speech2face.params import VoiceEncoderParams, load_section
    from speech2face.paths import PARAMS

    params = load_section(VoiceEncoderParams, "train_voice_encoder", PARAMS)
    pl.seed_everything(0)
    module = voice_module(params)
    module.log = lambda *a, **k: None
    loader = data_module(params, int(params.crop_seconds * 16000)).train_dataloader()
    batches = [batch for _, batch in zip(range(steps + WARM_UP), loader)]
    return {
        "voice encoder step (s)": timed_steps(module, batches, steps),
        "face encoder step (s)": face_encoder_step_seconds(steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.steps)))
        return
    native = native_environment()
    settings = {PINNED: dict(os.environ), f"native ({native['ATEN_CPU_CAPABILITY']})": native}
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for name, environment in settings.items():
            command = [sys.executable, __file__, "--child", "--steps", str(args.steps)]
            shown = subprocess.run(command, env=environment, check=True, capture_output=True)
            result = json.loads(shown.stdout.decode().strip().splitlines()[-1])
            previous = best.get(name, {})
            best[name] = {k: min(v, previous.get(k, v)) for k, v in result.items()}
    pinned, native_name = best[PINNED], next(n for n in best if n != PINNED)
    print(f"| measure | {PINNED} | {native_name} | pinned / native |")
    print("| --- | --- | --- | --- |")
    for measure_name, value in pinned.items():
        other = best[native_name][measure_name]
        print(f"| {measure_name} | {value:.3f} | {other:.3f} | {value / other:.2f} |")


if __name__ == "__main__":
    main()
