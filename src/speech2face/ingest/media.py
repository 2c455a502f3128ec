"""Decoding with PyAV (its wheel bundles FFmpeg): 16 kHz mono audio and RGB frames at times.

Every failure becomes a `MediaError` with a reject reason, never a crash: corrupt, empty and
truncated files fail at open or in the middle of decoding, and both are caught here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


def _open(path: Path):
    import av

    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as error:
        raise MediaError("decode_error", f"cannot open: {error}") from error


def streams(path: Path) -> Streams:
    """Which streams the file has (raises MediaError if it does not open)."""
    with _open(path) as container:
        return Streams(bool(container.streams.audio), bool(container.streams.video))


def read_audio(path: Path, span: tuple[float, float] | None = None) -> np.ndarray:
    """The file's first audio stream (or `span` of it, in seconds) as 16 kHz mono float32."""
    import av

    start, end = span or (0.0, float("inf"))
    with _open(path) as container:
        if not container.streams.audio:
            raise MediaError("no_audio", "the file has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks, first_time = [], None
        try:
            if start > 0:
                container.seek(int(start * av.time_base), backward=True)
            for frame in container.decode(stream):
                if first_time is None:
                    first_time = frame.time if frame.time is not None else 0.0
                if frame.time is not None and frame.time > end:
                    break
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        except (av.FFmpegError, ValueError) as error:
            raise MediaError("decode_error", f"audio decoding failed: {error}") from error
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    skip = max(0, round((start - (first_time or 0.0)) * SAMPLE_RATE))
    stop = None if end == float("inf") else skip + round((end - start) * SAMPLE_RATE)
    return audio[skip:stop]


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
