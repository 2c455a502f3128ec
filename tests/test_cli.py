"""The CLI starts fast: heavy libraries load only inside the commands that use them."""

import subprocess
import sys

from tests.conftest import run_cli

HEAVY = (
    "torch",
    "great_expectations",
    "parselmouth",
    "mlflow",
    "lightning",
    "pandas",
    "librosa",
    "optuna",
)


def test_importing_the_cli_loads_no_heavy_library():
    code = "import sys, speech2face.cli; print(sorted(m for m in {} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code.format(HEAVY)], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert loaded == "[]"


def test_help_lists_one_command_per_stage():
    result = run_cli("--help")
    assert result.exit_code == 0
    for stage in ("generate", "validate_raw", "preprocess", "validate_features", "tune"):
        assert stage in result.output


def test_bad_params_file_is_a_clear_error(tmp_path):
    result = run_cli("generate", "--params", tmp_path / "missing.yaml", "--out", tmp_path / "raw")
    assert result.exit_code == 2
    assert "missing.yaml" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "raw").exists()
