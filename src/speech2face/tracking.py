"""MLflow tracking: the project's store, one pipeline run per `dvc repro`, a nested run per stage.

The store is SQLite inside `mlruns/` with artifacts beside it, addressed by absolute paths of
the real project root (DVC experiments run in temporary copies under `.dvc/tmp/exps/`, whose
own `mlruns/` would be thrown away). `MLFLOW_TRACKING_URI` overrides it (e.g. a tracking
server on PostgreSQL).

Stages are separate processes, so the pipeline run of one `dvc repro` is found again by a tag:
the id of the `dvc` process that launched the stage (its pid and start time). A command run by
hand, outside DVC, gets a pipeline run of its own. Runs are named for what they ran: the DVC
experiment's name, else `pipeline <commit>`.

A trained model is traced to the run that trained it by the SHA-256 of its weights file (tag
`speech2face.model_sha256`), so nothing run-specific is written into DVC's outputs.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import yaml

from speech2face.paths import project_root

EXPERIMENT = "speech2face"
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}
INVOCATION_TAG = "speech2face.invocation"
KIND_TAG = "speech2face.kind"
MODEL_HASH_TAG = "speech2face.model_sha256"
# On an evaluated pipeline run: `speech2face.models.<kind>` names the run that trained <kind>,
# and `speech2face.evaluation` says whether `evaluate` ran in it ("ran") or DVC kept its
# committed reports, which the run then carries ("reused").
MODELS_TAG = "speech2face.models."
EVALUATION_TAG = "speech2face.evaluation"
# Set by `stage_runs_under`: the run that stage runs nest under instead of the pipeline run.
_PARENT_RUN: ContextVar[str | None] = ContextVar("parent_run", default=None)


def real_root() -> Path:
    """The project root, outside any temporary DVC experiment copy."""
    root = project_root().as_posix()
    return Path(root.split("/.dvc/tmp/exps/")[0])


def tracking_uri() -> str:
    """The store every command tracks to (MLflow is imported: each caller goes on to use it)."""
    _quiet_store_creation()
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    store = real_root() / "mlruns"
    store.mkdir(exist_ok=True)
    return f"sqlite:///{store / 'mlflow.db'}"


def _quiet_store_creation() -> None:
    """MLflow logs at INFO as it creates a new store's tables, lines a fresh project's first
    command would print before its own (an error's one line among them). Its import
    configures its loggers anew, so the level is set after it."""
    import mlflow  # noqa: F401

    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)


def artifact_location(uri: str) -> str | None:
    """Artifacts of a SQLite store go beside its database; a server keeps its own default."""
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").as_uri()
    return None


def invocation_id() -> str:
    """Who launched this process: the nearest `dvc` ancestor (pid and start time), else us."""
    import psutil

    process = psutil.Process()
    for ancestor in [process, *process.parents()]:
        try:
            program = [Path(part).name for part in ancestor.cmdline()[:2]]
        except psutil.Error:
            continue
        if "dvc" in program:
            return f"dvc-{ancestor.pid}-{ancestor.create_time():.0f}"
    return f"cli-{process.pid}-{process.create_time():.0f}"


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project_root(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def flat_params(path: Path) -> dict[str, str]:
    """Every value of params.yaml as `section.key.subkey` -> value (MLflow params)."""

    def walk(prefix: str, value) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            yield prefix, str(value)

    return dict(walk("", yaml.safe_load(Path(path).read_text())))


def _experiment_id(client, uri: str) -> str:
    """The project experiment's id, made on first use. It is marked as model training, so
    MLflow 3's UI opens it on its runs, not on its GenAI overview (traces, evaluations)."""
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return client.create_experiment(
            EXPERIMENT, artifact_location=artifact_location(uri), tags=EXPERIMENT_TAGS
        )
    for key, value in EXPERIMENT_TAGS.items():
        if experiment.tags.get(key) != value:
            client.set_experiment_tag(experiment.experiment_id, key, value)
    return experiment.experiment_id


def new_run(name: str, tags: dict[str, str], params_path: Path) -> str:
    """A new top-level run of the project experiment, tagged with the git commit (and the DVC
    experiment), with every params.yaml value as a param; returns its id."""
    uri = tracking_uri()
    client = _client(uri)
    tags, commit = dict(tags), git_commit()
    if commit:
        tags["mlflow.source.git.commit"] = commit
    for variable in ("DVC_EXP_NAME", "DVC_EXP_BASELINE_REV"):
        if os.environ.get(variable):
            tags[f"dvc.{variable[4:].lower()}"] = os.environ[variable]
    run = client.create_run(_experiment_id(client, uri), tags=tags, run_name=name)
    for key, value in flat_params(params_path).items():
        client.log_param(run.info.run_id, key, value)
    return run.info.run_id


def pipeline_run_id(params_path: Path) -> str:
    """The pipeline run of this `dvc repro` (created by its first tracked stage), or the run
    set by `stage_runs_under`."""
    if _PARENT_RUN.get():
        return _PARENT_RUN.get()
    uri = tracking_uri()
    client = _client(uri)
    invocation = invocation_id()
    found = client.search_runs(
        [_experiment_id(client, uri)],
        filter_string=f"tags.`{INVOCATION_TAG}` = '{invocation}'",
        max_results=1,
    )
    if found:
        return found[0].info.run_id
    return new_run(
        pipeline_run_name(), {INVOCATION_TAG: invocation, KIND_TAG: "pipeline"}, params_path
    )


def pipeline_run_name() -> str:
    """`pipeline <commit>`, or the DVC experiment's name with its commit: `wider (1a2b3c4)`."""
    commit = (git_commit() or "no commit")[:7]
    experiment = os.environ.get("DVC_EXP_NAME")
    return f"{experiment} ({commit})" if experiment else f"pipeline {commit}"


def client():
    """An MlflowClient on the project's store."""
    return _client(tracking_uri())


@functools.cache
def _client(uri: str):
    """One MlflowClient per store and process (each opens its store anew, ~0.5 s)."""
    from mlflow import MlflowClient

    return MlflowClient(uri)


def run_of_model(model_file: Path) -> str | None:
    """The id of the latest run that trained the weights in `model_file` (by their hash)."""
    from speech2face.files import sha256

    if not model_file.is_file():
        return None
    found = project_runs(f"tags.`{MODEL_HASH_TAG}` = '{sha256(model_file)}'", 1)
    return found[0].info.run_id if found else None


@contextmanager
def stage_runs_under(run_id: str) -> Iterator[None]:
    """Nest the stage runs opened inside under `run_id` (e.g. a tuning study's run), instead
    of under the invocation's pipeline run."""
    token = _PARENT_RUN.set(run_id)
    try:
        yield
    finally:
        _PARENT_RUN.reset(token)


# The ranks a launcher gives each process: torchrun's (RANK, GROUP_RANK), Lightning's own
# (NODE_RANK, LOCAL_RANK) and SLURM's srun (SLURM_PROCID).
RANK_VARIABLES = ("RANK", "GROUP_RANK", "NODE_RANK", "LOCAL_RANK", "SLURM_PROCID")


def is_global_zero() -> bool:
    """False in the extra processes a multi-GPU or multi-node (DDP) launch starts."""
    return all(int(os.environ.get(name, 0)) == 0 for name in RANK_VARIABLES)


@contextmanager
def pipeline_run(params_path: Path) -> Iterator[str | None]:
    """This invocation's pipeline run, active; yields its id (None off global zero)."""
    import mlflow

    if not is_global_zero():
        yield None
        return
    mlflow.set_tracking_uri(tracking_uri())
    with mlflow.start_run(run_id=pipeline_run_id(params_path)) as run:
        yield run.info.run_id


@contextmanager
def stage_run(stage: str, params_path: Path) -> Iterator[str | None]:
    """A run for one stage, nested in this invocation's pipeline run; yields its run id.

    Only the global-zero process tracks: the others of a DDP launch yield None.
    """
    import mlflow

    with pipeline_run(params_path) as parent:
        if parent is None:
            yield None
            return
        experiment = mlflow.get_run(parent).info.experiment_id
        with mlflow.start_run(run_name=stage, nested=True, experiment_id=experiment) as run:
            mlflow.set_tags({KIND_TAG: "stage", "speech2face.stage": stage})
            mlflow.log_params(flat_params(params_path))
            yield run.info.run_id


def experiment_page() -> str | None:
    """The project's runs view in a tracking server's UI (None for a local store, whose UI
    `speech2face ui` serves, or before the first run)."""
    uri = tracking_uri()
    return runs_page(uri) if uri.startswith(("http://", "https://")) else None


def runs_page(ui: str) -> str | None:
    """The project experiment's runs in the MLflow UI at `ui` (None before the first run).
    MLflow 3's UI shows every experiment as a GenAI one (traces) unless the page asks for its
    machine-learning view."""
    experiment = client().get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return None
    runs = f"#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning"
    return f"{ui.rstrip('/')}/{runs}"


def project_runs(filter_string: str, limit: int) -> list:
    """The project experiment's runs matching `filter_string`, newest first."""
    mlflow_client = client()
    experiment = mlflow_client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return []
    return mlflow_client.search_runs(
        [experiment.experiment_id],
        filter_string=filter_string,
        order_by=["attributes.start_time DESC"],
        max_results=limit,
    )


def latest_evaluated_run() -> str | None:
    """The id of the newest pipeline run that evaluated a set of models."""
    wanted = f"tags.`{KIND_TAG}` = 'pipeline' and tags.`{MODELS_TAG}voice_encoder` != ''"
    found = project_runs(wanted, 1)
    return found[0].info.run_id if found else None


def pipeline_runs(limit: int) -> list[dict[str, str]]:
    """The newest pipeline runs: when, id, name, status, commit and headline test metrics."""
    from datetime import datetime

    rows = []
    for run in project_runs(f"tags.`{KIND_TAG}` = 'pipeline'", limit):
        metrics, tags = run.data.metrics, run.data.tags
        started = datetime.fromtimestamp(run.info.start_time / 1000).strftime("%Y-%m-%d %H:%M")
        rows.append(
            {
                "started": started,
                "run_id": run.info.run_id,
                "name": run.info.run_name,
                "status": run.info.status,
                "commit": tags.get("mlflow.source.git.commit", "")[:7] or "-",
                "evaluated": _evaluated(tags),
                "recall@5": _shown(metrics.get("test/recall_at_5/overall")),
                "gender_agreement": _shown(metrics.get("test/gender_agreement/overall")),
            }
        )
    return rows


def _evaluated(tags: dict[str, str]) -> str:
    """yes (evaluate ran in the run), yes (reused: it carries the committed reports) or no."""
    if tags.get(EVALUATION_TAG) == "reused":
        return "yes (reused)"
    return "yes" if tags.get(f"{MODELS_TAG}voice_encoder") else "no"


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
