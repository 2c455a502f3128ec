"""The team's services, real and throwaway: `speech2face server` (a PostgreSQL cluster and an
MLflow tracking server on 127.0.0.1) started once for the module that asks, stopped after it."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from speech2face.deploy.postgres import Cluster
from speech2face.network import free_port
from tests.tuning.conftest import tune_args  # noqa: F401  (a fixture the tuning test here uses)


@dataclass(frozen=True)
class TeamServer:
    tracking_uri: str
    optuna_url: str
    data: Path


def _stop(process: subprocess.Popen, data: Path) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert not Cluster(data / "postgres", 0).running()
    left = []
    for other in psutil.process_iter(["cmdline"]):
        try:
            if str(data) in " ".join(other.info["cmdline"] or []):
                left.append(other.info["cmdline"])
        except psutil.Error:
            continue
    assert not left, f"left running: {left}"


@pytest.fixture(scope="module")
def team_server() -> TeamServer:
    """`speech2face server` in a fresh data folder; checks at the end it left nothing running."""
    # Outside pytest's temporary root, which is closed to the postgres user the cluster runs as.
    with tempfile.TemporaryDirectory(prefix="s2f-team-") as folder:
        data = Path(folder)
        data.chmod(0o711)
        port, db_port = free_port(), free_port()
        program = str(Path(sys.executable).parent / "speech2face")
        command = [program, "server", "--data", str(data), "--port", str(port)]
        output = data / "server.out"
        with output.open("w") as log:
            process = subprocess.Popen(
                [*command, "--db-port", str(db_port)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 240
        while "Ctrl-C stops" not in output.read_text():
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, "the server did not start in 240 s"
            time.sleep(0.5)
        yield TeamServer(
            f"http://127.0.0.1:{port}",
            f"postgresql+psycopg://postgres@127.0.0.1:{db_port}/optuna",
            data,
        )
        _stop(process, data)
