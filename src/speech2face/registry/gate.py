"""The model gate: which alias a newly registered version earns, from the evaluation's figures.

`champion` only if every rule passes; otherwise `challenger`, and the report names each rule
that failed. The rules read `reports/metrics.json` (overall figures, intervals, gaps) and
`reports/groups.csv` (each group's interval against the shuffled control's).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from speech2face.params import RegisterParams

CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class Rule:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Standing:
    """A registered version's headline figure, as the gate compares it."""

    version: str
    value: float
    low: float
    high: float


def beyond_chance(metric: str, summary: dict, groups: pd.DataFrame) -> Rule:
    """The metric's interval lies beyond the shuffled control's overall and in every gender."""
    rows = groups[(groups.system == "voice") & (groups.metric == metric)]
    rows = rows[(rows.attribute == "overall") | (rows.attribute == "gender")]
    if rows.empty:
        return Rule(f"{metric} beyond chance", False, f"no {metric} in the evaluation")
    failing = [
        "overall" if row.attribute == "overall" else row.group
        for row in rows.itertuples()
        if row.beyond_shuffled != 1
    ]
    shown = (
        f"{summary[metric]:.3f} [{summary[f'{metric}_low']:.3f}, "
        f"{summary[f'{metric}_high']:.3f}] vs shuffled {summary[f'{metric}_chance']:.3f}"
    )
    if failing:
        return Rule(f"{metric} beyond chance", False, f"not beyond in {', '.join(failing)}")
    groups_shown = ", ".join(
        f"{row.group} {row.value:.3f}" for row in rows.itertuples() if row.attribute == "gender"
    )
    return Rule(f"{metric} beyond chance", True, f"overall {shown}; {groups_shown}")


def gender_gap(summary: dict, bound: float) -> Rule:
    """The worst-minus-best gap in gender agreement across genders is within `bound`."""
    gap = summary["gender_agreement_gap_gender"]
    passed = abs(gap) <= bound
    relation = "within" if passed else "beyond"
    return Rule(
        "gender agreement gap between genders",
        passed,
        f"worst minus best {gap:+.3f}, {relation} the bound of {bound:.2f}",
    )


def not_worse_than(champion: Standing | None, candidate: Standing, metric: str) -> Rule:
    """The candidate's interval reaches the champion's value (no champion: passes)."""
    name = f"{metric} not worse than the champion"
    if champion is None:
        return Rule(name, True, "no other version is champion yet")
    if math.isnan(champion.value):
        return Rule(
            name, False, f"the champion (version {champion.version}) has no {metric} figure"
        )
    passed = candidate.high >= champion.value
    return Rule(
        name,
        passed,
        f"{candidate.value:.3f} [{candidate.low:.3f}, {candidate.high:.3f}] vs the champion's "
        f"{champion.value:.3f} (version {champion.version})",
    )


def decide(
    summary: dict, groups: pd.DataFrame, params: RegisterParams, champion: Standing | None
) -> tuple[str, list[Rule]]:
    """The alias the evaluated models earn, and every rule with its outcome."""
    metric = params.compare_metric
    candidate = standing("new", summary, metric)
    rules = [beyond_chance(name, summary, groups) for name in params.beyond_chance]
    rules += [
        gender_gap(summary, params.max_gender_gap),
        not_worse_than(champion, candidate, metric),
    ]
    return (CHAMPION if all(rule.passed for rule in rules) else CHALLENGER), rules


def standing(version: str, summary: dict, metric: str) -> Standing:
    return Standing(version, summary[metric], summary[f"{metric}_low"], summary[f"{metric}_high"])


def as_records(rules: list[Rule]) -> list[dict]:
    return [asdict(rule) for rule in rules]
