"""Simulated voices: from a speaker's traits to a noisy, room-coloured speech clip.

Everything here is a simulation built on speech engines (`engines.py`: Praat's espeak-ng,
Festival, Flite), each steered to the speaker's voice. How a speaker sounds
follows from their gender, age, accent and voice latents (see `population.py`) through the
mapping below. The links are planted: invented so that a voice carries some, imperfect,
information about a face. They make no claim about real people.

Mapping (latents are standard normal; `old` ramps from 0 at 40 to 1 at 80 years):
- F0 median, log-normal around 118 Hz (men) or 205 Hz (women): a larger `size` or `jaw` lowers
  it, `pitch` offsets it; after 45 women drop by up to 18% (menopause), after 60 men rise by
  up to 13%.
- pitch range: `pitch_range` widens it, age narrows it.
- formant shift ratio (vocal-tract length), re espeak's default male formants: women x1.17,
  and a larger `size` lowers it by about 5% per SD.
- speaking rate: `rate` speeds it up, `fullness` and age (down to -25% at 80) slow it down.
- breathiness: `fullness` and age raise it, women a little more.
- roughness (jitter and shimmer): the `roughness` latent plus, strongly, age; the roughest old
  men take espeak's creaky 'Croak' variant.
- base voice: `uniform(variant)` picks one of the gender's espeak variants (engine `praat`) or
  one of the engine's recorded voices of either gender (the controls above make the gender).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy.signal import butter, fftconvolve, lfilter, sosfilt

from speech2face.corpus import engines, espeak
from speech2face.corpus.population import Speaker, uniform

FEMALE_FORMANT_RATIO = 1.17  # shorter vocal tract
PAD_RANGE = (0.05, 0.3)  # seconds of padding around the speech
CONTROL_RATE = 1000  # Hz, of the slow random modulations (jitter, shimmer)


@dataclass(frozen=True)
class VoiceSettings:
    """How one speaker sounds, before the per-clip variation."""

    engine: str  # engines.ENGINES
    accent: str  # espeak English variety (engine praat)
    variant: str  # the engine's base voice: an espeak variant or a recorded voice
    f0_median_hz: float
    pitch_range_factor: float  # x espeak's default pitch range
    formant_shift_ratio: float  # formants re espeak's default male voice (> 1: shorter tract)
    rate_wpm: float
    breathiness: float  # 0-1: spectral tilt and aspiration noise
    roughness: float  # 0-1: jitter and shimmer


@dataclass(frozen=True)
class Recording:
    """Per-clip recording conditions: room, channel, background noise and level."""

    rt60: float  # s
    direct_to_reverb_db: float
    band_hz: tuple[float, float]
    snr_db: float
    noise_colour: float  # 0 white, towards 1 brown
    peak: float

    @classmethod
    def draw(cls, rng: np.random.Generator, sample_rate: int) -> Recording:
        return cls(
            rt60=rng.uniform(0.08, 0.35),
            direct_to_reverb_db=rng.uniform(6.0, 20.0),
            band_hz=(
                rng.uniform(50.0, 200.0),
                min(rng.uniform(3800.0, 7600.0), 0.45 * sample_rate),
            ),
            snr_db=rng.uniform(25.0, 40.0),
            noise_colour=rng.uniform(0.0, 0.95),
            peak=rng.uniform(0.3, 0.9),
        )


def load_sentences() -> list[str]:
    """The bank of sentences clips are read from."""
    text = resources.files("speech2face.corpus").joinpath("sentences.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _ramp(x: float, start: float, end: float) -> float:
    """0 below `start`, 1 above `end`, linear in between."""
    return float(np.clip((x - start) / (end - start), 0.0, 1.0))


def _f0_median(female: bool, age: int, v: dict[str, float]) -> float:
    """Planted F0 median: gender mean, lowered by size and jaw, offset by pitch, aged."""
    if female:
        log_f0 = np.log(205.0) - 0.05 * v["size"] - 0.05 * v["jaw"] + 0.085 * v["pitch"]
        log_f0 -= 0.2 * _ramp(age, 45, 65)
    else:
        log_f0 = np.log(118.0) - 0.06 * v["size"] - 0.06 * v["jaw"] + 0.11 * v["pitch"]
        log_f0 += 0.12 * _ramp(age, 60, 80)
    return float(np.clip(np.exp(log_f0), 70.0, 320.0))


def voice_settings(speaker: Speaker) -> VoiceSettings:
    """The planted mapping from a speaker's traits to their voice (see the module docstring)."""
    v = speaker.voice
    female = speaker.gender == "female"
    old = _ramp(speaker.age, 40, 80)
    roughness = uniform(v["roughness"] + 3.0 * old - 1.2)
    range_factor = np.exp(0.3 * v["pitch_range"]) * (1 - 0.35 * old)
    wpm = 165.0 * np.exp(0.09 * v["rate"] - 0.06 * v["fullness"]) * (1 - 0.25 * old)
    variant = speaker.engine_voice or espeak.variant(female, speaker.age, roughness, v["variant"])
    return VoiceSettings(
        engine=speaker.engine,
        accent=speaker.accent,
        variant=variant,
        f0_median_hz=_f0_median(female, speaker.age, v),
        pitch_range_factor=float(np.clip(range_factor, 0.2, 1.95)),
        formant_shift_ratio=float(
            (FEMALE_FORMANT_RATIO if female else 1.0) * np.exp(-0.05 * v["size"])
        ),
        rate_wpm=float(np.clip(wpm, 110.0, 230.0)),
        breathiness=0.6 * uniform(v["fullness"] + 1.2 * old + (0.4 if female else 0.0) - 0.4),
        roughness=roughness,
    )


@functools.cache
def _sos(order: int, cutoff: float, btype: str, sample_rate: int) -> np.ndarray:
    """A Butterworth filter, designed once."""
    return butter(order, cutoff, btype, fs=sample_rate, output="sos")


def _wobble(rng, count: int, n: int, sample_rate: int) -> np.ndarray:
    """`count` random signals of unit variance band-limited to 80 Hz, `n` samples long."""
    settle = 20  # control steps for the filter to forget its zero start
    steps = n * CONTROL_RATE // sample_rate + 2
    slow = sosfilt(
        _sos(2, 80.0, "lowpass", CONTROL_RATE), rng.standard_normal((count, steps + settle))
    )[:, settle:]
    slow /= slow.std(axis=1, keepdims=True)
    positions = np.arange(n) * (CONTROL_RATE / sample_rate)
    return np.stack([np.interp(positions, np.arange(steps), signal) for signal in slow])


def _roughen(speech: np.ndarray, amount: float, rng, sample_rate: int) -> np.ndarray:
    """Jitter as a small random time warp, shimmer as a random amplitude modulation."""
    jitter, shimmer = _wobble(rng, 2, len(speech), sample_rate)
    times = np.arange(len(speech)) + amount * 8e-5 * sample_rate * jitter
    warped = np.interp(times, np.arange(len(speech)), speech)
    return warped * (1.0 + 0.12 * amount * shimmer)


def _breathe(speech: np.ndarray, amount: float, rng, sample_rate: int) -> np.ndarray:
    """Softer high harmonics plus aspiration noise that follows the speech envelope."""
    tilted = sosfilt(_sos(1, 2000.0, "lowpass", sample_rate), speech)
    envelope = sosfilt(_sos(2, 30.0, "lowpass", sample_rate), np.abs(speech))
    aspiration = sosfilt(_sos(2, 1500.0, "highpass", sample_rate), rng.standard_normal(len(speech)))
    return (1 - amount) * speech + amount * tilted + amount * envelope * aspiration


def _reverberate(clip: np.ndarray, recording: Recording, rng, sample_rate: int) -> np.ndarray:
    """A small room: the direct sound plus a short, exponentially decaying noise tail."""
    t = np.arange(1, int(recording.rt60 * sample_rate)) / sample_rate
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / recording.rt60)
    tail *= np.sqrt(10 ** (-recording.direct_to_reverb_db / 10) / np.sum(tail**2))
    return fftconvolve(clip, np.concatenate([[1.0], tail]))[: len(clip)]


def _add_noise(clip: np.ndarray, speech_power: float, recording: Recording, rng) -> np.ndarray:
    """Coloured background noise at the recording's SNR."""
    noise = lfilter([1.0], [1.0, -recording.noise_colour], rng.standard_normal(len(clip)))
    noise *= np.sqrt(speech_power / 10 ** (recording.snr_db / 10) / np.mean(noise**2))
    return clip + noise


def synthesize_clip(
    speaker: Speaker,
    text: str,
    rng: np.random.Generator,
    sample_rate: int = 16000,
    duration_range: tuple[float, float] = (3.0, 6.0),
    settings: VoiceSettings | None = None,
) -> np.ndarray:
    """One clip of `speaker` reading `text`: float32 mono at `sample_rate`, peak <= 0.9.

    Per clip, `rng` varies F0 (+-3%) and rate (+-5%) and draws the padding, the recording
    conditions and the noise of voice quality, room and background. The same speaker, text
    and rng state give the same samples. The duration lies in `duration_range`, or ValueError.
    `settings` is `voice_settings(speaker)`, when the caller has it already.
    Not thread-safe; every espeak synthesis runs in a forked child (POSIX only).
    """
    settings = settings or voice_settings(speaker)
    f0 = settings.f0_median_hz * rng.uniform(0.97, 1.03)
    wpm = settings.rate_wpm * rng.uniform(0.95, 1.05)
    lead, trail = (round(rng.uniform(*PAD_RANGE) * sample_rate) for _ in range(2))
    recording = Recording.draw(rng, sample_rate)
    length_range = (
        math.ceil(duration_range[0] * sample_rate) - lead - trail,
        math.floor(duration_range[1] * sample_rate) - lead - trail,
    )
    if length_range[1] <= max(length_range[0], 0):
        raise ValueError(f"duration range {duration_range} leaves no room for speech")
    speech = engines.speak(settings, text, f0, wpm, sample_rate, length_range, rng)
    speech = _roughen(speech, settings.roughness, rng, sample_rate)
    speech = _breathe(speech, settings.breathiness, rng, sample_rate)
    clip = _reverberate(
        np.concatenate([np.zeros(lead), speech, np.zeros(trail)]), recording, rng, sample_rate
    )
    clip = sosfilt(butter(2, recording.band_hz, "bandpass", fs=sample_rate, output="sos"), clip)
    clip = _add_noise(clip, float(np.mean(clip[lead : lead + len(speech)] ** 2)), recording, rng)
    return (clip * (recording.peak / np.abs(clip).max())).astype(np.float32)
