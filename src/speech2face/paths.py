"""Where the pipeline's data, models and reports live, relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path

ROOT_VARIABLE = "SPEECH2FACE_PROJECT"


def _is_project(folder: Path) -> bool:
    """A speech2face checkout: a DVC repository (`.dvc/`) with the pipeline's `dvc.yaml`."""
    return (folder / ".dvc").is_dir() and (folder / "dvc.yaml").is_file()


def project_candidates() -> list[Path]:
    """Where a command looks for its project, first match wins: the current folder and its
    parents, `$SPEECH2FACE_PROJECT`, DVC's `$DVC_ROOT`, then the checkout this package is
    installed from (an editable install), so commands work from any folder."""
    here = Path.cwd().resolve()
    candidates = [here, *here.parents]
    for variable in (ROOT_VARIABLE, "DVC_ROOT"):
        if os.environ.get(variable):
            candidates.append(Path(os.environ[variable]))
    candidates.append(Path(__file__).resolve().parents[2])
    return [c.resolve() for c in candidates]


def project_root() -> Path:
    """The project a command runs in (see `project_candidates`); the current folder if none.

    DVC runs each stage in the root of the copy it reproduces (a temporary one under
    `.dvc/tmp/exps/` for queued and `--temp` experiments, a full checkout with its own
    `.dvc/`), so that copy is found first. A sub-folder with a `dvc.yaml` of its own (like
    `tuning/`) is not a project: the search goes on to the repository's root.
    """
    for folder in project_candidates():
        if _is_project(folder):
            return folder
    return Path.cwd().resolve()


ROOT = project_root()
PARAMS = ROOT / "params.yaml"
RAW = ROOT / "data" / "raw"
FEATURES = ROOT / "data" / "features"
REPORTS = ROOT / "reports"
DOCS = ROOT / "docs"
EMBEDDINGS = ROOT / "data" / "embeddings"
DESCRIPTORS = ROOT / "data" / "face_descriptors"
MODELS = ROOT / "models"
METRICS = REPORTS / "metrics"
