"""Gate 1 (`validate_raw`): the manifest, its labels and every audio and face file it names."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile
from PIL import Image

from speech2face.audio import AudioError, finite
from speech2face.errors import InputError
from speech2face.gates.runner import Table
from speech2face.manifest import (
    AGE_RANGE,
    COLUMNS,
    GENDERS,
    MANIFEST_NAME,
    OUT_OF_ENGINE,
    SPLITS,
    UNKNOWN,
    age_group,
    age_group_labels,
    known_labels,
    read_manifest,
)
from speech2face.parallel import parallel_map
from speech2face.params import ValidateRawParams

ROW_COLUMNS = ("line", "clip_id")
INTEGER = r"^\d+$"
NUMBER = r"^\d+(?:\.\d+)?$"


def audio_facts(path: Path) -> dict:
    """What an audio file really holds, or the reason it cannot be read."""
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises several types for missing or corrupt files
        return {"audio_error": f"{path}: {error}".strip()}
    if len(samples) == 0:
        return {"audio_error": f"{path}: no samples (zero-length audio)"}
    try:
        finite(samples, path)
    except AudioError as error:
        return {"audio_error": str(error)}
    mono = samples.mean(axis=1)
    return {
        "audio_error": None,
        "audio_sample_rate": rate,
        "audio_duration_s": len(mono) / rate,
        "audio_rms": float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))),
    }


def face_facts(path: Path) -> dict:
    """What a face image really holds, or the reason it cannot be read."""
    try:
        with Image.open(path) as image:
            image.load()
            width, height = image.size
            mode = image.mode
    except Exception as error:  # PIL raises several types for missing or truncated files
        return {"face_error": f"{path}: {error}"}
    return {"face_error": None, "face_width": width, "face_height": height, "face_mode": mode}


def outside(relative: str, root: Path) -> str | None:
    """Why a manifest path must not be opened (absolute, or leading out of the corpus), or
    None. A corpus is data from outside: its paths never reach other files."""
    if Path(relative).is_absolute():
        return f"{relative}: an absolute path (paths are relative to the corpus folder)"
    if not (root / relative).resolve().is_relative_to(root.resolve()):
        return f"{relative}: leads outside the corpus folder"
    return None


def file_facts(paths: tuple[str | None, str | None], root: Path) -> dict:
    """What the clip's audio and face files hold; paths outside the corpus are not opened."""
    audio, face = paths
    facts = {"path_error": "; ".join(filter(None, (outside(p, root) for p in paths if p)))}
    facts["path_error"] = facts["path_error"] or None
    if facts["path_error"]:
        return facts | {"audio_error": "not opened", "face_error": "not opened"}
    facts |= audio_facts(root / audio) if audio else {"audio_error": "no audio_path"}
    return facts | (face_facts(root / face) if face else {"face_error": "no face_path"})


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce") if column in frame else pd.Series()


def clips_table(manifest: pd.DataFrame, root: Path, params: ValidateRawParams, workers: int):
    """One row per clip: the manifest's columns plus what its files and speaker really show."""
    frame = manifest.copy()
    frame.insert(0, "line", np.arange(2, len(frame) + 2))  # the manifest's line numbers
    has = set(frame.columns).__contains__
    paths = list(
        zip(
            frame["audio_path"] if has("audio_path") else [None] * len(frame),
            frame["face_path"] if has("face_path") else [None] * len(frame),
            strict=True,
        )
    )
    facts = parallel_map(partial(file_facts, root=root), paths, workers, "Checking files")
    frame = pd.concat([frame, pd.DataFrame(list(facts), index=frame.index)], axis=1)
    for column in ("audio_sample_rate", "audio_duration_s", "audio_rms", "face_width"):
        frame[column] = _numbers(frame, column)
    if has("duration_s"):
        frame["duration_mismatch_s"] = (
            _numbers(frame, "duration_s") - frame["audio_duration_s"]
        ).abs()
    if has("sample_rate"):
        frame["declared_sample_rate"] = _numbers(frame, "sample_rate")
    if has("age"):
        frame["age_years"] = _numbers(frame, "age")
        inside = frame["age_years"].where(frame["age_years"].between(*AGE_RANGE))
        frame["expected_age_group"] = inside.map(lambda a: age_group(int(a)) if a == a else None)
    if has("speaker_id"):
        for column in ("split", "gender", "ethnicity"):
            if has(column):
                values = frame[column]
                if column == "split":  # the held-out engine's clips are test speakers' too
                    values = values.replace(OUT_OF_ENGINE, "test")
                frame[f"speaker_{column}_count"] = values.groupby(frame["speaker_id"]).transform(
                    "nunique"
                )
    return Table("clips", frame, clip_expectations(frame, params), ROW_COLUMNS)


def clip_expectations(frame: pd.DataFrame, params: ValidateRawParams) -> list:
    import great_expectations as gx

    x = gx.expectations
    checks = [
        x.ExpectColumnToExist(column=c, description="the manifest has the column") for c in COLUMNS
    ]
    checks += [
        x.ExpectColumnValuesToNotBeNull(column=c, description="no value is missing")
        for c in COLUMNS
        if c in frame
    ]
    allowed = {
        "split": (*SPLITS, OUT_OF_ENGINE),
        "gender": GENDERS,
        "age_group": age_group_labels(),
    }
    if params.ethnicities:  # none listed: any label is allowed
        allowed["ethnicity"] = (*params.ethnicities, UNKNOWN)
    wanted = [
        (x.ExpectColumnValuesToBeUnique, "clip_id", "clip ids are unique", {}),
        (x.ExpectColumnValuesToMatchRegex, "age", "age is a whole number", {"regex": INTEGER}),
        (
            x.ExpectColumnValuesToMatchRegex,
            "sample_rate",
            "sample rate is a whole number",
            {"regex": INTEGER},
        ),
        (x.ExpectColumnValuesToMatchRegex, "duration_s", "duration is a number", {"regex": NUMBER}),
        (
            x.ExpectColumnValuesToBeNull,
            "path_error",
            "paths are relative and stay inside the corpus folder",
            {},
        ),
        (
            x.ExpectColumnValuesToBeNull,
            "audio_error",
            "the audio file exists and decodes to finite samples",
            {},
        ),
        (x.ExpectColumnValuesToBeNull, "face_error", "the face image exists and decodes", {}),
        (
            x.ExpectColumnValuesToBeInSet,
            "audio_sample_rate",
            "audio is at the expected rate",
            {"value_set": [params.sample_rate]},
        ),
        (
            x.ExpectColumnValuesToBeBetween,
            "audio_duration_s",
            "audio duration is in range",
            {"min_value": params.duration_s[0], "max_value": params.duration_s[1]},
        ),
        (
            x.ExpectColumnValuesToBeBetween,
            "duration_mismatch_s",
            "declared duration matches the audio (within 50 ms)",
            {"max_value": 0.05},
        ),
        (
            x.ExpectColumnValuesToBeBetween,
            "audio_rms",
            "audio is not silent",
            {"min_value": params.min_rms},
        ),
        (x.ExpectColumnValuesToBeInSet, "face_mode", "face image is RGB", {"value_set": ["RGB"]}),
        (
            x.ExpectColumnValuesToBeBetween,
            "face_width",
            "face image is large enough",
            {"min_value": params.min_face_size},
        ),
        (
            x.ExpectColumnValuesToBeBetween,
            "age_years",
            "age is within the adult range",
            {"min_value": AGE_RANGE[0], "max_value": AGE_RANGE[1]},
        ),
        (
            x.ExpectColumnValuesToBeInSet,
            "speaker_split_count",
            "no speaker is in two splits",
            {"value_set": [1]},
        ),
        (
            x.ExpectColumnValuesToBeInSet,
            "speaker_gender_count",
            "a speaker has one gender",
            {"value_set": [1]},
        ),
        (
            x.ExpectColumnValuesToBeInSet,
            "speaker_ethnicity_count",
            "a speaker has one group",
            {"value_set": [1]},
        ),
    ]
    wanted += [
        (
            x.ExpectColumnValuesToBeInSet,
            column,
            f"{column} is an allowed label",
            {"value_set": list(values)},
        )
        for column, values in allowed.items()
    ]
    checks += [
        kind(column=column, description=text, **kwargs)
        for kind, column, text, kwargs in wanted
        if column in frame
    ]
    if "declared_sample_rate" in frame:
        checks.append(
            x.ExpectColumnPairValuesToBeEqual(
                column_A="declared_sample_rate",
                column_B="audio_sample_rate",
                description="declared sample rate matches the audio",
            )
        )
    if "expected_age_group" in frame and "age_group" in frame:
        checks.append(
            x.ExpectColumnPairValuesToBeEqual(
                column_A="age_group",
                column_B="expected_age_group",
                description="age group matches the age",
                ignore_row_if="either_value_is_missing",
            )
        )
    return checks


def ethnicity_groups(manifest: pd.DataFrame, params: ValidateRawParams) -> list[str]:
    """The labelled ethnicity groups: those listed, then any other in the manifest; never
    UNKNOWN, which is counted but not compared."""
    present = known_labels(manifest["ethnicity"]) if "ethnicity" in manifest else []
    listed = [e for e in params.ethnicities if e != UNKNOWN]
    return listed + [e for e in present if e not in listed]


def test_groups_table(manifest: pd.DataFrame, params: ValidateRawParams) -> Table:
    """Test speakers per gender, age group and labelled ethnicity: per-group results need
    them."""
    import great_expectations as gx

    allowed = {
        "gender": GENDERS,
        "age_group": age_group_labels(),
        "ethnicity": ethnicity_groups(manifest, params),
    }
    usable = {"split", "speaker_id"} <= set(manifest.columns)
    test = manifest[manifest["split"] == "test"] if usable else manifest.iloc[:0]
    rows = []
    for attribute, values in allowed.items():
        counts = test.groupby(attribute)["speaker_id"].nunique() if attribute in test else {}
        rows += [
            {"attribute": attribute, "value": v, "test_speakers": int(counts.get(v, 0))}
            for v in values
        ]
    frame = pd.DataFrame(rows)
    check = gx.expectations.ExpectColumnValuesToBeBetween(
        column="test_speakers",
        min_value=params.min_test_speakers_per_group,
        description=f"at least {params.min_test_speakers_per_group} test speakers in every group",
    )
    return Table("test_groups", frame, [check], ("attribute", "value"))


def raw_tables(raw_dir: Path, params: ValidateRawParams, workers: int) -> list[Table]:
    """The gate's tables for the corpus in `raw_dir`."""
    path = raw_dir / MANIFEST_NAME
    try:
        manifest = read_manifest(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"cannot read the manifest {path}: {error}") from error
    return [
        clips_table(manifest, raw_dir, params, workers),
        test_groups_table(manifest, params),
    ]
