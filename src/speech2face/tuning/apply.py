"""`speech2face tune --apply`: a tuned trial's values into params.yaml, comments kept.

A user action, never the stage's (params.yaml is the stage's own dependency). The same values
as a DVC experiment: `exp_run_command`.
"""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import yaml
from ruamel.yaml import YAML

from speech2face.errors import InputError
from speech2face.files import write_text
from speech2face.tuning.space import set_value

STAGE = "train_voice_encoder"
BEST_FILE = "best_params.yaml"


def yaml_value(value) -> str:
    """`value` as YAML that PyYAML reads back as the same type (`1e-05` would be a string:
    a float is written with a decimal point, `1.0e-05`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        mantissa, _, exponent = repr(value).partition("e")
        if exponent and "." not in mantissa:
            return f"{mantissa}.0e{exponent}"
    return json.dumps(value)


def exp_run_command(values: dict) -> str:
    """`dvc exp run -S train_voice_encoder.<key>=<value> ...` for the dotted `values`."""
    settings = [f"-S {shlex.quote(f'{STAGE}.{k}={yaml_value(v)}')}" for k, v in values.items()]
    return " ".join(["dvc exp run", *settings])


def chosen(best_file: Path, trial: int | None) -> dict:
    """The values of the best trial in `best_file`, or of trial `trial` (best or Pareto front)."""
    try:
        result = yaml.safe_load(best_file.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise InputError(
            f"cannot read {best_file} ({error}); run `speech2face tune` first"
        ) from None
    entries = [e for e in [result.get("best"), *result.get("pareto_front", [])] if e]
    if not entries:
        raise InputError(f"{best_file}: the study has no completed trial yet")
    if trial is None:
        return entries[0]["params"]
    for entry in entries:
        if entry["trial"] == trial:
            return entry["params"]
    numbers = sorted({e["trial"] for e in entries})
    raise InputError(f"{best_file}: trial {trial} is not the best nor on the front {numbers}")


def apply_values(params_file: Path, values: dict) -> None:
    """Set the dotted `values` in the `train_voice_encoder` section of `params_file`, keeping
    its comments and layout (ruamel.yaml round trip; null as an empty value, as DVC writes)."""
    loader = YAML()
    loader.width = 4096  # never re-wrap a line
    document = loader.load(params_file.read_text())
    for name, value in values.items():
        # A number as ruamel's scalar of its `yaml_value` text, which it writes as it reads.
        scalar = value if isinstance(value, str) else loader.load(yaml_value(value))
        try:
            set_value(document[STAGE], name, scalar)
        except (KeyError, TypeError):
            raise InputError(f"{params_file}: {STAGE} has no key '{name}'") from None
    text = io.StringIO()
    loader.dump(document, text)
    write_text(params_file, text.getvalue())
