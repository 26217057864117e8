"""``ppocr-lr check``: every problem of a config's ``Optimizer`` block (lr, optimizer,
regularizer, clipping), each with its YAML path, without building a model."""

from __future__ import annotations

from typing import Any, Optional

from .. import messages
from ..errors import ConfigTypeError, ConfigValueError, shown
from ..optimizer import resolve_optimizer
from ..registry import build_lr_scheduler
from ..config import global_batch_size as batch_of, section
from .findings import findings

NOMINAL_STEPS_PER_EPOCH = 1000  # what `check` uses when no run length is given


def check(
    config: Any,
    steps_per_epoch: Optional[int] = None,
    epochs: Optional[int] = None,
    global_batch_size: Optional[int] = None,
) -> list[str]:
    """Every problem, each with its YAML path; an empty list when the block is clean
    (:func:`check_with_warnings` gives what ``show`` warns about the run too)."""
    return check_with_warnings(config, steps_per_epoch, epochs, global_batch_size)[0]


def check_with_warnings(
    config: Any,
    steps_per_epoch: Optional[int] = None,
    epochs: Optional[int] = None,
    global_batch_size: Optional[int] = None,
) -> tuple[list[str], list[str]]:
    """``(problems, warnings)``: every problem of the block (an error or a notice, each
    with its YAML path), and what the run's numbers say beyond the keys (``show``'s
    findings: a boundary past the end, a decay that the warm-up pushes past the last
    step), which do not make the block wrong.

    The run length is ``epochs`` (default ``Global.epoch_num``; an lr-only file needs it)
    times ``steps_per_epoch`` (default :data:`NOMINAL_STEPS_PER_EPOCH`).  Batch scaling
    is checked against ``global_batch_size`` (default: ``Train.loader.batch_size_per_card``
    of one process)."""
    problems: list[str] = []
    warnings: list[str] = []
    if not isinstance(config, dict):
        return [f"expected a config mapping, got {shown(config)}"], []
    if "Optimizer" not in config:
        if "lr" in config or "name" in config or "learning_rate" in config:
            config = {"Optimizer": {"lr": config.get("lr", config)}}
        else:
            return ["Optimizer: missing; expected the Optimizer block of a PaddleOCR config"], []
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

    def attempt(action) -> bool:
        with messages.collecting() as found:
            try:
                action()
                done = True
            except (ConfigValueError, ConfigTypeError) as err:
                problems.append(str(err))
                done = False
        problems.extend(str(n) for n in found)
        return done

    if not isinstance(optimizer, dict):
        return problems + [f"Optimizer: got {shown(optimizer)}; expected a mapping"], []
    built: list = []
    lr_ok = "lr" in optimizer and attempt(
        lambda: built.append(
            build_lr_scheduler(optimizer["lr"], epochs, spe, global_batch_size=global_batch_size)
        )
    )
    if lr_ok and isinstance(optimizer["lr"], dict):
        warnings = findings(built[0], optimizer["lr"])
    if not lr_only:
        # the whole block as build_optimizer reads it (the lr's problems were said: a
        # stand-in lr then, so each shows once)
        whole = (
            optimizer
            if lr_ok or "lr" not in optimizer
            else dict(optimizer, lr={"learning_rate": 1.0})
        )
        attempt(lambda: resolve_optimizer(whole, epochs, spe, False, global_batch_size))
        # the regularizer is read before the clipping keys: check those without it too
        if "regularizer" in whole:
            rest = {k: v for k, v in whole.items() if k != "regularizer"}
            attempt(lambda: resolve_optimizer(rest, epochs, spe, False, global_batch_size))
    return list(dict.fromkeys(problems)), warnings  # each problem once, in the order found
