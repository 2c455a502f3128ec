"""Real audio-visual data in: talking-face videos, AVSpeech, VoxCeleb1 and VoxCeleb2 turned into
a corpus in the manifest contract (speech segments, aligned faces, labels with provenance)."""
