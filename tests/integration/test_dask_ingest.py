"""`speech2face ingest` on a real Dask cluster (a `dask scheduler` and a `dask worker` on
127.0.0.1): the same corpus as the process pool, byte for byte, and shards reused on a rerun."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from speech2face.ingest.run import work_folder
from speech2face.network import free_port
from tests.conftest import tiny_params
from tests.ingest import datasets
from tests.ingest.test_adapters import GATE

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BIN = Path(sys.executable).parent


def ingest(source: Path, out: Path, params: Path, *options) -> str:
    command = [str(BIN / "speech2face"), "ingest", "videos", str(source), "--speaker-from-folder"]
    command += ["--params", str(params), "--out", str(out / "raw")]
    done = subprocess.run(
        [*command, "--reports", str(out / "reports"), *map(str, options)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and one worker process of one thread, as on two machines; stopped after."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (tmp_path / "dask.log").open("w")
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1"]
        + ["--host", "127.0.0.1", "--no-dashboard"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from distributed import Client

    deadline = time.monotonic() + 60
    with Client(address, timeout=60) as client:
        while not client.scheduler_info()["workers"]:
            assert time.monotonic() < deadline, (tmp_path / "dask.log").read_text()
            time.sleep(0.2)
    yield address
    for process in (worker, scheduler):
        process.terminate()
        process.wait(timeout=30)
    log.close()


def corpus_files(out: Path) -> dict[str, bytes]:
    raw = out / "raw"
    return {p.relative_to(raw).as_posix(): p.read_bytes() for p in raw.rglob("*") if p.is_file()}


def test_a_dask_cluster_makes_the_pool_s_corpus_and_reuses_shards(dask_cluster, tmp_path):
    data = datasets.interview_folder(
        tmp_path / "src", 5, clips_per_speaker=2, labels=None, bad=False
    )
    params = tiny_params(tmp_path / "params.yaml", GATE)
    speakers = sorted(p for p in data.root.iterdir() if p.is_dir())
    held_back = tmp_path / "later"
    shutil.move(speakers[-1], held_back)  # a speaker whose videos arrive later

    pool, dask = tmp_path / "pool", tmp_path / "dask"
    ingest(data.root, pool, params, "-j", 2)
    ingest(data.root, dask, params, "--scheduler", dask_cluster)
    assert corpus_files(dask) == corpus_files(pool)  # the manifest and every file

    shards = work_folder(dask / "raw") / "results"
    before = {p.name: p.stat().st_mtime_ns for p in shards.glob("*.json")}
    assert len(before) == 8  # one shard per video, kept for the next run
    shutil.move(held_back, speakers[-1])  # two videos added
    removed = next(speakers[0].iterdir())
    removed.unlink()  # one video gone
    said = ingest(data.root, dask, params, "--scheduler", dask_cluster)
    assert "reused the shards of 7 of 9 files" in said
    after = {p.name: p.stat().st_mtime_ns for p in shards.glob("*.json")}
    assert len(after) == 9
    assert all(after[name] == stamp for name, stamp in before.items() if name in after)

    shutil.rmtree(work_folder(pool / "raw"))  # the pool, afresh, on the changed folder
    ingest(data.root, pool, params, "-j", 2)
    assert corpus_files(dask) == corpus_files(pool)
