"""Simulated voices: from a speaker's traits to a noisy, room-coloured speech clip.

Everything here is a simulation built on Praat's espeak-ng synthesiser. How a speaker sounds
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
- base variant: `uniform(variant)` picks one of the gender's espeak variants.
"""

from __future__ import annotations

import functools
import io
import math
import os
import traceback
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources

import numpy as np
import parselmouth
from parselmouth.praat import call
from scipy.signal import butter, fftconvolve, lfilter, resample_poly, sosfilt

from speech2face.corpus.population import Speaker, uniform

SYNTH_RATE = 22050  # espeak-ng's native rate: any other costs a resampling inside Praat
# Formant scale of each espeak variant used: the geometric mean of the F1-F3 frequency factors
# in its espeak-ng variant file (as shipped with parselmouth 0.4). Left out: the silent Klatt
# variants, Whisper (unvoiced), Zac (child-like), Kaukovalta, Andy, Boris, Lee, Michael,
# Norbert and Travis (F1-F3 far off or switched off), Iven and Jacky (often at full scale).
VARIANT_FORMANT_SCALE = {
    "Female1": 1.11,
    "Female2": 1.10,
    "Female3": 1.27,
    "Female4": 1.23,
    "Female5": 1.10,
    "Linda": 1.30,
    "Steph": 1.11,
    "Male1": 0.97,
    "Male2": 1.01,
    "Male3": 0.96,
    "Male4": 1.03,
    "Male5": 0.91,
    "Male6": 1.00,
    "Male7": 1.00,
    "Denis": 0.95,
    "Gene": 0.93,
    "Mario": 0.98,
    "Max": 1.00,
    "Michel": 0.97,
    "Mr serious": 0.95,
    "Quincy": 0.98,
    "Rob": 0.98,
    "Croak": 1.00,
}
FEMALE_VARIANTS = ("Female1", "Female2", "Female3", "Female4", "Female5", "Linda", "Steph")
MALE_VARIANTS = (
    "Male1",
    "Male2",
    "Male3",
    "Male4",
    "Male5",
    "Male6",
    "Male7",
    "Denis",
    "Gene",
    "Mario",
    "Max",
    "Michel",
    "Mr serious",
    "Quincy",
    "Rob",
)
ROUGH_VARIANT = "Croak"
FEMALE_FORMANT_RATIO = 1.17  # shorter vocal tract
DEFAULT_PITCH_RANGE = 50  # espeak's pitch range setting, 0-99
CALIBRATION_TEXT = "The small boat drifted slowly past the quiet harbour at dawn."
MAX_ATTEMPTS = 4  # syntheses to fit a clip into its duration range
WPM_RANGE = (80, 450)  # espeak's speaking rates
PAD_RANGE = (0.05, 0.3)  # seconds of padding around the speech
CONTROL_RATE = 1000  # Hz, of the slow random modulations (jitter, shimmer)


@dataclass(frozen=True)
class VoiceSettings:
    """How one speaker sounds, before the per-clip variation."""

    accent: str  # espeak English variety
    variant: str  # espeak voice variant
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


def _variant(female: bool, age: int, roughness: float, z: float) -> str:
    """A gender-appropriate espeak variant; the roughest old men sound creaky."""
    if not female and age >= 65 and roughness > 0.85:
        return ROUGH_VARIANT
    choices = FEMALE_VARIANTS if female else MALE_VARIANTS
    return choices[min(int(uniform(z) * len(choices)), len(choices) - 1)]


def voice_settings(speaker: Speaker) -> VoiceSettings:
    """The planted mapping from a speaker's traits to their voice (see the module docstring)."""
    v = speaker.voice
    female = speaker.gender == "female"
    old = _ramp(speaker.age, 40, 80)
    roughness = uniform(v["roughness"] + 3.0 * old - 1.2)
    range_factor = np.exp(0.3 * v["pitch_range"]) * (1 - 0.35 * old)
    wpm = 165.0 * np.exp(0.09 * v["rate"] - 0.06 * v["fullness"]) * (1 - 0.25 * old)
    return VoiceSettings(
        accent=speaker.accent,
        variant=_variant(female, speaker.age, roughness, v["variant"]),
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
def _synthesizer(accent: str, variant: str) -> parselmouth.Data:
    """One reusable Praat SpeechSynthesizer per accent and variant.

    Creating one synthesises nothing: this process's espeak state stays untouched.
    """
    return call("Create SpeechSynthesizer", accent, variant)


def _isolated(fn, *args) -> np.ndarray:
    """Run `fn(*args)` in a forked child and return its array.

    espeak-ng keeps hidden global state (pitch-flutter phase, noise generator, ...) that every
    synthesis advances, so the same request gives different samples depending on what was
    synthesised before. A child forked from a process that never synthesises starts from the
    same state every time: same request, same samples, whatever the order of requests.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_fd)
            payload = io.BytesIO()
            np.save(payload, fn(*args))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload.getbuffer())
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{fn.__name__} failed in a forked child (traceback above)")
    return np.load(io.BytesIO(payload))


def _espeak(syn, text: str, pitch: int, pitch_range: int, wpm: int) -> parselmouth.Sound:
    """(Child only) One espeak synthesis at SYNTH_RATE."""
    call(syn, "Set speech output settings", SYNTH_RATE, 0.01, pitch, pitch_range, wpm, "no", "IPA")
    return call(syn, "To Sound", text, "no")[0]


def _median_f0(sound: parselmouth.Sound) -> float:
    """Praat's F0 median over the voiced frames."""
    values = call(sound, "To Pitch", 0.02, 60, 600).selected_array["frequency"]
    return float(np.median(values[values > 0]))


def _calibrate(variant: str) -> np.ndarray:
    """(Child only) (a, b, c) with F0 median ~ a + b * pitch + c * range, espeak's settings.

    Measured on one sentence: espeak's F0 is linear in both settings and barely depends on
    the accent or the sentence.
    """
    syn = _synthesizer("English (America)", variant)
    low, high, wide = (
        _median_f0(_espeak(syn, CALIBRATION_TEXT, pitch, pitch_range, 175))
        for pitch, pitch_range in ((25, 0), (99, 0), (62, 99))
    )
    b = (high - low) / 74
    a = low - 25 * b
    return np.array([a, b, (wide - a - 62 * b) / 99])


@functools.cache
def _pitch_model(variant: str) -> tuple[float, float, float]:
    """The variant's calibration, measured once per process."""
    a, b, c = _isolated(_calibrate, variant)
    return float(a), float(b), float(c)


def _trim(x: np.ndarray, floor_db: float = -40.0) -> np.ndarray:
    """Cut leading and trailing silence: samples quieter than `floor_db` re the peak."""
    loud = np.flatnonzero(np.abs(x) > np.abs(x).max() * 10 ** (floor_db / 20))
    return x[loud[0] : loud[-1] + 1]


def _fit_speech(syn, text, pitch, pitch_range, wpm, up, down, length_range) -> np.ndarray:
    """(Child only) Trimmed speech whose length resampled by up/down lies in `length_range`.

    The rate is corrected and the text synthesised again while it is out of range; the last
    attempt is returned either way.
    """
    low, high = length_range
    margin = 0.1 * (high - low)
    for _ in range(MAX_ATTEMPTS):
        speech = _trim(_espeak(syn, text, pitch, pitch_range, wpm).values[0])
        length = -(-len(speech) * up // down)  # resample_poly's output length
        wanted = np.clip(length, low + margin, high - margin)
        retimed = int(np.clip(round(wpm * length / wanted), *WPM_RANGE))
        if low <= length <= high or retimed == wpm:
            break
        wpm = retimed
    return speech.astype(np.float32)


def _speech(
    settings: VoiceSettings,
    text: str,
    f0: float,
    wpm: float,
    sample_rate: int,
    length_range: tuple[int, int],
) -> np.ndarray:
    """Trimmed speech at `sample_rate`, `length_range` samples long, formants shifted.

    The formant shift is a tape-speed change: espeak speaks at F0 / shift and rate / shift,
    and its SYNTH_RATE output is read as if sampled at SYNTH_RATE * shift, which scales
    formants, F0 and tempo by the shift together. The shift brings the variant's own formant
    scale to the speaker's formant shift ratio.
    """
    shift = settings.formant_shift_ratio / VARIANT_FORMANT_SCALE[settings.variant]
    ratio = Fraction(sample_rate / (SYNTH_RATE * shift)).limit_denominator(100)
    shift = sample_rate / (SYNTH_RATE * float(ratio))  # as rounded
    a, b, c = _pitch_model(settings.variant)
    pitch_range = int(np.clip(round(DEFAULT_PITCH_RANGE * settings.pitch_range_factor), 0, 99))
    pitch = int(np.clip(round((f0 / shift - a - c * pitch_range) / b), 0, 99))
    syn = _synthesizer(settings.accent, settings.variant)
    wpm = int(np.clip(round(wpm / shift), *WPM_RANGE))
    speech = _isolated(
        _fit_speech,
        syn,
        text,
        pitch,
        pitch_range,
        wpm,
        ratio.numerator,
        ratio.denominator,
        length_range,
    )
    speech = resample_poly(speech.astype(np.float64), ratio.numerator, ratio.denominator)
    if not length_range[0] <= len(speech) <= length_range[1]:
        raise ValueError(f"cannot fit {text!r} into {length_range} samples at {sample_rate} Hz")
    return speech


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
) -> np.ndarray:
    """One clip of `speaker` reading `text`: float32 mono at `sample_rate`, peak <= 0.9.

    Per clip, `rng` varies F0 (+-3%) and rate (+-5%) and draws the padding, the recording
    conditions and the noise of voice quality, room and background. The same speaker, text
    and rng state give the same samples. The duration lies in `duration_range`, or ValueError.
    Not thread-safe; every espeak synthesis runs in a forked child (POSIX only).
    """
    settings = voice_settings(speaker)
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
    speech = _speech(settings, text, f0, wpm, sample_rate, length_range)
    speech = _roughen(speech, settings.roughness, rng, sample_rate)
    speech = _breathe(speech, settings.breathiness, rng, sample_rate)
    clip = _reverberate(
        np.concatenate([np.zeros(lead), speech, np.zeros(trail)]), recording, rng, sample_rate
    )
    clip = sosfilt(butter(2, recording.band_hz, "bandpass", fs=sample_rate, output="sos"), clip)
    clip = _add_noise(clip, float(np.mean(clip[lead : lead + len(speech)] ** 2)), recording, rng)
    return (clip * (recording.peak / np.abs(clip).max())).astype(np.float32)
