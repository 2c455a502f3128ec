"""Controls computed with every evaluation: what chance, the decoder and the data allow.

- shuffled: each voice's prediction is paired with another speaker's face (chance level);
- ceiling: the true face embedding itself, decoded (the reconstruction ceiling);
- oracle: a ridge regression from the corpus's ground-truth voice latents and the speaker's
  gender, age and accent to the face embedding (what the data allows a voice to tell).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VOICE_PREFIX = "voice_"
ORACLE_CATEGORIES = ("gender", "accent")


def shuffled_pairings(speakers: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """`count` random re-pairings: clip i gets a random clip of another speaker.

    Speakers are put in a random cycle, each taking its successor's clips, so no speaker is
    ever paired with itself.
    """
    rng = np.random.default_rng(seed)
    names, index = np.unique(speakers, return_inverse=True)
    clips_of = [np.flatnonzero(index == s) for s in range(len(names))]
    pairings = []
    for _ in range(count):
        cycle = rng.permutation(len(names))
        successor = np.empty(len(names), int)
        successor[cycle] = np.roll(cycle, -1)
        pairings.append(np.array([rng.choice(clips_of[successor[s]]) for s in index]))
    return pairings


def _design(rows: pd.DataFrame, latents: list[str], levels: dict[str, list[str]]) -> np.ndarray:
    """Numbers (voice latents, age) and one-hot categories (gender, accent) per row."""
    parts = [rows[latents + ["age"]].to_numpy(float)]
    for column, values in levels.items():
        parts.append((rows[column].astype(str).to_numpy()[:, None] == np.array(values)) * 1.0)
    return np.hstack(parts)


def oracle_embeddings(
    speakers: pd.DataFrame,
    train_speakers: np.ndarray,
    train_embeddings: np.ndarray,
    test_speakers: np.ndarray,
    ridge: float,
) -> np.ndarray | None:
    """Face embeddings of the test clips predicted from their speakers' ground truth.

    A ridge regression (standardised features, intercept) fit on the train clips, from the
    speaker's voice latents, age, gender and accent in `speakers` (speakers.csv) to the clip's
    face embedding. None when the corpus has no ground-truth voice latents.
    """
    latents = [c for c in speakers.columns if c.startswith(VOICE_PREFIX)]
    if not latents:
        return None
    table = speakers.set_index("speaker_id")
    train, test = table.loc[train_speakers], table.loc[test_speakers]
    levels = {
        c: sorted(train[c].astype(str).unique()) for c in ORACLE_CATEGORIES if c in table.columns
    }
    x_train, x_test = _design(train, latents, levels), _design(test, latents, levels)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    y_mean = train_embeddings.mean(axis=0)
    gram = x_train.T @ x_train + ridge * np.eye(x_train.shape[1])
    weights = np.linalg.solve(gram, x_train.T @ (train_embeddings - y_mean))
    return x_test @ weights + y_mean
