"""Stage `tune`: an Optuna study over `train_voice_encoder`'s values, tracked in MLflow.

One MLflow run per invocation (tagged with the study name), each trial a nested run; the
study itself lives in its storage (SQLite in `mlruns/` by default), outside DVC's outputs.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import yaml
from rich.console import Console

from speech2face.errors import InputError
from speech2face.network import without_password
from speech2face.params import TuneParams
from speech2face.tracking import KIND_TAG, client, new_run
from speech2face.tuning.objective import Job, pruning_monitor
from speech2face.tuning.outputs import write_outputs
from speech2face.tuning.progress import Monitor
from speech2face.tuning.study import (
    FINISHED,
    check,
    check_resumable,
    fail_orphans,
    open_study,
    quiet,
    run_workers,
    storage_url,
)


def _announce(study, params: TuneParams, stale: list[int], console: Console) -> None:
    trials = study.get_trials(deepcopy=False)
    finished = sum(t.state in FINISHED for t in trials)
    console.print(
        f"study {study.study_name}: {len(trials)} trials so far, {finished} finished; "
        f"running to {params.n_trials} finished"
    )
    if finished >= params.n_trials:
        console.print("nothing to run: raise tune.n_trials for more trials")
    if stale:
        console.print(
            f"trials {stale} were left running by a killed process: marked FAIL, their values "
            "queued to run again"
        )
    if len(params.objectives) > 1:
        console.print(
            f"{len(params.objectives)} objectives: NSGA-II, and no pruning (Optuna does not "
            "prune multi-objective studies): every trial runs to the end"
        )
    elif params.pruner.kind != "none" and pruning_monitor(params) is None:
        console.print(f"no pruning: {params.objectives[0]} is only measured after training")


def open_checked(
    params: TuneParams, params_file: Path, url: str, max_epochs: int | None
) -> tuple[optuna.Study, dict]:
    """The study at `url` (made if new) checked to be the one these params define, and the
    params document its trials start from."""
    study = open_study(params, url)
    document = yaml.safe_load(params_file.read_text())
    if max_epochs is not None:
        if max_epochs < 1:
            raise InputError(f"--max-epochs: expected at least 1, got {max_epochs}")
        document["train_voice_encoder"]["trainer"]["max_epochs"] = max_epochs
    check_resumable(study, params, document["train_voice_encoder"])
    return study, document


def create(
    params: TuneParams, params_file: Path, storage: str | None, max_epochs: int | None
) -> str:
    """Make the study (once, before workers on several machines start); say what it holds."""
    check(params, f"{params_file}: tune")
    url = storage_url(params, storage)
    with quiet():
        study, _ = open_checked(params, params_file, url, max_epochs)
        trials = len(study.get_trials(deepcopy=False))
    return f"study {study.study_name} is ready in {without_password(url)}: {trials} trials so far"


def tune(
    params: TuneParams,
    params_file: Path,
    features: Path,
    embeddings: Path,
    models: Path,
    out: Path,
    storage: str | None,
    workers: int,
    console: Console,
    max_epochs: int | None = None,
) -> dict:
    """Run the study to `n_trials` with `workers` processes here; write `out/`; return the
    summary written to `out/best_params.yaml`. `max_epochs` overrides the trials' epochs."""
    check(params, f"{params_file}: tune")
    if workers < 1:
        raise InputError(f"--workers: expected at least 1, got {workers}")
    inputs = (features / "meta.json", embeddings / "val" / "embeddings.npy")
    models_needed = (models / "face_encoder" / "model.pt", models / "face_decoder" / "model.pt")
    for path in (*inputs, *models_needed):
        if not path.exists():
            raise InputError(f"no {path}: run the pipeline first (dvc repro)")
    url = storage_url(params, storage)
    with quiet():
        study, document = open_checked(params, params_file, url, max_epochs)
        _announce(study, params, fail_orphans(study, params.heartbeat.retries), console)
        tags = {
            KIND_TAG: "tune",
            "optuna.study_name": params.study_name,
            "optuna.storage": without_password(url),
        }
        run_id = new_run(f"tune {params.study_name}", tags, params_file)
        job = Job(params, document, features, embeddings, models, url, run_id)
        status = "FAILED"
        try:
            with Monitor(study, params.objectives, params.n_trials, console):
                run_workers(job, workers)
            result = write_outputs(study, params.objectives, without_password(url), out, run_id)
            status = "FINISHED"
        except (KeyboardInterrupt, SystemExit):  # Lightning turns Ctrl-C into SystemExit
            stopped = fail_orphans(study, params.heartbeat.retries, including_mine=True)
            console.print(f"interrupted (trials {stopped} marked FAIL): rerun to resume")
            status = "KILLED"
            raise
        finally:
            client().set_terminated(run_id, status)
    return result
