"""The report and figures: what data, what each metric means, fragile gaps, labelled axes."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from speech2face.evaluation import plots
from speech2face.evaluation.evaluate import Evaluation
from speech2face.evaluation.report import PER_GROUP, render
from speech2face.manifest import UNKNOWN

METRICS = (*PER_GROUP, "cosine", "l1", "age_mae")
PLACES = (("overall", "all"), ("gender", "female"), ("gender", "male"))
SYNTHETIC = {
    "source": "synthetic",
    "description": "the embedded simulated corpus (rendered faces)",
    "speakers": 600,
    "link_strength": 0.8,
}
# voice gaps: gender_agreement clear, recall_at_5 fragile, the rest cross zero
GAPS = [
    ("voice", "gender_agreement", -0.25, -0.34, -0.18),
    ("voice", "recall_at_5", -0.17, -0.356, -0.003),
    ("voice", "match_1in2", -0.05, -0.12, 0.02),
    ("voice", "age_group_agreement", -0.04, -0.10, 0.03),
    ("voice", "ethnicity_agreement", -0.02, -0.08, 0.05),
    ("voice", "l1", 0.30, 0.20, 0.40),  # not a per-group metric: not counted
    ("shuffled", "match_1in2", -0.30, -0.40, -0.20),  # a control: not counted
]


def _groups() -> pd.DataFrame:
    rows = [
        {
            "system": system,
            "attribute": attribute,
            "group": group,
            "metric": metric,
            "value": 0.5,
            "ci_low": 0.4,
            "ci_high": 0.6,
            "clips": 10,
            "speakers": 5,
            "beyond_shuffled": np.nan if system == "shuffled" else 1.0,
        }
        for system in ("voice", "shuffled", "ceiling")
        for attribute, group in PLACES
        for metric in METRICS
    ]
    return pd.DataFrame(rows)


def _quality() -> pd.DataFrame:
    """Sharpness and spread of faces drawn from the true embedding and from the voice."""
    groups = _groups()
    rows = groups[groups.system.isin(["voice", "ceiling"]) & (groups.metric == "l1")]
    return pd.concat(
        [rows.assign(metric=name) for name in ("sharpness_ratio", "detail_ratio", "spread_ratio")]
    ).drop(columns="beyond_shuffled")


def _gaps() -> pd.DataFrame:
    columns = ["system", "metric", "gap", "ci_low", "ci_high"]
    return pd.DataFrame(GAPS, columns=columns).assign(
        attribute="gender", worst="female", best="male"
    )


def _conditions(values: dict[str, float]) -> pd.DataFrame:
    """The voice and shuffled rows of _groups() under each condition, the voice's values set
    to `values[condition]` (chance stays at 0.5 [0.4, 0.6])."""
    base = _groups()
    base = base[base.system.isin(["voice", "shuffled"])]
    frames = []
    for condition, value in values.items():
        voice = base.system == "voice"
        frame = base.assign(condition=condition)
        frame.loc[voice, ["value", "ci_low", "ci_high"]] = [value, value - 0.05, value + 0.05]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _report(corpus: dict, groups: pd.DataFrame | None = None, conditions=None, **columns) -> str:
    clips = pd.DataFrame({"speaker_id": ["s1", "s1", "s2", "s2", "s3", "s3"], **columns})
    groups = _groups() if groups is None else groups
    conditions = _conditions({"in_distribution": 0.5}) if conditions is None else conditions
    evaluation = Evaluation(
        groups,
        _gaps(),
        clips,
        conditions,
        _quality(),
        {},
        {},
        {"gender": ["female", "male"], "age_group": ["18-29", "30-44"]},
        {},
        [],
        {"gender_accuracy": 0.9},
        corpus,
        pd.DataFrame(),
    )
    return render(evaluation, resamples=200, shuffles=5, confidence=0.95)


def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_the_report_says_what_data_it_is_about():
    synthetic = _report(SYNTHETIC)
    assert "Simulated, not real people: the embedded simulated corpus" in synthetic
    assert "600 speakers in all" in synthetic
    assert "correlation between the face side and the voice side" in synthetic
    assert "link strength" in synthetic and "is 0.80" in synthetic
    assert "6 clips of 3 test speakers" in synthetic and "200 resamples" in synthetic
    other = _report({"source": "lab", "description": "recordings of 40 volunteers"})
    assert "The corpus: recordings of 40 volunteers (source: lab)." in other
    assert "simulated" not in other.split("## Metrics")[0].lower()
    missing = _report({})
    assert "no corpus.json" in missing and "provenance is not recorded" in missing


def test_the_report_defines_every_metric_and_control():
    glossary = _report(SYNTHETIC).split("## Metrics")[1].split("## What the figures say")[0]
    for words in (
        "recall_at_k",
        "match_1in2",
        "cosine",
        "l1 (lower is better)",
        "reading of the TRUE face (not the label)",
        "age_mae (years, lower is better)",
        "Pearson r",
        "shuffled pairs = chance",
        "oracle",
        "true embedding = the true face embedding decoded",
    ):
        assert words in glossary, words


def test_lower_is_better_metrics_are_marked_in_tables():
    text = _report(SYNTHETIC)
    assert "| l1 (lower is better) |" in text
    assert "| age_mae (years, lower is better) |" in text
    assert "| cosine |" in text and "| match_1in2 |" in text


def test_gaps_are_marked_fragile_and_counted():
    text = _report(SYNTHETIC)
    clear = _line(text, "- Gap in gender_agreement")
    fragile = _line(text, "- Gap in recall_at_5")
    assert fragile.endswith(", fragile.") and not clear.endswith("fragile.")
    assert "Gap in match_1in2" not in text and "Gap in l1" not in text
    note = _line(text, "- Multiple comparisons")
    assert "5 worst-minus-best gaps were tested" in note
    assert "0.25 of 5" in note and "no correction is applied" in note


def test_headings_name_the_classifier_reading_of_the_true_face():
    text = _report(SYNTHETIC)
    assert "the classifier's reading of the true face vs its reading of the face from voice" in text
    assert "(classifier on the true face" not in text


@pytest.fixture
def figures():
    made = []
    yield made
    for figure in made:
        plt.close(figure)


def test_figure_axes_say_what_they_show(figures):
    reading = {"gender": np.array(["female", "male", "male"])}
    confusion = plots.confusion_figure(reading, reading, {"gender": ["female", "male"]})
    bars = plots.group_bars_figure(_groups(), ["recall_at_5", "gender_agreement"])
    measures = {
        "face_width": (np.arange(3.0), np.arange(3.0)),
        "face_width_to_height": ([1, 2, 4], [1, 3, 2]),
    }
    cranio = plots.craniofacial_figure(measures)
    figures += [confusion, bars, cranio]
    axis = confusion.axes[0]
    assert axis.get_ylabel() == "classifier reading of the true face"
    assert axis.get_xlabel() == "classifier reading of the face from voice"
    assert [a.get_ylabel() for a in bars.axes] == [
        "recall@5\n(share of clips)",
        "gender agreement\n(share of clips)",
    ]
    width, ratio = cranio.axes
    assert "share of picture width" in width.get_xlabel()
    assert "ratio of width to height" in ratio.get_ylabel()
    assert "classifier reading of the true face" in width.get_ylabel()
    assert "Pearson r" in width.get_title()


def test_the_ceiling_line_says_where_the_voice_stands_to_it():
    from speech2face.evaluation.report import _ceiling_line

    assert "the decoder, not only the voice, limits" in _ceiling_line(0.9, 0.8)
    above = _ceiling_line(0.849, 0.865)
    assert "84.9%" in above and "86.5%" in above and "above the ceiling" in above


def test_unknown_speakers_are_counted_not_compared():
    some = _report(SYNTHETIC, ethnicity=["x", "x", UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN])
    assert "- ethnicity unknown: 2 test speakers (4 clips), not compared." in some
    every = _report(SYNTHETIC, ethnicity=UNKNOWN)
    assert (
        "- ethnicity unknown: all 3 test speakers (6 clips), not compared: no breakdown by "
        "ethnicity and no ethnicity agreement." in every
    )
    assert "unknown:" not in _report(SYNTHETIC, ethnicity="x")


def test_only_the_per_group_metrics_measured_have_a_table():
    assert "### ethnicity_agreement" in _report(SYNTHETIC)
    groups = _groups()
    text = _report(SYNTHETIC, groups[groups.metric != "ethnicity_agreement"])
    assert "### ethnicity_agreement" not in text and "### gender_agreement" in text


def test_the_report_sets_each_condition_beside_the_clean_test():
    corpus = {**SYNTHETIC, "held_out_engine": "flite", "held_out_voices": ["awb", "rms"]}
    conditions = _conditions({"in_distribution": 0.8, "out_of_engine": 0.7, "snr_10": 0.76})
    clean = conditions[(conditions.condition == "in_distribution") & (conditions.group == "all")]
    engines = [
        clean.assign(attribute="engine", group=e, speakers=n)
        for e, n in (("praat", 3), ("festival", 2))
    ]
    conditions = pd.concat([conditions, *engines], ignore_index=True)
    text = _report(corpus, conditions=conditions)
    assert _line(text, "- In distribution, by the engine") == (
        "- In distribution, by the engine that speaks for the speaker: praat (3 speakers) "
        "recall@5 0.800 [0.750, 0.850], gender agreement 0.800 [0.750, 0.850]; festival (2 "
        "speakers) recall@5 0.800 [0.750, 0.850], gender agreement 0.800 [0.750, 0.850]."
    )
    assert "| held-out engine: flite (awb, rms) | 5 | 0.700 [0.650, 0.750] | 0.500 |" in text
    assert _line(text, "- Held-out engine, female speakers:") == (
        "- Held-out engine, female speakers: gender agreement 0.700 [0.650, 0.750] vs 0.800 in "
        "distribution (difference -0.100)."
    )
    assert "recall@5 0.700 [0.650, 0.750], beyond the shuffled control's" in text
    assert _line(text, "- noise at 10 dB SNR:") == (
        "- noise at 10 dB SNR: keeps recall_at_5 95%, gender_agreement 95% of the clean values."
    )
    alone = _report(SYNTHETIC, conditions=_conditions({"in_distribution": 0.8}))
    assert (
        "- No held-out engine: the corpus has no clips of an engine kept out of training." in alone
    )


def test_the_report_gives_the_decoder_ceiling_per_group_and_how_its_faces_look():
    section = _report(SYNTHETIC).split("## The decoder")[1].split("\n## ")[0]
    assert all(name in section for name in ("sharpness ratio", "detail ratio", "spread ratio"))
    ceiling = section.split("per group:")[1].split("overall:")[0]
    header = ceiling.strip().splitlines()[0]
    assert "gender_agreement" in header and "age_group_agreement" in header
    rows = [line for line in ceiling.splitlines() if line.startswith("| gender |")]
    assert [row.split(" | ")[1] for row in rows] == ["female", "male"]
    assert all(row.count("0.500 [0.400, 0.600]") == 5 for row in rows)
    systems = section.split("overall:")[1]
    assert "| true embedding |" in systems and "| face from voice |" in systems
