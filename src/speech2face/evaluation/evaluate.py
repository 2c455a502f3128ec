"""Stage `evaluate`: the paper's measurements on the held-out test speakers, per group.

Every figure comes from model outputs on test speakers that no network was trained on: the
voice encoder's predicted face embeddings, the faces the decoder draws from them, and the
attribute classifier's reading of those faces against its reading of the true faces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from speech2face.evaluation.clip_metrics import LOWER_IS_BETTER, Truth, clip_metrics
from speech2face.evaluation.conditions import condition_groups, measure
from speech2face.evaluation.controls import oracle_embeddings, shuffled_pairings
from speech2face.evaluation.face_quality import face_quality, quality_reference, true_faces
from speech2face.evaluation.groups import group_table
from speech2face.evaluation.judges import judged_tables, reader_accuracy
from speech2face.evaluation.record import MODELS
from speech2face.features.arrays import embeddings, load_split
from speech2face.manifest import GROUP_COLUMNS, SPEAKERS_NAME, UNKNOWN, read_corpus_card
from speech2face.params import EvaluateParams
from speech2face.training import networks
from speech2face.training.networks import face_images


@dataclass(frozen=True)
class Evaluation:
    """What the evaluation found: per-system clip tables summarised per group, and the raw
    outputs the figures and the report are drawn from."""

    groups: pd.DataFrame  # system, attribute, group, metric, value, ci_low, ci_high, ...
    gaps: pd.DataFrame  # system, attribute, metric, gap, ci_low, ci_high, worst, best
    clips: pd.DataFrame  # the test clips (array order)
    conditions: pd.DataFrame  # condition, system, attribute, group, metric, value, ci_low, ...
    face_quality: pd.DataFrame  # as `groups`: sharpness and spread of the drawn faces
    true_reading: dict[str, np.ndarray]  # the classifier on the true faces
    readings: dict[str, dict[str, np.ndarray]]  # system -> the classifier on its decoded faces
    classes: dict[str, list[str]]  # the attributes read and compared (some test clip labelled)
    grid: dict[str, np.ndarray]  # column title -> faces (speakers, H, W, 3) in [0, 1]
    grid_titles: list[str]
    classifier_accuracy: dict[str, float]  # on the true test faces, against the labels
    corpus: dict  # the corpus card (manifest.read_corpus_card): source, description, ...
    judge_accuracy: pd.DataFrame  # as `groups`: the attribute judge on the true faces (or empty)


class Readers:
    """The trained networks, as functions from arrays to what the evaluation needs.

    The classifier's readings leave out the attributes no test clip has a label for (all
    UNKNOWN): there is nothing to compare them with. `voice_encoder`: another voice encoder
    than `models`' (a bias study point's).
    """

    def __init__(
        self, models: Path, batch_size: int, clips: pd.DataFrame, voice_encoder: Path | None = None
    ):
        folders = {name: models / name for name in MODELS}
        folders["voice_encoder"] = voice_encoder or folders["voice_encoder"]
        self.nets = {name: networks.load(folder) for name, folder in folders.items()}
        self.size = self.nets["attribute_classifier"].image_size
        self.batch_size = batch_size
        trained = self.nets["attribute_classifier"].classes
        self.classes = {
            name: names for name, names in trained.items() if (clips[name] != UNKNOWN).any()
        }
        self.unread = set(trained) - set(self.classes)

    def voice(self, waveforms: np.ndarray) -> np.ndarray:
        """int16 waveforms -> predicted face embeddings."""
        return networks.voice_embeddings(self.nets["voice_encoder"], waveforms, self.batch_size)

    def decode(self, embedding: np.ndarray) -> np.ndarray:
        """Face embeddings -> decoded faces (N, 3, H, W) in [0, 1]."""
        decoder = self.nets["face_decoder"]
        return networks.batched(lambda e: decoder(e.float()), embedding, self.batch_size)[0]

    def read(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Faces (N, 3, H, W) in [0, 1], or uint8 (N, H, W, 3) -> the classifier's reading."""
        classifier = self.nets["attribute_classifier"]

        def run(batch: torch.Tensor) -> dict:
            images = face_images(batch, self.size) if batch.dtype == torch.uint8 else batch
            described = classifier.describe(images)
            return {k: v for k, v in described.items() if k not in self.unread}

        return networks.batched(run, images, self.batch_size)


def _summarise(tables: dict[str, pd.DataFrame], clips, params) -> tuple[pd.DataFrame, ...]:
    """Per-group values with intervals, and worst-best gaps, of each system's clip table."""
    groups, gaps = [], []
    for system, table in tables.items():
        rows, gap = group_table(
            table, clips, GROUP_COLUMNS, params.bootstrap, params.confidence, params.seed
        )
        groups.append(rows.assign(system=system))
        gaps.append(gap.assign(system=system))
    return pd.concat(groups, ignore_index=True), pd.concat(gaps, ignore_index=True)


def _mark_beyond_shuffled(groups: pd.DataFrame) -> pd.DataFrame:
    """Whether each interval lies beyond the shuffled control's, on the good side."""
    key = ["attribute", "group", "metric"]
    chance = groups[groups.system == "shuffled"].set_index(key)[["ci_low", "ci_high"]]
    joined = groups.join(chance, on=key, rsuffix="_shuffled")
    lower = joined.metric.isin(LOWER_IS_BETTER)
    beyond = np.where(
        lower,
        joined.ci_high < joined.ci_low_shuffled,
        joined.ci_low > joined.ci_high_shuffled,
    )
    groups["beyond_shuffled"] = np.where(groups.system == "shuffled", np.nan, beyond)
    return groups


def _grid(readers: Readers, faces, voice, truth, clips, params) -> tuple[dict, list[str]]:
    """The first clip of `grid_speakers` random test speakers: true face, the face decoded from
    the true embedding, and the face decoded from the voice."""
    first = clips.drop_duplicates("speaker_id")
    rng = np.random.default_rng(params.seed)
    chosen = first.iloc[np.sort(rng.permutation(len(first))[: params.grid_speakers])]
    rows = chosen.index.to_numpy()
    decoded_voice, decoded_true = readers.decode(voice[rows]), readers.decode(truth[rows])
    size = decoded_voice.shape[-1]
    true_faces = face_images(torch.from_numpy(np.array(faces[rows])), size).numpy()
    columns = {
        "true face": true_faces,
        "from true embedding": decoded_true,
        "from voice": decoded_voice,
    }
    titles = [f"{r.speaker_id} {r.gender} {r.age} {r.ethnicity}" for r in chosen.itertuples()]
    return {k: v.transpose(0, 2, 3, 1) for k, v in columns.items()}, titles


def _accuracy(reading: np.ndarray, labels: pd.Series) -> float:
    """The share of the labelled clips (not UNKNOWN) whose reading is their label."""
    known = (labels != UNKNOWN).to_numpy()
    return float(np.mean(reading[known] == labels[known]))


def evaluate(
    params: EvaluateParams,
    features: Path,
    embeddings_dir: Path,
    descriptors: Path,
    raw: Path,
    models: Path,
) -> Evaluation:
    """Run every measurement on the test speakers, for the model and the three controls;
    with `independent_judges`, the judges' too (evaluation/judges.py)."""
    torch.manual_seed(params.seed)
    arrays, clips = load_split(features, "test")
    readers = Readers(models, params.batch_size, clips)
    target = np.asarray(embeddings(embeddings_dir, "test"), dtype=np.float64)
    true_reading = readers.read(arrays["face"])
    truth = Truth(target, clips.speaker_id.to_numpy(), true_reading)

    clean = measure(readers, arrays["waveform"], truth, params)
    predictions = {"voice": clean.predicted, "ceiling": target}
    if (raw / SPEAKERS_NAME).exists():
        train_clips = load_split(features, "train")[1]
        oracle = oracle_embeddings(
            pd.read_csv(raw / SPEAKERS_NAME),
            train_clips.speaker_id.to_numpy(),
            np.asarray(embeddings(embeddings_dir, "train"), dtype=np.float64),
            clips.speaker_id.to_numpy(),
            params.oracle_ridge,
        )
        if oracle is not None:
            predictions["oracle"] = oracle
    controls = [s for s in predictions if s != "voice"]  # the voice is measured already
    drawn = {"voice": clean.drawn} | {s: readers.decode(predictions[s]) for s in controls}
    readings = {"voice": clean.reading}
    readings |= {s: readers.read(drawn[s]) for s in controls}
    ks = params.recall_ks
    tables = {"voice": clean.tables["voice"]}
    tables |= {s: clip_metrics(predictions[s], readings[s], truth, ks) for s in controls}
    tables["shuffled"] = clean.tables["shuffled"]
    judge_accuracy = pd.DataFrame()
    if params.independent_judges:
        pairings = shuffled_pairings(truth.speakers, params.shuffles, params.seed)
        judged, judged_truth = judged_tables(drawn, descriptors, truth.speakers, pairings, params)
        tables = {s: pd.concat([t, judged[s]], axis=1) for s, t in tables.items()}
        judge_accuracy = reader_accuracy(judged_truth, clips, params)
    groups, gaps = _summarise(tables, clips, params)
    groups = _mark_beyond_shuffled(groups)
    reference = quality_reference(true_faces(arrays["face"], clean.drawn.shape[-1]))
    quality = {system: face_quality(faces, reference) for system, faces in drawn.items()}
    quality_groups = _summarise(quality, clips, params)[0]
    grid, titles = _grid(readers, arrays["face"], clean.predicted, target, clips, params)
    rate = json.loads((features / "meta.json").read_text())["sample_rate"]
    conditions = condition_groups(
        readers, clean, arrays["waveform"], truth, clips, rate, (features, embeddings_dir), params
    )
    accuracy = {
        f"{name}_accuracy": _accuracy(true_reading[name], clips[name].astype(str))
        for name in readers.classes
    }
    return Evaluation(
        groups,
        gaps,
        clips,
        conditions,
        quality_groups,
        true_reading,
        readings,
        readers.classes,
        grid,
        titles,
        accuracy,
        read_corpus_card(raw),
        judge_accuracy,
    )
