"""Tuning tests: tiny studies on the session's trained face models, every output in tmp_path."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from tests.conftest import TRAINER, TRAINING, tiny_params

# Trials as small as the voice encoder allows: half-second crops, two batches, one epoch.
VOICE = {
    **TRAINING["train_voice_encoder"],
    "crop_seconds": 0.5,
    "trainer": {**TRAINER, "batch_size": 20, "max_epochs": 1},
}
NO_PRUNING = {"kind": "none", "startup_trials": 0, "warmup_epochs": 0, "threshold": None}
LR = {"lr": {"low": 0.0005, "high": 0.005, "log": True}}


def tune_params(path: Path, **tune) -> Path:
    """The tiny training params with `tune` values over the project's `tune` section."""
    tune = {"n_trials": 3, "pruner": NO_PRUNING, "space": LR, **tune}
    return tiny_params(path, {**TRAINING, "train_voice_encoder": VOICE, "tune": tune})


@pytest.fixture
def tune_args(trained, tiny_features, tmp_path):
    """`speech2face tune` options for a study of its own in tmp_path (params file last)."""
    root, _ = trained
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    return storage, [
        "--features",
        tiny_features,
        "--embeddings",
        root / "embeddings",
        "--models",
        root / "models",
        "--out",
        tmp_path / "tune",
        "--storage",
        storage,
    ]


def trials(storage: str, name: str = "voice_encoder") -> list[optuna.trial.FrozenTrial]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=name, storage=storage).trials


def states(storage: str) -> dict[int, str]:
    return {t.number: t.state.name for t in trials(storage)}
