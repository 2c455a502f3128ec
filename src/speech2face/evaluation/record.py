"""The evaluation's MLflow record, read back from the reports `evaluate` wrote: the same
metrics, tables, figures and report whether `evaluate` ran in this `dvc repro` or DVC kept its
committed outputs (a fresh clone: the reports are in git, so the stage is skipped), in which
case the pipeline run is marked as reusing them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from speech2face.evaluation import condition_outputs

BY_GROUP_FILE = "metrics_by_group.json"
FIGURES_DIR = "figures"
# The tables `evaluate` writes beside its summaries (file -> what `flat_metrics` reads).
TABLES = {
    "groups": "groups.csv",
    "gaps": "gaps.csv",
    "face_quality": "face_quality.csv",
    "judge_accuracy": "judge_on_true_faces.csv",
    "conditions": "conditions.csv",
}
MODELS = ("voice_encoder", "face_decoder", "attribute_classifier")  # the networks evaluated
LABELS = {"attribute": str, "group": str, "system": str, "metric": str, "condition": str}


def read_tables(reports: Path) -> SimpleNamespace:
    """The evaluation's tables and the classifier's accuracy, from `reports`."""
    tables = {name: _table(reports / file) for name, file in TABLES.items()}
    document = json.loads((reports / BY_GROUP_FILE).read_text())
    return SimpleNamespace(**tables, classifier_accuracy=document["classifier_on_true_faces"])


def _table(path: Path) -> pd.DataFrame:
    """A table `evaluate` wrote; empty (no rows, no columns) as it writes one it has nothing
    for (e.g. no judge accuracy when every gender was estimated)."""
    try:
        return pd.read_csv(path, dtype=LABELS, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _key(*parts: str) -> str:
    """An MLflow metric key: characters it would drop silently become '_'."""
    return "/".join(re.sub(r"[^A-Za-z0-9_. -]", "_", str(p)) for p in parts)


def flat_metrics(tables) -> dict[str, float]:
    """MLflow keys: test/<metric>/<attribute>/<group> (and /ci_low, /ci_high), the group sizes,
    the gaps test/<metric>/<attribute>/gap, and control/<system>/<metric>/... for controls."""
    flat = {}
    for row in tables.groups.itertuples():
        where = ("overall",) if row.attribute == "overall" else (row.attribute, row.group)
        if row.system == "voice":
            flat[_key("test", row.metric, *where)] = row.value
            flat[_key("test", row.metric, *where, "ci_low")] = row.ci_low
            flat[_key("test", row.metric, *where, "ci_high")] = row.ci_high
            flat[_key("test", "clips", *where)] = row.clips
            flat[_key("test", "speakers", *where)] = row.speakers
        else:
            flat[_key("control", row.system, row.metric, *where)] = row.value
    for prefix, table in (("faces", tables.face_quality), ("test", tables.judge_accuracy)):
        for row in table.itertuples():
            where = ("overall",) if row.attribute == "overall" else (row.attribute, row.group)
            for suffix, value in (
                ((), row.value),
                (("ci_low",), row.ci_low),
                (("ci_high",), row.ci_high),
            ):
                flat[_key(prefix, row.system, row.metric, *where, *suffix)] = value
    for row in tables.gaps[tables.gaps.system == "voice"].itertuples():
        flat[_key("test", row.metric, row.attribute, "gap")] = row.gap
    for name, value in tables.classifier_accuracy.items():
        flat[_key("test", "classifier_on_true_faces", name)] = value
    flat |= condition_outputs.flat(tables.conditions, _key)
    return {k: float(v) for k, v in flat.items() if v is not None and np.isfinite(v)}


def log_evaluation(reports: Path, model_runs: dict[str, str], reused: bool) -> None:
    """Log the evaluation in `reports` to the active (pipeline) run: its metrics, tables,
    figures and report, tagged with the runs that trained its models (`model_runs`, kind ->
    run id) and with whether `evaluate` ran now or its reports were reused."""
    import mlflow

    from speech2face.tracking import EVALUATION_TAG, MODELS_TAG

    tables = read_tables(reports)
    items = list(flat_metrics(tables).items())
    for start in range(0, len(items), 500):
        mlflow.log_metrics(dict(items[start : start + 500]))
    mlflow.log_table(tables.groups, artifact_file="evaluation/groups.json")
    mlflow.log_table(tables.gaps, artifact_file="evaluation/gaps.json")
    mlflow.log_artifacts(str(reports / FIGURES_DIR), artifact_path="evaluation")
    mlflow.log_artifact(str(reports / "evaluation.md"), artifact_path="evaluation")
    tags = {f"{MODELS_TAG}{kind}": run for kind, run in model_runs.items() if run}
    mlflow.set_tags(tags | {EVALUATION_TAG: "reused" if reused else "ran"})


def trained_by(models: Path) -> dict[str, str | None]:
    """The run that trained each evaluated network in `models`, found by its weights' hash."""
    from speech2face.tracking import run_of_model
    from speech2face.training.networks import MODEL_FILE

    return {name: run_of_model(models / name / MODEL_FILE) for name in MODELS}


def evaluated(run_id: str) -> bool:
    """Whether the pipeline run `run_id` already carries an evaluation."""
    from speech2face.tracking import EVALUATION_TAG, client

    return EVALUATION_TAG in client().get_run(run_id).data.tags
