"""reports/evaluation.md: a one-page reading of the evaluation, written from its numbers."""

from __future__ import annotations

import pandas as pd

from speech2face.evaluation.evaluate import Evaluation

HEADLINE = (
    "recall_at_1",
    "recall_at_5",
    "recall_at_10",
    "match_1in2",
    "cosine",
    "l1",
    "gender_agreement",
    "age_group_agreement",
    "ethnicity_agreement",
    "age_mae",
)
PER_GROUP = (
    "recall_at_5",
    "match_1in2",
    "gender_agreement",
    "age_group_agreement",
    "ethnicity_agreement",
)
SYSTEMS = ("voice", "shuffled", "oracle", "ceiling")
SYSTEM_NAMES = {
    "voice": "face from voice",
    "shuffled": "shuffled pairs",
    "oracle": "oracle",
    "ceiling": "true embedding",
}


def _interval(row) -> str:
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _overall_table(groups: pd.DataFrame) -> str:
    overall = groups[groups.attribute == "overall"].set_index(["metric", "system"])
    systems = [s for s in SYSTEMS if s in set(groups.system)]
    metrics = [m for m in HEADLINE if m in set(groups.metric)]
    metrics += sorted(m for m in set(groups.metric) if m.endswith("_correlation"))
    rows = []
    for metric in metrics:
        cells = [_interval(overall.loc[(metric, s)]) for s in systems]
        beyond = overall.loc[(metric, "voice")].beyond_shuffled
        rows.append([metric, *cells, "yes" if beyond == 1 else "no"])
    names = [SYSTEM_NAMES[s] for s in systems]
    return _table(["metric", *names, "voice beyond chance"], rows)


def _group_table(groups: pd.DataFrame, metric: str) -> str:
    voice = groups[(groups.system == "voice") & (groups.metric == metric)]
    chance = groups[(groups.system == "shuffled") & (groups.metric == metric)]
    chance = chance.set_index(["attribute", "group"])
    rows = [
        [
            row.attribute,
            row.group,
            str(row.speakers),
            str(row.clips),
            _interval(row),
            _interval(chance.loc[(row.attribute, row.group)]),
            "yes" if row.beyond_shuffled == 1 else "no",
        ]
        for row in voice.itertuples()
    ]
    return _table(
        ["attribute", "group", "speakers", "clips", "face from voice", "shuffled", "beyond"],
        rows,
    )


def _reading(evaluation: Evaluation) -> list[str]:
    """Plain sentences on what is above chance and where the gaps are."""
    groups, gaps = evaluation.groups, evaluation.gaps
    voice = groups[groups.system == "voice"]
    overall = voice[voice.attribute == "overall"].set_index("metric")
    above = [m for m in overall.index if overall.loc[m, "beyond_shuffled"] == 1]
    at_chance = [m for m in overall.index if overall.loc[m, "beyond_shuffled"] != 1]
    lines = [
        f"- Beyond the shuffled control's interval overall: {', '.join(above) or 'nothing'}.",
        f"- Not distinguishable from chance overall: {', '.join(at_chance) or 'nothing'}.",
    ]
    for metric in ("recall_at_5", "gender_agreement"):
        rows = voice[(voice.metric == metric) & (voice.attribute != "overall")]
        missing = [f"{r.attribute} {r.group}" for r in rows.itertuples() if r.beyond_shuffled != 1]
        lines.append(
            f"- {metric}: beyond chance in every group"
            if not missing
            else f"- {metric}: not beyond chance in {', '.join(missing)}"
        )
    voice_gaps = gaps[gaps.system == "voice"]
    clear = voice_gaps[(voice_gaps.ci_low > 0) | (voice_gaps.ci_high < 0)]
    clear = clear[clear.metric.isin(PER_GROUP)]
    if clear.empty:
        lines.append(
            "- No worst-minus-best gap of the per-group metrics above has an interval that "
            "excludes zero: at this test size, group differences are not told apart from "
            "sampling noise (which is not evidence that there are none)."
        )
    for row in clear.itertuples():
        lines.append(
            f"- Gap in {row.metric} by {row.attribute}: {row.worst} is worst, {row.best} best, "
            f"worst - best = {row.gap:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]."
        )
    ceiling = groups[(groups.system == "ceiling") & (groups.attribute == "overall")]
    ceiling = ceiling.set_index("metric")
    if "gender_agreement" in ceiling.index:
        lines.append(
            "- Decoding the true face embedding keeps the classifier's gender reading "
            f"{ceiling.loc['gender_agreement', 'value']:.1%} of the time: the ceiling for the "
            "agreement a voice can reach through this decoder."
        )
    return lines


def render(evaluation: Evaluation, resamples: int, shuffles: int) -> str:
    """The whole report as Markdown; figures are linked from reports/figures/."""
    clips = evaluation.clips
    accuracy = ", ".join(f"{k} {v:.3f}" for k, v in evaluation.classifier_accuracy.items())
    sections = [
        "# Evaluation on held-out test speakers",
        f"{len(clips)} clips of {clips.speaker_id.nunique()} test speakers whom no network saw "
        f"in training. Intervals are 95% bootstrap intervals over speakers ({resamples} "
        f"resamples); chance is the model's own predictions paired with other speakers' faces "
        f"({shuffles} random pairings). The attribute classifier on the true test faces, "
        f"against their labels: {accuracy}.",
        "## What the figures say",
        "\n".join(_reading(evaluation)),
        "## Overall",
        _overall_table(evaluation.groups),
        "![per-group values with intervals](figures/groups.png)",
        "## Per group",
        *[f"### {metric}\n\n{_group_table(evaluation.groups, metric)}" for metric in PER_GROUP],
        "## Demographic agreement (classifier on the true face vs on the face from voice)",
        "![confusion matrices](figures/confusion.png)",
        *(
            [
                "## Craniofacial measurements (face from voice vs true face)",
                "![craniofacial measurements](figures/craniofacial.png)",
            ]
            if any(m.endswith("_correlation") for m in evaluation.groups.metric)
            else []
        ),
        "## Faces: true | from the true embedding | from voice",
        "![test speakers](figures/faces.png)",
    ]
    return "\n\n".join(sections) + "\n"
