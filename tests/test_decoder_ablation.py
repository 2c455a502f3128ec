"""scripts/decoder_ablation.py: its variants and the params file each one trains with."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import yaml

SCRIPT = Path(__file__).parents[1] / "scripts" / "decoder_ablation.py"


@pytest.fixture(scope="module")
def ablation():
    spec = importlib.util.spec_from_file_location("decoder_ablation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_variant_names_its_changes_as_yaml_values(ablation):
    assert ablation.variant("default:") == ("default", {})
    name, changes = ablation.variant(
        "sharp:train_face_decoder.loss_weights.adversarial=0.1,train_attribute_classifier.seed=5"
    )
    assert name == "sharp"
    assert changes == {
        "train_face_decoder.loss_weights.adversarial": 0.1,
        "train_attribute_classifier.seed": 5,
    }
    with pytest.raises(SystemExit, match="expected name:key=value"):
        ablation.variant("broken:train_face_decoder.width")


def test_changed_params_change_those_values_only_and_refuse_unknown_keys(ablation, tmp_path):
    path = ablation.changed_params(
        {"train_face_decoder.loss_weights.adversarial": 0.1}, tmp_path / "p.yaml"
    )
    changed, project = yaml.safe_load(path.read_text()), yaml.safe_load(ablation.PARAMS.read_text())
    assert changed["train_face_decoder"]["loss_weights"]["adversarial"] == 0.1
    changed["train_face_decoder"]["loss_weights"]["adversarial"] = project["train_face_decoder"][
        "loss_weights"
    ]["adversarial"]
    assert changed == project
    with pytest.raises(SystemExit, match="no such value"):
        ablation.changed_params({"train_face_decoder.no_such_value": 1}, tmp_path / "q.yaml")


def test_the_probe_reads_what_the_embedding_carries_and_no_more(ablation):
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(60), 5)
    embedding = rng.normal(size=(300, 16)) + rng.normal(size=(60, 16))[speakers]
    written = np.where(embedding[:, 0] > 0, "a", "b")
    unrelated = np.where(rng.random(300) > 0.5, "a", "b")
    assert ablation.probe_agreement(embedding, written, speakers) > 0.9
    assert abs(ablation.probe_agreement(embedding, unrelated, speakers) - 0.5) < 0.1
    assert ablation.probe_agreement(embedding, np.full(300, "a"), speakers) == 1.0


def test_teacher_quality_is_read_only_when_the_teacher_was_trained(ablation, tmp_path):
    assert ablation.teacher_quality(tmp_path) == {}
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "train_face_encoder.json").write_text(
        '{"heldout_identity_accuracy": 0.5, "identities": 4}'
    )
    assert ablation.teacher_quality(tmp_path) == {"teacher identity": 0.5}
