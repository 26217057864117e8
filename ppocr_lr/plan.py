"""A schedule resolved: a YAML block, the run length and the global batch turned into a
frozen :class:`Plan`, the values with where each came from, the keys PaddleOCR ignores,
batch scaling, the warm-up and the curve.

:func:`resolve` makes every check a block gets, once, in this order:

1. the keys (:func:`ppocr_lr.params.parse_block`: unknown keys, types, ranges, epochs to
   steps);
2. PaddleOCR's numbers: a key PaddleOCR's class does not read is set back to its default,
   with a notice, unless the block lists it under ``honour``;
3. batch scaling: every rate key times the factor for the global batch;
4. the warm-up and the schedule's own formula (the schedule class's hooks ``warmup``,
   ``decay``, ``momentum``, ``peak``), joined into the curve.

:class:`~ppocr_lr.scheduler.LRSchedule`, the Paddle adapter, keeps the plan and steps
it; ``ppocr-lr show`` prints it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from types import MappingProxyType, SimpleNamespace
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from . import functions as F
from .errors import ConfigValueError
from .messages import collecting, notice
from .params import (
    MAX_LR,
    MAX_STEPS,
    POSITIVE_RATE,
    RATE,
    Choice,
    Epochs,
    Flag,
    Integer,
    KeyList,
    NumberList,
    Param,
    RunLength,
    Steps,
    parse_block,
    pop_strict,
)

if TYPE_CHECKING:
    from .scheduler import LRSchedule

BATCH_RULES = ("none", "linear", "sqrt")

# Keys every schedule accepts.  A schedule that declares one of them in its own ``params``
# (another default, another spelling) replaces it.
WARMUP_PARAMS: tuple[Param, ...] = (
    Param(
        "warmup_steps",
        Steps(allow_zero=True),
        0,
        "warm-up length; warmup_epoch is rounded to steps as PaddleOCR does "
        "(round(warmup_epoch * step_each_epoch))",
        aliases={"warmup_epoch": Epochs(allow_zero=True)},
    ),
    Param("warmup_start_lr", RATE, 0.0, "learning rate at step 0 of the warm-up"),
    Param(
        "decay_ends_at_last_step",
        Flag(),
        False,
        "true: the warm-up is taken out of the decay, which then ends at the last "
        "training step; false (PaddleOCR): the decay keeps its full length and starts "
        "after the warm-up",
    ),
    Param(
        "warmup_prefix",
        Flag(),
        True,
        "true: the decay starts after the warm-up; false (timm's default): the decay runs "
        "on the absolute step and the warm-up replaces its first steps",
    ),
    Param(
        "by_epoch",
        Flag(),
        False,
        "true: the decay's clock advances once an epoch (the warm-up still ramps every step)",
    ),
    Param(
        "last_epoch",
        Integer(minimum=-1, maximum=MAX_STEPS),
        -1,
        "steps already taken before this run (-1: none); PaddleOCR's key",
    ),
    Param(
        "batch_scaling",
        Choice(BATCH_RULES),
        "none",
        "scale every learning rate of the block with the global batch B (processes x "
        "batch_size_per_card): linear multiplies by B / reference_batch_size, sqrt by its "
        "square root; none (PaddleOCR) keeps the rates as written",
    ),
    Param(
        "reference_batch_size",
        Integer(minimum=1, maximum=MAX_STEPS),
        None,
        "the global batch the block's rates were chosen for (with batch_scaling)",
    ),
)
HONOUR = "honour"

# Written by PaddleOCR trainers into every lr block; the trainer's values win.
RUN_KEYS = ("epochs", "step_each_epoch")


@dataclasses.dataclass(frozen=True)
class Plan:
    """A schedule resolved from its block: everything :class:`LRSchedule` steps, and
    everything ``ppocr-lr show`` prints."""

    name: str  # the YAML name
    path: str  # the block's YAML path (Optimizer.lr, Optimizer.lr.phases[1])
    run: RunLength  # the run; scaled_by: the batch scaling of this block or one around it
    strict: bool  # notices are errors
    #: Every key's value (durations in steps; rates as written: batch scaling multiplies
    #: the curve), by parameter name.
    values: Mapping[str, Any]
    sources: Mapping[str, str]  # "config" or "default", by parameter name
    keys_written: Mapping[str, str]  # the key as written (warmup_epoch), by parameter name
    #: Parameter name -> (key written, value written) for keys PaddleOCR does not read.
    ignored: Mapping[str, tuple[str, Any]]
    #: Key -> (value written, value used) for the rates batch scaling changed.
    scaled: Mapping[str, tuple[Any, Any]]
    batch_rule: tuple | None  # (rule, global batch, reference batch) when scaled here
    batch_scale: float  # every rate's factor, this block's (1.0: none, or scaled around it)
    warmup_steps: int
    warmup_start_lr: float
    decay: F.Schedule | None = None  # the schedule after warm-up, own clock, batch-scaled
    momentum: F.Schedule | None = None  # the optimizer's momentum after warm-up, if driven
    peak_lr: float = math.nan  # the rate the warm-up climbs to (batch-scaled)
    curve: F.Schedule | None = None  # the learning rate at every step: warm-up, then decay

    @property
    def total_steps(self) -> int:
        return self.run.total_steps

    def __deepcopy__(self, memo: dict) -> "Plan":
        """A copy with its own curve (a plateau in it is copied too); the read-only
        mappings stay read-only."""

        def copied(value):
            if isinstance(value, MappingProxyType):
                return MappingProxyType(copy.deepcopy(dict(value), memo))
            return copy.deepcopy(value, memo)

        return Plan(**{f.name: copied(getattr(self, f.name)) for f in dataclasses.fields(self)})

    @property
    def warmup_key(self) -> str:
        """The YAML path of the warm-up length as written (``warmup_epoch`` or
        ``warmup_steps``)."""
        return f"{self.path}.{self.keys_written.get('warmup_steps', 'warmup_steps')}"

    def notice(self, path: str, problem: str, hint: str = "", outcome: str = "") -> None:
        """A notice about this block (an error in strict mode)."""
        notice(path, problem, hint, outcome=outcome, strict=self.strict)


def all_params(cls: type[LRSchedule]) -> tuple[Param, ...]:
    """The keys a block of ``cls`` reads: its own, then the shared warm-up keys (and
    ``honour`` where PaddleOCR drops keys)."""
    own = {p.name for p in cls.params}
    shared = [p for p in WARMUP_PARAMS if p.name not in own]
    if cls.paddleocr_drops:
        shared.append(
            Param(
                HONOUR,
                KeyList(tuple(cls.paddleocr_drops)),
                [],
                "keys PaddleOCR ignores in this block that ppocr_lr should "
                "use: " + ", ".join(cls.paddleocr_drops),
            )
        )
    return tuple(cls.params) + tuple(shared)


def block_keys(cls: type[LRSchedule]) -> list[str]:
    """Every key a block of ``cls`` may hold: what ``-o Optimizer.lr.<key>=...`` may add
    (its value is checked once, when the block is resolved)."""
    return ["name", *RUN_KEYS, "strict", *(key for p in all_params(cls) for key in p.keys)]


def resolve(
    schedule: LRSchedule, block: Mapping[str, Any], run: RunLength, path: str, strict: bool
) -> Plan:
    """The plan for ``block`` over ``run``, with every check and notice.  The schedule's
    hooks are called on ``schedule``, whose ``plan`` is the plan so far while they run."""
    cls = type(schedule)
    block = dict(block) if isinstance(block, Mapping) else block
    strict = pop_strict(block, path, strict)
    params = all_params(cls)
    parsed = parse_block(block, params, path, run, strict)
    values, sources, written = parsed.values, parsed.sources, parsed.keys
    ignored = _paddleocr_drops(cls, block, values, sources, written, path, strict)
    factor, batch_rule = _batch_factor(values, written, run, path, strict)
    scaled = _scaled_rates(params, values, written, factor, path)
    plan = Plan(
        name=cls.name,
        path=path,
        run=run
        if batch_rule is None
        else dataclasses.replace(run, scaled_by=(*batch_rule, factor)),
        strict=strict,
        values=MappingProxyType(values),
        sources=MappingProxyType(sources),
        keys_written=MappingProxyType(written),
        ignored=MappingProxyType(ignored),
        scaled=MappingProxyType(scaled),
        batch_rule=batch_rule,
        batch_scale=factor,
        warmup_steps=0,
        warmup_start_lr=0.0,
    )
    schedule.plan = plan
    p = SimpleNamespace(**values)
    warmup_steps, start = schedule.warmup(p)
    plan = schedule.plan = dataclasses.replace(
        plan, warmup_steps=warmup_steps, warmup_start_lr=start
    )
    _check_warmup_keys(plan, cls)
    decay_run = plan.total_steps - (warmup_steps if values["decay_ends_at_last_step"] else 0)
    # built first: the hooks keep state (a plateau, the phases), and the real build's wins
    full_length = (
        _trial_decay(schedule, p, plan.total_steps) if decay_run != plan.total_steps else None
    )
    decay = schedule.decay(p, decay_run)
    if full_length is not None:
        _check_the_decay_moves(full_length, decay, plan)
    if values["by_epoch"]:
        decay = F.EpochClock(decay, plan.run.step_each_epoch)
    plan = schedule.plan = dataclasses.replace(  # the peak hook reads the decay as written
        plan, decay=decay, momentum=schedule.momentum(p, decay_run)
    )
    peak, start = float(schedule.peak(p)) * factor, start * factor
    if factor != 1.0:
        decay = F.Scaled(decay, factor)
    if warmup_steps and start > peak:
        plan.notice(
            f"{path}.{written.get('warmup_start_lr', 'warmup_start_lr')}",
            f"{start:g} is above the learning rate the warm-up climbs to "
            f"({peak:g}): the warm-up goes down",
        )
    curve = F.warmup(decay, warmup_steps, start, peak, prefix=values["warmup_prefix"])
    plan = schedule.plan = dataclasses.replace(
        plan, decay=decay, peak_lr=peak, warmup_start_lr=start, curve=curve
    )
    if warmup_steps > plan.total_steps:
        plan.notice(
            plan.warmup_key,
            f"the warm-up ({warmup_steps} steps"
            f"{'' if 'warmup_steps' in written else ', the default'}) "
            f"is longer than the run ({plan.total_steps} steps)",
            outcome="training ends inside the warm-up, its last step at "
            f"{curve(plan.total_steps - 1):.6g}, and the decay never starts",
        )
    return plan


def _paddleocr_drops(cls, block, values, sources, written, path, strict) -> dict:
    """Set back to its default, with a notice, each key PaddleOCR does not read, unless
    honoured; the keys so ignored."""
    honoured = set(values.get(HONOUR) or [])
    defaults = {p.name: p.default for p in all_params(cls)}
    ignored: dict[str, tuple[str, Any]] = {}
    for name, key in list(written.items()):
        if key not in cls.paddleocr_drops or key in honoured:
            continue
        if values[name] != defaults[name]:
            notice(
                f"{path}.{key}",
                f"{block[key]!r} is written, but PaddleOCR's {cls.name} does not read {key}",
                f"To use the value written, add '{HONOUR}: [{key}]' to {path}",
                outcome=f"ignored, as in PaddleOCR: the schedule uses {name} = {defaults[name]!r}",
                strict=strict,
            )
        values[name], sources[name] = defaults[name], "default"
        ignored[name] = (key, block[key])
        del written[name]
    for key in sorted(honoured - set(written.values())):
        notice(
            f"{path}.{HONOUR}",
            f"lists {key}, which the block does not set; nothing to honour",
            strict=strict,
        )
    return ignored


def _batch_factor(values, written, run: RunLength, path: str, strict: bool):
    """``(factor, (rule, global batch, reference) or None)``: what this block's
    ``batch_scaling`` multiplies its curve by for the global batch (1.0 for a block that
    does not scale, or whose enclosing block does)."""
    rule, reference = values["batch_scaling"], values["reference_batch_size"]
    batch = run.global_batch_size
    key = f"{path}.{written.get('batch_scaling', 'batch_scaling')}"
    if rule != "none" and run.scaled_by is not None:
        raise ConfigValueError(
            key,
            f"{rule!r} inside a block that is already scaled (batch_scaling "
            f"{run.scaled_by[0]} for a global batch of {run.scaled_by[1]}, reference "
            f"{run.scaled_by[2]})",
            "Write batch_scaling on the outermost lr block only.",
        )
    if rule != "none" and reference is None:
        raise ConfigValueError(
            f"{path}.reference_batch_size",
            f"missing; batch_scaling: {rule} needs the global batch the rates were chosen for",
            "Add e.g. reference_batch_size: 256 to " + path,
        )
    if rule == "none" and reference is not None:
        notice(
            f"{path}.reference_batch_size",
            "is set, but batch_scaling is none",
            "Add batch_scaling: linear (or sqrt) to scale the rates",
            outcome="the rates are used as written",
            strict=strict,
        )
    elif rule != "none" and batch is None:
        notice(
            key,
            f"{rule!r} is written, but the trainer did not give its global "
            "batch size (build_optimizer's global_batch_size)",
            "Pass global_batch_size=processes x batch_size_per_card",
            outcome="the rates are used as written",
            strict=strict,
        )
    elif rule != "none":
        ratio = batch / reference
        return (ratio if rule == "linear" else math.sqrt(ratio)), (rule, batch, reference)
    return 1.0, None


def _scaled_rates(params, values, written, factor: float, path: str) -> dict:
    """Key -> (as written, as used) for each rate key batch scaling changes (checked: at
    most MAX_LR once scaled)."""
    scaled: dict[str, tuple[Any, Any]] = {}
    if factor == 1.0:
        return scaled
    for p in params:
        value = values.get(p.name)
        if value is None or not is_rate(p.kind):
            continue
        new = [v * factor for v in value] if isinstance(value, list) else value * factor
        for v in new if isinstance(new, list) else [new]:
            if not v <= MAX_LR:
                raise ConfigValueError(
                    f"{path}.{written.get(p.name, p.name)}",
                    f"{value!r} scaled by {factor:g} for the global batch is {v:g}; "
                    f"expected at most {MAX_LR:g}",
                )
        if new != value:  # zeros (a floor of 0) are left out of the report
            scaled[written.get(p.name, p.name)] = (value, new)
    return scaled


def _trial_decay(schedule, p, run_steps: int) -> F.Schedule | None:
    """The decay built for ``run_steps``, its notices unsaid (the real build says them),
    or None when it cannot be built (the real build says why)."""
    try:
        with collecting():
            return schedule.decay(p, run_steps)
    except Exception:  # noqa: BLE001 - the real build says what is wrong
        return None


def _check_the_decay_moves(full_length: F.Schedule, decay: F.Schedule, plan: Plan) -> None:
    """``decay_ends_at_last_step: true`` shortens the decay by the warm-up; say so when
    this schedule's decay does not depend on the run's length (Step, Cyclic, a plateau, a
    cycle length written out), so the key changes nothing."""
    steps = np.unique(np.linspace(0, plan.total_steps, 257).astype(np.int64))
    try:
        same = np.array_equal(full_length.array(steps), decay.array(steps))
    except Exception:  # noqa: BLE001 - a rate that cannot be computed is refused later
        return
    if same:
        key = plan.keys_written.get("decay_ends_at_last_step", "decay_ends_at_last_step")
        plan.notice(
            f"{plan.path}.{key}",
            f"is true, but {plan.name}'s decay does not depend on the run's length here",
            "Leave it out, or set the decay's length from the run",
            outcome="it has no effect",
        )


def _check_warmup_keys(plan: Plan, cls) -> None:
    values, written, path = plan.values, plan.keys_written, plan.path
    if values["decay_ends_at_last_step"] and not values["warmup_prefix"]:
        raise ConfigValueError(
            f"{path}.warmup_prefix",
            f"false together with {path}.decay_ends_at_last_step: true: an overlapping "
            "warm-up does not move the decay, so there is nothing to shorten",
            "Keep one of them.",
        )
    if values["decay_ends_at_last_step"] and plan.warmup_steps >= plan.total_steps:
        raise ConfigValueError(
            plan.warmup_key,
            f"a warm-up of {plan.warmup_steps} steps leaves no steps for the decay in a "
            f"run of {plan.total_steps} steps (decay_ends_at_last_step is true)",
            "Shorten the warm-up.",
        )
    if not plan.warmup_steps:
        defaults = {p.name: p.default for p in all_params(cls)}
        for name in ("warmup_start_lr", "decay_ends_at_last_step", "warmup_prefix"):
            if name in written and values[name] != defaults[name]:
                plan.notice(
                    f"{path}.{written[name]}",
                    "is set, but there is no warm-up",
                    outcome="it has no effect",
                )


def is_rate(kind) -> bool:
    """Whether a key of this kind is a learning rate (batch scaling multiplies it)."""
    return kind in (RATE, POSITIVE_RATE) or (
        isinstance(kind, NumberList) and kind.item in (RATE, POSITIVE_RATE)
    )


__all__ = [
    "Plan",
    "resolve",
    "all_params",
    "block_keys",
    "is_rate",
    "WARMUP_PARAMS",
    "BATCH_RULES",
    "HONOUR",
    "RUN_KEYS",
]
