"""What the evaluation writes of the conditions (evaluation/conditions.py): their section of
metrics.json, MLflow keys, the SNR curve (DVC plot and figure) and the report's section."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from speech2face.evaluation.conditions import ENGINE, HELD_OUT_ENGINE, IN_DISTRIBUTION, snr_db

# Compared across conditions, overall and per gender.
COMPARED = ("recall_at_5", "gender_agreement")
GENDERS = ("female", "male")
CONDITION_NAMES = {
    IN_DISTRIBUTION: "in distribution (clean, training engines)",
    HELD_OUT_ENGINE: "held-out engine",
    "reverb": "room reverberation",
    "telephone": "telephone band (8 kHz)",
    "opus": "Opus round trip",
    "mp3": "MP3 round trip",
}


def _name(condition: str, card: dict) -> str:
    if condition == HELD_OUT_ENGINE and card.get("held_out_engine"):
        voices = ", ".join(card.get("held_out_voices", []))
        return f"held-out engine: {card['held_out_engine']} ({voices})"
    snr = snr_db(condition)
    return (
        f"noise at {snr:g} dB SNR" if snr is not None else CONDITION_NAMES.get(condition, condition)
    )


def _rows(conditions: pd.DataFrame, system: str = "voice") -> pd.DataFrame:
    """(condition, attribute, group, metric) -> value, ci_low, ci_high, clips, speakers."""
    rows = conditions[conditions.system == system]
    return rows.set_index(["condition", "attribute", "group", "metric"])


def _number(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def summary(conditions: pd.DataFrame) -> dict:
    """metrics.json's `conditions`: per condition, recall@5 and gender agreement overall (with
    interval, chance and share of the clean value) and per gender (with interval)."""
    voice, chance = _rows(conditions), _rows(conditions, "shuffled")
    clean = {m: voice.loc[(IN_DISTRIBUTION, "overall", "all", m), "value"] for m in COMPARED}
    document = {}
    for condition in dict.fromkeys(conditions.condition):
        entry = {}
        for metric in COMPARED:
            row = voice.loc[(condition, "overall", "all", metric)]
            entry[metric] = _number(row.value)
            entry[f"{metric}_low"], entry[f"{metric}_high"] = map(
                _number, (row.ci_low, row.ci_high)
            )
            entry[f"{metric}_chance"] = _number(
                chance.loc[(condition, "overall", "all", metric)].value
            )
            entry[f"{metric}_of_clean"] = _number(row.value / clean[metric])
            for gender in GENDERS:
                key = (condition, "gender", gender, metric)
                if key in voice.index:
                    entry[f"{metric}_{gender}"] = _number(voice.loc[key].value)
                    entry[f"{metric}_{gender}_low"] = _number(voice.loc[key].ci_low)
                    entry[f"{metric}_{gender}_high"] = _number(voice.loc[key].ci_high)
        entry["speakers"] = int(voice.loc[(condition, "overall", "all", COMPARED[0])].speakers)
        document[condition] = entry
    return document


def flat(conditions: pd.DataFrame, key) -> dict[str, float]:
    """MLflow keys condition/<condition>/<metric>/<attribute>/<group> (and ci_low, ci_high) of
    the model, condition/<condition>/shuffled/<metric>/overall of the control."""
    metrics = {}
    for row in conditions.itertuples():
        where = ("overall",) if row.attribute == "overall" else (row.attribute, row.group)
        if row.system == "voice":
            metrics[key("condition", row.condition, row.metric, *where)] = row.value
            metrics[key("condition", row.condition, row.metric, *where, "ci_low")] = row.ci_low
            metrics[key("condition", row.condition, row.metric, *where, "ci_high")] = row.ci_high
        elif row.attribute == "overall":
            metrics[key("condition", row.condition, "shuffled", row.metric, "overall")] = row.value
    return metrics


def snr_curve(conditions: pd.DataFrame) -> pd.DataFrame:
    """The model's recall@5 and gender agreement (overall, with intervals) per noise SNR,
    highest SNR first: reports/plots/snr_curve.csv."""
    voice = _rows(conditions)
    rows = []
    for condition in dict.fromkeys(conditions.condition):
        if snr_db(condition) is None:
            continue
        row = {"snr_db": snr_db(condition)}
        for metric in COMPARED:
            found = voice.loc[(condition, "overall", "all", metric)]
            row |= {
                metric: found.value,
                f"{metric}_low": found.ci_low,
                f"{metric}_high": found.ci_high,
            }
        rows.append(row)
    return pd.DataFrame(rows).sort_values("snr_db", ascending=False, ignore_index=True)


def figure(conditions: pd.DataFrame) -> Figure:
    """Per compared metric: the model vs SNR (clean and chance as lines), and per condition."""
    voice, chance = _rows(conditions), _rows(conditions, "shuffled")
    curve = snr_curve(conditions)
    names = list(dict.fromkeys(conditions.condition))
    drawn, axes = plt.subplots(2, len(COMPARED), figsize=(12, 8), squeeze=False)
    for column, metric in enumerate(COMPARED):
        clean = voice.loc[(IN_DISTRIBUTION, "overall", "all", metric)].value
        level = chance.loc[(IN_DISTRIBUTION, "overall", "all", metric)].value
        ax = axes[0, column]
        if not curve.empty:
            low, high = (
                curve[metric] - curve[f"{metric}_low"],
                curve[f"{metric}_high"] - curve[metric],
            )
            ax.errorbar(
                curve.snr_db,
                curve[metric],
                yerr=[low, high],
                marker="o",
                capsize=3,
                label="noisy test clips",
            )
        ax.axhline(clean, color="#1f77b4", linestyle="--", label="clean")
        ax.axhline(level, color="#9e9e9e", linestyle=":", label="shuffled pairs (chance)")
        ax.set_xlabel("signal-to-noise ratio (dB)")
        ax.set_ylabel(metric)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        ax = axes[1, column]
        for k, gender in enumerate(("all", *GENDERS)):
            attribute = "overall" if gender == "all" else "gender"
            rows = [voice.loc[(c, attribute, gender, metric)] for c in names]
            values = np.array([r.value for r in rows])
            errors = np.abs(np.array([[r.ci_low, r.ci_high] for r in rows]).T - values)
            ax.bar(
                np.arange(len(names)) + (k - 1) * 0.27,
                values,
                0.27,
                yerr=errors,
                capsize=2,
                label=gender,
            )
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
        ax.set_ylabel(metric)
        ax.legend(fontsize=8, title="speakers")
        ax.grid(axis="y", alpha=0.3)
    drawn.tight_layout()
    return drawn


def _cell(row) -> str:
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def report_section(conditions: pd.DataFrame, card: dict) -> list[str]:
    """The report's section: a table of every condition and what it says in sentences."""
    voice, chance = _rows(conditions), _rows(conditions, "shuffled")
    header = ["condition", "speakers", "recall_at_5", "chance", "gender_agreement", "women", "men"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    names = list(dict.fromkeys(conditions.condition))
    for condition in names:
        overall = {m: voice.loc[(condition, "overall", "all", m)] for m in COMPARED}
        by_gender = [
            _cell(voice.loc[(condition, "gender", g, "gender_agreement")])
            if (condition, "gender", g, "gender_agreement") in voice.index
            else "-"
            for g in GENDERS
        ]
        level = chance.loc[(condition, "overall", "all", "recall_at_5")].value
        cells = [
            _name(condition, card),
            str(overall["recall_at_5"].speakers),
            _cell(overall["recall_at_5"]),
        ]
        cells += [f"{level:.3f}", _cell(overall["gender_agreement"]), *by_gender]
        lines.append("| " + " | ".join(cells) + " |")
    return [
        "## Beyond the training voices: a held-out engine and degraded recordings",
        "\n".join(lines),
        "\n".join(_sentences(voice, chance, names, card)),
        "![recall@5 and gender agreement by condition](figures/conditions.png)",
    ]


def _by_engine(voice: pd.DataFrame) -> list[str]:
    """The in-distribution test by training engine, when the corpus records engines."""
    key = (IN_DISTRIBUTION, ENGINE)
    if key not in voice.index.droplevel(["group", "metric"]):
        return []
    rows = voice.xs(key, level=("condition", "attribute"))
    parts = [
        f"{engine} ({rows.loc[(engine, 'recall_at_5')].speakers} speakers) recall@5 "
        f"{_cell(rows.loc[(engine, 'recall_at_5')])}, gender agreement "
        f"{_cell(rows.loc[(engine, 'gender_agreement')])}"
        for engine in dict.fromkeys(rows.index.get_level_values("group"))
    ]
    return [f"- In distribution, by the engine that speaks for the speaker: {'; '.join(parts)}."]


def _sentences(
    voice: pd.DataFrame, chance: pd.DataFrame, names: list[str], card: dict
) -> list[str]:
    lines = []
    clean = {m: voice.loc[(IN_DISTRIBUTION, "overall", "all", m)].value for m in COMPARED}
    if HELD_OUT_ENGINE in names:
        for gender in GENDERS:
            key = ("gender", gender, "gender_agreement")
            if (HELD_OUT_ENGINE, *key) in voice.index:
                held, inside = (
                    voice.loc[(HELD_OUT_ENGINE, *key)],
                    voice.loc[(IN_DISTRIBUTION, *key)],
                )
                difference = held.value - inside.value
                lines.append(
                    f"- Held-out engine, {gender} speakers: gender agreement {_cell(held)} vs "
                    f"{inside.value:.3f} in distribution (difference {difference:+.3f})."
                )
        held = voice.loc[(HELD_OUT_ENGINE, "overall", "all", "recall_at_5")]
        level = chance.loc[(HELD_OUT_ENGINE, "overall", "all", "recall_at_5")]
        beyond = held.ci_low > level.ci_high
        lines.append(
            f"- Held-out engine: recall@5 {_cell(held)}, {'beyond' if beyond else 'not beyond'} "
            f"the shuffled control's {_cell(level)}."
        )
    else:
        lines.append(
            "- No held-out engine: the corpus has no clips of an engine kept out of training."
        )
    lines += _by_engine(voice)
    for condition in names:
        if condition in (IN_DISTRIBUTION, HELD_OUT_ENGINE):
            continue
        kept = [
            f"{m} {voice.loc[(condition, 'overall', 'all', m)].value / clean[m]:.0%}"
            for m in COMPARED
        ]
        lines.append(f"- {_name(condition, card)}: keeps {', '.join(kept)} of the clean values.")
    return lines
