"""Stage `bias_point`: one point of a bias study, trained on its draw of the pool's speakers and
measured on the pool's balanced test speakers.

The face encoder, decoder and attribute classifier are the pipeline's, fixed: only the voice
encoder's training data moves, so a change between points is the data's doing. Beside the
voice, the controls of `evaluate` are measured on the same clips: the shuffled pairing
(chance), the decoded true embedding (the decoder's ceiling) and the ridge oracle fit on the
point's own training speakers (what their ground truth allows).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.bias.params import BiasPointParams
from speech2face.bias.selection import training_speakers
from speech2face.evaluation.clip_metrics import Truth, clip_metrics
from speech2face.evaluation.conditions import measure
from speech2face.evaluation.controls import oracle_embeddings
from speech2face.evaluation.evaluate import Readers
from speech2face.features.arrays import embeddings, load_split
from speech2face.files import atomic_path, write_json
from speech2face.manifest import SPEAKERS_NAME
from speech2face.params import EvaluateParams, VoiceEncoderParams
from speech2face.tracking import KIND_TAG, client, new_run, stage_runs_under

PARENT_RUN_VARIABLE = "SPEECH2FACE_PARENT_RUN"  # the study's run, that point runs nest under
STUDY_TAG = "speech2face.study"
METRICS = ("recall_at_5", "gender_agreement", "age_group_agreement", "ethnicity_agreement")
SPEAKER_COLUMNS = ("speaker_id", "gender", "age_group", "ethnicity", "accent")
CLIPS_NAME, METRICS_NAME = "clips.csv", "metrics.json"


@dataclasses.dataclass(frozen=True)
class PointFolders:
    pool_raw: Path
    pool_features: Path
    pool_embeddings: Path
    models: Path  # the pipeline's face_encoder, face_decoder and attribute_classifier
    model_out: Path  # the point's voice encoder
    reports: Path  # the point's clips.csv and metrics.json


def voice_params(base: VoiceEncoderParams, point: BiasPointParams) -> VoiceEncoderParams:
    """train_voice_encoder's values with the point's seed, sampler and epochs."""
    trainer = dataclasses.replace(base.trainer, max_epochs=point.max_epochs)
    return dataclasses.replace(base, seed=point.seed, balance_by=point.balance_by, trainer=trainer)


def child_run(kind: str, name: str, params_path: Path) -> str:
    """A study stage's MLflow run (`kind`), a child of the study's run when one is set."""
    tags = {KIND_TAG: kind}
    parent = os.environ.get(PARENT_RUN_VARIABLE)
    if parent:
        tags["mlflow.parentRunId"] = parent
        tags[STUDY_TAG] = client().get_run(parent).data.tags.get(STUDY_TAG, "")
    return new_run(name, tags, params_path)


def point_run(point: BiasPointParams, params_path: Path) -> str:
    """The point's MLflow run: named for its DVC experiment, a child of the study's run."""
    name = os.environ.get("DVC_EXP_NAME") or (
        f"bias {point.group} {point.share:g} of {point.train_speakers}, seed {point.seed}"
    )
    return child_run("bias_point", name, params_path)


def measure_point(
    readers: Readers, folders: PointFolders, train_ids: frozenset[str], params: EvaluateParams
) -> pd.DataFrame:
    """Per test clip and system (voice, shuffled, ceiling, oracle): METRICS, and the
    classifier's ethnicity on the drawn face and on the true one."""
    arrays, clips = load_split(folders.pool_features, "test")
    target = np.asarray(embeddings(folders.pool_embeddings, "test"), dtype=np.float64)
    true_reading = readers.read(arrays["face"])
    truth = Truth(target, clips.speaker_id.to_numpy(), true_reading)
    clean = measure(readers, arrays["waveform"], truth, params)
    tables = dict(clean.tables)
    readings = {"voice": clean.reading}
    train_clips = load_split(folders.pool_features, "train")[1]
    kept = train_clips.speaker_id.isin(train_ids).to_numpy()
    oracle = oracle_embeddings(
        pd.read_csv(folders.pool_raw / SPEAKERS_NAME),
        train_clips.speaker_id.to_numpy()[kept],
        np.asarray(embeddings(folders.pool_embeddings, "train"), dtype=np.float64)[kept],
        clips.speaker_id.to_numpy(),
        params.oracle_ridge,
    )
    controls = {"ceiling": target} | ({"oracle": oracle} if oracle is not None else {})
    for system, predicted in controls.items():
        readings[system] = readers.read(readers.decode(predicted))
        tables[system] = clip_metrics(predicted, readings[system], truth, params.recall_ks)
    frames = []
    for system, table in tables.items():
        frame = clips[list(SPEAKER_COLUMNS)].copy()
        frame.insert(0, "system", system)
        frame[list(METRICS)] = table[list(METRICS)].to_numpy()
        if system in readings:
            frame["read_ethnicity"] = readings[system]["ethnicity"]
        frame["true_read_ethnicity"] = true_reading["ethnicity"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def summary(table: pd.DataFrame) -> dict:
    """Per system: each metric overall and per ethnicity, and its worst-best gap over them."""
    result = {}
    for system, rows in table.groupby("system", sort=False):
        per_group = rows.groupby("ethnicity")[list(METRICS)].mean()
        result[system] = {
            metric: {
                "overall": float(rows[metric].mean()),
                **{group: float(value) for group, value in per_group[metric].items()},
                "gap": float(per_group[metric].min() - per_group[metric].max()),
            }
            for metric in METRICS
        }
    return result


def bias_point(
    point: BiasPointParams,
    voice: VoiceEncoderParams,
    evaluation: EvaluateParams,
    folders: PointFolders,
    params_path: Path,
) -> dict:
    """Train the point's voice encoder on its draw, measure it; returns its summary."""
    pool_train = load_split(folders.pool_features, "train")[1]
    train_ids = training_speakers(pool_train[["speaker_id", "ethnicity"]], point)
    run_id = point_run(point, params_path)
    tracking = client()
    try:
        result = _train_and_measure(
            point, voice, evaluation, folders, params_path, train_ids, run_id
        )
    except BaseException:
        tracking.set_terminated(run_id, "FAILED")
        raise
    counts = pool_train[pool_train.speaker_id.isin(train_ids)].drop_duplicates("speaker_id")
    result["train_speakers"] = counts.ethnicity.value_counts().sort_index().to_dict()
    write_json(folders.reports / METRICS_NAME, result)
    for system in ("voice", "ceiling"):
        for metric, values in result[system].items():
            for group, value in values.items():
                tracking.log_metric(run_id, f"{system}/{metric}/{group}", value)
    for name in (CLIPS_NAME, METRICS_NAME):
        tracking.log_artifact(run_id, str(folders.reports / name))
    tracking.set_terminated(run_id)
    return result


def _train_and_measure(point, voice, evaluation, folders, params_path, train_ids, run_id) -> dict:
    """The point's voice encoder, trained in a run nested in the point's; its clips.csv
    written; returns the summary."""
    from speech2face.training.train_voice_encoder import train_voice_encoder

    with stage_runs_under(run_id), atomic_path(folders.model_out, directory=True) as staging:
        train_voice_encoder(
            voice_params(voice, point),
            folders.pool_features,
            folders.pool_embeddings,
            folders.models / "face_encoder",
            folders.models / "face_decoder",
            staging,
            folders.reports / "train_voice_encoder.json",
            params_path,
            train_speakers=train_ids,
        )
    clips = load_split(folders.pool_features, "test")[1]
    readers = Readers(folders.models, evaluation.batch_size, clips, folders.model_out)
    table = measure_point(readers, folders, train_ids, evaluation)
    with atomic_path(folders.reports / CLIPS_NAME) as temporary:
        table.to_csv(temporary, index=False, float_format="%.6g")
    return summary(table)
