"""`speech2face predict`: any recording -> a face picture and attributes; clear errors."""

import mlflow
import numpy as np
import pytest
import soundfile
from PIL import Image

from tests.conftest import run_cli


def vowel(seconds: float, rate: int, f0: float = 140.0) -> np.ndarray:
    """A voiced sound unlike the corpus's synthesiser: harmonics under a slow vibrato."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))) / rate
    wave = sum(np.sin(k * phase) / k for k in range(1, 20))
    return (0.2 * wave / np.abs(wave).max()).astype(np.float32)


@pytest.fixture
def models(trained):
    return trained[0] / "models"


def test_stereo_flac_at_another_rate_gives_a_face_and_attributes(models, tmp_path):
    audio = tmp_path / "voice.flac"
    left = vowel(1.3, 44100)
    soundfile.write(audio, np.stack([left, 0.5 * left], axis=1), 44100)
    out = tmp_path / "face.png"
    result = run_cli("predict", audio, "-o", out, "--models", models, "--attributes", "--size", 96)
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (96, 96) and image.mode == "RGB"
    for line in ("gender: ", "age_group: ", "ethnicity: ", "age: "):
        assert line in result.output


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such audio file"),
        (lambda p: p.write_bytes(b"not audio at all" * 10), "cannot read audio"),
        (lambda p: soundfile.write(p, np.zeros(0, np.float32), 16000), "empty"),
        (lambda p: soundfile.write(p, np.zeros(16000, np.float32), 16000), "silent"),
    ],
)
def test_bad_audio_is_a_clear_error_and_writes_nothing(models, tmp_path, make, message):
    audio = tmp_path / "voice.wav"
    make(audio)
    out = tmp_path / "face.png"
    result = run_cli("predict", audio, "-o", out, "--models", models)
    assert result.exit_code == 2
    assert message in result.output and str(audio) in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_models_of_an_evaluated_mlflow_run(evaluated, tmp_path):
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string="tags.`speech2face.kind` = 'pipeline'",
        output_format="list",
    )
    run = next(r for r in runs if "speech2face.models.voice_encoder" in r.data.tags)
    audio = tmp_path / "voice.wav"
    soundfile.write(audio, vowel(2.0, 16000), 16000)
    out = tmp_path / "face.png"
    result = run_cli("predict", audio, "-o", out, "--run-id", run.info.run_id)
    assert result.exit_code == 0, result.output
    assert out.exists()
    missing = run_cli("predict", audio, "-o", out, "--run-id", "0" * 32)
    assert missing.exit_code == 2 and "MLflow run" in missing.output
