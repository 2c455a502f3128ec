"""The parametric face renderer: output contract, determinism and latent effects."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from speech2face.corpus import face
from speech2face.corpus.face import render_face
from speech2face.corpus.population import GROUP_PROFILES
from tests.conftest import population


@pytest.fixture(scope="module")
def speakers():
    return population(40, 7)


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("size", [32, 128])
def test_shape_and_dtype(speakers, size):
    s = speakers[0]
    for image in (render_face(s, size=size), render_face(s, s.clip_rng(0), size)):
        assert image.shape == (size, size, 3)
        assert image.dtype == np.uint8


def test_deterministic(speakers):
    s = speakers[1]
    assert np.array_equal(render_face(s, s.clip_rng(3)), render_face(s, s.clip_rng(3)))
    assert np.array_equal(render_face(s), render_face(s))
    assert not np.array_equal(render_face(s, s.clip_rng(3)), render_face(s, s.clip_rng(4)))


def test_frames_of_one_speaker_differ_less_than_speakers(speakers):
    within, between = [], []
    for a, b in zip(speakers[:10], speakers[10:20], strict=True):
        frames_a = [render_face(a, a.clip_rng(i), 64) for i in range(2)]
        frames_b = [render_face(b, b.clip_rng(i), 64) for i in range(2)]
        within += [mean_abs_diff(*frames_a), mean_abs_diff(*frames_b)]
        between += [mean_abs_diff(fa, fb) for fa, fb in zip(frames_a, frames_b, strict=True)]
    assert 0 < np.mean(within) < 0.6 * np.mean(between)
    assert np.mean(between) > 20


def test_darker_group_profile_gives_darker_skin(speakers):
    def cheeks(image: np.ndarray) -> float:
        n = image.shape[0]
        return float(image[n // 2 - 1 : n // 2 + 2, [int(0.39 * n), int(0.61 * n)]].mean())

    light, dark = (
        [cheeks(render_face(dataclasses.replace(s, profile=p), size=64)) for s in speakers]
        for p in (GROUP_PROFILES[0], GROUP_PROFILES[1])
    )
    assert np.mean(dark) < np.mean(light) - 30


def test_older_speakers_have_greyer_hair(speakers):
    def greyness(image: np.ndarray) -> float:
        """Weakest colour channel at the crown: high for grey or white, low for coloured hair."""
        n = image.shape[0]
        crown = image[int(0.17 * n) : int(0.17 * n) + 3, n // 2 - 1 : n // 2 + 2] / 255.0
        return float(crown.min(-1).mean())

    young, old = (
        [
            greyness(render_face(dataclasses.replace(s, age=age, gender="female"), size=64))
            for s in speakers
        ]
        for age in (25, 72)
    )
    assert np.mean(old) > np.mean(young) + 0.2


def test_size_latent_enlarges_the_face(speakers):
    def area(image: np.ndarray) -> int:
        """Pixels of the upper image that stand out from the background colour in the corner."""
        n = image.shape[0]
        corner = image[:4, :4].reshape(-1, 3).mean(0)
        return int((np.abs(image[: int(0.6 * n)] - corner).sum(-1) > 45).sum())

    for s in speakers[:6]:
        small, large = (
            render_face(dataclasses.replace(s, face={**s.face, "size": z}), size=64)
            for z in (-1.5, 1.5)
        )
        assert area(large) > 1.2 * area(small)


def test_windowed_drawing_leaves_no_seams(speakers, monkeypatch):
    """Each part is drawn inside a bounding window: drawing it over the whole frame must agree."""
    windowed = [render_face(s, s.clip_rng(1)) for s in speakers[:12]]
    monkeypatch.setattr(face._Canvas, "window", lambda cv, *box: (slice(None), slice(None)))
    for s, image in zip(speakers[:12], windowed, strict=True):
        whole = render_face(s, s.clip_rng(1))
        assert np.abs(whole.astype(np.int16) - image).max() <= 2
