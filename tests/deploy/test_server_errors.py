"""`speech2face server` refuses what cannot work in one line, before starting anything."""

import os
import signal

import pytest

from speech2face.network import free_port
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("sqlite:///mlflow.db", "--backend-store-uri sqlite:///mlflow.db: expected a PostgreSQL"),
        (
            "postgresql+psycopg://someone:secret@127.0.0.1:{port}/mlflow",
            "cannot reach the database postgresql+psycopg://someone:***@127.0.0.1:",
        ),
    ],
)
def test_a_database_that_cannot_serve_is_one_line(tmp_path, backend, message):
    url = backend.format(port=free_port())  # nothing listens there
    handler = signal.getsignal(signal.SIGTERM)
    result = run_cli("server", "--data", tmp_path / "server", "--backend-store-uri", url)
    assert result.exit_code == 2
    assert message in result.output and "secret" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    # Given back: a process pool forked later by the same process must still die on SIGTERM.
    assert signal.getsignal(signal.SIGTERM) == handler


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the cluster as another user")
def test_a_folder_the_postgres_user_cannot_reach_is_one_line(tmp_path):
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    result = run_cli("server", "--data", closed / "server", "--port", free_port())
    assert result.exit_code == 2
    assert "the postgres user cannot write here" in result.output
    assert not (closed / "server" / "postgres" / "data").exists()  # nothing was made
