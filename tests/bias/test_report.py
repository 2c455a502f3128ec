"""The study report's per-group figures: means over seeds and speakers, intervals, gaps."""

import numpy as np
import pandas as pd

from speech2face.bias.report import KEY, METRICS, point_groups, write_report


def clips(seeds=(1, 2, 3), speakers=8) -> pd.DataFrame:
    """Two points; at share 0.5 group_d's agreement is 1, at 0.1 it is 0 for seed 1 only."""
    rng = np.random.default_rng(0)
    rows = []
    for share in (0.1, 0.5):
        for seed in seeds:
            for group in ("group_a", "group_d"):
                for s in range(speakers):
                    for _ in range(2):
                        low = group == "group_d" and share == 0.1 and seed == 1
                        values = {m: float(rng.random() < 0.5) for m in METRICS}
                        values["ethnicity_agreement"] = 0.0 if low else 1.0
                        rows.append(
                            dict(
                                system="voice",
                                ethnicity=group,
                                speaker_id=f"{group}{s}",
                                point_seed=seed,
                                point_group="group_d",
                                point_arms="share",
                                point_share=share,
                                point_train_speakers=100,
                                point_sampler="natural",
                                **values,
                            )
                        )
    return pd.DataFrame(rows)


def test_groups_pool_seeds_and_speakers_with_intervals_and_gaps():
    table = point_groups(clips(), KEY).set_index(["point_share", "metric", "group"])
    low = table.loc[(0.1, "ethnicity_agreement", "group_d")]
    assert np.isclose(low.value, 2 / 3) and low.seeds == 3 and low.speakers == 8
    assert low.ci_low < 2 / 3 < low.ci_high  # the seed that failed makes the interval wide
    high = table.loc[(0.5, "ethnicity_agreement", "group_d")]
    assert high.value == high.ci_low == high.ci_high == 1.0
    gap = table.loc[(0.1, "ethnicity_agreement", "gap")]
    assert np.isclose(gap.value, 2 / 3 - 1) and gap.ci_low <= gap.value <= gap.ci_high


def test_report_writes_a_plot_per_arm_and_the_tables(tmp_path):
    written = write_report(clips(seeds=(1,)), tmp_path, "Bias study: test", ["a note"])
    assert [p.name for p in written] == ["groups.csv", "share.png", "report.md"]
    text = (tmp_path / "report.md").read_text()
    assert "a note" in text and "## voice" in text and "[" in text
