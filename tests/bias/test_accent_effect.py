"""The accent study's measures and report, on readings with a planted accent effect."""

import numpy as np
import pandas as pd
import pytest

from speech2face.bias import accent_effect
from speech2face.bias.accent_report import write_accent_report

GROUPS = ["group_a", "group_b", "group_c", "group_d"]
ACCENTS = ["English (America)", "English (Scotland)", "English (Caribbean)"]


def readings(effect: bool, speakers: int = 40, clips: int = 2, seed: int = 0) -> pd.DataFrame:
    """Each speaker's drawn face read as their true group, whatever the accent; with `effect`,
    the Caribbean accent makes it read group_b."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(speakers):
        group, gender = GROUPS[s % 4], ("female", "male")[s % 2]
        for clip in range(clips):
            for accent in ACCENTS:
                drawn = "group_b" if effect and accent == ACCENTS[2] else group
                rows.append(
                    {
                        "clip_id": f"spk{s:03d}_{clip:02d}_{accent[9:-1].lower()}",
                        "speaker_id": f"spk{s:03d}",
                        "ethnicity": group,
                        "gender": gender,
                        "age_group": "18-29",
                        "own_accent": ACCENTS[s % 3],
                        "accent": accent,
                        "drawn_ethnicity": drawn,
                        "true_ethnicity": group,
                        "ceiling_ethnicity": group if rng.random() < 0.9 else "group_a",
                        **{f"{r}_gender": gender for r in ("drawn", "true", "ceiling")},
                        **{f"{r}_age_group": "18-29" for r in ("drawn", "true", "ceiling")},
                    }
                )
    return pd.DataFrame(rows)


def test_a_planted_accent_effect_is_found_and_nothing_else():
    shifted = accent_effect.shifts(readings(True), "ethnicity", GROUPS, seed=1)
    moving = shifted[shifted.moves]
    caribbean = moving[moving.accent == ACCENTS[2]]
    assert set(caribbean.label) == set(GROUPS)  # towards group_b, away from the others
    b = caribbean.set_index("label").loc["group_b"]
    assert b["shift"] == pytest.approx(0.75 * 2 / 3) and b.ci_low > 0
    # Against the speaker's mean over accents, the others move the other way, by less.
    others = shifted[(shifted.accent != ACCENTS[2]) & (shifted.label == "group_b")]
    assert np.allclose(others["shift"], -0.75 / 3) and (others.ci_high < 0).all()
    assert (shifted.groupby("accent")["shift"].sum().abs() < 1e-12).all()


def test_without_an_effect_no_shift_excludes_zero():
    shifted = accent_effect.all_shifts(readings(False), seed=1)
    assert not shifted.moves.any()
    assert (shifted["shift"] == 0).all()


def test_confusion_rows_are_shares_of_the_true_group():
    confused = accent_effect.confusion(readings(True), seed=1)
    totals = confused.groupby(["accent", "true_group"]).share.sum()
    assert np.allclose(totals, 1.0)
    caribbean = confused[(confused.accent == ACCENTS[2]) & (confused.read_as == "group_b")]
    assert (caribbean.share == 1.0).all() and (caribbean.speakers == 10).all()


def test_agreement_per_accent_own_accent_and_ceiling():
    agreed = accent_effect.agreement(readings(True), seed=1)
    ethnicity = agreed[agreed.attribute == "ethnicity"].set_index("accent")
    assert ethnicity.loc[ACCENTS[0], "agreement"] == 1.0
    assert ethnicity.loc[ACCENTS[2], "agreement"] == pytest.approx(0.25)
    assert ethnicity.loc["own accent", "agreement"] == pytest.approx(1 - 0.75 / 3, abs=0.03)
    assert 0.8 < ethnicity.loc["decoder ceiling", "agreement"] < 1.0


def test_report_says_whether_the_accent_moves_the_face(tmp_path):
    table = readings(True).reset_index(drop=True)
    mix = pd.DataFrame(
        {"group_a": [1.0, 0.0, 0.0], "group_b": [0.0, 0.2, 1.0], "group_d": [0.0, 0.8, 0.0]},
        index=ACCENTS,
    ).assign(speakers=[10, 10, 8])
    results = {
        "clips": table,
        "shifts": accent_effect.all_shifts(table, seed=1),
        "confusion": accent_effect.confusion(table, seed=1),
        "agreement": accent_effect.agreement(table, seed=1),
        "mix": mix,
        "probe": {"accuracy": 0.5, "low": 0.4, "high": 0.6, "chance": 1 / 3},
    }
    faces = np.zeros((len(table), 8, 8, 3), np.uint8)
    written = write_accent_report(results, {"drawn": faces, "true": faces}, tmp_path, ["note"])
    assert all(path.stat().st_size > 0 for path in written)
    report = (tmp_path / "report.md").read_text()
    assert "- ethnicity: 12 of 12 accent-label shifts exclude 0" in report
    assert "English (Caribbean) -> group_b" in report
    assert "group_b (1.00, 8)" in report  # what the accent alone tells
    assert "0.500 [0.400, 0.600], chance 0.333" in report
    metrics = accent_effect.summary(results["shifts"], results["agreement"], mix, results["probe"])
    assert metrics["ethnicity"]["accents_moving"] == 3
    assert metrics["ethnicity"]["largest_shift_label"] == "group_b"
    assert metrics["gender"]["shifts_beyond_interval"] == 0
    assert metrics["accent_majority_group"][ACCENTS[1]] == "group_d"


@pytest.mark.parametrize("planted", [True, False])
def test_the_probe_reads_the_accent_only_when_the_embedding_carries_it(planted):
    table = readings(False, speakers=60)
    rng = np.random.default_rng(3)
    identity = rng.standard_normal((60, 16))[table.speaker_id.str[3:].astype(int)] * 3
    direction = {accent: rng.standard_normal(16) for accent in ACCENTS}
    accent_part = np.stack([direction[a] for a in table.accent]) if planted else 0.0
    predicted = identity + accent_part + 0.5 * rng.standard_normal((len(table), 16))
    probe = accent_effect.accent_probe(table, predicted, seed=1)
    assert probe["chance"] == pytest.approx(1 / 3)
    if planted:
        assert probe["accuracy"] > 0.95
    else:
        assert probe["low"] < 1 / 3 < probe["high"]
