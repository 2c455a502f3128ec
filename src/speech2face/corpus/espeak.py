"""Praat's speech engine: the espeak-ng formant synthesiser inside Praat, steered directly.

espeak takes the speaker's F0 (through its pitch settings, calibrated per variant), pitch range
and rate; the formant scale is a tape-speed change (see `speak`).
"""

from __future__ import annotations

import ctypes
import functools
import io
import os
import traceback
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import parselmouth
from parselmouth.praat import call
from scipy.signal import resample_poly

from speech2face.corpus.population import uniform

if TYPE_CHECKING:
    from speech2face.corpus.voice import VoiceSettings

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
DEFAULT_PITCH_RANGE = 50  # espeak's pitch range setting, 0-99
CALIBRATION_TEXT = "The small boat drifted slowly past the quiet harbour at dawn."
MAX_ATTEMPTS = 4  # syntheses to fit a clip into its duration range
WPM_RANGE = (80, 450)  # espeak's speaking rates
_C_LIBRARY = ctypes.CDLL(None)  # this process's C library: espeak-ng's noise is its rand()
FRESH_PROCESS_SEED = 1  # rand()'s state in a process that never called srand()


def variant(female: bool, age: int, roughness: float, z: float) -> str:
    """A gender-appropriate espeak variant; the roughest old men sound creaky."""
    if not female and age >= 65 and roughness > 0.85:
        return ROUGH_VARIANT
    choices = FEMALE_VARIANTS if female else MALE_VARIANTS
    return choices[min(int(uniform(z) * len(choices)), len(choices) - 1)]


@functools.cache
def _synthesizer(accent: str, variant: str) -> parselmouth.Data:
    """One reusable Praat SpeechSynthesizer per accent and variant.

    Creating one synthesises nothing: this process's espeak state stays untouched.
    """
    return call("Create SpeechSynthesizer", accent, variant)


def _isolated(fn, *args) -> np.ndarray:
    """Run `fn(*args)` in a forked child and return its array.

    espeak-ng keeps hidden global state (pitch-flutter phase, ...) that every synthesis
    advances, so the same request gives different samples depending on what was synthesised
    before. A child forked from a process that never synthesises starts from the same state
    every time: same request, same samples, whatever the order of requests. Its noise comes
    from the C library's rand(), which other libraries in the process reseed (importing
    onnxruntime does, unpredictably): the child reseeds it as a fresh process has it.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_fd)
            _C_LIBRARY.srand(FRESH_PROCESS_SEED)
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


def trim(x: np.ndarray, floor_db: float = -40.0) -> np.ndarray:
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
        speech = trim(_espeak(syn, text, pitch, pitch_range, wpm).values[0])
        length = -(-len(speech) * up // down)  # resample_poly's output length
        wanted = np.clip(length, low + margin, high - margin)
        retimed = int(np.clip(round(wpm * length / wanted), *WPM_RANGE))
        if low <= length <= high or retimed == wpm:
            break
        wpm = retimed
    return speech.astype(np.float32)


def speak(
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
