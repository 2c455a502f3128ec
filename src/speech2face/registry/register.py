"""The `register` stage: the evaluated models as one registered MLflow pyfunc version, traced
to its commit, pipeline run, params and data, and aliased by the model gate."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from speech2face import tracking
from speech2face.avatar.model import models_sha256
from speech2face.errors import InputError
from speech2face.files import tree_sha256, write_json, write_text
from speech2face.params import RegisterParams
from speech2face.registry.gate import CHALLENGER, CHAMPION, Standing, as_records, decide
from speech2face.tracking import git_commit, pipeline_run, stage_run

TAG = "speech2face."  # prefix of the version tags
MODELS_TAG = TAG + "models_sha256"  # one hash over the three networks: the version's identity


# The params.yaml sections that made the models and their evaluation (dvc.yaml lists them as
# this stage's params, so a change to any re-traces the version).
TRACED_SECTIONS = (
    "corpus",
    "validate_raw",
    "preprocess",
    "validate_features",
    "train_face_encoder",
    "train_face_decoder",
    "train_voice_encoder",
    "train_attribute_classifier",
    "evaluate",
)


def trace(models: Path, features: Path, params_path: Path) -> dict:
    """What a served face can be traced to: each network's, the params' and the data's hash."""
    networks = models_sha256(models)
    document = yaml.safe_load(params_path.read_text()) or {}
    traced = json.dumps({s: document.get(s) for s in TRACED_SECTIONS}, sort_keys=True)
    return {
        "models_sha256": networks.pop("models"),
        "networks_sha256": networks,
        "params_sha256": hashlib.sha256(traced.encode()).hexdigest(),
        "data_sha256": tree_sha256(features),
    }


def read_evaluation(reports: Path) -> tuple[dict, pd.DataFrame]:
    """reports/metrics.json and reports/groups.csv, or an InputError naming what is missing."""
    try:
        summary = json.loads((reports / "metrics.json").read_text())
        groups = pd.read_csv(reports / "groups.csv")
    except (OSError, ValueError) as error:
        raise InputError(
            f"{reports}: no readable evaluation ({error}); run `speech2face evaluate` first"
        ) from error
    return summary, groups


def champion_standing(client, name: str, metric: str, identity: str) -> Standing | None:
    """The champion's figure (None: no champion, or the champion is these same models)."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    tags = version.tags
    if tags.get(MODELS_TAG) == identity:
        return None
    figures = [tags.get(f"{TAG}{metric}{end}") for end in ("", "_low", "_high")]
    value, low, high = (float(f) if f is not None else math.nan for f in figures)
    return Standing(version.version, value, low, high)


def version_of(client, name: str, identity: str):
    """The version already registered for these models, if any (a re-run adds none)."""
    found = client.search_model_versions(f"name = '{name}'")
    return next((v for v in found if v.tags.get(MODELS_TAG) == identity), None)


def record_reused_evaluation(models: Path, reports: Path, params_path: Path) -> None:
    """The evaluation in `reports` logged to this `dvc repro`'s pipeline run when `evaluate`
    did not run in it (DVC kept its committed outputs, as on a fresh clone), marked reused, so
    that every pipeline run that registers models carries their evaluation."""
    from speech2face.evaluation.record import evaluated, log_evaluation, trained_by

    with pipeline_run(params_path) as run_id:
        if run_id and not evaluated(run_id):
            log_evaluation(reports, trained_by(models), reused=True)


def _parent(client, run_id: str | None) -> str:
    return client.get_run(run_id).data.tags.get("mlflow.parentRunId", "") if run_id else ""


def register(
    params: RegisterParams, models: Path, features: Path, reports: Path, params_path: Path
) -> dict:
    """Register (or find) the version, gate it, alias it; write reports/register.json, .md."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    summary, groups = read_evaluation(reports)
    traced = trace(models, features, params_path)
    identity = traced["models_sha256"]
    record_reused_evaluation(models, reports, params_path)
    with stage_run("register", params_path) as run_id:
        client = tracking.client()
        champion = champion_standing(client, params.model_name, params.compare_metric, identity)
        decision, rules = decide(summary, groups, params, champion)
        existing = version_of(client, params.model_name, identity)
        if existing is None:
            from speech2face.avatar.pyfunc import log_avatar_model

            with tempfile.TemporaryDirectory(prefix="s2f-register-") as staging:
                info = log_avatar_model(models, params.model_name, Path(staging))
            version = str(info.registered_model_version)
        else:
            version = str(existing.version)
        metric = params.compare_metric
        tags = {
            MODELS_TAG: identity,
            TAG + "params_sha256": traced["params_sha256"],
            TAG + "data_sha256": traced["data_sha256"],
            TAG + "git_commit": git_commit() or "",
            TAG + "pipeline_run": _parent(client, run_id),
            TAG + "register_run": run_id or "",
            TAG + "gate": decision,
            **{
                f"{TAG}{metric}{end}": str(summary[f"{metric}{end}"])
                for end in ("", "_low", "_high")
            },
        }
        for key, value in tags.items():
            client.set_model_version_tag(params.model_name, version, key, value)
        client.set_registered_model_alias(params.model_name, decision, version)
        if run_id:
            client.set_tag(run_id, TAG + "registered_version", version)
    result = {
        "model_name": params.model_name,
        "alias": decision,
        "rules": as_records(rules),
        **traced,
    }
    write_json(reports / "register.json", result)
    write_text(reports / "register.md", render(result))
    return {**result, "version": version}


def render(result: dict) -> str:
    """reports/register.md: the gate's decision and each rule, then the version's trace."""
    name, alias = result["model_name"], result["alias"]
    lines = [
        f"# Model gate: `{name}` registered as `{alias}`",
        "",
        "The evaluated voice encoder, face decoder and attribute classifier, registered as one "
        f"MLflow pyfunc model. Serve it with `speech2face serve` (model `models:/{name}@"
        f"{CHAMPION}` by default) or `mlflow models serve -m models:/{name}@{alias}`.",
        "",
        "| rule | passed | detail |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {r['name']} | {'yes' if r['passed'] else '**no**'} | {r['detail']} |"
        for r in result["rules"]
    ]
    failed = [r["name"] for r in result["rules"] if not r["passed"]]
    lines += [
        "",
        f"Failed: {', '.join(failed)}; the champion alias stays where it was."
        if alias == CHALLENGER
        else "Every rule holds: this version is the champion.",
        "",
        "## Trace (also tags of the version, `speech2face.*`)",
        "",
        f"- models: `{result['models_sha256']}` (SHA-256 over the three networks' files)",
        *(f"  - {kind}: `{digest}`" for kind, digest in result["networks_sha256"].items()),
        f"- params ({', '.join(TRACED_SECTIONS)}): `{result['params_sha256']}`",
        f"- data (data/features): `{result['data_sha256']}`",
        "- git commit, pipeline run and register run: tags of the version in MLflow",
        "",
    ]
    return "\n".join(lines)
