"""The `speech2face` command line: one command per pipeline stage.

Heavy libraries (torch, Great Expectations, Praat, MLflow) are imported inside the commands
that use them, so `speech2face --help` answers at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
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


# Each training stage: (params class, the stage function's path arguments after `params`).
TRAINING_STAGES = {
    "train_face_encoder": (
        "FaceEncoderParams",
        "The teacher: identity from faces; writes every clip's face embedding and logits.",
        lambda o: (o.features, o.models / "face_encoder", o.embeddings, o.metrics_file),
    ),
    "train_face_decoder": (
        "FaceDecoderParams",
        "Face embedding -> canonical face picture.",
        lambda o: (
            o.features,
            o.embeddings,
            o.models / "face_encoder",
            o.models / "face_decoder",
            o.metrics_file,
        ),
    ),
    "train_voice_encoder": (
        "VoiceEncoderParams",
        "The student: voice -> face embedding, with the paper's loss.",
        lambda o: (
            o.features,
            o.embeddings,
            o.models / "face_encoder",
            o.models / "face_decoder",
            o.models / "voice_encoder",
            o.metrics_file,
        ),
    ),
    "train_attribute_classifier": (
        "AttributeClassifierParams",
        "Face++'s role: gender, age and ethnicity (and face geometry) from faces.",
        lambda o: (
            o.features,
            o.raw,
            o.embeddings,
            o.models / "face_decoder",
            o.models / "attribute_classifier",
            o.metrics_file,
        ),
    ),
}


@dataclass(frozen=True)
class TrainingFolders:
    features: Path
    raw: Path
    embeddings: Path
    models: Path
    metrics_file: Path


def _register_training(stage: str, params_class: str, summary: str, arguments) -> None:
    """One CLI command per training stage, all with the same options."""

    def command(
        params_file: ParamsFile = paths.PARAMS,
        features: FeaturesDir = paths.FEATURES,
        raw: RawDir = paths.RAW,
        embeddings: EmbeddingsDir = paths.EMBEDDINGS,
        models: ModelsDir = paths.MODELS,
        metrics: MetricsDir = paths.METRICS,
    ) -> None:
        import importlib

        from speech2face import params as params_module

        module = importlib.import_module(f"speech2face.training.{stage}")
        section = getattr(params_module, params_class)
        params = params_module.load_section(section, stage, params_file)
        folders = TrainingFolders(features, raw, embeddings, models, metrics / f"{stage}.json")
        result = getattr(module, stage)(params, *arguments(folders), params_file)
        console.print(f"{stage}: {result}")

    command.__doc__ = summary
    app.command(stage)(user_errors(command))


for _stage, (_class, _summary, _arguments) in TRAINING_STAGES.items():
    _register_training(_stage, _class, _summary, _arguments)


@app.command("evaluate")
@user_errors
def evaluate_command(
    params_file: ParamsFile = paths.PARAMS,
    features: FeaturesDir = paths.FEATURES,
    embeddings: EmbeddingsDir = paths.EMBEDDINGS,
    raw: RawDir = paths.RAW,
    models: ModelsDir = paths.MODELS,
    reports: ReportsDir = paths.REPORTS,
) -> None:
    """Test speakers: retrieval, matching, demographics, craniofacial; per group, vs controls."""
    from speech2face.evaluation.stage import run_evaluation
    from speech2face.params import EvaluateParams, load_section

    params = load_section(EvaluateParams, "evaluate", params_file)
    overall = run_evaluation(params, features, embeddings, raw, models, reports, params_file)
    headline = ("recall_at_5", "match_1in2", "gender_agreement", "cosine")
    shown = ", ".join(f"{k} {overall[k]:.3f}" for k in headline)
    console.print(f"test speakers: {shown}; see {reports / 'evaluation.md'}")


@app.command("predict")
@user_errors
def predict_command(
    audio: Annotated[Path, typer.Argument(help="A voice recording (any format librosa reads).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The face picture (PNG) to write.")],
    models: ModelsDir = paths.MODELS,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Use the models of this MLflow run instead.")
    ] = None,
    attributes: Annotated[
        bool, typer.Option("--attributes", help="Print the face's gender, age and ethnicity.")
    ] = False,
    size: Annotated[int, typer.Option(help="Width and height of the picture, in pixels.")] = 256,
) -> None:
    """Picture the face behind a voice: voice encoder -> face embedding -> face decoder."""
    from speech2face.predict import predict

    prediction = predict(audio, out, models, run_id, size)
    console.print(f"wrote {out}")
    if attributes:
        for name, (label, probability) in prediction.attributes.items():
            typer.echo(f"{name}: {label} ({probability:.0%})")
        typer.echo(f"age: {prediction.age:.0f}")


@app.command("tune")
@user_errors
def tune_command(
    params_file: ParamsFile = paths.PARAMS,
    features: FeaturesDir = paths.FEATURES,
    embeddings: EmbeddingsDir = paths.EMBEDDINGS,
    models: ModelsDir = paths.MODELS,
    out: Annotated[
        Path, typer.Option("--out", help="Where best_params.yaml and the plots go.")
    ] = paths.REPORTS / "tune",
    storage: Annotated[
        str | None,
        typer.Option(
            help="The study's Optuna RDB URL (default: tune.storage, else SQLite in mlruns/)."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-j", help="Trial processes on this machine.")
    ] = 1,
    apply: Annotated[
        bool, typer.Option("--apply", help="Don't tune: write the best values into params.yaml.")
    ] = False,
    trial: Annotated[
        int | None,
        typer.Option(help="With --apply: this trial's values (e.g. of the Pareto front)."),
    ] = None,
) -> None:
    """Optuna study over train_voice_encoder's values; resumable, parallel, tracked in MLflow."""
    if apply:
        from speech2face.tuning import apply as tuned

        values = tuned.chosen(out / tuned.BEST_FILE, trial)
        tuned.apply_values(params_file, values)
        shown = ", ".join(f"{k}={tuned.yaml_value(v)}" for k, v in values.items())
        console.print(f"wrote train_voice_encoder {shown} into {params_file}; the same as:")
        typer.echo(tuned.exp_run_command(values))
        return
    from speech2face.params import TuneParams, VoiceEncoderParams, load_section
    from speech2face.tuning.stage import tune

    load_section(VoiceEncoderParams, "train_voice_encoder", params_file)  # the trials' base
    params = load_section(TuneParams, "tune", params_file)
    result = tune(params, params_file, features, embeddings, models, out, storage, workers, console)
    best = result["best"]
    if best is None:
        console.print(f"no trial completed yet; see {out}")
        return
    values = ", ".join(f"{k} {v:.4g}" for k, v in best["values"].items())
    console.print(
        f"best: trial {best['trial']}, {values}; see {out / 'best_params.yaml'}, "
        "and `speech2face tune --apply` to use it"
    )
