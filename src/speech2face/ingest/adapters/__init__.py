"""Adapters: each reads one kind of source into ingest items (and the rejects it finds itself).

Every adapter returns `(items, rejects)`, items in a stable order so two runs on the same
inputs write the same corpus.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from speech2face.errors import InputError
from speech2face.manifest import GENDERS

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v")
GENDER_WORDS = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female"}
GENDER_WORDS |= {"woman": "female"}


def item_key(*parts: str) -> str:
    """A file-name-safe, unique key: readable text plus a short hash of the original parts."""
    text = "_".join(parts)
    readable = re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")[-60:]
    return f"{readable}_{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def inside(root: Path, relative: str, where: str) -> Path:
    """`relative` resolved in `root`; an InputError naming `where` if it leads outside."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise InputError(f"{where}: {relative!r} is outside {root}")
    return path


def located(root: Path, name: str | None) -> Path | None:
    """A source file named in params: absolute, or relative to the source folder."""
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else root / path


def gender_label(value: str) -> str | None:
    """'male' or 'female' from the spellings datasets use (m, F, Male ...); None if not one."""
    gender = GENDER_WORDS.get(value.strip().lower())
    return gender if gender in GENDERS else None


def relative_name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


class LabelError(ValueError):
    """A given label that is not one the corpus allows."""


def given_labels(row: dict[str, str]) -> dict[str, str]:
    """The labels a row gives (gender, age, ethnicity, split), normalised; blanks are not
    given. Raises LabelError naming the bad value."""
    from speech2face.manifest import AGE_RANGE, SPLITS

    labels = {}
    values = {k: str(row.get(k) or "").strip() for k in ("gender", "age", "ethnicity", "split")}
    if values.get("gender"):
        labels["gender"] = gender_label(values["gender"]) or _bad("gender", values["gender"])
    if values.get("age"):
        age = values["age"]
        if not age.isdigit() or not AGE_RANGE[0] <= int(age) <= AGE_RANGE[1]:
            _bad("age", age, f"a whole number {AGE_RANGE[0]}-{AGE_RANGE[1]}")
        labels["age"] = str(int(age))
    if values.get("ethnicity"):
        labels["ethnicity"] = values["ethnicity"]
    if values.get("split"):
        split = values["split"].lower()
        labels["split"] = split if split in SPLITS else _bad("split", values["split"])
    return labels


def _bad(name: str, value: str, expected: str = "") -> str:
    raise LabelError(f"{name} {value!r} is not {expected or 'an allowed value'}")
