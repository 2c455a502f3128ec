"""Reading audio the way the pipeline feeds it to models: mono, one rate, one fixed length.

`load_mono` is the one reader of audio files (predict, preprocess); ingest decodes with its
PyAV half, `decode`. Nothing is printed while decoding: failures are one-line `AudioError`s.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile

from speech2face.errors import InputError

INT16_SCALE = 32767.0
# Files soundfile decodes (by their first bytes: WAV, RF64, AIFF, FLAC, Ogg); the rest go to
# PyAV. soundfile is not even tried on others: its MP3 decoder prints on bad data.
SOUNDFILE_MAGIC = (b"RIFF", b"RF64", b"FORM", b"fLaC", b"OggS")
# Lossy codecs soundfile could read that FFmpeg decodes instead (one decoder for them all).
PYAV_SUBTYPES = {"MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III", "OPUS"}
# FFmpeg's resampler with twice its default filter length: from 44.1 kHz to 16 kHz the
# default leaves aliasing at -62 dB and 0.4 dB of droop at 7 kHz; 64 taps, -96 dB and none.
PYAV_RESAMPLER = {"filter_size": "64"}


class AudioError(InputError):
    """A file that gives no usable audio; `reason` is a key of ingest's REASONS."""

    def __init__(self, path: Path, reason: str, detail: str):
        what = "unusable audio" if reason == "non_finite" else "cannot read audio"
        super().__init__(f"{path}: {what}: {detail}")
        self.reason = reason
        self.detail = detail


def load_mono(path: Path, sample_rate: int) -> np.ndarray:
    """The file's audio as float32 mono at `sample_rate` (channels averaged, resampled once).

    soundfile decodes WAV, FLAC, Ogg Vorbis and AIFF: audio already at `sample_rate` is its
    samples untouched, other rates go through soxr at its HQ setting (librosa's default, which
    this replaces). PyAV decodes everything else (MP3, Opus, AAC, a video's sound); see
    `decode`. Raises InputError for a missing file, AudioError for one without samples.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioError(path, "decode_error", "the file is empty (0 bytes)")
    with quiet():
        samples = _by_soundfile(path, sample_rate)
        if samples is None:
            samples = decode(path, sample_rate)
    if samples.size == 0:
        raise AudioError(path, "too_short", "the audio is empty (no samples)")
    return samples


def _by_soundfile(path: Path, sample_rate: int) -> np.ndarray | None:
    """soundfile's samples as in `load_mono`, or None for a file to leave to PyAV (which also
    gets the files soundfile fails on: it may read them, or say why it cannot)."""
    try:
        with path.open("rb") as head:
            if head.read(4) not in SOUNDFILE_MAGIC:
                return None
        with soundfile.SoundFile(path) as file:
            if file.subtype in PYAV_SUBTYPES:
                return None
            samples, rate = file.read(dtype="float32", always_2d=True), file.samplerate
    except (OSError, soundfile.SoundFileError):
        return None
    finite(samples, path)
    mono = samples.mean(axis=1)
    if rate != sample_rate:
        import soxr

        mono = soxr.resample(mono, rate, sample_rate, quality="HQ")
    return mono.astype(np.float32)


def decode(path: Path, sample_rate: int, span: tuple[float, float] | None = None) -> np.ndarray:
    """The first audio stream (or `span` of it, in seconds) as float32 mono at `sample_rate`,
    by PyAV; empty when it has no samples.

    Decoding and resampling are one pass (`av.AudioResampler`, PYAV_RESAMPLER); the channels
    are averaged after (FFmpeg's own downmix to mono sums stereo at -3 dB each, not a mean).
    Raises AudioError: "decode_error" (does not open, or fails midway) or "no_audio".
    """
    import av

    start, end = span or (0.0, float("inf"))
    with quiet(), open_media(path) as container:
        if not container.streams.audio:
            raise AudioError(path, "no_audio", "the file has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", rate=sample_rate, options=PYAV_RESAMPLER)
        chunks, first_time = [], None
        try:
            if start > 0:
                container.seek(int(start * av.time_base), backward=True)
            for frame in container.decode(stream):
                if first_time is None:
                    first_time = frame.time if frame.time is not None else 0.0
                if frame.time is not None and frame.time > end:
                    break
                chunks += [f.to_ndarray() for f in resampler.resample(frame)]
            chunks += [f.to_ndarray() for f in resampler.resample(None)]
        except (av.FFmpegError, ValueError) as error:
            raise AudioError(
                path, "decode_error", f"audio decoding failed: {_why(error)}"
            ) from error
    audio = np.concatenate(chunks, axis=1).mean(axis=0) if chunks else np.zeros(0, np.float32)
    finite(audio, path)
    skip = max(0, round((start - (first_time or 0.0)) * sample_rate))
    stop = None if end == float("inf") else skip + round((end - start) * sample_rate)
    return audio[skip:stop]


def finite(samples: np.ndarray, path: Path) -> np.ndarray:
    """`samples` when every one is a number; else AudioError("non_finite") counting the NaN
    and infinite ones. Every decoder ends here, so no NaN or Inf reaches a model or a file."""
    bad = ~np.isfinite(samples)
    if bad.any():
        nan = int(np.isnan(samples).sum())
        raise AudioError(
            path,
            "non_finite",
            f"{int(bad.sum())} of {samples.size} samples are not finite "
            f"({nan} NaN, {int(bad.sum()) - nan} infinite)",
        )
    return samples


def open_media(path: Path):
    """The file opened by PyAV, or AudioError("decode_error") saying why it does not open."""
    import av

    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as error:
        raise AudioError(path, "decode_error", f"cannot open: {_why(error)}") from error


@contextmanager
def quiet() -> Iterator[None]:
    """No FFmpeg log lines and no Python warnings inside.

    PyAV drops FFmpeg's log while its level is None (its default); a level set by anyone passes
    FFmpeg's messages to Python's `logging`, which may print them: it is unset here, then
    restored.
    """
    import av

    level = av.logging.get_level()
    if level is not None:
        av.logging.set_level(None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if level is not None:
            av.logging.set_level(level)


def _why(error: Exception) -> str:
    """A library's error in one line, without the file name PyAV repeats in it."""
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(str(text).split())


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Repeat a short clip until it is `length` long (as the paper does); crop a long one."""
    repeats = -(-length // len(samples))
    return np.tile(samples, repeats)[:length]


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * INT16_SCALE), -32768, 32767).astype(np.int16)
