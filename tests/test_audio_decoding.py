"""One decoder for every audio input: real formats in, float32 mono at one rate out, and a
one-line error, with nothing printed, for anything that gives no audio."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import librosa
import numpy as np
import pytest
import soundfile

from speech2face import audio
from speech2face.errors import InputError
from speech2face.ingest import media
from tests.audio_files import encode, f0_error, telephone, voice, write_wav

RATE = 16000
SECONDS = 2.0


def _stereo(rate: int) -> np.ndarray:
    """(2, samples): the voice on the left, at half its level on the right."""
    left = voice(SECONDS, rate)
    return np.stack([left, 0.5 * left])


# name -> (writer of the file, the decoder expected to read it)
FILES = {
    "telephone_8k_ulaw.wav": (
        lambda p: write_wav(p, telephone(voice(SECONDS, 8000), 8000), 8000, "ULAW"),
        "soundfile",
    ),
    "stereo_44k.flac": (lambda p: write_wav(p, _stereo(44100).T, 44100), "soundfile"),
    "vorbis_22k.ogg": (lambda p: write_wav(p, voice(SECONDS, 22050), 22050, "VORBIS"), "soundfile"),
    "voice_48k.opus": (lambda p: encode(p, voice(SECONDS, 48000)[None], 48000, "libopus"), "PyAV"),
    "opus_48k.ogg": (lambda p: encode(p, voice(SECONDS, 48000)[None], 48000, "libopus"), "PyAV"),
    "opus_48k.webm": (lambda p: encode(p, voice(SECONDS, 48000)[None], 48000, "libopus"), "PyAV"),
    "voice_44k.mp3": (
        lambda p: encode(p, voice(SECONDS, 44100)[None], 44100, "libmp3lame"),
        "PyAV",
    ),
    "voice_44k.m4a": (lambda p: encode(p, voice(SECONDS, 44100)[None], 44100, "aac"), "PyAV"),
    "video_48k_stereo.mp4": (
        lambda p: encode(p, _stereo(48000), 48000, "aac", video_seconds=SECONDS),
        "PyAV",
    ),
}
CODEC_PADDING_S = 0.03  # AAC decodes up to ~20 ms more than was encoded


@pytest.mark.parametrize("name", FILES)
def test_each_format_comes_out_mono_at_the_rate_with_its_pitch(tmp_path, monkeypatch, name):
    write, decoder = FILES[name]
    path = write(tmp_path / name)
    used = []
    decode = audio.decode
    monkeypatch.setattr(audio, "decode", lambda *a, **k: used.append("PyAV") or decode(*a, **k))
    samples = audio.load_mono(path, RATE)
    assert (used or ["soundfile"]) == [decoder]
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) / RATE - SECONDS) <= CODEC_PADDING_S
    assert f0_error(samples, RATE, SECONDS) < 0.02


@pytest.mark.parametrize("channels", [1, 2])
def test_a_wav_at_the_rate_is_soundfile_s_samples_bit_for_bit(tmp_path, channels):
    samples = voice(SECONDS, RATE) if channels == 1 else _stereo(RATE).T
    path = write_wav(tmp_path / "voice.wav", samples, RATE)
    expected = soundfile.read(path, dtype="float32", always_2d=True)[0].mean(axis=1)
    loaded = audio.load_mono(path, RATE)
    assert loaded.dtype == np.float32 and np.array_equal(loaded, expected)
    if channels == 1:  # PyAV (the ingest's decoder) gives the same samples
        assert np.array_equal(audio.decode(path, RATE), expected)


def test_soundfile_s_audio_is_resampled_as_librosa_did(tmp_path):
    path = write_wav(tmp_path / "stereo.flac", _stereo(44100).T, 44100)
    mono = soundfile.read(path, dtype="float32")[0].mean(axis=1)
    before = librosa.resample(mono, orig_sr=44100, target_sr=RATE)  # the replaced code
    loaded = audio.load_mono(path, RATE)
    assert len(before) - 1 <= len(loaded) <= len(before)
    assert np.array_equal(loaded, before[: len(loaded)])


def test_pyav_averages_the_channels(tmp_path):
    """Not FFmpeg's own downmix, which adds stereo channels at -3 dB each."""
    path = encode(tmp_path / "stereo.mkv", _stereo(RATE), RATE, "flac")  # 16-bit, lossless
    expected = _stereo(RATE).mean(axis=0)
    assert np.allclose(audio.decode(path, RATE), expected, rtol=0, atol=2**-15)


@pytest.mark.parametrize("reader", ["soundfile", "PyAV"])
def test_resampling_keeps_the_band_and_rejects_what_is_above_it(tmp_path, reader):
    t = np.arange(round(SECONDS * 44100)) / 44100
    level = {}
    for frequency in (3000, 9000):  # kept; above 16 kHz's Nyquist frequency, would alias
        tone = (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
        path = write_wav(tmp_path / f"{frequency}.wav", tone, 44100, "FLOAT")
        out = audio.load_mono(path, RATE) if reader == "soundfile" else audio.decode(path, RATE)
        middle = out[RATE // 4 : -RATE // 4]
        level[frequency] = 20 * np.log10(np.sqrt(np.mean(middle**2)) / (0.5 / np.sqrt(2)))
    assert abs(level[3000]) < 0.1 and level[9000] < -80


def _bad(tmp_path: Path, name: str) -> Path:
    """A file that gives no audio, by its name."""
    path = tmp_path / name
    if name == "empty.mp3":
        path.write_bytes(b"")
    elif name == "random.mp3":  # libsndfile's MP3 decoder would print to stderr on these
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif name == "text.wav":
        path.write_text("not audio at all\n" * 20)
    elif name == "header_only.flac":
        whole = write_wav(tmp_path / "whole.flac", voice(SECONDS, RATE), RATE)
        path.write_bytes(whole.read_bytes()[:60])
    elif name == "cut_short.mp4":  # the index is at the end: the first 40% does not open
        whole = encode(tmp_path / "whole.mp4", voice(SECONDS, 48000)[None], 48000, "aac")
        path.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) * 2 // 5])
    elif name == "no_samples.wav":
        write_wav(path, np.zeros(0, np.float32), RATE)
    elif name == "video_without_audio.mp4":
        encode(path, None, RATE, "aac", video_seconds=1.0)
    elif name == "video_with_empty_audio.mkv":
        encode(path, np.zeros((1, 0), np.float32), 48000, "aac", video_seconds=1.0)
    return path


BAD = {
    "missing.wav": "no such audio file",
    "empty.mp3": "the file is empty (0 bytes)",
    "random.mp3": "cannot open: Invalid data",
    "text.wav": "cannot open: Invalid data",
    "header_only.flac": "cannot open: Invalid data",
    "cut_short.mp4": "cannot open: Invalid data",
    "no_samples.wav": "the audio is empty (no samples)",
    "video_without_audio.mp4": "the file has no audio stream",
    "video_with_empty_audio.mkv": "the audio is empty (no samples)",
}


@pytest.fixture
def ffmpeg_logging():
    """PyAV's logging switched on (to ERROR), as an application might; restored after."""
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    yield av.logging.ERROR
    av.logging.set_level(previous)


@pytest.mark.parametrize("name", BAD)
def test_no_audio_is_one_line_naming_the_file_and_nothing_printed(
    tmp_path, capfd, caplog, ffmpeg_logging, name
):
    path = _bad(tmp_path, name)
    capfd.readouterr()  # what writing the file printed, if anything
    with caplog.at_level(logging.DEBUG), pytest.raises(InputError) as raised:
        audio.load_mono(path, RATE)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and BAD[name] in message and "\n" not in message
    assert capfd.readouterr() == ("", "") and caplog.records == []
    assert av.logging.get_level() == ffmpeg_logging


def test_ingest_reads_through_the_same_decoder_with_its_reasons(tmp_path):
    good = encode(tmp_path / "v.mp4", _stereo(48000), 48000, "aac", video_seconds=SECONDS)
    assert np.array_equal(media.read_audio(good), audio.decode(good, media.SAMPLE_RATE))
    for name, reason in [("video_without_audio.mp4", "no_audio"), ("text.wav", "decode_error")]:
        with pytest.raises(media.MediaError) as raised:
            media.read_audio(_bad(tmp_path, name))
        assert raised.value.reason == reason and str(tmp_path) not in raised.value.detail
    assert media.read_audio(_bad(tmp_path, "video_with_empty_audio.mkv")).size == 0
