"""The speech engines of the simulated corpus, and how a speaker's voice is made with each.

- `praat`: Praat's built-in espeak-ng, a formant synthesiser steered directly (`espeak.py`).
- `festival`: Debian's Festival with its English voices in main (diphone and HTS).
- `flite`: Debian's Flite, CMU's small engine, with its CLUSTERGEN and diphone voices.

Festival's and Flite's voices are recordings of real people made into synthesisers. Each reads
a sentence in its own voice; Praat's "Change gender" (PSOLA) then moves it to the speaker's F0
median, pitch range, formant scale and speaking rate: the controls espeak takes directly. The
voice quality, the room and the noise are added to every engine's speech alike (`voice.py`).

Each recorded voice names the person recorded: an engine held out of training speaks only with
voices of people no training engine uses (`voices`), so its test is of an unheard synthesiser
and unheard people both.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import parselmouth
import soundfile
from parselmouth import praat
from parselmouth.praat import call
from scipy.signal import resample_poly

from speech2face.corpus import espeak
from speech2face.errors import InputError

if TYPE_CHECKING:
    from speech2face.corpus.voice import VoiceSettings

PRAAT = "praat"
# engine -> voice -> (the person recorded, formant scale). The scale is the geometric mean of
# the voice's F1-F3 medians over the voiced frames of espeak.CALIBRATION_TEXT (Praat, Burg, 5
# formants up to 5500 Hz) re a neutral adult male tract (500, 1500, 2500 Hz), where espeak's
# default male voice sits (measured 1.03). tests/corpus/test_engines.py measures them again.
RECORDED_VOICES: dict[str, dict[str, tuple[str, float]]] = {
    # Not Festival's kal_diphone: the women PSOLA made of it carried next to no identity
    # (test speakers: cosine 0.015 between the predicted and the true embedding's departures
    # from their means, 0.20-0.44 for every other voice).
    "festival": {
        "ked_diphone": ("ked", 0.99),
        "cmu_us_slt_arctic_hts": ("slt", 1.13),
    },
    "flite": {
        "kal16": ("kal", 1.00),
        "awb": ("awb", 0.93),
        "rms": ("rms", 0.99),
        "slt": ("slt", 1.10),
    },
}
ENGINES = (PRAAT, *RECORDED_VOICES)
# So that a speaker sounds alike through every engine: the formants PSOLA gives each recorded
# engine, re those of Praat's espeak for the same speaker (F1-F3 measured over 40 speakers,
# women and men: Festival's came out 2.7% lower, Flite's 5.4%), and espeak-ng's tempo, 10%
# faster than the rate it is set to (its speech lasts 0.88 of the nominal time).
ENGINE_FORMANTS = {"festival": 0.973, "flite": 0.946}
ESPEAK_TEMPO = 1.10
# The Debian packages (main) each engine needs, and the command they install.
PACKAGES = {
    "festival": ("festival", "festvox-kdlpc16k", "festvox-us-slt-hts"),
    "flite": ("flite",),
}
PITCH_FLOOR, PITCH_CEILING = 75.0, 600.0  # Hz, of PSOLA's pitch analysis
DURATION_FACTORS = (0.5, 2.0)  # the furthest PSOLA stretches a sentence
SYNTHESIS_TIMEOUT_S = 600


def check_engine(engine: str) -> None:
    """A one-line error when `engine` is unknown or its program is not installed."""
    if engine not in ENGINES:
        raise InputError(f"unknown speech engine {engine!r}: choose from {', '.join(ENGINES)}")
    if engine != PRAAT and shutil.which(engine) is None:
        packages = " ".join(PACKAGES[engine])
        raise InputError(
            f"speech engine {engine!r} is not installed: `make system-packages` "
            f"(or apt-get install {packages})"
        )


def voices(engine: str, held_out_from: Iterable[str] = ()) -> tuple[str, ...]:
    """The recorded voices `engine` speaks with (none for praat, which has its own variants);
    held out from the engines `held_out_from` (those training uses), only voices of people
    none of them uses."""
    if engine == PRAAT:
        return ()
    used = {
        person for other in held_out_from for person, _ in RECORDED_VOICES.get(other, {}).values()
    }
    return tuple(v for v, (person, _) in RECORDED_VOICES[engine].items() if person not in used)


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _festival(voice: str, texts: list[str], folder: Path) -> list[Path]:
    """Festival reads `texts` in one process (its start-up costs ~0.15 s, a sentence ~10 ms)."""
    paths = [folder / f"{i}.wav" for i in range(len(texts))]
    say = "(utt.save.wave (utt.synth (Utterance Text {})) {} 'riff)"
    lines = [f"(voice_{voice})"]
    lines += [say.format(_scheme_string(t), _scheme_string(str(p))) for t, p in zip(texts, paths)]
    script = folder / "script.scm"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _run(["festival", "-b", str(script)], voice)
    return paths


def _flite(voice: str, texts: list[str], folder: Path) -> list[Path]:
    paths = []
    for i, text in enumerate(texts):
        source, path = folder / f"{i}.txt", folder / f"{i}.wav"
        source.write_text(text, encoding="utf-8")
        _run(["flite", "-voice", voice, "-f", str(source), "-o", str(path)], voice)
        paths.append(path)
    return paths


def _run(command: list[str], voice: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=SYNTHESIS_TIMEOUT_S)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise RuntimeError(f"{command[0]} voice {voice} failed: {message[-1] if message else ''}")


Reading = tuple[np.ndarray, int]  # int16 samples, rate
# (engine, voice, text) -> its reading: every speaker of a voice reads a sentence from the same
# recording, which PSOLA moves to their own voice.
_READINGS: dict[tuple[str, str, str], Reading] = {}


def read_sentences(batch: tuple[str, str, Iterable[str]]) -> dict[tuple[str, str, str], Reading]:
    """(engine, voice, texts) -> each text read by that voice."""
    engine, voice, texts = batch
    texts = [str(t) for t in texts]
    check_engine(engine)
    readings = {}
    with tempfile.TemporaryDirectory(prefix=f"speech2face-{engine}-") as folder:
        reader = _festival if engine == "festival" else _flite
        for text, path in zip(texts, reader(voice, texts, Path(folder))):
            samples, rate = soundfile.read(path, dtype="int16")
            if samples.ndim != 1 or len(samples) == 0:
                raise RuntimeError(f"{engine} voice {voice} read nothing for {text!r}")
            readings[engine, voice, text] = (samples, rate)
    return readings


def remember(readings: dict[tuple[str, str, str], Reading]) -> None:
    """Keep `readings` for this process and the workers it forks."""
    _READINGS.update(readings)


def _recorded(engine: str, voice: str, text: str) -> tuple[np.ndarray, int]:
    if (engine, voice, text) not in _READINGS:
        remember(read_sentences((engine, voice, [text])))
    samples, rate = _READINGS[engine, voice, text]
    return samples / 32768.0, rate


def _psola(
    seed: int,
    settings: VoiceSettings,
    text: str,
    f0: float,
    wpm: float,
    sample_rate: int,
    length_range,
):
    """A recorded voice's sentence at the speaker's F0, pitch range, formants and rate."""
    samples, rate = _recorded(settings.engine, settings.variant, text)
    speech = espeak.trim(samples)
    natural_s = len(speech) / rate
    low, high = length_range
    margin = 0.1 * (high - low)
    wanted_s = np.clip(
        len(text.split()) * 60.0 / (wpm * ESPEAK_TEMPO),
        (low + margin) / sample_rate,
        (high - margin) / sample_rate,
    )
    duration = float(np.clip(wanted_s / natural_s, *DURATION_FACTORS))
    scale = RECORDED_VOICES[settings.engine][settings.variant][1] * ENGINE_FORMANTS[settings.engine]
    shift = settings.formant_shift_ratio / scale
    sound = parselmouth.Sound(speech, rate)
    # PSOLA fills voiceless stretches from Praat's global random generator.
    praat.run(f"random_initializeWithSeedUnsafelyButPredictably ({seed})")
    moved = call(
        sound,
        "Change gender",
        PITCH_FLOOR,
        PITCH_CEILING,
        shift,
        f0,
        settings.pitch_range_factor,
        duration,
    )
    ratio = Fraction(sample_rate, int(moved.sampling_frequency))
    return espeak.trim(resample_poly(moved.values[0], ratio.numerator, ratio.denominator))


def speak(
    settings: VoiceSettings,
    text: str,
    f0: float,
    wpm: float,
    sample_rate: int,
    length_range: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """Trimmed speech of `text` in the speaker's voice at `sample_rate`, `length_range` samples
    long (ValueError when it cannot be), by the speaker's engine. `rng` seeds what is random in
    it without being advanced."""
    if settings.engine == PRAAT:
        return espeak.speak(settings, text, f0, wpm, sample_rate, length_range)
    seed = int(rng.spawn(1)[0].integers(2**31))
    speech = _psola(seed, settings, text, f0, wpm, sample_rate, length_range)
    if not length_range[0] <= len(speech) <= length_range[1]:
        raise ValueError(
            f"cannot fit {text!r} ({settings.engine} {settings.variant}) into {length_range} "
            f"samples at {sample_rate} Hz"
        )
    return speech
