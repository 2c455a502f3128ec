"""`dvc repro` through the second gate, in a temporary copy of the repository, on a tiny corpus."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from speech2face.paths import ROOT
from tests.audio_files import voice, write_wav
from tests.conftest import TINY, tiny_params
from tests.integration.mlflow_ui import (
    PER_GROUP,
    assert_runs_view_shows_per_group_columns,
    local_ui,
)

pytestmark = pytest.mark.slow

STAGES = ("corpus", "validate_raw", "preprocess", "validate_features")
# One experiment on a training param (it costs a training, an evaluation and a registration).
EXPERIMENT_LRS = ("0.003",)
# `make experiments` (docs/experiments.md): its --drop pattern, read from the Makefile.
EXP_SHOW_DROP = re.search(
    r"^EXP_SHOW_DROP := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE
).group(1)
EXP_SHOW = ("--no-pager", "--only-changed", "--drop", EXP_SHOW_DROP)


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [f for f in listed if (ROOT / f).is_file()]


def project_copy(folder: Path) -> Path:
    """A git repository in `folder` holding the project's files, as a fresh clone would."""
    copy = folder / "project"
    for name in project_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    commit(copy, "copy")
    return copy


@pytest.fixture
def repo(tmp_path) -> Path:
    return project_copy(tmp_path)


def commit(repo: Path, message: str) -> None:
    """Commit everything in `repo` (git ignores what DVC tracks)."""
    identity = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for command in (["add", "-A"], ["commit", "-qm", message]):
        subprocess.run(["git", *command], cwd=repo, check=True, env={**os.environ, **identity})


def dvc(repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, **(env or {}), "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    env.pop("DVC_ROOT", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [str(Path(bin_dir) / "dvc"), *args], cwd=repo, env=env, capture_output=True, text=True
    )


def test_repro_runs_the_gated_pipeline_and_stops_on_bad_data(repo):
    strict = {**TINY, "validate_raw": {"min_test_speakers_per_group": 1000}}
    tiny_params(repo / "params.yaml", strict)
    failed = dvc(repo, "repro", "validate_features")
    assert failed.returncode != 0
    assert "at least 1000 test speakers in every group" in failed.stdout + failed.stderr
    assert not (repo / "data" / "features").exists()  # nothing after the gate ran
    assert "Running stage 'preprocess'" not in failed.stdout

    tiny_params(repo / "params.yaml")
    done = dvc(repo, "repro", "validate_features")
    assert done.returncode == 0, done.stdout + done.stderr
    for stage in STAGES[1:]:
        assert f"Running stage '{stage}'" in done.stdout
    assert (repo / "reports" / "validate_features.json").exists()
    assert (repo / "data" / "features" / "test" / "waveforms.npy").exists()

    again = dvc(repo, "repro", "validate_features")
    assert again.returncode == 0 and "Data and pipelines are up to date" in again.stdout

    edges = dag_edges(repo)
    for upstream, downstream in zip(STAGES, STAGES[1:]):
        assert (upstream, downstream) in edges


def changed_metrics(diff: str) -> list[str]:
    """The summary metrics (reports/metrics.json) a `dvc metrics diff` table lists."""
    rows = [line.split() for line in diff.splitlines()[1:]]
    return [row[1] for row in rows if row and row[0] == "reports/metrics.json"]


def git_status(repo: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def dag_edges(repo: Path) -> set[tuple[str, str]]:
    """The stage graph's edges, read from `dvc dag --md` (a mermaid flowchart)."""
    chart = dvc(repo, "dag", "--md").stdout
    names = dict(re.findall(r'(node\d+)\["([^"]+)"\]', chart))
    edges = re.findall(r"(node\d+)-->(node\d+)", chart)
    return {(names[a], names[b]) for a, b in edges}


def assert_a_clone_pulls_instead_of_recomputing(repo: Path, remote: Path) -> None:
    """docs/deploy.md's DVC remote: `dvc push` to a local-directory remote; a fresh clone's
    `dvc pull dvc.yaml` restores every output of the pipeline, and its `dvc repro` then
    recomputes nothing. (A plain `dvc pull` also wants the bias studies' outputs, which only a
    study makes.)"""
    added = dvc(repo, "remote", "add", "-d", "store", str(remote))
    assert added.returncode == 0, added.stderr
    commit(repo, "a DVC remote")
    pushed = dvc(repo, "push")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    clone = repo.parent / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    pulled = dvc(clone, "pull", "dvc.yaml")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    for folder in ("data/features", "models/voice_encoder", "data/face_descriptors"):
        assert any((clone / folder).iterdir()), folder
    again = dvc(clone, "repro")
    assert again.returncode == 0, again.stdout + again.stderr
    assert not re.findall(r"Running stage '(\w+)'", again.stdout), again.stdout
    assert git_status(clone) == ""


def speech2face(project: Path, *args: str) -> subprocess.CompletedProcess:
    """A speech2face command run in `project`, on its own MLflow store."""
    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        [str(bin_dir / "speech2face"), *map(str, args)],
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
    )


def project_env() -> dict:
    """The environment of a command in a project copy: its own store, the venv's programs."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    for variable in ("DVC_ROOT", "MLFLOW_TRACKING_URI", "SPEECH2FACE_PROJECT"):
        env.pop(variable, None)
    return env


def assert_a_fresh_clone_reproduces_and_its_run_carries_the_evaluation(repo: Path) -> None:
    """A fresh clone's `dvc repro` (what `make repro` runs) remakes every DVC-cached output,
    to the committed dvc.lock, reports and metrics byte for byte; DVC keeps the git-tracked
    reports of `evaluate`, and the pipeline run carries them anyway: `speech2face runs` shows
    it evaluated with its recall@5 and gender agreement, `predict --run-id latest` draws with
    its models, and the runs view `speech2face ui` (make ui) prints shows its per-group
    columns."""
    clone = repo.parent / "fresh-clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    # `make` byte-compiles src/ at install: the caches must not move the code's hashes
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(clone / "src")], check=True)
    done = dvc(clone, "repro")
    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"Running stage '(\w+)'", done.stdout)
    assert "evaluate" not in ran and {"train_voice_encoder", "register"} <= set(ran), ran
    assert git_status(clone) == ""  # the same dvc.lock, reports and metrics, byte for byte

    summary = json.loads((clone / "reports" / "metrics.json").read_text())
    listed = speech2face(clone, "runs")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "pipeline" in line)
    assert "yes (reused)" in row, listed.stdout
    for metric in ("recall_at_5", "gender_agreement"):
        assert f"{summary[metric]:.3f}" in row.split(), (metric, row)
    voice_file = write_wav(clone / "voice.wav", voice(2.0, 16000), 16000)
    drawn = speech2face(
        clone, "predict", voice_file, "-o", clone / "face.png", "--run-id", "latest"
    )
    assert drawn.returncode == 0 and (clone / "face.png").is_file(), drawn.stdout + drawn.stderr
    import mlflow

    store = mlflow.MlflowClient(f"sqlite:///{clone / 'mlruns' / 'mlflow.db'}")
    run = store.get_run(
        store.search_runs(
            [store.get_experiment_by_name("speech2face").experiment_id],
            filter_string="tags.`speech2face.kind` = 'pipeline'",
        )[0].info.run_id
    )
    assert run.data.tags["speech2face.evaluation"] == "reused"
    stages = store.search_runs(
        [run.info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{run.info.run_id}'",
    )
    read = {r.data.tags["speech2face.stage"]: r.data.metrics for r in stages}
    tracked = {"face_descriptors", "register"} | {s for s in ran if s.startswith("train_")}
    assert set(read) == tracked, (ran, sorted(read))  # a nested run for each tracked stage
    assert 0.9 < read["face_descriptors"]["test/detected_share"] <= 1.0
    by_group = json.loads((clone / "reports" / "metrics_by_group.json").read_text())
    female = by_group["gender"]["female"]["recall_at_5"]
    assert run.data.metrics[PER_GROUP] == pytest.approx(female, rel=1e-5)  # the CSV's 6 digits
    with local_ui(clone, project_env()) as page:
        assert_runs_view_shows_per_group_columns(page, run.info.run_name, repo.parent / "ui.png")


def test_training_param_reruns_only_training_and_experiments_are_tracked(repo):
    from tests.conftest import TRAINING

    tiny_params(repo / "params.yaml", TRAINING)
    commit(repo, "tiny params")
    first = dvc(repo, "repro")
    assert first.returncode == 0, first.stdout + first.stderr
    commit(repo, "baseline")  # its metrics and reports, as a user commits a result

    assert_a_fresh_clone_reproduces_and_its_run_carries_the_evaluation(repo)
    status = dvc(repo, "status", "dvc.yaml")  # docs/experiments.md's status command
    assert "Data and pipelines are up to date" in status.stdout, status.stdout
    plots = dvc(repo, "plots", "diff", "-o", "dvc_plots")
    assert plots.returncode == 0, plots.stderr
    assert git_status(repo) == ""  # dvc_plots/ is ignored
    assert_a_clone_pulls_instead_of_recomputing(repo, repo.parent / "remote")

    names = []
    for lr in EXPERIMENT_LRS:
        name = f"lr-{lr}"
        names.append(name)
        run = dvc(repo, "exp", "run", "-n", name, "-S", f"train_voice_encoder.lr={lr}")
        assert run.returncode == 0, run.stdout + run.stderr
        ran = re.findall(r"Running stage '(\w+)'", run.stdout)
        assert ran == ["train_voice_encoder", "evaluate", "register"]  # nothing upstream

    diff = dvc(repo, "metrics", "diff")  # the baseline commit vs the last experiment
    assert diff.returncode == 0, diff.stderr
    assert "reports/metrics.json" in diff.stdout and "gender.female" not in diff.stdout  # summary
    by_group = dvc(repo, "metrics", "diff", "--targets", "reports/metrics_by_group.json")
    assert "gender.female.cosine" in by_group.stdout  # docs/experiments.md's per-group view
    evaluation_only = dvc(repo, "exp", "run", "-n", "boot", "-S", "evaluate.bootstrap=100")
    ran = re.findall(r"Running stage '(\w+)'", evaluation_only.stdout)
    assert ran == ["evaluate", "register"]  # an evaluation setting never retrains
    intervals = changed_metrics(dvc(repo, "metrics", "diff", names[-1]).stdout)  # vs the last
    assert intervals and all(m.endswith(("_low", "_high")) for m in intervals), intervals
    shown = dvc(repo, "exp", "show", *EXP_SHOW, env={"COLUMNS": "120"})
    assert shown.returncode == 0, shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines()) <= 120, shown.stdout
    assert "…" not in shown.stdout, shown.stdout  # no column squeezed out of sight
    assert "boot" in shown.stdout and "evaluate.bootstrap" in shown.stdout
    assert "train_voice_encoder.lr" in shown.stdout

    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlruns' / 'mlflow.db'}")
    runs = client.search_runs(
        [client.get_experiment_by_name("speech2face").experiment_id],
        filter_string="tags.`speech2face.stage` = 'train_voice_encoder'",
    )
    by_lr = {r.data.params["train_voice_encoder.lr"]: r for r in runs}
    assert set(EXPERIMENT_LRS) <= set(by_lr)
    for lr, name in zip(EXPERIMENT_LRS, names):
        voice = by_lr[lr]
        parent = client.get_run(voice.data.tags["mlflow.parentRunId"])
        assert parent.data.tags["dvc.exp_name"] == name
        assert parent.data.tags["speech2face.kind"] == "pipeline"
        assert len(client.get_metric_history(voice.info.run_id, "val/recall_at_5")) >= 1
    # Each set of models registered once (baseline, the experiment; `boot` re-gated the
    # baseline's), each version gated and its decision reported.
    versions = client.search_model_versions("name = 'speech2face'")
    assert len(versions) == 1 + len(EXPERIMENT_LRS)
    assert {v.tags["speech2face.gate"] for v in versions} <= {"champion", "challenger"}
    assert "registered as" in (repo / "reports" / "register.md").read_text()
