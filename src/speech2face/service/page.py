"""The page at `/`: record or upload a voice, see the face, the readings and what they are."""

from __future__ import annotations

import html
import json
from importlib.resources import files
from string import Template

from speech2face.service.settings import Settings


def render_page(version: str, identity: str, settings: Settings) -> str:
    """The page for the served model (`identity`: its models' SHA-256)."""
    template = Template(files("speech2face.service").joinpath("page.html").read_text())
    return template.substitute(
        version=html.escape(version),
        evaluation=_evaluation_lines(settings, identity),
        max_seconds=f"{settings.max_seconds:g}",
        min_seconds=f"{settings.min_seconds:g}",
        max_megabytes=f"{settings.max_upload_bytes / 2**20:g}",
    )


def _evaluation_lines(settings: Settings, identity: str) -> str:
    """What the evaluation measured of these models (reports/metrics.json), as list items; only
    when reports/register.json says the evaluated models are the served ones."""
    try:
        registered = json.loads((settings.reports / "register.json").read_text())
        summary = json.loads((settings.reports / "metrics.json").read_text())
        clean = summary["conditions"]["in_distribution"]
    except (OSError, ValueError, KeyError):
        registered = None
    if registered is None or registered.get("models_sha256") != identity:
        return (
            f"<li>The evaluation in {html.escape(str(settings.reports))} is not of the models "
            "served here (or is missing): their figures are not known to this page.</li>"
        )
    lines = [
        f"On {summary['test_speakers']} held-out test speakers, the gender read on the face "
        f"from the voice agreed with the true face's {clean['gender_agreement_female']:.0%} of "
        f"the time for women and {clean['gender_agreement_male']:.0%} for men.",
        f"Asked to pick the speaker's face among all {summary['test_speakers']}, its 5 best "
        f"guesses held the right face for {summary['recall_at_5']:.0%} of the recordings "
        f"(chance: {summary['recall_at_5_chance']:.0%}).",
    ]
    return "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
