"""Gate 2 (`validate_features`): the arrays `preprocess` wrote, and what their clips measure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.audio import INT16_SCALE
from speech2face.errors import InputError
from speech2face.features.preprocess import CLIPPING_LEVEL, META_NAME
from speech2face.gates.runner import Table
from speech2face.manifest import MANIFEST_NAME, read_manifest, splits_of
from speech2face.params import ValidateFeaturesParams

ARRAY_DTYPES = {"waveforms": "int16", "faces": "uint8"}
MEASURED = ("f0_median_hz", "rms", "clipping_fraction")


def _load(path: Path):
    """A memory-mapped array, or the reason it cannot be opened."""
    try:
        return np.load(path, mmap_mode="r"), None
    except Exception as error:  # numpy raises several types for missing or corrupt files
        return None, f"{path}: {error}"


def _expected_shape(name: str, rows: int, meta: dict) -> str:
    size = meta["image_size"]
    return str((rows, meta["samples"]) if name == "waveforms" else (rows, size, size, 3))


def _chunks(array, rows: int = 256):
    """Consecutive blocks of a (memory-mapped) array, so large arrays never load whole."""
    for start in range(0, len(array), rows):
        yield np.asarray(array[start : start + rows])


def _nonfinite(array) -> int:
    if not np.issubdtype(array.dtype, np.floating):
        return 0
    return int(sum((~np.isfinite(block)).sum() for block in _chunks(array)))


def arrays_table(features_dir: Path, manifest: pd.DataFrame, meta: dict) -> tuple[Table, dict]:
    """One row per (split, array): dtype, shape and count against the manifest; NaN count."""
    import great_expectations as gx

    rows, arrays = [], {}
    for split in splits_of(manifest):
        expected = int((manifest["split"] == split).sum())
        for name, dtype in ARRAY_DTYPES.items():
            array, error = _load(features_dir / split / f"{name}.npy")
            arrays[split, name] = array
            rows.append(
                {
                    "split": split,
                    "array": name,
                    "error": error,
                    "dtype": str(array.dtype) if array is not None else None,
                    "expected_dtype": dtype,
                    "shape": str(array.shape) if array is not None else None,
                    "expected_shape": _expected_shape(name, expected, meta),
                    "nonfinite": _nonfinite(array) if array is not None else None,
                }
            )
    x = gx.expectations
    checks = [
        x.ExpectColumnValuesToBeNull(column="error", description="the array file opens"),
        x.ExpectColumnPairValuesToBeEqual(
            column_A="dtype", column_B="expected_dtype", description="the array has the right dtype"
        ),
        x.ExpectColumnPairValuesToBeEqual(
            column_A="shape",
            column_B="expected_shape",
            description="the array has the right shape (one row per manifest clip)",
        ),
        x.ExpectColumnValuesToBeInSet(
            column="nonfinite", value_set=[0], description="the array holds no NaN or infinity"
        ),
    ]
    return Table("arrays", pd.DataFrame(rows), checks, ("split", "array")), arrays


def _audio_measures(block: np.ndarray) -> dict:
    audio = block.astype(np.float64) / INT16_SCALE
    return {
        "stored_rms": np.sqrt(np.mean(audio**2, axis=1)),
        "stored_clipping_fraction": np.mean(np.abs(audio) >= CLIPPING_LEVEL, axis=1),
    }


def _face_measures(block: np.ndarray) -> dict:
    gray = block.astype(np.float32).mean(axis=-1).reshape(len(block), -1) / 255.0
    return {"face_brightness": gray.mean(axis=1), "face_contrast": gray.std(axis=1)}


def _array_measures(waveforms, faces) -> dict:
    """RMS and clipping of the stored waveforms; brightness and contrast of the stored faces."""
    if waveforms is None or faces is None or waveforms.dtype != np.int16 or len(waveforms) == 0:
        return {}
    parts = [_audio_measures(b) for b in _chunks(waveforms)]
    parts += [_face_measures(b) for b in _chunks(faces)]
    keys = {key for part in parts for key in part}
    return {key: np.concatenate([p[key] for p in parts if key in p]) for key in keys}


def clips_table(features_dir: Path, arrays: dict, params: ValidateFeaturesParams) -> Table:
    """One row per clip: preprocess's measurements and those taken on the stored arrays."""
    import great_expectations as gx

    frames = []
    for split in dict.fromkeys(split for split, _ in arrays):  # the splits arrays_table read
        path = features_dir / split / "clips.csv"
        try:
            clips = pd.read_csv(path)
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise InputError(f"cannot read {path}: {error}") from error
        measures = _array_measures(arrays[split, "waveforms"], arrays[split, "faces"])
        if all(len(v) == len(clips) for v in measures.values()):
            clips = clips.assign(**measures)
        frames.append(clips.assign(split=split))
    frame = pd.concat(frames, ignore_index=True)
    x = gx.expectations
    bounds = [
        ("f0_median_hz", "F0 is plausible for a voice", params.f0_range_hz),
        ("rms", "the clip is not silent", (params.min_rms, None)),
        ("stored_rms", "the stored waveform is not silent", (params.min_rms, None)),
        ("clipping_fraction", "the clip is barely clipped", (0.0, params.max_clipping_fraction)),
        (
            "stored_clipping_fraction",
            "the stored waveform is barely clipped",
            (0.0, params.max_clipping_fraction),
        ),
        ("face_brightness", "face brightness is in range", params.brightness),
        ("face_contrast", "face contrast is in range", params.contrast),
    ]
    checks = [
        x.ExpectColumnValuesToNotBeNull(column=c, description="the measurement is a number")
        for c in MEASURED
        if c in frame
    ]
    checks += [
        x.ExpectColumnValuesToBeBetween(column=c, min_value=low, max_value=high, description=text)
        for c, text, (low, high) in bounds
        if c in frame
    ]
    checks += [
        x.ExpectColumnToExist(column=c, description="the array measurements were taken")
        for c in ("stored_rms", "face_brightness")
    ]
    return Table("clips", frame, checks, ("split", "row", "clip_id"))


def f0_by_gender_table(clips: pd.DataFrame) -> Table:
    """Median F0 per gender: women's voices must come out higher than men's."""
    import great_expectations as gx

    medians = clips.groupby("gender")["f0_median_hz"].median() if "gender" in clips else {}
    female, male = medians.get("female", np.nan), medians.get("male", np.nan)
    frame = pd.DataFrame(
        [
            {
                "female_f0_median_hz": female,
                "male_f0_median_hz": male,
                "female_minus_male_hz": female - male,
            }
        ]
    )
    check = gx.expectations.ExpectColumnValuesToBeBetween(
        column="female_minus_male_hz",
        min_value=0,
        strict_min=True,
        description="women's median F0 is above men's",
    )
    return Table("f0_by_gender", frame, [check], ("female_f0_median_hz", "male_f0_median_hz"))


def feature_tables(features_dir: Path, raw_dir: Path, params: ValidateFeaturesParams) -> list:
    """The gate's tables for the arrays in `features_dir`, checked against the raw manifest."""
    meta_path = features_dir / META_NAME
    try:
        meta = json.loads(meta_path.read_text())
        manifest = read_manifest(raw_dir / MANIFEST_NAME)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the features' inputs: {error}") from error
    arrays, loaded = arrays_table(features_dir, manifest, meta)
    clips = clips_table(features_dir, loaded, params)
    return [arrays, clips, f0_by_gender_table(clips.frame)]
