"""A contact sheet of the corpus's faces, for people to judge the renderer at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from speech2face.corpus.face import render_face
from speech2face.corpus.population import Speaker
from speech2face.files import atomic_path


def contact_sheet(speakers: list[Speaker], path: Path, count: int, seed: int, size: int) -> None:
    """Save `count` randomly chosen speakers' canonical faces, labelled, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(speakers), size=min(count, len(speakers)), replace=False)
    columns = int(np.ceil(np.sqrt(len(chosen))))
    rows = int(np.ceil(len(chosen) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.85 * rows))
    for axis in np.ravel(axes):
        axis.axis("off")
    for axis, index in zip(np.ravel(axes), sorted(chosen)):
        speaker = speakers[index]
        axis.imshow(render_face(speaker, size=size))
        axis.set_title(f"{speaker.gender[0].upper()} {speaker.age} {speaker.ethnicity}", fontsize=7)
    figure.suptitle(
        f"speech2face default corpus: {len(chosen)} random speakers (synthetic)", fontsize=10
    )
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=110, format="png")
    plt.close(figure)
