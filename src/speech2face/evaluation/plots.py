"""Evaluation figures: confusion matrices, per-group bars, face grid, craniofacial scatter."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

SYSTEM_STYLE = {  # system -> (label, colour)
    "shuffled": ("shuffled pairs (chance)", "#9e9e9e"),
    "voice": ("face from voice", "#1f77b4"),
    "oracle": ("oracle (true voice latents)", "#2ca02c"),
    "ceiling": ("face from true embedding", "#ff7f0e"),
}
TRUE_READING = "classifier reading of the true face"
VOICE_READING = "classifier reading of the face from voice"
AXIS_LABELS = {
    "match_1in2": "1-in-2 matching\n(share of pairs)",
    "cosine": "cosine similarity\n(embeddings)",
}
# Units of the craniofacial measurements (the simulated corpus's speakers.csv, which the
# classifier learns to output): widths are shares of the picture's width.
MEASURE_UNITS = {"face_width_to_height": "ratio of width to height"}
WIDTH_UNIT = "share of picture width"


def confusion_figure(
    true_face: dict[str, np.ndarray], voice_face: dict[str, np.ndarray], classes: dict
) -> Figure:
    """Per attribute: the classifier's reading of the true face (rows) vs of the face from voice
    (columns); cells are shares of the row's clips, with counts."""
    figure, axes = plt.subplots(1, len(classes), figsize=(5.2 * len(classes), 4.6))
    for ax, (name, names) in zip(np.atleast_1d(axes), classes.items()):
        counts = pd.crosstab(
            pd.Categorical(true_face[name], names),
            pd.Categorical(voice_face[name], names),
            dropna=False,
        ).to_numpy()
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(counts):
            colour = "white" if shares[i, j] > 0.6 else "black"
            ax.text(
                j,
                i,
                f"{shares[i, j]:.2f}\n({count})",
                ha="center",
                va="center",
                fontsize=8,
                color=colour,
            )
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(VOICE_READING)
        ax.set_ylabel(TRUE_READING)
        agreement = np.trace(counts) / max(counts.sum(), 1)
        ax.set_title(
            f"{name}: agreement {agreement:.2f} (share of clips)\n"
            "cells: share of the row's clips (count)",
            fontsize=10,
        )
    figure.tight_layout()
    return figure


def metric_axis(metric: str) -> str:
    """The axis label of a metric: what it is and its unit."""
    if metric.startswith("recall_at_"):
        return f"recall@{metric.removeprefix('recall_at_')}\n(share of clips)"
    if metric.endswith("_agreement"):
        return f"{metric.removesuffix('_agreement')} agreement\n(share of clips)"
    return AXIS_LABELS.get(metric, metric)


def group_bars_figure(groups: pd.DataFrame, metrics: list[str]) -> Figure:
    """Per metric: each system's value per group with its 95% interval."""
    first = groups[groups.system == "voice"]
    order = list(dict.fromkeys(zip(first.attribute, first.group)))
    figure, axes = plt.subplots(len(metrics), 1, figsize=(11, 2.8 * len(metrics)), squeeze=False)
    systems = [s for s in SYSTEM_STYLE if s in set(groups.system)]
    width = 0.8 / len(systems)
    for ax, metric in zip(axes[:, 0], metrics):
        for k, system in enumerate(systems):
            rows = groups[(groups.system == system) & (groups.metric == metric)]
            rows = rows.set_index(["attribute", "group"]).reindex(order)
            x = np.arange(len(order)) + (k - (len(systems) - 1) / 2) * width
            errors = np.abs(rows[["ci_low", "ci_high"]].to_numpy().T - rows.value.to_numpy())
            label, colour = SYSTEM_STYLE[system]
            ax.bar(x, rows.value, width, yerr=errors, color=colour, label=label, capsize=2)
        ax.set_xticks(range(len(order)), [g for _, g in order], rotation=30, ha="right")
        ax.set_xlabel("test-speaker group")
        ax.set_ylabel(metric_axis(metric))
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(ncols=len(systems), fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.02))
    figure.tight_layout()
    return figure


def face_grid_figure(columns: dict[str, np.ndarray], titles: list[str]) -> Figure:
    """One tile per speaker: its faces side by side (e.g. true | from voice), RGB in [0, 1]."""
    images = list(columns.values())
    count, per_row = len(titles), 4
    rows = -(-count // per_row)
    figure, axes = plt.subplots(rows, per_row, figsize=(3.2 * per_row, 1.9 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            ax.imshow(np.concatenate([column[i] for column in images], axis=1))
            ax.set_title(titles[i], fontsize=8)
    figure.suptitle(" | ".join(columns), fontsize=11)
    figure.tight_layout()
    return figure


def craniofacial_figure(measures: dict[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """Per measure: the classifier's reading of the face from voice (x) vs of the true face (y),
    with Pearson's r."""
    figure, axes = plt.subplots(1, len(measures), figsize=(3.4 * len(measures), 3.4), squeeze=False)
    for ax, (name, (x, y)) in zip(axes[0], measures.items()):
        ax.scatter(x, y, s=6, alpha=0.5)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.corrcoef(x, y)[0, 1]
        unit = MEASURE_UNITS.get(name, WIDTH_UNIT)
        ax.set_title(f"{name}\ncorrelation (Pearson r) = {r:.2f}", fontsize=9)
        ax.set_xlabel(f"{VOICE_READING}\n({unit})", fontsize=7)
        ax.set_ylabel(f"{TRUE_READING}\n({unit})", fontsize=7)
        ax.tick_params(labelsize=7)
    figure.tight_layout()
    return figure
