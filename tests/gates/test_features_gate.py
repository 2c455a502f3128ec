"""Gate 2 passes preprocessed features and fails each planted defect, naming row and problem."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli


def rewrite_array(features, name, change):
    path = features / "test" / f"{name}.npy"
    np.save(path, change(np.load(path)))


def edit_clips(features, **values):
    path = features / "test" / "clips.csv"
    clips = pd.read_csv(path)
    for column, value in values.items():
        clips.loc[1, column] = value
    clips.to_csv(path, index=False)


def nan_in_array(features):
    rewrite_array(
        features,
        "waveforms",
        lambda w: np.where(np.arange(w.shape[1]) == 5, np.nan, w.astype(np.float32)),
    )


def nan_in_measurement(features):
    edit_clips(features, f0_median_hz=np.nan)


def wrong_count(features):
    rewrite_array(features, "faces", lambda f: f[:-1])


def silent_waveform(features):
    rewrite_array(features, "waveforms", lambda w: np.where(np.arange(len(w))[:, None] == 1, 0, w))


def clipped_waveform(features):
    rewrite_array(
        features,
        "waveforms",
        lambda w: np.where(np.arange(len(w))[:, None] == 1, 32767, w).astype(np.int16),
    )


def implausible_f0(features):
    edit_clips(features, f0_median_hz=900.0)


def black_face(features):
    rewrite_array(
        features,
        "faces",
        lambda f: np.where(np.arange(len(f))[:, None, None, None] == 1, 0, f).astype(np.uint8),
    )


DEFECTS = [
    (nan_in_array, "the array holds no NaN or infinity", "split='test', array='waveforms'"),
    (nan_in_array, "the array has the right dtype", "split='test', array='waveforms'"),
    (nan_in_measurement, "the measurement is a number [f0_median_hz]", "row=1"),
    (wrong_count, "the array has the right shape", "array='faces'"),
    (silent_waveform, "the stored waveform is not silent", "row=1"),
    (clipped_waveform, "the stored waveform is barely clipped", "row=1"),
    (implausible_f0, "F0 is plausible for a voice", "row=1"),
    (black_face, "face brightness is in range", "row=1"),
]


def gate(params_file, raw, features, reports):
    return run_cli(
        "validate_features",
        "--params",
        params_file,
        "--raw",
        raw,
        "--features",
        features,
        "--reports",
        reports,
    )


def test_preprocessed_features_pass(params_file, tiny_raw, tiny_features, tmp_path):
    result = gate(params_file, tiny_raw, tiny_features, tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "validate_features.json").read_text())["success"]


@pytest.mark.parametrize(
    ("plant", "problem", "where"),
    DEFECTS,
    ids=[f"{d[0].__name__}-{i}" for i, d in enumerate(DEFECTS)],
)
def test_each_defect_fails_the_gate_naming_row_and_problem(
    plant, problem, where, params_file, tiny_raw, features_copy, tmp_path
):
    plant(features_copy)
    result = gate(params_file, tiny_raw, features_copy, tmp_path)
    assert result.exit_code == 1, result.output
    assert problem in result.output and where in result.output
    assert "split='test'" in result.output and "Traceback" not in result.output


def test_women_below_men_fails(params_file, tiny_raw, features_copy, tmp_path):
    for split in ("train", "val", "test"):
        path = features_copy / split / "clips.csv"
        clips = pd.read_csv(path)
        clips["gender"] = clips.gender.map({"female": "male", "male": "female"})
        clips.to_csv(path, index=False)
    result = gate(params_file, tiny_raw, features_copy, tmp_path)
    assert result.exit_code == 1
    assert "women's median F0 is above men's" in result.output
