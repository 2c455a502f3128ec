"""The page in a real headless Chromium (Debian's, driven by Playwright): upload a WAV, record
through a fake microphone fed a voice file, and an error path; each leaves a screenshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.audio_files import voice, write_wav
from tests.service.conftest import live_server

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no chromium on PATH: `make system-packages` installs Debian's"
    return found


@pytest.fixture(scope="module")
def base(settings):
    with live_server(settings) as url:
        yield url


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> Path:
    """The voice the fake microphone plays (48 kHz, as Chromium captures)."""
    return write_wav(tmp_path_factory.mktemp("mic") / "voice.wav", voice(4.0, 48000), 48000)


@pytest.fixture(scope="module")
def browser(spoken):
    with sync_playwright() as playwright:
        arguments = [*FLAGS, *FAKE_MICROPHONE, f"--use-file-for-fake-audio-capture={spoken}"]
        launched = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=arguments
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, base):
    context = browser.new_context(viewport={"width": 900, "height": 1000})
    context.grant_permissions(["microphone"], origin=base)
    opened = context.new_page()
    opened.goto(base + "/")
    yield opened
    context.close()


def expect_a_face(page) -> None:
    expect(page.locator("#face")).to_be_visible(timeout=30_000)
    assert page.locator("#face").get_attribute("src").startswith("data:image/png;base64,")
    width = page.evaluate("document.getElementById('face').naturalWidth")
    assert width == 256
    expect(page.locator("#attributes")).to_contain_text("gender")
    expect(page.locator("#error")).to_be_empty()


def test_an_uploaded_wav_renders_a_face(page, spoken, tmp_path):
    page.set_input_files("#file", str(spoken))
    page.click("#upload")
    expect_a_face(page)
    expect(page.locator("#timing")).to_contain_text("4.0 s of audio")
    page.screenshot(path=tmp_path / "upload.png", full_page=True)


def test_a_recorded_voice_renders_a_face(page, tmp_path):
    page.click("#record")
    expect(page.locator("#record")).to_have_text("Stop")
    page.wait_for_timeout(2500)
    page.click("#record")
    expect_a_face(page)
    seconds = float(page.locator("#timing").inner_text().split(" s of audio")[0])
    assert 1.5 <= seconds <= 4.0  # the fake microphone's voice, as recorded (WebM/Opus)
    page.screenshot(path=tmp_path / "record.png", full_page=True)


def test_a_file_that_is_no_audio_shows_the_service_s_message(page, tmp_path):
    fake = tmp_path / "notes.wav"
    fake.write_bytes(b"these are notes, not a recording" * 20)
    page.set_input_files("#file", str(fake))
    page.click("#upload")
    expect(page.locator("#error")).to_contain_text("the upload: cannot read audio")
    expect(page.locator("#face")).to_be_hidden()
    page.screenshot(path=tmp_path / "error.png", full_page=True)
