"""Random recording conditions for training, on the batch's device (the GPU when there is one)."""

from __future__ import annotations

import torch
from torch import nn

from speech2face.params import AugmentParams
from speech2face.recording import effects
from speech2face.recording.rooms import LEAD, rir_bank


class RecordingAugmentation(nn.Module):
    """Float waveforms (batch, samples) -> the same clips, each recorded differently.

    Per clip and independently, each with its probability in `params`: in a room (a response
    from a bank of `params.rirs` simulated once, at construction), with noise (1/f^exponent,
    at an SNR against the clip's speech power), over a telephone line (8 kHz mu-law,
    300-3400 Hz), at another level (gain). Applied in that order, the order of a real
    recording chain; nothing changes pitch, formants or length, and nothing is clipped.

    Active in training mode only (`module.eval()` makes it the identity). Its random draws
    come from its own generator, seeded with `seed` on first use on a device: the same seed
    gives the same sequence of augmented batches on a CPU, and leaves the global RNGs alone.
    Give each DDP process its own seed (e.g. seed + rank). Codec round trips cannot run on a
    GPU: see `codec.CodecTransform` for the DataLoader's workers.
    """

    def __init__(self, params: AugmentParams, sample_rate: int, seed: int):
        super().__init__()
        self.params, self.sample_rate, self.seed = params, sample_rate, seed
        bank = torch.from_numpy(rir_bank(params.rirs, sample_rate, seed, params.rt60_s))
        self.register_buffer("rirs", bank, persistent=False)
        self._generators: dict[torch.device, torch.Generator] = {}

    def reseed(self, seed: int) -> None:
        """Start the random draws anew from `seed`."""
        self.seed, self._generators = seed, {}

    def _generator(self, device: torch.device) -> torch.Generator:
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]

    @torch.no_grad()
    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        if not waveforms.is_floating_point() or waveforms.ndim != 2:
            raise ValueError(
                f"expected float waveforms (batch, samples), got {waveforms.dtype} "
                f"{tuple(waveforms.shape)}"
            )
        if not self.training:
            return waveforms
        params, rate = self.params, self.sample_rate
        generator = self._generator(waveforms.device)
        n, samples = waveforms.shape

        def coin(p: float) -> torch.Tensor:
            return torch.rand(n, generator=generator, device=generator.device) < p

        def uniform(bounds: tuple[float, float]) -> torch.Tensor:
            low, high = bounds
            return low + (high - low) * torch.rand(n, generator=generator, device=generator.device)

        # Each clip's parameters are drawn whether or not its condition applies.
        room, line = coin(params.reverb_p), coin(params.telephone_p)
        which = torch.randint(len(self.rirs), (n,), generator=generator, device=generator.device)
        noisy, snr_db = coin(params.noise_p), uniform(params.noise_snr_db)
        exponent = uniform(params.noise_exponent)
        louder, gain_db = coin(params.gain_p), uniform(params.gain_db)
        out = waveforms.clone()
        if room.any():
            responses = self.rirs.to(out.device)[which[room]]
            out[room] = effects.reverberate(out[room], responses, LEAD)
        if noisy.any():
            white = torch.randn(int(noisy.sum()), samples, generator=generator, device=out.device)
            noise = effects.coloured_noise(white.to(out.dtype), exponent[noisy].to(out.dtype))
            out[noisy] = effects.add_noise(out[noisy], noise, snr_db[noisy].to(out.dtype), rate)
        if line.any():
            out[line] = effects.telephone(out[line], rate)
        if louder.any():
            out[louder] = effects.gain(out[louder], gain_db[louder].to(out.dtype))
        return out
