"""The attribute classifier when ethnicity is unknown for some or all speakers."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile
import torch

from speech2face.manifest import UNKNOWN
from speech2face.training import networks
from speech2face.training.labels import (
    attribute_classes,
    labelled_cross_entropy,
)
from tests.conftest import run_cli
from tests.unknown_ethnicity import HIDDEN, hide_in_features, train_classifier


def train(*ethnicities: str) -> pd.DataFrame:
    return pd.DataFrame({"ethnicity": list(ethnicities)})


def test_unknown_is_no_class_and_one_labelled_class_is_no_attribute():
    assert attribute_classes(train("b", UNKNOWN, "a", "b"))["ethnicity"] == ["a", "b"]
    assert "ethnicity" not in attribute_classes(train("a", UNKNOWN, "a"))
    assert "ethnicity" not in attribute_classes(train(UNKNOWN, UNKNOWN))
    assert list(attribute_classes(train(UNKNOWN))) == ["gender", "age_group"]


def test_a_batch_without_labels_adds_no_loss():
    scores = torch.randn(4, 3, requires_grad=True)
    none = labelled_cross_entropy(scores, torch.full((4,), -1))
    none.backward()
    assert none.item() == 0.0 and torch.count_nonzero(scores.grad) == 0
    some = labelled_cross_entropy(scores, torch.tensor([-1, 2, -1, 0]))
    expected = torch.nn.functional.cross_entropy(scores[[1, 3]], torch.tensor([2, 0]))
    assert some.item() == pytest.approx(expected.item())


@pytest.fixture(scope="module", params=HIDDEN.values(), ids=HIDDEN.keys())
def hidden(request, trained, tiny_raw, tiny_features, tmp_path_factory):
    """(every, models folder, click result) of the classifier trained on features whose
    ethnicity is unknown for every speaker or every other one."""
    folder = tmp_path_factory.mktemp("hidden")
    features = hide_in_features(shutil.copytree(tiny_features, folder / "features"), request.param)
    models, result = train_classifier(trained, features, tiny_raw, folder)
    return request.param, models, result


def test_the_classifier_trains_without_an_unknown_class(hidden):
    every, models, result = hidden
    assert result.exit_code == 0, result.output
    classes = networks.load(models / "attribute_classifier").classes
    metrics = json.loads(
        (models.parent / "metrics" / "train_attribute_classifier.json").read_text()
    )
    assert all(np.isfinite(v) for v in metrics.values())
    if every == HIDDEN["all_unknown"]:
        assert list(classes) == ["gender", "age_group"]
        assert not any("ethnicity" in name for name in metrics)
    else:
        assert len(classes["ethnicity"]) >= 2 and UNKNOWN not in classes["ethnicity"]
        assert 0.0 <= metrics["test_ethnicity_accuracy"] <= 1.0


def test_predict_prints_the_attributes_the_classifier_has(hidden, tmp_path):
    every, models, _ = hidden
    audio = tmp_path / "voice.wav"
    tone = 0.2 * np.sin(2 * np.pi * 140 * np.arange(32000) / 16000)
    soundfile.write(audio, tone.astype(np.float32), 16000)
    result = run_cli(
        "predict", audio, "-o", tmp_path / "face.png", "--models", models, "--attributes"
    )
    assert result.exit_code == 0, result.output
    assert "gender: " in result.output and "age: " in result.output
    assert ("ethnicity: " in result.output) == (every != HIDDEN["all_unknown"])
