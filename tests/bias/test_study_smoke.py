"""`speech2face study share` end to end on a tiny pool: two points, one seed, each a DVC
experiment and an MLflow run under the study's run, then the report; run again, it resumes.
Then `speech2face study mitigation`, whose natural point is the share study's (kept) and whose
balanced point is new; then `speech2face study accent` on the same pool: two accents, its
stage's run under the study's, its report; run again, nothing is redone."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from speech2face.bias.study import finished
from speech2face.corpus.population import ACCENTS
from tests.conftest import TRAINING, tiny_params
from tests.integration.test_pipeline import commit, dvc, project_copy

pytestmark = pytest.mark.slow

TINY_STUDY = {
    **TRAINING,
    "bias_pool": {
        "n_speakers": 40,
        "clips_per_speaker": 2,
        "split_fractions": {"train": 0.5, "val": 0.2, "test": 0.3},
        "image_size": 64,
    },
    "bias_accents": {"clips_per_speaker": 1, "accents": [ACCENTS[0], ACCENTS[6]]},
    # share 0 and 0.5 of 8 speakers; the count arm's 4 of group_d at 0.5 is the same point,
    # and so is the mitigation study's natural point: only its balanced point is new.
    "bias_study": {
        "shares": [0.0, 0.5],
        "train_speakers": 8,
        "group_speakers": 4,
        "seeds": [1],
        "max_epochs": 1,
        "mitigation_share": 0.5,
        "mitigation_samplers": ["natural", "ethnicity"],
    },
}
FACE_STAGES = (
    "face_descriptors",
    "train_face_encoder",
    "train_face_decoder",
    "train_attribute_classifier",
)
NAMES = ("bias-group_d-0x8-natural-e1-seed1", "bias-group_d-0.5x8-natural-e1-seed1")


def study(repo: Path, name: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    for variable in ("MLFLOW_TRACKING_URI", "DVC_ROOT"):
        env.pop(variable, None)
    return subprocess.run(
        [str(bin_dir / "speech2face"), "study", name],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def test_share_study_runs_each_point_as_an_experiment_and_a_child_run(
    trained, tiny_raw, tiny_features, tiny_descriptors, tmp_path
):
    repo = project_copy(tmp_path)
    root = trained[0]
    folders = {
        "data/raw": tiny_raw,
        "data/features": tiny_features,
        "data/face_descriptors": tiny_descriptors,
        "data/embeddings": root / "embeddings",
        "models": root / "models",
        "reports/metrics": root / "metrics",
    }
    for name, folder in folders.items():
        shutil.copytree(folder, repo / name, dirs_exist_ok=True)
    metric = tiny_descriptors.parent / "metrics" / "face_descriptors.json"
    shutil.copy(metric, repo / "reports" / "metrics")
    (repo / "reports" / "validate_features.json").write_text("{}")
    tiny_params(repo / "params.yaml", TINY_STUDY)
    # dvc.lock as if the pipeline had made these face models (`dvc exp run` checks them out)
    done = dvc(repo, "commit", "-f", "-q", *FACE_STAGES)
    assert done.returncode == 0, done.stdout + done.stderr
    commit(repo, "tiny study")
    params_before = (repo / "params.yaml").read_text()

    done = study(repo, "share")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "params.yaml").read_text() == params_before  # given back as it was
    baseline = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert set(finished(repo, baseline)) == set(NAMES)

    store = MlflowClient(f"sqlite:///{repo / 'mlruns' / 'mlflow.db'}")
    runs = store.search_runs([e.experiment_id for e in store.search_experiments()])
    parent = [r for r in runs if r.data.tags.get("speech2face.kind") == "bias_study"]
    assert len(parent) == 1 and parent[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent[0].info.run_id]
    assert sorted(r.data.tags["dvc.exp_name"] for r in children) == sorted(NAMES)
    for child in children:
        assert "voice/ethnicity_agreement/group_d" in child.data.metrics

    out = repo / "reports" / "bias" / "share"
    for name in ("groups.csv", "share.png", "report.md"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "## ceiling" in report and "## shuffled" in report

    again = study(repo, "share")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stderr.count("finished before, kept") == 2

    check_mitigation_study(repo, store, baseline)
    check_accent_study(repo, store)


def check_mitigation_study(repo: Path, store: MlflowClient, baseline: str) -> None:
    done = study(repo, "mitigation")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.count("finished before, kept") == 1  # the natural point
    balanced = "bias-group_d-0.5x8-ethnicity-e1-seed1"
    assert set(finished(repo, baseline)) == {*NAMES, balanced}
    runs = store.search_runs([e.experiment_id for e in store.search_experiments()])
    parent = [r for r in runs if r.data.tags.get("speech2face.study") == "mitigation"]
    parent = [r for r in parent if r.data.tags.get("speech2face.kind") == "bias_study"]
    assert len(parent) == 1 and parent[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent[0].info.run_id]
    assert [r.data.tags["dvc.exp_name"] for r in children] == [balanced]
    report = (repo / "reports" / "bias" / "mitigation" / "report.md").read_text()
    assert "ethnicity" in report and "natural" in report


def check_accent_study(repo: Path, store: MlflowClient) -> None:
    first, second = study(repo, "accent"), study(repo, "accent")
    for done in (first, second):
        assert done.returncode == 0, done.stdout + done.stderr
    assert "speech2face bias_accent" in first.stdout + first.stderr
    assert "speech2face bias_accent" not in second.stdout + second.stderr  # nothing redone
    runs = store.search_runs([e.experiment_id for e in store.search_experiments()])
    parent = [r for r in runs if r.data.tags.get("speech2face.study") == "accent"]
    parent = [r for r in parent if r.data.tags.get("speech2face.kind") == "bias_study"]
    assert len(parent) == 1 and parent[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent[0].info.run_id]
    assert [r.data.tags["speech2face.kind"] for r in children] == ["bias_accent"]
    assert children[0].data.metrics["ethnicity/shifts_tested"] >= 2 * 2  # 2 accents x groups
    out = repo / "reports" / "bias" / "accent"
    for name in ("report.md", "metrics.json", "accent.png", "faces.png", "confusion.csv"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "## Confusion per accent" in report and "### English (Caribbean)" in report
