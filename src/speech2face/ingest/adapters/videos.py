"""Adapter `videos`: a folder (searched recursively) of talking-face videos, with an optional
labels CSV (named, or the folder's own labels.csv) whose rows name a file (its labels, span and
face hint) or a speaker (their labels).

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
from speech2face.ingest.items import Item, Reject, SourceRead

AUDIO_SUFFIXES = (".m4a", ".aac", ".mp3", ".wav", ".flac", ".ogg", ".opus")
# A labels CSV names its files in a column of any of these names (one of them), its speakers in
# `speaker_id`; the other columns it may have.
FILE_COLUMNS = ("file", "path", "filename", "video")
LABEL_COLUMNS = ("speaker_id", "split", "gender", "age", "ethnicity", "face_x", "face_y")
LABEL_COLUMNS += ("start", "end")
FOUND_LABELS = "labels.csv"  # used when the folder holds one and no labels CSV is named


def read_labels(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The labels CSV as stripped strings with its line numbers, its file column named `file`;
    and notes on how it was read (the file column used, columns not read). One-line errors
    for a file without a key column or with two file columns."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"cannot read the labels {path}: {e}") from e
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    files = [c for c in frame.columns if c in FILE_COLUMNS]
    if len(files) > 1:
        raise InputError(f"{path}: columns {', '.join(files)} all name files; keep one")
    if not files and "speaker_id" not in frame.columns:
        raise InputError(
            f"{path}: no key column in {', '.join(frame.columns)}; the labels need a file "
            f"column ({' or '.join(FILE_COLUMNS)}) or a 'speaker_id' column"
        )
    notes = []
    if files and files[0] != "file":
        notes.append(f"{path.name}: the files are named by its column '{files[0]}'")
    unread = [c for c in frame.columns if c not in FILE_COLUMNS + LABEL_COLUMNS]
    if unread:
        notes.append(
            f"{path.name}: columns not read: {', '.join(unread)} (read: a file column, "
            f"{', '.join(LABEL_COLUMNS)})"
        )
    frame = frame.rename(columns={files[0]: "file"} if files else {})
    frame = frame[[c for c in ("file", *LABEL_COLUMNS) if c in frame.columns]].map(str.strip)
    frame.insert(0, "line", range(2, len(frame) + 2))
    return frame, notes


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


def video_items(root: Path, labels: Path | None, speaker_from_folder: bool) -> SourceRead:
    """Items for every media file under `root` (audio-only ones become `no_video` rejects),
    labelled by `labels`, else by the folder's own labels.csv when it has one."""
    rejects: list[Reject] = []
    notes: list[str] = []
    if labels is None and (root / FOUND_LABELS).is_file():
        labels = root / FOUND_LABELS
        notes.append(f"labels: {labels}, found in the folder (name another with --labels)")
    table = pd.DataFrame(columns=["line", "file", *LABEL_COLUMNS])
    if labels:
        table, read_notes = read_labels(labels)
        notes += read_notes
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
    return SourceRead(items, rejects, notes)


def _speaker_of(name: str, from_folder: bool) -> str:
    """The sub-folder (with `from_folder`, when there is one), else the file without suffix."""
    path = Path(name)
    if from_folder and path.parent != Path("."):
        return path.parent.as_posix()
    return path.with_suffix("").as_posix()
