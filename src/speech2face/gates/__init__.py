"""Validation gates (Great Expectations): they report and stop the pipeline on bad data."""
