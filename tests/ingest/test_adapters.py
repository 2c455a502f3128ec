"""`speech2face ingest <source>` on fixtures in each source's exact format: a corpus the raw gate
passes, every planted bad input a named reject, labels with their provenance."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from tests.conftest import run_cli, tiny_params
from tests.ingest import datasets

# Real corpora have their own groups (or none): any ethnicity label, per-group minimum off.
GATE = {"validate_raw": {"ethnicities": [], "min_test_speakers_per_group": 0}}


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> Path:
    return tiny_params(tmp_path_factory.mktemp("params") / "params.yaml", GATE)


def ingest(source: str, root: Path, params: Path, out: Path, *options) -> tuple:
    """Ingest, gate the corpus; return the manifest and the rejects."""
    result = run_cli(
        "ingest",
        source,
        root,
        *options,
        "--params",
        params,
        "--out",
        out / "raw",
        "--reports",
        out / "reports",
        "-j",
        2,
    )
    assert result.exit_code == 0, result.output
    gate = run_cli(
        "validate_raw", "--params", params, "--raw", out / "raw", "--reports", out / "gate"
    )
    assert gate.exit_code == 0, gate.output
    manifest = pd.read_csv(out / "raw" / "manifest.csv")
    rejects = pd.read_csv(out / "reports" / "ingest_rejects.csv", keep_default_na=False)
    for name in ("ingest.md", "ingest_accepted.png", "ingest_rejected.png"):
        assert (out / "reports" / name).stat().st_size > 0
    return manifest, rejects


def assert_outcomes(data: datasets.Dataset, manifest, rejects, alias=lambda f: f) -> None:
    """Each planted reject is named with its reason; each accepted file is in the corpus."""
    named = set(zip(rejects.file, rejects.reason))
    for name, reason in data.rejected.items():
        assert (alias(name), reason) in named, (name, reason, sorted(named))
    kept = set(manifest.source_file)
    missing = [f for f in data.accepted if alias(f) not in kept]
    assert not missing, (missing, rejects.to_string())


@pytest.fixture(scope="module")
def interviews(tmp_path_factory):
    return datasets.interview_folder(tmp_path_factory.mktemp("videos"), 8, labels="by_file")


def test_videos_with_labels_and_every_bad_input(interviews, params, tmp_path):
    manifest, rejects = ingest(
        "videos", interviews.root, params, tmp_path, "--labels", interviews.table
    )
    assert_outcomes(interviews, manifest, rejects)
    by_speaker = manifest.drop_duplicates("speaker_id").set_index("speaker_id")
    for speaker, gender in interviews.genders.items():
        if speaker in by_speaker.index:
            assert by_speaker.loc[speaker, "gender"] == gender
            assert by_speaker.loc[speaker, "gender_source"] == "labels"
            assert by_speaker.loc[speaker, "split"] == interviews.splits[speaker]
    assert manifest.audio_path.str.startswith("audio/").all()
    assert not manifest.face_path.str.contains(r"\.\.|^/", regex=True).any()


def assert_labels_read(data: datasets.Dataset, manifest) -> None:
    """Each accepted file's speaker is the one the labels name, with their gender and age."""
    for name in data.accepted:
        speakers = manifest[manifest.source_file == name].speaker_id
        assert list(speakers.unique()) == [data.speaker_of[name]], name
    by_speaker = manifest.drop_duplicates("speaker_id").set_index("speaker_id")
    for speaker, row in by_speaker.iterrows():
        assert row.gender == data.genders[speaker] and row.gender_source == "labels"
        assert row.age == data.extra["ages"][speaker] and row.age_source == "labels"


def test_labels_naming_their_files_in_a_path_column_are_read(interviews, params, tmp_path):
    """A labels CSV as people write them: `path,speaker_id,gender,age` (with the hints the
    two-face shots need) and a notes column."""
    labels = tmp_path / "talks.csv"
    table = pd.read_csv(interviews.table, dtype=str, keep_default_na=False)
    kept = ["file", "speaker_id", "gender", "age", "face_x", "face_y", "start", "end"]
    table = table[kept].rename(columns={"file": "path"})
    table.assign(notes="interview").to_csv(labels, index=False)
    manifest, rejects = ingest("videos", interviews.root, params, tmp_path, "--labels", labels)
    assert_outcomes(interviews, manifest, rejects)  # the row of a missing file among them
    assert_labels_read(interviews, manifest)
    report = (tmp_path / "reports" / "ingest.md").read_text()
    assert "talks.csv: the files are named by its column 'path'" in report
    assert "talks.csv: columns not read: notes" in report


def test_the_folders_own_labels_csv_is_used_and_said(interviews, params, tmp_path):
    manifest, rejects = ingest("videos", interviews.root, params, tmp_path)
    assert_outcomes(interviews, manifest, rejects)
    assert_labels_read(interviews, manifest)
    report = (tmp_path / "reports" / "ingest.md").read_text()
    assert f"labels: {interviews.table}, found in the folder" in report


def test_two_runs_write_the_same_manifest(interviews, params, tmp_path):
    manifests = []
    for run in ("one", "two"):
        ingest("videos", interviews.root, params, tmp_path / run, "--labels", interviews.table)
        manifests.append((tmp_path / run / "raw" / "manifest.csv").read_bytes())
    assert manifests[0] == manifests[1]


def test_videos_without_labels_are_estimated_and_unknown(tmp_path, params):
    data = datasets.interview_folder(tmp_path / "src", 4, labels=None, bad=False)
    manifest, _ = ingest("videos", data.root, params, tmp_path, "--speaker-from-folder")
    assert set(manifest.speaker_id) == set(data.genders)
    assert set(manifest.gender_source) == {"estimated"}
    assert manifest.gender_confidence.between(0.5, 1.0).all()
    assert set(manifest.ethnicity) == {"unknown"}


@pytest.mark.parametrize(
    "split_folders, faces",
    [(False, None), (True, "unzippedIntervalFaces"), (False, "unzippedIntervalFaces/data")],
)
def test_voxceleb1(tmp_path, params, split_folders, faces):
    """The interval faces given as the unzipped folder, its data/ level, or by default; an
    utterance whose frames are not there is a reject naming where they were sought."""
    data = datasets.voxceleb1_tree(tmp_path / "vox1", 5, split_folders=split_folders)
    wav, *broken = data.accepted[:3]
    ytid, number = data.extra["utterances"][wav]
    name = data.extra["names"][data.speaker_of[wav]]
    frames = data.root / "unzippedIntervalFaces" / "data" / name / "1.6" / ytid / str(number)
    shutil.rmtree(frames)
    data.expected[wav] = "no_face_images"
    for planted, value in zip(broken, (np.nan, np.inf)):  # float WAVs, half of them no number
        samples = soundfile.read(data.root / planted, dtype="float32")[0]
        samples[len(samples) // 2 :] = value
        soundfile.write(data.root / planted, samples, 16000, subtype="FLOAT")
        data.expected[planted] = "non_finite"
    options = ("--faces", data.root / faces) if faces else ()
    manifest, rejects = ingest("voxceleb1", data.root, params, tmp_path, *options)
    assert_outcomes(data, manifest, rejects)
    detail = rejects.set_index("file").loc[wav, "detail"]
    assert str(frames) in detail and "<VGGFace1 ID>/1.6/<youtube id>/" in detail, detail
    speakers = manifest.drop_duplicates("speaker_id").set_index("speaker_id")
    for speaker, row in speakers.iterrows():
        assert row.gender == data.genders[speaker] and row.gender_source == "metadata"
        assert (row.split == "test") == (data.splits[speaker] == "test")
        assert row.age_source == "estimated" and row.ethnicity == "unknown"


@pytest.mark.parametrize("style", ["bom_padded", "clean", "bom_crlf"])
def test_voxceleb2_meta_quirks(tmp_path, params, style):
    data = datasets.voxceleb2_tree(tmp_path / "vox2", 4, meta_style=style)
    manifest, rejects = ingest("voxceleb2", data.root, params, tmp_path)
    audio = data.extra["audio"]
    assert_outcomes(data, manifest, rejects, alias=lambda f: audio.get(f, f))
    speakers = manifest.drop_duplicates("speaker_id").set_index("speaker_id")
    assert {speakers.loc[s, "gender"] for s in speakers.index} <= {"female", "male"}
    assert all(speakers.loc[s, "gender"] == data.genders[s] for s in speakers.index)


@pytest.mark.parametrize("scheme", ["official", "per_id", "whole"])
def test_avspeech_naming_schemes(tmp_path, params, scheme):
    data = datasets.avspeech_tree(tmp_path / "avspeech", 6, scheme=scheme)
    manifest, rejects = ingest("avspeech", data.root, params, tmp_path)
    assert_outcomes(data, manifest, rejects)
    assert manifest.speaker_id.str.startswith("-").any()  # ids beginning with '-' survive
    test_ids = {s["ytid"] for s in data.extra["segments"] if s["split"] == "test"}
    assert set(manifest[manifest.split == "test"].speaker_id) <= test_ids


def test_avspeech_folder_with_only_its_test_csv(tmp_path, params):
    """A copy holding avspeech_test.csv and clips/ only: the test rows are read, and the report
    says the train CSV is not there."""
    data = datasets.avspeech_tree(tmp_path / "avspeech", 8, missing=False)
    (data.root / "avspeech_train.csv").unlink()
    manifest, rejects = ingest("avspeech", data.root, params, tmp_path)
    test_files = {s["file"] for s in data.extra["segments"] if s["split"] == "test"}
    assert test_files and set(manifest.source_file) == test_files
    assert set(manifest.split) == {"test"} and rejects.empty
    report = (tmp_path / "reports" / "ingest.md").read_text()
    assert f"{data.root / 'avspeech_train.csv'}: not there; read avspeech_test.csv" in report


def test_bad_settings_are_one_line_errors(tmp_path, params):
    missing = run_cli(
        "ingest", "videos", tmp_path / "nowhere", "--params", params, "--out", tmp_path / "raw"
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output
    broken = tmp_path / "labels.csv"
    broken.write_text("name,colour\nx,y\n")
    bad = run_cli(
        "ingest",
        "videos",
        tmp_path,
        "--labels",
        broken,
        "--params",
        params,
        "--out",
        tmp_path / "raw",
    )
    assert bad.exit_code == 2 and "no key column in name, colour" in bad.output
    assert "(file or path or filename or video) or a 'speaker_id'" in bad.output
    broken.write_text("file,path,gender\na.mp4,a.mp4,f\n")
    both = run_cli(
        "ingest",
        "videos",
        tmp_path,
        "--labels",
        broken,
        "--params",
        params,
        "--out",
        tmp_path / "raw",
    )
    assert both.exit_code == 2 and "columns file, path all name files" in both.output
    (tmp_path / "clips").mkdir()
    no_csv = run_cli("ingest", "avspeech", tmp_path, "--params", params, "--out", tmp_path / "raw")
    assert no_csv.exit_code == 2 and "no AVSpeech CSV found" in no_csv.output
    no_faces = run_cli(
        "ingest", "voxceleb1", tmp_path, "--params", params, "--out", tmp_path / "raw"
    )
    assert no_faces.exit_code == 2 and "interval-faces folder" in no_faces.output
    outputs = (missing, bad, both, no_csv, no_faces)
    assert not any("Traceback" in result.output for result in outputs)
    assert not (tmp_path / "raw").exists()


def test_voxceleb1_with_identity_photos_instead_of_frames(tmp_path, params):
    data = datasets.voxceleb1_tree(tmp_path / "vox1", 3)
    frames = data.root / "unzippedIntervalFaces" / "data"
    photos = tmp_path / "photos"
    for name in data.extra["names"].values():
        first = sorted((frames / name).rglob("*.jpg"))[0]
        (photos / name).mkdir(parents=True)
        shutil.copy(first, photos / name / "photo.jpg")
    shutil.rmtree(frames)
    manifest, rejects = ingest("voxceleb1", data.root, params, tmp_path, "--photos", photos)
    assert_outcomes(data, manifest, rejects)
