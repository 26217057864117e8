"""``ppocr-lr check``: every problem of a config's ``Optimizer`` block (lr, optimizer,
regularizer, clipping), each with its YAML path, without building a model."""

from __future__ import annotations

from typing import Optional

from .. import messages
from ..errors import ConfigTypeError, ConfigValueError, shown
from ..optimizer import resolve_optimizer
from ..registry import build_lr_scheduler
from ..config import global_batch_size as batch_of, section

NOMINAL_STEPS_PER_EPOCH = 1000  # what `check` uses when no run length is given


def check(
    config: dict,
    steps_per_epoch: Optional[int] = None,
    epochs: Optional[int] = None,
    global_batch_size: Optional[int] = None,
) -> list[str]:
    """Every problem, each with its YAML path; an empty list when the block is clean.

    The run length is ``epochs`` (default ``Global.epoch_num``; an lr-only file needs it)
    times ``steps_per_epoch`` (default :data:`NOMINAL_STEPS_PER_EPOCH`).  Batch scaling
    is checked against ``global_batch_size`` (default: ``Train.loader.batch_size_per_card``
    of one process)."""
    problems: list[str] = []
    if not isinstance(config, dict):
        return [f"expected a config mapping, got {shown(config)}"]
    if "Optimizer" not in config:
        if "lr" in config or "name" in config or "learning_rate" in config:
            config = {"Optimizer": {"lr": config.get("lr", config)}}
        else:
            return ["Optimizer: missing; expected the Optimizer block of a PaddleOCR config"]
        lr_only = True
    else:
        lr_only = False
    try:
        if epochs is None:
            epochs = (section(config, "Global") or {}).get("epoch_num")
    except (ConfigValueError, ConfigTypeError) as err:
        problems.append(str(err))
    if epochs is None:
        problems.append(
            "the run length in epochs is unknown: pass --epochs"
            if lr_only
            else "Global.epoch_num: missing (the run length in epochs)"
        )
        epochs = 1
    spe = steps_per_epoch or NOMINAL_STEPS_PER_EPOCH
    optimizer = config["Optimizer"]
    if global_batch_size is None:
        try:
            global_batch_size = batch_of(config)[0]
        except (ConfigValueError, ConfigTypeError) as err:
            problems.append(str(err))

    def attempt(action):
        with messages.collecting() as found:
            try:
                action()
            except (ConfigValueError, ConfigTypeError) as err:
                problems.append(str(err))
        problems.extend(str(n) for n in found)

    if not isinstance(optimizer, dict):
        return problems + [f"Optimizer: got {shown(optimizer)}; expected a mapping"]
    if "lr" in optimizer:
        attempt(
            lambda: build_lr_scheduler(
                optimizer["lr"], epochs, spe, global_batch_size=global_batch_size
            )
        )
    if not lr_only:  # the rest of the block, with a stand-in lr so each problem shows once
        stand_in = dict(optimizer, lr={"learning_rate": 1.0}) if "lr" in optimizer else optimizer
        attempt(lambda: resolve_optimizer(stand_in, epochs, spe))
        # the regularizer is read before the clipping keys: check those without it too
        if "regularizer" in stand_in:
            rest = {k: v for k, v in stand_in.items() if k != "regularizer"}
            attempt(lambda: resolve_optimizer(rest, epochs, spe))
    return list(dict.fromkeys(problems))  # each problem once, in the order found
