"""`speech2face predict`: any recording -> a face picture and attributes; clear errors."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest
import soundfile
from PIL import Image

from speech2face.paths import ROOT_VARIABLE as PROJECT
from tests.audio_files import encode, telephone, write_wav
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
    ("name", "write"),
    [
        ("voice.opus", lambda p: encode(p, vowel(1.5, 48000)[None], 48000, "libopus")),
        ("telephone.wav", lambda p: write_wav(p, telephone(vowel(1.5, 8000), 8000), 8000, "ULAW")),
    ],
)
def test_opus_and_8_khz_telephone_audio_give_a_face(models, tmp_path, name, write):
    audio = write(tmp_path / name)
    out = tmp_path / "face.png"
    result = run_cli("predict", audio, "-o", out, "--models", models)
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.mode == "RGB"


def float_wav(path: Path, samples: np.ndarray) -> None:
    """A 32-bit float WAV: a common format that carries NaN and infinite samples."""
    write_wav(path, np.asarray(samples, np.float32), 16000, subtype="FLOAT")


def spiked(value: float) -> np.ndarray:
    """Two seconds of a voice with one sample `value`."""
    samples = vowel(2.0, 16000)
    samples[5000] = value
    return samples


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("voice.wav", lambda p: None, "no such audio file"),
        ("voice.wav", lambda p: p.write_bytes(b"not audio at all" * 10), "cannot read audio"),
        ("voice.wav", lambda p: soundfile.write(p, np.zeros(0, np.float32), 16000), "empty"),
        ("voice.wav", lambda p: soundfile.write(p, np.zeros(16000, np.float32), 16000), "silent"),
        ("nan.wav", lambda p: float_wav(p, np.full(32000, np.nan)), "32000 NaN, 0 infinite"),
        ("inf.wav", lambda p: float_wav(p, spiked(np.inf)), "(0 NaN, 1 infinite)"),
        (
            "voice.mp3",
            lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)),
            "cannot read audio",
        ),
        (
            "video.mp4",
            lambda p: encode(p, None, 16000, "aac", video_seconds=1.0),
            "no audio stream",
        ),
    ],
)
def test_bad_audio_is_a_clear_error_and_writes_nothing(
    models, tmp_path, capfd, name, make, message
):
    audio = tmp_path / name
    make(audio)
    out = tmp_path / "face.png"
    capfd.readouterr()
    result = run_cli("predict", audio, "-o", out, "--models", models)
    assert result.exit_code == 2
    assert message in result.output and str(audio) in result.output
    assert result.output.count("\n") == 1 and capfd.readouterr() == ("", "")
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
    latest = run_cli("predict", audio, "-o", tmp_path / "latest.png", "--run-id", "latest")
    assert latest.exit_code == 0, latest.output
    assert (tmp_path / "latest.png").read_bytes() == out.read_bytes()  # the same models


def test_runs_lists_pipeline_runs_by_name_with_their_metrics(evaluated):
    result = run_cli("runs", "--limit", 3)
    assert result.exit_code == 0, result.output
    header, *rows = result.output.strip().splitlines()
    assert header.split()[:4] == ["started", "run_id", "name", "status"]
    assert any(" pipeline " in f" {row} " and "yes" in row.split() for row in rows)


def speech2face(*args, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The installed command in a new process, from `cwd` (the folder decides the project)."""
    command = [str(Path(sys.executable).parent / "speech2face"), *map(str, args)]
    environment = {k: v for k, v in os.environ.items() if k not in ("DVC_ROOT", PROJECT)}
    return subprocess.run(
        command, cwd=cwd, env={**environment, **env}, capture_output=True, text=True
    )


@pytest.fixture
def project(models, tmp_path) -> Path:
    """A checkout with trained models, and a sub-folder with a `dvc.yaml` of its own."""
    root = tmp_path / "project"
    (root / ".dvc").mkdir(parents=True)
    (root / "dvc.yaml").write_text("stages: {}\n")
    shutil.copytree(models, root / "models")
    (root / "tuning").mkdir()
    (root / "tuning" / "dvc.yaml").write_text("stages: {}\n")
    soundfile.write(tmp_path / "voice.wav", vowel(2.0, 16000), 16000)
    return root


def test_predict_finds_the_project_from_a_sub_folder_or_by_variable(project, tmp_path):
    voice = tmp_path / "voice.wav"
    inside = speech2face("predict", voice, "-o", "face.png", cwd=project / "tuning")
    assert inside.returncode == 0, inside.stderr
    assert (project / "tuning" / "face.png").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pointed = speech2face("predict", voice, "-o", "face.png", cwd=elsewhere, **{PROJECT: project})
    assert pointed.returncode == 0, pointed.stderr
    assert (elsewhere / "face.png").exists()


def test_missing_models_say_where_they_were_looked_for(project, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    result = run_cli("predict", tmp_path / "voice.wav", "-o", tmp_path / "f.png", "--models", empty)
    assert result.exit_code == 2
    assert str(empty) in result.output and "--models" in result.output
    assert "voice_encoder" in result.output and "Traceback" not in result.output


def test_help_shows_project_defaults_not_this_machine_s_paths(project):
    shown = speech2face("predict", "-h", cwd=project / "tuning")
    assert shown.returncode == 0
    assert "models in the project" in shown.stdout and str(project) not in shown.stdout
    assert "AUDIO" in shown.stdout and "<bool>" not in shown.stdout
