"""The GE2E speaker encoder of Resemblyzer as the project's own torch module.

Resemblyzer (Apache-2.0) ships its trained weights, `pretrained.pt`, inside its wheel: a 3-layer
LSTM over 40 mel bands, trained for speaker identity on LibriSpeech and VoxCeleb 1 and 2. Only
the weights file is read (the package is never imported, so neither are librosa and webrtcvad);
its mel front end is reproduced with torchaudio so it runs on the training device, and an
utterance embedding equals `resemblyzer.VoiceEncoder().embed_utterance` (a test checks it).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

SAMPLE_RATE = 16000
N_MELS = 40
HOP = 160  # 10 ms
WINDOW = 400  # 25 ms
PARTIAL_FRAMES = 160  # 1.6 s
EMBEDDING_SIZE = 256


def weights_path() -> Path:
    """Where the installed resemblyzer wheel keeps `pretrained.pt`; an InputError if absent."""
    from speech2face.errors import InputError

    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the ge2e front end needs the resemblyzer package: `make` installs it")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise InputError(f"{path}: resemblyzer's weights are missing; reinstall it")
    return path


class GE2E(nn.Module):
    """Waveforms (batch, samples) at 16 kHz -> L2-normed 256-d embeddings of 1.6 s partials."""

    def __init__(self, weights: Path | None = None):
        super().__init__()
        import torchaudio

        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=SAMPLE_RATE,
            n_fft=WINDOW,
            hop_length=HOP,
            n_mels=N_MELS,
            center=True,
            pad_mode="constant",
            norm="slaney",
            mel_scale="slaney",
        )
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, EMBEDDING_SIZE)
        state = torch.load(weights or weights_path(), map_location="cpu", weights_only=True)
        for name in ("lstm", "linear"):
            prefix = f"{name}."
            own = {
                k[len(prefix) :]: v for k, v in state["model_state"].items() if k.startswith(prefix)
            }
            getattr(self, name).load_state_dict(own)

    def partials(self, mels: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 40) mel power frames -> (batch, 256) embeddings."""
        _, (hidden, _) = self.lstm(mels)
        embeddings = torch.relu(self.linear(hidden[-1]))
        return embeddings / embeddings.norm(dim=1, keepdim=True)

    def forward(self, waveforms: torch.Tensor, rate: float = 1.3, coverage: float = 0.75):
        """One embedding per waveform: the normed mean of its partials, as Resemblyzer's
        `embed_utterance` takes them (1.3 partials a second, the last kept at 75% coverage)."""
        starts, end = partial_starts(waveforms.shape[-1], rate, coverage)
        padded = nn.functional.pad(waveforms.float(), (0, max(0, end - waveforms.shape[-1])))
        mel = self.mel(padded).transpose(1, 2)  # (batch, frames, 40)
        mels = torch.stack([mel[:, start : start + PARTIAL_FRAMES] for start in starts], dim=1)
        partials = self.partials(mels.flatten(0, 1)).view(len(waveforms), len(starts), -1)
        mean = partials.mean(dim=1)
        return mean / mean.norm(dim=1, keepdim=True)


def partial_starts(n_samples: int, rate: float, coverage: float) -> tuple[list[int], int]:
    """The first mel frame of each partial and the samples the waveform is padded to, as
    Resemblyzer's `compute_partial_slices`."""
    n_frames = -(-(n_samples + 1) // HOP)
    step = round(SAMPLE_RATE / rate / HOP)
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    last = starts[-1] * HOP
    if (n_samples - last) / (PARTIAL_FRAMES * HOP) < coverage and len(starts) > 1:
        starts = starts[:-1]
    return starts, (starts[-1] + PARTIAL_FRAMES) * HOP
