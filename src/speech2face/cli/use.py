"""Using what the pipeline made: a face from a voice, and the tracked runs to choose from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from speech2face import paths
from speech2face.cli.app import ModelsDir, app, console, user_errors


@app.command("predict")
@user_errors
def predict_command(
    audio: Annotated[
        Path,
        typer.Argument(
            metavar="AUDIO",
            help="A voice recording: WAV, FLAC, Ogg, MP3, Opus, AAC/M4A, or a video's sound.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="PNG", help="The face picture to write.")
    ],
    models: ModelsDir = paths.MODELS,
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id",
            metavar="ID",
            help="Use the models of this MLflow run instead ('latest': the newest evaluated "
            "pipeline run; `speech2face runs` lists them).",
        ),
    ] = None,
    attributes: Annotated[
        bool,
        typer.Option(
            "--attributes",
            help="Print what the classifier reads on the face (gender, age; ethnicity if trained).",
        ),
    ] = False,
    size: Annotated[
        int, typer.Option(metavar="PIXELS", help="Width and height of the picture.")
    ] = 256,
) -> None:
    """Picture the face behind a voice (voice encoder -> face decoder)."""
    from speech2face.predict import predict

    prediction = predict(audio, out, models, run_id, size)
    console.print(f"wrote {out}")
    if attributes:
        for name, (label, probability) in prediction.attributes.items():
            typer.echo(f"{name}: {label} ({probability:.0%})")
        typer.echo(f"age: {prediction.age:.0f}")


@app.command("runs")
@user_errors
def runs_command(
    limit: Annotated[int, typer.Option(metavar="N", help="How many runs, newest first.")] = 10,
) -> None:
    """The pipeline runs in the MLflow store, newest first."""
    from speech2face.tracking import pipeline_runs, tracking_uri

    rows = pipeline_runs(limit)
    if not rows:
        console.print(f"no pipeline run in {tracking_uri()} yet: run `dvc repro` first")
        return
    columns = list(rows[0])
    cells = [columns] + [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
