"""The fairness objective: validation recall@5 per group, as the stage measures it overall."""

import json

import pandas as pd
import pytest

from speech2face.manifest import GROUP_COLUMNS, UNKNOWN
from speech2face.tuning.fairness import OVERALL, recall_at_5_by_group, worst_group
from tests.conftest import TRAINING
from tests.unknown_ethnicity import HIDDEN, hide_in_features


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


@pytest.mark.parametrize("every", HIDDEN.values(), ids=HIDDEN.keys())
def test_unknown_is_never_a_group_of_the_objective(every, trained, features_copy):
    root, _ = trained
    crop = TRAINING["train_voice_encoder"]["crop_seconds"]
    features = hide_in_features(features_copy, every)
    recall = recall_at_5_by_group(
        root / "models" / "voice_encoder", features, root / "embeddings", crop
    )
    clips = pd.read_csv(features / "val" / "clips.csv")
    labelled = set(clips.ethnicity) - {UNKNOWN}
    assert {g for g in recall if g.startswith("ethnicity/")} == {f"ethnicity/{e}" for e in labelled}
    assert not worst_group(recall)[0].endswith(UNKNOWN)
