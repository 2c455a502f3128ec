"""Gate 1 passes the generated corpus and fails each planted defect, naming row and problem."""

import json

import numpy as np
import pandas as pd
import pytest
import soundfile

from speech2face.gates import raw as raw_gate
from speech2face.manifest import MANIFEST_NAME, UNKNOWN
from speech2face.params import ValidateRawParams
from tests.conftest import TINY, run_cli, tiny_params
from tests.unknown_ethnicity import HIDDEN, hide_ethnicity


def manifest(raw):
    return pd.read_csv(raw / MANIFEST_NAME, dtype=str, keep_default_na=False)


def rewrite(raw, frame):
    frame.to_csv(raw / MANIFEST_NAME, index=False)


def edit_row(raw, row, **values):
    frame = manifest(raw)
    for column, value in values.items():
        frame.loc[row, column] = value
    rewrite(raw, frame)


def audio(raw, row):
    return raw / manifest(raw).audio_path[row]


def missing_file(raw):
    audio(raw, 3).unlink()


def corrupt_wav(raw):
    audio(raw, 3).write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(200))


def zero_length(raw):
    soundfile.write(audio(raw, 3), np.zeros(0, dtype=np.float32), 16000)


def silent(raw):
    path = audio(raw, 3)
    soundfile.write(path, np.zeros(len(soundfile.read(path)[0]), dtype=np.float32), 16000)


def nan_samples(raw):
    """A float WAV whose samples are all NaN (soundfile reads it without complaint)."""
    path = audio(raw, 3)
    samples = np.full(len(soundfile.read(path)[0]), np.nan, np.float32)
    soundfile.write(path, samples, 16000, subtype="FLOAT")


def inf_samples(raw):
    path = audio(raw, 3)
    samples = soundfile.read(path, dtype="float32")[0]
    samples[100:103] = [np.inf, -np.inf, np.inf]
    soundfile.write(path, samples, 16000, subtype="FLOAT")


def wrong_sample_rate(raw):
    path = audio(raw, 3)
    samples, _ = soundfile.read(path)
    soundfile.write(path, samples, 22050)


def duplicate_clip_id(raw):
    frame = manifest(raw)
    edit_row(raw, 3, clip_id=frame.clip_id[2])


def speaker_in_two_splits(raw):
    frame = manifest(raw)
    speaker = frame.speaker_id[3]
    other = "train" if frame.split[3] != "train" else "test"
    edit_row(raw, int(frame.index[frame.speaker_id == speaker][0]), split=other)


def unknown_label(raw):
    edit_row(raw, 3, ethnicity="martian")


def missing_column(raw):
    rewrite(raw, manifest(raw).drop(columns=["gender"]))


def truncated_face(raw):
    path = raw / manifest(raw).face_path[3]
    path.write_bytes(path.read_bytes()[:300])


def absolute_path(raw):
    edit_row(raw, 3, audio_path=str(audio(raw, 3).resolve()))  # a real file, but absolute


def escaping_path(raw):
    outside = raw.parent / "elsewhere.wav"
    outside.write_bytes(audio(raw, 3).read_bytes())
    edit_row(raw, 3, face_path="../elsewhere.wav")


DEFECTS = [
    (absolute_path, "paths are relative and stay inside the corpus folder", "absolute path"),
    (escaping_path, "paths are relative and stay inside the corpus folder", "outside the corpus"),
    (missing_file, "the audio file exists and decodes to finite samples", "line=5"),
    (corrupt_wav, "the audio file exists and decodes to finite samples", "line=5"),
    (zero_length, "the audio file exists and decodes to finite samples", "zero-length"),
    (silent, "audio is not silent", "line=5"),
    (nan_samples, "the audio file exists and decodes to finite samples", "NaN, 0 infinite)"),
    (inf_samples, "the audio file exists and decodes to finite samples", "(0 NaN, 3 infinite)"),
    (wrong_sample_rate, "audio is at the expected rate", "line=5"),
    (duplicate_clip_id, "clip ids are unique", "line=5"),
    (speaker_in_two_splits, "no speaker is in two splits", "line="),
    (unknown_label, "ethnicity is an allowed label", "'martian'"),
    (missing_column, "the manifest has the column [gender]", ""),
    (truncated_face, "the face image exists and decodes", "line=5"),
]


def test_generated_corpus_passes(params_file, tiny_raw, tmp_path):
    result = run_cli(
        "validate_raw",
        "--params",
        params_file,
        "--raw",
        tiny_raw,
        "--reports",
        tmp_path,
        "--workers",
        1,
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "validate_raw.json").read_text())
    assert report["success"] and report["failed"] == 0 and report["evaluated"] > 30
    assert "PASSED" in (tmp_path / "validate_raw.md").read_text()


@pytest.mark.parametrize(
    ("plant", "problem", "where"), DEFECTS, ids=[d[0].__name__ for d in DEFECTS]
)
def test_each_defect_fails_the_gate_naming_row_and_problem(
    plant, problem, where, params_file, raw_copy, tmp_path
):
    plant(raw_copy)
    result = run_cli(
        "validate_raw",
        "--params",
        params_file,
        "--raw",
        raw_copy,
        "--reports",
        tmp_path,
        "--workers",
        1,
    )
    assert result.exit_code == 1, result.output
    assert problem in result.output and where in result.output
    assert "Traceback" not in result.output
    report = json.loads((tmp_path / "validate_raw.json").read_text())
    assert not report["success"]
    assert problem in (tmp_path / "validate_raw.md").read_text()


def test_too_few_test_speakers_per_group_fails(tiny_raw, tmp_path):
    strict = {**TINY, "validate_raw": {"min_test_speakers_per_group": 1000}}
    params = tiny_params(tmp_path / "params.yaml", strict)
    result = run_cli(
        "validate_raw", "--params", params, "--raw", tiny_raw, "--reports", tmp_path, "--workers", 1
    )
    assert result.exit_code == 1
    assert "at least 1000 test speakers in every group" in result.output
    assert "attribute='gender', value='female'" in result.output


def test_unreadable_manifest_is_a_clear_error(params_file, tmp_path):
    result = run_cli(
        "validate_raw",
        "--params",
        params_file,
        "--raw",
        tmp_path / "nowhere",
        "--reports",
        tmp_path,
        "--workers",
        1,
    )
    assert result.exit_code == 2
    assert "cannot read the manifest" in result.output and "Traceback" not in result.output


TINY_GROUPS = ["group_a", "group_b", "group_c", "group_d"]  # the tiny corpus's groups


def validate_raw(raw, tmp_path, **section):
    """The gate on `raw` with `section` over the tiny corpus's validate_raw params."""
    overrides = {**TINY, "validate_raw": {**TINY["validate_raw"], **section}}
    params = tiny_params(tmp_path / "params.yaml", overrides)
    return run_cli(
        "validate_raw", "--params", params, "--raw", raw, "--reports", tmp_path, "--workers", 1
    )


@pytest.mark.parametrize(
    ("every", "listed"),
    [(HIDDEN["all_unknown"], []), (HIDDEN["half_unknown"], TINY_GROUPS)],
    ids=HIDDEN.keys(),
)
def test_unknown_ethnicity_is_allowed_and_never_a_group(every, listed, raw_copy, tmp_path):
    rewrite(raw_copy, hide_ethnicity(manifest(raw_copy), every))
    result = validate_raw(raw_copy, tmp_path, ethnicities=listed, min_test_speakers_per_group=1)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "validate_raw.json").read_text())["success"]


def test_listed_groups_without_test_speakers_still_fail(raw_copy, tmp_path):
    rewrite(raw_copy, hide_ethnicity(manifest(raw_copy), HIDDEN["all_unknown"]))
    result = validate_raw(raw_copy, tmp_path, ethnicities=TINY_GROUPS)
    assert result.exit_code == 1
    assert "attribute='ethnicity', value='group_a'" in result.output
    assert f"value='{UNKNOWN}'" not in result.output


def own_labels(raw):
    """The corpus's groups renamed (lab_a, ...), every other speaker's unknown."""
    frame = hide_ethnicity(manifest(raw), 2)
    rewrite(raw, frame.assign(ethnicity=frame.ethnicity.str.replace("group_", "lab_")))


@pytest.mark.parametrize(("listed", "code"), [([], 0), (["lab_a", "lab_b"], 1)])
def test_an_empty_list_allows_any_label(listed, code, raw_copy, tmp_path):
    own_labels(raw_copy)
    result = validate_raw(raw_copy, tmp_path, ethnicities=listed)
    assert result.exit_code == code, result.output
    unlisted = "ethnicity is an allowed label" in result.output
    assert unlisted == bool(listed) and ("'lab_c'" in result.output) == bool(listed)


def test_groups_are_the_listed_and_present_labels_never_unknown():
    speakers = {"s1": "lab_a", "s2": "lab_b", "s3": UNKNOWN, "s4": "lab_b", "s5": "lab_z"}
    frame = pd.DataFrame(
        {
            "speaker_id": list(speakers),
            "split": ["test", "test", "test", "test", "train"],
            "gender": "female",
            "age_group": "18-29",
            "ethnicity": list(speakers.values()),
        }
    )
    params = ValidateRawParams(16000, (1.0, 10.0), ("lab_c", "lab_a", UNKNOWN), 1, 0.0, 64)
    table = raw_gate.test_groups_table(frame, params).frame
    ethnicity = table[table.attribute == "ethnicity"].set_index("value").test_speakers
    assert ethnicity.to_dict() == {"lab_c": 0, "lab_a": 1, "lab_b": 2, "lab_z": 0}
