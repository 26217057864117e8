"""The schedules PaddleOCR configs name, number for number as PaddleOCR computes them.

Notation in the formulas: ``t`` = steps since the warm-up ended (the step count when
there is none), ``spe`` = ``step_each_epoch``, ``T`` = the run in steps
(``epochs * spe``, less the warm-up with ``decay_ends_at_last_step``), ``lr0`` =
``learning_rate``.  Durations written in epochs become steps as PaddleOCR converts them.
Every schedule also takes the warm-up keys of :class:`~ppocr_lr.scheduler.LRSchedule`.
"""

from __future__ import annotations

from typing import ClassVar

from . import functions as F
from .errors import ConfigValueError
from .params import (
    LEARNING_RATE,
    POSITIVE,
    POSITIVE_RATE,
    RATE,
    REQUIRED,
    Choice,
    EpochBoundaries,
    Epochs,
    Flag,
    Number,
    NumberList,
    Param,
    StepBoundaries,
    Steps,
)
from .registry import register_scheduler
from .scheduler import LRSchedule

GAMMA = Param(
    "gamma",
    Number(minimum=0.0, maximum=1.0, minimum_open=True),
    REQUIRED,
    "factor applied at each decay step",
)


# Every PaddleOCR class reads ``warmup_epoch``, none reads ``warmup_steps``: in a
# PaddleOCR block that key is ignored unless honoured.
WARMUP_IN_STEPS = ("warmup_steps",)


class PaddleOCRSchedule(LRSchedule):
    """A PaddleOCR name: its warm-up climbs to ``learning_rate``, as PaddleOCR's
    ``LinearWarmup(end_lr=learning_rate)`` does, and keys PaddleOCR does not read are
    ignored unless honoured."""

    paddleocr_drops: ClassVar[tuple[str, ...]] = WARMUP_IN_STEPS

    def peak(self, p):
        return p.learning_rate


@register_scheduler("Const")
class Const(PaddleOCRSchedule):
    """``lr0`` at every step.  A block without ``name`` is ``Const``.

    Past the end: ``lr0``."""

    params = (LEARNING_RATE,)

    def decay(self, p, run_steps):
        return F.Constant(p.learning_rate)


@register_scheduler("Linear")
class Linear(PaddleOCRSchedule):
    """``(lr0 - end_lr) * (1 - min(t, T) / T) ** power + end_lr`` (Paddle's
    ``PolynomialDecay``).  Past the end: ``end_lr``."""

    params = (
        LEARNING_RATE,
        Param("end_lr", RATE, 0.0, "learning rate at the end of the run"),
        Param("power", POSITIVE, 1.0, "exponent of the decay; 1 is a straight line"),
    )

    def decay(self, p, run_steps):
        return F.PolynomialCurve(p.learning_rate, run_steps, p.end_lr, p.power)


@register_scheduler("Cosine")
class Cosine(PaddleOCRSchedule):
    """``eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T)) / 2`` (Paddle's
    ``CosineAnnealingDecay``).  Past the end it rises again (period ``2 T``), as in
    PaddleOCR.  With a PaddleOCR warm-up the decay runs ``W`` steps past the end of
    training and never quite reaches its floor; ``decay_ends_at_last_step: true``
    fixes that.  PaddleOCR does not read ``eta_min`` (the floor is 0): honour it to use
    it."""

    params = (
        LEARNING_RATE,
        Param("eta_min", RATE, 0.0, "the floor the cosine decays to (PaddleOCR: 0)"),
    )
    paddleocr_drops = ("eta_min",) + WARMUP_IN_STEPS

    def decay(self, p, run_steps):
        return F.CosineCurve(p.learning_rate, run_steps, p.eta_min)


@register_scheduler("Step")
class Step(PaddleOCRSchedule):
    """``lr0 * gamma ** floor(t / S)``, ``S = step_size * spe`` (Paddle's ``StepDecay``).
    Past the end: keeps decaying."""

    params = (
        LEARNING_RATE,
        Param("step_size", Epochs(), REQUIRED, "epochs between two decays"),
        GAMMA,
    )

    def decay(self, p, run_steps):
        return F.GeometricSteps(p.learning_rate, p.gamma, every=p.step_size)


@register_scheduler("MultiStepDecay")
class MultiStepDecay(PaddleOCRSchedule):
    """``lr0 * gamma ** n``, ``n`` = how many ``milestones * spe`` are <= t (Paddle's
    ``MultiStepDecay``).  Past the end: the last value."""

    params = (
        LEARNING_RATE,
        Param(
            "milestones",
            EpochBoundaries(),
            REQUIRED,
            "epochs at which the learning rate is multiplied by gamma",
        ),
        GAMMA,
    )

    def decay(self, p, run_steps):
        return F.GeometricSteps(p.learning_rate, p.gamma, milestones=p.milestones)


@register_scheduler("Piecewise")
class Piecewise(PaddleOCRSchedule):
    """``values[i]`` for the first ``i`` with ``t < decay_epochs[i] * spe``, else
    ``values[-1]`` (Paddle's ``PiecewiseDecay``).  ``boundaries`` gives the same in steps.

    As many values as boundaries (the PP-OCRv2/v3 configs): the last boundary keeps the
    last value, which is what those configs trained with under Paddle 2.x.  Past the end:
    the last value."""

    params = (
        Param(
            "decay_epochs",
            EpochBoundaries(),
            REQUIRED,
            "epochs at which the next value takes over",
            aliases={"boundaries": StepBoundaries()},
        ),
        Param("values", NumberList(RATE), REQUIRED, "learning rates, one more than boundaries"),
        Param(
            "learning_rate",
            RATE,
            None,
            "not used: Piecewise takes its rates from values (PaddleOCR ignores it too)",
        ),
    )

    def peak(self, p):
        return self.decay_schedule(0)  # values[0]

    def decay(self, p, run_steps):
        key = self.keys_written["decay_epochs"]
        values, bounds = list(p.values), p.decay_epochs
        if len(values) == len(bounds):
            self.notice(
                f"{self.path}.values",
                f"{len(values)} values for {len(bounds)} {key} (Paddle 3 refuses this)",
                f"Write {len(bounds) + 1} values to silence this",
                outcome=f"the last boundary keeps the last value ({values[-1]:g}), "
                "the meaning these configs trained with under Paddle 2.x",
            )
            values.append(values[-1])
        elif len(values) < len(bounds):
            raise ConfigValueError(
                f"{self.path}.values",
                f"got {len(values)} values for {len(bounds)} {key}; expected {len(bounds) + 1}",
            )
        elif len(values) > len(bounds) + 1:
            self.notice(
                f"{self.path}.values",
                f"{len(values)} values for {len(bounds)} {key}",
                outcome=f"only the first {len(bounds) + 1} are used",
            )
        if p.learning_rate is not None and p.learning_rate != values[0]:
            self.notice(
                f"{self.path}.learning_rate",
                f"{p.learning_rate:g} is written, but Piecewise takes its rates from values",
                outcome=f"not used, as in PaddleOCR: it starts at values[0] ({values[0]:g})",
            )
        return F.PiecewiseConstant(bounds, values[: len(bounds) + 1])


@register_scheduler("CyclicalCosine")
class CyclicalCosine(PaddleOCRSchedule):
    """A cosine restarted every ``C = round(cycle * spe)`` steps:
    ``eta_min + (lr0 - eta_min) * (1 + cos(pi * (t % C) / C)) / 2``.  Past the end: it
    keeps cycling."""

    params = (
        LEARNING_RATE,
        Param("cycle", Epochs(), REQUIRED, "length of one cosine cycle in epochs"),
        Param("eta_min", RATE, 0.0, "the floor of each cycle (PaddleOCR: 0)"),
    )
    paddleocr_drops = ("eta_min",) + WARMUP_IN_STEPS

    def decay(self, p, run_steps):
        return F.Cycle(F.CosineCurve(p.learning_rate, p.cycle, p.eta_min), p.cycle)


@register_scheduler("OneCycle")
class OneCycle(PaddleOCRSchedule):
    """The one-cycle policy over the run (PaddleOCR's ``OneCycleDecay``).

    ``initial = max_lr / div_factor``, ``min = initial / final_div_factor``.  Phases
    ``(end_step, from, to)``: ``(pct_start*T - 1, initial, max_lr)``,
    ``(T - 1, max_lr, min)``; with ``three_phase``: ``(pct_start*T - 1, initial,
    max_lr)``, ``(2*pct_start*T - 2, max_lr, initial)``, ``(T - 1, initial, min)``.  See
    :class:`ppocr_lr.functions.OneCyclePhases` for the annealing.  At ``t = T`` the last phase
    extrapolates one step (PaddleOCR's value); past the end the value at ``T`` is kept
    (PaddleOCR raises an error there).  PaddleOCR does not read ``pct_start``,
    ``div_factor`` or ``final_div_factor``: honour them to use them."""

    params = (
        Param("max_lr", POSITIVE_RATE, REQUIRED, "the peak learning rate"),
        Param("anneal_strategy", Choice(("cos", "linear")), "cos", "shape of each phase"),
        Param("three_phase", Flag(), False, "add a phase back down to initial"),
        Param("pct_start", Number(0.0, 1.0, True, True), 0.3, "share of the run spent rising"),
        Param("div_factor", Number(minimum=1.0), 25.0, "initial = max_lr / div_factor"),
        Param("final_div_factor", Number(minimum=1.0), 1e4, "min = initial / final_div_factor"),
        Param(
            "cycle_momentum",
            Flag(),
            False,
            "cycle the optimizer's momentum (beta1) opposite to the rate",
        ),
        # below 1: a momentum (Adam's beta1) of 1 never forgets, and the weights become NaN
        Param(
            "base_momentum",
            Number(0.0, 1.0, maximum_open=True),
            0.85,
            "momentum at the rate's peak",
        ),
        Param(
            "max_momentum", Number(0.0, 1.0, maximum_open=True), 0.95, "momentum at the rate's ends"
        ),
    )
    paddleocr_drops = ("pct_start", "div_factor", "final_div_factor") + WARMUP_IN_STEPS

    def peak(self, p):
        return p.max_lr

    def decay(self, p, run_steps):
        phases = self._phases(p, run_steps)
        if self.warmup_steps:
            self.notice(
                self.warmup_key,
                f"OneCycle's warm-up climbs to max_lr, then the "
                f"cycle starts again from max_lr / {p.div_factor:g}, as in "
                "PaddleOCR",
                "OneCycle already warms up in its first phase; "
                "remove the warm-up unless you want that jump",
            )
        return F.Hold(F.OneCyclePhases(phases, p.anneal_strategy), run_steps)

    def _phases(self, p, run_steps) -> list[tuple[float, float, float]]:
        """The rate's phases ``(end_step, from, to)`` (checked: each ends after the one
        before it)."""
        initial = p.max_lr / p.div_factor
        low = initial / p.final_div_factor
        rise_end = float(p.pct_start * run_steps) - 1
        if p.three_phase:
            phases = [
                (rise_end, initial, p.max_lr),
                (float(2 * p.pct_start * run_steps) - 2, p.max_lr, initial),
                (run_steps - 1, initial, low),
            ]
        else:
            phases = [(rise_end, initial, p.max_lr), (run_steps - 1, p.max_lr, low)]
        ends = [0.0] + [end for end, _, _ in phases]
        if any(b <= a for a, b in zip(ends[1:], ends[2:])) or ends[1] == 0.0:
            raise ConfigValueError(
                f"{self.path}.pct_start",
                f"a run of {run_steps} steps is too short for "
                f"{len(phases)} phases with pct_start {p.pct_start:g} (phase ends "
                f"{[round(e, 3) for e in ends[1:]]})",
                "Use more steps or another pct_start.",
            )
        return phases

    def momentum(self, p, run_steps):
        """With ``cycle_momentum``: the momentum runs opposite to the rate over the same
        phases (torch's ``cycle_momentum``), down from ``max_momentum`` to
        ``base_momentum`` while the rate climbs, back up while it falls, held at
        ``max_momentum`` in a third phase."""
        if not p.cycle_momentum:
            for name in ("base_momentum", "max_momentum"):
                if name in self.keys_written:
                    self.notice(
                        f"{self.path}.{name}",
                        "is set, but cycle_momentum is false",
                        "Add cycle_momentum: true to cycle the optimizer's momentum",
                        outcome="it has no effect",
                    )
            return None
        low_m, high_m = p.base_momentum, p.max_momentum
        turns = [(high_m, low_m), (low_m, high_m)] + ([(high_m, high_m)] if p.three_phase else [])
        return F.Hold(
            F.OneCyclePhases(
                [(end, a, b) for (end, _, _), (a, b) in zip(self._phases(p, run_steps), turns)],
                p.anneal_strategy,
            ),
            run_steps - 1,  # held at the last phase's end: no overshoot past max_momentum
        )


@register_scheduler("DecayLearningRate")
class DecayLearningRate(PaddleOCRSchedule):
    """``(lr0 - end_lr) * (1 - min(t, T) / T) ** factor + end_lr``.

    PaddleOCR's DecayLearningRate reads neither ``end_lr`` (it always decays to 0), nor
    a warm-up, nor ``last_epoch``: by default they are ignored, with a notice; honour them
    to use them.  Past the end: ``end_lr``."""

    params = (
        LEARNING_RATE,
        Param("factor", POSITIVE, 0.9, "exponent of the decay"),
        Param("end_lr", RATE, 0.0, "learning rate at the end of the run (PaddleOCR: 0)"),
    )
    paddleocr_drops = ("end_lr", "warmup_epoch", "warmup_steps", "last_epoch")

    def decay(self, p, run_steps):
        return F.PolynomialCurve(p.learning_rate, run_steps, p.end_lr, p.factor)


@register_scheduler("TwoStepCosine")
class TwoStepCosine(PaddleOCRSchedule):
    """Two cosines on the absolute step: ``T1 = 200 * spe`` (fixed, as in PaddleOCR),
    ``T2 = T``; ``(1 + cos(pi * t / T1)) * lr0 / 2`` for ``t <= T1``, else
    ``(1 + cos(pi * t / T2)) * lr0 / 2``.

    Without a warm-up PaddleOCR's recursion holds the learning rate at exactly 0 from
    ``T1`` to ``T2``; that is reproduced (with a warning), and the closed form applies
    with a warm-up, as in PaddleOCR."""

    params = (LEARNING_RATE,)
    FIRST_EPOCHS = 200

    def decay(self, p, run_steps):
        first = self.FIRST_EPOCHS * self.run.step_each_epoch
        late = F.CosineCurve(p.learning_rate, run_steps)
        if not self.warmup_steps and run_steps > first:
            self.notice(
                self.path,
                f"without a warm-up PaddleOCR's TwoStepCosine stays "
                f"at 0.0 from epoch {self.FIRST_EPOCHS} to the end of the run",
                "Add warmup_epoch for the schedule that rises again",
                outcome="reproduced",
            )
            late = F.Switch([run_steps + 1], [F.Constant(0.0), late])
        return F.Switch([first + 1], [F.CosineCurve(p.learning_rate, first), late])


@register_scheduler("LinearWarmupCosine")
class LinearWarmupCosine(PaddleOCRSchedule):
    """Linear from ``start_lr`` to ``lr0`` over ``warmup_steps`` steps (default 5000; not
    epochs), then ``min_lr + (lr0 - min_lr) * (1 + cos(pi * t / T)) / 2`` with
    ``T = epochs * spe``: PaddleOCR's ``CosineAnnealingDecay(lr0, T, eta_min=min_lr)``
    inside ``LinearWarmup(warmup_steps, start_lr, lr0)``.  As in PaddleOCR the cosine is
    not shortened by the warm-up (``decay_ends_at_last_step: true`` shortens it), and a
    warm-up longer than the run is allowed: the run then ends inside the warm-up.  Past
    the end the cosine rises again (period ``2 T``)."""

    params = (
        LEARNING_RATE,
        Param("min_lr", RATE, 1e-8, "the floor of the cosine"),
        # PaddleOCR's spellings and defaults of the shared warm-up keys
        Param(
            "warmup_steps",
            Steps(allow_zero=True),
            5000,
            "warm-up length in steps",
            aliases={"warmup_epoch": Epochs(allow_zero=True)},
        ),
        Param(
            "warmup_start_lr",
            RATE,
            1e-5,
            "learning rate at step 0 of the warm-up (PaddleOCR's key: start_lr)",
            aliases={"start_lr": RATE},
        ),
    )
    paddleocr_drops = ("warmup_epoch",)

    def decay(self, p, run_steps):
        return F.CosineCurve(p.learning_rate, run_steps, p.min_lr)
