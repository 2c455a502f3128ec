"""The model gate: champion only when every rule holds; each failing rule named."""

import pandas as pd
import pytest

from speech2face.params import RegisterParams
from speech2face.registry.gate import CHALLENGER, CHAMPION, Standing, decide

PARAMS = RegisterParams(
    model_name="speech2face",
    beyond_chance=("recall_at_5", "gender_agreement"),
    max_gender_gap=0.10,
    compare_metric="recall_at_5",
)


def summary(**changes) -> dict:
    values = {
        "recall_at_5": 0.20,
        "recall_at_5_low": 0.15,
        "recall_at_5_high": 0.25,
        "recall_at_5_chance": 0.03,
        "gender_agreement": 0.90,
        "gender_agreement_low": 0.86,
        "gender_agreement_high": 0.93,
        "gender_agreement_chance": 0.50,
        "gender_agreement_gap_gender": -0.04,
    }
    return {**values, **changes}


def groups(not_beyond: tuple[str, str] | None = None) -> pd.DataFrame:
    """groups.csv rows: overall and per gender, each beyond the shuffled control but one."""
    rows = []
    for metric in ("recall_at_5", "gender_agreement"):
        for attribute, group in (("overall", "all"), ("gender", "female"), ("gender", "male")):
            beyond = 0 if not_beyond == (metric, group) else 1
            rows.append((attribute, group, metric, 0.5, "voice", beyond))
            rows.append((attribute, group, metric, 0.1, "shuffled", float("nan")))
    columns = ["attribute", "group", "metric", "value", "system", "beyond_shuffled"]
    return pd.DataFrame(rows, columns=columns)


def failed(rules) -> list[str]:
    return [rule.name for rule in rules if not rule.passed]


def test_every_rule_holding_without_a_champion_makes_a_champion():
    alias, rules = decide(summary(), groups(), PARAMS, None)
    assert alias == CHAMPION and not failed(rules)
    assert len(rules) == 4


@pytest.mark.parametrize(
    ("group", "metric"),
    [("female", "recall_at_5"), ("male", "gender_agreement"), ("all", "recall_at_5")],
)
def test_a_group_at_chance_makes_a_challenger_and_is_named(group, metric):
    alias, rules = decide(summary(), groups((metric, group)), PARAMS, None)
    assert alias == CHALLENGER and failed(rules) == [f"{metric} beyond chance"]
    shown = "overall" if group == "all" else group
    assert shown in next(r.detail for r in rules if not r.passed)


def test_a_gender_gap_past_the_bound_makes_a_challenger():
    alias, rules = decide(summary(gender_agreement_gap_gender=-0.15), groups(), PARAMS, None)
    assert alias == CHALLENGER and failed(rules) == ["gender agreement gap between genders"]


def test_worse_than_the_champion_beyond_the_interval_makes_a_challenger():
    champion = Standing("3", 0.30, 0.26, 0.34)
    alias, rules = decide(summary(), groups(), PARAMS, champion)
    assert alias == CHALLENGER and failed(rules) == ["recall_at_5 not worse than the champion"]
    assert "version 3" in rules[-1].detail


def test_lower_than_the_champion_within_the_interval_still_wins():
    champion = Standing("3", 0.24, 0.20, 0.28)
    assert decide(summary(), groups(), PARAMS, champion)[0] == CHAMPION


def test_a_champion_without_figures_cannot_be_beaten():
    champion = Standing("2", float("nan"), float("nan"), float("nan"))
    alias, rules = decide(summary(), groups(), PARAMS, champion)
    assert alias == CHALLENGER and "no recall_at_5 figure" in rules[-1].detail
