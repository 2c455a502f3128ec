"""Where people speak: silero VAD's shipped ONNX model (run in onnxruntime) cut into segments.

Silero scores noise and tones as non-speech (webrtcvad marks white noise 100% speech), so a
segment is speech a model heard, not merely sound.
"""

from __future__ import annotations

import math
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from speech2face.ingest.media import SAMPLE_RATE

WINDOW = 512  # samples the 16 kHz model scores at a time (32 ms)
CONTEXT = 64  # samples of the previous window the model sees with each one
HYSTERESIS = 0.15  # speech continues while the score stays above threshold - this


def model_path() -> Path:
    """silero-vad's ONNX model, found without importing the package (which imports torch)."""
    spec = find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("silero-vad is not installed (pip install silero-vad)")
    return Path(spec.submodule_search_locations[0]) / "data" / "silero_vad.onnx"


@cache
def _session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # one per process: ingest runs a process per core
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(model_path()), options, providers=["CPUExecutionProvider"]
    )


def speech_probabilities(audio: np.ndarray) -> np.ndarray:
    """The model's speech probability for each 32 ms window of 16 kHz mono `audio`."""
    session = _session()
    count = len(audio) // WINDOW
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros((1, CONTEXT), np.float32)
    rate = np.array(SAMPLE_RATE, np.int64)
    scores = np.empty(count, np.float32)
    for i in range(count):
        window = audio[i * WINDOW : (i + 1) * WINDOW].astype(np.float32)[None]
        joined = np.concatenate([context, window], axis=1)
        out, state = session.run(None, {"input": joined, "state": state, "sr": rate})
        scores[i] = out.item()
        context = joined[:, -CONTEXT:]
    return scores


def speech_regions(
    scores: np.ndarray, threshold: float, max_pause_s: float
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech: windows above `threshold` (kept while above threshold -
    HYSTERESIS), joined across pauses up to `max_pause_s`."""
    step = WINDOW / SAMPLE_RATE
    regions: list[list[float]] = []
    speaking = False
    for i, score in enumerate(scores):
        if score >= threshold or (speaking and score >= threshold - HYSTERESIS):
            if speaking or regions and i * step - regions[-1][1] <= max_pause_s:
                regions[-1][1] = (i + 1) * step
            else:
                regions.append([i * step, (i + 1) * step])
            speaking = True
        else:
            speaking = False
    return [(round(a, 3), round(b, 3)) for a, b in regions]


def segments(
    regions: list[tuple[float, float]], shortest_s: float, longest_s: float
) -> list[tuple[float, float]]:
    """Each region long enough, cut into equal pieces no longer than `longest_s`."""
    pieces = []
    for start, end in regions:
        length = end - start
        if length < shortest_s:
            continue
        count = math.ceil(length / longest_s - 1e-9)
        size = length / count
        if size < shortest_s:
            continue
        pieces += [
            (round(start + k * size, 3), round(start + (k + 1) * size, 3)) for k in range(count)
        ]
    return pieces
