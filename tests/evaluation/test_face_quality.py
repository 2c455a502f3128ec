"""Sharpness and spread of drawn faces against the true ones."""

import numpy as np
import pytest
import torch

from speech2face.evaluation.face_quality import (
    binomial_blur,
    face_quality,
    laplacian_variance,
    quality_reference,
)


def faces(count: int = 6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((count, 3, 16, 16)).astype(np.float32)


def blurred(images: np.ndarray) -> np.ndarray:
    return torch.nn.functional.avg_pool2d(torch.from_numpy(images), 3, 1, 1).numpy()


def test_the_true_faces_against_themselves_are_as_sharp_and_as_varied():
    truth = faces()
    quality = face_quality(truth, quality_reference(truth))
    assert list(quality.columns) == ["sharpness_ratio", "detail_ratio", "spread_ratio"]
    assert quality.mean().to_numpy() == pytest.approx([1.0, 1.0, 1.0])


def test_blur_lowers_sharpness_and_one_face_for_everyone_has_no_spread():
    truth = faces()
    assert (
        laplacian_variance(torch.from_numpy(blurred(truth))).max()
        < laplacian_variance(torch.from_numpy(truth)).min()
    )
    assert face_quality(blurred(truth), quality_reference(truth)).sharpness_ratio.mean() < 0.5
    mean_face = np.repeat(truth.mean(axis=0, keepdims=True), len(truth), axis=0)
    assert face_quality(mean_face, quality_reference(truth)).spread_ratio.max() == pytest.approx(
        0.0, abs=1e-9
    )


def test_a_flat_grey_face_has_no_sharpness():
    flat = np.full((2, 3, 16, 16), 0.5, dtype=np.float32)
    assert laplacian_variance(torch.from_numpy(flat)).tolist() == [0.0, 0.0]


def test_a_checkerboard_raises_sharpness_but_not_detail():
    smooth = blurred(blurred(faces()))
    checker = 0.05 * (np.indices((16, 16)).sum(axis=0) % 2 * 2 - 1).astype(np.float32)
    checkered = smooth + checker
    assert binomial_blur(torch.from_numpy(checker[None, None])).abs().max() < 0.03
    reference = quality_reference(faces())
    quality = face_quality(checkered, reference).mean()
    plain = face_quality(smooth, reference).mean()
    assert quality.sharpness_ratio > 2 * plain.sharpness_ratio
    assert quality.detail_ratio == pytest.approx(plain.detail_ratio, rel=0.2)
