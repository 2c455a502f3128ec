"""The evaluate stage on the tiny corpus: reports, DVC plots data, MLflow record."""

import json

import pandas as pd
import yaml

from tests.conftest import run_evaluate


def test_summary_metrics_carry_intervals_chance_and_gaps(evaluated):
    summary = json.loads((evaluated / "metrics.json").read_text())
    for metric in ("recall_at_5", "match_1in2", "gender_agreement", "cosine"):
        assert summary[f"{metric}_low"] <= summary[metric] <= summary[f"{metric}_high"]
        assert 0.0 <= summary[f"{metric}_chance"] <= 1.0
    gap = "gender_agreement_gap_gender"
    assert summary[f"{gap}_low"] <= summary[gap] <= summary[f"{gap}_high"]
    headline = {k: v for k, v in summary.items() if k not in ("conditions", "decoder", "judges")}
    assert len(headline) <= 30  # a summary: `dvc exp show` stays readable
    assert not any(isinstance(v, dict) for v in headline.values())


def test_summary_gives_the_decoder_ceiling_sharpness_and_spread_with_intervals(evaluated):
    decoder = json.loads((evaluated / "metrics.json").read_text())["decoder"]
    names = [
        f"ceiling_{attribute}_agreement{group}"
        for attribute in ("gender", "age_group")
        for group in ("", "_female", "_male")
    ]
    names += [
        f"{s}_{m}_ratio" for s in ("ceiling", "voice") for m in ("sharpness", "detail", "spread")
    ]
    for name in names:
        assert decoder[f"{name}_low"] <= decoder[name] <= decoder[f"{name}_high"], name
    assert decoder["ceiling_sharpness_ratio"] > 0.0 and decoder["voice_spread_ratio"] > 0.0
    quality = pd.read_csv(evaluated / "face_quality.csv")
    assert set(quality.system) >= {"voice", "ceiling"}
    assert set(quality.metric) == {"sharpness_ratio", "detail_ratio", "spread_ratio"}
    assert "## The decoder" in (evaluated / "evaluation.md").read_text()


def test_every_condition_is_measured_beside_the_clean_test(evaluated, trained):
    conditions = json.loads((evaluated / "metrics.json").read_text())["conditions"]
    params = yaml.safe_load((trained[0] / "params.yaml").read_text())["evaluate"]
    assert list(conditions) == ["in_distribution", "out_of_engine", *params["conditions"]]
    summary = json.loads((evaluated / "metrics.json").read_text())
    clean = conditions["in_distribution"]
    assert clean["recall_at_5"] == summary["recall_at_5"] and clean["recall_at_5_of_clean"] == 1
    for entry in conditions.values():
        for metric in ("recall_at_5", "gender_agreement", "gender_agreement_female"):
            assert entry[f"{metric}_low"] <= entry[metric] <= entry[f"{metric}_high"]
        assert entry["speakers"] == summary["test_speakers"]  # every test speaker, each time
    by_group = json.loads((evaluated / "metrics_by_group.json").read_text())["conditions"]
    assert by_group["out_of_engine"]["gender"]["male"]["clips"] > 0
    curve = pd.read_csv(evaluated / "plots" / "snr_curve.csv")
    assert list(curve.snr_db) == sorted(
        (float(c[4:]) for c in params["conditions"] if c.startswith("snr_")), reverse=True
    )
    assert (evaluated / "figures" / "conditions.png").stat().st_size > 1000
    report = (evaluated / "evaluation.md").read_text()
    assert "## Beyond the training voices: a held-out engine and degraded recordings" in report
    assert "- Held-out engine, female speakers: gender agreement" in report


def test_evaluate_writes_metrics_groups_plots_and_report(evaluated):
    metrics = json.loads((evaluated / "metrics_by_group.json").read_text())
    assert {"overall", "gender", "age_group", "ethnicity", "gap", "controls"} <= set(metrics)
    assert set(metrics["controls"]) == {"shuffled", "ceiling", "oracle"}
    female = metrics["gender"]["female"]
    assert female["clips"] > 0 and 0.0 <= female["recall_at_5"] <= 1.0
    groups = pd.read_csv(evaluated / "groups.csv")
    assert set(groups.system) == {"voice", "shuffled", "ceiling", "oracle"}
    finite = groups.dropna(subset=["value", "ci_low", "ci_high"])
    assert (finite.ci_low <= finite.ci_high).all()
    rates = finite[finite.metric.str.startswith(("recall", "match", "gender_agreement"))]
    assert rates.value.between(0, 1).all()
    overall = groups[groups.attribute == "overall"].set_index(["system", "metric"]).value
    speakers = metrics["overall"]["speakers"]
    assert abs(overall["shuffled", "recall_at_5"] - 5 / speakers) < 0.15  # chance
    assert overall["ceiling", "recall_at_1"] > overall["shuffled", "recall_at_1"]
    for name in ("confusion_gender.csv", "by_group.csv"):
        assert (evaluated / "plots" / name).exists()
    for name in ("confusion.png", "groups.png", "faces.png", "craniofacial.png"):
        assert (evaluated / "figures" / name).stat().st_size > 1000
    assert "# Evaluation on held-out test speakers" in (evaluated / "evaluation.md").read_text()


def test_evaluation_is_logged_on_the_pipeline_run(evaluated, store):
    import mlflow

    client = mlflow.MlflowClient()
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string="tags.`speech2face.kind` = 'pipeline'",
        output_format="list",
    )
    run = next(r for r in runs if "test/recall_at_5/overall" in r.data.metrics)
    metrics = run.data.metrics
    for key in (
        "test/recall_at_5/gender/female",
        "test/recall_at_5/gender/female/ci_low",
        "test/clips/gender/male",
        "control/shuffled/recall_at_5/overall",
        "test/recall_at_5/gender/gap",
        "condition/out_of_engine/gender_agreement/gender/female/ci_low",
        "condition/snr_10/recall_at_5/overall",
        "condition/telephone/shuffled/recall_at_5/overall",
    ):
        assert key in metrics, key
    files = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert {"evaluation/groups.json", "evaluation/confusion.png", "evaluation/faces.png"} <= files
    assert run.data.tags["speech2face.models.voice_encoder"]


def test_same_params_same_evaluation(evaluated, trained, tiny_raw):
    again = trained[0] / "again"
    result = run_evaluate(trained, tiny_raw, again)
    assert result.exit_code == 0, result.output
    for name in ("metrics.json", "metrics_by_group.json", "groups.csv", "evaluation.md"):
        assert (again / name).read_text() == (evaluated / name).read_text(), name
    for name in ("groups.png", "confusion.png", "conditions.png"):
        figure = ("figures", name)
        assert again.joinpath(*figure).read_bytes() == evaluated.joinpath(*figure).read_bytes()
