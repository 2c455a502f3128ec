"""The team's shared services: `server` runs the MLflow tracking server on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from speech2face.cli.app import app, console, user_errors


@app.command("server")
@user_errors
def server_command(
    data: Annotated[
        Path,
        typer.Option(
            metavar="DIR",
            help="The server's folder: its PostgreSQL cluster (made on first start), the "
            "artifacts and the server log.",
        ),
    ] = Path("server-data"),
    host: Annotated[str, typer.Option(metavar="HOST", help="The address to serve on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(metavar="PORT", help="The server's port.")] = 5000,
    db_port: Annotated[
        int, typer.Option(metavar="PORT", help="The port of the cluster in DIR (127.0.0.1).")
    ] = 5433,
    backend_store_uri: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="A PostgreSQL database the lab already runs "
            "(postgresql+psycopg://USER:PASSWORD@HOST/DB), instead of the cluster in DIR.",
        ),
    ] = None,
    allowed_hosts: Annotated[
        str | None,
        typer.Option(
            metavar="HOSTS",
            help="With --host 0.0.0.0: the host names other machines use (e.g. lab-box:5000).",
        ),
    ] = None,
) -> None:
    """The team's MLflow tracking server: PostgreSQL-backed, artifacts proxied (Ctrl-C stops)."""
    from speech2face.deploy.tracking_server import serve

    serve(
        data.absolute(),
        host,
        port,
        db_port,
        backend_store_uri,
        allowed_hosts,
        lambda line: console.print(line, highlight=False),
    )
