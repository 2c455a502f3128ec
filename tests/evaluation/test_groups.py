"""Per-group summaries: values, speaker-bootstrap intervals, correlations and gaps."""

import numpy as np
import pandas as pd
import pytest

from speech2face.evaluation.groups import group_table, unknown_counts
from speech2face.manifest import UNKNOWN


def clips_of(speakers: int, per_speaker: int) -> pd.DataFrame:
    ids = np.repeat([f"s{i:03d}" for i in range(speakers)], per_speaker)
    gender = np.where(np.arange(len(ids)) // per_speaker % 2 == 0, "female", "male")
    return pd.DataFrame({"speaker_id": ids, "gender": gender})


def test_values_are_group_means_and_intervals_shrink_with_more_speakers():
    rng = np.random.default_rng(0)
    widths = []
    for speakers in (20, 320):
        clips = clips_of(speakers, 3)
        hit = (rng.random(len(clips)) < np.where(clips.gender == "female", 0.8, 0.3)) * 1.0
        table = pd.DataFrame({"recall_at_5": hit})
        groups, _ = group_table(table, clips, ("gender",), 500, 0.95, 1)
        rows = groups.set_index(["attribute", "group"])
        assert rows.loc[("overall", "all"), "value"] == pytest.approx(hit.mean())
        female = rows.loc[("gender", "female")]
        assert female.value == pytest.approx(hit[clips.gender == "female"].mean())
        assert female.ci_low < female.value < female.ci_high
        assert (female.clips, female.speakers) == ((clips.gender == "female").sum(), speakers // 2)
        widths.append(female.ci_high - female.ci_low)
    assert widths[1] < widths[0] / 2


def test_correlation_from_moments_matches_pearson():
    rng = np.random.default_rng(1)
    clips = clips_of(100, 2)
    x = rng.normal(size=len(clips))
    y = 0.5 * x + rng.normal(size=len(clips))
    x, y = x - x.mean(), y - y.mean()
    moments = {"x": x, "y": y, "xx": x * x, "yy": y * y, "xy": x * y}
    table = pd.DataFrame({f"width_correlation__{k}": v for k, v in moments.items()})
    groups, _ = group_table(table, clips, ("gender",), 300, 0.95, 2)
    overall = groups[groups.attribute == "overall"].iloc[0]
    assert overall.metric == "width_correlation"
    assert overall.value == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert overall.ci_low < overall.value < overall.ci_high


def test_a_constant_side_has_no_correlation():
    clips = clips_of(10, 2)
    x, y = np.zeros(len(clips)), np.arange(len(clips), dtype=float)
    moments = {"x": x, "y": y, "xx": x * x, "yy": y * y, "xy": x * y}
    table = pd.DataFrame({f"c_correlation__{k}": v for k, v in moments.items()})
    groups, _ = group_table(table, clips, ("gender",), 50, 0.95, 3)
    assert groups.value.isna().all()


def test_gap_is_worst_minus_best_and_knows_which_way_is_better():
    clips = clips_of(60, 2)
    female = (clips.gender == "female").to_numpy()
    table = pd.DataFrame({"recall_at_5": np.where(female, 0.9, 0.4), "l1": np.where(female, 1, 3)})
    _, gaps = group_table(table, clips, ("gender",), 200, 0.95, 4)
    gaps = gaps.set_index("metric")
    assert gaps.loc["recall_at_5", "gap"] == pytest.approx(0.4 - 0.9)
    assert gaps.loc["recall_at_5", ["worst", "best"]].tolist() == ["male", "female"]
    assert gaps.loc["l1", "gap"] == pytest.approx(3 - 1)
    assert gaps.loc["l1", ["worst", "best"]].tolist() == ["male", "female"]


def test_gap_between_alike_groups_has_an_interval_around_zero():
    rng = np.random.default_rng(5)
    clips = clips_of(200, 2)
    table = pd.DataFrame({"recall_at_5": (rng.random(len(clips)) < 0.5) * 1.0})
    _, gaps = group_table(table, clips, ("gender",), 500, 0.95, 6)
    gap = gaps.set_index("metric").loc["recall_at_5"]
    assert gap.gap <= 0 and gap.ci_low < 0 < gap.ci_high


def test_unknown_speakers_count_overall_but_form_no_group():
    clips = clips_of(30, 2)
    clips["ethnicity"] = np.where(clips.speaker_id < "s010", UNKNOWN, clips.gender + "_group")
    table = pd.DataFrame({"recall_at_5": np.where(clips.ethnicity == UNKNOWN, 0.0, 1.0)})
    groups, gaps = group_table(table, clips, ("gender", "ethnicity"), 100, 0.95, 7)
    ethnicity = groups[groups.attribute == "ethnicity"]
    assert set(ethnicity.group) == {"female_group", "male_group"}
    assert groups.set_index("attribute").loc["overall", "clips"] == 60
    gap = gaps.set_index("attribute").loc["ethnicity"]
    assert gap.gap == 0.0 and UNKNOWN not in (gap.worst, gap.best)
    assert unknown_counts(clips, ("gender", "ethnicity")) == {
        "ethnicity": {"speakers": 10, "clips": 20}
    }


def test_an_attribute_unknown_for_everyone_has_no_groups_and_no_gap():
    clips = clips_of(10, 2).assign(ethnicity=UNKNOWN)
    table = pd.DataFrame({"recall_at_5": np.ones(len(clips))})
    groups, gaps = group_table(table, clips, ("gender", "ethnicity"), 50, 0.95, 8)
    assert "ethnicity" not in set(groups.attribute) and "ethnicity" not in set(gaps.attribute)
