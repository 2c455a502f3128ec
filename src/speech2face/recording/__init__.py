"""Recording conditions: training augmentation on the fly, and degraded test sets.

A voice's identity cues (pitch, formants, timbre) must survive the channel, not the channel
be learnt: the conditions here change the room, the noise, the line, the codec and the level,
never the pitch, formants or length of the speech.

- `augment.RecordingAugmentation`: random per clip, batched, on the batch's device;
- `codec.CodecTransform`: a random Opus/MP3 round trip of one clip, for DataLoader workers;
- `conditions.degrade`: fixed, seeded degradations for evaluation (`snr_10`, `reverb`, ...);
- `speech2face.params.AugmentParams`: the augmentation's settings (`train_voice_encoder.augment`).

Libraries, and why. The batched operations are torchaudio.functional (`fftconvolve`,
`resample`, `mu_law_encoding`), already pinned with torch and maintained with it; filter
coefficients come from scipy.signal. Rooms are simulated by pyroomacoustics (image-source
method, its shoebox rooms; maintained, a binary wheel for Python 3.11). Codecs are FFmpeg's
libopus and libmp3lame through PyAV, already a dependency. Rejected: torch-audiomentations
0.12.0 (last release January 2025) runs its filters and noise on torch 2.9.1, but its
impulse-response and background-noise transforms call `torchaudio.info`, which torchaudio
2.9 removed, it draws from the global RNG (no generator, so seeding it reseeds training), and
it pulls in torch-pitch-shift; audiomentations 0.43.1 requires soxr < 1, against the
project's pinned soxr 1.1.0, and works clip by clip in numpy on the CPU.

Cost, measured on 2 CPU cores (benchmarks/bench_augment.py; benchmarks/README.md): the
bank of 128 rooms takes 0.9 s to simulate, once. On a batch of 32 x 3 s, the device part
takes 14 ms with the default probabilities, 5% of a default voice-encoder step (0.26 s),
and 44 ms with every condition on every clip (17%). A codec round trip takes 19-25 ms of
CPU per 3 s clip: at codec_p 0.15, 0.10 CPU-s per batch, a fifth of the step's own CPU
time (0.53 s) on a machine with no core to spare; with spare cores, workers hide it.
`degrade` on the 840 test clips of 6 s: about 2 s per noise, room or telephone condition,
32-34 s per codec.
"""
