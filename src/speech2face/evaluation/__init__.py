"""Evaluation on held-out test speakers: metrics per clip, per group with intervals, controls."""
