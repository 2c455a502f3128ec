"""best_params.yaml and the plots: the best trial, and the Pareto front of a fairness study."""

import matplotlib
import mlflow
import optuna
import yaml
from optuna.distributions import FloatDistribution

from speech2face.paths import PARAMS
from speech2face.tracking import new_run
from speech2face.tuning.outputs import summary, write_outputs

FAIR = ("val_recall_at_5", "val_worst_group_recall_at_5")
# (overall, worst group): trial 2 is dominated by trial 1, the others form the front.
POINTS = [(0.5, 0.1), (0.4, 0.3), (0.3, 0.2), (0.2, 0.35)]


def study_of(points, objectives) -> optuna.Study:
    """An in-memory study with finished trials of the given values."""
    study = optuna.create_study(directions=["maximize"] * len(objectives))
    for i, values in enumerate(points):
        trial = optuna.trial.create_trial(
            params={"lr": 0.001 * (i + 1)},
            distributions={"lr": FloatDistribution(0.0001, 0.01, log=True)},
            values=list(values)[: len(objectives)],
            user_attrs={"mlflow_run_id": f"run-{i}", "worst_group": "ethnicity/group_d"},
        )
        study.add_trial(trial)
    return study


def test_one_objective_best_trial_and_its_command():
    result = summary(study_of(POINTS, FAIR[:1]), FAIR[:1], "sqlite:///x.db")
    assert result["best"]["trial"] == 0 and result["trials"] == {"complete": 4}
    assert result["best"]["command"] == "dvc exp run -S train_voice_encoder.lr=0.001"
    assert "pareto_front" not in result


def styling() -> dict:
    """Matplotlib's settings but the backend (which the plots set to Agg on purpose)."""
    return {k: v for k, v in matplotlib.rcParams.items() if not k.startswith("backend")}


def test_fairness_study_writes_its_pareto_front(tmp_path, store):
    study = study_of(POINTS, FAIR)
    run_id = new_run("tune test", {}, PARAMS)
    style = styling()
    result = write_outputs(study, FAIR, "sqlite:///x.db", tmp_path / "tune", run_id)
    assert styling() == style  # optuna's ggplot style left no trace on later figures
    assert [t["trial"] for t in result["pareto_front"]] == [0, 1, 3]
    assert result["best"]["trial"] == 0  # the front's best on the first objective
    assert result["pareto_front"][1]["values"] == dict(zip(FAIR, POINTS[1]))
    assert result["pareto_front"][1]["worst_group"] == "ethnicity/group_d"
    assert yaml.safe_load((tmp_path / "tune" / "best_params.yaml").read_text()) == result
    pictures = {p.name for p in (tmp_path / "tune").glob("*.png")}
    assert pictures == {
        "pareto_front.png",
        "param_importances.png",
        *(f"optimization_history_{name}.png" for name in FAIR),
    }
    logged = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "tune")}
    assert "tune/pareto_front.png" in logged and "tune/best_params.yaml" in logged
