"""The accent copies: every test speaker in every accent, all else equal, as a raw corpus."""

from dataclasses import replace

import pandas as pd
import pytest
import yaml

from speech2face.bias.accents import accent_jobs, accent_tag, generate_accents
from speech2face.bias.params import AccentSwapParams
from speech2face.corpus.population import ACCENTS
from speech2face.errors import InputError
from speech2face.manifest import COLUMNS, MANIFEST_NAME, SPEAKERS_NAME, read_manifest
from speech2face.params import GenerateParams, ParamsError, load_section
from tests.conftest import run_cli

TWO = AccentSwapParams(1, (ACCENTS[0], ACCENTS[6]))


@pytest.fixture(scope="module")
def pool(params_file) -> GenerateParams:
    return load_section(GenerateParams, "corpus.synthetic", params_file)


def test_accent_tags_name_the_variety():
    assert accent_tag("English (Great Britain)") == "great_britain"
    assert len({accent_tag(a) for a in ACCENTS}) == len(ACCENTS)


def test_every_test_speaker_says_each_clip_in_each_accent_and_nothing_else_changes(pool):
    jobs = accent_jobs(pool, TWO)
    test_speakers = {j.speaker.speaker_id for j in jobs}
    assert len(jobs) == len(test_speakers) * 2  # one clip, two accents
    assert {j.speaker.engine for j in jobs} == {"praat"} and {j.split for j in jobs} == {"test"}
    for first, second in zip(jobs[::2], jobs[1::2], strict=True):
        assert (first.speaker.accent, second.speaker.accent) == TWO.accents
        assert replace(first.speaker, accent="") == replace(second.speaker, accent="")
        assert (first.text, first.clip) == (second.text, second.clip)
    assert len({j.clip_id for j in jobs}) == len(jobs)


@pytest.mark.parametrize(
    "swap, message",
    [
        (AccentSwapParams(1, ("English (Mars)",)), "English (Mars)"),
        (AccentSwapParams(1, ()), "bias_accents.accents"),
        (AccentSwapParams(99, ACCENTS), "more than the pool's"),
    ],
)
def test_bad_accent_params_say_which(pool, swap, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        accent_jobs(pool, swap)


def test_no_clip_is_asked_for():
    with pytest.raises(ParamsError, match="clips_per_speaker"):
        AccentSwapParams(0, ACCENTS)


def test_copies_are_a_raw_corpus_and_the_own_accent_copy_is_the_pool_clip(pool, tiny_raw, tmp_path):
    out = tmp_path / "accents"
    manifest = generate_accents(pool, TWO, tiny_raw, out, workers=2)
    assert set(manifest.accent) == set(TWO.accents) and set(manifest.split) == {"test"}
    written = read_manifest(out / MANIFEST_NAME)
    assert list(written.columns[: len(COLUMNS)]) == list(COLUMNS)  # the manifest contract
    speakers = pd.read_csv(out / SPEAKERS_NAME)
    assert set(speakers.speaker_id) == set(manifest.speaker_id)
    original = read_manifest(tiny_raw / MANIFEST_NAME).set_index("clip_id")
    own = manifest.merge(speakers[["speaker_id", "accent", "engine"]], on="speaker_id")
    same = own[(own.accent_x == own.accent_y) & (own.engine_y == "praat")]
    assert len(same) > 0
    for row in same.itertuples():
        stem = row.clip_id.rsplit("_", 1)[0]
        pool_clip = tiny_raw / original.loc[stem, "audio_path"]
        assert (out / row.audio_path).read_bytes() == pool_clip.read_bytes(), row.clip_id
        assert (out / row.face_path).read_bytes() == (tiny_raw / row.face_path).read_bytes()


def test_a_pool_without_its_faces_is_named(pool, raw_copy, tmp_path):
    face = read_manifest(raw_copy / MANIFEST_NAME).query("split == 'test'").face_path.iloc[0]
    (raw_copy / face).unlink()
    with pytest.raises(InputError, match="generate the pool first"):
        generate_accents(pool, TWO, raw_copy, tmp_path / "accents", workers=1)
    assert not (tmp_path / "accents").exists()


def test_command_reads_its_sections(params_file, tiny_raw, tmp_path):
    pool_dir = tmp_path / "pool"
    (pool_dir / "raw").parent.mkdir()
    (pool_dir / "raw").symlink_to(tiny_raw)
    params = yaml.safe_load(params_file.read_text())
    params["bias_pool"] = params["corpus"]["synthetic"]  # the pool tiny_raw was made with
    params["bias_accents"]["clips_per_speaker"] = 1
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = run_cli(
        "bias_accents", "--params", tmp_path / "params.yaml", "--pool", pool_dir, "--workers", 2
    )
    assert result.exit_code == 0, result.output
    manifest = read_manifest(pool_dir / "accents" / "raw" / MANIFEST_NAME)
    assert manifest.accent.nunique() == len(ACCENTS)
