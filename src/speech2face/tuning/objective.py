"""One trial: the `train_voice_encoder` stage's own training on the trial's values.

The trial calls the stage function with two extra Lightning callbacks (Optuna's pruning
callback, and one that tags the stage's MLflow run as the trial's), so a trial trains,
checkpoints, stops early and is tracked exactly as the stage would be with those values: its
objective values are those of the model the stage would keep.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as pl
import optuna
import yaml
from lightning.pytorch.trainer.states import TrainerFn
from optuna.trial import FrozenTrial
from optuna_integration import PyTorchLightningPruningCallback

from speech2face.params import TuneParams, VoiceEncoderParams, load_section
from speech2face.tracking import KIND_TAG, client
from speech2face.training.train_voice_encoder import train_voice_encoder
from speech2face.tuning.fairness import recall_at_5_by_group, worst_group
from speech2face.tuning.space import Dimension, with_values

STAGE = "train_voice_encoder"
WORST_GROUP = "val_worst_group_recall_at_5"
# One device per trial: workers run trials side by side, and a DDP launch would re-run the
# tuning command in every process.
ONE_DEVICE = {"devices": 1, "strategy": "auto", "num_nodes": 1}


@dataclass(frozen=True)
class Objective:
    direction: str  # maximize or minimize
    monitor: str | None  # the metric validated every epoch; None: measured after training


OBJECTIVES = {
    "val_recall_at_1": Objective("maximize", "val/recall_at_1"),
    "val_recall_at_5": Objective("maximize", "val/recall_at_5"),
    "val_recall_at_10": Objective("maximize", "val/recall_at_10"),
    "val_cosine": Objective("maximize", "val/cosine"),
    "val_loss": Objective("minimize", "val/loss"),
    WORST_GROUP: Objective("maximize", None),
}


@dataclass(frozen=True)
class Job:
    """What a worker process needs to run trials (picklable)."""

    params: TuneParams
    document: dict  # the whole params.yaml; each trial's copy holds its values
    features: Path
    embeddings: Path
    models: Path
    storage: str  # the study's storage URL
    run_id: str  # the MLflow run of this invocation; trial runs nest under it


def pruning_monitor(params: TuneParams) -> str | None:
    """The per-epoch metric pruning watches; None when the study cannot prune (Optuna does
    not prune multi-objective studies)."""
    if len(params.objectives) > 1 or params.pruner.kind == "none":
        return None
    return OBJECTIVES[params.objectives[0]].monitor


class FitPruning(PyTorchLightningPruningCallback):
    """Optuna's pruning callback, for the epochs of fitting only: the stage's final validation
    of the best checkpoint is no new epoch."""

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.state.fn == TrainerFn.FITTING:
            super().on_validation_end(trainer, pl_module)


class TrialRun(pl.Callback):
    """Makes the stage's MLflow run the trial's run, and keeps the last validation's metrics
    (after fitting, the stage validates the checkpoint it keeps)."""

    def __init__(self, trial: optuna.Trial, study_name: str):
        self.trial, self.study_name = trial, study_name
        self.run_id: str | None = None
        self.metrics: dict[str, float] = {}

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        import mlflow

        self.run_id = mlflow.active_run().info.run_id
        self.trial.set_user_attr("mlflow_run_id", self.run_id)
        mlflow.set_tags(
            {
                "mlflow.runName": f"trial {self.trial.number}",
                KIND_TAG: "trial",
                "optuna.study_name": self.study_name,
                "optuna.trial_number": str(self.trial.number),
            }
        )

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self.metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}


# The run's status for a trial that ends where its training cannot end the run itself.
RUN_STATUS = {"PRUNED": "KILLED", "FAIL": "FAILED"}


def _close_run(run_id: str | None, state: str, metrics: dict[str, float]) -> None:
    """Record the trial's outcome on its MLflow run; a pruned trial's run ends KILLED, a
    failed one's FAILED."""
    if run_id is None:
        return
    store = client()
    store.set_tag(run_id, "optuna.trial_state", state)
    for name, value in metrics.items():
        store.log_metric(run_id, name, value)
    if state in RUN_STATUS:
        store.set_terminated(run_id, RUN_STATUS[state])


class FailedTrial:
    """For a trial failed because its worker is gone (a silent heartbeat, or a dead process
    on this host): its values are tried again (at most `retries` times), its MLflow run ends
    FAILED (tag `optuna.trial_state` FAIL, whatever the worker got to record), and so does
    its tuning invocation's run if the worker left it RUNNING."""

    def __init__(self, retries: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=retries)

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        from mlflow.exceptions import MlflowException

        self.retry(study, trial)
        try:
            _close_run(trial.user_attrs.get("mlflow_run_id"), "FAIL", {})
            tune_run = trial.user_attrs.get("tune_run_id")
            store = client()
            if tune_run and store.get_run(tune_run).info.status == "RUNNING":
                store.set_terminated(tune_run, "FAILED")
        except MlflowException:  # tracked elsewhere (another MLFLOW_TRACKING_URI)
            pass


def run_trial(trial: optuna.Trial, job: Job, space: list[Dimension]) -> list[float]:
    """Train the voice encoder with the trial's values; return its objective values."""
    values = {dimension.name: dimension.suggest(trial) for dimension in space}
    section = with_values(job.document[STAGE], values)
    section["trainer"].update(ONE_DEVICE)
    run = TrialRun(trial, job.params.study_name)
    monitor = pruning_monitor(job.params)
    callbacks = (run, FitPruning(trial, monitor)) if monitor else (run,)
    objectives = job.params.objectives
    with tempfile.TemporaryDirectory(prefix="s2f-trial-") as folder:
        folder = Path(folder)
        params_path = folder / "params.yaml"  # what the trial's MLflow run logs as params
        params_path.write_text(yaml.safe_dump({**job.document, STAGE: section}, sort_keys=False))
        params = load_section(VoiceEncoderParams, STAGE, params_path)
        try:
            train_voice_encoder(
                params,
                job.features,
                job.embeddings,
                job.models / "face_encoder",
                job.models / "face_decoder",
                folder / "voice_encoder",
                folder / "metrics.json",
                params_path,
                callbacks=callbacks,
                enable_progress_bar=False,
            )
        except optuna.TrialPruned:
            _close_run(run.run_id, "PRUNED", {})
            raise
        measured = {n: run.metrics[OBJECTIVES[n].monitor] for n in objectives if n != WORST_GROUP}
        recall = {}
        if WORST_GROUP in objectives:
            recall = recall_at_5_by_group(
                folder / "voice_encoder", job.features, job.embeddings, params.crop_seconds
            )
            group, measured[WORST_GROUP] = worst_group(recall)
            trial.set_user_attr("worst_group", group)
            trial.set_user_attr("val_recall_at_5_by_group", recall)
    logged = {f"tune/{k}": v for k, v in measured.items()}
    logged.update({f"tune/val_recall_at_5/{k}": v for k, v in recall.items()})
    _close_run(run.run_id, "COMPLETE", logged)
    return [measured[name] for name in objectives]
