"""Corpora whose ethnicity is unknown for some or all speakers, and stages run on them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from speech2face.manifest import SPLITS, UNKNOWN
from tests.conftest import run_cli

# hide the ethnicity of every speaker, or of every other one
HIDDEN = {"all_unknown": 1, "half_unknown": 2}


def hide_ethnicity(frame: pd.DataFrame, every: int) -> pd.DataFrame:
    """`frame` with the ethnicity of every `every`-th speaker of each split and group (by id)
    set to unknown: with every > 1, each group keeps a labelled speaker in each split."""
    speakers = frame.drop_duplicates("speaker_id").sort_values("speaker_id")
    position = speakers.groupby(["split", "ethnicity"]).cumcount()
    hidden = frame.speaker_id.isin(speakers.speaker_id[position % every == every - 1])
    return frame.assign(ethnicity=frame.ethnicity.mask(hidden, UNKNOWN))


def hide_in_features(features: Path, every: int) -> Path:
    """Hide ethnicities in every split's clips.csv of the features in `features`."""
    for split in SPLITS:
        path = features / split / "clips.csv"
        clips = pd.read_csv(path, dtype=str, keep_default_na=False)
        hide_ethnicity(clips, every).to_csv(path, index=False)
    return features


def train_classifier(trained, features: Path, raw: Path, folder: Path):
    """A models folder in `folder`: the session's voice encoder and face decoder, and an
    attribute classifier trained on `features`; and the click result of that training."""
    root, common = trained
    models = folder / "models"
    for name in ("voice_encoder", "face_decoder"):
        shutil.copytree(root / "models" / name, models / name)
    result = run_cli(
        "train_attribute_classifier",
        *common[:2],
        "--features",
        features,
        "--models",
        models,
        "--embeddings",
        root / "embeddings",
        "--metrics",
        folder / "metrics",
        "--raw",
        raw,
    )
    return models, result


def evaluate_on(trained, features: Path, models: Path, raw: Path, reports: Path):
    """The evaluate stage on `features` with the networks in `models`, writing `reports`."""
    root, common = trained
    return run_cli(
        "evaluate",
        *common[:2],
        *common[-2:],
        "--features",
        features,
        "--embeddings",
        root / "embeddings",
        "--models",
        models,
        "--raw",
        raw,
        "--reports",
        reports,
    )
