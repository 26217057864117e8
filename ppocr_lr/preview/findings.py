"""What the numbers of a run say that the keys alone do not: a boundary or a duration
past the end, a decay that PaddleOCR's warm-up pushes past the last step."""

from __future__ import annotations

import math
from typing import Any, Iterator

from .. import messages
from ..errors import ConfigTypeError, ConfigValueError
from ..params import EpochBoundaries, Epochs, StepBoundaries, Steps
from ..registry import build_lr_scheduler
from ..scheduler import LRSchedule


def written(s: LRSchedule) -> Iterator[tuple[Any, str, Any, Any]]:
    """``(param, key, kind, value)`` for every key the block wrote, value in steps."""
    for p in type(s).all_params():
        key = s.keys_written.get(p.name)
        if key is not None and s.config[p.name] is not None:
            yield p, key, p.kind_for(key), s.config[p.name]


def as_written(block: dict, key: str, i: int) -> Any:
    """Item ``i`` of a list key as the user wrote it (a single value is a list of one)."""
    value = block.get(key)
    return value[i] if isinstance(value, (list, tuple)) else value


def findings(s: LRSchedule, block: dict) -> list[str]:
    """Changes past the end of the run, durations longer than it, and a decay that misses
    its end because the warm-up does not shorten it."""
    total, w, spe = s.total_steps, s.warmup_steps, s.run.step_each_epoch
    notes = []
    for p, key, kind, value in written(s):
        if p.name in ("warmup_steps", "last_epoch"):
            continue
        if isinstance(kind, (EpochBoundaries, StepBoundaries)):
            for i, b in enumerate(value):
                if w + b > total:
                    notes.append(
                        f"{s.path}.{key}[{i}] = {as_written(block, key, i)} is past "
                        f"the end of the run (the rate would change at step "
                        f"{w + b:,} of {total:,}): it never takes effect"
                    )
        elif isinstance(kind, (Epochs, Steps)) and value and w + value > total:
            notes.append(
                f"{s.path}.{key} = {block[key]} ({value:,} steps) is longer than the "
                f"run after the warm-up ({total - w:,} steps)"
            )
    if w and not s.config["decay_ends_at_last_step"] and w < total:
        try:  # the same block with its decay ending on the last step
            with messages.collecting():
                twin = build_lr_scheduler(
                    dict(block, decay_ends_at_last_step=True),
                    s.run.epochs,
                    spe,
                    global_batch_size=s.run.global_batch_size,
                )
        except (ConfigValueError, ConfigTypeError):
            return notes  # no such twin (too short for its phases): nothing to compare
        last, fitted = s.lr_at(total), twin.lr_at(total)
        if not math.isclose(last, fitted, rel_tol=1e-6, abs_tol=1e-15):
            notes.append(
                f"the decay runs {w:,} steps past the end of the run (PaddleOCR's "
                f"warm-up does not shorten it): the last step's learning rate is "
                f"{last:.6g}, not {fitted:.6g}; decay_ends_at_last_step: true ends "
                "the decay on the last step"
            )
    return notes
