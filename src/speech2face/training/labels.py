"""The labelled attributes as training targets: their classes, and class indices per clip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from speech2face.manifest import GENDERS, age_group_labels, known_labels


def attribute_classes(train: pd.DataFrame) -> dict[str, list[str]]:
    """The classes of every categorical attribute: fixed ones, and the labelled ethnicities
    trained on (UNKNOWN is none); no ethnicity at all when fewer than two are labelled."""
    classes = {"gender": list(GENDERS), "age_group": age_group_labels()}
    ethnicities = known_labels(train.ethnicity)
    if len(ethnicities) >= 2:
        classes["ethnicity"] = ethnicities
    return classes


def label_table(
    faces: np.ndarray, clips: pd.DataFrame, classes: dict, numbers: list | None = None
) -> dict:
    """Faces with class indices (-1 for UNKNOWN or a class not trained on: no loss) and, when
    `numbers` names columns, their numeric labels."""
    table = {"face": faces}
    if numbers:
        table["numbers"] = clips[numbers].to_numpy(np.float32)
    for name, names in classes.items():
        table[name] = pd.Categorical(clips[name], categories=names).codes.astype(np.int64)
    return table


def labelled_cross_entropy(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the rows with a class (target -1: none); 0 when no row has one
    (a batch of UNKNOWN ethnicity), where the plain mean would be NaN."""
    if bool((targets < 0).all()):
        return scores.sum() * 0.0
    return F.cross_entropy(scores, targets, ignore_index=-1)


def balanced_weights(values: pd.Series) -> np.ndarray:
    """Per item, 1 / the count of items sharing its value (unknown ones form a value of their
    own): drawn in proportion to these, every value comes equally often."""
    counts = values.map(values.value_counts()).to_numpy(dtype=np.float64)
    return 1.0 / counts
