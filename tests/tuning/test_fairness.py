"""The fairness objective: validation recall@5 per group, as the stage measures it overall."""

import json

import pandas as pd
import pytest

from speech2face.manifest import GROUP_COLUMNS
from speech2face.tuning.fairness import OVERALL, recall_at_5_by_group, worst_group
from tests.conftest import TRAINING


def test_groups_of_the_validation_speakers_and_the_worst(trained, tiny_features):
    root, _ = trained
    crop = TRAINING["train_voice_encoder"]["crop_seconds"]
    recall = recall_at_5_by_group(
        root / "models" / "voice_encoder", tiny_features, root / "embeddings", crop
    )
    stage = json.loads((root / "metrics" / "train_voice_encoder.json").read_text())
    assert recall[OVERALL] == pytest.approx(stage["val_recall_at_5"], abs=1e-6)
    clips = pd.read_csv(tiny_features / "val" / "clips.csv")
    expected = {f"{c}/{g}" for c in GROUP_COLUMNS for g in clips[c].unique()}
    assert set(recall) == {OVERALL, *expected}
    name, value = worst_group(recall)
    assert value == min(recall[g] for g in expected) and recall[name] == value
