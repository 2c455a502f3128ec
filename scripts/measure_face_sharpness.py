"""How sharp real faces are to the ingest's blur gate, at the resolutions real sources have.

    .venv/bin/python scripts/measure_face_sharpness.py FACES_DIR [--limit N] [--out CSV]

FACES_DIR holds face photographs (JPEG or PNG), e.g. the original face frames of the paper's
supplementary AVSpeech clips (224 x 224; see reports/findings). Each is read as it is, then
degraded as real sources are: brought down to a face of 64, 48 or 32 px and blown up again
(an upscaled web photo or a low-resolution video, as many VoxCeleb frames are), or blurred
(Gaussian, and a horizontal motion smear). For each, HOG finds the face as the ingest does
(corpus.ingest.faces params), the 5 landmarks align the chip, and the gate's measure is taken:
`ingest.faces.sharpness` of the aligned chip. Prints, per degradation, how many faces HOG
finds, their scores, the measure's quantiles and the share that passes each candidate
threshold, for the confident finds (score >= 1) and for all.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageFilter

from speech2face.ingest.faces import aligned_face, choose, detect, sharpness
from speech2face.parallel import default_workers, parallel_map
from speech2face.params import FaceParams, ParamsError, load_section

CONFIDENT = 1.0  # a HOG score dlib's frontal detector gives clear, frontal faces
FACE_SHARE = 0.55  # a face's width as a share of a tight face photo (measured on finds)
THRESHOLDS = (0.0001, 0.0002, 0.0003, 0.0005)


def degraded(image: Image.Image, kind: str) -> Image.Image:
    """`image` as a source of kind `kind` would give it, at the same size."""
    if kind == "as is":
        return image
    if kind.startswith("face "):
        face_px = int(kind.split()[1])
        small = max(8, round(face_px / FACE_SHARE))
        shrunk = image.resize((small, small), Image.LANCZOS)
        return shrunk.resize(image.size, Image.BICUBIC)
    if kind.startswith("gaussian "):
        return image.filter(ImageFilter.GaussianBlur(float(kind.split()[1])))
    if kind.startswith("motion "):
        length = int(kind.split()[1])
        array = np.asarray(image, np.float32)
        smeared = sum(np.roll(array, shift, axis=1) for shift in range(length)) / length
        return Image.fromarray(np.clip(smeared, 0, 255).astype(np.uint8))
    raise ValueError(kind)


KINDS = ("as is", "face 64", "face 48", "face 32", "gaussian 2", "gaussian 4", "motion 9")


def measure(path: Path, params: FaceParams) -> list[dict]:
    """One row per degradation of the face photograph at `path` (the gate itself off)."""
    params = replace(params, min_sharpness=0.0)
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    rows = []
    for kind in KINDS:
        frame = np.ascontiguousarray(np.asarray(degraded(image, kind)))
        row = {"file": path.name, "kind": kind, "score": np.nan, "sharpness": np.nan}
        boxes = detect(frame, params)
        if boxes:
            box = choose(boxes, None, frame.shape, params)
            row["score"] = box.score
            row["sharpness"] = sharpness(aligned_face(frame, box, params))
        rows.append(row)
    return rows


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per degradation: finds, confident finds, the measure's quantiles, pass shares."""
    rows = []
    for kind in KINDS:
        part = table[table.kind == kind]
        found = part.dropna(subset=["score"])
        confident = found[found.score >= CONFIDENT]
        row = {
            "kind": kind,
            "faces": len(part),
            "found": len(found),
            f"score>={CONFIDENT:g}": len(confident),
            "median score": round(float(found.score.median()), 2) if len(found) else None,
        }
        for q in (0.05, 0.5):
            row[f"sharpness q{q:g}"] = float(found.sharpness.quantile(q)) if len(found) else None
        for threshold in THRESHOLDS:
            share = (confident.sharpness >= threshold).mean() if len(confident) else np.nan
            row[f"confident pass {threshold:g}"] = round(float(share), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="at most this many photographs")
    parser.add_argument("--out", type=Path, help="also write every measurement to this CSV")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    arguments = parser.parse_args()
    try:
        params = load_section(FaceParams, "corpus.ingest.faces", arguments.params)
    except ParamsError as error:
        print(error, file=sys.stderr)
        return 2
    files = sorted(p for p in arguments.faces.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    if not files:
        print(f"{arguments.faces}: no JPEG or PNG faces", file=sys.stderr)
        return 2
    files = files[: arguments.limit] if arguments.limit else files
    measured = parallel_map(
        partial(measure, params=params), files, default_workers(), "Measuring faces"
    )
    table = pd.DataFrame([row for rows in measured for row in rows])
    if arguments.out:
        table.to_csv(arguments.out, index=False)
    print(f"{len(files)} photographs from {arguments.faces}")
    print(summary(table).to_markdown(index=False, floatfmt=".5g"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
