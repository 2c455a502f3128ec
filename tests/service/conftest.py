"""The service on the tiny pipeline's models: in process (TestClient) and on a real port."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from speech2face.network import free_port
from speech2face.service.app import create_app
from speech2face.service.loading import load
from speech2face.service.settings import Settings
from tests.audio_files import voice, write_wav
from tests.conftest import run_cli, tiny_params


@pytest.fixture(scope="session")
def models(trained) -> Path:
    return trained[0] / "models"


@pytest.fixture(scope="session")
def reports(models, evaluated, tiny_features, tmp_path_factory) -> Path:
    """The tiny models' evaluation, and their registration (a gate lenient enough for them)."""
    folder = tmp_path_factory.mktemp("service") / "reports"
    shutil.copytree(evaluated, folder)
    lenient = {
        "register": {"model_name": "service_test", "beyond_chance": [], "max_gender_gap": 1.0}
    }
    params = tiny_params(folder.parent / "params.yaml", lenient)
    arguments = ["--params", params, "--models", models, "--features", tiny_features]
    result = run_cli("register", *arguments, "--reports", folder)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def settings(models, reports) -> Settings:
    return Settings(model=str(models), max_upload_bytes=400_000, max_seconds=8.0, reports=reports)


@pytest.fixture(scope="session")
def client(settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def wav(tmp_path) -> Path:
    return write_wav(tmp_path / "voice.wav", voice(3.0, 16000), 16000)


@contextmanager
def live_server(settings: Settings, loader=load) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, loader), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
