"""Voice-to-face retrieval metrics, accumulated over an epoch (and across DDP processes)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat


def speaker_recall(
    predicted: torch.Tensor, target: torch.Tensor, speaker: torch.Tensor, ks: tuple[int, ...]
) -> dict[str, float]:
    """Recall@K of each clip's true speaker, ranking speakers by cosine to the prediction.

    The gallery holds one entry per speaker: the mean of its clips' true (face) embeddings.
    Chance is K / number of speakers.
    """
    speakers, index = torch.unique(speaker, return_inverse=True)
    gallery = torch.zeros(len(speakers), target.shape[1], dtype=target.dtype)
    gallery.index_add_(0, index, target)
    scores = F.normalize(predicted, dim=1) @ F.normalize(gallery, dim=1).T
    true_score = scores.gather(1, index[:, None])
    rank = (scores > true_score).sum(dim=1)  # 0 = the true speaker ranks first
    results = {f"recall_at_{k}": float((rank < k).float().mean()) for k in ks}
    results["speakers"] = float(len(speakers))
    return results


class VoiceFaceRetrieval(Metric):
    """Cosine to the true embedding and recall@K among the speakers seen this epoch."""

    full_state_update = False

    def __init__(self, ks: tuple[int, ...] = (1, 5, 10)):
        super().__init__()
        self.ks = ks
        for name in ("predicted", "target", "speaker"):
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def update(self, predicted: torch.Tensor, target: torch.Tensor, speaker: torch.Tensor):
        self.predicted.append(predicted.detach().float())
        self.target.append(target.detach().float())
        self.speaker.append(speaker.detach())

    def compute(self) -> dict[str, float]:
        predicted, target = dim_zero_cat(self.predicted).cpu(), dim_zero_cat(self.target).cpu()
        speaker = dim_zero_cat(self.speaker).cpu()
        results = speaker_recall(predicted, target, speaker, self.ks)
        results["cosine"] = float(F.cosine_similarity(predicted, target, dim=1).mean())
        return results
