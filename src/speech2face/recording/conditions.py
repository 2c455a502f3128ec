"""Fixed, seeded degradations of a set of clips: the degraded copies of the test set.

`degrade(waveforms, sample_rate, condition, seed)` with a condition named by a string:

- `clean`: the clips as they are;
- `snr_<dB>` (e.g. `snr_10`, `snr_-5`): pink noise at that SNR against each clip's speech
  power (its active frames, see `effects.speech_power`);
- `reverb`: each clip in a room, its impulse response drawn from a bank of `REVERB_RIRS`
  shoebox rooms (`rooms.rir_bank`, RT60 0.2-0.8 s);
- `telephone`: 8 kHz mu-law, 300-3400 Hz;
- `opus`, `mp3`, or with a bitrate, `opus_<kbps>`, `mp3_<kbps>`: a codec round trip (PyAV);
- `gain_<dB>`: a level change.

Clip i's noise and room depend only on (seed, i), so a subset or a chunked run gives the
same clips (to float32 rounding: batched FFTs may round the last bit differently). The
output has the input's shape, float32, at the input's level; a clip that would exceed full
scale (|x| > 1) is scaled down to a peak of 1, never clipped.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import torch

from speech2face.parallel import default_workers, parallel_map
from speech2face.recording import effects
from speech2face.recording.codec import CODECS, codec_round_trip
from speech2face.recording.rooms import LEAD, rir_bank

CONDITIONS = ("clean", "snr_20", "snr_10", "snr_5", "snr_0", "reverb", "telephone", "opus", "mp3")
CODEC_KBPS = {"opus": 16, "mp3": 32}  # a voice call's and a small podcast's bitrates
NOISE_EXPONENT = 1.0  # pink
REVERB_RIRS = 64
CHUNK = 64  # clips degraded at once (memory)
_NUMBER = r"([+-]?\d+(?:\.\d+)?)"
_PATTERNS = {
    "snr": re.compile(rf"snr_{_NUMBER}(?:db)?"),
    "gain": re.compile(rf"gain_{_NUMBER}(?:db)?"),
    "codec": re.compile(rf"({'|'.join(CODECS)})(?:_(\d+)(?:k|kbps)?)?"),
}


def parse_condition(condition: str) -> tuple[str, float | tuple[str, int] | None]:
    """`condition` as (kind, value): ("snr", 10.0), ("codec", ("opus", 16)), ("reverb", None).

    Case and surrounding spaces are ignored; an unknown name is a ValueError.
    """
    name = condition.strip().lower() if isinstance(condition, str) else ""
    if name in ("clean", "reverb", "telephone"):
        return name, None
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(name)
        if not match:
            continue
        if kind == "codec":
            codec, kbps = match.groups()
            return kind, (codec, int(kbps) if kbps else CODEC_KBPS[codec])
        return kind, float(match.group(1))
    raise ValueError(
        f"unknown condition {condition!r}; expected clean, snr_<dB>, reverb, telephone, "
        f"gain_<dB> or a codec ({', '.join(CODECS)}, optionally _<kbps>), e.g. {CONDITIONS}"
    )


def degrade(waveforms: np.ndarray, sample_rate: int, condition: str, seed: int) -> np.ndarray:
    """`waveforms` (clips, samples), float in [-1, 1], degraded by `condition` (see above)."""
    kind, value = parse_condition(condition)
    clips = np.asarray(waveforms, dtype=np.float32)
    if clips.ndim != 2:
        raise ValueError(f"expected waveforms of shape (clips, samples), got {clips.shape}")
    if kind == "codec":  # clip by clip on the CPU: on every core
        code = functools.partial(
            codec_round_trip, sample_rate=sample_rate, codec=value[0], kbps=value[1]
        )
        coded = parallel_map(code, list(clips), default_workers(), f"Coding {condition}")
        return _unclipped(np.stack(list(coded)))
    out = np.empty_like(clips)
    for start in range(0, len(clips), CHUNK):
        rows = range(start, min(start + CHUNK, len(clips)))
        chunk = torch.from_numpy(clips[start : rows.stop])
        out[start : rows.stop] = _chunk(chunk, rows, sample_rate, kind, value, seed)
    return _unclipped(out)


def _unclipped(out: np.ndarray) -> np.ndarray:
    """Clips scaled down to a peak of 1 where they exceed it, float32 (in place)."""
    out = out.astype(np.float32, copy=False)
    peaks = np.maximum(out.max(axis=1), -out.min(axis=1))
    for row in np.flatnonzero(peaks > 1.0):
        out[row] /= peaks[row]
    return out


@torch.no_grad()
def _chunk(chunk: torch.Tensor, rows: range, sample_rate: int, kind, value, seed: int):
    if kind == "clean":
        return chunk.numpy()
    if kind == "gain":
        return effects.gain(chunk, torch.full((len(chunk),), value)).numpy()
    if kind == "telephone":
        return effects.telephone(chunk, sample_rate).numpy()
    rngs = [np.random.default_rng([seed, row]) for row in rows]
    if kind == "snr":
        white = np.stack([rng.standard_normal(chunk.shape[1], dtype=np.float32) for rng in rngs])
        noise = effects.coloured_noise(
            torch.from_numpy(white), torch.full((len(chunk),), NOISE_EXPONENT)
        )
        return effects.add_noise(
            chunk, noise, torch.full((len(chunk),), value), sample_rate
        ).numpy()
    bank = _bank(sample_rate, seed)
    responses = torch.from_numpy(bank[[rng.integers(len(bank)) for rng in rngs]])
    return effects.reverberate(chunk, responses, LEAD).numpy()


@functools.lru_cache(maxsize=4)
def _bank(sample_rate: int, seed: int) -> np.ndarray:
    return rir_bank(REVERB_RIRS, sample_rate, seed)
