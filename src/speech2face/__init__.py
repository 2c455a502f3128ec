"""speech2face: picture a face from a voice, and measure per group what a voice reveals."""

__version__ = "0.1.0"
