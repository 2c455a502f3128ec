"""Screenshot MLflow's UI for the docs: two pipeline runs compared, or the runs view with the
per-group columns added through its Columns picker.

Starts `mlflow ui` on the project's store at a free local port, opens the page in headless
Chromium and writes the PNG atomically; the server is stopped however this ends.

    .venv/bin/python scripts/mlflow_ui_screenshot.py [--view compare|runs] [--run ID --run ID]
        [--out PNG] [--store URI]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from speech2face.files import atomic_path
from speech2face.network import free_port
from speech2face.tracking import EXPERIMENT, KIND_TAG, real_root, runs_page, tracking_uri

# The browser reaches the server by this name, not localhost: on localhost the UI opens its
# Assistant panel over a quarter of the page. Chromium maps it to 127.0.0.1.
HOST = "mlflow-ui"
STARTUP_SECONDS = 180
RENDER_MILLISECONDS = 20_000
BROWSER_SECONDS = 300
# Fits the charts, run details, and the parameter and metric tables (each scrolls past 500 px).
WINDOW = "1600,2400"
# The runs view: the columns added, typed into the Columns picker's search as a reader would.
RUNS_COLUMNS = (
    "test/recall_at_5/gender/female",
    "test/recall_at_5/gender/male",
    "test/gender_agreement/gender/female",
    "test/gender_agreement/gender/male",
)
RUNS_WINDOW = {"width": 1600, "height": 640}  # the picker at the left, the metrics at the right
OUT = {"compare": "mlflow_compare.png", "runs": "mlflow_runs_per_group.png"}


class Failure(Exception):
    """A problem reported in one line, without a traceback (exit code 2)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--view",
        choices=sorted(OUT),
        default="compare",
        help="compare: two runs side by side; runs: the runs view with per-group columns",
    )
    parser.add_argument(
        "--run",
        action="append",
        metavar="RUN_ID",
        help="a run to compare (give two or more); default: the two latest pipeline runs",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the PNG (default: docs/mlflow_compare.png, or for the runs view "
        "docs/mlflow_runs_per_group.png)",
    )
    parser.add_argument("--store", help="tracking store URI (default: the project's store)")
    return parser.parse_args(argv)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise Failure("no chromium or chromium-browser on PATH: apt-get install chromium")
    return found


def _evaluated(run: Run) -> bool:
    return any(key.startswith("test/") for key in run.data.metrics)


def pick_runs(store: str, chosen: list[str] | None) -> list[Run]:
    """The runs asked for, else the latest two pipeline runs (evaluated first), oldest first."""
    client = MlflowClient(store)
    if chosen:
        if len(chosen) < 2:
            raise Failure("give --run at least twice: a comparison needs two runs")
        return [client.get_run(run_id) for run_id in chosen]
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = (
        []
        if experiment is None
        else client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.`{KIND_TAG}` = 'pipeline'",
            order_by=["attributes.start_time DESC"],
        )
    )
    if len(runs) < 2:
        raise Failure(
            f"need two pipeline runs in experiment {EXPERIMENT!r} of {store}, found {len(runs)}"
        )
    return sorted(runs, key=lambda run: not _evaluated(run))[:2][::-1]


def compare_url(base: str, runs: list[Run]) -> str:
    ids = [run.info.run_id for run in runs]
    experiments = sorted({run.info.experiment_id for run in runs})
    compact = {"separators": (",", ":")}
    return (
        f"{base}/#/compare-runs?runs={json.dumps(ids, **compact)}"
        f"&experiments={json.dumps(experiments, **compact)}"
    )


def _tail(log, lines: int = 20) -> str:
    log.seek(0)
    return "\n".join(log.read().decode(errors="replace").splitlines()[-lines:])


def wait_until_up(server: subprocess.Popen, port: int, log) -> None:
    """Poll the server's /health until it answers; fail if it exits or takes too long."""
    health = f"http://127.0.0.1:{port}/health"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise Failure(f"mlflow ui exited with code {server.returncode}:\n{_tail(log)}")
        with suppress(OSError), urllib.request.urlopen(health, timeout=5):
            return
        time.sleep(0.5)
    raise Failure(f"mlflow ui did not answer within {STARTUP_SECONDS} s:\n{_tail(log)}")


def stop(server: subprocess.Popen) -> None:
    """Stop the server and its workers (its own process group)."""
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextmanager
def mlflow_ui(store: str) -> Iterator[str]:
    """`mlflow ui` on `store` at a free local port; yields the base URL the browser should use."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", store]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--allowed-hosts", f"{HOST}:{port}", "--cors-allowed-origins", base]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_up(server, port, log)
            yield base
        finally:
            stop(server)


def screenshot(browser: str, url: str, out: Path) -> None:
    """Let the page render for a while in headless Chromium, then save what it shows."""
    with tempfile.TemporaryDirectory() as scratch:
        shot = Path(scratch) / "shot.png"  # Chromium picks the format by the file's suffix
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
            f"--window-size={WINDOW}",
            f"--virtual-time-budget={RENDER_MILLISECONDS}",
            f"--screenshot={shot}",
            url,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_SECONDS)
        except subprocess.TimeoutExpired:
            raise Failure(f"chromium took more than {BROWSER_SECONDS} s") from None
        if done.returncode != 0 or not shot.is_file() or shot.stat().st_size == 0:
            tail = "\n".join(done.stderr.splitlines()[-5:])
            raise Failure(f"chromium wrote no screenshot (exit {done.returncode}):\n{tail}")
        with atomic_path(out) as partial:
            shutil.copyfile(shot, partial)


def runs_view_screenshot(browser: str, url: str, out: Path) -> None:
    """The runs view in Chromium driven by Playwright: Columns, each of RUNS_COLUMNS found by
    typing it and ticked, the picker left open over the table that gained them."""
    from playwright.sync_api import Error, sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
    try:
        with sync_playwright() as playwright:
            chrome = playwright.chromium.launch(executable_path=browser, args=flags)
            page = chrome.new_page(viewport=RUNS_WINDOW)
            page.set_default_timeout(RENDER_MILLISECONDS * 3)
            page.goto(url)
            page.get_by_text(re.compile(r"^pipeline ")).first.wait_for()  # the runs are in
            page.get_by_role("button", name="Columns").click()
            search = page.get_by_placeholder("Search columns")
            for column in RUNS_COLUMNS:
                search.fill(column)
                page.get_by_text(column, exact=True).first.click()
            search.fill(RUNS_COLUMNS[0].rsplit("/", 1)[0])
            page.wait_for_timeout(1_000)
            shot = page.screenshot()
            chrome.close()
    except Error as error:
        raise Failure(f"the runs view: {str(error).splitlines()[0]}") from None
    with atomic_path(out) as partial:
        partial.write_bytes(shot)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.store:  # runs_page finds the experiment through the tracking URI
        os.environ["MLFLOW_TRACKING_URI"] = args.store
    store = tracking_uri()
    out = args.out or real_root() / "docs" / OUT[args.view]
    try:
        browser = chromium()
        runs = pick_runs(store, args.run) if args.view == "compare" else []
        if not runs and runs_page("") is None:
            raise Failure(f"no experiment {EXPERIMENT!r} in {store}: run `make repro` first")
        if runs:
            print("comparing runs", ", ".join(run.info.run_id for run in runs), flush=True)
        with mlflow_ui(store) as base:
            if runs:
                screenshot(browser, compare_url(base, runs), out)
            else:
                runs_view_screenshot(browser, runs_page(base), out)
    except (Failure, MlflowException) as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
