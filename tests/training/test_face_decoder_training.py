"""The decoder's training: the perceptual distance, and generator and critic both learning."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from speech2face.models.face_decoder import FaceDecoder, PatchDiscriminator
from speech2face.models.face_encoder import FaceEncoder
from speech2face.training.data import ArrayDataModule, ArrayDataset
from speech2face.training.train_face_decoder import FaceDecoderModule, perceptual_distance

WEIGHTS = {"l1": 1.0, "identity": 0.5, "perceptual": 0.5, "adversarial": 0.1}


def teacher() -> FaceEncoder:
    torch.manual_seed(0)
    return FaceEncoder(n_identities=5, embedding_dim=16, width=8, image_size=32).eval()


def test_perceptual_distance_is_zero_for_the_same_face_and_grows_with_blur():
    maps = teacher().feature_maps
    faces = torch.rand(2, 3, 32, 32)
    blurred = torch.nn.functional.avg_pool2d(faces, 3, 1, 1)
    assert perceptual_distance(maps(faces), maps(faces)).item() == pytest.approx(0.0, abs=1e-7)
    assert perceptual_distance(maps(blurred), maps(faces)) > 0
    assert perceptual_distance(maps(torch.zeros_like(faces)), maps(faces)) > perceptual_distance(
        maps(blurred), maps(faces)
    )


def parameters(net: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def changed(before: list[torch.Tensor], net: torch.nn.Module) -> bool:
    return any(not torch.equal(b, p) for b, p in zip(before, net.parameters()))


@pytest.mark.parametrize("adversarial", [0.0, 0.1])
def test_a_training_step_moves_the_decoder_and_the_critic_not_the_teacher(adversarial):
    rng = np.random.default_rng(0)
    table = {
        "embedding": rng.normal(size=(8, 16)).astype(np.float32),
        "face": rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8),
    }
    data = ArrayDataModule(ArrayDataset(table), ArrayDataset(table), 4, 0)
    net, critic, frozen = FaceDecoder(16, 32, 4), PatchDiscriminator(4), teacher()
    weights = {**WEIGHTS, "adversarial": adversarial}
    module = FaceDecoderModule(net, frozen, critic if adversarial else None, 32, 1e-3, weights)
    before = {"net": parameters(net), "critic": parameters(critic), "teacher": parameters(frozen)}
    trainer = pl.Trainer(
        fast_dev_run=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, data)
    assert changed(before["net"], net)
    assert changed(before["critic"], critic) == bool(adversarial)
    assert not changed(before["teacher"], frozen)
    logged = trainer.logged_metrics
    assert {"train/l1", "train/identity", "train/perceptual", "val/loss"} <= set(logged)
    assert ("train/critic" in logged) == bool(adversarial)
