"""The one adapter between pure schedules and Paddle: :class:`LRSchedule`.

Every named schedule subclasses :class:`LRSchedule`, declares its YAML keys and says how
its decay is computed (:meth:`LRSchedule.decay`, returning a pure
:class:`~ppocr_lr.functions.Schedule`).  This class does the rest once for all of them:

* reads and checks the keys (:mod:`ppocr_lr.params`) and the run length;
* the warm-up (``warmup_epoch`` / ``warmup_steps``, ``warmup_start_lr``, and
  ``decay_ends_at_last_step``);
* PaddleOCR's numbers by default: keys PaddleOCR ignores are ignored, with a notice,
  unless the block lists them under ``honour``;
* the step counter, ``state_dict`` / ``set_state_dict`` (exact resume, PaddleOCR
  checkpoints, warnings on structure changes);
* ``lr_at`` / ``lr_array`` / ``total_steps``.

It subclasses ``paddle.optimizer.lr.LRScheduler``, so any Paddle optimizer takes it as
its ``learning_rate`` and saves its state in ``optimizer.state_dict()``.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace
from typing import Any, ClassVar, Mapping

import numpy as np
from paddle.optimizer.lr import LRScheduler

from . import functions as F
from .errors import ConfigValueError
from .messages import notice
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

STATE_FORMAT = 1
_INF = math.inf


#: Past this many steps, the curve's highest rate is looked for on this many evenly spaced
#: steps (and the end of the warm-up), not on every step.
PEAK_SAMPLES = 200_000


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

    PaddleOCR's numbers by default: a key listed in :attr:`paddleocr_drops` (one that
    PaddleOCR's class of the same name does not read) is ignored with a notice, unless
    the block lists it under ``honour``.

    ``t`` is the number of ``step()`` calls so far (Paddle's ``last_epoch``).
    """

    #: The YAML name (set by :func:`ppocr_lr.register_scheduler`).
    name: ClassVar[str] = ""
    #: The schedule's own YAML keys (one named as a shared warm-up key replaces it).
    params: ClassVar[tuple[Param, ...]] = ()
    #: YAML keys that PaddleOCR's schedule of this name does not read: ignored (the
    #: default is used, as in PaddleOCR) unless the block lists them under ``honour``.
    paddleocr_drops: ClassVar[tuple[str, ...]] = ()
    #: Whether the schedule hears evaluations (``report(metric)``): a trainer asks this,
    #: and reports ``Metric.main_indicator`` after each evaluation when it is true.
    takes_reports: ClassVar[bool] = False

    def __init__(
        self,
        epochs: int,
        step_each_epoch: int,
        *,
        strict: bool = False,
        path: str | None = None,
        **config: Any,
    ):
        self._setup(
            RunLength.checked(epochs, step_each_epoch),
            config,
            path or type(self).name or type(self).__name__,
            strict,
        )

    @classmethod
    def from_block(
        cls, block: Mapping[str, Any], run: RunLength, *, path: str, strict: bool = False
    ) -> "LRSchedule":
        """Build from a YAML block (any key, including ``strict`` or ``self``, is a key of
        the block, never an argument of this method)."""
        schedule = cls.__new__(cls)
        schedule._setup(run, block, path, strict)
        return schedule

    # ------------------------------------------------------------------ building

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        """The schedule's keys followed by the shared warm-up keys (and ``honour`` where
        PaddleOCR drops keys)."""
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

    def _setup(self, run: RunLength, config: Mapping[str, Any], path: str, strict: bool):
        self.run, self.path = run, path
        block = dict(config) if isinstance(config, Mapping) else config
        self.strict = pop_strict(block, path, strict)
        parsed = parse_block(block, self.all_params(), path, run, self.strict)
        self._apply_paddleocr_drops(block, parsed)
        self._scale_with_batch(parsed)
        values = parsed.values
        #: Every key's value (durations in steps), where it came from, the key written.
        self.config, self.sources, self.keys_written = values, parsed.sources, parsed.keys
        p = SimpleNamespace(**values)
        self.warmup_steps, start = self.warmup(p)
        self._check_warmup_keys(values)
        decay_run = self.run.total_steps - (
            self.warmup_steps if values["decay_ends_at_last_step"] else 0
        )
        self.decay_schedule = self.decay(p, decay_run)
        if values["by_epoch"]:
            self.decay_schedule = F.EpochClock(self.decay_schedule, self.run.step_each_epoch)
        self.peak_lr = float(self.peak(p))
        if self.warmup_steps and start > self.peak_lr:
            self.notice(
                f"{path}.{self.keys_written.get('warmup_start_lr', 'warmup_start_lr')}",
                f"{start:g} is above the learning rate the warm-up climbs to "
                f"({self.peak_lr:g}): the warm-up goes down",
            )
        self.schedule = F.warmup(
            self.decay_schedule,
            self.warmup_steps,
            start,
            self.peak_lr,
            prefix=values["warmup_prefix"],
        )
        self._lr = self.schedule.scalar()
        if self.warmup_steps > self.run.total_steps:
            self.notice(
                self.warmup_key,
                f"the warm-up ({self.warmup_steps} steps"
                f"{'' if 'warmup_steps' in self.keys_written else ', the default'}) "
                f"is longer than the run ({self.run.total_steps} steps)",
                outcome=f"training ends inside the warm-up, at "
                f"{self._lr(self.run.total_steps):.6g}, and the decay never "
                "starts",
            )
        LRScheduler.__init__(self, learning_rate=self.peak_lr, last_epoch=self.config["last_epoch"])

    def _apply_paddleocr_drops(self, block: Mapping[str, Any], parsed) -> None:
        """Ignore, with a notice, each key PaddleOCR does not read, unless honoured."""
        honoured = set(parsed.values.get(HONOUR) or [])
        defaults = {p.name: p.default for p in self.all_params()}
        #: Param name -> (the key written, its value as written) for keys ignored.
        self.ignored: dict[str, tuple[str, Any]] = {}
        for name, key in list(parsed.keys.items()):
            if key not in self.paddleocr_drops or key in honoured:
                continue
            if parsed.values[name] != defaults[name]:
                self.notice(
                    f"{self.path}.{key}",
                    f"{block[key]!r} is written, but PaddleOCR's {self.name} does not read {key}",
                    f"To use the value written, add '{HONOUR}: [{key}]' to {self.path}",
                    outcome=f"ignored, as in PaddleOCR: the schedule uses {name} = "
                    f"{defaults[name]!r}",
                )
            parsed.values[name], parsed.sources[name] = defaults[name], "default"
            self.ignored[name] = (key, block[key])
            del parsed.keys[name]
        for key in sorted(honoured - {parsed.keys.get(n) for n in parsed.keys}):
            self.notice(
                f"{self.path}.{HONOUR}",
                f"lists {key}, which the block does not set; nothing to honour",
            )

    def _scale_with_batch(self, parsed) -> None:
        """Multiply every learning-rate key by the batch-scaling factor (``batch_scale``)."""
        values, written = parsed.values, parsed.keys
        rule, reference = values["batch_scaling"], values["reference_batch_size"]
        batch, inherited = self.run.global_batch_size, self.run.lr_scale
        key = f"{self.path}.{written.get('batch_scaling', 'batch_scaling')}"
        #: ``(rule, global batch, reference batch)`` when the rates are scaled here.
        self.batch_rule = None
        factor = inherited
        if rule != "none" and inherited != 1.0:
            raise ConfigValueError(
                key,
                f"{rule!r} inside a block that is already scaled",
                "Write batch_scaling on the outermost lr block only.",
            )
        if rule != "none" and reference is None:
            raise ConfigValueError(
                f"{self.path}.reference_batch_size",
                f"missing; batch_scaling: {rule} needs the global batch the rates were chosen for",
                "Add e.g. reference_batch_size: 256 to " + self.path,
            )
        if rule == "none" and reference is not None:
            self.notice(
                f"{self.path}.reference_batch_size",
                "is set, but batch_scaling is none",
                "Add batch_scaling: linear (or sqrt) to scale the rates",
                outcome="the rates are used as written",
            )
        elif rule != "none" and batch is None:
            self.notice(
                key,
                f"{rule!r} is written, but the trainer did not give its global "
                "batch size (build_optimizer's global_batch_size)",
                "Pass global_batch_size=processes x batch_size_per_card",
                outcome="the rates are used as written",
            )
        elif rule != "none":
            ratio = batch / reference
            factor = ratio if rule == "linear" else math.sqrt(ratio)
            self.batch_rule = (rule, batch, reference)
        self.batch_scale = factor
        self.run = dataclasses.replace(self.run, lr_scale=factor)
        #: Key -> (value written, value used) for the rates batch scaling changed.
        self.scaled: dict[str, tuple[Any, Any]] = {}
        if factor == 1.0:
            return
        for p in self.all_params():
            value = values.get(p.name)
            if value is None or not _is_rate(p.kind):
                continue
            scaled = [v * factor for v in value] if isinstance(value, list) else value * factor
            for v in scaled if isinstance(scaled, list) else [scaled]:
                if not v <= MAX_LR:
                    raise ConfigValueError(
                        f"{self.path}.{written.get(p.name, p.name)}",
                        f"{value!r} scaled by {factor:g} for the global batch is {v:g}; "
                        f"expected at most {MAX_LR:g}",
                    )
            values[p.name] = scaled
            if scaled != value:  # zeros (a floor of 0) are left out of the report
                self.scaled[written.get(p.name, p.name)] = (value, scaled)

    def _check_warmup_keys(self, values: Mapping[str, Any]) -> None:
        if values["decay_ends_at_last_step"] and not values["warmup_prefix"]:
            raise ConfigValueError(
                f"{self.path}.warmup_prefix",
                "false together with "
                f"{self.path}.decay_ends_at_last_step: true: an overlapping warm-up does not "
                "move the decay, so there is nothing to shorten",
                "Keep one of them.",
            )
        if values["decay_ends_at_last_step"] and self.warmup_steps >= self.run.total_steps:
            raise ConfigValueError(
                self.warmup_key,
                f"a warm-up of {self.warmup_steps} steps leaves no steps for the decay in a "
                f"run of {self.run.total_steps} steps (decay_ends_at_last_step is true)",
                "Shorten the warm-up.",
            )
        if not self.warmup_steps:
            for name in ("warmup_start_lr", "decay_ends_at_last_step", "warmup_prefix"):
                if name in self.keys_written and values[name] != self._default(name):
                    self.notice(
                        f"{self.path}.{self.keys_written[name]}",
                        "is set, but there is no warm-up",
                        outcome="it has no effect",
                    )

    def _default(self, name: str) -> Any:
        return next(p.default for p in self.all_params() if p.name == name)

    def notice(self, path: str, problem: str, hint: str = "", outcome: str = "") -> None:
        """A notice about this schedule (an error in strict mode)."""
        notice(path, problem, hint, outcome=outcome, strict=self.strict)

    @property
    def warmup_key(self) -> str:
        """The YAML path of the warm-up length as written (``warmup_epoch`` or
        ``warmup_steps``)."""
        return f"{self.path}.{self.keys_written.get('warmup_steps', 'warmup_steps')}"

    def warmup(self, p: SimpleNamespace) -> tuple[int, float]:
        """The warm-up's length in steps and its first learning rate (the keys
        ``warmup_steps``/``warmup_epoch`` and ``warmup_start_lr``)."""
        return p.warmup_steps, p.warmup_start_lr

    def peak(self, p: SimpleNamespace) -> float:
        """The learning rate the warm-up climbs to; by default the decay's value at its
        step 0 (a continuous hand-over).  The PaddleOCR names return the key PaddleOCR's
        warm-up climbs to."""
        return self.decay_schedule(0)

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
        t = self.last_epoch + 1 if epoch is None else _step_number(epoch, "epoch")
        lr = self._lr(t)
        if not 0.0 <= lr < _INF:
            self._refuse(t, lr)
        self.last_epoch, self.last_lr = t, lr
        if self.verbose:
            print(f"Step {self.last_epoch}: {self.name} set learning rate to {self.last_lr}.")

    @property
    def total_steps(self) -> int:
        """The run length the schedule was built for: ``epochs * step_each_epoch``."""
        return self.run.total_steps

    @staticmethod
    def _checked_step(step) -> int:
        return _step_number(step, "step")

    def rates_for_peak(self, peak: float) -> dict[str, Any]:
        """The rate keys to write in this block so that its curve peaks at ``peak``: each
        rate key the block writes (every non-zero one, when it writes none), as written
        times ``peak`` over the curve's highest rate.  A schedule is linear in its rates,
        so the shape is kept; with batch scaling, ``peak`` is at this schedule's global
        batch and the values are at the reference batch, as they are written.  Keys as the
        block spells them; a key PaddleOCR ignores here is left out."""
        total = self.run.total_steps
        run = (
            np.arange(total + 1)
            if total <= PEAK_SAMPLES
            else np.unique(
                np.concatenate(
                    [np.linspace(0, total, PEAK_SAMPLES).astype(np.int64), [self.warmup_steps]]
                )
            )
        )
        highest = max(self.peak_lr, float(np.max(self.lr_array(run))))
        return self._rates_times(peak / highest if highest > 0 else 1.0)

    def _rates_times(self, factor: float) -> dict[str, Any]:
        def times(value):
            unscaled = value if isinstance(value, list) else [value]
            out = [v / self.batch_scale * factor for v in unscaled]
            return out if isinstance(value, list) else out[0]

        rates = [
            p.name
            for p in self.all_params()
            if _is_rate(p.kind)
            and self.config.get(p.name) is not None
            and p.name not in self.ignored
        ]
        written = [name for name in rates if name in self.keys_written]
        chosen = written or [
            name for name in rates if any(v != 0 for v in np.ravel(self.config[name]))
        ]
        return {self.keys_written.get(name, name): times(self.config[name]) for name in chosen}

    def lr_at(self, step: int) -> float:
        """The learning rate after ``step`` calls of ``step()``; changes nothing."""
        t = _step_number(step, "step")
        lr = self._lr(t)
        if not 0.0 <= lr < _INF:
            self._refuse(t, lr)
        return lr

    def lr_array(self, steps) -> np.ndarray:
        """``lr_at`` for every step of an array (vectorised with numpy: within a few ulp
        of ``lr_at``; its cost grows with the number of steps, not their range).  A
        ``range`` becomes an array at numpy's speed, not element by element."""
        array = _range_array(steps) if isinstance(steps, range) else np.asarray(steps)
        if array.dtype.kind not in "iu":
            if (
                array.dtype.kind != "f"
                or not np.all(np.isfinite(array))
                or np.any(array != np.floor(array))
            ):
                raise TypeError(f"steps must be whole numbers, got {array.dtype} values")
        if array.size and (array.min() < 0 or array.max() > MAX_STEPS):
            bad = array.min() if array.min() < 0 else array.max()
            raise ValueError(f"steps count from 0 to 2**53; got {bad!r}")
        array = np.asarray(array, dtype=np.int64)
        values = self.schedule.array(array)
        bad = ~((values >= 0.0) & (values < math.inf))
        if bad.any():
            i = np.flatnonzero(bad.ravel())[0]
            self._refuse(int(array.ravel()[i]), float(values.ravel()[i]))
        return values

    def _refuse(self, t: int, lr: float):
        """No negative, infinite or NaN learning rate is ever handed to an optimizer."""
        raise ConfigValueError(
            self.path,
            f"the learning rate at step {t} is {lr!r}; a learning rate must be finite and >= 0",
            "Check this schedule's keys (or its formula, for a schedule registered from your code)",
        )

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        """``last_epoch`` and ``last_lr`` as every Paddle scheduler has them, the nested
        ``LinearWarmup_LR`` that PaddleOCR's warm-up schedules write (so PaddleOCR can
        load it too), and a ``ppocr_lr`` entry describing the schedule."""
        t = self.last_epoch
        state = {"last_epoch": t, "last_lr": self.last_lr}
        if self.warmup_steps:
            inner_t = max(t - self.warmup_steps, 0)
            state["LinearWarmup_LR"] = {
                "last_epoch": inner_t,
                "last_lr": self.decay_schedule(inner_t),
            }
        state["ppocr_lr"] = self._signature()
        return state

    def _signature(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "name": self.name,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
        }

    def set_state_dict(self, state_dict: Mapping) -> None:
        """Continue from a saved state: this schedule's own, a PaddleOCR one, or one from
        a schedule of another shape (the step is kept, and a notice says what changed and
        how the learning rate moves).  All or nothing: a state that cannot be loaded
        (or, in strict mode, one from another shape) leaves the schedule as it was."""
        if not isinstance(state_dict, Mapping) or "last_epoch" not in state_dict:
            raise ValueError(
                "not a learning-rate scheduler state: expected a mapping with 'last_epoch' "
                f"(the saved step), got {_short(state_dict)}"
            )
        t = _step_number(state_dict["last_epoch"], "the saved 'last_epoch'", minimum=-1)
        lr = self.lr_at(t) if t >= 0 else self.peak_lr
        changes = self._structure_changes(state_dict, t)
        saved_lr = state_dict.get("last_lr")
        if (
            isinstance(saved_lr, (int, float, np.floating))
            and not isinstance(saved_lr, bool)
            and not math.isclose(saved_lr, lr, rel_tol=1e-9)
        ):
            changes.append(
                f"the learning rate at step {t} is {lr:.6g} here, "
                f"{float(saved_lr):.6g} in the checkpoint"
            )
        if changes:
            self.notice(
                self.path,
                f"resumed at step {t} from a checkpoint whose schedule "
                "had another shape: " + "; ".join(changes),
                outcome="the step is kept and this schedule's learning rate is used from there on",
            )
        self.last_epoch, self.last_lr = t, lr

    set_dict = set_state_dict

    def _structure_changes(self, state: Mapping, t: int) -> list[str]:
        saved = state.get("ppocr_lr")
        changes = []
        if isinstance(saved, Mapping):
            mine = self._signature()
            for key, label in (
                ("name", "schedule"),
                ("total_steps", "run length (steps)"),
                ("warmup_steps", "warm-up (steps)"),
            ):
                if saved.get(key) != mine[key]:
                    changes.append(f"{label} {saved.get(key)!r} -> {mine[key]!r}")
            return changes
        # A PaddleOCR checkpoint: LinearWarmup's state nests the decay's.
        inner = state.get("LinearWarmup_LR")
        if inner is None and self.warmup_steps:
            changes.append(
                f"the checkpoint has no warm-up, this schedule a {self.warmup_steps}-step one"
            )
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
        return (
            f"{self.name}: {self.total_steps} steps ({self.run.epochs} epochs x "
            f"{self.run.step_each_epoch}){warm}{self.describe_scaling()}"
        )

    def describe_scaling(self) -> str:
        """``", rates x2 (batch_scaling linear: ...)"`` when batch scaling changed the
        rates, else ``""``."""
        if self.batch_rule is None:
            return ""
        rule, batch, reference = self.batch_rule
        keys = ", ".join(f"{k} {_rates(a)} -> {_rates(b)}" for k, (a, b) in self.scaled.items())
        return (
            f", rates x{self.batch_scale:.6g} (batch_scaling {rule}: global batch {batch}, "
            f"reference {reference}){': ' + keys if keys else ''}"
        )

    def __repr__(self) -> str:
        keys = ", ".join(
            f"{k}={v!r}" for k, v in self.config.items() if self.sources.get(k) == "config"
        )
        return (
            f"{type(self).__name__}(epochs={self.run.epochs}, "
            f"step_each_epoch={self.run.step_each_epoch}{', ' if keys else ''}{keys})"
        )


def _range_array(steps: range) -> np.ndarray:
    """``np.arange`` of a range whose elements are steps (checked first: its bounds alone
    may not fit in 64 bits)."""
    if not len(steps):
        return np.zeros(0, dtype=np.int64)
    first, last = steps[0], steps[-1]
    if min(first, last) < 0 or max(first, last) > MAX_STEPS:
        bad = min(first, last) if min(first, last) < 0 else max(first, last)
        raise ValueError(f"steps count from 0 to 2**53; got {bad!r}")
    if len(steps) == 1:
        return np.array([first], dtype=np.int64)
    return np.arange(first, last + (1 if steps.step > 0 else -1), steps.step, dtype=np.int64)


def _is_rate(kind) -> bool:
    return kind in (RATE, POSITIVE_RATE) or (
        isinstance(kind, NumberList) and kind.item in (RATE, POSITIVE_RATE)
    )


def _rates(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
    return f"{value:.6g}"


def _step_number(value: Any, what: str, minimum: int = 0) -> int:
    whole = (
        isinstance(value, (int, np.integer, float, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value == math.floor(value)
    )
    if not whole:
        raise TypeError(f"{what} must be a whole number, got {value!r}")
    if not minimum <= value <= MAX_STEPS:
        raise ValueError(f"{what} must be from {minimum} to 2**53, got {value!r}")
    return int(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


__all__ = ["LRSchedule", "WARMUP_PARAMS", "RUN_KEYS"]
