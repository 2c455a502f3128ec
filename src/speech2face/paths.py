"""Where the pipeline's data, models and reports live, relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The DVC project root: `DVC_ROOT` under `dvc repro`, else the nearest folder with dvc.yaml."""
    if os.environ.get("DVC_ROOT"):
        return Path(os.environ["DVC_ROOT"]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").exists():
            return folder
    return here


ROOT = project_root()
PARAMS = ROOT / "params.yaml"
RAW = ROOT / "data" / "raw"
FEATURES = ROOT / "data" / "features"
REPORTS = ROOT / "reports"
DOCS = ROOT / "docs"
EMBEDDINGS = ROOT / "data" / "embeddings"
MODELS = ROOT / "models"
METRICS = REPORTS / "metrics"
