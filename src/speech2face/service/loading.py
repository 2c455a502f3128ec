"""Loading the avatar the service answers with, and naming its version for every response."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from speech2face.avatar.model import Avatar
from speech2face.errors import InputError
from speech2face.files import sha256


@dataclass(frozen=True)
class ServedModel:
    avatar: Avatar
    source: str  # what was asked for: a URI or a folder
    version: str  # e.g. "speech2face v3 (champion)" or "local models/ (voice encoder 1a2b3c4d)"


def load(model: str) -> ServedModel:
    """The avatar named by `model`: a pipeline's models folder, a saved MLflow model folder,
    or an MLflow model URI resolved in the project's tracking store."""
    folder = Path(model)
    if folder.is_dir() and not (folder / "MLmodel").is_file():
        avatar = Avatar(folder)
        digest = sha256(folder / "voice_encoder" / "model.pt")[:8]
        return ServedModel(avatar, model, f"local {folder} (voice encoder {digest})")
    return _from_mlflow(model)


def _from_mlflow(uri: str) -> ServedModel:
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow
    from mlflow.exceptions import MlflowException

    from speech2face.avatar.pyfunc import AvatarModel
    from speech2face.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri())
    try:
        python_model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    except (MlflowException, OSError) as error:
        raise InputError(f"model {uri}: cannot load it ({_one_line(error)})") from error
    if not isinstance(python_model, AvatarModel):
        raise InputError(f"model {uri}: not a speech2face avatar model")
    return ServedModel(python_model.avatar, uri, _registry_version(uri))


def _registry_version(uri: str) -> str:
    """`name vN (alias)` for a registry URI; the URI itself otherwise."""
    from mlflow import MlflowClient

    if not uri.startswith("models:/"):
        return uri
    name, _, rest = uri.removeprefix("models:/").partition("@")
    client = MlflowClient()
    if rest:
        version = client.get_model_version_by_alias(name, rest).version
        return f"{name} v{version} ({rest})"
    name, _, number = name.partition("/")
    return f"{name} v{number}" if number.isdigit() else uri


def _one_line(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error)
    return " ".join(text.split())[:300]
