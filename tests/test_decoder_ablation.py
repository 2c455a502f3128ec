"""scripts/decoder_ablation.py: its variants and the params file each one trains with."""

import importlib.util
from pathlib import Path

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
