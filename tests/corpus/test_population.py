"""The simulated population: determinism, group shares, planted links and splits."""

import numpy as np
import pandas as pd
import pytest

from speech2face.corpus.population import (
    SHARED_LATENTS,
    assign_splits,
    speakers_table,
)
from speech2face.manifest import AGE_RANGE
from tests.conftest import FRACTIONS, SHARES, population


def table(n=2000, link=0.8, seed=3) -> pd.DataFrame:
    return speakers_table(population(n, seed, link))


def test_same_seed_same_population_other_seed_other():
    pd.testing.assert_frame_equal(table(200), table(200))
    assert not table(200).equals(table(200, seed=4))


def test_group_shares_genders_and_ages():
    speakers = table()
    shares = speakers.ethnicity.value_counts(normalize=True)
    for group, share in SHARES.items():
        assert shares[group] == pytest.approx(share, abs=0.03)
    assert speakers.gender.value_counts(normalize=True)["female"] == pytest.approx(0.5, abs=0.04)
    assert speakers.age.between(*AGE_RANGE).all()
    assert speakers.age.median() < sum(AGE_RANGE) / 2  # skewed young, like web video


@pytest.mark.parametrize("link", [0.0, 0.5, 0.9])
def test_planted_links_have_the_requested_strength(link):
    speakers = table(4000, link)
    for name in SHARED_LATENTS:
        r = np.corrcoef(speakers[f"face_{name}"], speakers[f"voice_{name}"])[0, 1]
        assert r == pytest.approx(link, abs=0.05)


def test_splits_are_stratified_in_every_group():
    speakers = table()
    for column in ("gender", "ethnicity", "age_group"):
        for _, group in speakers.groupby(column):
            fractions = group.split.value_counts(normalize=True)
            for split, fraction in FRACTIONS.items():
                assert fractions[split] == pytest.approx(fraction, abs=0.04)


def test_assign_splits_rejects_bad_fractions():
    with pytest.raises(ValueError, match="sum to 1"):
        assign_splits(
            [("a",)] * 4, {"train": 0.9, "val": 0.2, "test": 0.1}, np.random.default_rng(0)
        )
