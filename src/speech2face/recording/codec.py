"""Lossy codec round trips through PyAV (FFmpeg's libopus and libmp3lame), one clip at a time.

Encoding runs on the CPU only: for training, `CodecTransform` is meant for DataLoader
workers, before a batch reaches the device.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import av
import numpy as np

from speech2face.audio import INT16_SCALE, to_int16

if TYPE_CHECKING:
    from speech2face.params import AugmentParams

# name -> (FFmpeg encoder, container). FFmpeg's containers carry the encoder delay (Opus
# pre-skip, the LAME tag's delay and padding), so decoding gives the clip back aligned.
CODECS = {"opus": ("libopus", "ogg"), "mp3": ("libmp3lame", "mp3")}


def check_codec(codec: str) -> tuple[str, str]:
    """`codec`'s FFmpeg encoder and container; an error if unknown or not in this FFmpeg."""
    if codec not in CODECS:
        raise ValueError(f"unknown codec {codec!r}; expected one of {sorted(CODECS)}")
    encoder, container = CODECS[codec]
    if encoder not in av.codecs_available:
        raise RuntimeError(f"this FFmpeg build (PyAV {av.__version__}) has no {encoder} encoder")
    return encoder, container


def codec_round_trip(samples: np.ndarray, sample_rate: int, codec: str, kbps: int) -> np.ndarray:
    """Mono float `samples` encoded with `codec` ("opus" or "mp3") at `kbps` and decoded back
    to `sample_rate`: float32, the same length (padded with silence or cut if the decoder
    returns a sample more or less)."""
    encoder, container = check_codec(codec)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(encoder, rate=sample_rate, layout="mono")
        stream.bit_rate = int(kbps * 1000)
        frame = av.AudioFrame.from_ndarray(
            np.asarray(samples, dtype=np.float32)[None], format="flt", layout="mono"
        )
        frame.sample_rate = sample_rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    buffer.seek(0)
    # The Opus decoder always gives 48 kHz: resample back to the clip's rate.
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    parts = []
    with av.open(buffer, "r") as decoded:
        for frame in decoded.decode(audio=0):
            parts.extend(part.to_ndarray()[0] for part in resampler.resample(frame))
    parts.extend(part.to_ndarray()[0] for part in resampler.resample(None))
    out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    out = np.pad(out, (0, max(0, len(samples) - len(out))))[: len(samples)]
    return out.astype(np.float32)


class CodecTransform:
    """With probability `params.codec_p`, one clip through a random codec and bitrate.

    Meant for DataLoader workers: `transform(samples, seed)` with a per-item seed (e.g. from
    the epoch, the item's index and the run's seed) gives the same result for the same seed.
    Coded int16 samples come back int16 (clipped to its range), coded float samples as
    float32; a clip left alone comes back as it was (the same array).
    """

    def __init__(self, params: AugmentParams, sample_rate: int):
        self.params, self.sample_rate = params, sample_rate
        for codec in params.codecs:
            check_codec(codec)

    def __call__(self, samples: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        codec = self.params.codecs[rng.integers(len(self.params.codecs))]
        kbps = self.params.codec_kbps[rng.integers(len(self.params.codec_kbps))]
        if rng.random() >= self.params.codec_p:
            return samples
        if samples.dtype == np.int16:
            coded = codec_round_trip(samples / INT16_SCALE, self.sample_rate, codec, kbps)
            return to_int16(coded)
        return codec_round_trip(samples, self.sample_rate, codec, kbps)
