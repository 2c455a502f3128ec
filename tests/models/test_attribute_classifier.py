"""The attribute classifier: outputs per attribute, trunks of their own, numbers in units."""

from __future__ import annotations

import pytest
import torch

from speech2face.models.attribute_classifier import SHARED, AttributeClassifier

CLASSES = {"gender": ["female", "male"], "age_group": ["a", "b", "c"], "ethnicity": ["x", "y"]}
NUMBERS = {"age": [40.0, 12.0], "geometry_face_width": [0.5, 0.05]}


def classifier(own_trunk=()) -> AttributeClassifier:
    torch.manual_seed(0)
    return AttributeClassifier(CLASSES, NUMBERS, 16, 8, 32, own_trunk=own_trunk).eval()


@pytest.mark.parametrize("own_trunk", [(), ("gender",), ("gender", "ethnicity")])
def test_outputs_per_attribute(own_trunk):
    net = classifier(own_trunk)
    logits, values = net(torch.rand(5, 3, 64, 64))  # resized to 32 inside
    assert {k: v.shape for k, v in logits.items()} == {
        name: (5, len(names)) for name, names in CLASSES.items()
    }
    assert list(values) == list(NUMBERS) and all(v.shape == (5,) for v in values.values())
    assert set(net.trunks) == {SHARED, *own_trunk}
    described = net.describe(torch.rand(3, 3, 32, 32))
    assert set(described["gender"]) <= {"female", "male"}


def test_an_own_trunk_shares_nothing_with_the_others():
    net = classifier(("gender",))
    images = torch.rand(4, 3, 32, 32)
    logits, _ = net(images)
    logits["gender"].logsumexp(dim=1).sum().backward()
    shared = [p.grad for p in net.trunks[SHARED].parameters()]
    assert all(g is None or torch.count_nonzero(g) == 0 for g in shared)
    assert any(
        p.grad is not None and p.grad.abs().sum() > 0 for p in net.trunks["gender"].parameters()
    )


def test_numbers_come_out_in_their_own_units():
    net = classifier()
    head = net.trunks[SHARED].head
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    _, values = net(torch.rand(2, 3, 32, 32))
    assert torch.allclose(values["age"], torch.tensor([40.0, 40.0]))
    assert torch.allclose(net.standardized("age", torch.tensor([52.0])), torch.tensor([1.0]))


def test_unknown_own_trunk_is_refused():
    with pytest.raises(ValueError, match="unknown attributes"):
        classifier(("accent",))
