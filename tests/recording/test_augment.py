"""Training augmentation: random per clip, reproducible by seed, on the batch's device."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from speech2face.features.preprocess import f0_median
from speech2face.params import AugmentParams
from speech2face.recording.augment import RecordingAugmentation
from speech2face.recording.codec import CodecTransform
from tests.recording.signals import F0, SAMPLE_RATE, harmonic, white

CONDITIONS = ("gain", "noise", "reverb", "telephone", "codec")
SMALL = AugmentParams(rirs=8)


def only(condition: str | None) -> AugmentParams:
    """SMALL with `condition` applied to every clip and the others to none."""
    probabilities = {f"{name}_p": float(name == condition) for name in CONDITIONS}
    return dataclasses.replace(SMALL, **probabilities)


def batch(clips: int = 6, seconds: float = 0.5) -> torch.Tensor:
    tones = np.stack([harmonic(seconds, 100.0 + 20 * i) for i in range(clips)])
    return torch.from_numpy(tones + white(clips, seconds, level=0.002))


def test_same_seed_same_batches_other_seed_other_batches():
    x = batch()
    first, again = (
        RecordingAugmentation(SMALL, SAMPLE_RATE, 1),
        RecordingAugmentation(SMALL, SAMPLE_RATE, 1),
    )
    a1, a2 = first(x), first(x)
    torch.testing.assert_close(a1, again(x), rtol=0, atol=0)
    torch.testing.assert_close(a2, again(x), rtol=0, atol=0)
    assert not torch.equal(a1, a2)  # the next batch is augmented differently
    assert not torch.equal(a1, RecordingAugmentation(SMALL, SAMPLE_RATE, 2)(x))
    assert a1.shape == x.shape and a1.dtype == x.dtype
    torch.testing.assert_close(x, batch())  # the input is left alone


def test_a_share_of_clips_is_left_clean():
    x = batch(clips=200, seconds=0.1)
    out = RecordingAugmentation(SMALL, SAMPLE_RATE, 0)(x)
    untouched = (out == x).all(dim=1).float().mean().item()
    expected = SMALL.clean_share / (1 - SMALL.codec_p)  # no codec on the device
    assert untouched == pytest.approx(expected, abs=0.1)


def test_eval_mode_and_zero_probabilities_leave_the_batch_alone():
    x = batch()
    module = RecordingAugmentation(SMALL, SAMPLE_RATE, 0)
    assert module.eval()(x) is x
    torch.testing.assert_close(RecordingAugmentation(only(None), SAMPLE_RATE, 0)(x), x)


def test_rejects_integer_or_unbatched_waveforms():
    module = RecordingAugmentation(SMALL, SAMPLE_RATE, 0)
    with pytest.raises(ValueError, match="float waveforms"):
        module(torch.zeros(2, 800, dtype=torch.int16))
    with pytest.raises(ValueError, match="float waveforms"):
        module(torch.zeros(800))


@pytest.mark.parametrize("condition", ["gain", "noise", "reverb", "telephone"])
def test_each_condition_changes_every_clip_and_keeps_length(condition):
    x = batch()
    out = RecordingAugmentation(only(condition), SAMPLE_RATE, 0)(x)
    assert out.shape == x.shape
    assert not (out == x).all(dim=1).any()
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("condition", ["gain", "noise", "reverb", "telephone", None])
def test_no_augmentation_changes_f0(condition):
    params = only(condition) if condition else SMALL
    tones = torch.from_numpy(np.stack([harmonic(1.0)] * 4))
    for clip in RecordingAugmentation(params, SAMPLE_RATE, 5)(tones).numpy():
        assert f0_median(clip, SAMPLE_RATE, (60, 600)) == pytest.approx(F0, rel=0.02)


def test_codec_transform_is_seeded_and_keeps_dtype_and_length():
    clip = (harmonic(0.5) * 32767).astype(np.int16)
    always = CodecTransform(only("codec"), SAMPLE_RATE)
    coded = always(clip, seed=3)
    assert coded.dtype == np.int16 and coded.shape == clip.shape
    assert not np.array_equal(coded, clip)
    np.testing.assert_array_equal(coded, always(clip, seed=3))
    assert CodecTransform(only(None), SAMPLE_RATE)(clip, seed=3) is clip
    floats = always(clip / 32767.0, seed=3)
    assert floats.dtype == np.float32
    assert f0_median(floats, SAMPLE_RATE, (60, 600)) == pytest.approx(F0, rel=0.02)


def test_codec_transform_draws_codecs_and_bitrates():
    params = dataclasses.replace(only("codec"), codecs=("opus", "mp3"), codec_kbps=(16, 48))
    clip = harmonic(0.5)
    outputs = {CodecTransform(params, SAMPLE_RATE)(clip, seed).tobytes() for seed in range(12)}
    assert len(outputs) == 4


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_runs_on_the_gpu():
    module = RecordingAugmentation(SMALL, SAMPLE_RATE, 0).cuda()
    x = batch().cuda()
    out = module(x)
    assert out.device == x.device and out.shape == x.shape
    assert torch.equal(out, RecordingAugmentation(SMALL, SAMPLE_RATE, 0).cuda()(x))
