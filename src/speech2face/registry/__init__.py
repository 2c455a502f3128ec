"""The MLflow Model Registry side of the pipeline: register the avatar, gate its alias."""
