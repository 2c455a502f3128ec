"""The search space: `tune.space` of params.yaml, checked against `train_voice_encoder`'s keys.

Each entry names a key of the `train_voice_encoder` section (dotted when nested, e.g.
`trainer.batch_size`) and its range: `{low, high}` with optional `log: true` or `step`, for
a number (an int key gets whole numbers), or `{choices: [...]}` for any key.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from dataclasses import dataclass

from speech2face.errors import InputError
from speech2face.params import VoiceEncoderParams

RANGE_KEYS = ("low", "high", "log", "step")


@dataclass(frozen=True)
class Dimension:
    """One hyperparameter: a `train_voice_encoder` key and the values a trial may give it."""

    name: str
    kind: type  # the key's type: int and float take a range, anything takes choices
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def suggest(self, trial):
        """This dimension's value for an Optuna trial."""
        if self.choices:
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind is int:
            return trial.suggest_int(
                self.name, self.low, self.high, step=self.step or 1, log=self.log
            )
        return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)


def _leaves(cls, prefix: str = "") -> dict[str, object]:
    """Every key of a params dataclass, dotted when nested, with its type."""
    leaves = {}
    for name, kind in typing.get_type_hints(cls).items():
        if dataclasses.is_dataclass(kind):
            leaves.update(_leaves(kind, f"{prefix}{name}."))
        else:
            leaves[f"{prefix}{name}"] = kind
    return leaves


KEYS = _leaves(VoiceEncoderParams)


def _number(value, kind: type, where: str):
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or (kind is int and not isinstance(value, int)):
        raise InputError(f"{where}: expected {'a whole number' if kind is int else 'a number'}")
    return kind(value)


def dimension(name: str, spec, where: str) -> Dimension:
    """Parse one entry of the space; `where` names it in error messages."""
    if name not in KEYS:
        raise InputError(f"{where}: train_voice_encoder has no key '{name}'; keys: {sorted(KEYS)}")
    kind = KEYS[name]
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected {{low, high[, log][, step]}} or {{choices}}")
    if "choices" in spec:
        choices = spec["choices"]
        if set(spec) != {"choices"} or not isinstance(choices, list) or not choices:
            raise InputError(f"{where}: expected {{choices: [a non-empty list]}}, got {spec}")
        if kind in (int, float):
            choices = [_number(c, kind, f"{where}.choices") for c in choices]
        elif not all(isinstance(c, kind) for c in choices):
            raise InputError(f"{where}.choices: expected values of type {kind}, got {choices}")
        return Dimension(name, kind, choices=tuple(choices))
    unknown = sorted(set(spec) - set(RANGE_KEYS))
    if unknown or "low" not in spec or "high" not in spec:
        raise InputError(f"{where}: expected low and high (optional log, step), got {sorted(spec)}")
    if kind not in (int, float):
        raise InputError(f"{where}: a {kind} value takes {{choices}}, not a range")
    low, high = (_number(spec[k], kind, f"{where}.{k}") for k in ("low", "high"))
    log, step = spec.get("log", False), spec.get("step")
    if not isinstance(log, bool):
        raise InputError(f"{where}.log: expected true or false, got {log!r}")
    if step is not None and (_number(step, kind, f"{where}.step") <= 0 or log):
        raise InputError(f"{where}.step: expected a positive step, and no step with log")
    if not low < high:
        raise InputError(f"{where}: low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise InputError(f"{where}: a log scale needs low > 0, got {low}")
    return Dimension(name, kind, low, high, log, step)


def parse_space(space: dict, where: str) -> list[Dimension]:
    """Every dimension of `tune.space`, or an InputError naming the bad entry."""
    return [dimension(str(name), spec, f"{where}.{name}") for name, spec in space.items()]


def _holder(section, name: str) -> tuple:
    """The mapping that holds the dotted key `name`, and the key's last part."""
    *parents, leaf = name.split(".")
    for part in parents:
        section = section[part]
    return section, leaf


def set_value(section, name: str, value) -> None:
    """Set the dotted key `name` of a params section (a dict or a ruamel mapping), in place."""
    holder, leaf = _holder(section, name)
    if leaf not in holder:
        raise KeyError(name)
    holder[leaf] = value


def with_values(section: dict, values: dict) -> dict:
    """A copy of a `train_voice_encoder` section with the dotted `values` set."""
    section = copy.deepcopy(section)
    for name, value in values.items():
        set_value(section, name, value)
    return section


def untuned(section: dict, names) -> dict:
    """A copy of a `train_voice_encoder` section without the dotted keys `names`: what every
    trial of a study shares."""
    section = copy.deepcopy(section)
    for name in names:
        holder, leaf = _holder(section, name)
        holder.pop(leaf, None)
    return section
