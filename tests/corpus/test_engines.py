"""The corpus's speech engines: each steered to the speaker's voice, deterministic, and the
held-out engine's voices never of a person a training engine uses."""

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import parselmouth
import pytest
from parselmouth.praat import call

from speech2face.corpus import engines
from speech2face.corpus.espeak import CALIBRATION_TEXT
from speech2face.corpus.population import assign_engines, with_engine
from speech2face.corpus.voice import load_sentences, synthesize_clip, voice_settings
from speech2face.errors import InputError
from tests.conftest import population
from tests.corpus.test_voice import _formant_scale, _median_f0

RECORDED = [(e, v) for e, voices in engines.RECORDED_VOICES.items() for v in voices]
NEUTRAL_TRACT = np.array([500.0, 1500.0, 2500.0])


def _formants(samples: np.ndarray, rate: int) -> float:
    """Geometric mean of the F1-F3 medians over voiced frames, re a neutral male tract."""
    sound = parselmouth.Sound(samples, rate)
    formant = call(sound, "To Formant (burg)", 0.01, 5, 5500, 0.025, 50)
    pitch = call(sound, "To Pitch", 0.01, 60, 500)
    times = [
        t
        for t in np.arange(0.05, sound.duration - 0.05, 0.01)
        if np.isfinite(call(pitch, "Get value at time", t, "Hertz", "linear"))
    ]
    medians = [
        np.nanmedian([call(formant, "Get value at time", i, t, "hertz", "linear") for t in times])
        for i in (1, 2, 3)
    ]
    return float(np.exp(np.mean(np.log(np.array(medians) / NEUTRAL_TRACT))))


@pytest.mark.parametrize(("engine", "voice"), RECORDED)
def test_formant_scales_are_as_measured(engine, voice):
    readings = engines.read_sentences((engine, voice, [CALIBRATION_TEXT]))
    samples, rate = readings[engine, voice, CALIBRATION_TEXT]
    measured = _formants(samples / 32768.0, rate)
    assert measured == pytest.approx(engines.RECORDED_VOICES[engine][voice][1], rel=0.04)


def test_held_out_voices_are_of_people_training_never_hears():
    assert engines.voices("flite", held_out_from=["praat", "festival"]) == ("kal16", "awb", "rms")
    assert engines.voices("festival", held_out_from=["flite"]) == ("ked_diphone",)
    assert engines.voices("flite", held_out_from=["festival", "flite"]) == ()
    assert engines.voices("flite") == tuple(engines.RECORDED_VOICES["flite"])
    assert engines.voices("praat", held_out_from=["flite"]) == ()


@pytest.fixture(scope="module")
def speakers():
    return population(60, 3)


@pytest.mark.parametrize("engine", ["festival", "flite"])
def test_recorded_engines_take_the_speaker_s_f0_and_formants(speakers, engine):
    sentences = load_sentences()
    measured, wanted = [], []
    for i, speaker in enumerate(speakers[:12]):
        voiced = with_engine(speaker, engine, engines.voices(engine))
        clip = synthesize_clip(voiced, sentences[i], voiced.clip_rng(0))
        assert clip.dtype == np.float32 and 3.0 <= len(clip) / 16000 <= 6.0
        measured.append(_median_f0(clip))
        wanted.append(voice_settings(voiced).f0_median_hz)
    assert np.median(np.abs(np.array(measured) / np.array(wanted) - 1)) < 0.05
    speaker = with_engine(speakers[0], engine, engines.voices(engine))
    small, large = (
        dataclasses.replace(speaker, voice={**speaker.voice, "size": z}) for z in (-1.5, 1.5)
    )
    x_small = synthesize_clip(small, sentences[10], np.random.default_rng(1))
    x_large = synthesize_clip(large, sentences[10], np.random.default_rng(1))
    assert _formant_scale(x_large, x_small) > 1.04  # planted: exp(0.05 * 3) = 1.16


def test_recorded_clips_are_deterministic(speakers):
    sentences = load_sentences()
    speaker = with_engine(speakers[5], "festival", engines.voices("festival"))
    first = synthesize_clip(speaker, sentences[3], speaker.clip_rng(2))
    other = with_engine(speakers[6], "flite", engines.voices("flite"))
    synthesize_clip(other, sentences[4], other.clip_rng(2))
    assert np.array_equal(first, synthesize_clip(speaker, sentences[3], speaker.clip_rng(2)))


def test_festival_reads_quotes_and_backslashes():
    text = 'She said "stop" \\ and left.'
    samples, rate = engines.read_sentences(("festival", "ked_diphone", [text]))[
        "festival", "ked_diphone", text
    ]
    assert rate == 16000 and len(samples) > rate


def test_engines_are_shared_out_evenly(speakers):
    people = population(300, 4)
    voices = {e: engines.voices(e) for e in engines.ENGINES}
    assigned = assign_engines(people, {"praat": 0.5, "festival": 0.3, "flite": 0.2}, voices, 4)
    assert [s.speaker_id for s in assigned] == [s.speaker_id for s in people]
    for key in ("split", "gender"):
        for value in {getattr(s, key) for s in people}:
            group = [s.engine for s in assigned if getattr(s, key) == value]
            assert abs(group.count("festival") / len(group) - 0.3) < 0.05
    assert all(s.engine_voice in voices[s.engine] for s in assigned if s.engine != "praat")
    alone = assign_engines(people, {"praat": 1.0}, voices, 4)
    assert alone == [dataclasses.replace(s, engine="praat", engine_voice="") for s in people]


def test_unknown_or_missing_engine_is_a_one_line_error(monkeypatch):
    with pytest.raises(InputError, match=re.escape("unknown speech engine 'mbrola'")):
        engines.check_engine("mbrola")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="make system-packages") as error:
        engines.check_engine("festival")
    assert "\n" not in str(error.value)


def test_the_makefile_installs_every_engine_s_packages():
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    listed = set(re.search(r"^ENGINE_PACKAGES := (.+)$", makefile, re.M).group(1).split())
    assert {p for packages in engines.PACKAGES.values() for p in packages} <= listed


def test_a_speaker_sounds_alike_through_every_engine():
    """The same speakers' formants and tempo through each engine, re what they were set to,
    averaged over women and men: within a few percent of Praat's espeak."""
    sentences = load_sentences()
    people = population(200, 7)
    chosen = [s for s in people if s.gender == "female"][:10]
    chosen += [s for s in people if s.gender == "male"][:10]
    realised = {}
    for engine in engines.ENGINES:
        formants, tempo = [], []
        for i, speaker in enumerate(chosen):
            voiced = with_engine(speaker, engine, engines.voices(engine))
            settings = voice_settings(voiced)
            text = sentences[i]
            speech = engines.speak(
                settings,
                text,
                settings.f0_median_hz,
                settings.rate_wpm,
                16000,
                (30000, 90000),
                voiced.clip_rng(0),
            )
            formants.append(
                _formants(speech.astype(np.float64), 16000) / settings.formant_shift_ratio
            )
            tempo.append(len(speech) / 16000 / (len(text.split()) * 60 / settings.rate_wpm))
        realised[engine] = (np.mean(formants), np.mean(tempo))
    for engine in ("festival", "flite"):
        assert realised[engine][0] == pytest.approx(realised["praat"][0], rel=0.03), realised
        assert realised[engine][1] == pytest.approx(realised["praat"][1], rel=0.05), realised
