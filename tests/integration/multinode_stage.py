"""A training stage as one node of a multi-node launch, watched: run by torchrun.

    torchrun ... tests/integration/multinode_stage.py OUT <speech2face stage and options>

Runs the CLI unchanged, with one callback added to the stage's Trainer that writes to OUT,
per global rank: the faces of every training batch (as hashes) and the weights at the end of
training (before the stage reloads its best checkpoint).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import lightning.pytorch as pl
import torch

from speech2face.cli import app
from speech2face.training import common


def face_hash(face: torch.Tensor) -> str:
    return hashlib.sha256(face.cpu().contiguous().numpy().tobytes()).hexdigest()


class Watch(pl.Callback):
    def __init__(self, out: Path):
        self.out, self.seen = out, []

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        self.seen += [face_hash(face) for face in batch["face"]]

    def on_train_end(self, trainer, module):
        rank = trainer.global_rank
        torch.save(module.state_dict(), self.out / f"weights-{rank}.pt")
        world = {"world_size": trainer.world_size, "seen": self.seen}
        (self.out / f"seen-{rank}.json").write_text(json.dumps(world))


def main() -> None:
    out = Path(sys.argv[1])
    build = common.build_trainer
    common.build_trainer = lambda *args, **kwargs: build(*args, callbacks=(Watch(out),), **kwargs)
    assert "RANK" in os.environ, "run me under torchrun"
    app(sys.argv[2:])


if __name__ == "__main__":
    main()
