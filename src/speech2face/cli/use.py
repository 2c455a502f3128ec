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
    from speech2face.tracking import experiment_page, pipeline_runs, tracking_uri

    rows = pipeline_runs(limit)
    if not rows:
        console.print(f"no pipeline run in {tracking_uri()} yet: run `dvc repro` first")
        return
    columns = list(rows[0])
    cells = [columns] + [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
    page = experiment_page()
    if page:
        console.print(f"in the tracking server's UI: {page}", highlight=False)


@app.command("ui")
@user_errors
def ui_command(
    port: Annotated[int, typer.Option(metavar="PORT", help="The UI's port (127.0.0.1).")] = 5000,
) -> None:
    """The MLflow UI on the project's store, opened on its runs (Ctrl-C stops); against a
    tracking server (MLFLOW_TRACKING_URI=http...), the newest runs and the link to them."""
    from speech2face.deploy.tracking_server import serve_ui
    from speech2face.tracking import real_root, tracking_uri

    uri = tracking_uri()
    if uri.startswith(("http://", "https://")):
        runs_command(limit=5)
        return
    log = real_root() / "mlruns" / "mlflow-ui.log"
    serve_ui(uri, log, port, lambda line: console.print(line, highlight=False))


@app.command("serve")
@user_errors
def serve_command(
    model: Annotated[
        str,
        typer.Option(
            metavar="URI|DIR",
            help="An MLflow model URI (models:/speech2face@champion, models:/speech2face/3, "
            "runs:/ID/avatar) or a folder: the pipeline's models/ or a saved MLflow model.",
        ),
    ] = "models:/speech2face@champion",
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    max_upload_mb: Annotated[
        float, typer.Option(metavar="MB", help="Largest upload accepted (413 above).")
    ] = 10.0,
    max_seconds: Annotated[
        float, typer.Option(metavar="S", help="Longest decoded audio accepted (413 above).")
    ] = 30.0,
    slots: Annotated[int, typer.Option(metavar="N", help="Faces drawn at once.")] = 1,
    queue: Annotated[
        int, typer.Option(metavar="N", help="Requests waiting for a slot before 503.")
    ] = 16,
) -> None:
    """The avatar as a web service: a page to record or upload a voice, and POST /v1/faces.

    The model is loaded once at start: after the champion alias moves, restart to serve it.
    """
    import uvicorn

    from speech2face.service.app import create_app
    from speech2face.service.loading import load
    from speech2face.service.settings import Settings

    settings = Settings(
        model=model,
        max_upload_bytes=int(max_upload_mb * 2**20),
        max_seconds=max_seconds,
        inference_slots=slots,
        max_waiting=queue,
    )
    served = load(model)  # a model that does not load is one line here, not a traceback
    console.print(f"serving {served.version} on http://{host}:{port}/")
    uvicorn.run(create_app(settings, lambda _: served), host=host, port=port, log_level="info")
