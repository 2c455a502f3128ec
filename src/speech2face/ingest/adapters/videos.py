"""Adapter `videos`: a folder (searched recursively) of talking-face videos, with an optional
labels CSV whose rows name a file (its labels, span and face hint) or a speaker (their labels).

The speaker of a file is the labels' speaker_id, else its sub-folder (with
`speaker_from_folder`), else the file itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from speech2face.errors import InputError
from speech2face.ingest.adapters import (
    VIDEO_SUFFIXES,
    LabelError,
    given_labels,
    inside,
    item_key,
    relative_name,
)
from speech2face.ingest.items import Item, Reject

AUDIO_SUFFIXES = (".m4a", ".aac", ".mp3", ".wav", ".flac", ".ogg", ".opus")
LABEL_COLUMNS = ("file", "speaker_id", "split", "gender", "age", "ethnicity")
LABEL_COLUMNS += ("face_x", "face_y", "start", "end")


def read_labels(path: Path) -> pd.DataFrame:
    """The labels CSV as stripped strings, with its line numbers; one-line errors if unusable."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"cannot read the labels {path}: {e}") from e
    frame.columns = [c.strip().lower() for c in frame.columns]
    if not {"file", "speaker_id"} & set(frame.columns):
        raise InputError(f"{path}: the labels need a 'file' or a 'speaker_id' column")
    frame = frame[[c for c in LABEL_COLUMNS if c in frame.columns]].map(str.strip)
    frame.insert(0, "line", range(2, len(frame) + 2))
    return frame


def _span_and_hint(row: dict) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """The row's start-end span and face-centre hint, checked (LabelError if wrong)."""

    def numbers(a: str, b: str):
        if not row.get(a) and not row.get(b):
            return None
        try:
            return float(row[a]), float(row[b])
        except (KeyError, ValueError):
            got = f"{row.get(a)!r}, {row.get(b)!r}"
            raise LabelError(f"{a}/{b} must both be numbers, got {got}") from None

    span, hint = numbers("start", "end"), numbers("face_x", "face_y")
    if span and not 0 <= span[0] < span[1]:
        raise LabelError(f"start {span[0]} must be >= 0 and before end {span[1]}")
    if hint and not all(0 <= v <= 1 for v in hint):
        raise LabelError(f"face_x/face_y must be fractions 0-1, got {hint}")
    return span, hint


def video_items(root: Path, labels: Path | None, speaker_from_folder: bool):
    """Items for every media file under `root` (audio-only ones become `no_video` rejects)."""
    rejects: list[Reject] = []
    table = read_labels(labels) if labels else pd.DataFrame(columns=["line", *LABEL_COLUMNS])
    by_file: dict[str, list[dict]] = {}
    by_speaker: dict[str, dict] = {}
    for row in table.to_dict("records"):
        where = f"{labels.name} line {row['line']}" if labels else ""
        name = row.get("file", "")
        try:
            row |= {"labels": given_labels(row), "span_hint": _span_and_hint(row)}
        except LabelError as error:
            rejects.append(
                Reject(name or row.get("speaker_id", ""), "bad_label", f"{where}: {error}")
            )
            continue
        if not name:
            if not row.get("speaker_id"):
                raise InputError(f"{where}: a row needs a file or a speaker_id")
            by_speaker.setdefault(row["speaker_id"], {}).update(row["labels"])
            continue
        try:
            path = inside(root, name, where)
        except InputError as error:
            rejects.append(Reject(name, "missing_file", str(error)))
            continue
        if not path.is_file():
            rejects.append(Reject(name, "missing_file", f"{where}: no such file in {root}"))
            continue
        by_file.setdefault(relative_name(path, root.resolve()), []).append(row)

    items = []
    suffixes = VIDEO_SUFFIXES + AUDIO_SUFFIXES
    media = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    for path in media:
        name = relative_name(path.resolve(), root.resolve())
        for row in by_file.get(name, [{}]):
            speaker = row.get("speaker_id") or _speaker_of(name, speaker_from_folder)
            given = {**by_speaker.get(speaker, {}), **row.get("labels", {})}
            span, hint = row.get("span_hint", (None, None))
            items.append(
                Item(
                    key=item_key(name, *(f"{t:.3f}" for t in span or ())),
                    media=path,
                    speaker_id=speaker,
                    split=given.pop("split", None),
                    labels=given,
                    label_source="labels",
                    span=span,
                    face_hint=hint,
                )
            )
    return items, rejects


def _speaker_of(name: str, from_folder: bool) -> str:
    """The sub-folder (with `from_folder`, when there is one), else the file without suffix."""
    path = Path(name)
    if from_folder and path.parent != Path("."):
        return path.parent.as_posix()
    return path.with_suffix("").as_posix()
