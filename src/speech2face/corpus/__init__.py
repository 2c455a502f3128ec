"""The embedded default corpus: simulated speakers with voices (Praat) and faces (a renderer)."""
