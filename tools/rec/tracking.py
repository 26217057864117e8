"""Experiment tracking the way PaddleOCR's trainer does it, on rank 0 only.

* **Weights & Biases**: ``Global.use_wandb: true``, or a ``wandb:`` section whose keys go
  to ``wandb.init`` (``project``, ``name``, ``id``, ``entity``, ...), the run kept under
  ``Global.save_model_dir`` (``wandb/`` there) and resumable. Metrics are logged as
  PaddleOCR's ``WandbLogger`` logs them: ``train/<key>`` at every step, ``eval/<key>`` after
  each evaluation (``eval/best_<main_indicator>`` too). Install with
  ``pip install 'ppocr-lr[wandb]'``; ``WANDB_MODE=offline`` keeps it on disk.
* **TensorBoard**: ``Global.use_tensorboard: true`` writes the same scalars with
  tensorboardX into ``<save_model_dir>/tensorboard`` (``pip install
  'ppocr-lr[tensorboard]'``).
* ``Global.use_visualdl: true`` gives PaddleOCR's warning: VisualDL is gone from PaddleOCR.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from .logs import logger
from .text import TrainError

VISUALDL_WARNING = "You are using VisualDL, the VisualDL is deprecated and removed in ppocr!"


class Tracking:
    """The writers a config asks for (none on ranks other than 0)."""

    def __init__(self, config: Mapping[str, Any], g: Mapping[str, Any], save_dir: str, rank: int):
        self.writers: list = []
        if g.get("use_visualdl"):
            logger.warning(VISUALDL_WARNING)
        if rank != 0:
            return
        if g.get("use_wandb") or "wandb" in config:
            self.writers.append(WandbWriter(config, save_dir))
        if g.get("use_tensorboard"):
            self.writers.append(TensorBoardWriter(os.path.join(save_dir, "tensorboard")))

    @property
    def active(self) -> bool:
        """Whether anything is tracked (the trainer gathers a step's metrics only then)."""
        return bool(self.writers)

    def log(self, metrics: Mapping[str, float], prefix: str, step: int) -> None:
        """``<prefix lowercased>/<key>`` for every metric, at ``step``."""
        named = {f"{prefix.lower()}/{key}": float(value) for key, value in metrics.items()}
        for writer in self.writers:
            writer.log(named, step)

    def close(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers = []


def _import(module: str, key: str, extra: str):
    try:
        return __import__(module)
    except ImportError:
        raise TrainError(
            f"{key}: the {module} package is not installed; install it with "
            f"pip install 'ppocr-lr[{extra}]'"
        ) from None


class WandbWriter:
    def __init__(self, config: Mapping[str, Any], save_dir: str):
        asked = "wandb" if "wandb" in config else "Global.use_wandb"
        section = config.get("wandb") or {}
        if not isinstance(section, Mapping):
            raise TrainError(f"wandb: got {section!r}; expected a block of wandb.init keys")
        wandb = _import("wandb", asked, "wandb")
        os.makedirs(save_dir, exist_ok=True)
        settings = {"dir": save_dir, "resume": "allow", **section}  # as PaddleOCR's WandbLogger
        settings.pop("save_dir", None)
        try:
            self.run = wandb.init(**settings)
        except TypeError as err:  # a key wandb.init does not take
            raise TrainError(f"wandb: {err}") from None
        self.run.config.update(dict(config), allow_val_change=True)

    def log(self, metrics: dict, step: int) -> None:
        self.run.log(metrics, step=step)

    def close(self) -> None:
        self.run.finish()


class TensorBoardWriter:
    def __init__(self, folder: str):
        tensorboardx = _import("tensorboardX", "Global.use_tensorboard", "tensorboard")
        self.writer = tensorboardx.SummaryWriter(logdir=folder)

    def log(self, metrics: dict, step: int) -> None:
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value, global_step=step)

    def close(self) -> None:
        self.writer.close()
