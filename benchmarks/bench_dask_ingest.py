"""Ingest on a Dask cluster against the process pool (results: benchmarks/README.md).

    .venv/bin/python benchmarks/bench_dask_ingest.py --out /tmp/bench_dask [--videos 48 --copies 4]

Builds `--videos` 12 s talking-face videos (640x360 H.264, as bench_ingest.py) and a folder of
`--copies` copies of them, then ingests that from scratch, side by side in one run, with 2
processes each:
1. the process pool (`-j 2`);
2. `--scheduler local -j 2` (a Dask LocalCluster started for the call);
3. `--scheduler tcp://…`, a `dask scheduler` and a `dask worker --nworkers 2` started first
   (as on other machines; their start is not timed).
Accepted segments per second (start-up included), and whether the manifests are identical.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import ROOT, build, copies, run_ingest  # noqa: E402

BIN = ROOT / ".venv" / "bin"


def start_cluster(port: int) -> list[subprocess.Popen]:
    scheduler = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
    worker = [str(BIN / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2"]
    worker += ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
    processes = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in (scheduler, worker)
    ]
    from distributed import Client

    with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    return processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--videos", type=int, default=48)
    parser.add_argument("--copies", type=int, default=4, help="the folder ingested: N copies")
    args = parser.parse_args()
    videos, source = args.out / "videos", args.out / f"videos_x{args.copies}"
    if not videos.exists():
        build(videos, args.videos)
    if not source.exists():
        copies(videos, source, args.copies)
    sys.path.insert(0, str(ROOT / "src"))
    from speech2face.network import free_port

    port = free_port()
    cluster = start_cluster(port)
    try:
        runs = {
            "process pool": run_ingest(source, args.out / "pool", 2),
            "dask local": run_ingest(source, args.out / "local", 2, "--scheduler", "local"),
            "dask tcp": run_ingest(
                source, args.out / "tcp", 2, "--scheduler", f"tcp://127.0.0.1:{port}"
            ),
        }
    finally:
        for process in cluster:
            process.terminate()
            process.wait(timeout=30)
    manifests = {
        name: (args.out / folder / "raw" / "manifest.csv").read_bytes()
        for name, folder in (("process pool", "pool"), ("dask local", "local"), ("dask tcp", "tcp"))
    }
    pool = runs["process pool"]["per_s"]
    for name, run in runs.items():
        same = manifests[name] == manifests["process pool"]
        print(
            f"{name}: {run['accepted']} segments in {run['wall_s']:.1f} s, "
            f"{run['per_s']:.2f}/s ({run['per_s'] / pool:.2f} of the pool's); "
            f"manifest identical to the pool's: {same}"
        )


if __name__ == "__main__":
    main()
