"""The DVC stage: plain `dvc repro` never tunes; `dvc repro tuning/dvc.yaml` does, from the root."""

import re
import shutil
import subprocess

import optuna
import yaml
from optuna.distributions import FloatDistribution
from optuna.trial import create_trial

from tests.integration.test_pipeline import dvc, project_copy
from tests.tuning.conftest import tune_params


def stages_run(done: subprocess.CompletedProcess) -> list[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return re.findall(r"Running stage '([^']+)'", done.stdout)


def test_plain_repro_never_tunes_and_the_tuning_pipeline_does(
    trained, tiny_raw, tiny_features, tiny_descriptors, tmp_path
):
    root, _ = trained
    repo = project_copy(tmp_path)
    data = {
        "raw": tiny_raw,
        "features": tiny_features,
        "face_descriptors": tiny_descriptors,
        "embeddings": root / "embeddings",
    }
    for name, folder in data.items():
        shutil.copytree(folder, repo / "data" / name)
    shutil.copytree(root / "models", repo / "models", dirs_exist_ok=True)
    tune_params(repo / "params.yaml", n_trials=1)
    # The study already has its trial: the stage resumes it and only writes its outputs.
    storage = f"sqlite:///{repo / 'mlruns' / 'optuna.db'}"
    study = optuna.create_study(storage=storage, study_name="voice_encoder", direction="maximize")
    lr = FloatDistribution(0.0005, 0.005, log=True)
    study.add_trial(create_trial(params={"lr": 0.001}, distributions={"lr": lr}, value=0.5))

    plain = stages_run(dvc(repo, "repro", "--dry"))
    assert "evaluate" in plain and not [stage for stage in plain if "tune" in stage]

    # The tuning stage alone (-s: its upstream stages are the tests' tiny ones, not re-run).
    assert stages_run(dvc(repo, "repro", "-s", "tuning/dvc.yaml")) == ["tuning/dvc.yaml:tune"]
    best = yaml.safe_load((repo / "reports" / "tune" / "best_params.yaml").read_text())
    assert best["storage"] == storage  # the project's own store, found from its root
    assert best["trials"] == {"complete": 1} and best["best"]["params"] == {"lr": 0.001}
    lock = yaml.safe_load((repo / "tuning" / "dvc.lock").read_text())["stages"]["tune"]
    assert set(lock["params"]["params.yaml"]) == {"tune", "train_voice_encoder"}

    again = dvc(repo, "repro", "-s", "tuning/dvc.yaml")
    assert stages_run(again) == [] and "up to date" in again.stdout
