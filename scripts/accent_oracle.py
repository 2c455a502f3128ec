"""What a speaker's accent tells of their face, in the simulated corpus: the oracle (a ridge
regression from ground-truth voice traits to the face embedding, `evaluation/controls.py`)
with and without the accent, per speech engine of the test speakers.

Praat's espeak speaks each speaker's accent; Festival's voices speak their own (American)
one, so a Festival speaker's voice carries no accent. Run after `dvc repro`:

    .venv/bin/python scripts/accent_oracle.py

Recall@5: each test clip's prediction ranked against the test speakers' mean true embeddings
(`clip_metrics.speaker_ranks`, as `evaluate` ranks them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from speech2face.evaluation import controls
from speech2face.evaluation.clip_metrics import Truth, speaker_ranks
from speech2face.features.arrays import embeddings, load_split
from speech2face.paths import EMBEDDINGS, FEATURES, RAW


def main() -> None:
    speakers = pd.read_csv(RAW / "speakers.csv")
    train, test = load_split(FEATURES, "train")[1], load_split(FEATURES, "test")[1]
    train_target = np.asarray(embeddings(EMBEDDINGS, "train"), dtype=np.float64)
    test_target = np.asarray(embeddings(EMBEDDINGS, "test"), dtype=np.float64)
    ids = test.speaker_id.to_numpy()
    engine = speakers.set_index("speaker_id").loc[ids, "engine"].to_numpy()
    print("| oracle knows | all | " + " | ".join(sorted(set(engine))) + " |")
    print("| --- | --- |" + " --- |" * len(set(engine)))
    for categories in (("gender", "accent"), ("gender",)):
        controls.ORACLE_CATEGORIES = categories
        predicted = controls.oracle_embeddings(
            speakers, train.speaker_id.to_numpy(), train_target, ids, 1.0
        )
        hits = speaker_ranks(predicted, Truth(test_target, ids, {})) < 5
        cells = [f"{hits.mean():.3f}"]
        cells += [f"{hits[engine == e].mean():.3f}" for e in sorted(set(engine))]
        known = "voice latents, age, " + ", ".join(categories)
        print(f"| {known} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
