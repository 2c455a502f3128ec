"""The generate stage: a manifest that keeps the contract, deterministic from the seed."""

import hashlib
import json

import pandas as pd
import soundfile
import yaml

from speech2face.corpus.engines import RECORDED_VOICES
from speech2face.manifest import COLUMNS, MANIFEST_NAME, OUT_OF_ENGINE, SPEAKERS_NAME, SPLITS
from tests.conftest import run_cli


def digest(folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def test_manifest_keeps_the_contract(tiny_raw, params_file):
    params = yaml.safe_load(params_file.read_text())["corpus"]["synthetic"]
    everything = pd.read_csv(tiny_raw / MANIFEST_NAME)
    assert list(everything.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert everything.clip_id.is_unique
    manifest = everything[everything.split != OUT_OF_ENGINE].reset_index(drop=True)
    assert len(manifest) == params["n_speakers"] * params["clips_per_speaker"]
    assert (manifest.groupby("speaker_id").split.nunique() == 1).all()
    assert set(manifest.split) == set(SPLITS)
    assert manifest.duration_s.between(3.0, 6.0).all()
    assert (
        manifest.groupby("speaker_id").sentence_id.nunique() == params["clips_per_speaker"]
    ).all()
    info = soundfile.info(tiny_raw / manifest.audio_path[0])
    assert info.samplerate == 16000 and info.channels == 1
    speakers = pd.read_csv(tiny_raw / SPEAKERS_NAME)
    assert len(speakers) == params["n_speakers"]
    assert {"face_size", "voice_size", "face_hair_style", "voice_pitch"} <= set(speakers.columns)
    engines = speakers.set_index("speaker_id").engine
    assert (
        set(engines) == set(params["engines"])
        and (manifest.engine == manifest.speaker_id.map(engines)).all()
    )


def test_held_out_engine_speaks_every_test_clip_again(tiny_raw, params_file):
    params = yaml.safe_load(params_file.read_text())["corpus"]["synthetic"]
    manifest = pd.read_csv(tiny_raw / MANIFEST_NAME)
    test = manifest[manifest.split == "test"].set_index(["speaker_id", "sentence_id"])
    again = manifest[manifest.split == OUT_OF_ENGINE].set_index(["speaker_id", "sentence_id"])
    assert sorted(again.index) == sorted(test.index)
    assert (again.engine == params["held_out_engine"]).all()
    assert (again.face_path == test.face_path[again.index]).all()  # the same video frame
    assert not (again.audio_path == test.audio_path[again.index]).any()
    card = json.loads((tiny_raw / "corpus.json").read_text())
    assert card["held_out_engine"] == params["held_out_engine"]
    people = {p for e in params["engines"] for p, _ in RECORDED_VOICES.get(e, {}).values()}
    held_out = RECORDED_VOICES[params["held_out_engine"]]
    assert set(again.voice) <= set(card["held_out_voices"])
    assert (
        card["held_out_voices"] and not {held_out[v][0] for v in card["held_out_voices"]} & people
    )


def test_same_seed_same_bytes_on_any_number_of_workers(tmp_path):
    from tests.conftest import TINY, merged, tiny_params

    small = merged(TINY, {"corpus": {"synthetic": {"n_speakers": 6}}})
    params = tiny_params(tmp_path / "params.yaml", small)
    outs = [tmp_path / "one", tmp_path / "two"]
    for out, workers in zip(outs, (1, 2)):
        result = run_cli("generate", "--params", params, "--out", out, "--workers", workers)
        assert result.exit_code == 0, result.output
    assert digest(outs[0]) == digest(outs[1])
