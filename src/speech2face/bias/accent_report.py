"""The accent study's report: the shift each accent gives the drawn face's group (and gender,
age), its confusion table per accent, agreement with the true face, plots and markdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.bias.accent_effect import ATTRIBUTES
from speech2face.bias.report import CONFIDENCE
from speech2face.figures import image_grid
from speech2face.files import atomic_path, write_text


def _cell(value: float, low: float, high: float, marked: bool = False) -> str:
    text = f"{value:+.3f} [{low:+.3f}, {high:+.3f}]"
    return f"**{text}**" if marked else text


def _cells(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """`frame` with column `cell`: its `value` and interval as text."""
    values = frame[[value, "ci_low", "ci_high"]].to_numpy()
    return frame.assign(cell=[f"{v:.3f} [{low:.3f}, {high:.3f}]" for v, low, high in values])


def _shift_table(rows: pd.DataFrame, mix: pd.DataFrame) -> str:
    """Accents down, labels across; shifts beyond their interval in bold; for ethnicity, the
    group the accent is most common in among the training speakers."""
    rows = rows.assign(
        cell=[_cell(*values) for values in rows[["shift", "ci_low", "ci_high", "moves"]].values]
    )
    wide = rows.pivot_table(index="accent", columns="label", values="cell", aggfunc="first")
    wide = wide.reindex(rows.accent.unique())
    wide.insert(0, "speakers", rows.groupby("accent").speakers.first())
    if rows.attribute.iloc[0] == "ethnicity":
        groups = mix.drop(columns="speakers")
        wide.insert(
            1,
            "most common in training (share, speakers)",
            [
                f"{groups.loc[a].idxmax()} ({groups.loc[a].max():.2f}, {mix.speakers[a]})"
                if a in groups.index
                else "no training speaker"
                for a in wide.index
            ],
        )
    return wide.reset_index().to_markdown(index=False)


def _verdict(attribute: str, rows: pd.DataFrame) -> str:
    moving = rows[rows.moves]
    expected = (1 - CONFIDENCE) * len(rows)
    largest = rows.loc[rows["shift"].abs().idxmax()]
    return (
        f"- {attribute}: {len(moving)} of {len(rows)} accent-label shifts exclude 0 (about "
        f"{expected:.1f} would by chance alone), in {moving.accent.nunique()} of "
        f"{rows.accent.nunique()} accents; the largest is {largest.accent} -> {largest.label} "
        f"{_cell(largest['shift'], largest.ci_low, largest.ci_high)}."
    )


def _confusion_tables(confused: pd.DataFrame) -> list[str]:
    lines = []
    for accent, rows in confused.groupby("accent", sort=False):
        wide = _cells(rows, "share").pivot_table(
            index=["true_group", "speakers"], columns="read_as", values="cell", aggfunc="first"
        )
        lines += [f"### {accent}", "", wide.reset_index().to_markdown(index=False), ""]
    return lines


def _agreement_table(agreed: pd.DataFrame) -> str:
    wide = _cells(agreed, "agreement").pivot_table(
        index=["accent", "speakers"], columns="attribute", values="cell", aggfunc="first"
    )
    order = list(dict.fromkeys(agreed.accent))
    return wide.reindex(order, level=0).reset_index().to_markdown(index=False)


def plot_shifts(shifted: pd.DataFrame, mix: pd.DataFrame, path: Path) -> None:
    """Left: each accent's shift of the share read as each group, with its interval; right:
    the training speakers' groups per accent (what the accent alone tells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = shifted[shifted.attribute == "ethnicity"]
    accents, labels = list(rows.accent.unique()), sorted(rows.label.unique())
    colours = dict(zip(labels, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 0.6 * len(accents) + 2), sharey=True)
    offsets = np.linspace(-0.3, 0.3, len(labels))
    for offset, label in zip(offsets, labels, strict=True):
        part = rows[rows.label == label].set_index("accent").reindex(accents)
        y = np.arange(len(accents)) + offset
        errors = [part["shift"] - part.ci_low, part.ci_high - part["shift"]]
        left.errorbar(part["shift"], y, xerr=errors, fmt="o", color=colours[label], label=label)
    left.axvline(0, color="black", lw=0.8)
    left.set_yticks(range(len(accents)), accents)
    left.set_xlabel("shift of the share read as the group (accent - speaker's mean)")
    left.legend(fontsize=8, title="read as")
    groups = mix.drop(columns="speakers").reindex(accents).fillna(0.0)
    start = np.zeros(len(accents))
    for label in labels:
        share = groups.get(label, pd.Series(0.0, index=accents)).to_numpy()
        right.barh(range(len(accents)), share, left=start, color=colours[label], label=label)
        start += share
    right.set_xlabel("share of the training speakers with the accent")
    right.set_title("what the accent alone tells")
    left.set_title("the accent's shift of the drawn face's group")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    plt.close(figure)


def plot_faces(table: pd.DataFrame, faces: dict, path: Path) -> None:
    """The first speaker of each group: the true face, then the face drawn from their first
    clip in each accent."""
    images, titles = [], []
    for speaker in table.sort_values("speaker_id").drop_duplicates("ethnicity").speaker_id:
        rows = table[table.speaker_id == speaker].drop_duplicates("accent")  # the first clip
        images.append(faces["true"][rows.index[0]])
        titles.append(f"{speaker}: {rows.ethnicity.iloc[0]}\ntrue face")
        for index, row in rows.iterrows():
            images.append(faces["drawn"][index])
            titles.append(f"{row.accent.split('(')[-1].rstrip(')')}\nread {row.drawn_ethnicity}")
    heading = "The same voice in each accent (one clip): the face drawn and its read group"
    image_grid(images, titles, heading, path, columns=1 + table.accent.nunique())


def write_accent_report(results: dict, faces: dict, out: Path, notes: list[str]) -> list[Path]:
    """The tables (csv), accent.png, faces.png and report.md in `out`; returns them."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("shifts", "confusion", "agreement"):
        written.append(out / f"{name}.csv")
        with atomic_path(written[-1]) as temporary:
            results[name].to_csv(temporary, index=False, float_format="%.6g")
    shifted, mix = results["shifts"], results["mix"]
    plot_shifts(shifted, mix, out / "accent.png")
    plot_faces(results["clips"], faces, out / "faces.png")
    lines = ["# Bias study: accent", "", *notes, "", "## Does the accent alone move the face?", ""]
    lines += [_verdict(a, shifted[shifted.attribute == a]) for a in ATTRIBUTES]
    probe = results["probe"]
    lines.append(
        f"- the accent read back from the voice encoder's output (each predicted embedding less "
        f"its speaker's mean, nearest accent centroid of other speakers): "
        f"{probe['accuracy']:.3f} [{probe['low']:.3f}, {probe['high']:.3f}], chance "
        f"{probe['chance']:.3f}."
    )
    lines += ["", "![shifts](accent.png)", "", "![faces](faces.png)", ""]
    for attribute in ATTRIBUTES:
        lines += [f"## Shift of the share read as each {attribute}", ""]
        lines += [_shift_table(shifted[shifted.attribute == attribute], mix), ""]
    lines += ["## Agreement of the drawn face with the true face", ""]
    lines += [_agreement_table(results["agreement"]), ""]
    lines += ["## Confusion per accent: true group (rows) read as (columns)", ""]
    lines += _confusion_tables(results["confusion"])
    write_text(out / "report.md", "\n".join(lines))
    return [*written, out / "accent.png", out / "faces.png", out / "report.md"]
