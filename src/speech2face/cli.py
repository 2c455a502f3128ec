"""The `speech2face` command line: one command per pipeline stage.

Heavy libraries (torch, Great Expectations, Praat, MLflow) are imported inside the commands
that use them, so `speech2face --help` answers at once.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from speech2face import paths
from speech2face.errors import InputError

app = typer.Typer(
    help="Speech2Face: learn to picture a face from a voice, and measure what a voice reveals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)

ParamsFile = Annotated[Path, typer.Option("--params", help="The params file to read.")]
Workers = Annotated[int, typer.Option("--workers", "-j", help="Processes (0: one per core).")]
RawDir = Annotated[Path, typer.Option("--raw", help="The raw corpus folder (manifest.csv).")]
FeaturesDir = Annotated[Path, typer.Option("--features", help="The features folder.")]
ReportsDir = Annotated[Path, typer.Option("--reports", help="Where gate reports go.")]
OutDir = Annotated[Path, typer.Option("--out", help="The folder to write (replaced atomically).")]


def user_errors(command):
    """Print an InputError's message and exit 2, instead of a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            console.print(f"[bold red]error:[/] {error}", highlight=False)
            raise typer.Exit(2) from None

    return run


def _workers(workers: int) -> int:
    from speech2face.parallel import default_workers

    return workers if workers > 0 else default_workers()


@app.command("generate")
@user_errors
def generate_command(
    params_file: ParamsFile = paths.PARAMS,
    out: OutDir = paths.RAW,
    workers: Workers = 0,
) -> None:
    """Generate the embedded default corpus (voices with Praat, faces with the renderer)."""
    from speech2face.corpus.generate import generate
    from speech2face.params import GenerateParams, load_section

    params = load_section(GenerateParams, "generate", params_file)
    manifest = generate(params, out, _workers(workers))
    speakers = manifest.speaker_id.nunique()
    console.print(f"wrote {len(manifest)} clips of {speakers} speakers to {out}")


@app.command("corpus_sheet")
@user_errors
def corpus_sheet_command(
    params_file: ParamsFile = paths.PARAMS,
    out: Annotated[Path, typer.Option("--out", help="The PNG to write.")] = paths.DOCS
    / "corpus_sheet.png",
    count: Annotated[int, typer.Option(help="How many speakers.")] = 64,
    seed: Annotated[int, typer.Option(help="Which speakers.")] = 0,
) -> None:
    """Draw a contact sheet of random speakers' faces from the default corpus's population."""
    from speech2face.corpus.generate import population
    from speech2face.corpus.sheet import contact_sheet
    from speech2face.params import GenerateParams, load_section

    params = load_section(GenerateParams, "generate", params_file)
    contact_sheet(population(params), out, count, seed, params.image_size)
    console.print(f"wrote {out}")


def _gate(name: str, tables_of, reports: Path) -> None:
    """Validate, write the reports, and exit 1 naming every failure if the data is bad."""
    from speech2face.gates.runner import validate, write_reports

    result = validate(name, tables_of())
    json_path, markdown_path = write_reports(result, reports)
    if result.success:
        console.print(f"gate {name} passed {len(result.outcomes)} checks; see {markdown_path}")
        return
    console.print(
        f"[bold red]gate {name} FAILED[/] ({len(result.failures)} of "
        f"{len(result.outcomes)} checks); see {markdown_path} and {json_path}"
    )
    for outcome in result.failures:
        console.print(outcome.message(), highlight=False, markup=False)
    raise typer.Exit(1)


@app.command("validate_raw")
@user_errors
def validate_raw_command(
    params_file: ParamsFile = paths.PARAMS,
    raw: RawDir = paths.RAW,
    reports: ReportsDir = paths.REPORTS,
    workers: Workers = 0,
) -> None:
    """Gate 1: the manifest, labels, splits and every audio and face file."""
    from speech2face.gates.raw import raw_tables
    from speech2face.params import ValidateRawParams, load_section

    params = load_section(ValidateRawParams, "validate_raw", params_file)
    _gate("validate_raw", lambda: raw_tables(raw, params, _workers(workers)), reports)


@app.command("preprocess")
@user_errors
def preprocess_command(
    params_file: ParamsFile = paths.PARAMS,
    raw: RawDir = paths.RAW,
    out: OutDir = paths.FEATURES,
    workers: Workers = 0,
) -> None:
    """Fixed-length waveforms, face arrays and per-clip measurements, per split."""
    from speech2face.features.preprocess import preprocess
    from speech2face.params import PreprocessParams, load_section

    params = load_section(PreprocessParams, "preprocess", params_file)
    meta = preprocess(raw, out, params, _workers(workers))
    console.print(f"wrote {meta['clips']} clips to {out}")


@app.command("validate_features")
@user_errors
def validate_features_command(
    params_file: ParamsFile = paths.PARAMS,
    raw: RawDir = paths.RAW,
    features: FeaturesDir = paths.FEATURES,
    reports: ReportsDir = paths.REPORTS,
) -> None:
    """Gate 2: array dtypes, shapes and counts; silence, clipping, faces and F0 per clip."""
    from speech2face.gates.features import feature_tables
    from speech2face.params import ValidateFeaturesParams, load_section

    params = load_section(ValidateFeaturesParams, "validate_features", params_file)
    _gate("validate_features", lambda: feature_tables(features, raw, params), reports)


ModelsDir = Annotated[Path, typer.Option("--models", help="The folder of trained models.")]
EmbeddingsDir = Annotated[Path, typer.Option("--embeddings", help="Face embeddings and logits.")]
MetricsDir = Annotated[Path, typer.Option("--metrics", help="Where stage metrics go.")]


@app.command("train_face_encoder")
@user_errors
def train_face_encoder_command(
    params_file: ParamsFile = paths.PARAMS,
    features: FeaturesDir = paths.FEATURES,
    models: ModelsDir = paths.MODELS,
    embeddings: EmbeddingsDir = paths.EMBEDDINGS,
    metrics: MetricsDir = paths.METRICS,
) -> None:
    """The teacher: identity from faces; writes every clip's face embedding and logits."""
    from speech2face.params import FaceEncoderParams, load_section
    from speech2face.training.train_face_encoder import train_face_encoder

    params = load_section(FaceEncoderParams, "train_face_encoder", params_file)
    result = train_face_encoder(
        params,
        features,
        models / "face_encoder",
        embeddings,
        metrics / "train_face_encoder.json",
        params_file,
    )
    console.print(f"face encoder: {result}")


@app.command("train_face_decoder")
@user_errors
def train_face_decoder_command(
    params_file: ParamsFile = paths.PARAMS,
    features: FeaturesDir = paths.FEATURES,
    models: ModelsDir = paths.MODELS,
    embeddings: EmbeddingsDir = paths.EMBEDDINGS,
    metrics: MetricsDir = paths.METRICS,
) -> None:
    """Face embedding -> canonical face picture."""
    from speech2face.params import FaceDecoderParams, load_section
    from speech2face.training.train_face_decoder import train_face_decoder

    params = load_section(FaceDecoderParams, "train_face_decoder", params_file)
    result = train_face_decoder(
        params,
        features,
        embeddings,
        models / "face_encoder",
        models / "face_decoder",
        metrics / "train_face_decoder.json",
        params_file,
    )
    console.print(f"face decoder: {result}")


@app.command("train_voice_encoder")
@user_errors
def train_voice_encoder_command(
    params_file: ParamsFile = paths.PARAMS,
    features: FeaturesDir = paths.FEATURES,
    models: ModelsDir = paths.MODELS,
    embeddings: EmbeddingsDir = paths.EMBEDDINGS,
    metrics: MetricsDir = paths.METRICS,
) -> None:
    """The student: voice -> face embedding, with the paper's loss."""
    from speech2face.params import VoiceEncoderParams, load_section
    from speech2face.training.train_voice_encoder import train_voice_encoder

    params = load_section(VoiceEncoderParams, "train_voice_encoder", params_file)
    result = train_voice_encoder(
        params,
        features,
        embeddings,
        models / "face_encoder",
        models / "face_decoder",
        models / "voice_encoder",
        metrics / "train_voice_encoder.json",
        params_file,
    )
    console.print(f"voice encoder: {result}")
