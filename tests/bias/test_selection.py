"""Which pool speakers a point trains on, and the points a study asks for."""

import pandas as pd
import pytest

from speech2face.bias.params import BiasPointParams, BiasStudyParams
from speech2face.bias.selection import group_counts, training_speakers
from speech2face.bias.study import mitigation_points, share_points
from speech2face.errors import InputError
from speech2face.params import ParamsError

GROUPS = ["group_a", "group_b", "group_c", "group_d"]
POOL = pd.DataFrame(
    [(f"{g}_{i:02d}", g) for g in GROUPS for i in range(30)], columns=["speaker_id", "ethnicity"]
)


def point(share: float, total: int = 40, seed: int = 1) -> BiasPointParams:
    return BiasPointParams("group_d", share, total, seed, None, 1)


def study(**values) -> BiasStudyParams:
    base = dict(
        group="group_d",
        shares=(0.0, 0.05, 0.1, 0.5),
        train_speakers=200,
        group_speakers=10,
        seeds=(1, 2),
        max_epochs=3,
        mitigation_share=0.1,
        mitigation_samplers=("natural", "ethnicity"),
    )
    return BiasStudyParams(**{**base, **values})


def test_counts_give_the_share_and_split_the_rest_equally():
    assert group_counts(GROUPS, point(0.25, 40)) == dict.fromkeys(GROUPS, 10)
    counts = group_counts(GROUPS, point(0.1, 41))
    assert counts["group_d"] == 4 and sum(counts.values()) == 41
    assert sorted(counts[g] for g in GROUPS[:3]) == [12, 12, 13]
    assert group_counts(GROUPS, point(0.0, 9))["group_d"] == 0


def test_draws_are_seeded_and_nested_within_a_seed():
    small, large = training_speakers(POOL, point(0.1)), training_speakers(POOL, point(0.5))
    assert len(small) == len(large) == 40
    group_d = lambda ids: {s for s in ids if s.startswith("group_d")}  # noqa: E731
    assert len(group_d(small)) == 4 and group_d(small) < group_d(large)
    assert training_speakers(POOL, point(0.1)) == small
    assert training_speakers(POOL, point(0.1, seed=2)) != small


def test_a_draw_larger_than_the_pool_names_the_group_and_the_fix():
    with pytest.raises(InputError, match="group_d.*the pool has 30.*bias_pool.n_speakers"):
        training_speakers(POOL, point(0.9, 40))
    with pytest.raises(InputError, match="group_e"):
        group_counts(GROUPS, BiasPointParams("group_e", 0.1, 10, 1, None, 1))
    with pytest.raises(ParamsError, match="bias_point.share"):
        point(1.5)


def test_share_study_runs_equal_points_once_in_both_arms():
    points = share_points(study())
    names = [p.name for p in points]
    assert len(names) == len(set(names))
    shared = [p for p in points if p.share == 0.05]  # 10 of 200: both arms' point
    assert [p.arms for p in shared] == [("share", "count")] * 2
    count = [p for p in points if p.arms == ("count",)]
    assert {(p.share, p.train_speakers) for p in count} == {(0.1, 100), (0.5, 20)}
    assert not [p for p in points if p.share == 0.0 and "count" in p.arms]
    assert len(points) == 4 * 2 + 2 * 2


def test_mitigation_shares_its_natural_points_with_the_share_study():
    natural = {p.name for p in mitigation_points(study()) if p.sampler == "natural"}
    assert natural <= {p.name for p in share_points(study())}
    balanced = [p for p in mitigation_points(study()) if p.sampler == "ethnicity"]
    assert "bias_point.balance_by=ethnicity" in balanced[0].settings()
    natural_point = next(p for p in mitigation_points(study()) if p.sampler == "natural")
    assert "bias_point.balance_by=null" in natural_point.settings()
