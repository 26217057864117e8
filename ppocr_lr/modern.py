"""The schedules people reach for today: timm's cycles, transformers' warmup-stable-decay
and inverse square root, Paddle's Noam and cyclic schedules.  Each formula is in its
class's docstring.

Notation: ``t`` = steps since the warm-up ended (the step count when there is none, or
with ``warmup_prefix: false``), ``T`` = the run in steps, ``W`` = the warm-up,
``lr0`` = ``learning_rate``.  Each takes the warm-up keys of
:class:`~ppocr_lr.scheduler.LRSchedule`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Mapping


from . import functions as F
from . import stateful
from .errors import ConfigValueError, shown
from .params import (
    LEARNING_RATE,
    POSITIVE,
    RATE,
    REQUIRED,
    Blocks,
    Choice,
    EpochBoundaries,
    Epochs,
    Integer,
    Number,
    Param,
    StepBoundaries,
    Steps,
    duration,
    one_number,
)
from .registry import register_scheduler, scheduler_class
from .scheduler import LRSchedule

MIN_LR = Param("min_lr", RATE, 0.0, "the floor")


class _Cycles(LRSchedule):
    """timm's cycle schedules over :class:`ppocr_lr.functions.TimmCycleCurve`; the
    warm-up climbs to ``learning_rate``."""

    shape = ""
    params: ClassVar[tuple[Param, ...]] = (
        LEARNING_RATE,
        duration("cycle", "length of the first cycle (default: the whole run)"),
        Param("cycle_mul", Number(1.0, 1e6), 1.0, "each cycle is cycle_mul times longer"),
        Param(
            "cycle_decay",
            Number(0.0, 1.0, minimum_open=True),
            1.0,
            "each cycle's peak is cycle_decay times the last",
        ),
        Param(
            "cycle_limit", Integer(minimum=1), 1, "cycles run; afterwards the rate stays at min_lr"
        ),
        MIN_LR,
    )

    def peak(self, p):
        return p.learning_rate

    def decay(self, p, run_steps):
        return F.TimmCycleCurve(
            self.shape,
            p.learning_rate,
            p.cycle_steps or run_steps,
            p.cycle_mul,
            p.cycle_decay,
            p.cycle_limit,
            p.min_lr,
            **self.shape_keys(p),
        )

    def shape_keys(self, p) -> dict:
        return {"k_decay": p.k_decay}


K_DECAY = Param(
    "k_decay",
    Number(minimum=0.0, minimum_open=True, maximum=1e3),
    1.0,
    "the position within a cycle is (pos / len) ** k_decay",
)


@register_scheduler("CosineCycles")
class CosineCycles(_Cycles):
    """timm's ``CosineLRScheduler``: ``min_lr + (peak_i - min_lr) * (1 + cos(pi r)) / 2``
    with ``peak_i = lr0 * cycle_decay**i`` in cycle ``i``, ``r = (pos / len)**k_decay``;
    ``min_lr`` from cycle ``cycle_limit`` on."""

    shape = "cosine"
    params = _Cycles.params + (K_DECAY,)


@register_scheduler("PolyCycles")
class PolyCycles(_Cycles):
    """timm's ``PolyLRScheduler``: ``min_lr + (peak_i - min_lr) * (1 - r) ** power``."""

    shape = "poly"
    params = _Cycles.params + (K_DECAY, Param("power", POSITIVE, 0.5, "exponent of the decay"))

    def shape_keys(self, p):
        return {"k_decay": p.k_decay, "power": p.power}


@register_scheduler("TanhCycles")
class TanhCycles(_Cycles):
    """timm's ``TanhLRScheduler``: ``min_lr + (peak_i - min_lr) * (1 - tanh(lb * (1 - r) +
    ub * r)) / 2`` with ``r = pos / len``."""

    shape = "tanh"
    params = _Cycles.params + (
        Param("lb", Number(-1e3, 1e3), -7.0, "tanh's lower bound"),
        Param("ub", Number(-1e3, 1e3), 3.0, "tanh's upper bound"),
    )

    def shape_keys(self, p):
        return {"lb": p.lb, "ub": p.ub}


@register_scheduler("WarmupStableDecay")
class WarmupStableDecay(LRSchedule):
    """transformers' warmup-stable-decay: the warm-up (from ``min_lr`` unless
    ``warmup_start_lr`` is written), ``lr0`` for ``S = T - W - D`` steps, then the decay
    over ``D`` steps (``decay_steps``/``decay_epochs``, or ``decay_ratio`` of the run) to
    ``min_lr`` at the last step: ``linear``, ``cosine`` or ``1-sqrt``.  Past the end:
    ``min_lr``."""

    params = (
        LEARNING_RATE,
        duration("decay", "length of the decay (or decay_ratio)"),
        Param(
            "decay_ratio",
            Number(0.0, 1.0, minimum_open=True),
            None,
            "length of the decay as a fraction of the run",
        ),
        Param("decay_type", Choice(("cosine", "linear", "1-sqrt")), "cosine", "shape of the decay"),
        MIN_LR,
    )

    def warmup(self, p):
        start = p.warmup_start_lr if "warmup_start_lr" in self.keys_written else p.min_lr
        return p.warmup_steps, start

    def peak(self, p):
        return p.learning_rate

    def decay(self, p, run_steps):
        total = self.run.total_steps
        written = [k for k in ("decay_steps", "decay_ratio") if getattr(p, k) is not None]
        if len(written) != 1:
            keys = [self.keys_written.get(k, k) for k in ("decay_steps", "decay_ratio")]
            raise ConfigValueError(
                f"{self.path}.{keys[0]}",
                f"{'both' if written else 'neither'} "
                f"{self.path}.{keys[0]} and {self.path}.{keys[1]} "
                f"{'are' if written else 'is'} set; expected exactly one (the decay's length)",
            )
        length = p.decay_steps if p.decay_steps is not None else round(p.decay_ratio * total)
        offset = self.warmup_steps if self.config["warmup_prefix"] else 0
        stable = total - offset - length
        if length < 1 or stable < 0:
            key = self.keys_written[written[0]]
            raise ConfigValueError(
                f"{self.path}.{key}",
                f"a decay of {length} steps after a warm-up of "
                f"{offset} steps does not fit a run of {total} steps",
                "Shorten the decay or the warm-up.",
            )
        return F.StableDecayCurve(p.learning_rate, p.min_lr, stable, length, p.decay_type)


@register_scheduler("InverseSqrt")
class InverseSqrt(LRSchedule):
    """transformers' inverse square root: ``lr0 / sqrt((t + timescale) / timescale)``;
    ``timescale`` defaults to the warm-up's length, or 10000 without one."""

    params = (
        LEARNING_RATE,
        Param(
            "timescale",
            Number(minimum=1.0, maximum=1e15),
            None,
            "the rate is lr0 / sqrt(1 + t / timescale) (default: the warm-up's length, or 10000)",
        ),
    )

    def decay(self, p, run_steps):
        return F.InverseSqrtCurve(p.learning_rate, p.timescale or (self.warmup_steps or 10000))


@register_scheduler("Noam")
class Noam(LRSchedule):
    """Paddle's ``NoamDecay``: ``lr0 * d_model**-0.5 * min(t**-0.5, t * warmup_steps**-1.5)``;
    its own ``warmup_steps`` is part of the formula, not a separate ramp."""

    params = (
        Param("learning_rate", RATE, 1.0, "scale of the whole curve"),
        Param("d_model", Number(minimum=1.0, maximum=1e12), REQUIRED, "the model's width"),
        Param("warmup_steps", Steps(), REQUIRED, "steps of the rising part"),
    )

    def warmup(self, p):
        return 0, 0.0  # the rise is the formula's own

    def decay(self, p, run_steps):
        return F.NoamCurve(p.learning_rate, p.d_model, p.warmup_steps)


@register_scheduler("Cyclic")
class Cyclic(LRSchedule):
    """Paddle's ``CyclicLR``: from ``learning_rate`` up to ``max_lr`` over ``up`` steps and
    down over ``down`` steps, again and again; ``triangular2`` halves the height every
    cycle, ``exp_range`` scales it by ``exp_gamma**t``."""

    params = (
        Param("learning_rate", RATE, REQUIRED, "the low end of the cycle"),
        Param("max_lr", RATE, REQUIRED, "the high end of the cycle"),
        Param("up_steps", Steps(), REQUIRED, "steps going up", aliases={"up_epochs": Epochs()}),
        Param(
            "down_steps",
            Steps(),
            None,
            "steps going down",
            aliases={"down_epochs": Epochs()},
            default_text="as up",
        ),
        Param(
            "mode",
            Choice(("triangular", "triangular2", "exp_range")),
            "triangular",
            "how the height changes",
        ),
        Param(
            "exp_gamma",
            Number(0.0, 1.0, minimum_open=True),
            1.0,
            "exp_range: the height is scaled by exp_gamma ** t",
        ),
    )

    def peak(self, p):
        return p.learning_rate

    def decay(self, p, run_steps):
        if p.max_lr < p.learning_rate:
            raise ConfigValueError(
                f"{self.path}.max_lr",
                f"{p.max_lr:g} is below learning_rate ({p.learning_rate:g}), the low end",
            )
        return F.CyclicCurve(
            p.learning_rate, p.max_lr, p.up_steps, p.down_steps or p.up_steps, p.mode, p.exp_gamma
        )


@register_scheduler("Sequential")
class Sequential(LRSchedule):
    """Phases one after another (optax's ``join_schedules``, torch's ``SequentialLR``):
    phase ``j`` runs on its own clock from its boundary, ``lr(t) = phase_j(t - b_j)``; a
    duration a phase leaves out is its span (the last one's ends with the run).  A phase is
    any block, with its own keys and warm-up; problems inside it name their path
    (``Optimizer.lr.phases[1].learning_rate``)."""

    params = (
        Param("phases", Blocks(), REQUIRED, "lr blocks, one after another"),
        Param(
            "boundaries",
            StepBoundaries(),
            REQUIRED,
            "where each phase after the first starts, one fewer than phases",
            aliases={"boundary_epochs": EpochBoundaries()},
        ),
    )

    def decay(self, p, run_steps):
        key = self.keys_written["boundaries"]
        bounds = list(p.boundaries)
        if len(bounds) != len(p.phases) - 1:
            raise ConfigValueError(
                f"{self.path}.{key}",
                f"{len(bounds)} boundaries for {len(p.phases)} phases; "
                f"expected {len(p.phases) - 1}",
            )
        for j, bound in enumerate(bounds):
            if bound >= run_steps:
                self.notice(
                    f"{self.path}.{key}[{j}]",
                    f"phases[{j + 1}] starts at step {bound}, "
                    f"at or after the end of the run ({run_steps} steps)",
                    outcome="it never runs",
                )
        edges = [0, *bounds, max(run_steps, bounds[-1] + 1 if bounds else 1)]
        parts, self.phases = [], []
        for j, block in enumerate(p.phases):
            path = f"{self.path}.phases[{j}]"
            block = dict(block)
            if isinstance(block, dict) and "last_epoch" in block:
                raise ConfigValueError(
                    f"{path}.last_epoch",
                    f"got {block['last_epoch']!r}: a phase runs on the Sequential's clock, "
                    "which counts the steps already taken",
                    f"Write last_epoch on {self.path}, or leave it out.",
                )
            cls = scheduler_class(block.pop("name", "Const"), f"{path}.name")
            phase = cls.from_block(
                block, self.run.span(edges[j + 1] - edges[j]), path=path, strict=self.strict
            )
            parts.append(phase.schedule)
            self.phases.append(phase)
        return F.Switch(bounds, parts, offsets=[0, *bounds])

    @property
    def takes_reports(self) -> bool:
        """True when a phase hears evaluations: a report goes to the phase running then."""
        return any(phase.takes_reports for phase in self.phases)

    @property
    def drives_momentum(self) -> bool:
        """True when a phase drives the optimizer's momentum (in the other phases the
        momentum stays as the optimizer was built with it)."""
        return any(phase.drives_momentum for phase in self.phases)

    @property
    def momentum_path(self) -> str:
        return next(phase.momentum_path for phase in self.phases if phase.drives_momentum)

    def momentum_at(self, step: int) -> float | None:
        """The running phase's momentum on its own clock (None in a phase that drives
        none); during the block's own warm-up, the first phase's at its step 0."""
        t = max(self._decay_step(self._checked_step(step)), 0)
        j = self._phase_at(t)
        return self.phases[j].momentum_at(t - (self.config["boundaries"][j - 1] if j else 0))

    def _decay_step(self, t: int) -> int:
        """The phases' clock at step ``t``: after the block's own warm-up (negative during
        it), or the step itself with ``warmup_prefix: false``."""
        return t - self.warmup_steps if self.config["warmup_prefix"] else t

    def _phase_at(self, t: int) -> int:
        """The phase running at the decay's step ``t``."""
        return sum(1 for bound in self.config["boundaries"] if bound <= t)

    def report(self, metric) -> None:
        """Report one evaluation to the phase running now, on its own clock (a report to a
        phase that hears none is dropped: nothing listens then)."""
        value = _metric_value(metric)
        t = self._decay_step(self.last_epoch)
        j = self._phase_at(t)
        phase = self.phases[j]
        if phase.takes_reports:
            phase.last_epoch = t - (self.config["boundaries"][j - 1] if j else 0)
            phase.report(value)
            self.last_lr = self._lr(self.last_epoch)

    def state_dict(self) -> dict:  # type: ignore[override]  # Paddle's keys and more
        state = super().state_dict()
        plateaus = {
            str(j): phase.plateau_state()
            for j, phase in enumerate(self.phases)
            if phase.takes_reports
        }
        if plateaus:
            state["phase_plateaus"] = plateaus
        return state

    def set_state_dict(self, state_dict) -> None:
        saved = state_dict.get("phase_plateaus") if isinstance(state_dict, Mapping) else None
        restored = {}
        if saved is not None:  # checked whole before anything changes
            if not isinstance(saved, Mapping):
                raise ValueError(f"not a set of phase plateau states: {saved!r}")
            for key, state in saved.items():
                j = int(key) if isinstance(key, str) and key.isdigit() else -1
                if not 0 <= j < len(self.phases) or not self.phases[j].takes_reports:
                    raise ValueError(
                        f"phase_plateaus names phase {key!r}, which hears no "
                        "reports in this schedule"
                    )
                restored[j] = stateful.checked_plateau_state(state)
        before = {
            j: phase.plateau_state() for j, phase in enumerate(self.phases) if phase.takes_reports
        }
        for j, state in restored.items():
            self.phases[j].restore_plateau(state)
        try:
            super().set_state_dict(state_dict)
        except Exception:
            for j, state in before.items():
                self.phases[j].restore_plateau(stateful.checked_plateau_state(state))
            raise

    set_dict = set_state_dict

    def _rates_times(self, factor: float) -> dict:
        """Every phase's rates times ``factor``: the phases as written, their rates changed."""
        return {
            "phases": [
                {**written, **phase._rates_times(factor)}
                for phase, written in zip(self.phases, self.config["phases"])
            ]
        }


@register_scheduler("ReduceOnPlateau")
class ReduceOnPlateau(LRSchedule):
    """Paddle's ``ReduceOnPlateau`` after the warm-up: the rate stays where it is until the
    reported metric stops improving.  ``step()`` is one training iteration (it drives the
    warm-up, as for every schedule); ``step(metric)`` or ``report(metric)`` reports one
    evaluation.  A report improves when it beats the best by ``threshold`` (``rel``:
    ``best * (1 -/+ threshold)``, ``abs``: ``best -/+ threshold``); after more than
    ``patience`` reports without improvement, outside ``cooldown``, the rate becomes
    ``max(rate * factor, min_lr)`` when that changes it by more than ``epsilon``.  Reports
    during the warm-up are not counted.  ``lr_at`` and previews give the rate as it is
    now (a fresh schedule: no reduction)."""

    params = (
        LEARNING_RATE,
        Param(
            "mode",
            Choice(("min", "max")),
            "min",
            "min: lower is better (a loss); max: higher is better (an accuracy)",
        ),
        Param(
            "factor",
            Number(0.0, 1.0, minimum_open=True, maximum_open=True),
            0.1,
            "the rate is multiplied by factor at a plateau",
        ),
        Param("patience", Integer(minimum=0), 10, "reports without improvement allowed"),
        Param(
            "threshold",
            Number(minimum=0.0, maximum=1e10),
            1e-4,
            "the least change that counts as an improvement",
        ),
        Param(
            "threshold_mode",
            Choice(("rel", "abs")),
            "rel",
            "threshold relative to the best, or absolute",
        ),
        Param("cooldown", Integer(minimum=0), 0, "reports ignored after a reduction"),
        MIN_LR,
        Param("epsilon", Number(minimum=0.0), 1e-8, "a reduction smaller than this is not made"),
    )

    @property
    def takes_reports(self) -> bool:
        return True

    def peak(self, p):
        return p.learning_rate

    def decay(self, p, run_steps):
        rule = stateful.PlateauRule(
            **{f.name: getattr(p, f.name) for f in dataclasses.fields(stateful.PlateauRule)}
        )
        #: The reductions so far (:class:`ppocr_lr.stateful.Plateau`); reports move it.
        self.plateau = stateful.Plateau(rule, p.learning_rate)
        return stateful.PlateauRate(self.plateau)

    def step(self, metrics=None, epoch=None):
        """``step()``: one training iteration; ``step(metric)``: one evaluation (as Paddle's
        ``ReduceOnPlateau.step``)."""
        if metrics is None:
            super().step(epoch)
        else:
            self.report(metrics)

    def report(self, metric) -> None:
        """Report one evaluation of the monitored metric (not counted during the warm-up)."""
        value = _metric_value(metric)
        if self.last_epoch >= self.warmup_steps and self.plateau.report(value):
            self.last_lr = self._lr(self.last_epoch)

    def plateau_state(self) -> dict:
        """The reductions so far: best, bad, cooldown and the rate now."""
        return self.plateau.state()

    def restore_plateau(self, restored: dict) -> None:
        """Put back a checked :meth:`plateau_state`; a checkpoint written with another
        learning_rate or min_lr is told (its reductions are kept)."""
        written = {"learning_rate": self.plateau.start, "min_lr": self.plateau.rule.min_lr}
        changed = [
            f"{key} {restored[key]:g} -> {value:g}"
            for key, value in written.items()
            if key in restored and restored[key] != value
        ]
        if changed:
            self.notice(
                self.path,
                "resumed from a checkpoint whose block had another "
                + ", ".join(changed)
                + f" (the rate had reached {restored['rate']:g} there)",
                outcome=f"the checkpoint's rate {restored['rate']:g} and its reductions are kept",
            )
        self.plateau.restore(restored)

    def state_dict(self) -> dict:  # type: ignore[override]  # Paddle's keys and more
        state = super().state_dict()
        state["plateau"] = self.plateau_state()
        return state

    def set_state_dict(self, state_dict) -> None:
        saved = state_dict.get("plateau") if isinstance(state_dict, Mapping) else None
        # checked whole before anything changes; the rate first, for the step's rate
        restored = None if saved is None else stateful.checked_plateau_state(saved)
        before = self.plateau.state()
        if restored is not None:
            self.restore_plateau(restored)
        try:
            super().set_state_dict(state_dict)
        except Exception:
            self.plateau.restore(before)
            raise

    set_dict = set_state_dict


def _metric_value(metric) -> float:
    """A reported metric as a float: a number, a numpy scalar, or a one-element array or
    tensor, finite."""
    try:
        value = one_number(metric)
    except TypeError as err:
        raise TypeError(
            f"a reported metric must be one number, got {shown(metric)} ({err})"
        ) from None
    except ValueError as err:
        raise ValueError(f"the reported metric {shown(metric)} is {err}") from None
    if not math.isfinite(value):  # inf would stay the best for good; NaN is never better
        raise ValueError(f"the reported metric is {value}; expected a finite number")
    return value


def plateau_hears_higher(optimizer: Mapping, indicator: str) -> Mapping:
    """The Optimizer block with ``mode: max`` filled in for every ReduceOnPlateau, top-level
    or a Sequential phase, that is to hear ``indicator`` (PaddleOCR's ``main_indicator``:
    acc, hmean, norm_edit_dis, all better when higher); a ``mode`` written otherwise is an
    error naming its path.  Any other block comes back as it is."""

    def fill(block, path):
        if not isinstance(block, Mapping):
            return block
        if block.get("name") == "ReduceOnPlateau":
            if block.get("mode", "max") != "max":
                raise ConfigValueError(
                    f"{path}.mode",
                    f"got {block['mode']!r}, but the schedule hears "
                    f"Metric.main_indicator ({indicator}), which is better when higher",
                    "Write max, or leave mode out.",
                )
            return dict(block, mode="max")
        if block.get("name") == "Sequential" and isinstance(block.get("phases"), list):
            return dict(
                block,
                phases=[
                    fill(phase, f"{path}.phases[{j}]") for j, phase in enumerate(block["phases"])
                ],
            )
        return block

    if not isinstance(optimizer, Mapping) or not isinstance(optimizer.get("lr"), Mapping):
        return optimizer
    return dict(optimizer, lr=fill(optimizer["lr"], "Optimizer.lr"))
