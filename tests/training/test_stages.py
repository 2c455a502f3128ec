"""The training stages on the tiny corpus: outputs, MLflow runs, determinism, DDP."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from speech2face.manifest import SPLITS
from tests.conftest import TRAINING, private_training, run_cli, tiny_params


def metrics(root: Path, stage: str) -> dict:
    return json.loads((root / "metrics" / f"{stage}.json").read_text())


def test_face_encoder_writes_embeddings_and_logits_for_every_split(trained, tiny_features):
    root, _ = trained
    for split in SPLITS:
        clips = len(np.load(tiny_features / split / "faces.npy", mmap_mode="r"))
        assert np.load(root / "embeddings" / split / "embeddings.npy").shape == (clips, 32)
        logits = np.load(root / "embeddings" / split / "logits.npy")
        assert logits.shape[0] == clips and np.isfinite(logits).all()
    result = metrics(root, "train_face_encoder")
    assert 0.0 <= result["heldout_identity_accuracy"] <= 1.0 and result["identities"] > 5


def test_every_stage_saves_its_model_and_metrics(trained, store):
    import mlflow

    from speech2face.tracking import run_of_model

    root, _ = trained
    for model in ("face_encoder", "face_decoder", "voice_encoder"):
        assert sorted(p.name for p in (root / "models" / model).iterdir()) == ["model.pt"]
        run = run_of_model(root / "models" / model / "model.pt")  # traced by the file's hash
        assert (
            mlflow.MlflowClient(store).get_run(run).data.tags["speech2face.stage"]
            == f"train_{model}"
        )
    voice = metrics(root, "train_voice_encoder")
    assert {"val_cosine", "val_recall_at_5", "baseline_mean_embedding_cosine"} <= set(voice)


def test_stages_are_nested_runs_of_one_pipeline_run(trained, store):
    import mlflow

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    stages = {r.data.tags.get("speech2face.stage"): r for r in runs}
    assert {"train_face_encoder", "train_face_decoder", "train_voice_encoder"} <= set(stages)
    voice = stages["train_voice_encoder"]
    assert "val/recall_at_5" in voice.data.metrics
    assert voice.data.params["train_voice_encoder.width"] == "0.125"
    parent = mlflow.get_run(voice.data.tags["mlflow.parentRunId"])
    assert parent.data.tags["speech2face.kind"] == "pipeline"
    commit = parent.data.tags.get("mlflow.source.git.commit", "no commit")[:7]
    assert parent.info.run_name == f"pipeline {commit}"  # what it ran, not a process id
    history = mlflow.MlflowClient().get_metric_history(voice.info.run_id, "train/loss")
    assert len(history) == 2  # one value per epoch: a learning curve


def test_same_params_same_metrics_and_model_bytes(trained):
    root, common = trained
    first = metrics(root, "train_voice_encoder")
    model = root / "models" / "voice_encoder" / "model.pt"
    weights = model.read_bytes()
    result = run_cli("train_voice_encoder", *common)
    assert result.exit_code == 0, result.output
    assert metrics(root, "train_voice_encoder") == first
    assert model.read_bytes() == weights  # so dvc.lock reproduces


@pytest.mark.slow
def test_voice_encoder_trains_with_ddp_on_two_cpu_processes(trained, tmp_path):
    ddp = {
        **TRAINING,
        "train_voice_encoder": {
            **TRAINING["train_voice_encoder"],
            "trainer": {
                **TRAINING["train_voice_encoder"]["trainer"],
                "devices": 2,
                "strategy": "ddp",
            },
        },
    }
    params = tiny_params(tmp_path / "params.yaml", ddp)
    arguments = private_training(trained, tmp_path, params)
    command = [Path(sys.executable).parent / "speech2face", "train_voice_encoder", *arguments]
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "MEMBER: 2/2" in output  # two processes joined the process group (gloo on CPU)
    assert metrics(tmp_path, "train_voice_encoder")["val_speakers"] > 0
