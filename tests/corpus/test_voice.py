"""Simulated voices: clip format, determinism and the planted voice traits."""

import ctypes
import dataclasses

import numpy as np
import parselmouth
import pytest
from parselmouth.praat import call

from speech2face.corpus.espeak import FEMALE_VARIANTS, MALE_VARIANTS, ROUGH_VARIANT
from speech2face.corpus.voice import load_sentences, synthesize_clip, voice_settings
from tests.conftest import population

SR = 16000


@pytest.fixture(scope="module")
def speakers():
    return population(80, 0)


@pytest.fixture(scope="module")
def sentences():
    return load_sentences()


@pytest.fixture(scope="module")
def f0_by_gender(speakers, sentences):
    """Measured F0 medians of one clip each of 16 women and 16 men."""
    measured = {}
    for gender in ("female", "male"):
        group = [s for s in speakers if s.gender == gender][:16]
        clips = [synthesize_clip(s, sentences[i * 7], s.clip_rng(0)) for i, s in enumerate(group)]
        measured[gender] = (
            np.array([_median_f0(x) for x in clips]),
            np.array([voice_settings(s).f0_median_hz for s in group]),
        )
    return measured


def _median_f0(x: np.ndarray) -> float:
    f0 = call(parselmouth.Sound(x.astype(np.float64), SR), "To Pitch", 0, 60, 450)
    values = f0.selected_array["frequency"]
    return float(np.median(values[values > 0]))


def _envelope(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Cepstrally smoothed long-term log spectrum of the loud frames, on `grid` (Hz)."""
    frames = np.lib.stride_tricks.sliding_window_view(x, 512)[::128]
    energy = np.mean(frames**2, axis=1)
    frames = frames[energy > 0.05 * energy.max()]
    power = np.mean(np.abs(np.fft.rfft(frames * np.hanning(512), axis=1)) ** 2, axis=0)
    cepstrum = np.fft.irfft(np.log(power + 1e-12))
    cepstrum[20:-20] = 0.0
    return np.interp(grid, np.fft.rfftfreq(512, 1 / SR), np.fft.rfft(cepstrum).real)


def _formant_scale(x: np.ndarray, y: np.ndarray) -> float:
    """How much higher y's spectral envelope sits than x's: the best shift on a log axis."""
    grid = np.geomspace(300.0, 3500.0, 300)
    ex, ey = _envelope(x, grid), _envelope(y, grid)
    lags = np.arange(-40, 41)
    fits = [
        np.corrcoef(
            ex[max(0, -lag) : len(ex) - max(0, lag)], ey[max(0, lag) : len(ey) - max(0, -lag)]
        )[0, 1]
        for lag in lags
    ]
    return float((grid[1] / grid[0]) ** lags[int(np.argmax(fits))])


def test_sentence_bank():
    sentences = load_sentences()
    assert len(set(sentences)) == len(sentences) >= 200
    assert all(s.isascii() and 8 <= len(s.split()) <= 16 for s in sentences)


def test_clip_format_and_duration(speakers, sentences):
    for i, speaker in enumerate(speakers[:8]):
        x = synthesize_clip(speaker, sentences[i * 31], speaker.clip_rng(i))
        assert x.dtype == np.float32 and x.ndim == 1
        assert np.all(np.isfinite(x)) and 0.2 < np.abs(x).max() <= 0.9
        assert 3.0 <= len(x) / SR <= 6.0
        noise_floor = np.mean(x[: int(0.04 * SR)] ** 2)  # the leading padding
        assert 10 * np.log10(np.mean(x**2) / noise_floor) > 15  # not silent


def test_other_rate_and_duration_range(speakers, sentences):
    speaker = speakers[1]
    x = synthesize_clip(speaker, sentences[3], speaker.clip_rng(0), 22050, (4.0, 4.5))
    assert 4.0 <= len(x) / 22050 <= 4.5


def test_hopeless_duration_raises(speakers):
    with pytest.raises(ValueError):
        synthesize_clip(speakers[0], "Yes.", speakers[0].clip_rng(0), duration_range=(8.0, 9.0))


def test_deterministic_whatever_the_order(speakers, sentences):
    a, b = speakers[2], speakers[3]
    first = synthesize_clip(a, sentences[0], a.clip_rng(5))
    synthesize_clip(b, sentences[1], b.clip_rng(5))
    again = synthesize_clip(a, sentences[0], a.clip_rng(5))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, synthesize_clip(a, sentences[0], a.clip_rng(6)))


def test_the_same_clip_whatever_the_process_did_to_the_c_random_generator(speakers, sentences):
    """espeak-ng's noise is the C library's rand(), which other libraries reseed (importing
    onnxruntime does, at random): a clip must not depend on it."""
    c_library = ctypes.CDLL(None)
    chosen = [s for s in speakers if s.engine == "praat"][:4]
    runs = []
    for seed in (12345, 777):
        c_library.srand(seed)
        runs.append([synthesize_clip(s, sentences[9], s.clip_rng(0)) for s in chosen])
    for first, second in zip(*runs):
        assert np.array_equal(first, second)


def test_variants_fit_gender():
    for s in population(300, 1):
        variant = voice_settings(s).variant
        if s.gender == "female":
            assert variant in FEMALE_VARIANTS
        else:
            assert variant in MALE_VARIANTS or (variant == ROUGH_VARIANT and s.age >= 65)


def test_f0_ranges_by_gender(f0_by_gender):
    female, female_target = f0_by_gender["female"]
    male, male_target = f0_by_gender["male"]
    assert np.median(female) > np.median(male) + 50
    assert np.mean((male >= 85) & (male <= 180)) >= 0.85
    assert np.mean((female >= 165) & (female <= 255)) >= 0.75
    errors = np.abs(np.concatenate([female / female_target, male / male_target]) - 1)
    assert np.median(errors) < 0.05


def test_larger_size_lowers_formants_and_f0(speakers, sentences):
    for speaker in speakers[:6]:
        small, large = (
            dataclasses.replace(speaker, voice={**speaker.voice, "size": z}) for z in (-1.5, 1.5)
        )
        assert voice_settings(large).formant_shift_ratio < voice_settings(small).formant_shift_ratio
        x_small = synthesize_clip(small, sentences[10], np.random.default_rng(1))
        x_large = synthesize_clip(large, sentences[10], np.random.default_rng(1))
        assert _formant_scale(x_large, x_small) > 1.04  # planted: exp(0.05 * 3) = 1.16
        assert _median_f0(x_large) < _median_f0(x_small)
