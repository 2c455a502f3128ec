"""Preprocess: array layout, lengths, measurements, and atomic outputs."""

import json

import numpy as np
import pandas as pd

from speech2face.audio import fit_length
from speech2face.manifest import MANIFEST_NAME, SPLITS
from tests.conftest import run_cli


def test_fit_length_repeats_short_and_crops_long():
    clip = np.arange(5, dtype=np.float32)
    assert fit_length(clip, 12).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    assert fit_length(clip, 3).tolist() == [0, 1, 2]


def test_arrays_match_the_manifest(tiny_raw, tiny_features):
    manifest = pd.read_csv(tiny_raw / MANIFEST_NAME)
    meta = json.loads((tiny_features / "meta.json").read_text())
    assert meta["samples"] == 32000 and meta["image_size"] == 64
    for split in SPLITS:
        waveforms = np.load(tiny_features / split / "waveforms.npy", mmap_mode="r")
        faces = np.load(tiny_features / split / "faces.npy", mmap_mode="r")
        clips = pd.read_csv(tiny_features / split / "clips.csv")
        expected = manifest[manifest.split == split]
        assert list(clips.clip_id) == list(expected.clip_id)
        assert waveforms.dtype == np.int16 and waveforms.shape == (len(clips), 32000)
        assert faces.dtype == np.uint8 and faces.shape == (len(clips), 64, 64, 3)
        assert (clips.row == np.arange(len(clips))).all()
        assert np.abs(waveforms).max(axis=1).min() > 1000  # every clip carries sound


def test_measurements_are_plausible(tiny_features):
    clips = pd.concat(pd.read_csv(tiny_features / s / "clips.csv") for s in SPLITS)
    assert clips.f0_median_hz.between(60, 400).all()
    medians = clips.groupby("gender").f0_median_hz.median()
    assert medians["female"] > medians["male"] + 40
    assert (clips.clipping_fraction < 1e-3).all() and (clips.rms > 0.01).all()


def test_bad_input_leaves_no_output(params_file, raw_copy, tmp_path):
    manifest = pd.read_csv(raw_copy / MANIFEST_NAME)
    (raw_copy / manifest.audio_path[len(manifest) - 1]).write_bytes(b"not audio")
    out = tmp_path / "features"
    result = run_cli(
        "preprocess", "--params", params_file, "--raw", raw_copy, "--out", out, "--workers", 1
    )
    assert result.exit_code == 2
    assert manifest.audio_path[len(manifest) - 1] in result.output
    assert "cannot read audio" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [raw_copy]  # neither features/ nor a partial folder
