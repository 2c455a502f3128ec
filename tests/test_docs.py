"""The README and the docs site: a landing page, a strict build, no figure copied by hand."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from speech2face.docs_figures import render, stale
from speech2face.errors import InputError
from speech2face.paths import ROOT
from tests.conftest import run_cli

# what the docs site is built from (mkdocs.yml, and the hook's repository pages)
SITE_SOURCES = (
    "mkdocs.yml",
    "README.md",
    "CHANGELOG.md",
    "Makefile",
    "docs",
    "benchmarks",
    "reports",
)


def site_copy(folder: Path) -> Path:
    """The files the docs site is built from, copied into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SITE_SOURCES:
        source, target = ROOT / name, folder / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return folder


def build(project: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=project,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
        check=False,
    )


def test_the_readme_is_a_landing_page():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 15_000
    head = text.splitlines()[:60]
    prerequisites = head.index("## Prerequisites")
    first_command = next(i for i, line in enumerate(head) if line.startswith("make repro"))
    assert prerequisites < first_command
    # one click from the README to each task's page
    for page in ("pipeline", "experiments", "tuning", "your-data", "avatar", "deploy"):
        assert f"](docs/{page}.md)" in text, page


def test_every_figure_the_docs_quote_is_what_the_reports_give():
    assert stale(ROOT) == [], "run `speech2face docs` to render them from reports/"
    assert run_cli("docs", "--check").exit_code == 0


def test_a_changed_report_makes_the_readme_stale(tmp_path):
    project = site_copy(tmp_path)
    readme = (project / "README.md").read_text()
    before = render(readme, project)
    summary_file = project / "reports" / "metrics.json"
    summary = json.loads(summary_file.read_text())
    summary["recall_at_5"] = 0.5
    summary_file.write_text(json.dumps(summary))
    after = render(readme, project)
    assert after != before
    assert re.search(r"\| recall@5[^|]*\| 0\.500 \|", after)


def test_an_unknown_figures_block_is_a_one_line_error(tmp_path):
    text = "<!-- figures: nothing -->\n<!-- /figures -->\n"
    with pytest.raises(InputError, match=r"^notes\.md: unknown figures block 'nothing'"):
        render(text, tmp_path, "notes.md")


def test_the_docs_site_builds_strictly(tmp_path):
    built = build(ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    # the repository's pages outside docs/ joined the site, their links checked too
    assert (tmp_path / "site" / "repository" / "benchmarks" / "index.html").is_file()
    assert "mermaid" in (tmp_path / "site" / "pipeline" / "index.html").read_text()


@pytest.mark.parametrize(
    "link, named",
    [
        ("[a](missing.md)", "missing.md"),
        ("[a](evaluation.md#no-such-heading)", "#no-such-heading"),
        ("[a](../benchmarks/README.md#no-such-heading)", "#no-such-heading"),
    ],
)
def test_a_broken_link_fails_the_build(tmp_path, link, named):
    project = site_copy(tmp_path / "project")
    with (project / "docs" / "tuning.md").open("a") as page:
        page.write(f"\n{link}\n")
    built = build(project, tmp_path / "site")
    assert built.returncode != 0
    assert "tuning.md" in built.stderr and named in built.stderr, built.stderr


def test_a_page_left_out_of_the_nav_fails_the_build(tmp_path):
    project = site_copy(tmp_path / "project")
    (project / "docs" / "orphan.md").write_text("# Orphan\n")
    built = build(project, tmp_path / "site")
    assert built.returncode != 0 and "orphan.md" in built.stderr, built.stderr
