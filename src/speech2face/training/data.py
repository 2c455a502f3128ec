"""Datasets and DataModules over the memory-mapped arrays that `preprocess` and stages write."""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler


class ArrayDataset(Dataset):
    """Rows `rows` of equally long arrays, as dicts of tensors.

    With `crop`, the `waveform` array is cut to `crop` samples: at a random offset when
    `random_crop` (augmentation by time shift), else from the start. `transform(waveform,
    seed)`, e.g. a codec round trip, then runs in the loader's worker with a seed drawn from
    the worker's seeded generator.
    """

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        rows: np.ndarray | None = None,
        crop: int | None = None,
        random_crop: bool = False,
        transform: Callable[[np.ndarray, int], np.ndarray] | None = None,
    ):
        self.arrays = arrays
        self.rows = np.arange(len(next(iter(arrays.values())))) if rows is None else rows
        self.crop, self.random_crop, self.transform = crop, random_crop, transform

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        row = int(self.rows[index])
        item = {}
        for name, array in self.arrays.items():
            value = array[row]
            if name == "waveform" and self.crop:
                start = np.random.randint(0, len(value) - self.crop + 1) if self.random_crop else 0
                value = value[start : start + self.crop]
            if name == "waveform" and self.transform:
                value = self.transform(np.asarray(value), np.random.randint(2**31))
            item[name] = torch.from_numpy(np.array(value))
        return item


class ArrayDataModule(pl.LightningDataModule):
    """Train and validation ArrayDatasets behind loaders (workers, pinned memory on GPU).

    With `train_weights` (one per training item), an epoch draws as many items as the train
    set holds, each with probability in proportion to its weight (with replacement, from a
    generator seeded by `seed`), instead of every item once in a shuffled order.
    """

    def __init__(
        self,
        train: Dataset,
        val: Dataset,
        batch_size: int,
        workers: int,
        train_weights: np.ndarray | None = None,
        seed: int = 0,
    ):
        super().__init__()
        self.train, self.val = train, val
        self.batch_size, self.workers = batch_size, workers
        self.train_weights, self.seed = train_weights, seed

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        sampler = None
        if shuffle and self.train_weights is not None:
            weights = torch.as_tensor(self.train_weights, dtype=torch.double)
            generator = torch.Generator().manual_seed(self.seed)
            sampler = WeightedRandomSampler(weights, len(dataset), generator=generator)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle and sampler is None,
            sampler=sampler,
            num_workers=self.workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=self.workers > 0,
            drop_last=shuffle and len(dataset) > self.batch_size,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val, shuffle=False)
