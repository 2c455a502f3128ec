"""The team's MLflow tracking server: runs in PostgreSQL, artifacts proxied from one folder.

`speech2face server` starts it on a cluster of its own in a data folder (or on a database
the lab already has) and keeps it in the foreground; Ctrl-C or SIGTERM stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from speech2face.deploy.postgres import Cluster
from speech2face.errors import InputError
from speech2face.network import without_password

DATABASES = ("mlflow", "optuna")  # the tracking store and the tuning studies' storage


def server_command(
    backend: str, artifacts: Path, host: str, port: int, allowed_hosts: str | None
) -> list[str]:
    """`mlflow server` on `backend` with artifacts proxied from `artifacts`, one worker."""
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "server",
        "--backend-store-uri", backend,
        "--artifacts-destination", artifacts.absolute().as_uri(),
        "--host", host,
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    if allowed_hosts:
        command += ["--allowed-hosts", allowed_hosts]
    return command


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float) -> float:
    """Seconds until `url`/health answers; InputError if the server exits or never answers."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            lines = log.read_text(errors="replace").strip().splitlines() or ["no output"]
            raise InputError(f"the MLflow server exited ({process.returncode}): {lines[-1]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise InputError(f"the MLflow server did not answer on {url} within {timeout:.0f} s; see {log}")


def check_database(url: str) -> None:
    """InputError in one line unless `url` is a PostgreSQL database that answers."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    if not url.startswith("postgresql"):
        raise InputError(
            f"--backend-store-uri {without_password(url)}: expected a PostgreSQL URL "
            "(postgresql+psycopg://USER:PASSWORD@HOST/DB)"
        )
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 10})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (ArgumentError, SQLAlchemyError, ImportError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise InputError(f"cannot reach the database {without_password(url)}: {reason}") from None


@contextmanager
def _database(data: Path, db_port: int, backend: str | None) -> Iterator[str]:
    """The backend URL: `backend` as given, else the cluster in `data/postgres`, started for
    the duration (its `mlflow` and `optuna` databases made on first use)."""
    if backend:
        check_database(backend)
        yield backend
        return
    cluster = Cluster(data / "postgres", db_port)
    cluster.start()
    try:
        for name in DATABASES:
            cluster.create_database(name)
        yield cluster.url("mlflow")
    finally:
        cluster.stop()


def serve(
    data: Path,
    host: str,
    port: int,
    db_port: int,
    backend: str | None,
    allowed_hosts: str | None,
    say=print,
) -> None:
    """Run the server until Ctrl-C or SIGTERM, then stop it and the cluster it started."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "artifacts").mkdir(exist_ok=True)
    started = time.monotonic()
    with _stopped_by_sigterm(), _database(data, db_port, backend) as url:
        command = server_command(url, data / "artifacts", host, port, allowed_hosts)
        address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        lines = [f"  export MLFLOW_TRACKING_URI={address}"]
        if not backend:
            optuna_url = Cluster(data / "postgres", db_port).url("optuna")
            lines.append(f"  tuning storage: speech2face tune --storage {optuna_url}")
        what = "the MLflow server" + ("" if backend else " and its database")
        in_foreground(command, address, data / "mlflow-server.log", started, lines, what, say)


def in_foreground(
    command: list[str], address: str, log: Path, started: float, lines: list[str], what: str, say
) -> None:
    """Run an MLflow server `command` answering at `address` until Ctrl-C (or SIGTERM under
    `_stopped_by_sigterm`); say when it is up and `lines`, then how to stop `what`."""
    # MLflow 3 otherwise starts a job runner: two dozen processes this project never uses.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=output, env=env, start_new_session=True
        )
    try:
        wait_until_up(address, process, log, timeout=300)
        say(f"MLflow server up in {time.monotonic() - started:.1f} s (log: {log})")
        for line in lines:
            say(line)
        say(f"Ctrl-C stops {what}")
        process.wait()
        raise InputError(f"the MLflow server exited ({process.returncode}); see {log}")
    except KeyboardInterrupt:
        say(f"stopping {what}")
    finally:
        _stop(process)


def serve_ui(backend: str, log: Path, port: int, say=print) -> None:
    """`mlflow ui` on the store `backend` (e.g. the project's SQLite one, artifacts beside it)
    on 127.0.0.1:`port` until Ctrl-C or SIGTERM; says the address of the project's runs."""
    from speech2face.tracking import runs_page

    started = time.monotonic()
    address = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "ui",
        "--backend-store-uri", backend,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    page = runs_page(address)
    line = f"  the project's runs: {page}" if page else "  no run yet: `make repro` makes one"
    with _stopped_by_sigterm():
        in_foreground(command, address, log, started, [line], "the UI", say)


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM stops the server as Ctrl-C does, while it runs (the handler is put back after:
    processes forked later must keep the default, or a blocked one would never end)."""

    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and every process it started (its own process group)."""
    for sent, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
