"""Speakers of the embedded default corpus: demographics, identity latents and splits.

Everything here is a simulation. The population groups (`group_a`, `group_b`, ...) are
synthetic: each is a small profile of appearance and accent tendencies with wide overlaps,
invented so that per-group evaluation and bias analyses have something to measure. They make
no claim about real people or real ethnicities.

Each speaker carries standard-normal identity latents:
- shared latents (`SHARED_LATENTS`) drive the face directly and the voice through a noisy copy
  whose correlation with the face side is `link_strength`: these are the planted voice-face
  links that make telling speakers apart from voice alone possible but imperfect;
- face-only latents drive appearance that the voice carries no trace of;
- voice-only latents drive voice traits that the face carries no trace of.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from speech2face.manifest import AGE_RANGE, SPLITS, age_group

# Planted links (face side -> voice side):
#   size      face and head size      -> vocal-tract length (formant shift) and a lower F0
#   jaw       jaw width and squareness -> a lower F0 within the gender's range
#   fullness  cheek and lip fullness   -> a slower speaking rate and a breathier voice
SHARED_LATENTS = ("size", "jaw", "fullness")
FACE_LATENTS = (
    "face_length",
    "eye_size",
    "eye_spacing",
    "eye_tone",
    "brow",
    "nose_width",
    "nose_length",
    "lip",
    "mouth_width",
    "skin",
    "hair_tone",
    "hair_length",
    "hair_style",
    "facial_hair",
    "baldness",
)
VOICE_LATENTS = ("pitch", "pitch_range", "rate", "roughness", "variant")

ENGINE_STREAM = 1  # the random stream engines are drawn from, beside the population's
# English varieties of Praat's espeak-ng synthesiser.
ACCENTS = (
    "English (America)",
    "English (Great Britain)",
    "English (Received Pronunciation)",
    "English (Scotland)",
    "English (Lancaster)",
    "English (West Midlands)",
    "English (Caribbean)",
)


@dataclass(frozen=True)
class GroupProfile:
    """Appearance and accent tendencies of one synthetic population group."""

    skin_tone: float  # mean skin tone, 0 = lightest, 1 = darkest
    hair_tone: float  # mean hair tone, 0 = darkest, 1 = lightest (blond)
    eye_shape: float  # mean eye openness offset, negative = narrower
    nose_width: float  # mean nose width offset
    accents: dict[str, float]  # accent -> weight


# The i-th configured group takes the i-th profile. Appearance overlaps are wide on purpose; each
# group mostly speaks one accent, the main audible trace of a group in a voice.
GROUP_PROFILES = (
    GroupProfile(0.25, 0.45, 0.0, 0.0, {ACCENTS[0]: 0.8, ACCENTS[1]: 0.1, ACCENTS[2]: 0.1}),
    GroupProfile(0.75, 0.05, 0.1, 0.6, {ACCENTS[6]: 0.8, ACCENTS[0]: 0.2}),
    GroupProfile(0.45, 0.08, -0.7, -0.2, {ACCENTS[4]: 0.55, ACCENTS[5]: 0.45}),
    GroupProfile(0.55, 0.15, -0.2, 0.3, {ACCENTS[3]: 0.8, ACCENTS[2]: 0.2}),
    GroupProfile(0.12, 0.65, 0.2, -0.3, {ACCENTS[1]: 0.5, ACCENTS[3]: 0.3, ACCENTS[4]: 0.2}),
    GroupProfile(0.9, 0.03, 0.0, 0.8, {ACCENTS[6]: 0.6, ACCENTS[2]: 0.4}),
)


@dataclass(frozen=True)
class Speaker:
    """One simulated person: who they are, how they look and how they sound."""

    speaker_id: str
    split: str
    gender: str
    age: int
    ethnicity: str
    profile: GroupProfile
    accent: str
    face: dict[str, float]  # SHARED_LATENTS + FACE_LATENTS, standard normal
    voice: dict[str, float]  # SHARED_LATENTS (noisy copies) + VOICE_LATENTS, standard normal
    seed: int  # entropy for everything drawn per clip
    engine: str = "praat"  # the speech engine that speaks for them (corpus/engines.py)
    engine_voice: str = ""  # its recorded voice they speak with; "" for praat's own choice

    @property
    def age_group(self) -> str:
        return age_group(self.age)

    def clip_rng(self, clip: int) -> np.random.Generator:
        """The random stream of one clip: independent of the order clips are made in."""
        return np.random.default_rng([self.seed, clip])


def uniform(z: float) -> float:
    """Map a standard-normal latent to (0, 1), for categorical choices."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _draw_age(rng: np.random.Generator) -> int:
    """Ages skewed young, as in web video corpora, over the whole adult range."""
    low, high = AGE_RANGE
    return int(round(low + (high - low) * rng.beta(1.6, 2.4)))


def assign_balanced(strata: list[tuple], shares: dict[str, float], rng) -> list[str]:
    """A label of `shares` for each item, balanced on every stratifying attribute at once.

    Items come in random order; each takes the label furthest below its target share, summed
    over everyone and over the items sharing each of its attribute values. Every value of every
    attribute thus gets close to the requested shares, even when small.
    """
    labels = list(shares)
    targets = np.array([shares[label] for label in labels])
    counts: dict[tuple, np.ndarray] = defaultdict(lambda: np.zeros(len(labels)))
    chosen = [""] * len(strata)
    for i in rng.permutation(len(strata)):
        keys = [("all",), *enumerate(strata[i])]
        deficit = sum(targets * (counts[key].sum() + 1) - counts[key] for key in keys)
        choice = int(np.argmax(deficit + 1e-9 * rng.random(len(labels))))  # random tie-break
        for key in keys:
            counts[key][choice] += 1
        chosen[i] = labels[choice]
    return chosen


def assign_splits(strata: list[tuple], fractions: dict[str, float], rng) -> list[str]:
    """Speaker-disjoint splits, balanced on every stratifying attribute (`assign_balanced`)."""
    if set(fractions) != set(SPLITS) or not np.isclose(sum(fractions.values()), 1.0):
        raise ValueError(f"split fractions must give {SPLITS} and sum to 1, got {fractions}")
    return assign_balanced(strata, {s: fractions[s] for s in SPLITS}, rng)


def _named(names: tuple[str, ...], *parts: np.ndarray) -> dict[str, float]:
    return dict(zip(names, np.concatenate(parts).tolist(), strict=True))


def draw_population(
    n_speakers: int,
    group_shares: dict[str, float],
    split_fractions: dict[str, float],
    link_strength: float,
    seed: int,
) -> list[Speaker]:
    """Draw `n_speakers` speakers, deterministically from `seed`."""
    if len(group_shares) > len(GROUP_PROFILES):
        raise ValueError(f"at most {len(GROUP_PROFILES)} population groups are profiled")
    if not 0.0 <= link_strength <= 1.0:
        raise ValueError(f"link_strength must be in [0, 1], got {link_strength}")
    rng = np.random.default_rng(seed)
    names = list(group_shares)
    shares = np.array([group_shares[n] for n in names], dtype=float)
    groups = rng.choice(len(names), size=n_speakers, p=shares / shares.sum())
    genders = rng.choice(["female", "male"], size=n_speakers)
    ages = [_draw_age(rng) for _ in range(n_speakers)]
    strata = [(g, groups[i], age_group(ages[i])) for i, g in enumerate(genders)]
    splits = assign_splits(strata, split_fractions, rng)
    noise_weight = float(np.sqrt(1.0 - link_strength**2))

    speakers = []
    for i in range(n_speakers):
        profile = GROUP_PROFILES[groups[i]]
        accents = list(profile.accents)
        weights = np.array([profile.accents[a] for a in accents])
        shared = rng.standard_normal(len(SHARED_LATENTS))
        face_only = rng.standard_normal(len(FACE_LATENTS))
        voice_shared = link_strength * shared + noise_weight * rng.standard_normal(len(shared))
        voice_only = rng.standard_normal(len(VOICE_LATENTS))
        face = _named(SHARED_LATENTS + FACE_LATENTS, shared, face_only)
        voice = _named(SHARED_LATENTS + VOICE_LATENTS, voice_shared, voice_only)
        speakers.append(
            Speaker(
                speaker_id=f"spk{i:05d}",
                split=splits[i],
                gender=str(genders[i]),
                age=ages[i],
                ethnicity=names[groups[i]],
                profile=profile,
                accent=accents[rng.choice(len(accents), p=weights / weights.sum())],
                face=face,
                voice=voice,
                seed=int(rng.integers(2**32)),
            )
        )
    return speakers


def speakers_table(speakers: list[Speaker]) -> pd.DataFrame:
    """One row per speaker with every ground-truth latent, for oracle and bias analyses."""
    rows = []
    for s in speakers:
        row = {
            "speaker_id": s.speaker_id,
            "split": s.split,
            "gender": s.gender,
            "age": s.age,
            "age_group": s.age_group,
            "ethnicity": s.ethnicity,
            "accent": s.accent,
            "engine": s.engine,
            "engine_voice": s.engine_voice,
        }
        row.update({f"face_{k}": v for k, v in s.face.items()})
        row.update({f"voice_{k}": v for k, v in s.voice.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def with_engine(speaker: Speaker, engine: str, voices: tuple[str, ...]) -> Speaker:
    """`speaker` speaking through `engine`, with the voice of `voices` their `variant` latent
    picks (none for praat, which picks an espeak variant by gender and age)."""
    if not voices:
        return replace(speaker, engine=engine, engine_voice="")
    pick = min(int(uniform(speaker.voice["variant"]) * len(voices)), len(voices) - 1)
    return replace(speaker, engine=engine, engine_voice=voices[pick])


def assign_engines(
    speakers: list[Speaker], shares: dict[str, float], voices: dict[str, tuple[str, ...]], seed: int
) -> list[Speaker]:
    """Each speaker's engine, drawn with `shares` and balanced over split, gender, group and
    age group, from a stream of its own: the population is the same whatever the shares."""
    rng = np.random.default_rng([seed, ENGINE_STREAM])
    strata = [(s.split, s.gender, s.ethnicity, s.age_group) for s in speakers]
    chosen = assign_balanced(strata, shares, rng)
    return [with_engine(s, e, voices[e]) for s, e in zip(speakers, chosen)]
