"""Decoding with PyAV (its wheel bundles FFmpeg): 16 kHz mono audio (by speech2face.audio's
decoder, the one every audio input goes through) and RGB frames at times.

Every failure becomes a `MediaError` with a reject reason, never a crash: corrupt, empty and
truncated files fail at open or in the middle of decoding, and both are caught here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from speech2face import audio

SAMPLE_RATE = 16000


class MediaError(Exception):
    """A file that cannot give what was asked of it; `reason` is a key of items.REASONS."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Streams:
    has_audio: bool
    has_video: bool


@contextmanager
def _media_errors() -> Iterator[None]:
    """audio.AudioError raised inside as a MediaError with the same reason and detail."""
    try:
        yield
    except audio.AudioError as error:
        raise MediaError(error.reason, error.detail) from error


def _open(path: Path):
    with _media_errors():
        return audio.open_media(path)


def streams(path: Path) -> Streams:
    """Which streams the file has (raises MediaError if it does not open)."""
    with _open(path) as container:
        return Streams(bool(container.streams.audio), bool(container.streams.video))


def read_audio(path: Path, span: tuple[float, float] | None = None) -> np.ndarray:
    """The file's first audio stream (or `span` of it, in seconds) as 16 kHz mono float32."""
    with _media_errors():
        return audio.decode(path, SAMPLE_RATE, span)


def _rgb(frame) -> np.ndarray:
    """A decoded frame as a contiguous RGB array (dlib finds nothing in strided views), turned
    upright when the stream says it is rotated."""
    image = frame.to_ndarray(format="rgb24")
    turns = round((getattr(frame, "rotation", 0) or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(image, turns) if turns else image)


def frames_at(path: Path, times: list[float]) -> list[np.ndarray | None]:
    """The frame shown at each of `times` (seconds, by the frames' own timestamps, so variable
    frame rates are right); None where the video ends first."""
    import av

    found: list[np.ndarray | None] = [None] * len(times)
    order = sorted(range(len(times)), key=times.__getitem__)
    with _open(path) as container:
        if not container.streams.video:
            raise MediaError("no_video", "the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            _decode_into(container, stream, times, order, found)
        except (av.FFmpegError, ValueError) as error:
            raise MediaError("decode_error", f"video decoding failed: {error}") from error
    return found


def _decode_into(container, stream, times, order, found) -> None:
    """Fill `found` in time order; seek ahead when the next wanted time is far away."""
    import av

    position = 0
    while position < len(order):
        sought = times[order[position]]
        container.seek(int(max(0.0, sought - 1.0) * av.time_base), backward=True)
        previous = None
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            while position < len(order) and frame.time > times[order[position]] + 1e-6:
                found[order[position]] = _rgb(previous if previous is not None else frame)
                position += 1
            previous = frame
            if position == len(order):
                return
            wanted = times[order[position]]
            if wanted != sought and wanted - frame.time > 5.0:
                break  # the next wanted frame is far ahead: seek there instead
        else:  # the stream ended: times just past its last frame get that frame
            for index in order[position:]:
                if previous is not None and times[index] - previous.time < 1.0:
                    found[index] = _rgb(previous)
            return
