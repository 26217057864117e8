"""The one adapter between pure schedules and Paddle: :class:`LRSchedule`.

Every named schedule subclasses :class:`LRSchedule`, declares its YAML keys and says how
its decay is computed (:meth:`LRSchedule.decay`, returning a pure
:class:`~ppocr_lr.functions.Schedule`).  This class does the rest once for all of them:

* reads and checks the keys (:mod:`ppocr_lr.params`) and the run length;
* the warm-up (``warmup_epoch`` / ``warmup_steps``, ``warmup_start_lr``, and
  ``decay_ends_at_last_step``);
* the step counter, ``state_dict`` / ``set_state_dict`` (exact resume, PaddleOCR
  checkpoints, warnings on structure changes);
* ``lr_at`` / ``lr_array`` / ``total_steps``.

It subclasses ``paddle.optimizer.lr.LRScheduler``, so any Paddle optimizer takes it as
its ``learning_rate`` and saves its state in ``optimizer.state_dict()``.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, ClassVar, Mapping

import numpy as np
from paddle.optimizer.lr import LRScheduler

from . import functions as F
from .errors import ConfigValueError, warn
from .params import Epochs, Flag, Integer, Number, Param, RunLength, Steps, parse_block

# Keys every schedule accepts.  A schedule may change their defaults (``overrides``).
WARMUP_PARAMS: tuple[Param, ...] = (
    Param("warmup_steps", Steps(allow_zero=True), 0,
          "warm-up length; warmup_epoch is rounded to steps as PaddleOCR does "
          "(round(warmup_epoch * step_each_epoch))",
          aliases={"warmup_epoch": Epochs(allow_zero=True)}),
    Param("warmup_start_lr", Number(minimum=0.0), 0.0,
          "learning rate at step 0 of the warm-up"),
    Param("decay_ends_at_last_step", Flag(), False,
          "true: the warm-up is taken out of the decay, which then ends at the last "
          "training step; false (PaddleOCR): the decay keeps its full length and starts "
          "after the warm-up"),
    Param("last_epoch", Integer(minimum=-1), -1,
          "steps already taken before this run (-1: none); PaddleOCR's key"),
)

# Written by PaddleOCR trainers into every lr block; the trainer's values win.
RUN_KEYS = ("epochs", "step_each_epoch")

STATE_FORMAT = 1


class LRSchedule(LRScheduler):
    """A learning-rate schedule built from a YAML block, stepped once per iteration.

    Subclasses set :attr:`params` and implement :meth:`decay`.  Construct one directly
    (``Cosine(epochs=500, step_each_epoch=1200, learning_rate=0.001, warmup_epoch=5)``)
    or from YAML with :func:`ppocr_lr.build_lr_scheduler`.

    Warm-up (every schedule): with ``W`` warm-up steps (``warmup_steps``, or
    ``round(warmup_epoch * step_each_epoch)``) the learning rate is
    ``(peak - warmup_start_lr) * t / W + warmup_start_lr`` for ``t < W`` and
    ``decay(t - W)`` afterwards.  ``peak`` is the decay's value at its step 0 (for the
    PaddleOCR names, the value PaddleOCR warms up to).  By default the decay keeps its
    full length, as in PaddleOCR, so it ends ``W`` steps after the run; with
    ``decay_ends_at_last_step: true`` the decay is ``W`` steps shorter and ends exactly
    at the last training step.

    ``t`` is the number of ``step()`` calls so far (Paddle's ``last_epoch``).
    """

    #: The YAML name (set by :func:`ppocr_lr.register_scheduler`).
    name: ClassVar[str] = ""
    #: The schedule's own YAML keys.
    params: ClassVar[tuple[Param, ...]] = ()
    #: New defaults for the shared warm-up keys, e.g. ``{"warmup_steps": 5000}``.
    overrides: ClassVar[Mapping[str, Any]] = {}
    #: The key whose value the warm-up climbs to; None: the decay's value at its step 0.
    warmup_peak: ClassVar[str | None] = None
    #: The key holding the warm-up's first learning rate.
    warmup_start_key: ClassVar[str] = "warmup_start_lr"

    def __init__(self, epochs: int, step_each_epoch: int, *, strict: bool = False,
                 path: str | None = None, **config: Any):
        path = path or type(self).name or type(self).__name__
        self._build(epochs, step_each_epoch, config, path, strict)
        super().__init__(learning_rate=self.peak_lr, last_epoch=self.config["last_epoch"])

    # ------------------------------------------------------------------ building

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        """The schedule's keys followed by the shared warm-up keys."""
        own = {p.name for p in cls.params}
        shared = []
        for p in WARMUP_PARAMS:
            if p.name in own or (p.name == "warmup_start_lr"
                                 and cls.warmup_start_key != p.name):
                continue
            if p.name in cls.overrides:
                p = Param(p.name, p.kind, cls.overrides[p.name], p.doc, p.aliases)
            shared.append(p)
        return tuple(cls.params) + tuple(shared)

    def _build(self, epochs, step_each_epoch, config, path, strict):
        self.run = RunLength.checked(epochs, step_each_epoch)
        parsed = parse_block(config, self.all_params(), path, self.run, strict)
        values = parsed.values
        self.path = path
        #: Every key's value (durations in steps), where it came from, the key written.
        self.config, self.sources, self.keys_written = values, parsed.sources, parsed.keys
        p = SimpleNamespace(**values)
        self.warmup_steps = values["warmup_steps"]
        if values["decay_ends_at_last_step"] and self.warmup_steps >= self.run.total_steps:
            raise ConfigValueError(
                self.warmup_key,
                f"a warm-up of {self.warmup_steps} steps leaves no steps for the decay in a "
                f"run of {self.run.total_steps} steps (decay_ends_at_last_step is true)",
                "Shorten the warm-up.")
        if self.warmup_steps > self.run.total_steps:
            warn(f"{self.warmup_key}: the warm-up ({self.warmup_steps} steps) is longer "
                 f"than the run ({self.run.total_steps} steps); the decay never starts")
        decay_run = self.run.total_steps - (
            self.warmup_steps if values["decay_ends_at_last_step"] else 0)
        self.decay_schedule = self.decay(p, decay_run)
        self.peak_lr = float(self.peak(p))
        start = values[self.warmup_start_key]
        if self.warmup_steps and start > self.peak_lr:
            warn(f"{path}.{self.warmup_start_key} ({start:g}) is above the learning rate the "
                 f"warm-up climbs to ({self.peak_lr:g}): the warm-up goes down")
        self.schedule = F.warmup(self.decay_schedule, self.warmup_steps, start, self.peak_lr)
        self._lr = self.schedule.scalar()

    @property
    def warmup_key(self) -> str:
        """The YAML path of the warm-up length as written (``warmup_epoch`` or
        ``warmup_steps``)."""
        return f"{self.path}.{self.keys_written.get('warmup_steps', 'warmup_epoch')}"

    def peak(self, p: SimpleNamespace) -> float:
        """The learning rate the warm-up climbs to: the ``warmup_peak`` key's value, or
        the decay's value at its step 0 (a continuous hand-over)."""
        return getattr(p, self.warmup_peak) if self.warmup_peak else self.decay_schedule(0)

    def decay(self, p: SimpleNamespace, run_steps: int) -> F.Schedule:
        """The schedule after warm-up, as a pure function of its own step.

        ``p`` holds the parsed keys (durations already in steps); ``run_steps`` is the
        length a duration that is left out stands for (the whole run, less the warm-up
        with ``decay_ends_at_last_step``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ stepping

    def get_lr(self) -> float:
        return self._lr(self.last_epoch)

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or jump to step ``epoch``) and update the learning rate."""
        if epoch is None:
            self.last_epoch += 1
        else:
            self.last_epoch = _step_number(epoch, "epoch")
        self.last_lr = self._lr(self.last_epoch)
        if self.verbose:
            print(f"Step {self.last_epoch}: {self.name} set learning rate to {self.last_lr}.")

    @property
    def total_steps(self) -> int:
        """The run length the schedule was built for: ``epochs * step_each_epoch``."""
        return self.run.total_steps

    def lr_at(self, step: int) -> float:
        """The learning rate after ``step`` calls of ``step()``; changes nothing."""
        return self._lr(_step_number(step, "step"))

    def lr_array(self, steps) -> np.ndarray:
        """``lr_at`` for every step of an array (vectorised; the same bits as ``lr_at``)."""
        array = np.asarray(steps)
        if array.dtype.kind not in "iu":
            if array.dtype.kind != "f" or not np.all(np.isfinite(array)) or np.any(
                    array != np.floor(array)):
                raise TypeError(f"steps must be whole numbers, got {array.dtype} values")
        array = np.asarray(array, dtype=np.int64)
        if array.size and array.min() < 0:
            raise ValueError(f"steps count from 0; got {int(array.min())}")
        return self.schedule.array(array)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        """``last_epoch`` and ``last_lr`` as every Paddle scheduler has them, the nested
        ``LinearWarmup_LR`` that PaddleOCR's warm-up schedules write (so PaddleOCR can
        load it too), and a ``ppocr_lr`` entry describing the schedule."""
        t = self.last_epoch
        state = {"last_epoch": t, "last_lr": self.last_lr}
        if self.warmup_steps:
            inner_t = max(t - self.warmup_steps, 0)
            state["LinearWarmup_LR"] = {"last_epoch": inner_t,
                                        "last_lr": self.decay_schedule(inner_t)}
        state["ppocr_lr"] = self._signature()
        return state

    def _signature(self) -> dict:
        return {"format": STATE_FORMAT, "name": self.name,
                "total_steps": self.total_steps, "warmup_steps": self.warmup_steps}

    def set_state_dict(self, state_dict: Mapping) -> None:
        """Continue from a saved state: this schedule's own, a PaddleOCR one, or one from
        a schedule of another shape (the step is kept, and a warning says what changed and
        how the learning rate moves)."""
        if not isinstance(state_dict, Mapping) or "last_epoch" not in state_dict:
            raise ValueError(
                "not a learning-rate scheduler state: expected a mapping with 'last_epoch' "
                f"(the saved step), got {_short(state_dict)}")
        t = _step_number(state_dict["last_epoch"], "the saved 'last_epoch'", minimum=-1)
        changes = self._structure_changes(state_dict, t)
        self.last_epoch = t
        self.last_lr = self._lr(t) if t >= 0 else self.peak_lr
        saved_lr = state_dict.get("last_lr")
        if isinstance(saved_lr, (int, float, np.floating)) and not math.isclose(
                saved_lr, self.last_lr, rel_tol=1e-9):
            changes.append(f"the learning rate at step {t} is {self.last_lr:.6g} here, "
                           f"{float(saved_lr):.6g} in the checkpoint")
        if changes:
            warn(f"{self.name}: resumed at step {t} from a schedule of another shape: "
                 + "; ".join(changes) + ".")

    set_dict = set_state_dict

    def _structure_changes(self, state: Mapping, t: int) -> list[str]:
        saved = state.get("ppocr_lr")
        changes = []
        if isinstance(saved, Mapping):
            mine = self._signature()
            for key, label in (("name", "schedule"), ("total_steps", "run length (steps)"),
                               ("warmup_steps", "warm-up (steps)")):
                if saved.get(key) != mine[key]:
                    changes.append(f"{label} {saved.get(key)!r} -> {mine[key]!r}")
            return changes
        # A PaddleOCR checkpoint: LinearWarmup's state nests the decay's.
        inner = state.get("LinearWarmup_LR")
        if inner is None and self.warmup_steps:
            changes.append(f"the checkpoint has no warm-up, this schedule a {self.warmup_steps}-"
                           "step one")
        elif isinstance(inner, Mapping) and not self.warmup_steps:
            changes.append("the checkpoint has a warm-up, this schedule none")
        elif isinstance(inner, Mapping) and t > self.warmup_steps:
            inner_t = inner.get("last_epoch")
            if isinstance(inner_t, int) and t - inner_t != self.warmup_steps and inner_t > 0:
                changes.append(f"warm-up (steps) {t - inner_t} -> {self.warmup_steps}")
        return changes

    def describe(self) -> str:
        """A one-line summary: name, run length, warm-up."""
        warm = f", warm-up {self.warmup_steps} steps" if self.warmup_steps else ""
        return (f"{self.name}: {self.total_steps} steps ({self.run.epochs} epochs x "
                f"{self.run.step_each_epoch}){warm}")

    def __repr__(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in self.config.items()
                         if self.sources.get(k) == "config")
        return (f"{type(self).__name__}(epochs={self.run.epochs}, "
                f"step_each_epoch={self.run.step_each_epoch}{', ' if keys else ''}{keys})")


def _step_number(value: Any, what: str, minimum: int = 0) -> int:
    whole = (isinstance(value, (int, np.integer, float, np.floating))
             and not isinstance(value, bool) and math.isfinite(value)
             and value == math.floor(value))
    if not whole:
        raise TypeError(f"{what} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value!r}")
    return int(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


__all__ = ["LRSchedule", "WARMUP_PARAMS", "RUN_KEYS"]
