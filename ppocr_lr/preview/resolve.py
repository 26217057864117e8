"""A :class:`Preview`: the schedule a source and a run length build, what ppocr_lr says
about it, and its learning-rate curve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np

from .. import messages
from ..params import EpochBoundaries, StepBoundaries
from ..registry import build_lr_scheduler
from ..scheduler import LRSchedule
from .findings import findings, written
from .run_length import run_length
from .sources import Source, read_source

#: Runs up to this many steps are evaluated at every step; longer ones on an even grid of
#: this many steps plus every step where the schedule changes course (a boundary, the
#: warm-up's end, the first and last steps).
EVERY_STEP_UP_TO = 2_000_000


@dataclass
class Preview:
    """A resolved schedule and what a user should know about it."""

    label: str
    schedule: LRSchedule
    block: dict = field(default_factory=dict)  # the lr block as written
    run_sources: dict = field(default_factory=dict)  # epochs / step_each_epoch -> origin
    warnings: list = field(default_factory=list)
    overridden: frozenset = field(default_factory=frozenset)  # key paths set with -o
    _curve: Optional[tuple] = None

    @property
    def sampled(self) -> bool:
        """Whether the curve is a sample of the run (too long to evaluate every step)."""
        return self.schedule.total_steps + 1 > EVERY_STEP_UP_TO

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, learning rates)`` over the run, its last step included."""
        if self._curve is None:
            s = self.schedule
            total, w = s.total_steps, s.warmup_steps
            if not self.sampled:
                steps = np.arange(total + 1)
            else:
                marks = [0, w - 1, w, total]
                for _, _, kind, value in written(s):
                    if isinstance(kind, (EpochBoundaries, StepBoundaries)):
                        marks += [w + b + d for b in value for d in (-1, 0)]
                steps = np.unique(
                    np.concatenate(
                        [
                            np.linspace(0, total, EVERY_STEP_UP_TO).round().astype(np.int64),
                            np.array([m for m in marks if 0 <= m <= total], dtype=np.int64),
                        ]
                    )
                )
            self._curve = (steps, s.lr_array(steps))
        return self._curve


def build(
    source: Source,
    epochs: int,
    steps_per_epoch: int,
    origins: dict,
    global_batch_size: Optional[int] = None,
) -> Preview:
    """Build the schedule, collecting its notices and what the run says about it."""
    with messages.collecting() as said:
        schedule = build_lr_scheduler(
            source.lr_block, epochs, steps_per_epoch, global_batch_size=global_batch_size
        )
    return Preview(
        source.label,
        schedule,
        dict(source.lr_block),
        origins,
        [str(n) for n in said] + findings(schedule, source.lr_block),
        source.overridden,
    )


def load(
    path: Optional[str] = None,
    inline: Optional[str] = None,
    *,
    epochs: Optional[int] = None,
    steps_per_epoch: Optional[int] = None,
    dataset_size: Optional[int] = None,
    batch_size: Optional[int] = None,
    nproc: int = 1,
    overrides: Iterable[str] = (),
    label: Optional[str] = None,
) -> Preview:
    """:func:`read_source`, :func:`run_length` and :func:`build` in one call."""
    source = read_source(path, inline, overrides, label)
    return build(
        source, *run_length(source, epochs, steps_per_epoch, dataset_size, batch_size, nproc)
    )
