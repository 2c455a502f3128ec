"""What the evaluation writes: DVC metrics and plots, tables, figures, and its MLflow record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from speech2face.evaluation import condition_outputs, plots
from speech2face.evaluation.evaluate import Evaluation
from speech2face.evaluation.groups import unknown_counts
from speech2face.evaluation.record import BY_GROUP_FILE, FIGURES_DIR, TABLES
from speech2face.files import atomic_path, write_json, write_text
from speech2face.manifest import GEOMETRY_PREFIX, GROUP_COLUMNS, UNKNOWN

BAR_METRICS = ("recall_at_5", "match_1in2", "gender_agreement", "cosine")
# The summary `reports/metrics.json` (DVC's metrics: `dvc metrics diff`, `dvc exp show`): each
# headline value of the model with its interval and chance, the group gaps, the sizes.
HEADLINE = ("recall_at_5", "match_1in2", "gender_agreement", "cosine")
HEADLINE_GAPS = (("gender_agreement", "gender"), ("recall_at_5", "gender"))
# The independent judges' block of the summary (evaluation/judges.py), when they ran.
JUDGE_HEADLINE = ("dlib_recall_at_5", "dlib_match_1in2", "judge_gender_agreement", "judge_age_mae")
# The decoder's block of the summary: the ceiling of each attribute's agreement, and how the
# drawn faces look (evaluation/face_quality.py), from the true embedding and from the voice.
CEILING_METRICS = ("gender_agreement", "age_group_agreement", "ethnicity_agreement")
QUALITY_SYSTEMS = ("ceiling", "voice")
SUMMARY_FILE, PLOTS_DIR = "metrics.json", "plots"


def _entry(rows: pd.DataFrame) -> dict:
    first = rows.iloc[0]
    return {
        "clips": int(first.clips),
        "speakers": int(first.speakers),
        **{m: _number(v) for m, v in zip(rows.metric, rows.value)},
    }


def _number(value) -> float | None:
    """A JSON number, or null where a metric is undefined (e.g. no variation to correlate)."""
    return float(value) if np.isfinite(value) else None


def _nested(groups: pd.DataFrame) -> dict:
    """{"overall": {...}, attribute: {group: {metric: value, clips, speakers}}} of one system."""
    nested: dict = {}
    for (attribute, group), rows in groups.groupby(["attribute", "group"], sort=False):
        if attribute == "overall":
            nested["overall"] = _entry(rows)
        else:
            nested.setdefault(attribute, {})[group] = _entry(rows)
    return nested


def summary_document(evaluation: Evaluation) -> dict:
    """reports/metrics.json: the headline values overall, each with its 95% interval (`_low`,
    `_high`) and the shuffled control (`_chance`); worst-minus-best gaps by gender; sizes."""
    groups, gaps = evaluation.groups, evaluation.gaps
    overall = groups[groups.attribute == "overall"].set_index(["system", "metric"])
    summary: dict = {}
    for metric in HEADLINE:
        row = overall.loc[("voice", metric)]
        summary[metric] = _number(row.value)
        summary[f"{metric}_low"] = _number(row.ci_low)
        summary[f"{metric}_high"] = _number(row.ci_high)
        summary[f"{metric}_chance"] = _number(overall.loc[("shuffled", metric), "value"])
    voice_gaps = gaps[gaps.system == "voice"].set_index(["metric", "attribute"])
    for metric, attribute in HEADLINE_GAPS:
        row = voice_gaps.loc[(metric, attribute)]
        name = f"{metric}_gap_{attribute}"
        summary[name] = _number(row.gap)
        summary[f"{name}_low"] = _number(row.ci_low)
        summary[f"{name}_high"] = _number(row.ci_high)
    first = overall.loc[("voice", HEADLINE[0])]
    summary["test_speakers"], summary["test_clips"] = int(first.speakers), int(first.clips)
    summary["decoder"] = _decoder_summary(evaluation)
    if JUDGE_HEADLINE[0] in set(evaluation.groups.metric):
        summary["judges"] = _judges_summary(evaluation)
    summary["conditions"] = condition_outputs.summary(evaluation.conditions)
    return summary


def _decoder_summary(evaluation: Evaluation) -> dict:
    """metrics.json `decoder`: `ceiling_<attribute>_agreement` (read on the faces drawn from the
    true embedding vs on the true faces) and `<ceiling|voice>_<sharpness|detail|spread>_ratio`,
    overall and per gender (`_female`, ...), each with its interval."""
    groups, quality = evaluation.groups, evaluation.face_quality
    rows = pd.concat(
        [
            groups[(groups.system == "ceiling") & groups.metric.isin(CEILING_METRICS)],
            quality[quality.system.isin(QUALITY_SYSTEMS)],
        ]
    )
    summary: dict = {}
    for row in rows[rows.attribute.isin(["overall", "gender"])].itertuples():
        name = f"{row.system}_{row.metric}"
        name += "" if row.attribute == "overall" else f"_{row.group}"
        summary[name] = _number(row.value)
        summary[f"{name}_low"] = _number(row.ci_low)
        summary[f"{name}_high"] = _number(row.ci_high)
    return summary


def _judges_summary(evaluation: Evaluation) -> dict:
    """metrics.json `judges`: each judge metric for the voice with its interval, the shuffled
    control (`_chance`) and the ceiling (`_ceiling`); the reader on the true faces."""
    groups = evaluation.groups
    overall = groups[groups.attribute == "overall"].set_index(["system", "metric"])
    summary: dict = {}
    for metric in JUDGE_HEADLINE:
        row = overall.loc[("voice", metric)]
        summary[metric] = _number(row.value)
        summary[f"{metric}_low"], summary[f"{metric}_high"] = map(
            _number, (row.ci_low, row.ci_high)
        )
        for system, suffix in (("shuffled", "chance"), ("ceiling", "ceiling")):
            summary[f"{metric}_{suffix}"] = _number(overall.loc[(system, metric), "value"])
    judge = evaluation.judge_accuracy
    for row in judge[judge.attribute == "overall"].itertuples() if not judge.empty else ():
        summary[f"true_faces_{row.metric}"] = _number(row.value)
        summary[f"true_faces_{row.metric}_low"] = _number(row.ci_low)
        summary[f"true_faces_{row.metric}_high"] = _number(row.ci_high)
    return summary


def metrics_document(evaluation: Evaluation) -> dict:
    """reports/metrics_by_group.json: the model per group, its gaps, the controls, the
    classifier; and, when some test speakers' group is UNKNOWN, their counts under
    `not_compared` (no metric: they form no group)."""
    groups, gaps = evaluation.groups, evaluation.gaps
    document = _nested(groups[groups.system == "voice"])
    unknown = unknown_counts(evaluation.clips, GROUP_COLUMNS)
    if unknown:
        document["not_compared"] = {a: {UNKNOWN: counts} for a, counts in unknown.items()}
    voice_gaps = gaps[gaps.system == "voice"]
    document["gap"] = {
        attribute: {m: _number(g) for m, g in zip(rows.metric, rows.gap)}
        for attribute, rows in voice_gaps.groupby("attribute", sort=False)
    }
    document["controls"] = {
        system: _nested(rows) for system, rows in groups[groups.system != "voice"].groupby("system")
    }
    document["face_quality"] = {
        system: _nested(rows) for system, rows in evaluation.face_quality.groupby("system")
    }
    document["classifier_on_true_faces"] = evaluation.classifier_accuracy
    if not evaluation.judge_accuracy.empty:
        document["judge_on_true_faces"] = _nested(evaluation.judge_accuracy)
    conditions = evaluation.conditions[evaluation.conditions.system == "voice"]
    document["conditions"] = {
        condition: _nested(rows) for condition, rows in conditions.groupby("condition", sort=False)
    }
    return document


def figures(evaluation: Evaluation) -> dict[str, Figure]:
    """The evaluation's figures by file name."""
    voice = evaluation.readings["voice"]
    measures = {
        name.removeprefix(GEOMETRY_PREFIX): (voice[name], evaluation.true_reading[name])
        for name in voice
        if name.startswith(GEOMETRY_PREFIX)
    }
    made = {
        "confusion.png": plots.confusion_figure(evaluation.true_reading, voice, evaluation.classes),
        "groups.png": plots.group_bars_figure(evaluation.groups, list(BAR_METRICS)),
        "faces.png": plots.face_grid_figure(evaluation.grid, evaluation.grid_titles),
        "conditions.png": condition_outputs.figure(evaluation.conditions),
    }
    if measures:
        made["craniofacial.png"] = plots.craniofacial_figure(measures)
    return made


def _plot_tables(evaluation: Evaluation) -> dict[str, pd.DataFrame]:
    """DVC plots data: per-clip confusion pairs, and the model's per-group values."""
    tables = {
        f"confusion_{name}.csv": pd.DataFrame(
            {
                "reading_of_true_face": evaluation.true_reading[name],
                "reading_of_face_from_voice": evaluation.readings["voice"][name],
            }
        )
        for name in evaluation.classes
    }
    voice = evaluation.groups[
        (evaluation.groups.system == "voice") & evaluation.groups.metric.isin(BAR_METRICS)
    ]
    by_group = voice.assign(group=voice.attribute + ": " + voice.group).pivot_table(
        index="group", columns="metric", values="value", sort=False
    )
    tables["by_group.csv"] = by_group.reset_index()
    curve = condition_outputs.snr_curve(evaluation.conditions)
    if not curve.empty:
        tables["snr_curve.csv"] = curve
    return tables


def write_outputs(
    evaluation: Evaluation, made: dict[str, Figure], report: str, reports: Path
) -> dict:
    """Write every output under `reports` atomically; return the summary metrics."""
    summary = summary_document(evaluation)
    with atomic_path(reports / FIGURES_DIR, directory=True) as staging:
        for name, figure in made.items():
            figure.savefig(staging / name, dpi=110)
    with atomic_path(reports / PLOTS_DIR, directory=True) as staging:
        for name, table in _plot_tables(evaluation).items():
            table.to_csv(staging / name, index=False)
    for attribute, name in TABLES.items():
        table = getattr(evaluation, attribute)
        with atomic_path(reports / name) as temporary:
            table.to_csv(temporary, index=False, float_format="%.6g")
    write_json(reports / SUMMARY_FILE, summary)
    write_json(reports / BY_GROUP_FILE, metrics_document(evaluation))
    write_text(reports / "evaluation.md", report)
    return summary
