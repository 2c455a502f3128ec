"""Metrics per demographic group, with speaker-bootstrap intervals and worst-best gaps.

Clips of one speaker are not independent, so intervals resample speakers (a cluster
bootstrap): one matrix of resampling weights serves every group, metric and gap, so a gap's
interval comes from the same resamples as the two groups it compares. Speakers whose group is
UNKNOWN count overall but form no group: they are only counted (`unknown_counts`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from speech2face.evaluation.clip_metrics import LOWER_IS_BETTER, MOMENTS, correlations, means
from speech2face.manifest import UNKNOWN, known_labels

OVERALL = ("overall", "all")


def _pearson(sums: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Pearson's r from the summed moments (..., 5: x, y, xx, yy, xy) of `count` clips; NaN
    where either side does not vary."""
    with np.errstate(invalid="ignore", divide="ignore"):
        x, y, xx, yy, xy = (sums[..., i] / count for i in range(5))
        variance = np.maximum(xx - x * x, 0.0) * np.maximum(yy - y * y, 0.0)
        tiny = 1e-12 * np.maximum(xx * yy, 1e-300)
        r = (xy - x * y) / np.sqrt(variance)
    return np.where(variance > tiny, np.clip(r, -1.0, 1.0), np.nan)


def _interval(draws: np.ndarray, tail: float) -> tuple[float, float]:
    """The percentile interval of the resampled values (NaN if none is defined)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: no interval
        low, high = np.nanquantile(draws, [tail, 1.0 - tail])
    return float(low), float(high)


def _speaker_sums(table: pd.DataFrame, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per speaker: the summed per-clip columns of `table`, and the number of clips."""
    speakers = index.max() + 1
    totals = np.zeros((speakers, table.shape[1]))
    np.add.at(totals, index, table.to_numpy(float))
    return totals, np.bincount(index, minlength=speakers).astype(float)


def _statistics(table: pd.DataFrame, sums: tuple, weights: np.ndarray) -> dict:
    """Every metric of `table` (from its per-speaker `sums`), for each row of speaker
    `weights` (resamples, speakers)."""
    totals, counts = sums
    summed = weights @ totals
    clips = weights @ counts
    columns = {name: i for i, name in enumerate(table.columns)}
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = {name: summed[:, columns[name]] / clips for name in means(table)}
    for name in correlations(table):
        moments = [columns[f"{name}__{m}"] for m in MOMENTS]
        stats[name] = _pearson(summed[:, moments], clips)
    return stats


def group_table(
    table: pd.DataFrame,
    clips: pd.DataFrame,
    attributes: tuple[str, ...],
    resamples: int,
    confidence: float,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (attribute, group, metric): value, interval, clips and speakers; and per
    (attribute, metric): the worst-minus-best gap between groups with its interval.

    `table` holds per-clip metrics, `clips` the same clips' speaker_id and `attributes`.
    """
    speaker_ids, index = np.unique(clips.speaker_id.to_numpy(), return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(speaker_ids), size=(resamples, len(speaker_ids)))
    weights = np.zeros((resamples, len(speaker_ids)))
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1.0)
    weights = np.vstack([np.ones(len(speaker_ids)), weights])  # row 0: the sample itself
    tail = (1.0 - confidence) / 2.0

    sums = _speaker_sums(table, index)
    rows, resampled = [], {}
    groupings = [(OVERALL[0], np.full(len(clips), OVERALL[1]))]
    groupings += [(a, clips[a].astype(str).to_numpy()) for a in attributes]
    for attribute, labels in groupings:
        for group in known_labels(labels):
            member = np.zeros(len(speaker_ids), bool)
            member[np.unique(index[labels == group])] = True
            stats = _statistics(table, sums, weights * member)
            resampled[attribute, group] = stats
            for metric, values in stats.items():
                low, high = _interval(values[1:], tail)
                rows.append(
                    {
                        "attribute": attribute,
                        "group": group,
                        "metric": metric,
                        "value": values[0],
                        "ci_low": low,
                        "ci_high": high,
                        "clips": int((labels == group).sum()),
                        "speakers": int(member.sum()),
                    }
                )
    return pd.DataFrame(rows), _gaps(resampled, attributes, tail)


def _gaps(resampled: dict, attributes: tuple[str, ...], tail: float) -> pd.DataFrame:
    """Worst minus best group per attribute and metric (negative when higher is better).

    The worst and best groups are those of the sample; the interval is that of the difference
    between these two groups over the resamples, so it can cross zero when the groups are not
    told apart.
    """
    rows = []
    for attribute in attributes:
        groups = sorted(g for a, g in resampled if a == attribute)
        if len(groups) < 2:
            continue
        for metric in resampled[attribute, groups[0]]:
            values = np.stack([resampled[attribute, g][metric] for g in groups])  # groups x draws
            sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
            if np.isnan(values[:, 0]).all():
                continue
            worst = int(np.nanargmin(sign * values[:, 0]))
            best = int(np.nanargmax(sign * values[:, 0]))
            gap = values[worst] - values[best]
            low, high = _interval(gap[1:], tail)
            rows.append(
                {
                    "attribute": attribute,
                    "metric": metric,
                    "gap": gap[0],
                    "ci_low": low,
                    "ci_high": high,
                    "worst": groups[worst],
                    "best": groups[best],
                }
            )
    return pd.DataFrame(rows)


def unknown_counts(clips: pd.DataFrame, attributes: tuple[str, ...]) -> dict[str, dict]:
    """Per attribute with UNKNOWN clips: their speakers and clips (counted, never compared)."""
    counts = {}
    for attribute in attributes:
        unknown = clips[clips[attribute] == UNKNOWN] if attribute in clips else clips.iloc[:0]
        if len(unknown):
            counts[attribute] = {"speakers": unknown.speaker_id.nunique(), "clips": len(unknown)}
    return counts
