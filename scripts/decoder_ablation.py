"""The decoder's ablation: what each change to the teacher or the decoder buys in the decoder
ceiling (attributes read on faces drawn from the true embedding vs on the true faces), in
sharpness and in spread, on the test speakers of the project's features.

Each variant is params.yaml with some values changed; for each, the face encoder, the decoder
and the attribute classifier (the judge, which also learns from that decoder's faces) are
trained by the stages' own commands into a temporary folder, and the test faces are measured
as `evaluate` measures them. With `--judge-only`, only the judge is trained, against the
project's own face encoder and decoder: how much the ceiling owes to the judge's training.
Run from the project root after `dvc repro` (about 5 minutes a variant here, 2 judge-only;
one at a time: two at once on 2 cores slow each other tenfold):

    .venv/bin/python scripts/decoder_ablation.py "default:" \\
        "no critic:train_face_decoder.loss_weights.adversarial=0" \\
        "identity-only teacher:train_face_encoder.attribute_weight=0"
    .venv/bin/python scripts/decoder_ablation.py --judge-only "seed 4:" \\
        "seed 5:train_attribute_classifier.seed=5"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from speech2face.evaluation.face_quality import face_quality, quality_reference, true_faces
from speech2face.features.arrays import embeddings, load_split
from speech2face.manifest import GROUP_COLUMNS
from speech2face.paths import EMBEDDINGS, FEATURES, MODELS, PARAMS, RAW
from speech2face.training import networks

CLI = str(Path(sys.executable).with_name("speech2face"))
STAGES = ("train_face_encoder", "train_face_decoder", "train_attribute_classifier")
MOVE_PX = 2  # the judge's own agreement with itself on each true face moved by this much
PROBE_FOLDS = 5  # test speakers split this many ways for the embedding's probe


def probe_agreement(embedding: np.ndarray, reading: np.ndarray, speakers: np.ndarray) -> float:
    """How often a linear read of the face embedding, fitted on the other test speakers
    (grouped k-fold), gives the judge's reading of the true face: how much of that reading
    the embedding, all a decoder sees, carries in plain view."""
    if len(np.unique(reading)) < 2:
        return 1.0
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=5000))
    folds = GroupKFold(min(PROBE_FOLDS, len(np.unique(speakers))))
    predicted = cross_val_predict(probe, embedding, reading, groups=speakers, cv=folds)
    return float(np.mean(predicted == reading))


def variant(text: str) -> tuple[str, dict[str, object]]:
    """'name:key=value,key=value' -> (name, {dotted key: YAML value})."""
    name, _, changes = text.partition(":")
    pairs = [item.split("=", 1) for item in changes.split(",") if item]
    if any(len(pair) != 2 for pair in pairs):
        raise SystemExit(f"{text!r}: expected name:key=value,key=value")
    return name, {key: yaml.safe_load(value) for key, value in pairs}


def changed_params(changes: dict[str, object], path: Path) -> Path:
    document = yaml.safe_load(PARAMS.read_text())
    for key, value in changes.items():
        *parents, last = key.split(".")
        section = document
        for part in parents:
            section = section[part]
        if last not in section:
            raise SystemExit(f"{key}: no such value in {PARAMS}")
        section[last] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def train(params: Path, folder: Path, stages: tuple[str, ...]) -> dict[str, float]:
    """`stages` into `folder` (the project's face encoder, decoder and embeddings for those
    left out); the seconds the decoder stage took, when it was trained."""
    if stages[0] != STAGES[0]:
        (folder / "models").mkdir()
        for name in ("face_encoder", "face_decoder"):
            (folder / "models" / name).symlink_to((MODELS / name).resolve())
        (folder / "embeddings").symlink_to(EMBEDDINGS.resolve())
    common = ["--params", params, "--features", FEATURES, "--models", folder / "models"]
    common += ["--embeddings", folder / "embeddings", "--metrics", folder / "metrics"]
    seconds = {}
    for stage in stages:
        extra = ["--raw", RAW] if stage == "train_attribute_classifier" else []
        start = time.perf_counter()
        command = [CLI, stage, *map(str, common + extra)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        if stage == "train_face_decoder":
            seconds["decoder s"] = time.perf_counter() - start
    return seconds


def teacher_quality(folder: Path) -> dict[str, float]:
    """The held-out identity accuracy of the face encoder `folder` trained, if it trained one."""
    path = folder / "metrics" / f"{STAGES[0]}.json"
    if not path.exists():
        return {}
    return {"teacher identity": json.loads(path.read_text())["heldout_identity_accuracy"]}


def measure(folder: Path) -> dict[str, float]:
    """Ceiling per attribute (and gender per gender); the judge's agreement with itself on
    each true face and the face moved by MOVE_PX (`<attribute> moved`: how far its own reading
    holds when nothing about the person changes); the embedding's probe (`<attribute> probe`,
    `probe_agreement`); sharpness, detail and spread ratios."""
    arrays, clips = load_split(FEATURES, "test")
    decoder = networks.load(folder / "models" / "face_decoder")
    judge = networks.load(folder / "models" / "attribute_classifier")
    target = np.asarray(embeddings(folder / "embeddings", "test"))
    drawn = networks.batched(lambda e: decoder(e.float()), target)[0]
    truth = true_faces(arrays["face"], drawn.shape[-1])
    on_drawn = networks.batched(judge.describe, drawn)
    on_true = networks.batched(judge.describe, truth)
    moved = np.pad(truth, ((0, 0), (0, 0), (MOVE_PX, 0), (MOVE_PX, 0)), mode="edge")
    on_moved = networks.batched(judge.describe, moved[..., : truth.shape[2], : truth.shape[3]])
    names = [name for name in GROUP_COLUMNS if name in on_true]
    agree = {name: on_drawn[name] == on_true[name] for name in names}
    result = {name: float(same.mean()) for name, same in agree.items()}
    for gender in ("female", "male"):
        result[f"gender {gender}"] = float(agree["gender"][clips.gender == gender].mean())
    for name in names:
        result[f"{name} moved"] = float(np.mean(on_moved[name] == on_true[name]))
        result[f"{name} probe"] = probe_agreement(target, on_true[name], clips.speaker_id)
    return result | face_quality(drawn, quality_reference(truth)).mean().to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", help="name:key=value,key=value (none: as is)")
    parser.add_argument("--judge-only", action="store_true", help="train the judge alone")
    args = parser.parse_args()
    stages = STAGES[-1:] if args.judge_only else STAGES
    variants = [variant(text) for text in args.variants]
    rows = []
    with tempfile.TemporaryDirectory(prefix="s2f-ablation-") as temporary:
        store = Path(temporary) / "mlflow.db"
        os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{store}")  # runs kept aside
        for index, (name, changes) in enumerate(variants):
            folder = Path(temporary) / str(index)
            folder.mkdir()
            seconds = train(changed_params(changes, folder / "params.yaml"), folder, stages)
            rows.append({"variant": name, **teacher_quality(folder), **measure(folder), **seconds})
            print(rows[-1], flush=True)
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |\n|" + " --- |" * len(columns))
    for row in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
