"""POST /v1/faces and the other routes, through the HTTP client: every status it can answer."""

from __future__ import annotations

import base64
import io
import json
import shutil
import socket
import threading
import time
from dataclasses import replace
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest
from PIL import Image

from speech2face.service.loading import ServedModel, load
from tests.audio_files import encode, voice, write_wav
from tests.service.conftest import live_server

FACES = "/v1/faces"


def post(client, data: bytes, name: str = "voice.wav", kind: str = "audio/wav", **kwargs):
    return client.post(FACES, files={"audio": (name, data, kind)}, **kwargs)


def one_line(response) -> str:
    detail = response.json()["detail"]
    assert "\n" not in detail and "Traceback" not in response.text
    return detail


def test_a_wav_gives_a_face_its_readings_the_model_version_and_timings(client, wav):
    response = post(client, wav.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["face"].startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(body["face"].split(",", 1)[1]))) as image:
        assert image.size == (256, 256)
    gender = body["attributes"]["gender"]
    assert gender["label"] in ("female", "male") and 0.5 <= gender["probability"] <= 1
    assert body["model"]["version"].startswith("local ") and body["audio_seconds"] == 3.0
    assert set(body["timing_ms"]) == {"queue", "decode", "inference", "total"}
    assert response.headers["X-Model-Version"] == body["model"]["version"]


@pytest.mark.parametrize(
    "ask",
    [
        {"params": {"format": "png"}},
        {"headers": {"Accept": "image/png"}},
        {"headers": {"Accept": "Image/PNG;q=0.9, */*;q=0.1"}},
        {"headers": {"Accept": "image/webp, image/png, application/json"}},
    ],
)
def test_png_on_request(client, wav, ask):
    response = post(client, wav.read_bytes(), **ask)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("accept", ["application/json, image/png", "*/*", "text/html", ""])
def test_json_unless_png_is_asked_before_json(client, wav, accept):
    response = post(client, wav.read_bytes(), headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"


def test_an_unknown_format_is_422(client, wav):
    response = post(client, wav.read_bytes(), params={"format": "gif"})
    assert response.status_code == 422 and "json or png" in one_line(response)


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=xyz"]
)
def test_a_malformed_multipart_body_is_400(client, content_type):
    body = b"--abc\r\nnot a part at all"
    response = client.post(FACES, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400 and "malformed" in one_line(response)


def test_no_report_is_404_and_before_the_model_loaded_503(settings, tmp_path):
    from fastapi.testclient import TestClient

    from speech2face.service.app import create_app

    app = create_app(replace(settings, reports=tmp_path / "nothing"))
    early = TestClient(app).get("/healthz")  # no `with`: the lifespan has not run
    assert early.status_code == 503 and early.headers["Retry-After"] == "5"
    assert "loading" in one_line(early)
    with TestClient(app) as client:
        missing = client.get("/evaluation")
    assert missing.status_code == 404 and "no evaluation report" in one_line(missing)


def encoded(codec: str, container: str | None = None, rate: int = 44100):
    return lambda path: encode(path, voice(2.5, rate)[None], rate, codec, container=container)


@pytest.mark.parametrize(
    ("name", "kind", "write"),
    [
        ("voice.webm", "audio/webm;codecs=opus", encoded("libopus", "webm", 48000)),  # Chrome
        ("voice.m4a", "audio/mp4", encoded("aac", "mp4")),  # Safari's recordings
        ("voice.mp3", "audio/mpeg", encoded("libmp3lame")),
        ("voice.ogg", "audio/ogg", lambda p: write_wav(p, voice(2.5, 44100), 44100, "VORBIS")),
        (
            "voice.flac",
            "application/octet-stream",
            lambda p: write_wav(p, voice(2.5, 22050), 22050),
        ),
    ],
)
def test_browser_and_common_formats_decode_without_ffmpeg(client, tmp_path, name, kind, write):
    path = write(tmp_path / name)
    response = post(client, path.read_bytes(), name, kind)
    assert response.status_code == 200, response.text
    assert 2.3 <= response.json()["audio_seconds"] <= 2.7


def test_healthz_page_and_evaluation_report(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["model"]["version"].startswith("local ")
    page = client.get("/")
    assert page.status_code == 200 and "not your face" in page.text
    assert health["model"]["version"] in page.text and 'href="/evaluation"' in page.text
    assert "for women" in page.text  # figures of the evaluation beside the models
    report = client.get("/evaluation")
    assert report.status_code == 200 and report.text.startswith("# Evaluation")


def test_the_page_shows_no_figures_of_other_models(settings, models, tmp_path):
    from fastapi.testclient import TestClient

    from speech2face.service.app import create_app

    other = tmp_path / "reports"
    shutil.copytree(settings.reports, other)
    (other / "register.json").write_text(json.dumps({"models_sha256": "0" * 64}))
    with TestClient(create_app(replace(settings, reports=other))) as client:
        page = client.get("/").text
    assert "for women" not in page and "not of the models served here" in page


def test_not_multipart_is_415(client, wav):
    response = client.post(FACES, content=wav.read_bytes(), headers={"Content-Type": "audio/wav"})
    assert response.status_code == 415 and "multipart/form-data" in one_line(response)


def test_a_part_that_is_not_audio_is_415(client):
    response = post(client, b"%PDF-1.7 not a voice", "notes.pdf", "application/pdf")
    assert response.status_code == 415 and "application/pdf" in one_line(response)


def test_a_form_without_the_audio_field_is_422(client, wav):
    response = client.post(FACES, files={"voice": ("v.wav", wav.read_bytes(), "audio/wav")})
    assert response.status_code == 422 and "'audio'" in one_line(response)


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (voice(0.5, 16000), "0.50 s of audio, at least 1 s"),
        (np.zeros(32000, np.float32), "silent"),
    ],
)
def test_too_short_or_silent_is_422(client, tmp_path, samples, message):
    path = write_wav(tmp_path / "v.wav", samples, 16000)
    response = post(client, path.read_bytes())
    assert response.status_code == 422 and message in one_line(response)


@pytest.mark.parametrize(
    ("value", "message"), [(np.nan, "(1 NaN, 0 infinite)"), (-np.inf, "(0 NaN, 1 infinite)")]
)
def test_a_sample_that_is_no_number_is_422_never_5xx(client, tmp_path, value, message):
    samples = voice(2.0, 16000)
    samples[700] = value
    path = write_wav(tmp_path / "v.wav", samples, 16000, subtype="FLOAT")
    response = post(client, path.read_bytes())
    assert response.status_code == 422, response.text
    assert one_line(response).startswith("the upload: unusable audio: 1 of 32000 samples")
    assert message in one_line(response)


def test_undecodable_bytes_are_422_naming_the_upload_not_a_path(client):
    response = post(client, np.random.default_rng(1).bytes(5000), "../../etc/passwd.wav")
    detail = one_line(response)
    assert response.status_code == 422 and detail.startswith("the upload: cannot read audio")
    assert "/tmp" not in detail and "passwd" not in detail


def test_longer_than_the_limit_after_decoding_is_413(client, tmp_path):
    path = write_wav(tmp_path / "long.wav", voice(9.0, 8000), 8000)  # 9 s in 144 kB
    response = post(client, path.read_bytes())
    assert response.status_code == 413 and "9.0 s of audio, at most 8 s" in one_line(response)


def test_over_the_size_cap_is_413(client, tmp_path):
    path = write_wav(tmp_path / "big.wav", voice(7.0, 44100), 44100)  # 617 kB
    response = post(client, path.read_bytes())
    assert response.status_code == 413 and "at most 400,000" in one_line(response)


def test_no_content_length_is_411(client, wav):
    boundary = "b0undary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="v.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode(),
        wav.read_bytes(),
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = client.post(FACES, content=iter(parts), headers=headers)  # chunked
    assert response.status_code == 411 and "Content-Length" in one_line(response)


def test_the_size_cap_answers_before_the_body_is_sent(settings):
    """Over a real socket: the headers alone get 413; the 50 MB body is never sent."""
    with live_server(settings) as base:
        address = urlparse(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/faces HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\n\r\n"
            )
            answer = b"".join(iter(lambda: sock.recv(4096), b"")).decode()  # until it closes
    assert answer.startswith("HTTP/1.1 413") and "at most 400,000 are accepted" in answer


class SlowAvatar:
    """The tiny avatar, taking `seconds` longer per face: requests pile up behind it."""

    def __init__(self, avatar, seconds: float):
        self.avatar, self.seconds = avatar, seconds
        self.sample_rate = avatar.sample_rate

    def face(self, samples):
        time.sleep(self.seconds)
        return self.avatar.face(samples)


def test_overload_is_503_with_retry_after_and_the_admitted_are_served(settings, wav):
    def slow(model: str) -> ServedModel:
        served = load(model)
        return replace(served, avatar=SlowAvatar(served.avatar, 0.6))

    busy = replace(settings, inference_slots=1, max_waiting=1, retry_after_seconds=3)
    statuses, retry = [], []
    with live_server(busy, slow) as base:

        def one():
            files = {"audio": ("v.wav", wav.read_bytes(), "audio/wav")}
            response = httpx.post(base + FACES, files=files, timeout=60)
            statuses.append(response.status_code)
            retry.append(response.headers.get("Retry-After"))

        threads = [threading.Thread(target=one) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses).count(200) >= 2 and 503 in statuses, statuses
    assert set(statuses) <= {200, 503}
    assert {r for s, r in zip(statuses, retry) if s == 503} == {"3"}


def test_an_unexpected_failure_is_500_in_one_line(settings, wav):
    class Broken:
        sample_rate = 16000

        def face(self, samples):
            if len(samples) != 32000:  # the warm-up call passes
                raise RuntimeError("weights went missing\nsecond line")
            return load(settings.model).avatar.face(samples)

    def broken(model: str) -> ServedModel:
        return replace(load(model), avatar=Broken())

    with live_server(settings, broken) as base:
        response = httpx.post(
            base + FACES, files={"audio": ("v.wav", wav.read_bytes(), "audio/wav")}
        )
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error (RuntimeError)"}


def test_a_model_that_does_not_load_is_one_line(tmp_path, wav, monkeypatch):
    from tests.conftest import run_cli

    # a store of its own, new: MLflow creates its tables as the command starts, and says so
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = run_cli("serve", "--model", "models:/no_such_model@champion", "--port", "1")
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "models:/no_such_model@champion" in result.output
    json.dumps(result.output)
