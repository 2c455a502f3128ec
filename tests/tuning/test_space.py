"""The search space is read from params.yaml strictly, and suggests the declared values."""

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from speech2face.errors import InputError
from speech2face.params import TuneParams, load_section
from speech2face.paths import PARAMS
from speech2face.tuning.space import parse_space, with_values

SPACE = {
    "lr": {"low": 0.0001, "high": 0.01, "log": True},
    "dropout": {"low": 0.0, "high": 0.3, "step": 0.1},
    "n_mels": {"low": 32, "high": 128, "log": True},
    "trainer.batch_size": {"choices": [16, 32]},
    "frontend": {"choices": ["logmel", "paper"]},
    "temperature": {"low": 1, "high": 4},  # whole numbers are fine for a float key
}


def test_the_project_space_parses():
    params = load_section(TuneParams, "tune", PARAMS)
    names = [d.name for d in parse_space(params.space, "tune.space")]
    assert {"lr", "width", "lambda1", "lambda2", "temperature", "dropout"} <= set(names)


def test_each_kind_suggests_its_distribution():
    space = parse_space(SPACE, "tune.space")
    trial = optuna.create_study().ask()
    values = {d.name: d.suggest(trial) for d in space}
    expected = {
        "lr": FloatDistribution(0.0001, 0.01, log=True),
        "dropout": FloatDistribution(0.0, 0.3, step=0.1),
        "n_mels": IntDistribution(32, 128, log=True),
        "trainer.batch_size": CategoricalDistribution([16, 32]),
        "frontend": CategoricalDistribution(["logmel", "paper"]),
        "temperature": FloatDistribution(1.0, 4.0),
    }
    assert trial.distributions == expected
    assert isinstance(values["n_mels"], int) and isinstance(values["temperature"], float)
    assert 0.0001 <= values["lr"] <= 0.01


def test_values_go_into_a_copy_of_the_section():
    section = {"lr": 0.001, "trainer": {"batch_size": 32, "max_epochs": 10}}
    changed = with_values(section, {"lr": 0.002, "trainer.batch_size": 16})
    assert changed == {"lr": 0.002, "trainer": {"batch_size": 16, "max_epochs": 10}}
    assert section["trainer"]["batch_size"] == 32


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("learning_rate", {"low": 0.1, "high": 1}, "has no key 'learning_rate'"),
        ("trainer", {"low": 1, "high": 2}, "has no key 'trainer'"),
        ("lr", {"low": 0.01, "high": 0.001}, "low (0.01) must be below high (0.001)"),
        ("lr", {"low": 0.0, "high": 0.1, "log": True}, "a log scale needs low > 0"),
        ("lr", {"low": 0.001, "high": 0.1, "log": "yes"}, "tune.space.lr.log: expected true"),
        ("lr", {"low": 0.001, "high": 0.1, "log": True, "step": 0.01}, "no step with log"),
        ("lr", {"min": 0.001, "max": 0.1}, "expected low and high"),
        ("lr", [0.001, 0.1], "expected {low, high"),
        ("n_mels", {"low": 32.5, "high": 64}, "tune.space.n_mels.low: expected a whole number"),
        ("frontend", {"low": 1, "high": 2}, "takes {choices}, not a range"),
        ("frontend", {"choices": []}, "a non-empty list"),
        ("trainer.batch_size", {"choices": [16, "big"]}, "expected a whole number"),
    ],
)
def test_bad_entries_are_named(name, spec, message):
    with pytest.raises(InputError) as error:
        parse_space({name: spec}, "params.yaml: tune.space")
    assert message in str(error.value)
    assert str(error.value).startswith(f"params.yaml: tune.space.{name}")
