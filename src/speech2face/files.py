"""Atomic outputs: write to a temporary sibling, rename into place only when complete."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target`, on error it goes.

    Readers never see a half-written output, and a failed run leaves the old one untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial-{os.getpid()}")
    _remove(temporary)
    if directory:
        temporary.mkdir()
    try:
        yield temporary
    except BaseException:
        _remove(temporary)
        raise
    _remove(target)
    temporary.rename(target)


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as temporary:
        temporary.write_text(text)


def write_json(target: Path, value) -> None:
    write_text(target, json.dumps(value, indent=2, default=str) + "\n")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def tree_sha256(folder: Path) -> str:
    """One SHA-256 over every file under `folder`: relative paths and contents, sorted."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{sha256(path)}\n".encode())
    return digest.hexdigest()
