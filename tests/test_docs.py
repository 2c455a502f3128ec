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
    "params.yaml",
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


@pytest.mark.parametrize(
    "block, message",
    [
        ("nothing", "unknown figures block 'nothing' (known: dag, "),
        ("headline extra", "unknown figures block 'headline extra'"),
        ("options nosuch", "options of 'nosuch': no such command of speech2face"),
        ("params nosuch", "params.yaml has no top-level section 'nosuch'"),
    ],
)
def test_an_unknown_figures_block_is_a_one_line_error(tmp_path, block, message):
    (tmp_path / "params.yaml").write_text("tune:\n  seed: 6\n")
    text = f"<!-- figures: {block} -->\n<!-- /figures -->\n"
    with pytest.raises(InputError) as raised:
        render(text, tmp_path, "notes.md")
    assert str(raised.value).startswith(f"notes.md: {message}")
    assert "\n" not in str(raised.value)


def test_a_params_block_is_the_section_as_written(tmp_path):
    (tmp_path / "params.yaml").write_text(
        "a:\n  x: 1\n\nb:\n  # said of y\n  y: 2   # two\n\n# of c\nc:\n  z: 3\n"
    )
    text = "<!-- figures: params b -->\n<!-- /figures -->\n"
    rendered = render(text, tmp_path)
    assert "```yaml\nb:\n  # said of y\n  y: 2   # two\n```\n" in rendered


def test_a_changed_param_makes_the_docs_that_quote_it_stale(tmp_path):
    project = site_copy(tmp_path)
    corpus = (project / "docs" / "corpus.md").read_text()
    assert render(corpus, project) == corpus
    params = project / "params.yaml"
    # the first link_strength is the default corpus's (the bias pool has its own)
    params.write_text(
        params.read_text().replace("link_strength: 0.8\n", "link_strength: 0.55\n", 1)
    )
    assert "link_strength -->0.55<!-- /value -->" in render(corpus, project)


@pytest.mark.parametrize(
    "key, style, shown",
    [
        ("n", "", "600"),
        ("rate", "", "0.8"),
        ("rate", " .2f", "0.80"),
        ("split", " shares", "60/12/28%"),
        ("groups", " shares", "50/50%"),
        ("rate", " shares", "80%"),
        ("seconds", "", "3–6"),
        ("gain", "", "-6 to 6"),
        ("groups", "", "a 0.5, b 0.5"),
        ("deep.name", "", "flite"),
        ("kbps", "", "16, 24, 32, 48"),
    ],
)
def test_a_value_is_shown_as_prose_quotes_it(tmp_path, key, style, shown):
    (tmp_path / "p.yaml").write_text(
        "n: 600\nrate: 0.8\nsplit: [0.6, 0.12, 0.28]\ngroups: {a: 0.5, b: 0.5}\n"
        "seconds: [3, 6]\ngain: [-6.0, 6.0]\ndeep: {name: flite}\nkbps: [16, 24, 32, 48]\n"
    )
    text = f"<!-- value: p.yaml {key}{style} -->?<!-- /value -->"
    assert render(text, tmp_path) == text.replace("?", shown)


@pytest.mark.parametrize(
    "text, line, kind",
    [
        ("a\n<!-- value: params.yaml corpus.synthetic.n_speakers -->600\n", 2, "value"),
        ("<!-- value: params.yaml -->600<!-- /value -->\n", 1, "value"),
        ("x\ny\n<!-- figures: headline -->\nold table\n", 3, "figures"),
        (
            "<!-- figures: headline -->\n<!-- figures: overall -->\n<!-- /figures -->\n",
            1,
            "figures",
        ),
    ],
)
def test_a_malformed_or_unclosed_marker_is_a_one_line_error_naming_its_line(
    tmp_path, text, line, kind
):
    with pytest.raises(InputError) as raised:
        render(text, site_copy(tmp_path / "project"), "notes.md")
    assert str(raised.value).startswith(f"notes.md:{line}: <!-- {kind}: ... --> is malformed")


@pytest.mark.parametrize(
    "file, key, message",
    [
        (
            "params.yaml",
            "corpus.synthetic.no_such_key",
            "params.yaml: no 'corpus.synthetic.no_such_key'",
        ),
        ("../outside.yaml", "a", "'../outside.yaml': not a YAML or JSON file of the project"),
        ("README.md", "a", "'README.md': not a YAML or JSON file of the project"),
        ("reports/none.json", "a", "reports/none.json: no such file"),
        (
            "reports/broken.json",
            "a",
            "reports/broken.json: cannot read it: Expecting property name enclosed in double"
            " quotes: line 1 column 2 (char 1)",
        ),
        (
            "params.yaml",
            "corpus.synthetic.held_out_engine .3f",
            "params.yaml: cannot show corpus.synthetic.held_out_engine = 'flite' as '.3f'",
        ),
    ],
)
def test_a_value_that_cannot_be_read_is_a_one_line_error(tmp_path, file, key, message):
    project = site_copy(tmp_path / "project")
    (tmp_path / "outside.yaml").write_text("a: 1\n")
    (project / "reports" / "broken.json").write_text("{not json")
    text = f"Speakers: <!-- value: {file} {key} -->?<!-- /value -->\n"
    with pytest.raises(InputError) as raised:
        render(text, project, "notes.md")
    assert str(raised.value) == f"notes.md: value from {message}"


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


@pytest.mark.parametrize(
    "view, named", [("runs", "no experiment"), ("compare", "need two pipeline runs")]
)
def test_a_screenshot_of_a_store_without_runs_is_a_one_line_error(tmp_path, view, named):
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script = ROOT / "scripts" / "mlflow_ui_screenshot.py"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "--view",
            view,
            "--store",
            store,
            "--out",
            str(tmp_path / "a.png"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {named}") and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "a.png").exists()
