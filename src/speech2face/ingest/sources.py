"""Stage `corpus`: the embedded synthetic corpus, or a real source read by its adapter, written
in the manifest contract with its ingest report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from speech2face.errors import InputError
from speech2face.ingest.adapters import located
from speech2face.ingest.items import SourceRead
from speech2face.params import CorpusParams, ParamsError

SOURCES = ("synthetic", "videos", "avspeech", "voxceleb1", "voxceleb2")
DESCRIPTIONS = {
    "synthetic": "The embedded simulated corpus, generated (nothing read from outside).",
    "videos": "Talking-face videos from a folder; labels from a labels CSV where given.",
    "avspeech": "AVSpeech clips; no identities or demographics (speaker = video).",
    "voxceleb1": "VoxCeleb1 utterances with face frames; gender from vox1_meta.csv.",
    "voxceleb2": "VoxCeleb2 utterances with their face videos; gender from vox2_meta.csv.",
}


def check(params: CorpusParams) -> None:
    """One-line errors for settings no adapter can use."""
    if params.source not in SOURCES:
        raise ParamsError(f"corpus.source {params.source!r} is not one of {', '.join(SOURCES)}")
    if params.ingest.faces.detector not in ("hog", "cnn"):
        raise ParamsError(
            f"corpus.ingest.faces.detector {params.ingest.faces.detector!r}: hog or cnn"
        )
    shortest, longest = params.ingest.segment_seconds
    if not 0 < shortest <= longest:
        raise ParamsError(
            f"corpus.ingest.segment_seconds {shortest}, {longest}: 0 < shortest <= longest"
        )


def read_source(params: CorpusParams) -> SourceRead:
    """The items, early rejects and notes of the real source `params.source` in
    `params.input`."""
    from speech2face.ingest.adapters import avspeech, videos, voxceleb

    root = Path(params.input)
    if not root.is_dir():
        raise InputError(f"the {params.source} source folder {root} does not exist")
    if params.source == "videos":
        labels = located(root, params.videos.labels)
        return videos.video_items(root, labels, params.videos.speaker_from_folder)
    if params.source == "avspeech":
        csvs = [located(root, name) for name in params.avspeech.csv]
        return avspeech.avspeech_items(csvs, located(root, params.avspeech.clips))
    if params.source == "voxceleb1":
        source = params.voxceleb1
        faces, photos = located(root, source.faces), located(root, source.photos)
        if photos and not photos.is_dir():
            raise InputError(f"the identity photos folder {photos} does not exist (--photos)")
        if not photos and not (faces and faces.is_dir()):
            raise InputError(
                f"the interval-faces folder {faces} does not exist: give it (--faces, "
                "corpus.voxceleb1.faces) or identity photos (--photos)"
            )
        faces = faces if faces and faces.is_dir() else None
        return voxceleb.voxceleb1_items(root, located(root, source.meta), faces, photos)
    return voxceleb.voxceleb2_items(root, located(root, params.voxceleb2.meta))


def build_corpus(
    params: CorpusParams, out: Path, reports: Path, workers: int, scheduler: str | None = None
):
    """Write the corpus to `out` and its ingest report to `reports`; return the manifest and
    the counts the report gives. A real source's items are processed on a Dask cluster with
    `scheduler` (`local` or tcp://HOST:PORT)."""
    from speech2face.ingest.report import write_reports

    check(params)
    summary = {"source": params.source, "description": DESCRIPTIONS[params.source]}
    if params.source == "synthetic":
        from speech2face.corpus.generate import generate

        if scheduler:
            raise InputError(
                "--scheduler: the synthetic corpus is generated on this machine; a Dask "
                "cluster ingests real sources (corpus.source videos, avspeech, voxceleb1/2)"
            )
        manifest = generate(params.synthetic, out, workers)
        summary |= {"files": 0, "segments": len(manifest)}
        write_reports(summary, manifest, [], out, reports)
        return manifest, summary
    from speech2face.ingest.run import drop_gone, ingest

    read = read_source(params)
    card = dict(summary)  # what corpus.json says of the corpus: its source and description
    manifest, item_rejects, counts = ingest(
        read.items, Path(params.input), out, params.ingest, workers, card, scheduler
    )
    summary |= {"files": len(read.items), "notes": read.notes, **counts}
    early = [asdict(reject) for reject in read.rejects]
    write_reports(summary, manifest, early + item_rejects, out, reports)
    drop_gone(out, read.items)
    return manifest, summary
