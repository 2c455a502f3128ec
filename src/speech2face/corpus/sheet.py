"""A contact sheet of the corpus's faces, for people to judge the renderer at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from speech2face.corpus.face import render_face
from speech2face.corpus.population import Speaker
from speech2face.figures import image_grid


def contact_sheet(speakers: list[Speaker], path: Path, count: int, seed: int, size: int) -> None:
    """Save `count` randomly chosen speakers' canonical faces, labelled, as one PNG."""
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(speakers), size=min(count, len(speakers)), replace=False))
    image_grid(
        [render_face(speakers[i], size=size) for i in chosen],
        [f"{s.gender[0].upper()} {s.age} {s.ethnicity}" for s in (speakers[i] for i in chosen)],
        f"speech2face default corpus: {len(chosen)} random speakers (synthetic)",
        path,
    )
