"""The training augmentation's settings: section `train_voice_encoder.augment` of params.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from speech2face.params import ParamsError, _build
from speech2face.recording.codec import CODECS


@dataclass(frozen=True)
class AugmentParams:
    """Each condition applies to a clip independently, with its own probability (`*_p`).

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
        if not self.codecs or set(self.codecs) - set(CODECS):
            raise ParamsError(f"augment.codecs: expected some of {sorted(CODECS)}")

    @property
    def clean_share(self) -> float:
        """The expected share of clips that no condition touches."""
        kept = 1.0
        for p in (self.gain_p, self.noise_p, self.reverb_p, self.telephone_p, self.codec_p):
            kept *= 1.0 - p
        return kept


def augment_params(section: dict, where: str = "train_voice_encoder.augment") -> AugmentParams:
    """`section` (a mapping read from YAML, every key given) as AugmentParams, checked."""
    return _build(AugmentParams, section, where)
