"""`speech2face docs`: render the figures the README and docs quote from the reports."""

from __future__ import annotations

from typing import Annotated

import typer

from speech2face import paths
from speech2face.cli.app import app, console, user_errors


@app.command("docs")
@user_errors
def docs_command(
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 naming the files that are stale."),
    ] = False,
) -> None:
    """Rewrite the figures blocks of README.md and docs/*.md from reports/."""
    from speech2face.docs_figures import rewrite, stale

    changed = stale(paths.ROOT) if check else rewrite(paths.ROOT)
    for path in changed:
        state = "stale" if check else "rewrote"
        console.print(f"{state}: {path.relative_to(paths.ROOT)}", highlight=False)
    if check and changed:
        console.print("run `speech2face docs` to render them from reports/", highlight=False)
        raise typer.Exit(1)
    if not changed:
        console.print("every figure is what reports/ gives", highlight=False)
