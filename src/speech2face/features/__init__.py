"""Training-ready arrays from the raw corpus, and the audio front ends that run on the device."""
