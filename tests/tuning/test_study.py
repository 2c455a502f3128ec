"""Studies on the tiny corpus: pruning, MLflow runs, resuming a killed study, two workers."""

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
import yaml

from speech2face.errors import InputError
from speech2face.params import TuneParams, load_section
from speech2face.tuning.study import check_resumable, is_gone, open_study, worker_id
from tests.conftest import run_cli
from tests.tuning.conftest import LR, NO_PRUNING, trials, tune_params

FAIR = ["val_recall_at_5", "val_worst_group_recall_at_5"]


def test_trials_complete_or_are_pruned_and_each_is_a_nested_mlflow_run(tune_args, tmp_path):
    storage, args = tune_args
    # A threshold no recall reaches, checked from epoch 1: trials of two epochs are pruned
    # there, trials of one epoch complete.
    pruner = {"kind": "threshold", "startup_trials": 0, "warmup_epochs": 1, "threshold": 1.1}
    space = {**LR, "trainer.max_epochs": {"choices": [1, 2]}}
    params = tune_params(tmp_path / "params.yaml", n_trials=6, pruner=pruner, space=space)
    result = run_cli("tune", *args, "--params", params)
    assert result.exit_code == 0, result.output

    done = trials(storage)
    complete = [t for t in done if t.state.name == "COMPLETE"]
    pruned = [t for t in done if t.state.name == "PRUNED"]
    assert len(done) == 6 and complete and pruned and len(complete) + len(pruned) == 6
    assert all(t.params["trainer.max_epochs"] == 1 for t in complete)
    assert all(max(t.intermediate_values) == 1 for t in pruned)
    for trial in done:
        assert f"trial {trial.number} " in result.output  # one line per trial

    client = mlflow.MlflowClient()
    runs = {t.number: client.get_run(t.user_attrs["mlflow_run_id"]) for t in done}
    parents = {run.data.tags["mlflow.parentRunId"] for run in runs.values()}
    assert len(parents) == 1  # one run for the invocation, a nested run per trial
    parent = client.get_run(parents.pop())
    assert parent.data.tags["speech2face.kind"] == "tune"
    assert parent.data.tags["optuna.study_name"] == "voice_encoder"
    assert parent.info.status == "FINISHED"
    for trial in done:
        run = runs[trial.number]
        assert run.data.tags["optuna.trial_number"] == str(trial.number)
        assert float(run.data.params["train_voice_encoder.lr"]) == trial.params["lr"]
        epochs = client.get_metric_history(run.info.run_id, "val/recall_at_5")
        assert len(epochs) >= len(trial.intermediate_values)  # the per-epoch value
        if trial in complete:
            assert run.data.metrics["tune/val_recall_at_5"] == trial.value
            assert run.info.status == "FINISHED"
        else:
            assert run.data.tags["optuna.trial_state"] == "PRUNED"
            assert run.info.status == "KILLED"

    best = yaml.safe_load((tmp_path / "tune" / "best_params.yaml").read_text())
    assert best["best"]["trial"] in [t.number for t in complete]
    assert best["best"]["command"].startswith("dvc exp run -S train_voice_encoder.lr=")
    assert (tmp_path / "tune" / "optimization_history.png").exists()
    assert (tmp_path / "tune" / "param_importances.png").exists()


def _killable(storage: str) -> bool:
    """A trial completed, and the next one is running in a worker that said who it is."""
    try:
        found = trials(storage)
    except KeyError:  # no study yet
        return False
    running = [t for t in found if t.state.name == "RUNNING" and "mlflow_run_id" in t.user_attrs]
    return any(t.state.name == "COMPLETE" for t in found) and bool(running)


def test_a_killed_study_resumes_where_it_stopped(tune_args, tmp_path):
    storage, args = tune_args
    params = tune_params(tmp_path / "params.yaml", n_trials=2)
    command = ["tune", *args, "--params", params]
    program = [str(Path(sys.executable).parent / "speech2face"), *map(str, command)]
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(program, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while not _killable(storage):
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.5)
        first.kill()  # SIGKILL: no clean-up at all
        first.wait()
    before = {t.number: t for t in trials(storage)}
    running = [n for n, t in before.items() if t.state.name == "RUNNING"]
    assert running

    again = run_cli(*command)  # the same command again (in this process: no start-up)
    assert again.exit_code == 0, again.output
    assert f"trials {running} were left running by a killed process" in again.output
    after = {t.number: t for t in trials(storage)}
    for number, trial in before.items():
        if trial.state.name == "COMPLETE":  # kept as they were
            kept = after[number]
            assert (kept.state, kept.params, kept.values) == (
                trial.state,
                trial.params,
                trial.values,
            )
    assert all(after[n].state.name == "FAIL" for n in running)
    client = mlflow.MlflowClient()  # the runs the killed process left RUNNING ended FAILED
    for number in running:
        for key in ("mlflow_run_id", "tune_run_id"):
            ended = client.get_run(before[number].user_attrs[key])
            assert ended.info.status == "FAILED", (key, ended.info)
    new = sorted(set(after) - set(before))
    assert new and new[0] == max(before) + 1  # the numbering continues
    assert sum(t.state.name == "COMPLETE" for t in after.values()) == 2


def test_two_workers_share_one_study_and_finish_exactly_n_trials(tune_args, tmp_path):
    storage, args = tune_args
    params = tune_params(tmp_path / "params.yaml", n_trials=2)
    result = run_cli("tune", *args, "--params", params, "--workers", 2)
    assert result.exit_code == 0, result.output
    done = trials(storage)
    # The first worker to finish does not start a third trial: the other's running one counts.
    assert [t.state.name for t in done] == ["COMPLETE"] * 2
    assert len({t.user_attrs["worker"] for t in done}) == 2  # both processes ran trials
    assert len({t.params["lr"] for t in done}) == 2  # the workers' samplers differ


def test_a_quick_study_from_options_and_an_apply_hint_that_works_as_printed(tune_args, tmp_path):
    storage, args = tune_args
    params = tune_params(tmp_path / "params.yaml", n_trials=5)
    options = ("--n-trials", 1, "--max-epochs", 2, "--study-name", "quick")
    result = run_cli("tune", *args, "--params", params, *options)
    assert result.exit_code == 0, result.output
    (trial,) = trials(storage, "quick")
    history = mlflow.MlflowClient().get_metric_history(
        trial.user_attrs["mlflow_run_id"], "val/recall_at_5"
    )
    assert trial.state.name == "COMPLETE"
    assert len(history) == 2 + 1  # 2 epochs (the params say 1), then the kept checkpoint
    hint = re.search(r"`(speech2face tune --apply[^`]*)`", result.output).group(1)
    assert f"--out {tmp_path / 'tune'}" in hint and f"--params {params}" in hint
    applied = run_cli(*shlex.split(hint)[1:])
    assert applied.exit_code == 0, applied.output
    assert "dvc exp run -S train_voice_encoder.lr=" in applied.output


def test_fairness_study_has_two_objectives_no_pruning_and_a_pareto_front(tune_args, tmp_path):
    storage, args = tune_args
    pruner = {"kind": "median", "startup_trials": 0, "warmup_epochs": 0, "threshold": None}
    params = tune_params(tmp_path / "params.yaml", n_trials=1, objectives=FAIR, pruner=pruner)
    result = run_cli("tune", *args, "--params", params)
    assert result.exit_code == 0, result.output
    assert "no pruning" in result.output
    done = trials(storage)
    assert [t.state.name for t in done] == ["COMPLETE"]
    for trial in done:
        groups = trial.user_attrs["val_recall_at_5_by_group"]
        assert (
            trial.values[1]
            == groups[trial.user_attrs["worst_group"]]
            == min(value for name, value in groups.items() if name != "overall")
        )
        assert trial.values[0] == pytest.approx(groups["overall"], abs=1e-6)
    best = yaml.safe_load((tmp_path / "tune" / "best_params.yaml").read_text())
    assert best["pareto_front"] and best["objectives"] == dict.fromkeys(FAIR, "maximize")
    assert (tmp_path / "tune" / "pareto_front.png").exists()


@pytest.mark.parametrize(
    ("tune", "extra", "message"),
    [
        ({"objectives": ["val_accuracy"]}, [], "tune.objectives: expected distinct names"),
        ({"space": {"nope": {"choices": [1]}}}, [], "train_voice_encoder has no key 'nope'"),
        ({"space": {"lr": {"low": 1, "high": 0.1}}}, [], "lr: low (1.0) must be below"),
        ({"pruner": {**NO_PRUNING, "kind": "hyperband"}}, [], "tune.pruner.kind: expected"),
        ({"pruner": {**NO_PRUNING, "kind": "threshold"}}, [], "threshold pruner needs a value"),
        ({}, ["--storage", "nosuchdb://host/study"], "cannot open the study storage"),
        ({}, ["--workers", 0], "--workers: expected at least 1"),
    ],
)
def test_bad_settings_are_one_line_errors(tune_args, tmp_path, tune, extra, message):
    _, args = tune_args
    params = tune_params(tmp_path / "params.yaml", **tune)
    result = run_cli("tune", *args, "--params", params, *extra)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "tune").exists()


def test_a_study_resumes_only_with_the_same_definition(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"

    def definition(name: str, **tune):
        path = tune_params(tmp_path / name, **tune)
        document = yaml.safe_load(path.read_text())
        return load_section(TuneParams, "tune", path), document["train_voice_encoder"]

    params, base = definition("params.yaml")
    check_resumable(open_study(params, url), params, base)
    applied = {**base, "lr": 0.002}  # a tuned value changed (`--apply`): the same study
    check_resumable(open_study(params, url), params, applied)
    other, _ = definition("other.yaml", objectives=FAIR)
    with pytest.raises(InputError, match="other objectives: give tune.study_name a new name"):
        check_resumable(open_study(other, url), other, base)
    longer = {**base, "trainer": {**base["trainer"], "max_epochs": 5}}
    with pytest.raises(InputError, match="other untuned train_voice_encoder values"):
        check_resumable(open_study(params, url), params, longer)


def test_only_trials_of_dead_processes_on_this_host_are_stale():
    assert not is_gone(worker_id())
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert is_gone(f"{socket.gethostname()}:{gone.pid}:0")
    assert not is_gone(f"another-host:{os.getpid()}:0")


def test_workers_end_when_their_invoking_process_is_killed(tune_args, tmp_path):
    import psutil

    storage, args = tune_args
    params = tune_params(tmp_path / "params.yaml", n_trials=500)  # minutes of 2 s trials
    program = [str(Path(sys.executable).parent / "speech2face"), "tune", *map(str, args)]
    with open(tmp_path / "tune.log", "w") as log:
        invoker = subprocess.Popen(
            [*program, "--params", str(params), "--workers", "2"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while not _killable(storage):
        assert invoker.poll() is None, (tmp_path / "tune.log").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.5)
    workers = psutil.Process(invoker.pid).children()
    assert len(workers) >= 2
    invoker.kill()  # SIGKILL: it cannot stop them itself
    invoker.wait()
    _, alive = psutil.wait_procs(workers, timeout=15)
    for process in alive:
        process.kill()
    assert not alive  # each noticed within seconds, instead of running the study unwatched
