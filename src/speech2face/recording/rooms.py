"""Room impulse responses: shoebox rooms simulated by pyroomacoustics' image-source method."""

from __future__ import annotations

import numpy as np

# Rooms from a small office to a mid-size meeting room (m), and where a talker's mouth and a
# microphone sit in them: at least MARGIN from every wall, at seated to standing heights.
ROOM_MIN, ROOM_MAX = (3.0, 3.0, 2.5), (8.0, 6.0, 3.2)
MOUTH_HEIGHT, MIC_HEIGHT = (1.1, 1.8), (0.7, 1.6)
MARGIN = 0.5
# Image sources beyond this order are dropped: the cost grows with its cube, and at 25 the
# RT60 measured on the responses was within a few percent of the asked one (median).
MAX_ORDER = 25
SECONDS = 0.5  # responses are cut here (an RT60 of 0.8 s has decayed 37 dB by then) ...
FADE_SECONDS = 0.01  # ... under a half-Hann fade
LEAD = 8  # samples kept before the direct path: the fractional-delay filter's left side


def rir_bank(
    count: int, sample_rate: int, seed: int, rt60_s: tuple[float, float] = (0.2, 0.8)
) -> np.ndarray:
    """`count` room impulse responses (count, length) float32, from random shoebox rooms.

    Each room has a random size, an RT60 drawn uniformly from `rt60_s` (its uniform wall
    absorption follows from Sabine's formula) and random talker and microphone positions.
    Every response is shifted so that its direct path lies at sample `LEAD` and scaled so that
    the direct path's peak is 1: convolving and dropping the first `LEAD` samples keeps speech
    aligned and at its dry level, with the room added. The same arguments give the same bank.
    """
    import pyroomacoustics as pra

    rng = np.random.default_rng(seed)
    length = int(round(SECONDS * sample_rate))
    fade = int(round(FADE_SECONDS * sample_rate))
    taper = np.cos(np.linspace(0.0, np.pi / 2, fade)) ** 2
    half_filter = pra.constants.get("frac_delay_length") // 2
    bank = np.zeros((count, length), dtype=np.float32)
    for row in bank:
        size = rng.uniform(ROOM_MIN, ROOM_MAX)
        rt60 = rng.uniform(*rt60_s)
        absorption, order = pra.inverse_sabine(rt60, size)
        room = pra.ShoeBox(
            size,
            fs=sample_rate,
            materials=pra.Material(absorption),
            max_order=min(order, MAX_ORDER),
        )
        mouth = _position(rng, size, MOUTH_HEIGHT)
        mic = _position(rng, size, MIC_HEIGHT)
        room.add_source(mouth)
        room.add_microphone(mic)
        room.compute_rir()
        response = np.asarray(room.rir[0][0], dtype=np.float64)
        distance = float(np.linalg.norm(mouth - mic))
        direct = int(round(distance / pra.constants.get("c") * sample_rate)) + half_filter
        response = response[direct - LEAD :][:length]
        response /= np.abs(response[LEAD - 1 : LEAD + 2]).max()
        row[: len(response)] = response
        row[length - fade :] *= taper
    return bank


def _position(rng: np.random.Generator, size: np.ndarray, heights: tuple[float, float]):
    """A random point at least MARGIN from the walls, at a height within `heights`."""
    x, y = rng.uniform(MARGIN, size[:2] - MARGIN)
    return np.array([x, y, rng.uniform(*heights)])
