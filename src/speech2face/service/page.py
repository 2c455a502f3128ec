"""The page at `/`: record or upload a voice, see the face, the readings and what they are."""

from __future__ import annotations

import html
import json
from importlib.resources import files
from string import Template

from speech2face.service.settings import Settings


def render_page(version: str, settings: Settings) -> str:
    template = Template(files("speech2face.service").joinpath("page.html").read_text())
    return template.substitute(
        version=html.escape(version),
        evaluation=_evaluation_lines(settings),
        max_seconds=f"{settings.max_seconds:g}",
        min_seconds=f"{settings.min_seconds:g}",
        max_megabytes=f"{settings.max_upload_bytes / 2**20:g}",
    )


def _evaluation_lines(settings: Settings) -> str:
    """What the evaluation measured of these models, from reports/metrics.json, as list items."""
    try:
        summary = json.loads((settings.reports / "metrics.json").read_text())
        clean = summary["conditions"]["in_distribution"]
    except (OSError, ValueError, KeyError):
        return "<li>No evaluation report was found beside this service.</li>"
    lines = [
        f"On {summary['test_speakers']} held-out test speakers, the gender read on the face "
        f"from the voice agreed with the true face's {clean['gender_agreement_female']:.0%} of "
        f"the time for women and {clean['gender_agreement_male']:.0%} for men.",
        f"The true speaker's face was among the 5 nearest of {summary['test_speakers']} "
        f"{summary['recall_at_5']:.0%} of the time (chance: {summary['recall_at_5_chance']:.0%}).",
    ]
    return "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
