"""The avatar's model-from-code entry point: MLflow stores this file, not a pickle, and runs
it when the model loads (the code it imports is the installed `speech2face`)."""

from mlflow.models import set_model

from speech2face.avatar.pyfunc import AvatarModel

set_model(AvatarModel())
