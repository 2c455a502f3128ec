"""The `speech2face` command line: one command per pipeline stage, and the tools around it.

Heavy libraries (torch, Great Expectations, Praat, MLflow) are imported inside the commands
that use them, so `speech2face --help` answers at once.
"""

from speech2face.cli import bias, corpus, docs, pipeline, studies, team, use  # noqa: F401
from speech2face.cli.app import app

__all__ = ["app"]
