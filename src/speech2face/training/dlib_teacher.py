"""The dlib teacher (`train_face_encoder.teacher: dlib`): dlib's pretrained face descriptor in
the paper's VGG-Face role.

The targets the decoder draws from and the student learns are the exact descriptors (stage
face_descriptors). The distillation term's logits come from an identity head fitted on the
frozen descriptors of the training speakers. dlib's network is not differentiable here, so the
decoder's identity and perceptual losses use a stand-in: the face encoder network trained to
reproduce each face's descriptor, with the fitted head frozen on top.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speech2face.features.arrays import EMBEDDINGS, LOGITS, feature_splits
from speech2face.files import atomic_path
from speech2face.pretrained.descriptor_stage import cached_descriptors


def fit_identity_head(
    descriptors: np.ndarray, labels: np.ndarray, identities: int, l2: float, seed: int
) -> nn.Linear:
    """A linear identity classifier on frozen descriptors: cross-entropy plus `l2` times the
    squared weights, minimised full-batch by L-BFGS (deterministic on a CPU)."""
    torch.manual_seed(seed)
    head = nn.Linear(descriptors.shape[1], identities)
    x, y = torch.from_numpy(descriptors).float(), torch.from_numpy(labels)
    optimizer = torch.optim.LBFGS(
        head.parameters(), max_iter=500, history_size=20, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(head(x), y) + l2 * head.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return head.requires_grad_(False)


def write_descriptor_embeddings(
    descriptors: Path, features: Path, head: nn.Linear, out: Path
) -> None:
    """Every split's descriptors as the teacher's embeddings, and the head's logits, written
    atomically to `out` (the layout `train_face_encoder` writes)."""
    from speech2face.features.arrays import load_split

    with atomic_path(out, directory=True) as staging:
        for split in feature_splits(features):
            clips = len(load_split(features, split)[1])
            embedding = cached_descriptors(descriptors, split, clips)
            with torch.no_grad():
                logits = head(torch.from_numpy(embedding)).numpy()
            (staging / split).mkdir()
            np.save(staging / split / EMBEDDINGS, embedding.astype(np.float32))
            np.save(staging / split / LOGITS, logits.astype(np.float32))


def descriptor_loss(embedding: torch.Tensor, descriptor: torch.Tensor) -> torch.Tensor:
    """The stand-in's squared Euclidean distance to the descriptor (dlib's own metric)."""
    return (embedding.float() - descriptor.float()).pow(2).sum(dim=1).mean()
