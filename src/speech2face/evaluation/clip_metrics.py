"""Per-clip measurements of how well predicted face embeddings match the true faces.

Every metric is one column of a per-clip table, so that the same code averages it over any
group of clips, bootstraps it over speakers, and averages it over random pairings (the
shuffled control). Correlations are carried as their moments (x, y, xx, yy, xy) for the same
reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from speech2face.features.arrays import unit
from speech2face.manifest import GEOMETRY_PREFIX

MOMENTS = ("x", "y", "xx", "yy", "xy")
LOWER_IS_BETTER = frozenset({"l1", "age_mae", "judge_age_mae", "judge_age_error"})


@dataclass(frozen=True)
class Truth:
    """The test clips' true side: face embeddings, speakers, and the classifier on true faces."""

    embeddings: np.ndarray  # (clips, dim)
    speakers: np.ndarray  # (clips,) speaker ids
    described: dict[str, np.ndarray]  # attribute or measure -> per-clip value on the true face


def speaker_ranks(predicted: np.ndarray, truth: Truth) -> np.ndarray:
    """Rank of each clip's true speaker among all test speakers (0 = first), by cosine to the
    speakers' mean true embeddings."""
    speakers, index = np.unique(truth.speakers, return_inverse=True)
    gallery = np.zeros((len(speakers), truth.embeddings.shape[1]))
    np.add.at(gallery, index, truth.embeddings)
    scores = unit(predicted) @ unit(gallery).T
    own = scores[np.arange(len(index)), index]
    return (scores > own[:, None]).sum(axis=1)


def matching_1in2(predicted: np.ndarray, truth: Truth) -> np.ndarray:
    """Per clip: how often its own face is closer to the prediction than a face of another
    speaker, over every other speaker's clips (1-in-2 voice-face matching, averaged over all
    distractors)."""
    scores = unit(predicted) @ unit(truth.embeddings).T
    own = np.diag(scores)
    other = truth.speakers[None, :] != truth.speakers[:, None]
    wins = (scores < own[:, None]) & other
    return wins.sum(axis=1) / np.maximum(other.sum(axis=1), 1)


def clip_metrics(
    predicted: np.ndarray, described: dict[str, np.ndarray], truth: Truth, ks: tuple[int, ...]
) -> pd.DataFrame:
    """Every metric per clip, for predictions `predicted` and the classifier's reading
    `described` of the faces decoded from them.

    - feature space: cosine and L1 to the true embedding, recall@K of the true speaker,
      1-in-2 matching;
    - demographics: agreement of each attribute with the classifier on the true face, and
      the absolute age difference (its mean is the age MAE);
    - craniofacial: the moments of (measure on the decoded face, measure on the true face).
    """
    target = truth.embeddings
    columns = {
        "cosine": np.sum(unit(predicted) * unit(target), axis=1),
        "l1": np.abs(predicted - target).mean(axis=1),
    }
    ranks = speaker_ranks(predicted, truth)
    columns.update({f"recall_at_{k}": (ranks < k).astype(float) for k in ks})
    columns["match_1in2"] = matching_1in2(predicted, truth)
    for name, value in described.items():
        true_value = truth.described[name]
        if value.dtype.kind in "OUS":
            columns[f"{name}_agreement"] = (value == true_value).astype(float)
        elif name == "age":
            columns["age_mae"] = np.abs(value - true_value)
        else:
            # Centred, so that the moments do not lose the variance to rounding.
            x, y = value - np.mean(value), true_value - np.mean(true_value)
            moments = {"x": x, "y": y, "xx": x * x, "yy": y * y, "xy": x * y}
            stem = f"{name.removeprefix(GEOMETRY_PREFIX)}_correlation"
            columns.update({f"{stem}__{m}": moments[m] for m in MOMENTS})
    return pd.DataFrame(columns)


def correlations(table: pd.DataFrame) -> list[str]:
    """The correlation metrics a clip table carries (their moment columns' stem)."""
    return [c.removesuffix("__xy") for c in table.columns if c.endswith("__xy")]


def means(table: pd.DataFrame) -> list[str]:
    """The metrics that are plain means over clips."""
    return [c for c in table.columns if "__" not in c]
