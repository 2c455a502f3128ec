"""Adapters `voxceleb1` and `voxceleb2`: the official trees and meta tables.

- VoxCeleb1: `[dev|test/]wav/<id>/<youtube id>/<nnnnn>.wav` and `vox1_meta.csv`, which is
  tab-separated (nationalities hold spaces); faces from the interval-faces tree
  `<VGGFace1 ID>/1.6/<youtube id>/<n>/**.jpg` (`n` = utterance number without zero padding),
  given as the unzipped folder or its `data/` level, or from a folder of identity photos
  `<VGGFace1 ID or id>/*.jpg`. A wav with no face image found is a `no_face_images` reject
  naming the folders sought.
- VoxCeleb2: `[dev|test]/aac/<id>/<youtube id>/<nnnnn>.m4a` with the parallel `mp4/` tree (the
  face comes from the mp4) and `vox2_meta.csv`, whose copies differ (BOM, padded cells, CRLF).

Gender comes from the meta table (`metadata`), age is estimated, ethnicity is unknown; the
official test identities stay test, the others are split between train and val. Nationality
is never used: it is wrong for some identities and says nothing reliable about a face.
"""

from __future__ import annotations

from pathlib import Path

from speech2face.errors import InputError
from speech2face.ingest.adapters import gender_label, item_key, relative_name
from speech2face.ingest.items import DEV, Item, Reject, SourceRead

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
INTERVAL_LAYOUT = "<VGGFace1 ID>/1.6/<youtube id>/<utterance number>/*.jpg"


def read_meta(path: Path, separator: str, columns: dict[str, str]) -> dict[str, dict]:
    """id -> {name: value} from a meta table, tolerating a BOM, CRLF and padded cells.

    `columns` maps the wanted names to the header's (first word) spellings.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the meta table {path}: {error}") from error
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{path}: the meta table is empty")
    header = [cell.strip() for cell in lines[0].split(separator)]
    try:
        where = {name: header.index(spelled) for name, spelled in columns.items()}
    except ValueError:
        raise InputError(f"{path}: header {header} lacks one of {list(columns.values())}") from None
    table = {}
    for number, line in enumerate(lines[1:], 2):
        cells = [cell.strip() for cell in line.split(separator)]
        if len(cells) < len(header):
            raise InputError(f"{path} line {number}: {len(cells)} fields, expected {len(header)}")
        row = {name: cells[i] for name, i in where.items()}
        table[row["id"]] = row | {"line": number}
    return table


def _meta_item(row: dict, meta: Path, **fields) -> Item | Reject:
    """An item labelled from its meta row (a bad gender is a `bad_label` reject)."""
    gender = gender_label(row["gender"])
    if gender is None:
        detail = f"{meta.name} line {row['line']}: gender {row['gender']!r} is not m or f"
        return Reject(str(fields["media"]), "bad_label", detail)
    split = "test" if row["set"].lower() == "test" else DEV
    return Item(
        speaker_id=row["id"],
        split=split,
        labels={"gender": gender},
        label_source="metadata",
        **fields,
    )


def _unlisted(paths_by_id: dict[str, list[Path]], table: dict, meta: Path, root: Path):
    """Rejects for files of ids not in the meta table, and for meta ids without files."""
    rejects = [
        Reject(relative_name(p, root), "not_in_meta", f"{speaker} is not in {meta.name}")
        for speaker, paths in paths_by_id.items()
        if speaker not in table
        for p in paths
    ]
    rejects += [
        Reject(speaker, "missing_file", f"{meta.name} line {row['line']}: no files of {speaker}")
        for speaker, row in table.items()
        if speaker not in paths_by_id
    ]
    return rejects


def _by_id(paths: list[Path]) -> dict[str, list[Path]]:
    grouped: dict[str, list[Path]] = {}
    for path in paths:
        grouped.setdefault(path.parts[-3], []).append(path)
    return grouped


def interval_faces_root(faces: Path) -> Path:
    """The folder holding `<VGGFace1 ID>/1.6/...`: `faces` itself, or its `data/` level (the
    official zip unpacks to unzippedIntervalFaces/data/)."""
    return faces / "data" if (faces / "data").is_dir() else faces


def _interval_folder(faces: Path, name: str, wav: Path) -> Path:
    return faces / name / "1.6" / wav.parent.name / str(int(wav.stem))


def _images(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES))


def _photos(photos: Path, *names: str) -> tuple[Path, ...]:
    for name in names:
        found = sorted(p for p in (photos / name).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if found:
            return tuple(found)
    return ()


def _no_faces(wav: Path, root: Path, sought: list[str]) -> Reject:
    """The reject of a wav no face image was found for, naming where they were sought."""
    return Reject(
        relative_name(wav, root), "no_face_images", "no face images in " + " or ".join(sought)
    )


def voxceleb1_items(root: Path, meta: Path, faces: Path | None, photos: Path | None) -> SourceRead:
    """Items for every wav under `root` whose id the (tab-separated) meta table lists, each
    with its face images from the interval-faces tree `faces` (or its data/ level), else from
    the identity photos `photos`."""
    columns = {"id": "VoxCeleb1 ID", "name": "VGGFace1 ID", "gender": "Gender", "set": "Set"}
    table = read_meta(meta, "\t", columns)
    wavs = sorted(p for p in root.rglob("*.wav") if p.parent.parent.parent.name != "")
    by_id = _by_id(wavs)
    faces = interval_faces_root(faces) if faces else None
    items: list = []
    for speaker, paths in by_id.items():
        if speaker not in table:
            continue
        row = table[speaker]
        for wav in paths:
            sought, images = [], ()
            if faces:
                folder = _interval_folder(faces, row["name"], wav)
                sought.append(f"{folder} (layout {faces}/{INTERVAL_LAYOUT})")
                images = _images(folder)
            if not images and photos:
                sought.append(f"{photos / row['name']} or {photos / speaker}")
                images = _photos(photos, row["name"], speaker)
            if not images:
                items.append(_no_faces(wav, root, sought))
                continue
            key = item_key(speaker, wav.parent.name, wav.stem)
            items.append(_meta_item(row, meta, key=key, media=wav, face_images=images))
    return _split_rejects(items, _unlisted(by_id, table, meta, root))


def voxceleb2_items(root: Path, meta: Path):
    """Items for every m4a (with its parallel mp4 for the face) or lone mp4 under `root`."""
    columns = {"id": "VoxCeleb2 ID", "name": "VGGFace2 ID", "gender": "Gender", "set": "Set"}
    table = read_meta(meta, ",", columns)
    audio = {_utterance(p): p for p in sorted(root.rglob("*.m4a"))}
    video = {_utterance(p): p for p in sorted(root.rglob("*.mp4"))}
    by_id = _by_id([audio.get(u) or video[u] for u in sorted(audio.keys() | video.keys())])
    items: list = []
    for speaker, paths in by_id.items():
        if speaker not in table:
            continue
        for path in paths:
            utterance = _utterance(path)
            fields = {"key": item_key(*utterance[1:]), "media": path}
            fields["video"] = video.get(utterance)
            items.append(_meta_item(table[speaker], meta, **fields))
    return _split_rejects(items, _unlisted(by_id, table, meta, root))


def _utterance(path: Path) -> tuple[str, str, str, str]:
    """(set folder, id, youtube id, utterance) of a file in an aac/ or mp4/ tree."""
    return path.parts[-5] if len(path.parts) >= 5 else "", *path.parts[-3:-1], path.stem


def _split_rejects(found: list, rejects: list[Reject]) -> SourceRead:
    items = [i for i in found if isinstance(i, Item)]
    return SourceRead(items, rejects + [r for r in found if isinstance(r, Reject)])
