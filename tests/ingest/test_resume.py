"""A killed ingest leaves no corpus, and its rerun resumes from the files already done."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from speech2face.ingest.run import work_folder
from tests.conftest import tiny_params
from tests.ingest import datasets
from tests.ingest.test_adapters import GATE


def command(source: Path, out: Path, params: Path) -> list[str]:
    cli = str(Path(sys.executable).parent / "speech2face")
    return [
        cli,
        "ingest",
        "videos",
        str(source),
        "--speaker-from-folder",
        "--params",
        str(params),
        "--out",
        str(out / "raw"),
        "--reports",
        str(out / "reports"),
        "-j",
        "1",
    ]


def test_killed_ingest_resumes_and_matches_a_clean_run(tmp_path):
    data = datasets.interview_folder(
        tmp_path / "src", 6, clips_per_speaker=2, labels=None, bad=False
    )
    params = tiny_params(tmp_path / "params.yaml", GATE)
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    results = work_folder(killed / "raw") / "results"
    process = subprocess.Popen(command(data.root, killed, params), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(results.glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "raw").exists()  # no half-written corpus
    done = {p: p.stat().st_mtime_ns for p in results.glob("*.json")}
    assert 3 <= len(done) < 12

    rerun = subprocess.run(command(data.root, killed, params), check=True, capture_output=True)
    assert f"reused the shards of {len(done)} of 12 files" in rerun.stderr.decode()
    subprocess.run(command(data.root, clean, params), check=True, capture_output=True)
    manifests = [(o / "raw" / "manifest.csv").read_bytes() for o in (killed, clean)]
    assert manifests[0] == manifests[1]
    assert len(list(results.glob("*.json"))) == 12  # kept: the next run reuses them
