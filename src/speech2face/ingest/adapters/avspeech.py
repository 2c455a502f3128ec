"""Adapter `avspeech`: the official header-less CSVs (`youtube_id,start,end,face_x,face_y`)
and a folder of downloaded clips in any of the common naming schemes:

- the official downloader's `<id>_<start %010.6f>-<end %010.6f>.mp4`,
- per-id folders `<id>/<id>_<start>_<end>_video.mp4`,
- whole videos `<id>.mp4`, in which the segment is sought.

AVSpeech has no identities or demographics: the speaker is the video (one person may appear
in several videos), labels are estimated, and the split is the CSV's (a name holding "test").
"""

from __future__ import annotations

import csv
from pathlib import Path

from speech2face.errors import InputError
from speech2face.ingest.adapters import VIDEO_SUFFIXES, item_key
from speech2face.ingest.items import DEV, Item, Reject, SourceRead

TOLERANCE_S = 0.05  # clip names round the CSV's times


def _clip_index(clips: Path) -> tuple[dict[str, list[tuple[float, Path]]], dict[str, Path]]:
    """Cut clips by id (their start times) and whole videos by id."""
    cut: dict[str, list[tuple[float, Path]]] = {}
    whole: dict[str, Path] = {}
    for path in sorted(clips.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in VIDEO_SUFFIXES:
            continue
        stem = path.stem
        parsed = _parse_official(stem) or _parse_per_id(stem)
        if parsed:
            cut.setdefault(parsed[0], []).append((parsed[1], path))
        else:
            whole.setdefault(stem, path)
    return cut, whole


def _parse_official(stem: str) -> tuple[str, float] | None:
    """`<id>_<start>-<end>` (ids may hold `_` and start with `-`)."""
    video, _, times = stem.rpartition("_")
    start, _, end = times.partition("-")
    try:
        first, last = float(start), float(end)
    except ValueError:
        return None
    return (video, first) if video and last > first else None


def _parse_per_id(stem: str) -> tuple[str, float] | None:
    """`<id>_<start>_<end>_video`."""
    parts = stem.rsplit("_", 3)
    if len(parts) != 4 or parts[3] != "video":
        return None
    try:
        return parts[0], float(parts[1])
    except ValueError:
        return None


def _rows(path: Path):
    """(line, id, start, end, x, y) of one CSV; InputError naming the line if malformed."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            for line, row in enumerate(csv.reader(stream), 1):
                if not row:
                    continue
                if len(row) != 5:
                    raise InputError(f"{path} line {line}: expected 5 fields, got {len(row)}")
                try:
                    numbers = [float(v) for v in row[1:]]
                except ValueError:
                    raise InputError(
                        f"{path} line {line}: times and face centre must be numbers"
                    ) from None
                yield line, row[0].strip(), *numbers
    except OSError as error:
        raise InputError(f"cannot read {path}: {error}") from error


def _find(cut: list[tuple[float, Path]], start: float) -> Path | None:
    return next((p for s, p in cut if abs(s - start) <= TOLERANCE_S), None)


def present_csvs(csvs: list[Path]) -> tuple[list[Path], list[str]]:
    """The CSVs that are there, and a note for each that is not (a copy often holds only the
    test or the train CSV); an InputError when none is."""
    present = [path for path in csvs if path.is_file()]
    if not present:
        looked = ", ".join(str(path) for path in csvs) or "none named"
        raise InputError(f"no AVSpeech CSV found: looked for {looked}")
    read = ", ".join(path.name for path in present)
    return present, [f"{path}: not there; read {read}" for path in csvs if path not in present]


def avspeech_items(csvs: list[Path], clips: Path) -> SourceRead:
    """Items for every row of the CSVs present whose clip (or whole video) is in `clips`."""
    if not clips.is_dir():
        raise InputError(f"the AVSpeech clips folder {clips} does not exist")
    csvs, notes = present_csvs(csvs)
    cut, whole = _clip_index(clips)
    items, rejects = [], []
    for path in csvs:
        split = "test" if "test" in path.name.lower() else DEV
        for line, video, start, end, x, y in _rows(path):
            clip = _find(cut.get(video, []), start)
            span = None if clip else (start, end)
            clip = clip or whole.get(video)
            if clip is None:
                detail = f"{path.name} line {line}: no clip of {video} at {start:.3f}s in {clips}"
                rejects.append(Reject(video, "missing_file", detail, start, end))
                continue
            items.append(
                Item(
                    key=item_key(video, f"{start:.3f}"),
                    media=clip,
                    speaker_id=video,
                    split=split,
                    span=span,
                    face_hint=(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)),
                )
            )
    return SourceRead(items, rejects, notes)
