"""The team's setup for real, on 127.0.0.1: training stages and a tuning study of two
"machines" (processes) tracked by `speech2face server` (MLflow on PostgreSQL), the study on
PostgreSQL itself, one machine killed mid-trial."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import optuna
import pytest

from tests.conftest import run_cli, run_evaluate
from tests.integration.mlflow_ui import assert_runs_view_shows_per_group_columns
from tests.tuning.conftest import tune_params

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def tracked_by(team_server, monkeypatch):
    """Every MLflow call of this test goes to the team server."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", team_server.tracking_uri)
    yield mlflow.MlflowClient(team_server.tracking_uri)
    monkeypatch.undo()
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI"))  # the session's store again


@pytest.fixture(scope="module")
def tracked_stages(trained, tiny_raw, team_server, tmp_path_factory) -> list:
    """Two training stages and `evaluate` run once for the module against the team server, as
    one invocation: their stage runs (those nested in a pipeline run, not in a tuning trial)."""
    root, common = trained
    folder = tmp_path_factory.mktemp("tracked")
    for name in ("models", "embeddings"):
        shutil.copytree(root / name, folder / name)
    here = [*common[:2], *common[2:4], "--models", folder / "models"]
    here += ["--embeddings", folder / "embeddings", "--metrics", folder / "metrics"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", team_server.tracking_uri)
        for stage in ("train_face_decoder", "train_voice_encoder"):
            result = run_cli(stage, *here, *common[-2:])
            assert result.exit_code == 0, result.output
        result = run_evaluate((folder, common), tiny_raw, folder / "reports")
        assert result.exit_code == 0, result.output
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI"))  # the session's store again
    client = mlflow.MlflowClient(team_server.tracking_uri)
    experiment = client.get_experiment_by_name("speech2face")
    stages = client.search_runs(
        [experiment.experiment_id], filter_string="tags.`speech2face.kind` = 'stage'"
    )
    kind = {
        r.info.run_id: r.data.tags.get("speech2face.kind")
        for r in client.search_runs([experiment.experiment_id])
    }
    return [r for r in stages if kind.get(r.data.tags["mlflow.parentRunId"]) == "pipeline"]


def test_stages_track_into_the_team_server_with_proxied_artifacts(
    tracked_stages, team_server, tracked_by
):
    client, stages = tracked_by, tracked_stages
    experiment = client.get_experiment_by_name("speech2face")
    assert {run.info.run_name for run in stages} == {"train_face_decoder", "train_voice_encoder"}
    parents = {run.data.tags["mlflow.parentRunId"] for run in stages}
    assert len(parents) == 1  # one pipeline run of this invocation, the stages nested in it
    pipeline = client.get_run(parents.pop())
    assert pipeline.data.tags["speech2face.kind"] == "pipeline"
    assert "test/recall_at_5/gender/female/ci_low" in pipeline.data.metrics  # by evaluate
    for run in stages:
        assert run.info.status == "FINISHED"
        assert any(key.startswith("final/") for key in run.data.metrics)
        assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # proxied by the server
    models = client.search_logged_models([experiment.experiment_id])
    assert {model.name for model in models} >= {"face_decoder", "voice_encoder"}
    stored = list((team_server.data / "artifacts").rglob("MLmodel"))
    assert len(stored) >= 2  # the server wrote them; the client never touched the store

    listed = run_cli("runs")
    assert listed.exit_code == 0, listed.output
    assert pipeline.info.run_id in listed.output


def _machine(args: list, log: Path, tracking_uri: str) -> subprocess.Popen:
    """`speech2face tune` as another machine would run it: its own process, the same URLs."""
    program = str(Path(sys.executable).parent / "speech2face")
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
    with log.open("w") as output:
        return subprocess.Popen(
            [program, "tune", *map(str, args)], stdout=output, stderr=subprocess.STDOUT, env=env
        )


def _running_trial_of(storage: str, pid: int) -> int | None:
    try:
        study = optuna.load_study(study_name="voice_encoder", storage=storage)
    except KeyError:
        return None
    prefix = f"{socket.gethostname()}:{pid}:"
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if trial.user_attrs.get("worker", "").startswith(prefix) and (
            "mlflow_run_id" in trial.user_attrs  # its training has started
        ):
            return trial.number
    return None


def test_two_machines_share_a_postgresql_study_and_a_killed_ones_trial_is_retried(
    tune_args, team_server, tracked_by, tmp_path
):
    _, args = tune_args
    storage = team_server.optuna_url
    args = [*args[:-1], storage]  # --storage: the server's PostgreSQL
    beat = {"interval_seconds": 1, "grace_seconds": 3, "retries": 1}
    params = tune_params(tmp_path / "params.yaml", n_trials=4, heartbeat=beat)
    created = run_cli("tune", *args, "--params", params, "--create-only")
    assert created.exit_code == 0, created.output
    assert "study voice_encoder is ready in postgresql+psycopg://" in created.output

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    command = [*args, "--params", params]
    survivor = _machine(command, tmp_path / "a.log", team_server.tracking_uri)
    doomed = _machine(command, tmp_path / "b.log", team_server.tracking_uri)
    deadline = time.monotonic() + 240
    while (killed := _running_trial_of(storage, doomed.pid)) is None:
        assert doomed.poll() is None, (tmp_path / "b.log").read_text()
        assert time.monotonic() < deadline, "the second machine never started a trial"
        time.sleep(0.3)
    doomed.send_signal(signal.SIGKILL)  # a machine lost: no clean-up at all
    doomed.wait()
    assert survivor.wait(timeout=600) == 0, (tmp_path / "a.log").read_text()

    trials = optuna.load_study(study_name="voice_encoder", storage=storage).trials
    states = {trial.number: trial.state.name for trial in trials}
    assert states[killed] == "FAIL"  # by its silent heartbeat: the survivor is another host
    assert sum(state == "COMPLETE" for state in states.values()) == 4  # exact, not per worker
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retried) == 1 and retried[0].state.name == "COMPLETE"
    assert retried[0].params == trials[killed].params

    client = tracked_by
    for trial in trials:
        if trial.state.name == "COMPLETE":
            run = client.get_run(trial.user_attrs["mlflow_run_id"])
            assert run.data.tags["optuna.trial_number"] == str(trial.number)
            assert run.data.metrics["tune/val_recall_at_5"] == trial.value
    experiment = client.get_experiment_by_name("speech2face").experiment_id
    tunes = client.search_runs([experiment], filter_string="tags.`speech2face.kind` = 'tune'")
    assert len(tunes) == 2  # one per machine; the killed one's ended by the survivor
    assert sorted(run.info.status for run in tunes) == ["FAILED", "FINISHED"]
    lost = client.get_run(trials[killed].user_attrs["mlflow_run_id"])
    assert lost.info.status == "FAILED" and lost.data.tags["optuna.trial_state"] == "FAIL"


def test_the_team_ui_opens_the_project_experiment_on_its_runs(
    tracked_stages, team_server, tracked_by, tmp_path
):
    """MLflow 3 opens an experiment on its GenAI view (traces); the link `make ui` (and
    `speech2face runs`) prints against a server opens the project's on its runs, the pipeline
    run among them, and its Columns finds the per-group metrics `evaluate` logged."""
    experiment = tracked_by.get_experiment_by_name("speech2face")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    listed = run_cli("ui")  # what `make ui` prints against a server
    runs = f"#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning"
    page_url = f"{team_server.tracking_uri}/{runs}"
    assert f"in the tracking server's UI: {page_url}" in listed.output
    pipeline = tracked_by.get_run(tracked_stages[0].data.tags["mlflow.parentRunId"])
    screenshot = tmp_path / "experiment.png"
    assert_runs_view_shows_per_group_columns(page_url, pipeline.info.run_name, screenshot)
