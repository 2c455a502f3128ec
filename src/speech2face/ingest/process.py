"""One item end to end: decode, find speech segments, find and align the speaker's face at
each segment's middle, estimate missing labels, write the segment's audio and face.

Nothing here raises for bad media: every failure is a reject with its reason and detail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
from PIL import Image, ImageDraw

from speech2face.ingest import media, speech
from speech2face.ingest.adapters import item_key
from speech2face.ingest.estimate import estimate
from speech2face.ingest.faces import FaceReject, speaker_face
from speech2face.ingest.items import Item, Reject
from speech2face.params import IngestParams

THUMBNAIL = 160  # px, the longer side of a rejected frame kept for the report's sheet


def source_state(item: Item) -> list:
    """Size and modification time of the item's files: a result is reused only if they match."""
    paths = [item.media, item.video, *item.face_images]
    return [[p.stat().st_size, p.stat().st_mtime_ns] if p.is_file() else None for p in paths if p]


def _faces_from(item: Item) -> Path | None:
    """The video the faces come from (None when they come from images)."""
    return None if item.face_images else (item.video or item.media)


def _check_streams(item: Item) -> None:
    """Reject early (no decoding) a file without audio, or without any source of faces."""
    found = media.streams(item.media)
    if not found.has_audio:
        raise media.MediaError("no_audio", "the file has no audio stream")
    video = _faces_from(item)
    if video is not None and video != item.media:
        found = media.streams(video) if video.is_file() else media.Streams(False, False)
    if video is not None and not found.has_video:
        raise media.MediaError("no_video", f"no video stream in {video.name} and no face images")


def _speech_spans(audio: np.ndarray, params: IngestParams) -> list[tuple[float, float]]:
    shortest, longest = params.segment_seconds
    duration = len(audio) / media.SAMPLE_RATE
    if duration < shortest:
        raise media.MediaError("too_short", f"{duration:.2f} s, shorter than {shortest} s")
    scores = speech.speech_probabilities(audio)
    regions = speech.speech_regions(scores, params.vad_threshold, params.max_pause_s)
    spans = speech.segments(regions, shortest, longest)
    if not spans:
        longest_speech = max((b - a for a, b in regions), default=0.0)
        raise media.MediaError(
            "not_enough_speech",
            f"longest stretch of speech {longest_speech:.2f} s of {duration:.2f} s, "
            f"need {shortest} s",
        )
    return spans


def _frames(item: Item, times: list[float], duration: float) -> list[np.ndarray | None]:
    """The frame at each time: from the video, or the face image at the same share of the
    utterance."""
    video = _faces_from(item)
    if video is not None:
        return media.frames_at(video, times)
    images = item.face_images
    picks = [
        images[min(len(images) - 1, int(t / max(duration, 1e-9) * len(images)))] for t in times
    ]
    frames = []
    for path in picks:
        try:
            with Image.open(path) as image:
                frames.append(np.ascontiguousarray(np.asarray(image.convert("RGB"))))
        except OSError:
            frames.append(None)
    return frames


def _thumbnail(frame: np.ndarray, boxes, path: Path) -> None:
    """A small copy of a rejected frame with the faces found drawn on it."""
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    width = max(2, max(image.size) // 160)
    for box in boxes:
        draw.rectangle((box.left, box.top, box.right, box.bottom), outline="red", width=width)
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=85)


def process_item(item: Item, work: Path, params: IngestParams) -> dict:
    """{'segments', 'accepted', 'rejects'} of one item; accepted files are written in `work`."""
    result = {"key": item.key, "segments": 0, "accepted": [], "rejects": []}
    offset = item.span[0] if item.span else 0.0

    def reject(reason: str, detail: str, span=None, frame=None, boxes=()) -> None:
        start, end = span or item.span or (None, None)
        row = Reject(str(item.media), reason, detail, start, end).__dict__
        if frame is not None:
            row["thumbnail"] = f"rejects/{item.key}_{len(result['rejects']):03d}.jpg"
            _thumbnail(frame, boxes, work / row["thumbnail"])
        result["rejects"].append(row)

    try:
        if not item.media.is_file():
            raise media.MediaError("missing_file", "the file is not there")
        _check_streams(item)
        audio = media.read_audio(item.media, item.span)
        spans = _speech_spans(audio, params)
        duration = len(audio) / media.SAMPLE_RATE
        frames = _frames(item, [offset + (a + b) / 2 for a, b in spans], duration)
    except media.MediaError as error:
        reject(error.reason, error.detail)
        return result
    speaker = item_key(item.speaker_id)
    for number, ((start, end), frame) in enumerate(zip(spans, frames)):
        result["segments"] += 1
        span = (round(offset + start, 3), round(offset + end, 3))
        if frame is None:
            reject("decode_error", "no frame at the segment's middle", span)
            continue
        try:
            face, box = speaker_face(frame, item.face_hint, params.faces)
        except FaceReject as error:
            reject(error.reason, error.detail, span, frame, error.boxes)
            continue
        clip_id = f"{item.key}_{number:02d}"
        paths = {"audio_path": f"audio/{speaker}/{clip_id}.wav"}
        paths["face_path"] = f"faces/{speaker}/{clip_id}.png"
        for relative in paths.values():
            (work / relative).parent.mkdir(parents=True, exist_ok=True)
        first = round(start * media.SAMPLE_RATE)
        longest = round(params.segment_seconds[1] * media.SAMPLE_RATE)
        samples = audio[first : min(round(end * media.SAMPLE_RATE), first + longest)]
        soundfile.write(work / paths["audio_path"], samples, media.SAMPLE_RATE, subtype="PCM_16")
        Image.fromarray(face).save(work / paths["face_path"])
        needs_estimate = not {"gender", "age"} <= set(item.labels)
        result["accepted"].append(
            {
                "clip_id": clip_id,
                "start_s": span[0],
                "end_s": span[1],
                "duration_s": round(len(samples) / media.SAMPLE_RATE, 4),
                **paths,
                "estimate": estimate(frame, box) if needs_estimate else None,
            }
        )
    return result
