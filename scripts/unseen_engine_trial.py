"""The gender the trained models read on voices of engines as they come, untouched.

Clips of Debian's `flite` (its voices as shipped) and of the `espeak-ng` command line (female
and male variants) are written to a temporary folder, each clip's intended gender checked by
its median F0, and `predict` reads each. Prints a table of voices read as their gender.

    .venv/bin/python scripts/unseen_engine_trial.py [--models models]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import parselmouth
from parselmouth.praat import call

from speech2face.audio import load_mono
from speech2face.predict import predict_face

SENTENCES = (
    "The small boat drifted slowly past the quiet harbour at dawn.",
    "Please bring the blue folder to the meeting on Thursday.",
    "Nobody knew where the old map had been hidden all these years.",
)
FLITE = {"slt": "female", "kal16": "male", "awb": "male", "rms": "male"}
ESPEAK = {
    **{f"en-us+f{i}": "female" for i in range(1, 6)},
    **{f"en-us+m{i}": "male" for i in range(1, 6)},
}


def _flite(voice: str, text: str, path: Path) -> None:
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)


def _espeak(voice: str, text: str, path: Path) -> None:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)


def _f0(path: Path) -> float:
    samples = load_mono(path, 16000).astype(np.float64)
    pitch = call(parselmouth.Sound(samples, 16000), "To Pitch", 0.01, 60, 500)
    values = pitch.selected_array["frequency"]
    return float(np.median(values[values > 0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    models = parser.parse_args().models
    counts: dict[tuple[str, str], list[int]] = {}
    f0s: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for engine, voices, speak in (("flite", FLITE, _flite), ("espeak-ng", ESPEAK, _espeak)):
            for voice, gender in voices.items():
                for i, text in enumerate(SENTENCES):
                    path = Path(folder) / f"{engine}_{voice}_{i}.wav"
                    speak(voice, text, path)
                    f0 = _f0(path)
                    if (gender == "female") != (f0 > 160):  # not the gender it means
                        print(f"skipped {path.name}: median F0 {f0:.0f} Hz")
                        continue
                    f0s.setdefault((engine, gender), []).append(f0)
                    read = predict_face(path, models).attributes["gender"][0]
                    counts.setdefault((engine, gender), [0, 0])
                    counts[engine, gender][0] += read == gender
                    counts[engine, gender][1] += 1
    print("| engine | women's voices read as women (F0) | men's voices read as men (F0) |")
    print("| --- | --- | --- |")
    for engine in ("flite", "espeak-ng"):
        cells = [
            f"{counts[engine, g][0]} of {counts[engine, g][1]} "
            f"({min(f0s[engine, g]):.0f}-{max(f0s[engine, g]):.0f} Hz)"
            for g in ("female", "male")
        ]
        print(f"| {engine} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
