"""What a schedule remembers besides its step, apart from the formulas.

A formula (:mod:`ppocr_lr.functions`) is a function of the step alone: resuming is
setting the step.  Two schedules need more, and keep it here, each with its save and
restore beside it:

* :class:`Plateau`: ReduceOnPlateau's reductions, moved by reported evaluations.
  :class:`PlateauRate` is the schedule that reads its rate, so a plateau composes with
  the warm-up and with ``Sequential`` phases like any curve.
* :class:`MomentumDrive`: sets an optimizer's momentum (Adam's ``beta1``) from a
  schedule's momentum curve after every step.  It remembers nothing the step does not
  give: restoring is driving it at the restored step.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping

from . import functions as F
from . import step_code


@dataclasses.dataclass(frozen=True)
class PlateauRule:
    """When a plateau reduces its rate (ReduceOnPlateau's keys, as Paddle reads them)."""

    mode: str  # "min": lower is better; "max": higher is better
    factor: float  # the rate is multiplied by factor at a plateau
    patience: int  # reports without improvement allowed
    threshold: float  # the least change that counts as an improvement
    threshold_mode: str  # "rel" (relative to the best) or "abs"
    cooldown: int  # reports ignored after a reduction
    min_lr: float  # the rate is never reduced below it
    epsilon: float  # a reduction smaller than this is not made

    def better(self, value: float, best: float) -> bool:
        margin = best * self.threshold if self.threshold_mode == "rel" else self.threshold
        return value < best - margin if self.mode == "min" else value > best + margin


class Plateau:
    """The reductions so far: the best report, the reports without improvement, the
    cooldown left and the rate now (Paddle's ``ReduceOnPlateau`` bookkeeping)."""

    def __init__(self, rule: PlateauRule, rate: float):
        self.rule, self.rate = rule, float(rate)
        self.start = self.rate  # the block's learning_rate, for a checkpoint to compare
        self.best: float | None = None
        self.bad = 0
        self.cooldown = 0

    def report(self, value: float) -> bool:
        """Count one evaluation; True when it lowered the rate."""
        rule = self.rule
        if self.cooldown > 0:
            self.cooldown -= 1
            return False
        if self.best is None or rule.better(value, self.best):
            self.best, self.bad = value, 0
        else:
            self.bad += 1
        if self.bad <= rule.patience:
            return False
        self.cooldown, self.bad = rule.cooldown, 0
        lowered = max(self.rate * rule.factor, rule.min_lr)
        if self.rate - lowered > rule.epsilon:
            self.rate = lowered
            return True
        return False

    def state(self) -> dict:
        """What a checkpoint keeps: best, bad, cooldown and the rate now, with the block's
        learning_rate and min_lr (a resume with other ones is told)."""
        return {
            "best": self.best,
            "bad": self.bad,
            "cooldown": self.cooldown,
            "rate": self.rate,
            "learning_rate": self.start,
            "min_lr": self.rule.min_lr,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Put back a state :func:`checked_plateau_state` accepted."""
        self.best, self.bad = state["best"], state["bad"]
        self.cooldown, self.rate = state["cooldown"], state["rate"]


def checked_plateau_state(saved: Any) -> dict:
    """A saved plateau state, checked before anything changes: best (a number or None),
    bad and cooldown (whole numbers >= 0), rate (a learning rate), and learning_rate and
    min_lr when the checkpoint has them (states written before them load too)."""
    if not isinstance(saved, Mapping):
        raise ValueError(f"not a plateau state: {saved!r}")
    best, bad, cooldown, rate = (saved.get(k) for k in ("best", "bad", "cooldown", "rate"))
    whole = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (bad, cooldown))
    number = (
        isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0.0 <= rate < math.inf
    )
    if not whole or not number or not (best is None or isinstance(best, (int, float))):
        raise ValueError(f"not a plateau state (best, bad, cooldown, rate): {saved!r}")
    checked: dict[str, Any] = {
        "best": None if best is None else float(best),
        "bad": bad,
        "cooldown": cooldown,
        "rate": float(rate),  # type: ignore[arg-type]  # a number: checked above
    }
    for key in ("learning_rate", "min_lr"):
        value = saved.get(key)
        if value is None:
            continue
        if not (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and 0.0 <= value < math.inf
        ):
            raise ValueError(f"not a plateau state ({key}: {value!r}): {saved!r}")
        checked[key] = float(value)
    return checked


class PlateauRate(F.Schedule):
    """The plateau's rate now, at every step (read when the step is taken, so a reduction
    shows from the next step on, in ``step()`` and in ``lr_at``)."""

    def __init__(self, plateau: Plateau):
        self.plateau = plateau

    def formula(self, t, xp=F.SCALAR):
        return self.plateau.rate

    def emit(self, code: step_code.Code, t):
        return code.assign(f"{code.bind(self.plateau)}.rate")


class MomentumDrive:
    """Sets ``optimizer.<attribute>`` to ``momentum_at(t)`` for step ``t`` (the value
    the optimizer had when the drive was attached where ``momentum_at`` gives None: a
    phase that drives nothing)."""

    def __init__(self, momentum_at: Callable[[int], float | None], optimizer, attribute: str):
        self.momentum_at, self.optimizer, self.attribute = momentum_at, optimizer, attribute
        self.written = getattr(optimizer, attribute)

    def __call__(self, t: int) -> None:
        value = self.momentum_at(max(t, 0))
        setattr(self.optimizer, self.attribute, self.written if value is None else value)


__all__ = [
    "MomentumDrive",
    "Plateau",
    "PlateauRate",
    "PlateauRule",
    "checked_plateau_state",
]
