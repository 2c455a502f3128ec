"""The bias studies' commands: the pool's stages, one point's stage, and `study <name>`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from speech2face import paths
from speech2face.cli.app import (
    ModelsDir,
    ParamsFile,
    Workers,
    app,
    console,
    path_option,
    user_errors,
    workers_count,
)

POOL = paths.ROOT / "data" / "bias"
PoolDir = Annotated[Path, path_option("--pool", "The study pool's folder.", "data/bias")]
ReportsDir = Annotated[
    Path, path_option("--reports", "Where the results go.", "reports/bias/<stage's study>")
]


@app.command("bias_pool")
@user_errors
def bias_pool_command(
    params_file: ParamsFile = paths.PARAMS, pool: PoolDir = POOL, workers: Workers = 0
) -> None:
    """The bias studies' speakers (params.yaml's bias_pool), generated into <pool>/raw."""
    from speech2face.corpus.generate import generate
    from speech2face.params import GenerateParams, load_section

    params = load_section(GenerateParams, "bias_pool", params_file)
    manifest = generate(params, pool / "raw", workers_count(workers))
    console.print(f"wrote {len(manifest)} clips of {params.n_speakers} speakers to {pool / 'raw'}")


@app.command("bias_accents")
@user_errors
def bias_accents_command(
    params_file: ParamsFile = paths.PARAMS, pool: PoolDir = POOL, workers: Workers = 0
) -> None:
    """The pool's test clips spoken again in each accent (params.yaml's bias_accents), into
    <pool>/accents/raw."""
    from speech2face.bias.accents import generate_accents
    from speech2face.bias.params import AccentSwapParams
    from speech2face.params import GenerateParams, load_section

    params = load_section(GenerateParams, "bias_pool", params_file)
    swap = load_section(AccentSwapParams, "bias_accents", params_file)
    out = pool / "accents" / "raw"
    manifest = generate_accents(params, swap, pool / "raw", out, workers_count(workers))
    console.print(f"wrote {len(manifest)} clips in {len(swap.accents)} accents to {out}")


@app.command("bias_accent")
@user_errors
def bias_accent_command(
    params_file: ParamsFile = paths.PARAMS,
    pool: PoolDir = POOL,
    models: ModelsDir = paths.MODELS,
    reports: ReportsDir = paths.REPORTS / "bias" / "accent",
) -> None:
    """The accent study's measure: what each accent alone does to the drawn face."""
    from speech2face.bias.accent_stage import accent_stage
    from speech2face.params import EvaluateParams, load_section

    evaluation = load_section(EvaluateParams, "evaluate", params_file)
    metrics = accent_stage(models, pool, reports, evaluation, params_file)
    moved = metrics["ethnicity"]
    console.print(
        f"ethnicity: {moved['shifts_beyond_interval']} of {moved['shifts_tested']} accent shifts "
        f"exclude 0; see {reports / 'report.md'}"
    )


@app.command("bias_embeddings")
@user_errors
def bias_embeddings_command(pool: PoolDir = POOL, models: ModelsDir = paths.MODELS) -> None:
    """The pool's face embeddings, by the pipeline's face encoder, into <pool>/embeddings."""
    from speech2face.training import networks
    from speech2face.training.train_face_encoder import write_embeddings

    encoder = models / "face_encoder"
    net = networks.load(encoder).eval()
    size = networks.config(encoder)["image_size"]
    write_embeddings(net, size, pool / "features", pool / "embeddings")
    console.print(f"wrote the face embeddings of {pool / 'features'} to {pool / 'embeddings'}")


@app.command("bias_point")
@user_errors
def bias_point_command(
    params_file: ParamsFile = paths.PARAMS,
    pool: PoolDir = POOL,
    models: ModelsDir = paths.MODELS,
    reports: ReportsDir = paths.REPORTS / "bias" / "point",
) -> None:
    """One point of a bias study (params.yaml's bias_point): train on its draw, measure."""
    from speech2face.bias.params import BiasPointParams
    from speech2face.bias.point import PointFolders, bias_point
    from speech2face.params import EvaluateParams, VoiceEncoderParams, load_section

    point = load_section(BiasPointParams, "bias_point", params_file)
    voice = load_section(VoiceEncoderParams, "train_voice_encoder", params_file)
    evaluation = load_section(EvaluateParams, "evaluate", params_file)
    folders = PointFolders(
        pool / "raw", pool / "features", pool / "embeddings", models, models / "bias_point", reports
    )
    result = bias_point(point, voice, evaluation, folders, params_file)
    values = result["voice"]["ethnicity_agreement"]
    console.print(
        f"ethnicity agreement {values['overall']:.3f}, {point.group} {values[point.group]:.3f}; "
        f"see {reports}"
    )


@app.command("study")
@user_errors
def study_command(
    name: Annotated[
        str, typer.Argument(help="share or mitigation (params.yaml's bias_study), or accent.")
    ],
    params_file: ParamsFile = paths.PARAMS,
    out: Annotated[
        Path | None,
        path_option("--out", "Where the report goes (share, mitigation).", "reports/bias/<name>"),
    ] = None,
) -> None:
    """A bias study: each point a DVC experiment and an MLflow run; then its report. The
    accent study is the stages of bias/dvc.yaml up to bias_accent, run with dvc repro."""
    from speech2face.bias import study
    from speech2face.tracking import client

    if name not in (*study.STUDIES, study.ACCENT):
        choices = sorted([*study.STUDIES, study.ACCENT])
        raise typer.BadParameter(f"expected one of {choices}", param_hint="NAME")
    if name == study.ACCENT and out is not None:
        raise typer.BadParameter("the accent study writes where bias/dvc.yaml says", "--out")
    root, started = paths.project_root(), time.monotonic()
    if name == study.ACCENT:
        run_id, written = study.run_accent(root, params_file), study.accent_reports(root)
        out = root / study.ACCENT_REPORTS
    else:
        run_id, written = _point_study(name, params_file, out, started)
        out = out or paths.REPORTS / "bias" / name
    tracking = client()
    for path in written:
        tracking.log_artifact(run_id, str(path))
    tracking.set_terminated(run_id)
    console.print(f"study {name}: {(time.monotonic() - started) / 60:.1f} min; see {out}")


def _point_study(name: str, params_file: Path, out: Path | None, started: float):
    """Run a study of points and write its report; returns its MLflow run and the files."""
    from speech2face.bias import report, study
    from speech2face.bias.params import BiasStudyParams
    from speech2face.params import load_section

    params = load_section(BiasStudyParams, "bias_study", params_file)
    points = study.STUDIES[name](params)
    root = paths.project_root()
    baseline, run_id = study.run_points(name, points, root, params_file, console)
    clips = study.point_clips(root, baseline, points)
    minutes = (time.monotonic() - started) / 60
    notes = [
        f"{len(points)} points (DVC experiments of commit {baseline[:7]}), seeds "
        f"{', '.join(map(str, params.seeds))}; the points' runs took "
        f"{study.points_minutes(run_id):.1f} min together, this invocation {minutes:.1f} min.",
        f"Command: `speech2face study {name}`; MLflow run {run_id}.",
    ]
    out = out or paths.REPORTS / "bias" / name
    return run_id, report.write_report(clips, out, f"Bias study: {name}", notes)
