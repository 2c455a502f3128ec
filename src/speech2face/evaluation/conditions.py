"""The model beyond the voices it learnt from: the same measurements, with intervals, on the
test speakers' clips spoken by a held-out speech engine (when the corpus has them) and on
degraded copies of the test clips (noise at several SNRs, a room, a telephone line, lossy
codecs), beside the clean in-distribution test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.audio import INT16_SCALE
from speech2face.evaluation.clip_metrics import Truth, clip_metrics
from speech2face.evaluation.controls import shuffled_pairings
from speech2face.evaluation.groups import group_table
from speech2face.features.arrays import embeddings, feature_splits, load_split
from speech2face.manifest import GROUP_COLUMNS, OUT_OF_ENGINE
from speech2face.params import EvaluateParams
from speech2face.recording.conditions import degrade, parse_condition

IN_DISTRIBUTION = "in_distribution"
ENGINE = "engine"  # the manifest column of the simulated corpus's speech engine
HELD_OUT_ENGINE = "out_of_engine"
# The metrics compared across conditions (those a test has: ethnicity only when labelled).
METRICS = (
    "recall_at_5",
    "match_1in2",
    "cosine",
    "gender_agreement",
    "age_group_agreement",
    "ethnicity_agreement",
)


@dataclass(frozen=True)
class Measured:
    """The model on one set of voices: per-clip metrics of its predictions and of the shuffled
    control, and what it predicted."""

    tables: dict[str, pd.DataFrame]  # "voice", "shuffled" -> clip_metrics table
    predicted: np.ndarray
    drawn: np.ndarray  # the faces decoded from `predicted`, (N, 3, H, W) in [0, 1]
    reading: dict[str, np.ndarray]  # the classifier on `drawn`


def mean_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    return sum(tables[1:], tables[0]) / len(tables)


def measure(readers, waveforms: np.ndarray, truth: Truth, params: EvaluateParams) -> Measured:
    """The voice encoder on `waveforms` (int16 scale) against `truth`, and the shuffled control
    (its predictions paired with other speakers' faces)."""
    predicted = readers.voice(waveforms).astype(np.float64)
    drawn = readers.decode(predicted)
    reading = readers.read(drawn)
    ks = params.recall_ks
    pairings = shuffled_pairings(truth.speakers, params.shuffles, params.seed)
    shuffled = [
        clip_metrics(predicted[p], {k: v[p] for k, v in reading.items()}, truth, ks)
        for p in pairings
    ]
    tables = {
        "voice": clip_metrics(predicted, reading, truth, ks),
        "shuffled": mean_table(shuffled),
    }
    return Measured(tables, predicted, drawn, reading)


def snr_db(condition: str) -> float | None:
    """The SNR of a noise condition ("snr_10" -> 10.0), else None."""
    if condition in (IN_DISTRIBUTION, HELD_OUT_ENGINE):
        return None
    kind, value = parse_condition(condition)
    return value if kind == "snr" else None


def _summary(measured: Measured, clips: pd.DataFrame, condition: str, params) -> pd.DataFrame:
    """Per group of GROUP_COLUMNS and, when the corpus records it, of speech ENGINE."""
    if ENGINE in clips:
        clips, attributes = clips.astype({ENGINE: str}), (*GROUP_COLUMNS, ENGINE)
    else:
        attributes = GROUP_COLUMNS
    frames = []
    for system, table in measured.tables.items():
        rows, _ = group_table(
            table[[m for m in METRICS if m in table]],
            clips,
            attributes,
            params.bootstrap,
            params.confidence,
            params.seed,
        )
        frames.append(rows.assign(condition=condition, system=system))
    return pd.concat(frames, ignore_index=True)


def _held_out_engine(readers, features: Path, embeddings_dir: Path, params) -> tuple | None:
    """The held-out engine's clips measured, with those clips, when the corpus has them."""
    if OUT_OF_ENGINE not in feature_splits(features):
        return None
    arrays, clips = load_split(features, OUT_OF_ENGINE)
    if clips.empty:
        return None
    target = np.asarray(embeddings(embeddings_dir, OUT_OF_ENGINE), dtype=np.float64)
    truth = Truth(target, clips.speaker_id.to_numpy(), readers.read(arrays["face"]))
    return measure(readers, arrays["waveform"], truth, params), clips


def condition_groups(
    readers,
    clean: Measured,
    waveforms: np.ndarray,
    truth: Truth,
    clips: pd.DataFrame,
    sample_rate: int,
    folders: tuple[Path, Path],
    params: EvaluateParams,
) -> pd.DataFrame:
    """Per condition, system (voice, shuffled), attribute, group and metric: the value and its
    interval; conditions in the order in-distribution, held-out engine, `params.conditions`."""
    frames = [_summary(clean, clips, IN_DISTRIBUTION, params)]
    voices = np.asarray(waveforms, dtype=np.float32) / np.float32(INT16_SCALE)
    held_out = _held_out_engine(readers, *folders, params)
    if held_out is not None:
        frames.append(_summary(held_out[0], held_out[1], HELD_OUT_ENGINE, params))
    for condition in params.conditions:
        degraded = degrade(voices, sample_rate, condition, params.seed)
        measured = measure(readers, degraded * np.float32(INT16_SCALE), truth, params)
        frames.append(_summary(measured, clips, condition, params))
    return pd.concat(frames, ignore_index=True)
