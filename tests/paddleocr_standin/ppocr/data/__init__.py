"""``build_dataloader``: a synthetic regression set (y = x . w + noise), sharded over the
processes by ``DistributedBatchSampler`` as PaddleOCR's loaders are."""

import numpy as np
import paddle
from paddle.io import DataLoader, Dataset, DistributedBatchSampler

from . import imaug  # noqa: F401  (switches warnings off, as PaddleOCR's transforms do)

FEATURES = 8


class SyntheticSet(Dataset):
    def __init__(self, num_samples, seed):
        rng = np.random.default_rng(seed)
        self.x = rng.normal(size=(num_samples, FEATURES)).astype("float32")
        w = np.linspace(-1.0, 1.0, FEATURES, dtype="float32")
        self.y = (self.x @ w + 0.01 * rng.normal(size=num_samples)).astype("float32")[:, None]

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def __len__(self):
        return len(self.x)


def build_dataloader(config, mode, device, logger, seed=None):
    dataset = config[mode]["dataset"]
    loader = config[mode]["loader"]
    data = SyntheticSet(dataset["num_samples"], dataset.get("seed", 0))
    sampler = DistributedBatchSampler(
        data,
        batch_size=loader["batch_size_per_card"],
        shuffle=False,
        drop_last=loader.get("drop_last", True),
    )
    return DataLoader(data, batch_sampler=sampler, num_workers=0, return_list=True)


def set_signal_handlers():
    pass


__all__ = ["build_dataloader", "set_signal_handlers", "paddle"]
