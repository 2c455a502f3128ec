"""Stage `bias_accent`: what the accent alone does to the face drawn from a voice.

Every clip of the accent copies (stage `bias_accents`) goes through the pipeline's voice
encoder and decoder; the attribute classifier reads the drawn face. Per accent, against the
speaker's true group: the share of faces read as each group (a confusion table), and the
accent's shift: the share read as a label in that accent minus the same speaker's mean over
all accents, averaged over speakers, with a bootstrap interval over speakers. A shift whose
interval excludes 0 is the accent's alone: everything else about the speaker is held equal.
Beside it, what a reader of the accent alone would conclude (the group the accent is most
common in among the pool's training speakers) and the decoder's ceiling on the true faces.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.bias.report import CONFIDENCE, interval, resampled_means
from speech2face.evaluation.evaluate import Readers
from speech2face.features.arrays import load_split
from speech2face.manifest import SPEAKERS_NAME
from speech2face.training import networks
from speech2face.training.train_face_encoder import face_encoding

ATTRIBUTES = ("ethnicity", "gender", "age_group")
READINGS = ("drawn", "true", "ceiling")  # the face from the voice, the true face, its decoding
SPLIT = "test"


def read_clips(models: Path, accents: Path, batch_size: int) -> tuple[pd.DataFrame, dict]:
    """One row per accent copy: the speaker, their own accent, the accent spoken, and the
    classifier's reading of each face in READINGS; and, in the table's order, the drawn and true
    faces (uint8) and the voice encoder's predicted embeddings."""
    features, raw = accents / "features", accents / "raw"
    arrays, clips = load_split(features, SPLIT)
    readers = Readers(models, batch_size, clips)
    encoder = networks.load(models / "face_encoder").eval()
    size = networks.config(models / "face_encoder")["image_size"]
    encode = face_encoding(encoder, size)
    predicted = readers.voice(arrays["waveform"])
    drawn = readers.decode(predicted)
    # Every accent's copy shows the same frame: its true and ceiling faces are read once.
    _, first, copies = np.unique(clips.face_path, return_index=True, return_inverse=True)
    true = np.asarray(arrays["face"][np.sort(first)])
    order = np.argsort(np.argsort(first))[copies]  # each row's frame among `true`
    faces = {
        "drawn": (drawn, slice(None)),
        "true": (true, order),
        "ceiling": (readers.decode(networks.batched(encode, true)[0]), order),
    }
    own = pd.read_csv(raw / SPEAKERS_NAME).set_index("speaker_id").accent
    table = clips[["clip_id", "speaker_id", *ATTRIBUTES]].copy()
    table["own_accent"] = table.speaker_id.map(own).to_numpy()
    table["accent"] = clips.accent.to_numpy()
    for reading, (images, rows) in faces.items():
        read = readers.read(images)
        for attribute in ATTRIBUTES:
            table[f"{reading}_{attribute}"] = np.asarray(read[attribute])[rows]
    outputs = {
        "drawn": (np.moveaxis(drawn, 1, -1) * 255).round().astype(np.uint8),
        "true": arrays["face"],  # memory-mapped: the report shows a few
        "predicted": np.asarray(predicted, dtype=np.float64),
    }
    return table, outputs


def label_set(table: pd.DataFrame, attribute: str) -> list[str]:
    """The attribute's labels: the speakers' own and every reading's."""
    columns = [attribute, *(f"{reading}_{attribute}" for reading in READINGS)]
    return sorted(set(table[columns].to_numpy().ravel()))


def _speaker_shares(table: pd.DataFrame, attribute: str, labels: list[str]) -> pd.DataFrame:
    """(speaker, accent) x label: the share of the speaker's clips in that accent whose drawn
    face is read as the label."""
    return pd.crosstab(
        [table.speaker_id, table.accent], table[f"drawn_{attribute}"], normalize="index"
    ).reindex(columns=labels, fill_value=0.0)


def _estimate(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """The mean of per-speaker `values` and its bootstrap interval over speakers."""
    low, high = interval(resampled_means(values[None, :], rng))
    return float(values.mean()), low, high


def shifts(table: pd.DataFrame, attribute: str, labels: list[str], seed: int) -> pd.DataFrame:
    """Per accent and label: the mean over speakers of (the share read as the label in the
    accent - the speaker's mean share over accents), its interval, and whether it excludes 0."""
    rng = np.random.default_rng(seed)
    shares = _speaker_shares(table, attribute, labels)
    centred = shares - shares.groupby(level="speaker_id").transform("mean")
    rows = []
    for accent, part in centred.groupby(level="accent", sort=False):
        for label in labels:
            shift, low, high = _estimate(part[label].to_numpy(), rng)
            rows.append([attribute, accent, label, shift, low, high, len(part)])
    columns = ["attribute", "accent", "label", "shift", "ci_low", "ci_high", "speakers"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["moves"] = (frame.ci_low > 0) | (frame.ci_high < 0)
    return frame


def all_shifts(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """`shifts` of every attribute of ATTRIBUTES."""
    return pd.concat(
        [shifts(table, a, label_set(table, a), seed) for a in ATTRIBUTES], ignore_index=True
    )


def confusion(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per accent, true group and read group: the share of the group's speakers' drawn faces
    read as that group, with its interval over the group's speakers."""
    rng = np.random.default_rng(seed)
    groups = label_set(table, "ethnicity")
    shares = _speaker_shares(table, "ethnicity", groups)
    group = table.drop_duplicates("speaker_id").set_index("speaker_id").ethnicity
    shares["true_group"] = group.reindex(shares.index.get_level_values("speaker_id")).to_numpy()
    rows = []
    for (accent, true_group), part in shares.groupby(["accent", "true_group"], sort=False):
        for label in groups:
            share, low, high = _estimate(part[label].to_numpy(), rng)
            rows.append([accent, true_group, label, share, low, high, len(part)])
    columns = ["accent", "true_group", "read_as", "share", "ci_low", "ci_high", "speakers"]
    return pd.DataFrame(rows, columns=columns)


def agreement(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per accent (and "own": each speaker in their own accent, "ceiling": the decoded true
    embedding): how often the drawn face's reading of each attribute equals the true face's."""
    rng = np.random.default_rng(seed)
    own = table[table.accent == table.own_accent].assign(accent="own accent")
    ceiling = table.assign(accent="decoder ceiling")
    rows = []
    for frame, reading in ((table, "drawn"), (own, "drawn"), (ceiling, "ceiling")):
        for attribute in ATTRIBUTES:
            agrees = frame[f"{reading}_{attribute}"] == frame[f"true_{attribute}"]
            per_speaker = agrees.groupby([frame.accent, frame.speaker_id]).mean()
            for accent, values in per_speaker.groupby(level=0, sort=False):
                value, low, high = _estimate(values.to_numpy(), rng)
                rows.append([accent, attribute, value, low, high, len(values)])
    columns = ["accent", "attribute", "agreement", "ci_low", "ci_high", "speakers"]
    return pd.DataFrame(rows, columns=columns)


def accent_probe(table: pd.DataFrame, predicted: np.ndarray, seed: int, folds: int = 5) -> dict:
    """Whether the voice encoder's output carries the accent at all: the spoken accent read back
    from each predicted embedding, centred on its speaker's mean over accents (identity
    removed), by the nearest accent centroid of the other folds' speakers; the share read
    right, with its interval over speakers, and chance (1 / accents)."""
    centred = (
        predicted
        - pd.DataFrame(predicted).groupby(table.speaker_id.to_numpy()).transform("mean").to_numpy()
    )
    centred /= np.linalg.norm(centred, axis=1, keepdims=True) + 1e-12
    accents = table.accent.to_numpy()
    names = sorted(set(accents))
    speakers = np.random.default_rng(seed).permutation(table.speaker_id.unique())
    right = np.zeros(len(table))
    for held_out in np.array_split(speakers, min(folds, len(speakers))):
        test = table.speaker_id.isin(held_out).to_numpy()
        centroids = np.stack([centred[~test & (accents == name)].mean(axis=0) for name in names])
        read = np.asarray(names)[np.argmax(centred[test] @ centroids.T, axis=1)]
        right[test] = read == accents[test]
    per_speaker = pd.Series(right).groupby(table.speaker_id.to_numpy()).mean().to_numpy()
    value, low, high = _estimate(per_speaker, np.random.default_rng(seed))
    return {"accuracy": value, "low": low, "high": high, "chance": 1 / len(names)}


def training_mix(pool_raw: Path) -> pd.DataFrame:
    """accent x group: the group shares of the pool's training speakers with each accent (what
    the accent alone tells of the group), with the speakers counted."""
    speakers = pd.read_csv(pool_raw / SPEAKERS_NAME)
    train = speakers[speakers.split == "train"]
    mix = pd.crosstab(train.accent, train.ethnicity, normalize="index")
    return mix.assign(speakers=train.accent.value_counts())


def summary(shifted: pd.DataFrame, agreed: pd.DataFrame, mix: pd.DataFrame, probe: dict) -> dict:
    """metrics.json: per attribute, how many (accent, label) shifts exclude 0 and the largest;
    the ethnicity agreement in the speaker's own accent and across all accents; the probe."""
    result: dict = {"confidence": CONFIDENCE, "accent_probe": probe}
    for attribute, rows in shifted.groupby("attribute", sort=False):
        largest = rows.loc[rows["shift"].abs().idxmax()]
        result[attribute] = {
            "shifts_beyond_interval": int(rows.moves.sum()),
            "shifts_tested": len(rows),
            "accents_moving": int(rows.groupby("accent").moves.any().sum()),
            "largest_shift": float(largest["shift"]),
            "largest_shift_low": float(largest.ci_low),
            "largest_shift_high": float(largest.ci_high),
            "largest_shift_accent": str(largest.accent),
            "largest_shift_label": str(largest.label),
        }
    for _, row in agreed[agreed.attribute == "ethnicity"].iterrows():
        key = "_".join(row.accent.lower().replace("(", "").replace(")", "").split())
        result["ethnicity"][f"agreement_{key}"] = float(row.agreement)
    result["accent_majority_group"] = mix.drop(columns="speakers").idxmax(axis=1).to_dict()
    return result
