"""Time `generate` and `preprocess` on the default params, run by hand:

    .venv/bin/python benchmarks/bench_corpus.py [--workers N] [--out /tmp/bench]

Prints a Markdown table (wall time and clips/s per stage) and the peak RSS of one process, for
benchmarks/README.md. Outputs go to a scratch folder, never to data/.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from speech2face.corpus.generate import generate
from speech2face.features.preprocess import preprocess
from speech2face.parallel import default_workers
from speech2face.params import GenerateParams, PreprocessParams, load_section
from speech2face.paths import PARAMS


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    scratch = args.out or Path(tempfile.mkdtemp(prefix="s2f-bench-"))
    generate_params = load_section(GenerateParams, "generate", PARAMS)
    preprocess_params = load_section(PreprocessParams, "preprocess", PARAMS)

    start = time.perf_counter()
    manifest = generate(generate_params, scratch / "raw", args.workers)
    generate_s = time.perf_counter() - start
    start = time.perf_counter()
    preprocess(scratch / "raw", scratch / "features", preprocess_params, args.workers)
    preprocess_s = time.perf_counter() - start

    clips = len(manifest)
    print("| stage | clips | workers | wall time (s) | clips/s | peak RSS per process (MiB) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for stage, seconds in (("generate", generate_s), ("preprocess", preprocess_s)):
        print(
            f"| {stage} | {clips} | {args.workers} | {seconds:.1f} | {clips / seconds:.1f} "
            f"| {peak_rss_mib():.0f} |"
        )
    if args.out is None:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
