"""Controls: shuffled pairings never keep a speaker's own face; the oracle learns the data."""

import numpy as np
import pandas as pd

from speech2face.evaluation.controls import oracle_embeddings, shuffled_pairings


def test_shuffled_pairings_pair_every_clip_with_another_speaker():
    speakers = np.repeat(np.arange(30), np.tile([2, 3, 4], 10))
    pairings = shuffled_pairings(speakers, 10, seed=0)
    assert len(pairings) == 10
    for pairing in pairings:
        assert (speakers[pairing] != speakers).all()
        # every clip of one speaker takes clips of one same other speaker
        mapping = pd.Series(speakers[pairing]).groupby(speakers).nunique()
        assert (mapping == 1).all()
    assert not np.array_equal(pairings[0], pairings[1])
    assert np.array_equal(shuffled_pairings(speakers, 10, seed=0)[3], pairings[3])


def test_oracle_recovers_a_linear_link_and_needs_voice_latents():
    rng = np.random.default_rng(0)
    n = 200
    speakers = pd.DataFrame(
        {
            "speaker_id": [f"s{i}" for i in range(n)],
            "voice_size": rng.normal(size=n),
            "voice_pitch": rng.normal(size=n),
            "age": rng.integers(18, 80, size=n),
            "gender": rng.choice(["female", "male"], size=n),
            "accent": rng.choice(["a", "b"], size=n),
        }
    )
    face = np.stack([speakers.voice_size, speakers.gender == "male"], axis=1) * 1.0
    train, test = speakers.speaker_id[:150].to_numpy(), speakers.speaker_id[150:].to_numpy()
    predicted = oracle_embeddings(speakers, train, face[:150], test, ridge=1e-3)
    assert np.abs(predicted - face[150:]).max() < 0.05
    no_latents = speakers.drop(columns=["voice_size", "voice_pitch"])
    assert oracle_embeddings(no_latents, train, face[:150], test, ridge=1.0) is None
