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
    reports: Annotated[
        Path, path_option("--reports", "Where the point's results go.", "reports/bias/point")
    ] = paths.REPORTS / "bias" / "point",
) -> None:
    """One point of a bias study (params.yaml's bias_point): train on its draw, measure."""
    from speech2face.bias.point import PointFolders, bias_point
    from speech2face.params import (
        BiasPointParams,
        EvaluateParams,
        VoiceEncoderParams,
        load_section,
    )

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
    name: Annotated[str, typer.Argument(help="share or mitigation (params.yaml's bias_study).")],
    params_file: ParamsFile = paths.PARAMS,
    out: Annotated[
        Path | None,
        path_option("--out", "Where the report goes.", "reports/bias/<name>"),
    ] = None,
) -> None:
    """A bias study: each point a DVC experiment and an MLflow run; then its report."""
    from speech2face.bias import report, study
    from speech2face.params import BiasStudyParams, load_section
    from speech2face.tracking import client

    if name not in study.STUDIES:
        raise typer.BadParameter(f"expected one of {sorted(study.STUDIES)}", param_hint="NAME")
    params = load_section(BiasStudyParams, "bias_study", params_file)
    points = study.STUDIES[name](params)
    root, started = paths.project_root(), time.monotonic()
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
    written = report.write_report(clips, out, f"Bias study: {name}", notes)
    tracking = client()
    for path in written:
        tracking.log_artifact(run_id, str(path))
    tracking.set_terminated(run_id)
    console.print(f"study {name}: {len(points)} points in {minutes:.1f} min; see {out}")
