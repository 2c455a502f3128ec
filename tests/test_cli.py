"""The CLI starts fast: heavy libraries load only inside the commands that use them."""

import os
import platform
import subprocess
import sys

import pytest

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
    for stage in (
        "corpus",
        "generate",
        "ingest",
        "validate_raw",
        "preprocess",
        "validate_features",
        "tune",
    ):
        assert stage in result.output


def test_bad_params_file_is_a_clear_error(tmp_path):
    result = run_cli("generate", "--params", tmp_path / "missing.yaml", "--out", tmp_path / "raw")
    assert result.exit_code == 2
    assert "missing.yaml" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "raw").exists()


def test_help_is_plain_with_short_flags_and_capital_metavars():
    result = run_cli("predict", "-h")
    assert result.exit_code == 0
    assert "predict [OPTIONS] {AUDIO}" in result.output
    assert "<bool>" not in result.output and "--attributes  " in result.output
    assert "The face picture to write" in result.output


@pytest.mark.parametrize("existing", [False, True])
def test_dashboard_without_a_study_says_so_in_one_line_and_writes_nothing(tmp_path, existing):
    database = tmp_path / "optuna.db"
    if existing:
        database.write_bytes(b"")  # an empty file, as an interrupted tool may leave
    result = run_cli("dashboard", "--storage", f"sqlite:///{database}")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "no tuning study yet" in result.output
    assert "speech2face tune" in result.output and "Traceback" not in result.output
    assert database.exists() == existing and (not existing or database.stat().st_size == 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["optuna.db"] if existing else [])


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 kernels")
def test_cpu_kernels_are_pinned_so_results_do_not_depend_on_the_cpu():
    code = "import speech2face, torch; print(torch.backends.cpu.get_cpu_capability())"
    environment = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    shown = subprocess.run(
        [sys.executable, "-c", code], env=environment, check=True, capture_output=True, text=True
    )
    assert shown.stdout.strip() == "AVX2"


def test_make_dashboard_without_a_study_prints_one_line(tmp_path):
    from speech2face.paths import ROOT

    database = tmp_path / "optuna.db"
    shown = subprocess.run(
        ["make", "-s", "--no-print-directory", "dashboard", f"STUDY_STORAGE=sqlite:///{database}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert (shown.stdout + shown.stderr).strip().count("\n") == 0
    assert "no tuning study yet" in shown.stderr and not database.exists()
