"""The `evaluate` stage: measure, write the reports, and record them on the pipeline run."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from speech2face.evaluation import report
from speech2face.evaluation.evaluate import evaluate
from speech2face.evaluation.outputs import figures, write_outputs
from speech2face.evaluation.record import log_evaluation, trained_by
from speech2face.params import EvaluateParams
from speech2face.tracking import pipeline_run


def run_evaluation(
    params: EvaluateParams,
    features: Path,
    embeddings: Path,
    descriptors: Path,
    raw: Path,
    models: Path,
    reports: Path,
    params_path: Path,
) -> dict:
    """Evaluate, write reports/ and log to MLflow; return the summary metrics of the model."""
    evaluation = evaluate(params, features, embeddings, descriptors, raw, models)
    made = figures(evaluation)
    text = report.render(evaluation, params.bootstrap, params.shuffles, params.confidence)
    summary = write_outputs(evaluation, made, text, reports)
    for figure in made.values():
        plt.close(figure)
    with pipeline_run(params_path) as run_id:
        if run_id:
            log_evaluation(reports, trained_by(models), reused=False)
    return summary
