"""`dvc repro` end to end on ingested videos of real faces, with dlib as the teacher: estimated
labels, `unknown` ethnicity, changed by params only; adding a video to the source makes the
corpus stage stale."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TRAINING, merged, tiny_params
from tests.ingest.datasets import interview_folder
from tests.ingest.test_adapters import GATE
from tests.integration.test_pipeline import commit, dvc, project_copy

pytestmark = pytest.mark.slow

SPEAKERS = 16


def test_the_pipeline_runs_on_an_ingested_corpus(tmp_path):
    videos = interview_folder(
        tmp_path / "interviews", SPEAKERS, clips_per_speaker=2, labels=None, bad=False
    )
    repo = project_copy(tmp_path)
    ingest = {
        "source": "videos",
        "input": str(videos.root),
        "videos": {"speaker_from_folder": True},
        "ingest": {"split_fractions": {"train": 0.5, "val": 0.2, "test": 0.3}},
    }
    dlib = {"teacher": "dlib"}
    params = merged(merged(TRAINING, GATE), {"corpus": ingest, "train_face_encoder": dlib})
    tiny_params(repo / "params.yaml", params)
    commit(repo, "ingested corpus")
    run = dvc(repo, "repro")
    assert run.returncode == 0, run.stdout + run.stderr

    manifest = pd.read_csv(repo / "data" / "raw" / "manifest.csv")
    assert manifest.speaker_id.nunique() == SPEAKERS
    assert set(manifest.gender_source) == {"estimated"} and set(manifest.ethnicity) == {"unknown"}
    assert f"| gender | estimated | {SPEAKERS} |" in (repo / "reports" / "ingest.md").read_text()
    report = (repo / "reports" / "evaluation.md").read_text()
    test_speakers = manifest[manifest.split == "test"].speaker_id.nunique()
    assert f"ethnicity unknown: all {test_speakers} test speakers" in report
    by_group = json.loads((repo / "reports" / "metrics_by_group.json").read_text())
    assert "ethnicity" not in by_group and "ethnicity" not in by_group["gap"]  # no group
    assert by_group["not_compared"]["ethnicity"]["unknown"]["speakers"] == test_speakers

    for split in ("train", "test"):  # the teacher's embeddings are dlib's descriptors
        np.testing.assert_array_equal(
            np.load(repo / "data" / "embeddings" / split / "embeddings.npy"),
            np.load(repo / "data" / "face_descriptors" / split / "descriptors.npy"),
        )
    read = json.loads((repo / "reports" / "metrics" / "face_descriptors.json").read_text())
    assert read["test"]["detected_share"] > 0.9  # real faces: HOG finds them
    judges = json.loads((repo / "reports" / "metrics.json").read_text())["judges"]
    assert "true_faces_judge_gender_accuracy" not in judges  # every gender was estimated
    assert 0.0 <= judges["dlib_recall_at_5"] <= 1.0

    again = dvc(repo, "repro")
    assert "Data and pipelines are up to date" in again.stdout, again.stdout
    first = sorted(videos.root.rglob("*.mp4"))[0]
    shutil.copy(first, videos.root / "new_speaker.mp4")
    status = dvc(repo, "status", "dvc.yaml")
    assert "corpus" in status.stdout and "modified" in status.stdout, status.stdout
