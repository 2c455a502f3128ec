"""The Speech2Face training loss of the voice encoder."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

Network = Callable[[torch.Tensor], torch.Tensor]


def speech2face_loss(
    predicted: torch.Tensor,
    target: torch.Tensor,
    decoder_first_layer: Network,
    teacher_head: Network,
    lambda1: float,
    lambda2: float,
    temperature: float,
) -> dict[str, torch.Tensor]:
    """The paper's loss of predicted against true face embeddings (batch, dim).

    decoder_l1 + lambda1 * embedding_l2 + lambda2 * distillation, where decoder_l1 is the mean
    absolute difference of the (frozen) decoder's first-layer activations, embedding_l2 the
    squared distance of the L2-normalised embeddings (summed over dim, mean over batch), and
    distillation the cross-entropy from softmax(teacher_head(target) / T) to
    softmax(teacher_head(predicted) / T), mean over batch. Gradients reach `predicted` only.
    The paper's values as the project recalls them, unconfirmed (Oh et al. 2019): lambda1 =
    0.025, lambda2 = 200, T = 2; what they did here: reports/findings/voice-encoder-loss-weights.md.
    Returns every term and the total `loss`.
    """
    target = target.detach()
    with torch.no_grad():
        true_activations = decoder_first_layer(target)
        soft_targets = F.softmax(teacher_head(target) / temperature, dim=1)
    decoder_l1 = (decoder_first_layer(predicted) - true_activations).abs().mean()
    embedding_l2 = (
        (F.normalize(predicted, dim=1) - F.normalize(target, dim=1)).pow(2).sum(dim=1).mean()
    )
    log_probs = F.log_softmax(teacher_head(predicted) / temperature, dim=1)
    distillation = -(soft_targets * log_probs).sum(dim=1).mean()
    return {
        "loss": decoder_l1 + lambda1 * embedding_l2 + lambda2 * distillation,
        "decoder_l1": decoder_l1,
        "embedding_l2": embedding_l2,
        "distillation": distillation,
    }
