"""Labelled image grids (contact sheets), saved atomically as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from speech2face.files import atomic_path


def image_grid(
    images: list[np.ndarray], titles: list[str], heading: str, path: Path, columns: int = 0
) -> None:
    """Save `images` in a grid of `columns` (0: near-square), each under its title, with
    `heading` on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = columns or max(1, int(np.ceil(np.sqrt(len(images)))))
    rows = max(1, int(np.ceil(len(images) / columns)))
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.85 * rows), squeeze=False)
    for axis in np.ravel(axes):
        axis.axis("off")
    for axis, image, title in zip(np.ravel(axes), images, titles):
        axis.imshow(image)
        axis.set_title(title, fontsize=7)
    figure.suptitle(heading, fontsize=10)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=110, format="png")
    plt.close(figure)
