"""Ingest speed and memory on 640x360 H.264 talking-face videos (results: benchmarks/README.md).

    .venv/bin/python benchmarks/bench_ingest.py --out /tmp/bench_ingest [--videos 24]

1. Builds `--videos` 12 s videos (one real face, Praat speech, H.264 at 25 fps) with the test
   fixtures' builders, and a 10x copy of the folder.
2. Runs `speech2face ingest videos` on an empty folder (the fixed cost: start, reports), then
   on each input with 2 workers and 1 worker: accepted segments per second, and the peak
   resident set so far (1x, then 10x input).
3. Times each step alone in this process (decode, speech, detection, alignment, labels) on the
   same files, and compares their sum with the 1-worker run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ingest.media import real_faces, speech, talking_video  # noqa: E402

SECONDS = 12.0
SIZE = (640, 360)


def build(folder: Path, count: int) -> None:
    faces = real_faces()
    for i in range(count):
        face = faces[i % len(faces)]
        talking_video(
            folder / f"talk_{i:03d}.mp4",
            seconds=SECONDS,
            faces=[(face, (SIZE[0] // 2, SIZE[1] // 2), 200)],
            audio=speech(i, SECONDS, female=i % 2 == 0),
            size=SIZE,
            fps=25,
            codec="libx264",
            seed=i,
        )


def copies(source: Path, folder: Path, times: int) -> None:
    for k in range(times):
        for path in sorted(source.glob("*.mp4")):
            target = folder / f"copy{k}" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def run_ingest(source: Path, out: Path, workers: int, *options: str) -> dict:
    """Wall time, accepted segments and peak RSS (largest process) of one ingest from scratch
    (`options`: more of the command's, e.g. --scheduler)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(ROOT / ".venv/bin/speech2face"), "ingest", "videos", str(source)]
    command += ["--out", str(out / "raw"), "--reports", str(out / "reports"), "-j", str(workers)]
    command += options
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    accepted = len((out / "raw" / "manifest.csv").read_text().splitlines()) - 1
    # ru_maxrss of children is a running maximum: runs go from the smallest input up
    return {"wall_s": wall, "accepted": accepted, "per_s": accepted / wall, "peak_rss_mib": rss}


def steps_alone(source: Path) -> dict[str, float]:
    """Seconds per step, each measured on its own over every file, in this process."""
    from speech2face.ingest import faces, media
    from speech2face.ingest import speech as vad
    from speech2face.ingest.estimate import estimate
    from speech2face.params import CorpusParams, load_section

    params = load_section(CorpusParams, "corpus", ROOT / "params.yaml").ingest
    files = sorted(source.rglob("*.mp4"))
    totals = dict.fromkeys(("decode", "speech", "detection", "alignment", "labels"), 0.0)
    # warm up the models (loading is counted once per worker in the real run, not per file)
    faces.detect(faces.np.zeros((64, 64, 3), faces.np.uint8), params.faces)
    for path in files:
        t = time.perf_counter()
        audio = media.read_audio(path)
        totals["decode"] += time.perf_counter() - t
        t = time.perf_counter()
        regions = vad.speech_regions(
            vad.speech_probabilities(audio), params.vad_threshold, params.max_pause_s
        )
        spans = vad.segments(regions, *params.segment_seconds)
        totals["speech"] += time.perf_counter() - t
        t = time.perf_counter()
        frames = media.frames_at(path, [(a + b) / 2 for a, b in spans])
        totals["decode"] += time.perf_counter() - t
        for frame in frames:
            t = time.perf_counter()
            box = faces.choose(faces.detect(frame, params.faces), None, frame.shape, params.faces)
            totals["detection"] += time.perf_counter() - t
            t = time.perf_counter()
            faces.aligned_face(frame, box, params.faces)
            totals["alignment"] += time.perf_counter() - t
            t = time.perf_counter()
            estimate(frame, box)
            totals["labels"] += time.perf_counter() - t
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--videos", type=int, default=24)
    args = parser.parse_args()
    source, tenfold = args.out / "videos", args.out / "videos_x10"
    if not source.exists():
        build(source, args.videos)
        copies(source, tenfold, 10)
    (args.out / "empty").mkdir(exist_ok=True)
    results = {"empty_folder": run_ingest(args.out / "empty", args.out / "run0", 1)}
    for name, folder in (("1x", source), ("10x", tenfold)):
        results[f"{name}_2_workers"] = run_ingest(folder, args.out / f"run_{name}_2", 2)
        results[f"{name}_1_worker"] = run_ingest(folder, args.out / f"run_{name}_1", 1)
        steps = steps_alone(folder)
        results[f"{name}_steps_alone_s"] = steps
        whole = results[f"{name}_1_worker"]["wall_s"]
        results[f"{name}_1_worker_over_sum_of_steps"] = whole / sum(steps.values())
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
