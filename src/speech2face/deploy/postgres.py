"""A PostgreSQL cluster of Debian's packages in a folder of its own, on 127.0.0.1.

The cluster is made on first start (`initdb`, trust authentication for local connections) and
found again afterwards, so its databases outlive a restart. Run as root, every server command
runs as the `postgres` user, which owns the cluster's folder (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from speech2face.errors import InputError

PACKAGES_HINT = "install Debian's postgresql (make server installs it)"


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise InputError(f"no PostgreSQL server found in /usr/lib/postgresql: {PACKAGES_HINT}")
    return found[-1].parent


def _as_owner() -> list[str]:
    """The prefix that runs a server command as the cluster's owner: `postgres` under root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass(frozen=True)
class Cluster:
    """The cluster in `folder` (its data in `folder/data`), listening on 127.0.0.1:`port`."""

    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` (psycopg 3)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*_as_owner(), *command], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if done.returncode:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            raise InputError(f"{Path(command[0]).name} failed for {self.folder}: {lines[-1]}")
        return done

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            reachable = subprocess.run(
                ["runuser", "-u", "postgres", "--", "test", "-w", self.folder]
            )
            if reachable.returncode:
                raise InputError(
                    f"{self.folder}: the postgres user cannot write here (a parent folder is "
                    "closed to it, e.g. root's home); choose a folder under /var/tmp or /srv"
                )

    def start(self) -> None:
        """Make the cluster if the folder has none, then start it and wait until it answers."""
        bin_folder = binaries()
        self._prepare_folder()
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(bin_folder / "initdb"), "-D", str(self.data), "-U", "postgres",
                "-A", "trust", "-E", "UTF8", "--no-sync",
            )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
        self._run(
            str(bin_folder / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the cluster (fast: open sessions are ended); nothing when it is not running."""
        if self.running():
            self._run(str(binaries() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        status = subprocess.run(
            [*_as_owner(), str(binaries() / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        return status.returncode == 0

    def create_database(self, name: str) -> None:
        """Create `name` unless it exists."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
