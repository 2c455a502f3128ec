"""Bias studies: how a group's share of the training speakers, the sampler and the accent move
per-group results, each point a DVC experiment and an MLflow run."""
