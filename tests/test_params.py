"""params.yaml sections are read strictly, with messages that name the key."""

import pytest
import yaml

from speech2face.params import (
    CorpusParams,
    EvaluateParams,
    ParamsError,
    PreprocessParams,
    ValidateFeaturesParams,
    ValidateRawParams,
    load_section,
)
from speech2face.paths import PARAMS

SECTIONS = {
    "corpus": CorpusParams,
    "validate_raw": ValidateRawParams,
    "preprocess": PreprocessParams,
    "validate_features": ValidateFeaturesParams,
}


@pytest.mark.parametrize("section", SECTIONS)
def test_the_project_params_load(section):
    assert isinstance(load_section(SECTIONS[section], section, PARAMS), SECTIONS[section])


def test_nested_and_typed_values():
    params = load_section(PreprocessParams, "preprocess", PARAMS)
    assert params.audio.seconds == 6.0 and isinstance(params.audio.sample_rate, int)
    assert isinstance(params.f0_search_hz, tuple)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "preprocess: {audio: {seconds: 6, sample_rate: 16000}, image_size: 128}",
            "missing key 'f0_search_hz'",
        ),
        (
            "preprocess: {audio: {seconds: 6, sample_rate: 16000}, image_size: 128,"
            " f0_search_hz: [1, 2], extra: 1}",
            "unknown key",
        ),
        (
            "preprocess: {audio: {seconds: six, sample_rate: 16000}, image_size: 128,"
            " f0_search_hz: [1, 2]}",
            "preprocess.audio.seconds: expected float",
        ),
        (
            "preprocess: {audio: {seconds: 6, sample_rate: 16000}, image_size: 128,"
            " f0_search_hz: [1]}",
            "f0_search_hz: expected a list of 2",
        ),
        ("other: {}", "no section 'preprocess'"),
        ("preprocess: [", "cannot read"),
    ],
)
def test_bad_params_name_the_key(tmp_path, text, message):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError, match=message):
        load_section(PreprocessParams, "preprocess", path)


def test_dvc_exp_run_set_changes_only_the_values_it_sets(tmp_path):
    """`dvc exp run -S` rewrites params.yaml with DVC's own override code: it must keep the
    rest of the file, comments and blank lines included, experiment after experiment."""
    import difflib
    import shutil

    from dvc.utils.hydra import apply_overrides

    copy = tmp_path / "params.yaml"
    shutil.copy(PARAMS, copy)
    apply_overrides(copy, ["evaluate.bootstrap=200", "tune.n_trials=3"])
    apply_overrides(
        copy, ["train_voice_encoder.lr=0.002", "corpus.synthetic.clip_seconds=[2.0,5.0]"]
    )
    apply_overrides(copy, ["corpus.source=videos", "corpus.input=/data/interviews"])
    diff = difflib.unified_diff(PARAMS.read_text().splitlines(), copy.read_text().splitlines())
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert all("#" in line for line in changed if "bootstrap" in line or "n_trials" in line)
    assert sorted(line.split("#")[0].rstrip() for line in changed) == sorted(
        [
            "-  bootstrap: 1000",
            "+  bootstrap: 200",
            "-  n_trials: 30",
            "+  n_trials: 3",
            "-  lr: 0.001",
            "+  lr: 0.002",
            "-    - 3.0",
            "-    - 6.0",
            "+    - 2.0",
            "+    - 5.0",
            "-  source: synthetic",
            "+  source: videos",
            "-  input: data/external",
            "+  input: /data/interviews",
        ]
    ), changed


def test_an_unknown_evaluate_condition_is_named_before_the_stage_runs(tmp_path):
    section = yaml.safe_load(PARAMS.read_text())["evaluate"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"evaluate": {**section, "conditions": ["snr_10", "snr_ten"]}}))
    with pytest.raises(ParamsError, match=r"^evaluate\.conditions: unknown condition 'snr_ten'"):
        load_section(EvaluateParams, "evaluate", path)
