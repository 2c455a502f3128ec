"""What a study leaves in `reports/tune/`: best_params.yaml and plots, also logged to MLflow."""

from __future__ import annotations

import warnings
from pathlib import Path

import optuna
import yaml
from matplotlib.figure import Figure
from optuna.trial import FrozenTrial, TrialState

from speech2face.files import atomic_path
from speech2face.tuning.apply import BEST_FILE, exp_run_command

HEADER = """\
# The best train_voice_encoder values found by `speech2face tune`. Apply them to params.yaml
# with `speech2face tune --apply` (`--trial N` for another trial of the Pareto front), or run
# `best.command`, a DVC experiment with them. Written by the tune stage: do not edit.
"""


def _entry(trial: FrozenTrial, objectives: tuple[str, ...]) -> dict:
    entry = {
        "trial": trial.number,
        "values": dict(zip(objectives, trial.values)),
        "params": trial.params,
        "mlflow_run_id": trial.user_attrs.get("mlflow_run_id"),
    }
    if "worst_group" in trial.user_attrs:
        entry["worst_group"] = trial.user_attrs["worst_group"]
    return entry


def summary(study: optuna.Study, objectives: tuple[str, ...], storage: str) -> dict:
    """The study's counts and best trial; with several objectives, also its Pareto front, and
    as `best` the front's trial best on the first objective."""
    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(t.state == state for t in trials) for state in TrialState}
    result = {
        "study": study.study_name,
        "storage": storage,
        "objectives": dict(zip(objectives, (d.name.lower() for d in study.directions))),
        "trials": {state: n for state, n in counts.items() if n},
        "best": None,
    }
    if not counts["complete"]:
        return result
    if len(objectives) == 1:
        best = study.best_trial
    else:
        front = sorted(study.best_trials, key=lambda t: t.number)
        sign = 1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1
        best = max(front, key=lambda t: sign * t.values[0])
        result["pareto_front"] = [_entry(t, objectives) for t in front]
    result["best"] = {**_entry(best, objectives), "command": exp_run_command(best.params)}
    return result


def figures(study: optuna.Study, objectives: tuple[str, ...]) -> dict[str, Figure]:
    """Optimisation history and parameter importances; the Pareto front for several
    objectives. Nothing before a trial completes."""
    import matplotlib

    matplotlib.use("Agg")
    import optuna.visualization.matplotlib as plots

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return {}
    axes = {}
    # Optuna's plots switch the whole process to matplotlib's ggplot style: kept inside here,
    # or every figure drawn afterwards in this process (the evaluation's) would change.
    with matplotlib.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)  # importances of very few trials
        if len(objectives) == 1:
            axes["optimization_history.png"] = plots.plot_optimization_history(
                study, target_name=objectives[0]
            )
        else:
            for i, name in enumerate(objectives):
                axes[f"optimization_history_{name}.png"] = plots.plot_optimization_history(
                    study, target=lambda t, i=i: t.values[i], target_name=name
                )
            axes["pareto_front.png"] = plots.plot_pareto_front(study, target_names=objectives)
        axes["param_importances.png"] = plots.plot_param_importances(study)
    return {name: ax.figure for name, ax in axes.items()}


def write_outputs(
    study: optuna.Study, objectives: tuple[str, ...], storage: str, out: Path, run_id: str
) -> dict:
    """Write `out/` (replaced atomically) and log it to the MLflow run `run_id`."""
    import matplotlib.pyplot as plt

    from speech2face import tracking

    result = summary(study, objectives, storage)
    drawn = figures(study, objectives)
    with atomic_path(out, directory=True) as folder:
        (folder / BEST_FILE).write_text(HEADER + yaml.safe_dump(result, sort_keys=False))
        for name, figure in drawn.items():
            figure.savefig(folder / name, dpi=120, bbox_inches="tight")
            plt.close(figure)
    client = tracking.client()
    client.log_artifacts(run_id, str(out), artifact_path="tune")
    if result["best"]:
        for name, value in result["best"]["values"].items():
            client.log_metric(run_id, f"best/{name}", value)
        client.set_tag(run_id, "optuna.best_trial", str(result["best"]["trial"]))
    return result
