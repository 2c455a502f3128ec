"""`speech2face study <name>`: a bias study's points run as DVC experiments, one at a time.

Every point is `dvc exp run` of the `bias_point` stage with its values set by `-S`, in the
workspace (params.yaml is given back as it was afterwards), named by its values: the same
values are the same experiment, whichever study asks for it, and a study run again on the same
commit finds its finished points (refs/exps) and runs only the others. Each point's MLflow
run is a child of the study's run. The pool stages are run first; the pipeline's face models
are used as the workspace has them (run `dvc repro` first if they are out of date).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from speech2face.bias.params import BiasStudyParams
from speech2face.bias.point import CLIPS_NAME, PARENT_RUN_VARIABLE, STUDY_TAG
from speech2face.errors import InputError
from speech2face.tracking import KIND_TAG, client, new_run, project_runs

PIPELINE = "bias/dvc.yaml"
POOL_STAGES = ("bias_pool", "bias_features", "bias_embeddings")
POINT_REPORTS = "reports/bias/point"
BASELINE_TAG = "speech2face.baseline"
ACCENT, ACCENT_REPORTS = "accent", "reports/bias/accent"
ACCENT_STAGES = ("bias_pool", "bias_accents", "bias_accent_features", "bias_accent")
NATURAL = "natural"


@dataclass(frozen=True)
class Point:
    """One experiment: its `bias_point` values, and the arms of the study it stands in."""

    group: str
    share: float
    train_speakers: int
    seed: int
    sampler: str  # NATURAL, or the attribute balanced over
    max_epochs: int
    arms: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        share = f"{self.share:g}x{self.train_speakers}"
        return f"bias-{self.group}-{share}-{self.sampler}-e{self.max_epochs}-seed{self.seed}"

    def settings(self) -> list[str]:
        """`-S` arguments of `dvc exp run`."""
        values = {
            "group": self.group,
            "share": repr(float(self.share)),
            "train_speakers": str(self.train_speakers),
            "seed": str(self.seed),
            "balance_by": "null" if self.sampler == NATURAL else self.sampler,
            "max_epochs": str(self.max_epochs),
        }
        return [f"bias_point.{key}={value}" for key, value in values.items()]


def _merged(points: list[Point]) -> list[Point]:
    """Equal points once, standing in every arm that asked for them, in first-asked order."""
    arms: dict[Point, list[str]] = {}
    for point in points:
        arms.setdefault(point, []).extend(a for a in point.arms if a not in arms.get(point, []))
    return [Point(**{**vars(p), "arms": tuple(a)}) for p, a in arms.items()]


def share_points(study: BiasStudyParams) -> list[Point]:
    """Arm "share": the group's share at a fixed total; arm "count": the group's count fixed,
    the total grown to give the share (shares above 0 only)."""
    points = []
    for share in study.shares:
        for seed in study.seeds:
            base = (study.group, share)
            points.append(
                Point(*base, study.train_speakers, seed, NATURAL, study.max_epochs, ("share",))
            )
            if share > 0:
                total = int(round(study.group_speakers / share))
                points.append(Point(*base, total, seed, NATURAL, study.max_epochs, ("count",)))
    return _merged(points)


def mitigation_points(study: BiasStudyParams) -> list[Point]:
    """Each sampler at the group's `mitigation_share` of `train_speakers`, same draws."""
    return _merged(
        [
            Point(
                study.group,
                study.mitigation_share,
                study.train_speakers,
                seed,
                sampler,
                study.max_epochs,
                (sampler,),
            )
            for sampler in study.mitigation_samplers
            for seed in study.seeds
        ]
    )


STUDIES = {"share": share_points, "mitigation": mitigation_points}


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise InputError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def finished(root: Path, baseline: str) -> dict[str, str]:
    """The experiments of commit `baseline`: name -> ref."""
    prefix = f"refs/exps/{baseline[:2]}/{baseline[2:]}/"
    refs = _git(root, "for-each-ref", "--format=%(refname)", prefix).split()
    return {ref.removeprefix(prefix): ref for ref in refs}


def _dvc(root: Path, args: list[str], env: dict | None = None) -> None:
    """Run dvc (the one beside this Python) in `root`, its output shown; fail in one line."""
    program = Path(sys.executable).with_name("dvc")
    command = [str(program if program.exists() else "dvc"), *args]
    done = subprocess.run(command, cwd=root, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise InputError(f"`dvc {' '.join(args)}` failed (exit {done.returncode}); see above")


def study_run(name: str, baseline: str, params_file: Path) -> str:
    """The study's MLflow run for this commit: found again when the study resumes."""
    found = project_runs(
        f"tags.`{STUDY_TAG}` = '{name}' and tags.`{BASELINE_TAG}` = '{baseline}'"
        f" and tags.`{KIND_TAG}` = 'bias_study'",
        1,
    )
    if found:
        return found[0].info.run_id
    tags = {KIND_TAG: "bias_study", STUDY_TAG: name, BASELINE_TAG: baseline}
    return new_run(f"study {name} ({baseline[:7]})", tags, params_file)


def run_points(
    name: str, points: list[Point], root: Path, params_file: Path, console
) -> tuple[str, str]:
    """Run the points not yet finished on this commit; returns (baseline, study run id)."""
    baseline = _git(root, "rev-parse", "HEAD").strip()
    for stage in POOL_STAGES:
        _dvc(root, ["repro", "--single-item", f"{PIPELINE}:{stage}"])
    run_id = study_run(name, baseline, params_file)
    done = finished(root, baseline)
    original = params_file.read_bytes()
    try:
        for number, point in enumerate(points, 1):
            shown = f"[{number}/{len(points)}] {point.name} ({', '.join(point.arms)})"
            if point.name in done:
                console.print(f"{shown}: finished before, kept")
                continue
            console.print(f"{shown}: running")
            started = time.monotonic()
            settings = [word for s in point.settings() for word in ("-S", s)]
            _dvc(
                root,
                [
                    "exp",
                    "run",
                    "--single-item",
                    "-n",
                    point.name,
                    *settings,
                    f"{PIPELINE}:bias_point",
                ],
                {PARENT_RUN_VARIABLE: run_id},
            )
            console.print(f"{shown}: done in {time.monotonic() - started:.0f} s")
    finally:
        params_file.write_bytes(original)
    return baseline, run_id


def run_accent(root: Path, params_file: Path) -> str:
    """`dvc repro` of the accent study's stages, each on its own (the pipeline's models as the
    workspace has them); the measure's MLflow run, when it reruns, is a child of the study's.
    Returns the study's run id."""
    baseline = _git(root, "rev-parse", "HEAD").strip()
    run_id = study_run(ACCENT, baseline, params_file)
    for stage in ACCENT_STAGES:
        target = ["repro", "--single-item", f"{PIPELINE}:{stage}"]
        _dvc(root, target, {PARENT_RUN_VARIABLE: run_id})
    return run_id


def accent_reports(root: Path) -> list[Path]:
    """The accent study's report files, as its stage wrote them."""
    return sorted(path for path in (root / ACCENT_REPORTS).iterdir() if path.is_file())


def point_clips(root: Path, baseline: str, points: list[Point]) -> pd.DataFrame:
    """Every point's clip table (from its experiment's commit), with the point's values."""
    refs = finished(root, baseline)
    frames = []
    for point in points:
        if point.name not in refs:
            raise InputError(f"experiment {point.name} of {baseline[:7]} is missing")
        text = _git(root, "show", f"{refs[point.name]}:{POINT_REPORTS}/{CLIPS_NAME}")
        frame = pd.read_csv(io.StringIO(text))
        for key in ("group", "share", "train_speakers", "seed", "sampler"):
            frame[f"point_{key}"] = getattr(point, key)
        frame["point_name"] = point.name
        frame["point_arms"] = " ".join(point.arms)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def points_minutes(run_id: str) -> float:
    """The summed wall time of the study's finished point runs (every invocation's), minutes."""
    tracking = client()
    runs = tracking.search_runs(
        [tracking.get_run(run_id).info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{run_id}'",
    )
    return sum((r.info.end_time - r.info.start_time) / 60000 for r in runs if r.info.end_time)
