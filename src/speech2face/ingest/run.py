"""Ingest items into a corpus folder: in parallel (processes here, or a Dask cluster),
incremental, resumable, and atomic.

The results are kept in shards, one per source item, in a work folder beside the corpus
(`.raw.ingest/` for `data/raw`): an item's result (and the files it accepted) is written as
soon as the item is done, and reused while the item's files keep their size and time. So a
killed run resumes where it stopped, and a rerun after videos were added or changed processes
only those; the shards of items gone from the source are dropped. The corpus itself appears
only when complete. The same inputs and params give a byte-identical manifest, whatever
computed the shards.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from functools import partial
from pathlib import Path

import pandas as pd

from speech2face.files import atomic_path, write_json
from speech2face.ingest.items import Item
from speech2face.ingest.labels import corpus_rows
from speech2face.ingest.process import process_item, source_state
from speech2face.manifest import CORPUS_CARD_NAME, MANIFEST_NAME, write_manifest
from speech2face.parallel import parallel_map
from speech2face.params import IngestParams

RESULT_VERSION = 1  # bump when a result's meaning changes: old work folders start clean


def work_folder(out: Path) -> Path:
    return out.with_name(f".{out.name}.ingest")


def _fingerprint(params: IngestParams) -> str:
    text = json.dumps([RESULT_VERSION, asdict(params)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _prepare(work: Path, params: IngestParams) -> None:
    """Keep the work folder of an interrupted run with the same params; else start clean."""
    stamp = work / "params.sha256"
    if work.exists() and (not stamp.exists() or stamp.read_text() != _fingerprint(params)):
        shutil.rmtree(work)
    (work / "results").mkdir(parents=True, exist_ok=True)
    stamp.write_text(_fingerprint(params))


def _result_path(work: Path, item: Item) -> Path:
    return work / "results" / f"{item.key}.json"


def _cached(work: Path, item: Item) -> dict | None:
    try:
        result = json.loads(_result_path(work, item).read_text())
    except (OSError, ValueError):
        return None
    return result if result.get("state") == source_state(item) else None


def _ingest_one(item: Item, work: Path, params: IngestParams) -> dict:
    """Process `item` and keep its result (written last, atomically: it marks the item done)."""
    result = process_item(item, work, params) | {"state": source_state(item)}
    write_json(_result_path(work, item), result)
    return result


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def shown(name: str, root: Path) -> str:
    """A file as the report shows it: relative to the source folder when it is inside."""
    path = Path(name)
    if path.is_absolute() or path.exists():
        path, root = path.absolute(), root.absolute()
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return name


def ingest(
    items: list[Item],
    root: Path,
    out: Path,
    params: IngestParams,
    workers: int,
    card: dict,
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, list[dict], dict]:
    """Write the corpus of `items` (read from `root`) to `out`: manifest, audio/, faces/,
    corpus.json.

    Returns the manifest, every reject of the items, and counts: speech segments read, items
    whose results an earlier run had already kept (resumed). `scheduler`: a Dask cluster to
    compute the shards on (`parallel_map`).
    """
    work = work_folder(out)
    _prepare(work, params)
    for stale in out.parent.glob(f".{out.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    done = {item.key: _cached(work, item) for item in items}
    todo = [item for item in items if done[item.key] is None]
    counts = {"resumed": len(items) - len(todo)}
    work_on = partial(_ingest_one, work=work, params=params)
    for item, result in zip(todo, parallel_map(work_on, todo, workers, "Ingesting", scheduler)):
        done[item.key] = result
    results = [(item, done[item.key]) for item in items]
    rejects = [r | {"file": shown(r["file"], root)} for _, res in results for r in res["rejects"]]
    counts["segments"] = sum(result["segments"] for _, result in results)
    manifest = corpus_rows(results, params)
    manifest["source_file"] = [shown(name, root) for name in manifest["source_file"]]
    with atomic_path(out, directory=True) as staging:
        for row in manifest.itertuples():
            for relative in (row.audio_path, row.face_path):
                _link(work / relative, staging / relative)
        write_manifest(manifest, staging / MANIFEST_NAME)
        write_json(staging / CORPUS_CARD_NAME, card)
    for row in rejects:  # the rejected frames the report shows stay until it is written
        if "thumbnail" in row:
            row["thumbnail"] = str(work / row["thumbnail"])
    return manifest, rejects, counts


def drop_gone(out: Path, items: list[Item]) -> int:
    """Drop the shards of items no longer in the source (their result and files), once the
    corpus and its report are written; returns how many."""
    work, kept = work_folder(out), {item.key for item in items}
    gone = [path for path in (work / "results").glob("*.json") if path.stem not in kept]
    for path in gone:
        result = json.loads(path.read_text())
        files = [row[name] for row in result["accepted"] for name in ("audio_path", "face_path")]
        files += [row["thumbnail"] for row in result["rejects"] if "thumbnail" in row]
        for relative in files:
            (work / relative).unlink(missing_ok=True)
        path.unlink()
    return len(gone)
