"""Hyperparameter studies: `tune` runs one (or applies its result), `dashboard` shows them."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import Annotated

import typer

from speech2face import paths
from speech2face.cli.app import (
    EmbeddingsDir,
    FeaturesDir,
    ModelsDir,
    ParamsFile,
    app,
    console,
    path_option,
    user_errors,
)

TuneOut = Annotated[
    Path, path_option("--out", "Where best_params.yaml and the plots go.", "reports/tune")
]
Storage = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="The study's Optuna RDB URL (default: tune.storage, else SQLite mlruns/optuna.db).",
    ),
]


def _apply_command(out: Path, params_file: Path) -> str:
    """`speech2face tune --apply`, with the --out and --params this invocation was given."""
    words = ["speech2face", "tune", "--apply"]
    if out.resolve() != (paths.REPORTS / "tune").resolve():
        words += ["--out", str(out)]
    if params_file.resolve() != paths.PARAMS.resolve():
        words += ["--params", str(params_file)]
    return shlex.join(words)


@app.command("tune")
@user_errors
def tune_command(
    params_file: ParamsFile = paths.PARAMS,
    features: FeaturesDir = paths.FEATURES,
    embeddings: EmbeddingsDir = paths.EMBEDDINGS,
    models: ModelsDir = paths.MODELS,
    out: TuneOut = paths.REPORTS / "tune",
    storage: Storage = None,
    workers: Annotated[
        int, typer.Option("--workers", "-j", metavar="N", help="Trial processes on this machine.")
    ] = 1,
    n_trials: Annotated[
        int | None,
        typer.Option(metavar="N", help="Finished trials to reach (default: tune.n_trials)."),
    ] = None,
    max_epochs: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Epochs per trial (default: train_voice_encoder.trainer.max_epochs); a study "
            "keeps the value it started with, so give a new --study-name.",
        ),
    ] = None,
    study_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="The study (default: tune.study_name).")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Don't tune: write the best values into params.yaml.")
    ] = False,
    create_only: Annotated[
        bool,
        typer.Option(
            "--create-only",
            help="Don't tune: make the study, once, before workers on several machines start.",
        ),
    ] = False,
    trial: Annotated[
        int | None,
        typer.Option(metavar="N", help="With --apply: this trial's values (e.g. of the front)."),
    ] = None,
) -> None:
    """An Optuna study over the voice encoder's values (resumable, tracked)."""
    if apply:
        from speech2face.tuning import apply as tuned

        values = tuned.chosen(out / tuned.BEST_FILE, trial)
        tuned.apply_values(params_file, values)
        shown = ", ".join(f"{k}={tuned.yaml_value(v)}" for k, v in values.items())
        console.print(f"wrote train_voice_encoder {shown} into {params_file}; the same as:")
        typer.echo(tuned.exp_run_command(values))
        return
    from speech2face.params import TuneParams, VoiceEncoderParams, load_section
    from speech2face.tuning.stage import tune

    load_section(VoiceEncoderParams, "train_voice_encoder", params_file)  # the trials' base
    params = load_section(TuneParams, "tune", params_file)
    overrides = {"n_trials": n_trials, "study_name": study_name}
    params = dataclasses.replace(params, **{k: v for k, v in overrides.items() if v is not None})
    if create_only:
        from speech2face.tuning.stage import create

        console.print(create(params, params_file, storage, max_epochs), highlight=False)
        return
    folders = (features, embeddings, models, out)
    result = tune(params, params_file, *folders, storage, workers, console, max_epochs)
    best = result["best"]
    if best is None:
        console.print(f"no trial completed yet; see {out}")
        return
    values = ", ".join(f"{k} {v:.4g}" for k, v in best["values"].items())
    console.print(
        f"best: trial {best['trial']}, {values}; see {out / 'best_params.yaml'}, "
        f"and `{_apply_command(out, params_file)}` to use it"
    )


@app.command("dashboard")
@user_errors
def dashboard_command(
    params_file: ParamsFile = paths.PARAMS,
    storage: Storage = None,
    host: Annotated[str, typer.Option(metavar="HOST", help="The address to serve on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(metavar="PORT", help="The port to serve on.")] = 8080,
) -> None:
    """Browse the tuning studies in optuna-dashboard (Ctrl-C stops it)."""
    from speech2face.network import without_password
    from speech2face.params import TuneParams, load_section
    from speech2face.tuning.study import existing_storage, storage_url

    url = storage_url(load_section(TuneParams, "tune", params_file), storage, create=False)
    study_storage = existing_storage(url)
    shown = without_password(url)
    console.print(f"optuna-dashboard on {shown}: http://{host}:{port} (Ctrl-C stops it)")
    from optuna_dashboard import run_server

    run_server(study_storage, host=host, port=port)
