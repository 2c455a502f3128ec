"""The dlib teacher: an identity head on frozen descriptors, the descriptors as the teacher's
embeddings, and decoder and student trained against them unchanged (tiny data, CPU)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from speech2face.errors import InputError
from speech2face.features.arrays import EMBEDDINGS, LOGITS
from speech2face.pretrained.descriptor_stage import DESCRIPTORS, cached_descriptors
from speech2face.pretrained.dlib_faces import DESCRIPTOR_DIM
from speech2face.training import networks
from speech2face.training.dlib_teacher import fit_identity_head
from tests.conftest import TRAINING, run_cli, tiny_params

DLIB = {**TRAINING, "train_face_encoder": {**TRAINING["train_face_encoder"], "teacher": "dlib"}}


def _clusters(seed: int, per_identity: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.1, (10, DESCRIPTOR_DIM))
    labels = np.repeat(np.arange(10), per_identity)
    return (centres[labels] + rng.normal(0, 0.02, (len(labels), DESCRIPTOR_DIM))), labels


def test_the_identity_head_tells_held_out_faces_apart_and_is_deterministic():
    x, y = _clusters(0, 4)
    first, again = (fit_identity_head(x.astype(np.float32), y, 10, 1e-3, 7) for _ in range(2))
    assert torch.equal(first.weight, again.weight)
    held_x, held_y = _clusters(0, 6)
    with torch.no_grad():
        predicted = first(torch.from_numpy(held_x).float()).argmax(1).numpy()
    assert (predicted == held_y).mean() >= 0.9
    assert not first.weight.requires_grad  # frozen: the stand-in never moves it


def test_missing_or_stale_descriptors_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="run `speech2face face_descriptors` first"):
        cached_descriptors(tmp_path, "train", 3)
    (tmp_path / "train").mkdir()
    np.save(tmp_path / "train" / DESCRIPTORS, np.zeros((2, DESCRIPTOR_DIM), np.float32))
    with pytest.raises(InputError, match="2 descriptors for 3 clips"):
        cached_descriptors(tmp_path, "train", 3)


def test_an_unknown_teacher_is_refused(tmp_path, tiny_features):
    params = tiny_params(
        tmp_path / "params.yaml",
        {**TRAINING, "train_face_encoder": {**TRAINING["train_face_encoder"], "teacher": "vgg"}},
    )
    result = run_cli("train_face_encoder", "--params", params, "--features", tiny_features)
    assert result.exit_code != 0
    assert "train_face_encoder.teacher: 'vgg' is not one of" in result.output
    assert "Traceback" not in result.output


def test_the_pipeline_trains_against_the_dlib_teacher(tmp_path, tiny_features, tiny_descriptors):
    params = tiny_params(tmp_path / "params.yaml", DLIB)
    common = [
        "--params",
        params,
        "--features",
        tiny_features,
        "--descriptors",
        tiny_descriptors,
        "--models",
        tmp_path / "models",
        "--embeddings",
        tmp_path / "embeddings",
        "--metrics",
        tmp_path / "metrics",
    ]
    for stage in ("train_face_encoder", "train_face_decoder", "train_voice_encoder"):
        result = run_cli(stage, *common)
        assert result.exit_code == 0, result.output

    for split in ("train", "val", "test"):  # the teacher's embeddings are dlib's descriptors
        embedding = np.load(tmp_path / "embeddings" / split / EMBEDDINGS)
        np.testing.assert_array_equal(embedding, np.load(tiny_descriptors / split / DESCRIPTORS))
    stand_in = networks.load(tmp_path / "models" / "face_encoder")
    config = networks.config(tmp_path / "models" / "face_encoder")
    assert config["embedding_dim"] == DESCRIPTOR_DIM and config["linear_embedding"]
    train = np.load(tmp_path / "embeddings" / "train" / EMBEDDINGS)
    with torch.no_grad():  # the logits are the fitted head's, on the descriptors
        logits = stand_in.head(torch.from_numpy(train)).numpy()
    np.testing.assert_allclose(
        np.load(tmp_path / "embeddings" / "train" / LOGITS), logits, rtol=1e-5, atol=1e-5
    )
    metrics = json.loads((tmp_path / "metrics" / "train_face_encoder.json").read_text())
    assert 0.0 <= metrics["heldout_identity_accuracy"] <= 1.0
    assert metrics["stand_in_heldout_descriptor_distance"] > 0.0
    voice = networks.config(tmp_path / "models" / "voice_encoder")
    assert voice["embedding_dim"] == DESCRIPTOR_DIM  # the student predicts descriptors
