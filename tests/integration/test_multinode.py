"""A training stage on two nodes: two torchrun launches on loopback (gloo), as two machines."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch

from speech2face.network import free_port
from tests.conftest import TRAINER, TRAINING, tiny_params

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HARNESS = Path(__file__).with_name("multinode_stage.py")
# One epoch (each epoch reshuffles the shards), batches small enough for half the rows.
TWO_NODES = {**TRAINER, "max_epochs": 1, "batch_size": 4, "strategy": "ddp", "num_nodes": 2}


def node(rank: int, port: int, arguments: list, out: Path, store: str) -> subprocess.Popen:
    """One machine's `torchrun` of the stage (one process per node)."""
    torchrun = [str(Path(sys.executable).with_name("torchrun")), "--nnodes=2"]
    torchrun += ["--nproc-per-node=1", f"--node-rank={rank}", "--master-addr=127.0.0.1"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": store, "OMP_NUM_THREADS": "1"}
    env.pop("SLURM_NTASKS", None)  # a stray one would switch Lightning to SLURM
    command = [*torchrun, f"--master-port={port}", str(HARNESS), str(out), *map(str, arguments)]
    with (out / f"node-{rank}.log").open("w") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


def test_two_nodes_train_on_disjoint_shards_to_identical_weights_tracked_once(
    tiny_features, tiny_descriptors, tmp_path
):
    params = tiny_params(
        tmp_path / "params.yaml",
        {
            **TRAINING,
            "train_face_encoder": {**TRAINING["train_face_encoder"], "trainer": TWO_NODES},
        },
    )
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    arguments = ["train_face_encoder", "--params", params, "--features", tiny_features]
    arguments += ["--models", tmp_path / "models", "--embeddings", tmp_path / "embeddings"]
    arguments += ["--metrics", tmp_path / "metrics", "--descriptors", tiny_descriptors]
    port = free_port()
    nodes = [node(rank, port, arguments, tmp_path, store) for rank in (0, 1)]
    for rank, process in enumerate(nodes):
        assert process.wait(timeout=300) == 0, (tmp_path / f"node-{rank}.log").read_text()

    seen = [json.loads((tmp_path / f"seen-{rank}.json").read_text()) for rank in (0, 1)]
    assert [s["world_size"] for s in seen] == [2, 2]
    shards = [set(s["seen"]) for s in seen]
    assert shards[0] and shards[1] and not shards[0] & shards[1]  # disjoint halves
    faces = np.load(tiny_features / "train" / "faces.npy")
    train = {hashlib.sha256(np.ascontiguousarray(f).tobytes()).hexdigest() for f in faces}
    assert shards[0] | shards[1] <= train
    assert len(shards[0]) == len(shards[1])  # equal shares

    weights = [torch.load(tmp_path / f"weights-{r}.pt", weights_only=True) for r in (0, 1)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])

    assert (tmp_path / "models" / "face_encoder" / "model.pt").exists()
    assert json.loads((tmp_path / "metrics" / "train_face_encoder.json").read_text())
    client = mlflow.MlflowClient(store)
    runs = client.search_runs(
        [client.get_experiment_by_name("speech2face").experiment_id],
        filter_string="tags.`speech2face.stage` = 'train_face_encoder'",
    )
    assert len(runs) == 1  # logged once, by global rank 0
