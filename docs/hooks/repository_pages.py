"""MkDocs hook: the README and the repository's own Markdown outside docs/ join the site.

The README is the site's home page (`index.md`). The docs link to `../benchmarks/README.md`,
`../reports/findings/…`, `../CHANGELOG.md` as a reader on the forge follows them. This hook
adds those files (and the figures they show) to the site under `repository/`, and rewrites
each page's links that leave docs/ to them, so `mkdocs build --strict` checks those links and
anchors like any other.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

PREFIX = "repository"
HOME = "index.md"  # the README
# what joins the site, relative to the repository root
INCLUDED = ("CHANGELOG.md", "benchmarks/README.md", "reports/**/*.md", "reports/**/*.png")
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\))")


def _repository(config) -> Path:
    return Path(config["docs_dir"]).resolve().parent


def on_files(files: Files, config) -> Files:
    root = _repository(config)
    files.append(File.generated(config, HOME, abs_src_path=str(root / "README.md")))
    for pattern in INCLUDED:
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            files.append(File.generated(config, f"{PREFIX}/{relative}", abs_src_path=str(path)))
    return files


def _repository_path(src_uri: str) -> str:
    """Where a site file lives in the repository."""
    if src_uri == HOME:
        return "README.md"
    if src_uri.startswith(PREFIX + "/"):
        return src_uri[len(PREFIX) + 1 :]
    return f"docs/{src_uri}"


def _site_path(repository_path: str) -> str:
    if repository_path == "README.md":
        return HOME
    if repository_path.startswith("docs/"):
        return repository_path[len("docs/") :]
    return f"{PREFIX}/{repository_path}"


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    """Links written from the page's place in the repository, made relative in the site."""
    here = posixpath.dirname(_repository_path(page.file.src_uri))
    site_here = posixpath.dirname(page.file.src_uri)

    def relink(match: re.Match) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        in_repository = posixpath.normpath(posixpath.join(here, target))
        if in_repository.startswith("../"):
            return match.group(0)  # outside the repository: left for MkDocs to report
        site_target = _site_path(in_repository)
        relative = posixpath.relpath(site_target, site_here or ".")
        return f"{match.group(1)}{relative}{match.group(3) or ''}{match.group(4)}"

    return LINK.sub(relink, markdown)
