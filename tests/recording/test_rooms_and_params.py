"""The room bank and the augmentation's settings."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from speech2face.params import AugmentParams, ParamsError, load_section
from speech2face.recording.rooms import LEAD, SECONDS, rir_bank
from tests.recording.signals import SAMPLE_RATE


def test_rir_bank_is_seeded_with_unit_direct_path_first():
    bank = rir_bank(6, SAMPLE_RATE, seed=4)
    assert bank.shape == (6, int(SECONDS * SAMPLE_RATE)) and bank.dtype == np.float32
    np.testing.assert_array_equal(bank, rir_bank(6, SAMPLE_RATE, seed=4))
    assert not np.allclose(bank, rir_bank(6, SAMPLE_RATE, seed=5))
    np.testing.assert_allclose(np.abs(bank[:, LEAD - 1 : LEAD + 2]).max(axis=1), 1.0)
    # Before the direct path, only the fractional-delay filter's sinc side lobes.
    assert np.all(np.sum(bank[:, : LEAD - 2] ** 2, axis=1) < 0.1)
    assert np.all(np.abs(bank[:, -1]) < 1e-6)  # faded out


def test_longer_rt60_rings_longer():
    def tail_share(rt60):
        bank = rir_bank(8, SAMPLE_RATE, seed=0, rt60_s=(rt60, rt60))
        return np.mean(np.sum(bank[:, 1600:] ** 2, axis=1) / np.sum(bank**2, axis=1))

    assert tail_share(0.7) > 2 * tail_share(0.25)


def augment_params(section: dict, folder) -> AugmentParams:
    """`section` written as params.yaml's train_voice_encoder.augment, read back."""
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump({"train_voice_encoder": {"augment": section}}))
    return load_section(AugmentParams, "train_voice_encoder.augment", path)


def test_params_from_a_yaml_mapping(tmp_path):
    section = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in AugmentParams().__dict__.items()
    }
    assert augment_params(section, tmp_path) == AugmentParams()
    assert 0.2 < AugmentParams().clean_share < 0.3


@pytest.mark.parametrize(
    "change, message",
    [
        ({"noise_p": 1.5}, "noise_p"),
        ({"gain_db": [6.0, -6.0]}, "gain_db"),
        ({"codecs": ["aac"]}, "codecs"),
        ({"codec_kbps": [4]}, "kbps"),
        ({"pitch_p": 0.1}, "unknown key"),
    ],
)
def test_bad_params_are_clear_errors(change, message, tmp_path):
    section = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in {**AugmentParams().__dict__, **change}.items()
    }
    with pytest.raises(ParamsError, match=message):
        augment_params(section, tmp_path)
