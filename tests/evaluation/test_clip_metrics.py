"""Per-clip metrics: perfect predictions score perfectly, random ones score at chance."""

import numpy as np
import pytest

from speech2face.evaluation.clip_metrics import Truth, clip_metrics

SPEAKERS, CLIPS = 40, 3


@pytest.fixture
def truth() -> Truth:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(SPEAKERS, 16))
    embeddings = np.repeat(centres, CLIPS, axis=0) + 0.1 * rng.normal(size=(SPEAKERS * CLIPS, 16))
    speakers = np.repeat(np.arange(SPEAKERS), CLIPS)
    described = {
        "gender": np.where(speakers % 2 == 0, "female", "male"),
        "age": 20.0 + speakers,
        "geometry_jaw_width": rng.normal(size=len(speakers)),
    }
    return Truth(embeddings, speakers, described)


def test_perfect_predictions(truth):
    table = clip_metrics(truth.embeddings, truth.described, truth, (1, 5))
    assert table.cosine.min() == pytest.approx(1.0)
    assert table.l1.max() == pytest.approx(0.0)
    assert table.recall_at_1.mean() == 1.0 and table.match_1in2.mean() == 1.0
    assert table.gender_agreement.mean() == 1.0 and table.age_mae.max() == 0.0
    x, y = table["jaw_width_correlation__x"], table["jaw_width_correlation__y"]
    assert np.corrcoef(x, y)[0, 1] == pytest.approx(1.0)


def test_random_predictions_are_at_chance(truth):
    rng = np.random.default_rng(1)
    predicted = rng.normal(size=truth.embeddings.shape)
    table = clip_metrics(predicted, truth.described, truth, (5,))
    assert table.recall_at_5.mean() == pytest.approx(5 / SPEAKERS, abs=0.08)
    assert table.match_1in2.mean() == pytest.approx(0.5, abs=0.06)
