"""Stage `generate`: the embedded default corpus, written as a manifest-described raw dataset."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile
from PIL import Image

from speech2face.corpus.face import face_geometry, render_face
from speech2face.corpus.population import Speaker, draw_population, speakers_table
from speech2face.corpus.voice import load_sentences, synthesize_clip
from speech2face.files import atomic_path, write_json
from speech2face.manifest import (
    CORPUS_CARD_NAME,
    GEOMETRY_PREFIX,
    MANIFEST_NAME,
    SPEAKERS_NAME,
    write_manifest,
)
from speech2face.parallel import parallel_map
from speech2face.params import GenerateParams


@dataclass(frozen=True)
class ClipJob:
    speaker: Speaker
    clip: int
    sentence_id: int
    text: str

    @property
    def clip_id(self) -> str:
        return f"{self.speaker.speaker_id}_{self.clip:02d}"


def clip_jobs(speakers: list[Speaker], sentences: list[str], clips: int) -> list[ClipJob]:
    """Each speaker says `clips` different sentences, chosen from the speaker's own stream."""
    if clips > len(sentences):
        raise ValueError(f"{clips} clips per speaker but only {len(sentences)} sentences")
    jobs = []
    for speaker in speakers:
        chosen = np.random.default_rng([speaker.seed, 2**31]).permutation(len(sentences))
        for clip, sentence_id in enumerate(chosen[:clips].tolist()):
            jobs.append(ClipJob(speaker, clip, sentence_id, sentences[sentence_id]))
    return jobs


def make_clip(job: ClipJob, root: Path, params: GenerateParams) -> dict:
    """Synthesise one clip's voice and render its video frame; return its manifest row."""
    speaker = job.speaker
    rng = speaker.clip_rng(job.clip)
    audio = synthesize_clip(speaker, job.text, rng, params.sample_rate, params.clip_seconds)
    face = render_face(speaker, rng, params.image_size)
    audio_path = Path("audio") / speaker.speaker_id / f"{job.clip_id}.wav"
    face_path = Path("faces") / speaker.speaker_id / f"{job.clip_id}.png"
    for relative in (audio_path, face_path):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(root / audio_path, audio, params.sample_rate, subtype="PCM_16")
    Image.fromarray(face).save(root / face_path, optimize=False)
    return {
        "clip_id": job.clip_id,
        "speaker_id": speaker.speaker_id,
        "split": speaker.split,
        "audio_path": audio_path.as_posix(),
        "face_path": face_path.as_posix(),
        "duration_s": round(len(audio) / params.sample_rate, 4),
        "sample_rate": params.sample_rate,
        "gender": speaker.gender,
        "age": speaker.age,
        "age_group": speaker.age_group,
        "ethnicity": speaker.ethnicity,
        "sentence_id": job.sentence_id,
        "accent": speaker.accent,
    }


def population(params: GenerateParams) -> list[Speaker]:
    """The corpus's speakers, as `params` define them."""
    return draw_population(
        params.n_speakers,
        params.group_shares,
        params.split_fractions,
        params.link_strength,
        params.seed,
    )


def generate(params: GenerateParams, out_dir: Path, workers: int) -> pd.DataFrame:
    """Write audio/, faces/, manifest.csv and speakers.csv (latents, face geometry), atomically."""
    speakers = population(params)
    jobs = clip_jobs(speakers, load_sentences(), params.clips_per_speaker)
    with atomic_path(out_dir, directory=True) as staging:
        work = partial(make_clip, root=staging, params=params)
        manifest = pd.DataFrame(list(parallel_map(work, jobs, workers, "Generating clips")))
        write_manifest(manifest, staging / MANIFEST_NAME)
        geometry = pd.DataFrame([face_geometry(s) for s in speakers]).add_prefix(GEOMETRY_PREFIX)
        speakers_table(speakers).join(geometry).to_csv(staging / SPEAKERS_NAME, index=False)
        write_json(staging / CORPUS_CARD_NAME, corpus_card(params))
    return manifest


def corpus_card(params: GenerateParams) -> dict:
    """What the reports say of this corpus: simulated, and how strongly voice and face link."""
    return {
        "source": "synthetic",
        "description": (
            "the embedded simulated corpus (Praat voices, rendered faces; invented population "
            "groups, not real ethnicities)"
        ),
        "speakers": params.n_speakers,
        "clips_per_speaker": params.clips_per_speaker,
        "link_strength": params.link_strength,
        "seed": params.seed,
    }
