"""`speech2face tune --apply` edits params.yaml like a careful hand: values only, comments kept."""

import shutil

import pytest
import yaml

from speech2face.paths import PARAMS
from speech2face.tuning.apply import BEST_FILE, apply_values, exp_run_command
from tests.conftest import run_cli

VALUES = {"lr": 1e-05, "lambda2": 0.30000000000000004, "trainer.batch_size": 16}


@pytest.fixture
def params_copy(tmp_path):
    return shutil.copy(PARAMS, tmp_path / "params.yaml")


def best_file(folder, values=VALUES, front=()):
    """A best_params.yaml as the tune stage writes it."""
    folder.mkdir(exist_ok=True)
    best = {"trial": 3, "values": {"val_recall_at_5": 0.2}, "params": values}
    result = {"best": best, **({"pareto_front": list(front)} if front else {})}
    (folder / BEST_FILE).write_text(yaml.safe_dump(result, sort_keys=False))
    return folder


def test_only_the_tuned_lines_change_and_comments_stay(params_copy):
    before = params_copy.read_text().splitlines()
    apply_values(params_copy, VALUES)
    after = params_copy.read_text().splitlines()
    assert len(after) == len(before)
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert [new.split(":")[0].strip() for _, new in changed] == ["lr", "lambda2", "batch_size"]
    for old, new in changed:  # an end-of-line comment stays on its line
        assert ("#" in old) == ("#" in new)
        if "#" in old:
            assert old.split("#", 1)[1] == new.split("#", 1)[1]
    assert [line for line in after if line.lstrip().startswith("#")] == [
        line for line in before if line.lstrip().startswith("#")
    ]
    section = yaml.safe_load(params_copy.read_text())["train_voice_encoder"]
    # PyYAML reads `1e-05` as a string: the value is written `1.0e-05`, read back exactly.
    assert section["lr"] == 1e-05 and section["lambda2"] == 0.30000000000000004
    assert section["trainer"]["batch_size"] == 16
    original = yaml.safe_load(PARAMS.read_text())
    assert yaml.safe_load(params_copy.read_text())["evaluate"] == original["evaluate"]


def test_cli_applies_the_best_trial_and_prints_the_experiment(params_copy, tmp_path):
    out = best_file(tmp_path / "tune")
    result = run_cli("tune", "--apply", "--params", params_copy, "--out", out)
    assert result.exit_code == 0, result.output
    assert exp_run_command(VALUES) in result.output
    assert "-S train_voice_encoder.lr=1.0e-05" in exp_run_command(VALUES)
    assert yaml.safe_load(params_copy.read_text())["train_voice_encoder"]["lr"] == 1e-05


def test_a_trial_of_the_pareto_front_can_be_chosen(params_copy, tmp_path):
    other = {"trial": 7, "values": {}, "params": {"lr": 0.002}}
    out = best_file(tmp_path / "tune", front=[other])
    result = run_cli("tune", "--apply", "--trial", 7, "--params", params_copy, "--out", out)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(params_copy.read_text())["train_voice_encoder"]["lr"] == 0.002


@pytest.mark.parametrize(
    ("values", "extra", "message"),
    [
        (VALUES, ["--trial", 99], "trial 99 is not the best nor on the front"),
        ({"nope": 1}, [], "train_voice_encoder has no key 'nope'"),
        (None, [], "run `speech2face tune` first"),
    ],
)
def test_bad_apply_is_a_clear_error(params_copy, tmp_path, values, extra, message):
    out = best_file(tmp_path / "tune", values) if values else tmp_path / "missing"
    before = params_copy.read_text()
    result = run_cli("tune", "--apply", *extra, "--params", params_copy, "--out", out)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
    assert params_copy.read_text() == before
