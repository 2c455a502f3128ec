"""The gender the trained models read on the held-out engine's voices as a user would send
them: a WAV file, an 8 kHz telephone recording and an Opus file.

Four women and four men from outside the corpus (typical voices for their gender, aged 35),
spoken by the held-out engine (`corpus.synthetic.held_out_engine`) with voices of people no
training engine records, steered to each speaker as the corpus steers it; each clip then
written three ways and read by `predict`. Run from the project root after `dvc repro`:

    .venv/bin/python scripts/held_out_voice_trial.py [--models models]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile
import yaml
from scipy.signal import resample_poly

from speech2face.corpus import engines
from speech2face.corpus.population import draw_population, with_engine
from speech2face.corpus.voice import load_sentences, synthesize_clip
from speech2face.paths import PARAMS
from speech2face.predict import predict_face
from speech2face.recording.conditions import degrade

RATE = 16000
PER_GENDER = 4


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    soundfile.write(path, samples, rate, subtype="PCM_16")
    return path


def write_opus(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Mono float `samples` as an Ogg Opus file (PyAV's libopus, its default bitrate)."""
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libopus", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.asarray(samples, np.float32)[None], format="flt", layout="mono"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return path


def people(corpus: dict) -> list:
    """PER_GENDER women and men of the corpus's population, from a seed it does not use."""
    shares, fractions = corpus["group_shares"], corpus["split_fractions"]
    drawn = draw_population(400, shares, fractions, corpus["link_strength"], seed=99)
    return [p for g in ("female", "male") for p in [q for q in drawn if q.gender == g][:PER_GENDER]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    models = parser.parse_args().models
    corpus = yaml.safe_load(PARAMS.read_text())["corpus"]["synthetic"]
    engine = corpus["held_out_engine"]
    voices = engines.voices(engine, held_out_from=corpus["engines"])
    chosen = people(corpus)
    sentences = load_sentences()
    right: dict[tuple[str, str], list[int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for i, person in enumerate(chosen):
            typical = {**person.voice, "size": 0.0, "jaw": 0.0, "pitch": 0.0}
            speaker = dataclasses.replace(person, age=35, voice=typical)
            speaker = dataclasses.replace(
                with_engine(speaker, engine, voices), engine_voice=voices[i % len(voices)]
            )
            clip = synthesize_clip(speaker, sentences[100 + i], speaker.clip_rng(0), RATE)
            line = resample_poly(degrade(clip[None], RATE, "telephone", seed=0)[0], 1, 2)
            stem = Path(folder) / f"{person.gender}{i}"
            files = {
                f"{engine} WAV": write_wav(stem.with_suffix(".wav"), clip, RATE),
                "telephone 8 kHz": write_wav(Path(f"{stem}_8k.wav"), line, RATE // 2),
                "Opus": write_opus(stem.with_suffix(".opus"), clip, RATE),
            }
            for kind, path in files.items():
                read = predict_face(path, models).attributes["gender"][0]
                counts = right.setdefault((kind, person.gender), [0, 0])
                counts[0] += read == person.gender
                counts[1] += 1
    print("| file | women read as women | men read as men |\n| --- | --- | --- |")
    for kind in dict.fromkeys(k for k, _ in right):
        cells = [f"{right[kind, g][0]} of {right[kind, g][1]}" for g in ("female", "male")]
        print(f"| {kind} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
