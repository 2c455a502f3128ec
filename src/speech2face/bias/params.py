"""The bias studies' params sections (bias_point, bias_study, bias_accents)."""

from __future__ import annotations

from dataclasses import dataclass

from speech2face.params import ParamsError, check_balance_by


@dataclass(frozen=True)
class BiasPointParams:
    """One point of a bias study (stage `bias_point`): which training speakers, how drawn."""

    group: str  # the ethnicity whose share of the training speakers is set
    share: float  # its share of them; the other groups share the rest equally
    train_speakers: int  # the training speakers of every group together
    seed: int  # of the speakers drawn and of the training
    balance_by: str | None  # the sampler (as train_voice_encoder.balance_by); None: natural
    max_epochs: int  # the voice encoder's epochs at most (its patience is the stage's)

    def __post_init__(self):
        if not 0.0 <= self.share <= 1.0:
            raise ParamsError(f"bias_point.share: expected 0 to 1, got {self.share}")
        if self.train_speakers < 1 or self.max_epochs < 1:
            raise ParamsError("bias_point: train_speakers and max_epochs must be at least 1")
        check_balance_by(self.balance_by, "bias_point.balance_by")


@dataclass(frozen=True)
class BiasStudyParams:
    """What `speech2face study` runs: its points, each a DVC experiment of `bias_point`."""

    group: str  # the ethnicity whose share the share study sets
    shares: tuple[float, ...]  # its shares of the training speakers
    train_speakers: int  # arm "share": every point trains on this many speakers
    group_speakers: int  # arm "count": the group keeps this many, the others grow around it
    seeds: tuple[int, ...]  # each point is trained once per seed
    max_epochs: int
    mitigation_share: float  # the mitigation study: the group's share at which samplers compete
    mitigation_samplers: tuple[str, ...]  # `natural`, or the attribute to balance over

    def __post_init__(self):
        if not self.shares or not self.seeds or not self.mitigation_samplers:
            raise ParamsError("bias_study: shares, seeds and mitigation_samplers need a value")
        if any(not 0.0 <= share <= 1.0 for share in (*self.shares, self.mitigation_share)):
            raise ParamsError("bias_study: every share must lie between 0 and 1")


@dataclass(frozen=True)
class AccentSwapParams:
    """The accent study's copies (stage `bias_accents`): the pool's test clips per accent."""

    clips_per_speaker: int  # each test speaker's first clips, spoken again in every accent
    accents: tuple[str, ...]  # of corpus.population.ACCENTS

    def __post_init__(self):
        if self.clips_per_speaker < 1:
            raise ParamsError("bias_accents.clips_per_speaker must be at least 1")
