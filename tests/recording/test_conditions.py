"""Degraded test sets: each condition does what it says, keeps F0 and length, and is seeded."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from speech2face.features.preprocess import f0_median
from speech2face.recording import conditions
from speech2face.recording.conditions import CONDITIONS, degrade, parse_condition
from tests.recording.signals import F0, SAMPLE_RATE, harmonic, white


def test_names_are_parsed_robustly():
    assert parse_condition(" SNR_10 ") == ("snr", 10.0)
    assert parse_condition("snr_-5dB") == ("snr", -5.0)
    assert parse_condition("gain_+6") == ("gain", 6.0)
    assert parse_condition("opus") == ("codec", ("opus", 16))
    assert parse_condition("mp3_64kbps") == ("codec", ("mp3", 64))
    assert parse_condition("Reverb") == ("reverb", None)
    for name in CONDITIONS:
        parse_condition(name)


@pytest.mark.parametrize("name", ["pitch_2", "snr", "snr_ten", "reverb_2", "aac", "", None])
def test_unknown_conditions_are_clear_errors(name):
    with pytest.raises(ValueError, match="unknown condition"):
        degrade(np.zeros((1, 1600), np.float32), SAMPLE_RATE, name, 0)


def test_waveforms_must_be_clips_by_samples():
    with pytest.raises(ValueError, match="clips, samples"):
        degrade(np.zeros(1600, np.float32), SAMPLE_RATE, "clean", 0)


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0, 0.0])
def test_noise_is_added_at_the_snr(snr_db):
    # Tone bursts on 20 ms frame boundaries with pauses: the SNR is against the bursts' power.
    clips = np.stack([harmonic(1.0, f0) for f0 in (110.0, 150.0, 220.0)])
    on = (np.arange(clips.shape[1]) // 3200) % 2 == 0
    clips[:, ~on] = 0.0
    noisy = degrade(clips, SAMPLE_RATE, f"snr_{snr_db:g}", seed=1)
    noise_power = ((noisy - clips) ** 2).mean(axis=1)
    speech_power = (clips[:, on] ** 2).mean(axis=1)
    np.testing.assert_allclose(10 * np.log10(speech_power / noise_power), snr_db, atol=0.5)


def _band_db(before: np.ndarray, after: np.ndarray, low: float, high: float) -> np.ndarray:
    frequencies, power_before = welch(before, SAMPLE_RATE, nperseg=2048)
    _, power_after = welch(after, SAMPLE_RATE, nperseg=2048)
    band = (frequencies >= low) & (frequencies < high)
    return 10 * np.log10(power_after[:, band].sum(axis=1) / power_before[:, band].sum(axis=1))


def test_telephone_keeps_300_to_3400_hz_only():
    noise = white(2, 2.0)
    line = degrade(noise, SAMPLE_RATE, "telephone", 0)
    assert line.shape == noise.shape and line.dtype == np.float32
    assert np.all(_band_db(noise, line, 0, 250) < -30)
    assert np.all(_band_db(noise, line, 3500, 8000) < -30)
    assert np.all(np.abs(_band_db(noise, line, 500, 3000)) < 1.0)


def _aligned_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 2000) -> tuple[float, int]:
    lags = range(-max_lag, max_lag + 1, 1)
    n = len(a)
    best = max(
        lags,
        key=lambda lag: np.dot(a[max(0, lag) : n + min(0, lag)], b[max(0, -lag) : n - max(0, lag)]),
    )
    x, y = a[max(0, best) : n + min(0, best)], b[max(0, -best) : n - max(0, best)]
    return float(np.corrcoef(x, y)[0, 1]), best


@pytest.mark.parametrize("name", ["opus", "mp3", "opus_32", "mp3_64"])
def test_codec_round_trip_keeps_length_and_signal(name):
    clip = harmonic(1.0) + white(1, 1.0, level=0.005)[0]
    coded = degrade(clip[None], SAMPLE_RATE, name, 0)[0]
    assert coded.shape == clip.shape and coded.dtype == np.float32
    assert not np.allclose(coded, clip)
    correlation, lag = _aligned_correlation(coded, clip, max_lag=400)
    assert correlation > 0.9
    assert abs(lag) <= 2  # FFmpeg's containers carry the codec delay: it comes back aligned


def test_reverb_adds_a_decaying_tail_and_keeps_length():
    clip = harmonic(1.0)
    clip[SAMPLE_RATE // 2 :] = 0.0  # half a second of tone, half a second of silence
    wet = degrade(np.stack([clip] * 4), SAMPLE_RATE, "reverb", seed=3)
    assert wet.shape == (4, SAMPLE_RATE)
    tone_power = np.mean(clip[: SAMPLE_RATE // 2] ** 2)
    early = np.mean(wet[:, 8200:9600] ** 2, axis=1)  # 12-100 ms after the end
    late = np.mean(wet[:, 12000:16000] ** 2, axis=1)  # 250-500 ms after
    assert np.all(early > 1e-4 * tone_power)  # the room rings on
    assert np.all(late < early)  # and decays
    correlation, lag = _aligned_correlation(wet[0, :8000], clip[:8000], max_lag=200)
    assert lag == 0 and correlation > 0.3  # the direct path stays where the dry sound was


def test_seeded_deterministic_and_independent_of_chunks(monkeypatch):
    clips = np.stack([harmonic(0.5, f0) for f0 in (100.0, 130.0, 170.0, 210.0, 250.0)])
    for name in ("snr_5", "reverb"):
        once = degrade(clips, SAMPLE_RATE, name, seed=7)
        np.testing.assert_array_equal(once, degrade(clips, SAMPLE_RATE, name, seed=7))
        assert not np.allclose(once, degrade(clips, SAMPLE_RATE, name, seed=8))
        same = {"rtol": 0, "atol": 1e-6}  # batched FFTs round the last bit differently
        np.testing.assert_allclose(once[:2], degrade(clips[:2], SAMPLE_RATE, name, seed=7), **same)
        monkeypatch.setattr(conditions, "CHUNK", 2)
        np.testing.assert_allclose(once, degrade(clips, SAMPLE_RATE, name, seed=7), **same)
        monkeypatch.undo()


def test_loud_clips_are_scaled_down_not_clipped():
    loud = harmonic(0.5, level=0.99)[None]
    out = degrade(loud, SAMPLE_RATE, "snr_0", 0)
    assert np.abs(out).max() == pytest.approx(1.0)
    np.testing.assert_array_equal(degrade(loud, SAMPLE_RATE, "clean", 0), loud)
    np.testing.assert_allclose(degrade(loud, SAMPLE_RATE, "gain_-6", 0), loud * 10 ** (-6 / 20))


@pytest.mark.parametrize("name", CONDITIONS + ("gain_-12",))
def test_no_condition_changes_f0(name):
    tone = harmonic(1.0)
    f0 = f0_median(degrade(tone[None], SAMPLE_RATE, name, seed=0)[0], SAMPLE_RATE, (60, 600))
    assert f0 == pytest.approx(F0, rel=0.02)
