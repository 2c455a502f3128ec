"""The pure parts of ingest: speech regions and segments, labels, splits, naming."""

import numpy as np
import pytest

from speech2face.ingest import speech
from speech2face.ingest.adapters import LabelError, given_labels, inside, item_key
from speech2face.ingest.adapters.avspeech import _parse_official, _parse_per_id
from speech2face.ingest.items import Item
from speech2face.ingest.labels import assigned_split, corpus_rows
from speech2face.params import CorpusParams, load_section
from speech2face.paths import PARAMS

INGEST = load_section(CorpusParams, "corpus", PARAMS).ingest
STEP = speech.WINDOW / speech.SAMPLE_RATE


def scores(*runs: tuple[float, float]) -> np.ndarray:
    """Window scores from (seconds, score) runs."""
    return np.concatenate([np.full(round(s / STEP), v, np.float32) for s, v in runs])


def test_regions_bridge_short_pauses_and_keep_hysteresis():
    runs = scores((1, 0.0), (2, 0.9), (1, 0.4), (0.3, 0.0), (2, 0.9), (1, 0.4))
    found = speech.speech_regions(runs, 0.5, 0.5)
    assert len(found) == 1  # 0.4 continues speech (above 0.5 - 0.15); the pause is bridged
    assert found[0] == pytest.approx((1.0, 7.3), abs=3 * STEP)  # runs are whole windows
    apart = speech.speech_regions(scores((2, 0.9), (1, 0.0), (2, 0.9)), 0.5, 0.5)
    assert len(apart) == 2


def test_segments_are_cut_evenly_within_bounds():
    assert speech.segments([(0.0, 2.0)], 3.0, 10.0) == []
    assert speech.segments([(1.0, 26.0)], 3.0, 10.0) == [
        (1.0, 9.333),
        (9.333, 17.667),
        (17.667, 26.0),
    ]


def test_silero_hears_no_speech_in_noise_or_silence():
    rng = np.random.default_rng(0)
    assert speech.speech_probabilities(np.zeros(32000, np.float32)).max() < 0.5
    noise = rng.normal(0, 0.1, 32000).astype(np.float32)
    assert speech.speech_probabilities(noise).mean() < 0.2


def test_given_labels_are_normalised_or_refused():
    assert given_labels({"gender": " F ", "age": "34", "split": "Test"}) == {
        "gender": "female",
        "age": "34",
        "split": "test",
    }
    for bad in ({"gender": "x"}, {"age": "12"}, {"age": "forty"}, {"split": "dev2"}):
        with pytest.raises(LabelError):
            given_labels(bad)


def test_paths_from_labels_stay_inside_the_source(tmp_path):
    from speech2face.errors import InputError

    assert inside(tmp_path, "a/b.mp4", "x") == (tmp_path / "a/b.mp4").resolve()
    for escape in ("../b.mp4", "/etc/passwd"):
        with pytest.raises(InputError, match="outside"):
            inside(tmp_path, escape, "labels.csv line 3")


def test_keys_are_safe_and_unique():
    key = item_key("../we ird/-id_1", "1.000")
    assert "/" not in key and not key.startswith(("-", ".")) and key != item_key("we ird/-id_1")


def test_avspeech_names_parse_both_schemes():
    assert _parse_official("-AvWWVOgaMl_k_090.000000-093.566667") == ("-AvWWVOgaMl_k", 90.0)
    assert _parse_official("wholevideo") is None
    assert _parse_per_id("-ab_c_12.5_15.0_video") == ("-ab_c", 12.5)


def test_splits_are_stable_and_dev_never_test():
    drawn = [assigned_split(f"s{i}", None, INGEST) for i in range(2000)]
    shares = {s: drawn.count(s) / len(drawn) for s in ("train", "val", "test")}
    assert shares == pytest.approx(INGEST.split_fractions, abs=0.04)
    assert {assigned_split(f"s{i}", "dev", INGEST) for i in range(500)} == {"train", "val"}
    assert assigned_split("s1", "test", INGEST) == "test"
    assert drawn[7] == assigned_split("s7", None, INGEST)


def test_given_labels_win_and_missing_ones_are_estimated(tmp_path):
    given = Item("k1", tmp_path / "a.mp4", "alice", labels={"gender": "female"})
    other = Item("k2", tmp_path / "b.mp4", "bob")

    def segment(clip: str, female: float, age: int) -> dict:
        guess = {"female_probability": female, "age": age, "age_confidence": 0.3}
        return {
            "clip_id": clip,
            "audio_path": "a",
            "face_path": "f",
            "duration_s": 4.0,
            "start_s": 0.0,
            "end_s": 4.0,
            "estimate": guess,
        }

    results = [
        (given, {"accepted": [segment("a0", 0.1, 30)]}),
        (other, {"accepted": [segment("b0", 0.2, 12), segment("b1", 0.4, 15)]}),
    ]
    rows = corpus_rows(results, INGEST).set_index("clip_id")
    assert rows.loc["a0", "gender"] == "female" and rows.loc["a0", "gender_source"] == "labels"
    assert rows.loc["a0", "age_source"] == "estimated" and rows.loc["a0", "age"] == 30
    assert rows.loc["b0", "gender"] == "male" and rows.loc["b0", "gender_confidence"] == 0.7
    assert rows.loc["b1", "age"] == 18  # the median estimate (13.5) clamped into 18-80
    assert set(rows.ethnicity) == {"unknown"} and set(rows.ethnicity_source) == {"unknown"}


def test_both_detectors_find_a_real_face_and_align_it():
    import dataclasses

    from skimage.data import astronaut

    from speech2face.ingest.faces import speaker_face

    frame = np.ascontiguousarray(astronaut()[:256, 64:320])  # one face
    for detector in ("hog", "cnn"):  # cnn: the paper's MMOD detector, from face_recognition_models
        params = dataclasses.replace(INGEST.faces, detector=detector, upsample=0)
        face, box = speaker_face(frame, None, params)
        assert face.shape == (params.image_size, params.image_size, 3)
        assert 70 <= box.size <= 140 and 250 <= sum(box.centre()) <= 330, box  # her face


def lfw_frame(grey: np.ndarray, blur: float = 0.0) -> np.ndarray:
    """An LFW face (25 px, real) blown up to 150 px in a frame, as an upscaled web photo or a
    low-resolution video gives it; `blur`: a Gaussian's sigma over the frame, px."""
    from PIL import Image, ImageFilter

    from tests.ingest.media import compose

    small = Image.fromarray(np.round(grey * 255).astype(np.uint8))
    face = np.asarray(small.resize((150, 150), Image.BICUBIC).convert("RGB"))
    frame = Image.fromarray(compose((320, 240), [(face, (160, 120), 150)]))
    return np.ascontiguousarray(np.asarray(frame.filter(ImageFilter.GaussianBlur(blur))))


def test_real_low_resolution_faces_found_confidently_pass_the_blur_gate_and_blurred_do_not():
    from dataclasses import replace

    from skimage.data import lfw_subset

    from speech2face.ingest.faces import aligned_face, choose, detect, sharpness

    params = INGEST.faces
    ungated = replace(params, min_sharpness=0.0)
    measured = {}
    for blur in (0.0, 7.5):
        measured[blur] = []
        for grey in lfw_subset()[:100]:
            frame = lfw_frame(grey, blur)
            boxes = detect(frame, params)
            if boxes and (box := choose(boxes, None, frame.shape, params)).score >= 1.0:
                measured[blur].append(sharpness(aligned_face(frame, box, ungated)))
    sharp, blurred = (np.array(measured[b]) for b in (0.0, 7.5))
    assert len(sharp) >= 40 and (sharp >= params.min_sharpness).all()
    assert (sharp < 0.0005).any()  # the old threshold refused some of these real faces
    assert len(blurred) and (blurred < params.min_sharpness).all()
