"""Real-format audio-visual test inputs built on the fly: faces dlib's HOG detector finds,
speech Silero VAD hears, written into real containers with PyAV.

Nothing here is mocked: every face was found by the detector the ingest uses, every voice is
Praat's espeak-ng synthesiser and scored as speech by Silero, every file is a real container.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from pathlib import Path

import av
import dlib
import numpy as np
from parselmouth.praat import call
from PIL import Image, ImageFilter
from scipy.signal import resample_poly

from speech2face.corpus.espeak import (
    FEMALE_VARIANTS,
    MALE_VARIANTS,
    _isolated,  # espeak-ng keeps global state: synthesise in a forked child, as the corpus does
)
from speech2face.corpus.voice import load_sentences
from speech2face.ingest import faces as ingest_faces
from speech2face.ingest.speech import speech_probabilities

SPEECH_RATE = 16000
# A real face is kept if, composited at each CHECK_HEIGHTS (px, in a frame CHECK_MARGIN times
# its size), HOG (upsample 1) finds it alone with a score >= MIN_SCORE and its aligned chip is
# sharper than MIN_SHARPNESS. Wide margins over the ingest's defaults (score 0.3, sharpness
# 0.0001): HOG scores of these small faces swing with the scale and the codec.
CHECK_HEIGHTS = (100, 150)
CHECK_MARGIN = (1.6, 1.3)
MIN_SCORE = 0.5
MIN_SHARPNESS = 0.0015
CHIP = (128, 0.25)  # the aligned chip's side and padding, as the ingest's defaults
DETECT_MAX_SIDE = 1280  # larger frames are checked shrunk to this, as the ingest detects
MIN_FACES = 40
KNOWN_FEMALE = 2  # real_faces()[:2]: the astronaut (Eileen Collins) and Grace Hopper
# Face boxes (left, top, right, bottom) HOG finds in the two photographs.
ASTRONAUT_BOX = (175, 76, 265, 166)
HOPPER_BOX = (180, 139, 366, 325)
CROP_SCALE = 1.4  # crop side / face box side, for the photographs
LFW_SIDE = 150  # px: LFW crops are upscaled to this (HOG misses 25 px faces)
LFW_SHARPEN = (3, 300)  # unsharp mask radius (px) and percent: a camera's sharpening
# Speech: pause between sentences, the share of Silero frames that must be speech, and F0.
PAUSE_S = (0.1, 0.25)
MIN_SPEECH_SHARE = 0.7
FEMALE_MIN_F0 = 165.0
MALE_MAX_F0 = 155.0
PITCH_SETTING = {True: (40, 70), False: (30, 55)}  # espeak pitch setting 0-99, by `female`
ACCENTS = ("English (Great Britain)", "English (America)")
# Voice variants whose F0 at these settings stays on the right side of the gender bounds.
VOICES = {True: FEMALE_VARIANTS, False: MALE_VARIANTS}
# Containers by suffix: (FFmpeg format, video codec instead of `codec` or None, audio codec).
FORMATS = {
    ".mp4": ("mp4", None, "aac"),
    ".m4v": ("mp4", None, "aac"),
    ".mov": ("mov", None, "aac"),
    ".mkv": ("matroska", None, "aac"),
    ".avi": ("avi", None, "aac"),
    ".webm": ("webm", "libvpx", "libopus"),
    ".m4a": ("ipod", None, "aac"),
}
OPUS_RATE = 48000  # the rate libopus is given in .webm (it does not take 44.1 kHz)
AUDIO_FRAME = 1024
GRAIN_TILE = 97  # px: the background's grain repeats with this period (cheap at 4K)


# ---------------------------------------------------------------------------- faces


@functools.cache
def _detector():
    return dlib.get_frontal_face_detector()


def detect(frame: np.ndarray, upsample: int = 1) -> list:
    """dlib HOG face boxes in an RGB frame (made contiguous first: dlib misses faces otherwise)."""
    return list(_detector()(np.ascontiguousarray(frame), upsample))


def scored_boxes(frame: np.ndarray) -> list[tuple[dlib.rectangle, float]]:
    """HOG (upsample 1) boxes with their scores, in the frame's pixels; frames longer than
    DETECT_MAX_SIDE are searched shrunk to it."""
    scale = max(frame.shape[:2]) / DETECT_MAX_SIDE
    if scale > 1:
        size = (round(frame.shape[1] / scale), round(frame.shape[0] / scale))
        frame = np.asarray(Image.fromarray(frame).resize(size, Image.BILINEAR))
    boxes, scores, _ = _detector().run(np.ascontiguousarray(frame), 1, 0.0)
    scale = max(scale, 1.0)
    return [
        (dlib.rectangle(*(round(v * scale) for v in (b.left(), b.top(), b.right(), b.bottom()))), s)
        for b, s in zip(boxes, scores)
    ]


def sharpness(frame: np.ndarray, box: dlib.rectangle) -> float:
    """Variance of the Laplacian of the face's aligned grey chip (0-1 scale), the blur gate's
    measure."""
    frame = np.ascontiguousarray(frame)
    shape = ingest_faces.landmark_predictor()(frame, box)
    return ingest_faces.sharpness(dlib.get_face_chip(frame, shape, size=CHIP[0], padding=CHIP[1]))


def faces_ok(frame: np.ndarray, centres, speaker: int | None = 0) -> bool:
    """Whether HOG finds exactly one box around each centre (x, y), each scoring >= MIN_SCORE,
    and the face at `centres[speaker]` is sharper than MIN_SHARPNESS."""
    found = scored_boxes(frame)
    if len(found) != len(centres):
        return False
    for i, (x, y) in enumerate(centres):
        hits = [(b, s) for b, s in found if b.contains(round(x), round(y))]
        if len(hits) != 1 or hits[0][1] < MIN_SCORE:
            return False
        if i == speaker and sharpness(frame, hits[0][0]) < MIN_SHARPNESS:
            return False
    return True


def _square_crop(image: np.ndarray, box: tuple[int, int, int, int], scale: float) -> np.ndarray:
    """A square crop `scale` times the box's side, centred on the box, inside the image."""
    left, top, right, bottom = box
    side = round(max(right - left, bottom - top) * scale)
    cx, cy = (left + right) // 2, (top + bottom) // 2
    x0 = int(np.clip(cx - side // 2, 0, image.shape[1] - side))
    y0 = int(np.clip(cy - side // 2, 0, image.shape[0] - side))
    return image[y0 : y0 + side, x0 : x0 + side]


def _photographs() -> list[np.ndarray]:
    """The astronaut's and Grace Hopper's faces, cropped from the full photographs."""
    import matplotlib.cbook
    import skimage.data

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = np.asarray(Image.open(f).convert("RGB"))
    return [
        _square_crop(skimage.data.astronaut(), ASTRONAUT_BOX, CROP_SCALE),
        _square_crop(hopper, HOPPER_BOX, CROP_SCALE),
    ]


def _lfw() -> list[np.ndarray]:
    """The 100 LFW faces of skimage's subset: upscaled to LFW_SIDE px, sharpened, RGB."""
    import skimage.data

    radius, percent = LFW_SHARPEN
    sharpen = ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=0)
    faces = []
    for grey in skimage.data.lfw_subset()[:100]:
        image = Image.fromarray(np.round(grey * 255).astype(np.uint8))
        big = np.asarray(image.resize((LFW_SIDE, LFW_SIDE), Image.BICUBIC).filter(sharpen))
        faces.append(np.repeat(big[..., None], 3, axis=2))
    return faces


def _robust(face: np.ndarray) -> bool:
    """Whether the face passes `faces_ok` alone, centred, at every CHECK_HEIGHTS."""
    for height in CHECK_HEIGHTS:
        size = tuple(2 * round(m * height / 2) for m in CHECK_MARGIN)
        centre = (size[0] // 2, size[1] // 2)
        if not faces_ok(compose(size, [(face, centre, height)]), [centre]):
            return False
    return True


@functools.cache
def _real_faces() -> tuple[np.ndarray, ...]:
    kept = []
    for face in _photographs() + _lfw():
        if _robust(face):
            face = np.ascontiguousarray(face)
            face.flags.writeable = False
            kept.append(face)
    if len(kept) < MIN_FACES:
        raise RuntimeError(f"only {len(kept)} real faces pass the HOG and sharpness checks")
    return tuple(kept)


def real_faces() -> list[np.ndarray]:
    """Distinct real RGB uint8 faces (read-only) that HOG finds alone, with a margin, and that
    pass a blur gate of 0.001 with a margin, when composited at 100-150 px.

    The first KNOWN_FEMALE are women (the astronaut, Grace Hopper); the LFW crops that
    follow carry no gender label. Checked once per process (~3 s), then cached. HOG scores
    still swing with scale, position and codec: builders check each composed frame
    (`faces_ok`).
    """
    return list(_real_faces())


def background(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A plain, mildly textured RGB frame (width, height): a soft colour gradient plus grain."""
    w, h = size
    rng = np.random.default_rng(seed)
    top, bottom = rng.uniform(60, 200, 3), rng.uniform(60, 200, 3)
    ramp = np.round(top + (bottom - top) * np.linspace(0.0, 1.0, h)[:, None]).astype(np.int16)
    grain = np.round(rng.normal(0.0, 3.0, (GRAIN_TILE, GRAIN_TILE))).astype(np.int16)
    grain = np.tile(grain, (-(-h // GRAIN_TILE), -(-w // GRAIN_TILE)))[:h, :w, None]
    return (ramp[:, None, :] + grain).astype(np.uint8)  # 60-200 +- a few: no clipping needed


def _paste(frame: np.ndarray, face: np.ndarray, centre: tuple[int, int], height: int) -> None:
    """Paste `face` scaled to `height` px with its centre at `centre`, clipped to the frame."""
    width = max(1, round(face.shape[1] * height / face.shape[0]))
    scaled = np.asarray(Image.fromarray(face).resize((width, height), Image.BICUBIC))
    x0, y0 = round(centre[0] - width / 2), round(centre[1] - height / 2)
    fx0, fy0 = max(0, -x0), max(0, -y0)
    x1, y1 = min(frame.shape[1], x0 + width), min(frame.shape[0], y0 + height)
    if x1 > max(x0, 0) and y1 > max(y0, 0):
        frame[max(y0, 0) : y1, max(x0, 0) : x1] = scaled[fy0 : fy0 + y1 - max(y0, 0), fx0:][
            :, : x1 - max(x0, 0)
        ]


def compose(size: tuple[int, int], faces, seed: int = 0) -> np.ndarray:
    """A (height, width, 3) frame: the background with each (face, (cx, cy), height) pasted."""
    frame = background(size, seed)
    for face, centre, height in faces or ():
        _paste(frame, face, centre, height)
    return frame


# ---------------------------------------------------------------------------- speech


def median_f0(x: np.ndarray, rate: int = SPEECH_RATE) -> float:
    """Praat's F0 median over the voiced frames."""
    import parselmouth

    pitch = call(parselmouth.Sound(x.astype(np.float64), rate), "To Pitch", 0.0, 60, 600)
    values = pitch.selected_array["frequency"]
    return float(np.median(values[values > 0]))


def _trim(x: np.ndarray, floor_db: float = -40.0) -> np.ndarray:
    """Cut leading and trailing silence (quieter than `floor_db` re the peak)."""
    loud = np.flatnonzero(np.abs(x) > np.abs(x).max() * 10 ** (floor_db / 20))
    return x[loud[0] : loud[-1] + 1]


def _say(accent, variant, pitch, wpm, texts, pauses) -> np.ndarray:
    """(Child only) The sentences spoken one after the other, with the given pauses (s)."""
    synthesizer = call("Create SpeechSynthesizer", accent, variant)
    call(synthesizer, "Set speech output settings", SPEECH_RATE, 0.01, pitch, 50, wpm, "no", "IPA")
    parts = []
    for text, pause in zip(texts, pauses):
        parts.append(_trim(call(synthesizer, "To Sound", text, "no")[0].values[0]))
        parts.append(np.zeros(round(pause * SPEECH_RATE)))
    return np.concatenate(parts).astype(np.float32)


@functools.cache
def _speech(seed: int, seconds: float, female: bool, take: int) -> np.ndarray:
    rng = np.random.default_rng([seed, int(female)])
    variant = str(rng.choice(VOICES[female]))
    accent = str(rng.choice(ACCENTS))
    pitch = int(rng.integers(*PITCH_SETTING[female]))
    wpm = int(rng.integers(160, 200))
    sentences = load_sentences()
    rng = np.random.default_rng([seed, int(female), take])
    count = max(1, math.ceil(seconds / 2.0))  # sentences last 2.5-4.5 s: enough, and cheap
    texts = [sentences[i] for i in rng.choice(len(sentences), count, replace=False)]
    pauses = rng.uniform(*PAUSE_S, count)
    x = _isolated(_say, accent, variant, pitch, wpm, texts, pauses)
    n = round(seconds * SPEECH_RATE)
    x = np.concatenate([np.zeros(round(0.05 * SPEECH_RATE), np.float32), x])
    while len(x) < n:  # rarely: repeat rather than synthesise again
        x = np.concatenate([x, x])
    x = 0.8 * x[:n] / np.abs(x[:n]).max()
    _check_voice(x, seconds, female, variant)
    x = x.astype(np.float32)
    x.flags.writeable = False
    return x


def _check_voice(x: np.ndarray, seconds: float, female: bool, variant: str) -> None:
    """Raise unless Silero hears mostly speech and F0 is on the gender's side of the bounds."""
    if seconds >= 1.0:
        share = float(np.mean(speech_probabilities(x) > 0.5))
        if share < MIN_SPEECH_SHARE:
            raise RuntimeError(f"Silero hears speech in only {share:.0%} of {variant}'s clip")
    f0 = median_f0(x)
    if (f0 <= FEMALE_MIN_F0) if female else (f0 >= MALE_MAX_F0):
        raise RuntimeError(f"{variant}'s F0 median {f0:.0f} Hz is off for female={female}")


def speech(seed: int, seconds: float, female: bool, take: int = 0) -> np.ndarray:
    """Praat (espeak-ng) speech: float32 16 kHz mono, exactly `seconds` long, peak 0.8.

    A voice (espeak variant, accent, pitch, rate) chosen by `seed` and the gender reads
    sentences chosen by `take` (so one speaker's clips differ), pauses under 0.3 s. Checked:
    Silero scores >= 70% of it as speech (clips >= 1 s), F0 median > 165 Hz for women,
    < 155 Hz for men. Same arguments, same samples; cached per arguments.
    """
    return _speech(int(seed), float(seconds), bool(female), int(take)).copy()


# ---------------------------------------------------------------------------- containers


def _resampled(audio: np.ndarray, seconds: float, rate: int, channels: int) -> np.ndarray:
    """16 kHz mono audio at `rate`, padded or cut to `seconds`, as (channels, samples)."""
    ratio = Fraction(rate, SPEECH_RATE)
    x = np.asarray(audio, np.float64)
    if ratio != 1:
        x = resample_poly(x, ratio.numerator, ratio.denominator)
    n = round(seconds * rate)
    x = np.pad(x[:n], (0, max(0, n - len(x))))
    return np.repeat(x[None].astype(np.float32), channels, axis=0)


def _frame_times(seconds: float, fps: float, vfr: bool, rng) -> np.ndarray:
    """Frame start times (s): regular, or with irregular gaps of 0.4-1.6 frame periods."""
    if not vfr:
        return np.arange(math.floor(seconds * fps + 1e-9)) / fps
    gaps = rng.uniform(0.4, 1.6, math.ceil(seconds * fps * 2)) / fps
    times = np.concatenate([[0.0], np.cumsum(gaps)])
    return times[times < seconds - 0.5 / fps]


def _add_video(container, codec: str, size, fps: float, vfr: bool):
    stream = container.add_stream(codec, rate=None if vfr else Fraction(fps).limit_denominator())
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.bit_rate = int(max(4e5, size[0] * size[1] * fps * 0.4))
    if vfr:  # only the codec's time base: the muxer picks the stream's
        stream.codec_context.time_base = Fraction(1, 1000)
    return stream


def _write_video(container, stream, frame: np.ndarray, times: np.ndarray, vfr: bool) -> None:
    """Encode the same picture at each time (a static shot), then flush."""
    for i, t in enumerate(times):
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        picture.pts = round(t * 1000) if vfr else i
        if vfr:
            picture.time_base = Fraction(1, 1000)
        container.mux(stream.encode(picture))
    container.mux(stream.encode(None))


def _add_audio(container, codec: str, rate: int, channels: int):
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "mono" if channels == 1 else "stereo"
    return stream


def _write_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    """Encode (channels, samples) float32 audio in AUDIO_FRAME-sample frames, then flush."""
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    for start in range(0, samples.shape[1], AUDIO_FRAME):
        chunk = np.ascontiguousarray(samples[:, start : start + AUDIO_FRAME])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate, frame.pts = rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def has_encoder(name: str) -> bool:
    """Whether PyAV's FFmpeg can encode with `name` (e.g. libvpx for .webm)."""
    try:
        av.codec.Codec(name, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
    return True


def talking_video(
    path,
    *,
    seconds: float,
    faces=None,
    audio: np.ndarray | None = None,
    size: tuple[int, int] = (640, 360),
    fps: float = 10,
    audio_rate: int = SPEECH_RATE,
    channels: int = 1,
    vfr: bool = False,
    codec: str = "mpeg4",
    seed: int = 0,
    faststart: bool = False,
) -> Path:
    """Write a real container (format from the suffix) and return its path.

    `faces`: [(RGB face, (cx, cy) px, height px)] pasted on a background (None: no face);
    `audio`: 16 kHz mono float, resampled to `audio_rate`, padded/cut to `seconds` and copied
    to `channels` (None: no audio stream). `.m4a` writes the audio only; `.webm` uses VP8 and
    Opus at 48 kHz. `vfr`: irregular frame times. `size` is (width, height), even.
    """
    path = Path(path)
    fmt, video_codec, audio_codec = FORMATS[path.suffix.lower()]
    video = fmt != "ipod"
    if audio is None and not video:
        raise ValueError("an audio-only file needs audio")
    if audio_codec == "libopus":
        audio_rate = OPUS_RATE
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format=fmt, options=options) as container:
        vstream = _add_video(container, video_codec or codec, size, fps, vfr) if video else None
        astream = (
            _add_audio(container, audio_codec, audio_rate, channels) if audio is not None else None
        )
        if vstream is not None:
            times = _frame_times(seconds, fps, vfr, np.random.default_rng(seed))
            _write_video(container, vstream, compose(size, faces, seed), times, vfr)
        if astream is not None:
            samples = _resampled(audio, seconds, audio_rate, channels)
            _write_audio(container, astream, samples, audio_rate)
    return path


# ---------------------------------------------------------------------------- bad files


def corrupt_file(path, size: int = 4096, seed: int = 0) -> Path:
    """`size` random bytes under a media name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, np.uint8).tobytes())
    return path


def empty_file(path) -> Path:
    """A zero-byte file under a media name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def truncated_copy(src, dst, fraction: float = 0.4) -> Path:
    """The first `fraction` of `src`'s bytes (a download cut short)."""
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst
