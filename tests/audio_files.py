"""Audio files in real formats, written with PyAV's and soundfile's encoders, and a pitch check."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import soundfile
from scipy.signal import butter, sosfilt

F0_RANGE = (110.0, 150.0)  # Hz: the F0 glides from the first to the second over the clip
AUDIO_FRAME = 1024
FPS = 10
VIDEO_SIZE = 64  # px, square
TELEPHONE_BAND = (300.0, 3400.0)  # Hz


def voice(seconds: float, rate: int) -> np.ndarray:
    """A voiced sound: 20 harmonics (amplitude 1/k) over an F0 gliding across F0_RANGE."""
    t = np.arange(round(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(true_f0(t, seconds)) / rate
    wave = sum(np.sin(k * phase) / k for k in range(1, 21))
    return (0.3 * wave / np.abs(wave).max()).astype(np.float32)


def true_f0(times: np.ndarray, seconds: float) -> np.ndarray:
    low, high = F0_RANGE
    return low + (high - low) * np.clip(times / seconds, 0.0, 1.0)


def telephone(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` through a telephone's pass band (the fundamental is lost, its period kept)."""
    band = butter(6, TELEPHONE_BAND, btype="bandpass", fs=rate, output="sos")
    return sosfilt(band, samples).astype(np.float32)


def f0_error(samples: np.ndarray, rate: int, seconds: float) -> float:
    """Median relative distance of Praat's F0 (voiced frames) from the true F0 at each frame."""
    import parselmouth
    from parselmouth.praat import call

    sound = parselmouth.Sound(samples.astype(np.float64), rate)
    pitch = call(sound, "To Pitch", 0.0, 60, 600)
    found = pitch.selected_array["frequency"]
    voiced = found > 0
    assert voiced.mean() > 0.8, "Praat finds no voice in most frames"
    truth = true_f0(pitch.xs()[voiced], seconds)
    return float(np.median(np.abs(found[voiced] / truth - 1)))


def write_wav(path: Path, samples: np.ndarray, rate: int, subtype: str = "PCM_16") -> Path:
    """(samples,) or (samples, channels) through soundfile (WAV, FLAC, OGG by the suffix)."""
    soundfile.write(path, samples, rate, subtype=subtype)
    return path


def encode(
    path: Path,
    samples: np.ndarray | None,
    rate: int,
    codec: str,
    *,
    video_seconds: float = 0.0,
    container: str | None = None,
) -> Path:
    """Encode (channels, samples) float audio with PyAV's `codec` into `path` (format from the
    suffix unless `container`); `video_seconds` > 0 adds an MPEG-4 video stream first. No
    `samples` (None): no audio stream; zero samples: an audio stream without any."""
    with av.open(str(path), "w", format=container) as output:
        picture = output.add_stream("mpeg4", rate=FPS) if video_seconds else None
        if picture is not None:
            picture.width = picture.height = VIDEO_SIZE
            picture.pix_fmt = "yuv420p"
        sound = output.add_stream(codec, rate=rate) if samples is not None else None
        if sound is not None:
            sound.layout = "mono" if samples.shape[0] == 1 else "stereo"
        if picture is not None:
            for index in range(round(video_seconds * FPS)):
                grey = np.full((VIDEO_SIZE, VIDEO_SIZE, 3), 10 * index % 256, np.uint8)
                frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
                frame.pts = index
                output.mux(picture.encode(frame))
            output.mux(picture.encode(None))
        if sound is not None:
            for start in range(0, samples.shape[1], AUDIO_FRAME):
                chunk = np.ascontiguousarray(samples[:, start : start + AUDIO_FRAME], np.float32)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=sound.layout.name)
                frame.sample_rate, frame.pts = rate, start
                output.mux(sound.encode(frame))
            output.mux(sound.encode(None))
    return path
