"""The clip manifest: the one contract between corpora (generated or real) and the pipeline.

Every corpus, the embedded default one and the adapters for real datasets alike, writes a
`manifest.csv` with these columns; paths in it are relative to the manifest's folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MANIFEST_NAME = "manifest.csv"
SPEAKERS_NAME = "speakers.csv"
# Optional: where the corpus came from ({"source", "description", ...}), for reports.
CORPUS_CARD_NAME = "corpus.json"
# speakers.csv columns with the speaker's ground-truth craniofacial measurements, when known.
GEOMETRY_PREFIX = "geometry_"

SPLITS = ("train", "val", "test")
# Test speakers' clips spoken again by a speech engine no training clip comes from (the
# synthetic corpus's held-out engine): evaluated beside `test`, never trained on.
OUT_OF_ENGINE = "test_out_of_engine"
GENDERS = ("female", "male")
# Age bins for per-group breakdowns: (label, first age, last age), inclusive.
AGE_GROUPS = (("18-29", 18, 29), ("30-44", 30, 44), ("45-59", 45, 59), ("60-80", 60, 80))
AGE_RANGE = (18, 80)

# column -> pandas dtype; the order is the order written.
COLUMNS: dict[str, str] = {
    "clip_id": "string",
    "speaker_id": "string",
    "split": "string",
    "audio_path": "string",
    "face_path": "string",
    "duration_s": "float64",
    "sample_rate": "int64",
    "gender": "string",
    "age": "int64",
    "age_group": "string",
    "ethnicity": "string",
}
# Demographic columns that per-group evaluation breaks results down by.
GROUP_COLUMNS = ("gender", "age_group", "ethnicity")
# The label of a speaker whose group is not known (real corpora often lack ethnicity): never a
# class to learn nor a group to compare, only counted.
UNKNOWN = "unknown"


def age_group(age: int) -> str:
    """The label of the age bin `age` falls in."""
    for label, first, last in AGE_GROUPS:
        if first <= age <= last:
            return label
    raise ValueError(f"age {age} is outside {AGE_RANGE[0]}-{AGE_RANGE[1]}")


def age_group_labels() -> list[str]:
    return [label for label, _, _ in AGE_GROUPS]


def known_labels(values) -> list[str]:
    """The distinct labels among `values`, sorted, without UNKNOWN and missing values."""
    return sorted(set(pd.Series(values).dropna()) - {UNKNOWN})


def read_corpus_card(folder: Path) -> dict:
    """The corpus's own description (`corpus.json`), or {} when it has none or it is unreadable."""
    import json

    try:
        card = json.loads((Path(folder) / CORPUS_CARD_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def write_manifest(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` with the contract's columns first (extra columns follow)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"manifest lacks columns {missing}")
    extra = [c for c in frame.columns if c not in COLUMNS]
    frame[list(COLUMNS) + extra].to_csv(path, index=False)


def splits_of(manifest: pd.DataFrame) -> tuple[str, ...]:
    """The splits a manifest's stages write: SPLITS, and OUT_OF_ENGINE when it has clips."""
    return (*SPLITS, OUT_OF_ENGINE) if (manifest["split"] == OUT_OF_ENGINE).any() else SPLITS


def read_manifest(path: Path) -> pd.DataFrame:
    """Read a manifest as plain strings and numbers, without enforcing the schema.

    Validation is the gate's job: this reader must not fail on the defects the gate reports.
    """
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The manifest with the contract's dtypes, for stages after the gate."""
    return frame.astype({c: t for c, t in COLUMNS.items() if c in frame.columns})
