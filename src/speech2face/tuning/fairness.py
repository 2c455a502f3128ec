"""Validation recall@5 per demographic group, for the fairness objective's worst group."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from speech2face.evaluation.clip_metrics import Truth, speaker_ranks
from speech2face.features.arrays import embeddings, load_split
from speech2face.manifest import GROUP_COLUMNS, UNKNOWN
from speech2face.training import networks

OVERALL = "overall"


def recall_at_5_by_group(
    model_dir: Path, features: Path, embeddings_dir: Path, crop_seconds: float
) -> dict[str, float]:
    """Recall@5 of the validation clips, overall and per `<attribute>/<group>` (gender, age
    group, ethnicity; never UNKNOWN, which is no group), each clip ranking all validation
    speakers: the inputs and the gallery of the stage's `val/recall_at_5`."""
    net = networks.load(model_dir)
    sample_rate = json.loads((features / "meta.json").read_text())["sample_rate"]
    crop = int(round(crop_seconds * sample_rate))
    arrays, clips = load_split(features, "val")
    predicted = networks.voice_embeddings(net, arrays["waveform"][:, :crop]).astype(np.float64)
    target = np.asarray(embeddings(embeddings_dir, "val"), dtype=np.float64)
    hit = speaker_ranks(predicted, Truth(target, clips.speaker_id.to_numpy(), {})) < 5
    recall = {OVERALL: float(hit.mean())}
    for column in GROUP_COLUMNS:
        for group, rows in clips.groupby(column).indices.items():
            if group != UNKNOWN:
                recall[f"{column}/{group}"] = float(hit[rows].mean())
    return recall


def worst_group(recall: dict[str, float]) -> tuple[str, float]:
    """The group with the lowest recall@5, and its value."""
    groups = {name: value for name, value in recall.items() if name != OVERALL}
    name = min(groups, key=groups.get)
    return name, groups[name]
