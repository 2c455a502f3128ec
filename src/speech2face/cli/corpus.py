"""The corpus commands: the `corpus` stage, and `generate` and `ingest <source>` run directly."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from speech2face import paths
from speech2face.cli.app import (
    ParamsFile,
    Workers,
    app,
    console,
    path_option,
    user_errors,
    workers_count,
)

OutDir = Annotated[
    Path, path_option("--out", "The corpus folder to write (replaced atomically).", "data/raw")
]
ReportsDir = Annotated[
    Path, path_option("--reports", "Where ingest.md, the rejects and sheets go.", "reports")
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        envvar="SPEECH2FACE_SCHEDULER",
        help="Process a real source's files on a Dask cluster: local (one of --workers "
        "processes here) or tcp://HOST:PORT of a running `dask scheduler`, whose workers see "
        "the source and the corpus folder at the same paths.",
    ),
]
ingest_app = typer.Typer(
    help="Turn real talking-face data into a corpus (settings: params.yaml's corpus.ingest).",
    no_args_is_help=True,
)
app.add_typer(ingest_app, name="ingest")


def _corpus_params(params_file: Path):
    from speech2face.params import CorpusParams, load_section

    return load_section(CorpusParams, "corpus", params_file)


def _build(params, out: Path, reports: Path, workers: int, scheduler: str | None) -> None:
    from speech2face.ingest.sources import build_corpus

    manifest, summary = build_corpus(params, out, reports, workers_count(workers), scheduler)
    speakers = manifest.speaker_id.nunique()
    console.print(f"wrote {len(manifest)} clips of {speakers} speakers to {out}")
    if params.source != "synthetic":
        for note in summary["notes"]:
            console.print(note, soft_wrap=True)
        if summary["resumed"]:
            done = f"{summary['resumed']} of {summary['files']} files"
            console.print(f"reused the shards of {done}, done by an earlier run")
        console.print(f"see {reports / 'ingest.md'} and {reports / 'ingest_rejects.csv'}")


@app.command("corpus")
@user_errors
def corpus_command(
    params_file: ParamsFile = paths.PARAMS,
    out: OutDir = paths.RAW,
    reports: ReportsDir = paths.REPORTS,
    workers: Workers = 0,
    scheduler: Scheduler = None,
) -> None:
    """The first stage: the corpus params.yaml's corpus.source names (synthetic by default)."""
    _build(_corpus_params(params_file), out, reports, workers, scheduler)


@app.command("generate")
@user_errors
def generate_command(
    params_file: ParamsFile = paths.PARAMS, out: OutDir = paths.RAW, workers: Workers = 0
) -> None:
    """Generate the embedded synthetic corpus (Praat, Festival and Flite voices, rendered faces)."""
    from speech2face.corpus.generate import generate

    manifest = generate(_corpus_params(params_file).synthetic, out, workers_count(workers))
    speakers = manifest.speaker_id.nunique()
    console.print(f"wrote {len(manifest)} clips of {speakers} speakers to {out}")


@app.command("corpus_sheet")
@user_errors
def corpus_sheet_command(
    params_file: ParamsFile = paths.PARAMS,
    out: Annotated[
        Path, path_option("--out", "The PNG to write.", "docs/corpus_sheet.png", "PNG")
    ] = paths.DOCS / "corpus_sheet.png",
    count: Annotated[int, typer.Option(metavar="N", help="How many speakers.")] = 64,
    seed: Annotated[int, typer.Option(metavar="N", help="Which speakers.")] = 0,
) -> None:
    """Draw a contact sheet of random speakers of the synthetic corpus."""
    from speech2face.corpus.generate import population
    from speech2face.corpus.sheet import contact_sheet

    params = _corpus_params(params_file).synthetic
    contact_sheet(population(params), out, count, seed, params.image_size)
    console.print(f"wrote {out}")


def _absolute(path: Path | None) -> str | None:
    return str(path.absolute()) if path else None


Source = Annotated[Path, typer.Argument(metavar="FOLDER", help="The source's folder.")]


def _ingest(
    source: str, root: Path, params_file: Path, changes: dict, out, reports, workers, scheduler
):
    """Ingest `root` as `source`, with `changes` to the params' adapter section (paths given
    on the command line are relative to the current folder, not to `root`)."""
    params = _corpus_params(params_file)
    section = dataclasses.replace(
        getattr(params, source), **{k: v for k, v in changes.items() if v is not None}
    )
    params = dataclasses.replace(params, source=source, input=str(root), **{source: section})
    _build(params, out, reports, workers, scheduler)


@ingest_app.command("videos")
@user_errors
def ingest_videos(
    root: Source,
    labels: Annotated[
        Path | None, typer.Option(metavar="CSV", help="Labels by file or speaker.")
    ] = None,
    speaker_from_folder: Annotated[
        bool | None,
        typer.Option("--speaker-from-folder", help="Speaker = sub-folder when labels do not say."),
    ] = None,
    params_file: ParamsFile = paths.PARAMS,
    out: OutDir = paths.RAW,
    reports: ReportsDir = paths.REPORTS,
    workers: Workers = 0,
    scheduler: Scheduler = None,
) -> None:
    """A folder of videos (mp4, mkv, webm, mov, avi, m4v; searched recursively)."""
    changes = {"labels": _absolute(labels), "speaker_from_folder": speaker_from_folder}
    _ingest("videos", root, params_file, changes, out, reports, workers, scheduler)


@ingest_app.command("avspeech")
@user_errors
def ingest_avspeech(
    root: Source,
    csv: Annotated[
        list[Path] | None,
        typer.Option(metavar="CSV", help="An official CSV (repeat; 'test' in a name: test)."),
    ] = None,
    clips: Annotated[
        Path | None, typer.Option(metavar="DIR", help="The downloaded clips or videos.")
    ] = None,
    params_file: ParamsFile = paths.PARAMS,
    out: OutDir = paths.RAW,
    reports: ReportsDir = paths.REPORTS,
    workers: Workers = 0,
    scheduler: Scheduler = None,
) -> None:
    """AVSpeech: the official CSVs and downloaded clips (any common naming)."""
    changes = {"csv": csv and tuple(map(_absolute, csv)), "clips": _absolute(clips)}
    _ingest("avspeech", root, params_file, changes, out, reports, workers, scheduler)


@ingest_app.command("voxceleb1")
@user_errors
def ingest_voxceleb1(
    root: Source,
    meta: Annotated[Path | None, typer.Option(metavar="FILE", help="vox1_meta.csv.")] = None,
    faces: Annotated[
        Path | None, typer.Option(metavar="DIR", help="The interval-faces tree.")
    ] = None,
    photos: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Identity photos <VGGFace1 ID>/*.jpg.")
    ] = None,
    params_file: ParamsFile = paths.PARAMS,
    out: OutDir = paths.RAW,
    reports: ReportsDir = paths.REPORTS,
    workers: Workers = 0,
    scheduler: Scheduler = None,
) -> None:
    """VoxCeleb1: the wav tree, vox1_meta.csv, and face frames or photos."""
    changes = {"meta": _absolute(meta), "faces": _absolute(faces), "photos": _absolute(photos)}
    _ingest("voxceleb1", root, params_file, changes, out, reports, workers, scheduler)


@ingest_app.command("voxceleb2")
@user_errors
def ingest_voxceleb2(
    root: Source,
    meta: Annotated[Path | None, typer.Option(metavar="FILE", help="vox2_meta.csv.")] = None,
    params_file: ParamsFile = paths.PARAMS,
    out: OutDir = paths.RAW,
    reports: ReportsDir = paths.REPORTS,
    workers: Workers = 0,
    scheduler: Scheduler = None,
) -> None:
    """VoxCeleb2: the aac (m4a) and mp4 trees and vox2_meta.csv."""
    changes = {"meta": _absolute(meta)}
    _ingest("voxceleb2", root, params_file, changes, out, reports, workers, scheduler)
