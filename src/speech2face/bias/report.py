"""A bias study's report: per-group metrics per point with intervals over seeds and speakers,
the worst-best gap, the decoder's ceiling and chance beside them; tables, plots, markdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from speech2face.files import atomic_path, write_text

METRICS = ("ethnicity_agreement", "recall_at_5", "gender_agreement")
GROUP = "ethnicity"
DRAWS, CONFIDENCE = 1000, 0.95
# A point, seeds pooled: the arms it stands in, the group's share, the total, the sampler.
KEY = ["point_arms", "point_share", "point_train_speakers", "point_sampler"]


def resampled_means(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Means of `matrix` (seeds, speakers) over resampled seeds and speakers, DRAWS times."""
    seeds, speakers = matrix.shape
    seed_weights = rng.multinomial(seeds, np.full(seeds, 1 / seeds), DRAWS)
    speaker_weights = rng.multinomial(speakers, np.full(speakers, 1 / speakers), DRAWS)
    return np.einsum("bs,sk,bk->b", seed_weights, matrix, speaker_weights) / (seeds * speakers)


def interval(draws: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


def point_groups(clips: pd.DataFrame, key: list[str], seed: int = 0) -> pd.DataFrame:
    """Per point (the `key` columns, seeds pooled), system, metric and ethnicity group: the
    mean over seeds and speakers, its bootstrap interval, and the worst-best gap (group
    "gap"), with the group's test speaker count and the seeds."""
    rng = np.random.default_rng(seed)
    rows = []
    for values, frame in clips.groupby([*key, "system"], sort=True):
        by_speaker = frame.groupby(["point_seed", GROUP, "speaker_id"])[list(METRICS)].mean()
        seeds = frame.point_seed.nunique()
        for metric in METRICS:
            means, draws = {}, {}
            for group, part in by_speaker[metric].groupby(level=GROUP):
                matrix = part.unstack("speaker_id").to_numpy()
                means[group] = float(matrix.mean())
                draws[group] = resampled_means(matrix, rng)
                low, high = interval(draws[group])
                rows.append(
                    [*values, metric, group, means[group], low, high, matrix.shape[1], seeds]
                )
            stacked = np.stack(list(draws.values()))
            low, high = interval(stacked.min(axis=0) - stacked.max(axis=0))
            gap = min(means.values()) - max(means.values())
            rows.append([*values, metric, "gap", gap, low, high, len(by_speaker), seeds])
    columns = [*key, "system", "metric", "group", "value", "ci_low", "ci_high", "speakers", "seeds"]
    return pd.DataFrame(rows, columns=columns)


def _plot_arm(table: pd.DataFrame, arm: str, studied: str, path: Path) -> None:
    """Per metric: each group's value vs the studied group's share (voice, with its interval;
    the ceiling dashed, chance dotted), and the gap vs share below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(METRICS), figsize=(5 * len(METRICS), 7), squeeze=False)
    groups = sorted(g for g in table.group.unique() if g != "gap")
    colours = dict(zip(groups, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for column, metric in enumerate(METRICS):
        top, bottom = axes[0, column], axes[1, column]
        rows = table[table.metric == metric]
        for group in groups:
            voice = rows[(rows.system == "voice") & (rows.group == group)].sort_values(
                "point_share"
            )
            width = 2.5 if group == studied else 1.2
            top.plot(
                voice.point_share, voice.value, "o-", lw=width, color=colours[group], label=group
            )
            top.fill_between(
                voice.point_share, voice.ci_low, voice.ci_high, alpha=0.15, color=colours[group]
            )
            for system, style in (("ceiling", "--"), ("shuffled", ":")):
                level = rows[(rows.system == system) & (rows.group == group)].value.mean()
                top.axhline(level, ls=style, lw=1, color=colours[group])
        gap = rows[(rows.system == "voice") & (rows.group == "gap")].sort_values("point_share")
        bottom.plot(gap.point_share, gap.value, "o-", color="black")
        bottom.fill_between(gap.point_share, gap.ci_low, gap.ci_high, alpha=0.2, color="grey")
        for axis in (top, bottom):
            axis.set_xscale("symlog", linthresh=0.05)
            axis.set_xlabel(f"{studied}'s share of the training speakers")
        top.set_title(f"{metric} (-- ceiling, : chance)")
        bottom.set_title(f"{metric}: worst - best group")
        top.legend(fontsize=8)
    figure.suptitle(f"arm '{arm}'")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    plt.close(figure)


def _markdown(table: pd.DataFrame, title: str, notes: list[str]) -> str:
    """The voice's per-group values with intervals, one row per point and metric; controls."""
    shown = table.assign(
        cell=[
            f"{v:.3f} [{lo:.3f}, {hi:.3f}]"
            for v, lo, hi in zip(table.value, table.ci_low, table.ci_high)
        ]
    )
    lines = [f"# {title}", "", *notes, ""]
    for system in ("voice", "ceiling", "shuffled", "oracle"):
        rows = shown[shown.system == system]
        if rows.empty:
            continue
        wide = rows.pivot_table(
            index=[*KEY, "metric"], columns="group", values="cell", aggfunc="first"
        )
        lines += [f"## {system}", "", wide.reset_index().to_markdown(index=False), ""]
    return "\n".join(lines)


def write_report(clips: pd.DataFrame, out: Path, title: str, notes: list[str]) -> list[Path]:
    """groups.csv, a plot per arm whose points vary the share, and report.md in `out`;
    returns the files written."""
    table = point_groups(clips, KEY)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "groups.csv") as temporary:
        table.to_csv(temporary, index=False, float_format="%.6g")
    written = [out / "groups.csv"]
    studied = clips.point_group.iloc[0]
    for arm in sorted({a for arms in table.point_arms for a in arms.split()}):
        rows = table[table.point_arms.str.split().apply(lambda arms, a=arm: a in arms)]
        if rows.point_share.nunique() > 1:
            written.append(out / f"{arm}.png")
            _plot_arm(rows, arm, studied, written[-1])
    write_text(out / "report.md", _markdown(table, title, notes))
    return [*written, out / "report.md"]
