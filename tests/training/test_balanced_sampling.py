"""`train_voice_encoder.balance_by`: training clips drawn so that every group comes alike."""

import numpy as np
import pandas as pd
import pytest
import yaml

from speech2face.params import ParamsError, VoiceEncoderParams, load_section
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.labels import balanced_weights
from tests.conftest import TRAINING, private_training, run_cli, tiny_params

GROUPS = np.array(["a"] * 600 + ["b"] * 200 + ["c"] * 60 + ["unknown"] * 40)


def drawn_groups(weights, seed: int) -> np.ndarray:
    """The groups of one epoch's training items, drawn by the data module's loader."""
    data = ArrayDataModule(
        ArrayDataset({"row": np.arange(len(GROUPS))}),
        ArrayDataset({"row": np.arange(4)}),
        50,
        0,
        weights,
        seed,
    )
    rows = np.concatenate([batch["row"].numpy() for batch in data.train_dataloader()])
    return GROUPS[rows]


def test_every_value_weighs_alike_unknown_included():
    weights = balanced_weights(pd.Series(GROUPS))
    totals = pd.Series(weights).groupby(GROUPS).sum()
    assert totals.to_numpy() == pytest.approx(np.ones(4))


def test_an_epoch_draws_every_group_about_equally_and_the_seed_fixes_it():
    groups = drawn_groups(balanced_weights(pd.Series(GROUPS)), seed=3)
    assert len(groups) == len(GROUPS)  # an epoch is as long as the train set
    counts = pd.Series(groups).value_counts()
    assert set(counts.index) == set(GROUPS)
    assert counts.min() > 0.7 * len(GROUPS) / 4 and counts.max() < 1.3 * len(GROUPS) / 4
    assert (drawn_groups(balanced_weights(pd.Series(GROUPS)), seed=3) == groups).all()
    assert (drawn_groups(balanced_weights(pd.Series(GROUPS)), seed=4) != groups).any()


def test_without_weights_every_item_comes_once():
    assert pd.Series(drawn_groups(None, seed=3)).value_counts().to_dict() == (
        pd.Series(GROUPS).value_counts().to_dict()
    )


def test_an_unknown_attribute_is_refused_by_name(tmp_path):
    params = tiny_params(
        tmp_path / "params.yaml", {"train_voice_encoder": {"balance_by": "accent"}}
    )
    with pytest.raises(ParamsError, match=r"^train_voice_encoder\.balance_by: expected one of"):
        load_section(VoiceEncoderParams, "train_voice_encoder", params)


def test_the_voice_encoder_trains_balanced_over_ethnicity(trained, tmp_path):
    balanced = {**TRAINING, "train_voice_encoder": {**TRAINING["train_voice_encoder"]}}
    balanced["train_voice_encoder"]["balance_by"] = "ethnicity"
    params = tiny_params(tmp_path / "params.yaml", balanced)
    assert yaml.safe_load(params.read_text())["train_voice_encoder"]["balance_by"] == "ethnicity"
    arguments = private_training(trained, tmp_path, params)
    models = tmp_path / "models"
    result = run_cli("train_voice_encoder", *arguments)
    assert result.exit_code == 0, result.output
    assert (models / "voice_encoder" / "model.pt").exists()
    assert (tmp_path / "metrics" / "train_voice_encoder.json").exists()
