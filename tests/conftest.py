"""Shared fixtures: a tiny corpus generated once per session, and its features."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from speech2face.cli import app
from speech2face.paths import PARAMS

# A corpus small enough to generate in seconds, balanced so each group has test speakers.
TINY = {
    "generate": {
        "n_speakers": 40,
        "clips_per_speaker": 2,
        "group_shares": {"group_a": 0.25, "group_b": 0.25, "group_c": 0.25, "group_d": 0.25},
        "split_fractions": {"train": 0.5, "val": 0.2, "test": 0.3},
        "image_size": 64,
    },
    "validate_raw": {"min_test_speakers_per_group": 1},
    "preprocess": {"audio": {"seconds": 2.0, "sample_rate": 16000}, "image_size": 64},
}


# The default population's group shares and split fractions, as in params.yaml.
SHARES = {"group_a": 0.5, "group_b": 0.25, "group_c": 0.15, "group_d": 0.1}
FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}


def population(n: int, seed: int, link_strength: float = 0.8):
    """`n` speakers of the default population, without generating any clip."""
    from speech2face.corpus.population import draw_population

    return draw_population(n, SHARES, FRACTIONS, link_strength, seed)


def tiny_params(path: Path, overrides: dict = TINY) -> Path:
    """The project's params.yaml with `overrides` merged into its sections, written to `path`."""
    params = yaml.safe_load(PARAMS.read_text())
    for section, values in overrides.items():
        for key, value in values.items():
            params[section][key] = value
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


@pytest.fixture
def raw_copy(tiny_raw, tmp_path) -> Path:
    """A private copy of the tiny corpus, to plant defects in."""
    return Path(shutil.copytree(tiny_raw, tmp_path / "raw"))


@pytest.fixture
def features_copy(tiny_features, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_features, tmp_path / "features"))
