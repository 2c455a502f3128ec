"""Stage `bias_accents`: the pool's test clips spoken again in every accent, all else equal.

The paper's "effect of language": the same speaker drawn differently when speaking otherwise.
Each test speaker of the pool says their first `clips_per_speaker` sentences again through
Praat's espeak-ng (the one engine with accents) in each accent: the same person, sentence, pitch,
rate, padding, room and channel; only the accent differs (and the per-clip noise drawn after
the speech, a fresh draw of the same distribution). The clip of a Praat speaker in their own
accent is their pool clip, sample for sample. The faces are the pool's frames, copied.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from functools import partial
from pathlib import Path

import pandas as pd

from speech2face.bias.params import AccentSwapParams
from speech2face.corpus.engines import PRAAT
from speech2face.corpus.generate import ClipJob, clip_jobs, corpus_card, make_clip, respoken
from speech2face.corpus.generate import population as pool_population
from speech2face.corpus.population import ACCENTS, with_engine
from speech2face.corpus.voice import load_sentences
from speech2face.errors import InputError
from speech2face.files import atomic_path, write_json
from speech2face.manifest import CORPUS_CARD_NAME, MANIFEST_NAME, SPEAKERS_NAME, write_manifest
from speech2face.parallel import parallel_map
from speech2face.params import GenerateParams

SPLIT = "test"


def accent_tag(accent: str) -> str:
    """A clip-id-safe name of an accent: "English (Great Britain)" -> "great_britain"."""
    inner = accent.split("(", 1)[-1].rstrip(")")
    return "_".join(inner.lower().split())


def accent_jobs(pool: GenerateParams, swap: AccentSwapParams) -> list[ClipJob]:
    """Every test speaker's first clips, once per accent, spoken by Praat."""
    if swap.clips_per_speaker > pool.clips_per_speaker:
        raise InputError(
            f"bias_accents.clips_per_speaker: {swap.clips_per_speaker} is more than the pool's "
            f"{pool.clips_per_speaker} clips per speaker"
        )
    unknown = sorted(set(swap.accents) - set(ACCENTS))
    if unknown or not swap.accents:
        raise InputError(f"bias_accents.accents: expected some of {list(ACCENTS)}, got {unknown}")
    test = [s for s in pool_population(pool) if s.split == SPLIT]
    jobs = clip_jobs(test, load_sentences(), swap.clips_per_speaker)
    return [
        respoken(job, replace(with_engine(job.speaker, PRAAT, ()), accent=accent), tag, SPLIT)
        for job in jobs
        for accent, tag in ((a, accent_tag(a)) for a in swap.accents)
    ]


def _copy_faces(rows: list[dict], pool_raw: Path, root: Path) -> None:
    """The pool's face frames of the clips, copied beside them."""
    for face in sorted({row["face_path"] for row in rows}):
        source = pool_raw / face
        if not source.is_file():
            raise InputError(f"{source}: missing; generate the pool first (stage bias_pool)")
        (root / face).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / face)


def generate_accents(
    pool: GenerateParams, swap: AccentSwapParams, pool_raw: Path, out_dir: Path, workers: int
) -> pd.DataFrame:
    """Write the accent copies as a raw corpus (manifest, speakers.csv, faces), atomically; its
    manifest's `accent` is the accent spoken, speakers.csv's the speaker's own."""
    jobs = accent_jobs(pool, swap)
    speakers = pd.read_csv(pool_raw / SPEAKERS_NAME)
    with atomic_path(out_dir, directory=True) as staging:
        work = partial(make_clip, root=staging, params=pool)
        rows = list(parallel_map(work, jobs, workers, "Speaking the test clips in each accent"))
        _copy_faces(rows, pool_raw, staging)
        manifest = pd.DataFrame(rows)
        write_manifest(manifest, staging / MANIFEST_NAME)
        speakers[speakers.speaker_id.isin(manifest.speaker_id)].to_csv(
            staging / SPEAKERS_NAME, index=False
        )
        card = corpus_card(pool) | {
            "description": "the bias pool's test clips, each spoken again in every accent",
            "speakers": int(manifest.speaker_id.nunique()),
            "accents": list(swap.accents),
            "clips_per_speaker": swap.clips_per_speaker,
        }
        write_json(staging / CORPUS_CARD_NAME, card)
    return manifest
