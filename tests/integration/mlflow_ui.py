"""The MLflow UI in a real headless Chromium: the project's runs view, its pipeline run and
the per-group metric columns `evaluate` logged, found by their prefix in the Columns picker."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from speech2face.network import free_port

PER_GROUP = "test/recall_at_5/gender/female"  # a per-group column every evaluation logs


def assert_runs_view_shows_per_group_columns(url: str, run_name: str, screenshot: Path) -> None:
    """The runs view at `url` lists the run `run_name`; its Columns picker finds PER_GROUP."""
    from playwright.sync_api import expect, sync_playwright

    from tests.service.test_browser import FLAGS, chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        expect(page.get_by_text(run_name).first).to_be_visible(timeout=90_000)
        page.get_by_role("button", name="Columns").click()
        page.get_by_placeholder("Search columns").fill(PER_GROUP.rsplit("/", 1)[0])
        expect(page.get_by_text(PER_GROUP, exact=True)).to_be_visible(timeout=30_000)
        page.screenshot(path=screenshot)
        browser.close()


@contextmanager
def local_ui(project: Path, env: dict) -> Iterator[str]:
    """`speech2face ui` in `project` (as `make ui` runs it); yields the runs view it prints,
    and checks that Ctrl-C stops it."""
    program = str(Path(sys.executable).with_name("speech2face"))
    command = [program, "ui", "--port", str(free_port())]
    process = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        printed = []
        deadline = time.monotonic() + 120
        while not any("the project's runs: " in line for line in printed):
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(printed)
            assert time.monotonic() < deadline, "".join(printed)
            printed.append(line)
        yield printed[-1].split("the project's runs: ", 1)[1].strip()
    finally:
        process.send_signal(subprocess.signal.SIGINT)
        assert process.wait(timeout=60) == 0, process.stdout.read()
