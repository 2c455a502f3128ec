"""The Speech2Face loss: each term, the weighting, and where gradients go."""

import pytest
import torch
from torch import nn

from speech2face.models.losses import speech2face_loss

TERMS = ("decoder_l1", "embedding_l2", "distillation")


@pytest.fixture
def frozen():
    torch.manual_seed(0)
    first = nn.Sequential(nn.Linear(8, 12), nn.ReLU()).requires_grad_(False)
    head = nn.Linear(8, 5).requires_grad_(False)
    return first, head


def loss(predicted, target, frozen, lambda1=0.025, lambda2=200.0, temperature=2.0):
    first, head = frozen
    return speech2face_loss(predicted, target, first, head, lambda1, lambda2, temperature)


def test_matching_embeddings_leave_only_the_target_entropy(frozen):
    target = torch.randn(4, 8)
    terms = loss(target.clone(), target, frozen)
    probabilities = torch.softmax(frozen[1](target) / 2.0, dim=1)
    entropy = -(probabilities * probabilities.log()).sum(dim=1).mean()
    assert terms["decoder_l1"] == 0
    assert terms["embedding_l2"].abs() < 1e-6
    assert torch.allclose(terms["distillation"], entropy)


def test_every_term_is_positive_for_different_embeddings(frozen):
    terms = loss(torch.randn(4, 8), torch.randn(4, 8), frozen)
    assert all(terms[name] > 0 for name in TERMS)


def test_embedding_l2_is_the_squared_distance_of_unit_vectors(frozen):
    target = torch.tensor([[1.0, 0, 0, 0, 0, 0, 0, 0]])
    opposite = loss(-3 * target, target, frozen)["embedding_l2"]
    assert torch.allclose(opposite, torch.tensor(4.0))


def test_lambdas_weight_the_total(frozen):
    predicted, target = torch.randn(4, 8), torch.randn(4, 8)
    terms = loss(predicted, target, frozen, lambda1=0.5, lambda2=3.0)
    expected = terms["decoder_l1"] + 0.5 * terms["embedding_l2"] + 3.0 * terms["distillation"]
    assert torch.allclose(terms["loss"], expected)
    assert torch.allclose(loss(predicted, target, frozen, 0, 0)["loss"], terms["decoder_l1"])


def test_gradients_reach_the_prediction_only(frozen):
    predicted = torch.randn(4, 8, requires_grad=True)
    target = torch.randn(4, 8, requires_grad=True)
    loss(predicted, target, frozen)["loss"].backward()
    assert predicted.grad is not None and predicted.grad.abs().sum() > 0
    assert target.grad is None
    assert all(p.grad is None for net in frozen for p in net.parameters())
