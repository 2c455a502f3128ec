"""Screenshots of the avatar page for the docs: a face from an uploaded voice, from a voice
recorded through Chromium's fake microphone, and an error.

Serves the project's model (the registered champion by default) on a free loopback port,
drives Debian's Chromium with Playwright, and writes docs/avatar_{upload,record,error}.png
atomically. The voices are two test speakers' clips of the corpus (a woman's and a man's),
whom no network saw in training.

    .venv/bin/python scripts/avatar_screenshots.py [--model URI|DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import soundfile
import soxr
import uvicorn
from playwright.sync_api import expect, sync_playwright

from speech2face import paths
from speech2face.files import atomic_path
from speech2face.network import free_port
from speech2face.service.app import create_app
from speech2face.service.loading import load
from speech2face.service.settings import DEFAULT_MODEL, Settings

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def test_clip(gender: str) -> Path:
    """The first test clip of a speaker of `gender` in the corpus."""
    manifest = pd.read_csv(paths.RAW / "manifest.csv")
    rows = manifest[(manifest.split == "test") & (manifest.gender == gender)]
    return paths.RAW / rows.iloc[0].audio_path


def at_48k(clip: Path, folder: Path) -> Path:
    """The clip at 48 kHz, the rate Chromium's fake microphone plays a file at."""
    samples, rate = soundfile.read(clip, dtype="float32")
    out = folder / "microphone.wav"
    soundfile.write(out, soxr.resample(samples, rate, 48000), 48000)
    return out


def serve(settings: Settings) -> tuple[uvicorn.Server, str]:
    port = free_port()
    served = load(settings.model)
    config = uvicorn.Config(
        create_app(settings, lambda _: served), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    return server, f"http://127.0.0.1:{port}"


def shoot(page, out: Path) -> None:
    with atomic_path(out) as temporary:
        page.screenshot(path=str(temporary), full_page=True, type="png")
    print(f"wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--out", type=Path, default=paths.DOCS)
    arguments = parser.parse_args()
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        print("no chromium on PATH: `make system-packages` installs Debian's", file=sys.stderr)
        return 2
    server, base = serve(Settings(model=arguments.model))
    try:
        with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
            microphone = at_48k(test_clip("male"), Path(folder))
            flags = [*FLAGS, *MICROPHONE, f"--use-file-for-fake-audio-capture={microphone}"]
            browser = playwright.chromium.launch(
                executable_path=browser_path, headless=True, args=flags
            )
            context = browser.new_context(viewport={"width": 900, "height": 900})
            context.grant_permissions(["microphone"], origin=base)
            page = context.new_page()
            page.goto(base + "/")
            page.set_input_files("#file", str(test_clip("female")))
            page.click("#upload")
            expect(page.locator("#face")).to_be_visible(timeout=30_000)
            shoot(page, arguments.out / "avatar_upload.png")
            page.goto(base + "/")
            page.click("#record")
            page.wait_for_timeout(4000)
            page.click("#record")
            expect(page.locator("#face")).to_be_visible(timeout=30_000)
            shoot(page, arguments.out / "avatar_record.png")
            page.goto(base + "/")
            notes = Path(folder) / "notes.wav"
            notes.write_bytes(b"not a recording " * 64)
            page.set_input_files("#file", str(notes))
            page.click("#upload")
            expect(page.locator("#error")).not_to_be_empty(timeout=30_000)
            shoot(page, arguments.out / "avatar_error.png")
            browser.close()
    finally:
        server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
