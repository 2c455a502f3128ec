"""Which of the pool's training speakers a study point trains on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from speech2face.bias.params import BiasPointParams
from speech2face.errors import InputError


def group_counts(groups: list[str], point: BiasPointParams) -> dict[str, int]:
    """Speakers per group: round(share × total) of the point's group, the rest split equally
    over the other groups (the remainder to the first ones)."""
    if point.group not in groups:
        raise InputError(f"bias_point.group: {point.group} is none of the pool's groups {groups}")
    own = int(round(point.share * point.train_speakers))
    others = [g for g in groups if g != point.group]
    rest = point.train_speakers - own
    counts = {g: rest // len(others) + (i < rest % len(others)) for i, g in enumerate(others)}
    return {point.group: own} | counts


def training_speakers(speakers: pd.DataFrame, point: BiasPointParams) -> frozenset[str]:
    """The point's training speakers, drawn from `speakers` (speaker_id, ethnicity: the pool's
    training speakers) with the point's seed.

    Each group's speakers are taken from the front of one permutation per (seed, group), so
    points of one seed are nested: a larger count keeps the speakers of a smaller one.
    """
    table = speakers.drop_duplicates("speaker_id").sort_values("speaker_id")
    groups = sorted(table.ethnicity.unique())
    chosen = []
    for group, count in sorted(group_counts(groups, point).items()):
        ids = table.speaker_id[table.ethnicity == group].to_numpy()
        if count > len(ids):
            raise InputError(
                f"bias_point: {count} training speakers of {group} wanted, the pool has "
                f"{len(ids)}; raise bias_pool.n_speakers or lower the point's train_speakers"
            )
        order = np.random.default_rng([point.seed, groups.index(group)]).permutation(len(ids))
        chosen.extend(ids[order[:count]].tolist())
    return frozenset(chosen)
