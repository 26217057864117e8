"""How long the previewed run is: ``(epochs, step_each_epoch)`` from the command line's
flags and the config, and where each came from."""

from __future__ import annotations

import math
import os
from typing import Optional

from ..errors import ConfigValueError
from ..params import Integer, RunLength
from ..config import global_batch_size, section, train_samples
from .sources import Source


def run_length(
    source: Source,
    epochs: Optional[int] = None,
    steps_per_epoch: Optional[int] = None,
    dataset_size: Optional[int] = None,
    batch_size: Optional[int] = None,
    nproc: int = 1,
) -> tuple[int, int, dict, Optional[int]]:
    """``(epochs, step_each_epoch, origins, global batch size or None)`` from the flags
    and the config (the global batch: the batch per process, from ``--batch-size`` or
    ``Train.loader.batch_size_per_card``, times ``nproc``)."""
    origins = {}
    loader = section(source.config or {}, "Train.loader") or {}
    global_batch, origin = global_batch_size(source.config, batch_size, nproc)
    if origin:
        origins["global_batch_size"] = origin
    if epochs is not None:
        origins["epochs"] = "--epochs"
    elif source.epochs is not None:
        epochs = Integer(minimum=1).parse(source.epochs, "Global.epoch_num")
        origins["epochs"] = "Global.epoch_num"
    else:
        raise ConfigValueError(
            "",
            f"{source.label}: the number of epochs is unknown: an lr "
            "block has no Global.epoch_num, so pass --epochs",
        )
    counted = ""
    if steps_per_epoch is None and dataset_size is None and source.config:
        dataset_size, counted, missing = train_samples(source.config)
        if missing:
            raise ConfigValueError(
                "",
                f"{source.label}: the steps per epoch are unknown: the label files of "
                f"Train.dataset.label_file_list are not here ({', '.join(missing)}, from "
                f"{os.getcwd()}); run from the directory the trainer runs in, or pass "
                "--steps-per-epoch, or --dataset-size with --batch-size",
            )
    if steps_per_epoch is not None:
        origins["step_each_epoch"] = "--steps-per-epoch"
    elif dataset_size is not None:
        if global_batch is None:
            raise ConfigValueError(
                "",
                "--dataset-size needs --batch-size (or the config's "
                "Train.loader.batch_size_per_card)",
            )
        batch = global_batch // nproc  # the batch per process
        drop_last = loader.get("drop_last", True) is not False
        per_rank = math.ceil(dataset_size / nproc)
        steps_per_epoch = per_rank // batch if drop_last else math.ceil(per_rank / batch)
        if steps_per_epoch < 1:
            raise ConfigValueError(
                "",
                f"--dataset-size {dataset_size} over {nproc} "
                f"process(es) gives no whole batch of {batch}",
            )
        samples = (
            f"{dataset_size} samples ({counted})" if counted else (f"--dataset-size {dataset_size}")
        )
        origins["step_each_epoch"] = (
            f"{samples} / {nproc} process(es) / batch {batch}{', drop_last' if drop_last else ''}"
        )
    else:
        raise ConfigValueError(
            "",
            f"{source.label}: the steps per epoch are unknown: a "
            "config has no step_each_epoch (the trainer counts the "
            "loader's batches); pass --steps-per-epoch, or --dataset-size "
            "with --batch-size",
        )
    run = RunLength.checked(epochs, steps_per_epoch)
    return run.epochs, run.step_each_epoch, origins, global_batch
