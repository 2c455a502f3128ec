"""Where the pipeline's data, models and reports live, relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The DVC project a command runs in: the nearest folder with dvc.yaml, from the cwd.

    DVC runs each stage in the root of the copy it reproduces (a temporary one under
    `.dvc/tmp/exps/` for queued and `--temp` experiments), so the cwd comes first; `DVC_ROOT`
    is the fallback.
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").exists():
            return folder
    return Path(os.environ.get("DVC_ROOT", here)).resolve()


ROOT = project_root()
PARAMS = ROOT / "params.yaml"
RAW = ROOT / "data" / "raw"
FEATURES = ROOT / "data" / "features"
REPORTS = ROOT / "reports"
DOCS = ROOT / "docs"
EMBEDDINGS = ROOT / "data" / "embeddings"
MODELS = ROOT / "models"
METRICS = REPORTS / "metrics"
