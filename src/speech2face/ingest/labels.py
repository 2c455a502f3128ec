"""Manifest rows from ingest results: one gender, age, ethnicity and split per speaker.

Given labels (a labels CSV, a meta table) are never overwritten; a missing gender or age is
estimated from the speaker's accepted faces and marked `estimated` with its confidence;
ethnicity is `unknown` unless given. A speaker without a given split is assigned one by a
hash of their id, so adding speakers never moves the others.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from speech2face.ingest.estimate import speaker_estimate
from speech2face.ingest.items import DEV, UNKNOWN, Item
from speech2face.ingest.media import SAMPLE_RATE
from speech2face.manifest import AGE_RANGE, SPLITS, age_group
from speech2face.params import IngestParams


def assigned_split(speaker: str, given: str | None, params: IngestParams) -> str:
    """The given split, else one drawn by hashing the speaker id (dev: train or val only)."""
    if given in SPLITS:
        return given
    names = ["train", "val"] if given == DEV else list(SPLITS)
    shares = [params.split_fractions[n] for n in names]
    digest = hashlib.sha256(f"{params.seed}:{speaker}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64 * sum(shares)
    for name, share in zip(names, shares):
        if draw < share:
            return name
        draw -= share
    return names[-1]


def _speaker_labels(items: list[Item], estimates: list[dict], params: IngestParams) -> dict:
    """Labels of one speaker (from their items, in order) with provenance and confidence."""
    given: dict[str, tuple[str, str]] = {}
    for item in items:
        for name, value in item.labels.items():
            given.setdefault(name, (value, item.label_source))
    guess = speaker_estimate(estimates) if estimates else {}
    labels = {}
    for name in ("gender", "age"):
        if name in given:
            labels |= {name: given[name][0], f"{name}_source": given[name][1]}
        else:
            labels |= {name: guess[name], f"{name}_source": "estimated"}
            labels[f"{name}_confidence"] = guess[f"{name}_confidence"]
    labels["age"] = min(max(int(labels["age"]), AGE_RANGE[0]), AGE_RANGE[1])
    labels["age_group"] = age_group(labels["age"])
    ethnicity, source = given.get("ethnicity", (UNKNOWN, UNKNOWN))
    split = next((i.split for i in items if i.split), None)
    return labels | {
        "ethnicity": ethnicity,
        "ethnicity_source": source,
        "split": assigned_split(items[0].speaker_id, split, params),
    }


def corpus_rows(results: list[tuple[Item, dict]], params: IngestParams) -> pd.DataFrame:
    """One manifest row per accepted segment, in item order."""
    by_speaker: dict[str, list[tuple[Item, dict]]] = {}
    for item, result in results:
        by_speaker.setdefault(item.speaker_id, []).append((item, result))
    labels = {}
    for speaker, pairs in by_speaker.items():
        estimates = [s["estimate"] for _, r in pairs for s in r["accepted"] if s["estimate"]]
        if any(r["accepted"] for _, r in pairs):
            labels[speaker] = _speaker_labels([i for i, _ in pairs], estimates, params)
    rows = [
        {
            "clip_id": segment["clip_id"],
            "speaker_id": item.speaker_id,
            "audio_path": segment["audio_path"],
            "face_path": segment["face_path"],
            "duration_s": segment["duration_s"],
            "sample_rate": SAMPLE_RATE,
            **labels[item.speaker_id],
            "source_file": str(item.media),
            "start_s": segment["start_s"],
            "end_s": segment["end_s"],
        }
        for item, result in results
        for segment in result["accepted"]
    ]
    columns = ["clip_id", "speaker_id", "split", "audio_path", "face_path", "duration_s"]
    columns += ["sample_rate", "gender", "age", "age_group", "ethnicity", "gender_source"]
    columns += ["gender_confidence", "age_source", "age_confidence", "ethnicity_source"]
    columns += ["source_file", "start_s", "end_s"]
    return pd.DataFrame(rows, columns=columns)
