"""`speech2face register` on the tiny pipeline: a traced, aliased MLflow version; a worse
experiment becomes the challenger and the champion stays; the version serves requests."""

import base64
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import torch
from mlflow import MlflowClient

from speech2face.avatar.pyfunc import example_voice
from speech2face.network import free_port
from speech2face.training import networks
from tests.conftest import run_cli, tiny_params

NAME = "speech2face_test"
# The tiny models are not beyond chance: these tests gate on the interval and the gap only.
LENIENT = {"register": {"model_name": NAME, "beyond_chance": [], "max_gender_gap": 1.0}}


def evaluation(reports: Path, folder: Path, recall: tuple[float, float, float]) -> Path:
    """The tiny pipeline's evaluation, with its overall recall@5 and interval set to `recall`."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = json.loads((reports / "metrics.json").read_text())
    for end, value in zip(("", "_low", "_high"), recall):
        summary[f"recall_at_5{end}"] = value
    (folder / "metrics.json").write_text(json.dumps(summary))
    shutil.copy(reports / "groups.csv", folder)
    return folder


def retrained(models: Path, folder: Path) -> Path:
    """A copy of `models` whose voice encoder's weights differ (another experiment's model)."""
    shutil.copytree(models, folder)
    kind = "voice_encoder"
    net = networks.load(folder / kind)
    with torch.no_grad():
        for weight in net.parameters():
            weight.mul_(0.9)
    networks.save(
        net, kind, networks.config(folder / kind), folder / kind, None, networks.meta(folder / kind)
    )
    return folder


@pytest.fixture(scope="module")
def registered(trained, evaluated, tiny_features, tmp_path_factory):
    """The tiny models registered once (recall@5 0.30 [0.25, 0.35]): version 1, champion."""
    root = tmp_path_factory.mktemp("register")
    params = tiny_params(root / "params.yaml", LENIENT)
    reports = evaluation(evaluated, root / "good", (0.30, 0.25, 0.35))
    models = trained[0] / "models"
    arguments = ["--params", params, "--models", models, "--features", tiny_features]
    result = run_cli("register", *arguments, "--reports", reports)
    assert result.exit_code == 0, result.output
    return params, models, reports, arguments


def test_the_version_is_champion_and_traced_to_commit_run_params_and_data(registered):
    _, _, reports, _ = registered
    client = MlflowClient()
    version = client.get_model_version_by_alias(NAME, "champion")
    tags = version.tags
    document = json.loads((reports / "register.json").read_text())
    assert document["alias"] == "champion" and tags["speech2face.gate"] == "champion"
    for key in ("models_sha256", "params_sha256", "data_sha256"):
        assert tags[f"speech2face.{key}"] == document[key] and len(document[key]) == 64
    run = client.get_run(tags["speech2face.pipeline_run"])
    assert run.data.tags["speech2face.kind"] == "pipeline"
    assert "speech2face.git_commit" in tags and float(tags["speech2face.recall_at_5"]) == 0.30
    assert (
        "| recall_at_5 not worse than the champion | yes |" in (reports / "register.md").read_text()
    )


def test_the_registered_model_reads_a_voice_file_s_bytes(registered):
    model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    schema = model.metadata.get_input_schema().to_dict()
    assert schema == [{"type": "binary", "name": "audio", "required": True}]
    out = model.predict(pd.DataFrame({"audio": [example_voice(16000)]}), params={"size": 32})
    assert set(out.columns) >= {"image_png_b64", "gender", "gender_probability", "age"}
    assert out.gender[0] in ("female", "male") and 0.5 <= out.gender_probability[0] <= 1
    with pytest.raises(Exception, match="audio row 0: .*silent"):
        silence = example_voice(16000)[:44] + bytes(64000)
        model.predict(pd.DataFrame({"audio": [silence]}))


def test_the_same_models_again_add_no_version(registered):
    _, _, reports, arguments = registered
    before = len(MlflowClient().search_model_versions(f"name = '{NAME}'"))
    result = run_cli("register", *arguments, "--reports", reports)
    assert result.exit_code == 0, result.output
    assert len(MlflowClient().search_model_versions(f"name = '{NAME}'")) == before


def test_a_worse_experiment_is_the_challenger_and_the_champion_stays(registered, tmp_path):
    params, models, good, arguments = registered
    client = MlflowClient()
    champion = client.get_model_version_by_alias(NAME, "champion").version
    worse_models = retrained(models, tmp_path / "models")
    reports = evaluation(good, tmp_path / "reports", (0.10, 0.05, 0.15))
    result = run_cli(
        "register", *arguments[:2], "--models", worse_models, *arguments[4:], "--reports", reports
    )
    assert result.exit_code == 0, result.output  # a failing gate does not fail the pipeline
    assert "is the challenger" in result.output
    assert "gate rule failed: recall_at_5 not worse than the champion" in result.output
    assert client.get_model_version_by_alias(NAME, "champion").version == champion
    challenger = client.get_model_version_by_alias(NAME, "challenger")
    assert challenger.version != champion and challenger.tags["speech2face.gate"] == "challenger"
    text = (reports / "register.md").read_text()
    assert "registered as `challenger`" in text and f"(version {champion})" in text


@pytest.mark.slow
def test_mlflow_models_serve_answers_with_a_face(registered, store):
    port = free_port()
    bin_folder = Path(sys.executable).parent
    command = [
        str(bin_folder / "mlflow"),
        "models",
        "serve",
        "-m",
        f"models:/{NAME}@champion",
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    environment = {**os.environ, "PATH": f"{bin_folder}:{os.environ['PATH']}"}
    server = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 150
        while True:
            assert server.poll() is None, server.stderr.read()[-2000:]
            try:
                urllib.request.urlopen(base + "/ping", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "mlflow models serve did not answer /ping"
                time.sleep(1)
        body = {
            "dataframe_split": {
                "columns": ["audio"],
                "data": [[base64.b64encode(example_voice(16000)).decode()]],
            }
        }
        request = urllib.request.Request(
            base + "/invocations", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
        row = answer["predictions"][0]
        assert base64.b64decode(row["image_png_b64"])[:8] == b"\x89PNG\r\n\x1a\n"
        assert row["gender"] in ("female", "male")
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
