"""What an adapter hands the ingest: one item per media file (or span), and why things fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from speech2face.manifest import UNKNOWN  # noqa: F401  (the adapters' spelling of it)

# Why a file, a span or a segment is left out (the `reason` column of ingest_rejects.csv).
REASONS = {
    "missing_file": "a labels or meta row names a file that is not there",
    "not_in_meta": "the file's speaker id is not in the meta table",
    "bad_label": "a given label, span or face hint is not one the corpus allows",
    "decode_error": "the file cannot be opened or decoded (corrupt, empty, truncated)",
    "no_audio": "the file has no audio stream",
    "non_finite": "the decoded audio holds NaN or infinite samples",
    "no_video": "the file has no video stream and no face images were given",
    "no_face_images": "no face image of the file where the dataset's layout puts them",
    "too_short": "the file or span is shorter than the shortest segment",
    "not_enough_speech": "no stretch of speech as long as the shortest segment",
    "no_face": "no face found",
    "ambiguous_faces": "several faces of similar size and no hint to choose one",
    "face_too_small": "the face is smaller than the smallest face allowed",
    "blurry": "the aligned face is too blurry",
}
# Where a label came from (the `<label>_source` columns of the manifest).
PROVENANCES = ("metadata", "labels", "estimated")
DEV = "dev"  # an item's split when the source says development set: train or val, never test


@dataclass(frozen=True)
class Item:
    """One unit of ingest work: a media file (or a span of it) and what is known about it.

    `labels` holds given labels only (gender, age, ethnicity), `label_source` says where they
    came from; `face_hint` is the speaker's face centre as a fraction of width and height from
    the top left. Faces come from `face_images` when given (VoxCeleb1), else from `video`
    when given (VoxCeleb2's mp4 beside its m4a), else from `media` itself.
    """

    key: str
    media: Path
    speaker_id: str
    split: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    label_source: str = "labels"
    span: tuple[float, float] | None = None
    face_hint: tuple[float, float] | None = None
    face_images: tuple[Path, ...] = ()
    video: Path | None = None


@dataclass(frozen=True)
class Reject:
    """Something left out: the file, the time span (if any), the reason and its detail."""

    file: str
    reason: str
    detail: str
    start_s: float | None = None
    end_s: float | None = None

    def __post_init__(self):
        if self.reason not in REASONS:
            raise ValueError(f"unknown reject reason {self.reason!r}")


@dataclass(frozen=True)
class SourceRead:
    """What an adapter read: its items, the rejects it found itself, and notes on how it read
    the source (a file or column it chose, what it left unread), for the console and report."""

    items: list[Item]
    rejects: list[Reject]
    notes: list[str] = field(default_factory=list)
