"""Reading the arrays stages write, without torch: a split's memory-mapped waveforms and faces
(`preprocess`) and a split's embeddings (the face encoder's, or dlib's descriptors)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

EMBEDDINGS = "embeddings.npy"
LOGITS = "logits.npy"


def feature_splits(features_dir: Path) -> list[str]:
    """The splits `preprocess` wrote, as its meta.json counts them."""
    return list(json.loads((features_dir / "meta.json").read_text())["clips"])


def load_split(features_dir: Path, split: str) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """A split's memory-mapped waveforms and faces, and its clips.csv (array order)."""
    folder = features_dir / split
    arrays = {
        "waveform": np.load(folder / "waveforms.npy", mmap_mode="r"),
        "face": np.load(folder / "faces.npy", mmap_mode="r"),
    }
    return arrays, pd.read_csv(folder / "clips.csv")


def embeddings(folder: Path, split: str) -> np.ndarray:
    """A split's embeddings, memory-mapped."""
    return np.load(folder / split / EMBEDDINGS, mmap_mode="r")


def unit(x: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
