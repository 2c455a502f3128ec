"""Stage `preprocess`: fixed-length waveforms, aligned face arrays and per-clip measurements.

Per split, `data/features/<split>/` holds `waveforms.npy` (int16, clips x samples),
`faces.npy` (uint8, clips x size x size x 3), both memory-mappable, and `clips.csv`: the
manifest rows in array order with the clip's F0 median (Praat), RMS and clipping fraction.
Spectrograms are not stored: training computes them on the device (`features.frontends`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from speech2face.audio import fit_length, load_mono, to_int16
from speech2face.errors import InputError
from speech2face.files import atomic_path, write_json
from speech2face.manifest import COLUMNS, MANIFEST_NAME, read_manifest, splits_of, typed
from speech2face.parallel import parallel_map
from speech2face.params import PreprocessParams

CLIPPING_LEVEL = 0.999
META_NAME = "meta.json"


@dataclass(frozen=True)
class ClipArrays:
    waveform: np.ndarray
    face: np.ndarray
    measurements: dict


def f0_median(samples: np.ndarray, sample_rate: int, search_hz: tuple[float, float]) -> float:
    """Median F0 of the voiced frames (Praat's autocorrelation method), NaN if none is voiced."""
    import parselmouth

    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=sample_rate)
    pitch = sound.to_pitch_ac(time_step=0.01, pitch_floor=search_hz[0], pitch_ceiling=search_hz[1])
    frequencies = pitch.selected_array["frequency"]
    voiced = frequencies[frequencies > 0]
    return float(np.median(voiced)) if len(voiced) else float("nan")


def load_face(path: Path, size: int) -> np.ndarray:
    """The face image as uint8 RGB, resized to size x size."""
    try:
        with Image.open(path) as image:
            face = image.convert("RGB")
    except Exception as error:  # PIL raises several types for missing or truncated files
        raise InputError(f"{path}: cannot read face image: {error}") from error
    if face.size != (size, size):
        face = face.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(face, dtype=np.uint8)


def clip_arrays(paths: tuple[Path, Path], params: PreprocessParams) -> ClipArrays:
    """One clip's model inputs and its measurements (taken on the audio as recorded)."""
    audio_path, face_path = paths
    rate = params.audio.sample_rate
    samples = load_mono(audio_path, rate)
    measurements = {
        "f0_median_hz": f0_median(samples, rate, params.f0_search_hz),
        "rms": float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))),
        "clipping_fraction": float(np.mean(np.abs(samples) >= CLIPPING_LEVEL)),
    }
    length = int(round(params.audio.seconds * rate))
    waveform = to_int16(fit_length(samples, length))
    return ClipArrays(waveform, load_face(face_path, params.image_size), measurements)


def write_split(rows: pd.DataFrame, raw_dir: Path, out_dir: Path, params, workers: int) -> None:
    """The arrays and clips.csv of one split, written row by row into memory-mapped files."""
    out_dir.mkdir(parents=True)
    n, size = len(rows), params.image_size
    samples = int(round(params.audio.seconds * params.audio.sample_rate))
    waveforms = np.lib.format.open_memmap(
        out_dir / "waveforms.npy", mode="w+", dtype=np.int16, shape=(n, samples)
    )
    faces = np.lib.format.open_memmap(
        out_dir / "faces.npy", mode="w+", dtype=np.uint8, shape=(n, size, size, 3)
    )
    paths = [(raw_dir / a, raw_dir / f) for a, f in zip(rows.audio_path, rows.face_path)]
    work = partial(clip_arrays, params=params)
    measurements = []
    for i, arrays in enumerate(parallel_map(work, paths, workers, f"Preprocessing {out_dir.name}")):
        waveforms[i], faces[i] = arrays.waveform, arrays.face
        measurements.append(arrays.measurements)
    waveforms.flush()
    faces.flush()
    clips = pd.concat([rows, pd.DataFrame(measurements, index=rows.index)], axis=1)
    clips.insert(0, "row", np.arange(n))
    clips.to_csv(out_dir / "clips.csv", index=False)


def preprocess(raw_dir: Path, out_dir: Path, params: PreprocessParams, workers: int) -> dict:
    """Write every split's arrays under `out_dir`, atomically; return the summary (meta.json)."""
    manifest = typed(read_manifest(raw_dir / MANIFEST_NAME))
    keep = list(COLUMNS) + [c for c in manifest.columns if c not in COLUMNS]
    with atomic_path(out_dir, directory=True) as staging:
        splits = splits_of(manifest)
        for split in splits:
            rows = manifest.loc[manifest.split == split, keep].reset_index(drop=True)
            write_split(rows, raw_dir, staging / split, params, workers)
        meta = {
            "sample_rate": params.audio.sample_rate,
            "seconds": params.audio.seconds,
            "samples": int(round(params.audio.seconds * params.audio.sample_rate)),
            "image_size": params.image_size,
            "clips": {s: int((manifest.split == s).sum()) for s in splits},
        }
        write_json(staging / META_NAME, meta)
    return meta
