"""Stage `bias_accent`: the accent copies measured and reported (reports/bias/accent/), in an
MLflow run that is a child of `speech2face study accent`'s run when that started it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from speech2face.bias import accent_effect
from speech2face.bias.accent_report import write_accent_report
from speech2face.bias.point import child_run
from speech2face.files import atomic_path, write_json
from speech2face.params import EvaluateParams
from speech2face.tracking import client

CLIPS_NAME, METRICS_NAME = "clips.csv", "metrics.json"


def shown(path: Path) -> str:
    """`path` as a report shows it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def accent_stage(
    models: Path, pool: Path, out: Path, params: EvaluateParams, params_path: Path
) -> dict:
    """Read every accent copy's drawn face, measure the accents' shifts, write the report;
    returns metrics.json's content."""
    started = time.monotonic()
    run_id = child_run("bias_accent", "accent swap", params_path)
    tracking = client()
    try:
        table, outputs = accent_effect.read_clips(models, pool / "accents", params.batch_size)
        results = {
            "clips": table,
            "shifts": accent_effect.all_shifts(table, params.seed),
            "confusion": accent_effect.confusion(table, params.seed),
            "agreement": accent_effect.agreement(table, params.seed),
            "mix": accent_effect.training_mix(pool / "raw"),
            "probe": accent_effect.accent_probe(table, outputs["predicted"], params.seed),
        }
        notes = [
            f"{len(table)} clips of {table.speaker_id.nunique()} test speakers of the bias pool, "
            f"each spoken in {table.accent.nunique()} accents by Praat, all else equal; voice "
            f"encoder, decoder and classifier: the pipeline's ({shown(models)}). Intervals: "
            f"{accent_effect.CONFIDENCE:.0%} bootstrap over speakers. Measured by `speech2face "
            f"bias_accent` in {time.monotonic() - started:.0f} s; MLflow run {run_id}.",
        ]
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(out / CLIPS_NAME) as temporary:
            table.to_csv(temporary, index=False)
        written = write_accent_report(results, outputs, out, notes)
        metrics = accent_effect.summary(
            results["shifts"], results["agreement"], results["mix"], results["probe"]
        )
        write_json(out / METRICS_NAME, metrics)
    except BaseException:
        tracking.set_terminated(run_id, "FAILED")
        raise
    for section in (*accent_effect.ATTRIBUTES, "accent_probe"):
        for key, value in metrics[section].items():
            if isinstance(value, int | float):
                tracking.log_metric(run_id, f"{section}/{key}", value)
    for path in (out / CLIPS_NAME, out / METRICS_NAME, *written):
        tracking.log_artifact(run_id, str(path))
    tracking.set_terminated(run_id)
    return metrics
