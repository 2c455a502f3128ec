"""docs/your-data.md's worked example, run as written on a folder laid out like its own."""

from __future__ import annotations

import csv
import re
import shlex

import pandas as pd

from speech2face.paths import ROOT
from tests.conftest import run_cli
from tests.ingest.datasets import interview_folder


def _example() -> str:
    page = (ROOT / "docs" / "your-data.md").read_text()
    return page.split("## A worked example", 1)[1].split("\n## ", 1)[0]


def _block(text: str, language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", text, re.DOTALL).group(1)


def test_the_worked_example_runs_as_written(tmp_path, monkeypatch):
    example = _example()
    columns = re.search(r"labels\.csv +(\S+)", _block(example, "text")).group(1).split(",")
    folder = interview_folder(tmp_path / "interviews", 4, labels="by_speaker", bad=False)
    labels = pd.read_csv(folder.root / "labels.csv")[columns]  # the example's columns only
    labels.to_csv(folder.root / "labels.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    (tmp_path / "interviews.yaml").write_text(_block(example, "yaml"))
    monkeypatch.chdir(tmp_path)

    commands = [line for line in _block(example, "bash").splitlines() if line.strip()]
    assert [c.split()[:2] for c in commands] == [
        ["speech2face", "ingest"],
        ["speech2face", "validate_raw"],
    ]
    for command in commands:
        result = run_cli(*shlex.split(command)[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"

    manifest = pd.read_csv(tmp_path / "data" / "interviews" / "manifest.csv")
    assert sorted(manifest.speaker_id.unique()) == sorted(labels.speaker_id)
    assert set(manifest.gender_source) == {"labels"} and set(manifest.age_source) == {"labels"}
    read = dict(zip(labels.speaker_id, labels.gender))
    assert all(read[s] == g for s, g in zip(manifest.speaker_id, manifest.gender))
    reports = tmp_path / "reports" / "interviews"
    assert "labels.csv" in (reports / "ingest.md").read_text()
    made = ("ingest_rejects.csv", "ingest_accepted.png", "ingest_rejected.png", "validate_raw.md")
    for name in (*made, "validate_raw.json"):
        assert (reports / name).is_file(), name


def test_the_example_params_differ_from_the_pipeline_s_only_where_it_says():
    import yaml

    from speech2face.ingest.media import SAMPLE_RATE

    example = yaml.safe_load(_block(_example(), "yaml"))["validate_raw"]
    pipeline = yaml.safe_load((ROOT / "params.yaml").read_text())["validate_raw"]
    relaxed = {"ethnicities", "min_test_speakers_per_group"}
    assert set(example) == set(pipeline)
    assert {k: v for k, v in example.items() if k not in relaxed} == {
        k: v for k, v in pipeline.items() if k not in relaxed
    }
    assert pipeline["sample_rate"] == SAMPLE_RATE  # what ingest decodes to passes gate 1
