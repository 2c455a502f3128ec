"""Evaluation when ethnicity is unknown for some or all test speakers: counted, not compared."""

import json
import shutil

import pandas as pd
import pytest

from speech2face.manifest import UNKNOWN
from tests.unknown_ethnicity import HIDDEN, evaluate_on, hide_in_features, train_classifier

# case -> (every, whether the classifier is trained on the hidden labels too)
CASES = {
    "all_unknown": (HIDDEN["all_unknown"], True),
    "half_unknown": (HIDDEN["half_unknown"], True),
    "all_unknown_test_only": (HIDDEN["all_unknown"], False),  # a classifier with ethnicity
}


@pytest.fixture(scope="module", params=CASES.values(), ids=CASES.keys())
def hidden(request, trained, tiny_raw, tiny_features, tmp_path_factory):
    """(every, the test clips, reports) of an evaluation on features with hidden ethnicity."""
    every, retrain = request.param
    folder = tmp_path_factory.mktemp("hidden")
    features = hide_in_features(shutil.copytree(tiny_features, folder / "features"), every)
    models = trained[0] / "models"
    if retrain:
        models, result = train_classifier(trained, features, tiny_raw, folder)
        assert result.exit_code == 0, result.output
    result = evaluate_on(trained, features, models, tiny_raw, folder / "reports")
    assert result.exit_code == 0, result.output
    return every, pd.read_csv(features / "test" / "clips.csv"), folder / "reports"


def test_the_report_counts_the_unknown_speakers(hidden):
    every, clips, reports = hidden
    unknown = clips[clips.ethnicity == UNKNOWN]
    speakers, count = unknown.speaker_id.nunique(), len(unknown)
    text = (reports / "evaluation.md").read_text()
    if every == HIDDEN["all_unknown"]:
        line = f"- ethnicity unknown: all {speakers} test speakers ({count} clips), not compared"
        assert line + ": no breakdown by ethnicity and no ethnicity agreement." in text
        assert "| ethnicity_agreement |" not in text and "### ethnicity_agreement" not in text
        assert "| ethnicity |" not in text
    else:
        assert 0 < speakers < clips.speaker_id.nunique()
        assert (
            f"- ethnicity unknown: {speakers} test speakers ({count} clips), not compared." in text
        )
        assert "| ethnicity | group_" in text
    assert f"| {UNKNOWN} |" not in text


def test_no_metric_of_an_unknown_group(hidden):
    every, clips, reports = hidden
    document = json.loads((reports / "metrics_by_group.json").read_text())
    unknown = clips[clips.ethnicity == UNKNOWN]
    counts = {"speakers": unknown.speaker_id.nunique(), "clips": len(unknown)}
    assert document.pop("not_compared") == {"ethnicity": {UNKNOWN: counts}}
    assert UNKNOWN not in json.dumps(document)
    groups = pd.read_csv(reports / "groups.csv")
    gaps = pd.read_csv(reports / "gaps.csv")
    assert UNKNOWN not in set(groups.group) | set(gaps.worst) | set(gaps.best)
    agreement = groups.metric == "ethnicity_agreement"
    accuracy = document["classifier_on_true_faces"]
    if every == HIDDEN["all_unknown"]:
        assert "ethnicity" not in document and "ethnicity" not in set(gaps.attribute)
        assert not agreement.any() and "ethnicity_accuracy" not in accuracy
    else:
        assert set(document["ethnicity"]) <= {"group_a", "group_b", "group_c", "group_d"}
        assert groups[agreement].value.notna().all() and 0 <= accuracy["ethnicity_accuracy"] <= 1
    assert (reports / "figures" / "confusion.png").stat().st_size > 1000
