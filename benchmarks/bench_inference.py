"""Voice-encoder inference speed by batch size, run by hand after `dvc repro` (it reads data/
and models/), as `evaluate` runs it (`evaluate.batch_size`):

    .venv/bin/python benchmarks/bench_inference.py [--clips 256]

Each batch size runs over the same test clips, twice, in one process (the better run kept):
wall time, and the system CPU time among it (page faults of large allocations), side by side.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from speech2face.features.arrays import load_split
from speech2face.paths import FEATURES, MODELS
from speech2face.training import networks

BATCH_SIZES = (4, 8, 16, 32, 64)


def timed(voice, waveforms: np.ndarray, batch_size: int) -> tuple[float, float]:
    """Wall and system CPU seconds of one pass of the voice encoder over `waveforms`."""
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    networks.voice_embeddings(voice, waveforms, batch_size)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - start, after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=256)
    args = parser.parse_args()
    arrays, _ = load_split(FEATURES, "test")
    waveforms = np.asarray(arrays["waveform"][: args.clips])
    voice = networks.load(MODELS / "voice_encoder")
    timed(voice, waveforms[:16], 16)  # warm-up
    print(f"{len(waveforms)} clips of {waveforms.shape[1]} samples")
    print("| batch | wall s | system CPU s | clips/s |\n| --- | --- | --- | --- |")
    for size in BATCH_SIZES:
        wall, system = min(timed(voice, waveforms, size) for _ in range(2))
        print(f"| {size} | {wall:.2f} | {system:.2f} | {len(waveforms) / wall:.0f} |")


if __name__ == "__main__":
    main()
