"""The embedded default corpus, written as a manifest-described raw dataset.

Each speaker speaks through one of the training engines; with a held-out engine, every test
speaker's clips are spoken again by it (split OUT_OF_ENGINE), with the same sentences, the same
recording conditions and the same face frames: only the engine differs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile
from PIL import Image

from speech2face.corpus import engines
from speech2face.corpus.face import face_geometry, render_face
from speech2face.corpus.population import (
    Speaker,
    assign_engines,
    draw_population,
    speakers_table,
    with_engine,
)
from speech2face.corpus.voice import load_sentences, synthesize_clip, voice_settings
from speech2face.errors import InputError
from speech2face.files import atomic_path, write_json
from speech2face.manifest import (
    CORPUS_CARD_NAME,
    GEOMETRY_PREFIX,
    MANIFEST_NAME,
    OUT_OF_ENGINE,
    SPEAKERS_NAME,
    write_manifest,
)
from speech2face.parallel import parallel_map
from speech2face.params import GenerateParams

SENTENCES_PER_BATCH = 40  # sentences one Festival or Flite job reads


@dataclass(frozen=True)
class ClipJob:
    speaker: Speaker
    clip: int
    sentence_id: int
    text: str
    # A copy: the clip spoken again with one thing changed (the held-out engine, an accent),
    # named by its tag and filed under `split`, beside the original's face. "" for an original.
    copy: str = ""
    split: str = ""

    @property
    def clip_id(self) -> str:
        stem = f"{self.speaker.speaker_id}_{self.clip:02d}"
        return f"{stem}_{self.copy}" if self.copy else stem

    def face_path(self) -> Path:
        """The clip's video frame: a copy shows the original's."""
        return (
            Path("faces")
            / self.speaker.speaker_id
            / f"{self.speaker.speaker_id}_{self.clip:02d}.png"
        )


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


def out_of_engine_jobs(jobs: list[ClipJob], params: GenerateParams) -> list[ClipJob]:
    """The test speakers' clips, spoken by the held-out engine with voices of people no
    training engine uses."""
    if not params.held_out_engine:
        return []
    engine = params.held_out_engine
    voices = engines.voices(engine, held_out_from=params.engines)
    if not voices and engine != engines.PRAAT:
        raise InputError(
            f"corpus.synthetic.held_out_engine: {engine} has no voice of a person that no "
            "training engine uses"
        )
    return [
        respoken(job, with_engine(job.speaker, engine, voices), engine, OUT_OF_ENGINE)
        for job in jobs
        if job.speaker.split == "test"
    ]


def respoken(job: ClipJob, speaker: Speaker, tag: str, split: str) -> ClipJob:
    """`job`'s clip as a copy spoken by `speaker` (the same person, one thing changed)."""
    return replace(job, speaker=speaker, copy=tag, split=split)


def make_clip(job: ClipJob, root: Path, params: GenerateParams) -> dict:
    """Synthesise one clip's voice and render its video frame; return its manifest row."""
    speaker = job.speaker
    rng = speaker.clip_rng(job.clip)
    settings = voice_settings(speaker)
    audio = synthesize_clip(
        speaker, job.text, rng, params.sample_rate, params.clip_seconds, settings
    )
    audio_path = Path("audio") / speaker.speaker_id / f"{job.clip_id}.wav"
    face_path = job.face_path()
    for relative in (audio_path, face_path):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(root / audio_path, audio, params.sample_rate, subtype="PCM_16")
    if not job.copy:
        face = render_face(speaker, rng, params.image_size)
        Image.fromarray(face).save(root / face_path, optimize=False)
    return {
        "clip_id": job.clip_id,
        "speaker_id": speaker.speaker_id,
        "split": job.split or speaker.split,
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
        "engine": speaker.engine,
        "voice": settings.variant,
    }


def population(params: GenerateParams) -> list[Speaker]:
    """The corpus's speakers, as `params` define them, each with their engine and voice."""
    for engine in (*params.engines, params.held_out_engine or engines.PRAAT):
        engines.check_engine(engine)
    shares = params.engines
    if min(shares.values()) < 0 or not np.isclose(sum(shares.values()), 1.0):
        raise InputError(f"corpus.synthetic.engines: shares must be >= 0 and sum to 1: {shares}")
    if shares.get(params.held_out_engine, 0.0) > 0:
        raise InputError(
            f"corpus.synthetic.held_out_engine: {params.held_out_engine} also speaks for "
            "training speakers (its share in engines is not 0)"
        )
    speakers = draw_population(
        params.n_speakers,
        params.group_shares,
        params.split_fractions,
        params.link_strength,
        params.seed,
    )
    voices = {engine: engines.voices(engine) for engine in params.engines}
    return assign_engines(speakers, params.engines, voices, params.seed)


def _read_recorded_sentences(jobs: list[ClipJob], workers: int) -> None:
    """Have every recorded voice read its sentences once, before the clips are made (a
    Festival process reads a batch; the workers forked afterwards share the readings)."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for job in jobs:
        if job.speaker.engine != engines.PRAAT:
            wanted.setdefault((job.speaker.engine, job.speaker.engine_voice), set()).add(job.text)
    batches = [
        (engine, voice, chunk)
        for (engine, voice), texts in sorted(wanted.items())
        for chunk in np.array_split(sorted(texts), max(1, len(texts) // SENTENCES_PER_BATCH))
    ]
    for readings in parallel_map(engines.read_sentences, batches, workers, "Reading sentences"):
        engines.remember(readings)


def generate(params: GenerateParams, out_dir: Path, workers: int) -> pd.DataFrame:
    """Write audio/, faces/, manifest.csv and speakers.csv (latents, face geometry), atomically."""
    speakers = population(params)
    jobs = clip_jobs(speakers, load_sentences(), params.clips_per_speaker)
    jobs += out_of_engine_jobs(jobs, params)
    with atomic_path(out_dir, directory=True) as staging:
        work = partial(make_clip, root=staging, params=params)
        # Praat's clips first: each espeak synthesis forks, cheaper before the readings load.
        praat = [job for job in jobs if job.speaker.engine == engines.PRAAT]
        recorded = [job for job in jobs if job.speaker.engine != engines.PRAAT]
        rows = list(parallel_map(work, praat, workers, "Generating clips (Praat)"))
        _read_recorded_sentences(recorded, workers)
        rows += parallel_map(work, recorded, workers, "Generating clips (Festival, Flite)")
        order = {job.clip_id: i for i, job in enumerate(jobs)}
        manifest = pd.DataFrame(sorted(rows, key=lambda row: order[row["clip_id"]]))
        write_manifest(manifest, staging / MANIFEST_NAME)
        geometry = pd.DataFrame([face_geometry(s) for s in speakers]).add_prefix(GEOMETRY_PREFIX)
        speakers_table(speakers).join(geometry).to_csv(staging / SPEAKERS_NAME, index=False)
        write_json(staging / CORPUS_CARD_NAME, corpus_card(params))
    return manifest


def corpus_card(params: GenerateParams) -> dict:
    """What the reports say of this corpus: simulated, how strongly voice and face link, and
    its speech engines."""
    held_out = params.held_out_engine
    held_out_voices = list(engines.voices(held_out, params.engines)) if held_out else []
    return {
        "source": "synthetic",
        "description": (
            "the embedded simulated corpus (voices from Praat, Festival and Flite, rendered "
            "faces; invented population "
            "groups, not real ethnicities)"
        ),
        "speakers": params.n_speakers,
        "clips_per_speaker": params.clips_per_speaker,
        "link_strength": params.link_strength,
        "engines": params.engines,
        "held_out_engine": params.held_out_engine,
        "held_out_voices": held_out_voices,
        "seed": params.seed,
    }
