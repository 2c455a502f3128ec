"""Hyperparameter tuning of the voice encoder with Optuna (stage `tune`)."""
