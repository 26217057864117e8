"""The one adapter between pure schedules and Paddle: :class:`LRSchedule`.

Every named schedule subclasses :class:`LRSchedule`, declares its YAML keys and says how
its decay is computed (:meth:`LRSchedule.decay`, returning a pure
:class:`~ppocr_lr.functions.Schedule`).  :func:`ppocr_lr.plan.resolve` turns the block
into a frozen :class:`~ppocr_lr.plan.Plan` (keys, PaddleOCR's drops, batch scaling,
warm-up, the curve); this class keeps the plan and runs it:

* ``step()`` (the curve's formula traced into it, :mod:`ppocr_lr.step_code`), ``lr_at``,
  ``lr_array``, ``total_steps``;
* the step counter, ``state_dict`` / ``set_state_dict`` (exact resume, PaddleOCR
  checkpoints, warnings on structure changes);
* the capabilities a trainer asks for: :attr:`takes_reports` (evaluations move the
  rate) and :attr:`drives_momentum` (the optimizer's momentum follows a curve), with
  their state in :mod:`ppocr_lr.stateful`.

It subclasses ``paddle.optimizer.lr.LRScheduler``, so any Paddle optimizer takes it as
its ``learning_rate`` and saves its state in ``optimizer.state_dict()``.
"""

from __future__ import annotations

import copy
import functools
import math
from types import MethodType, SimpleNamespace
from typing import Any, Callable, ClassVar, Mapping

import numpy as np
from paddle.optimizer.lr import LRScheduler

from . import functions as F
from . import stateful, step_code
from .errors import ConfigValueError
from .params import MAX_STEPS, Param, RunLength
from .plan import RUN_KEYS, WARMUP_PARAMS, all_params, is_rate, resolve

STATE_FORMAT = 1
_INF = math.inf

# LRSchedule.step, around the curve's traced code (ppocr_lr.step_code).
_STEP_HEAD = (
    "if epoch is None:",
    "    t = self.last_epoch + 1",
    "else:",
    "    t = _step_number(epoch, 'epoch')",
)
_STEP_TAIL = (
    "if not 0.0 <= {value} < _inf:",
    "    self._refuse(t, {value})",
    "self.last_epoch = t",
    "self.last_lr = {value}",
)
_STEP_VERBOSE = ("if self.verbose:", "    self._announce()")


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
        return all_params(cls)

    def _setup(self, run: RunLength, config: Mapping[str, Any], path: str, strict: bool):
        #: The schedule resolved (:class:`ppocr_lr.plan.Plan`): values, sources, curve.
        self.plan = resolve(self, config, run, path, strict)
        self._momentum_drive: stateful.MomentumDrive | None = None
        if type(self).step is LRSchedule.step:  # a subclass with its own step() keeps it
            self.step = self._compiled_step()  # type: ignore[method-assign]  # this schedule's
        LRScheduler.__init__(self, learning_rate=self.peak_lr, last_epoch=self.config["last_epoch"])

    def __copy__(self) -> "LRSchedule":
        """A shallow copy (the plan shared) whose ``step()`` steps the copy."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        if "step" in self.__dict__:
            clone.step = MethodType(self.__dict__["step"].__func__, clone)  # type: ignore[method-assign]
        return clone

    def __deepcopy__(self, memo: dict) -> "LRSchedule":
        """A schedule of its own: the state copied, the step's code compiled again for the
        copy (the compiled code refers to the curve it was traced from, a plateau's
        included)."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key not in ("step", "_lr"):  # code traced from the original's curve
                clone.__dict__[key] = copy.deepcopy(value, memo)
        if "step" in self.__dict__:
            clone.step = clone._compiled_step()  # type: ignore[method-assign]
        return clone

    @functools.cached_property
    def _lr(self) -> Callable[[int], float]:
        """The curve at one step, traced (what ``lr_at`` calls): compiled on first use, as
        a schedule stepped by its own ``step()`` may never need it."""
        return self.schedule.scalar()

    # The plan's parts, under the names the schedule's hooks and callers use.
    run = property(lambda self: self.plan.run, doc="the run the schedule was built for")
    path = property(lambda self: self.plan.path, doc="the block's YAML path")
    strict = property(lambda self: self.plan.strict, doc="whether notices are errors")
    config = property(lambda self: self.plan.values, doc="every key's value, by param name")
    sources = property(lambda self: self.plan.sources, doc="'config' or 'default', by name")
    keys_written = property(lambda self: self.plan.keys_written, doc="the key as written")
    ignored = property(lambda self: self.plan.ignored, doc="keys PaddleOCR does not read")
    scaled = property(lambda self: self.plan.scaled, doc="rates batch scaling changed")
    batch_rule = property(lambda self: self.plan.batch_rule, doc="(rule, batch, reference)")
    batch_scale = property(lambda self: self.plan.batch_scale, doc="every rate's factor")
    warmup_steps = property(lambda self: self.plan.warmup_steps, doc="warm-up length, steps")
    peak_lr = property(lambda self: self.plan.peak_lr, doc="the rate the warm-up climbs to")
    decay_schedule = property(lambda self: self.plan.decay, doc="the curve after warm-up")
    momentum_curve = property(lambda self: self.plan.momentum, doc="momentum after warm-up")
    schedule = property(lambda self: self.plan.curve, doc="the learning rate at every step")
    warmup_key = property(lambda self: self.plan.warmup_key, doc="the warm-up key's path")

    def notice(self, path: str, problem: str, hint: str = "", outcome: str = "") -> None:
        """A notice about this schedule (an error in strict mode)."""
        self.plan.notice(path, problem, hint, outcome)

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

    def momentum(self, p: SimpleNamespace, run_steps: int) -> F.Schedule | None:
        """The optimizer's momentum after the warm-up, as a pure function of the decay's
        step, for a schedule that drives it (OneCycle's ``cycle_momentum``); None, the
        default, for one that leaves the momentum alone."""
        return None

    # ------------------------------------------------------------------ capabilities

    @property
    def takes_reports(self) -> bool:
        """Whether the schedule hears evaluations (``report(metric)``): a trainer asks this,
        and reports ``Metric.main_indicator`` after each evaluation when it is true."""
        return False

    # ------------------------------------------------------------------ momentum

    @property
    def drives_momentum(self) -> bool:
        """Whether the schedule sets the optimizer's momentum at every step (a trainer and
        :func:`ppocr_lr.build_optimizer` ask this, then :meth:`drive_momentum`)."""
        return self.momentum_curve is not None

    @property
    def momentum_path(self) -> str:
        """The YAML path of the key that makes the schedule drive the momentum."""
        return f"{self.path}.cycle_momentum"

    def momentum_at(self, step: int) -> float | None:
        """The momentum at ``step`` (its value at the decay's step 0 during a warm-up), or
        None when the schedule does not drive it."""
        t = self._checked_step(step)
        if self.momentum_curve is None:
            return None
        return self.momentum_curve(max(t - self.warmup_steps, 0))

    def drive_momentum(self, optimizer, attribute: str) -> None:
        """Set ``optimizer.<attribute>`` to :meth:`momentum_at` now and after every step
        (and after a resume)."""
        self._momentum_drive = stateful.MomentumDrive(self.momentum_at, optimizer, attribute)
        self._momentum_drive(self.last_epoch)
        if type(self).step is LRSchedule.step:
            self.step = self._compiled_step()  # type: ignore[method-assign]  # with the drive

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
        if self._momentum_drive is not None:
            self._momentum_drive(t)
        if self.verbose:
            self._announce()

    def _compiled_step(self):
        """:meth:`step` with the curve's code written into it (one call less a step: what
        makes ``step()`` as cheap as Paddle's own schedulers); the same statements."""
        drive = self._momentum_drive
        function = step_code.compile_function(
            self.schedule,
            "step(self, epoch=None)",
            _STEP_HEAD,
            _STEP_TAIL + (("_drive(t)",) if drive is not None else ()) + _STEP_VERBOSE,
            {"_step_number": _step_number, "_inf": _INF, "_drive": drive},
        )
        return MethodType(function, self)

    def _announce(self) -> None:
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
        def times(value):  # values are as written (at the reference batch)
            out = [v * factor for v in (value if isinstance(value, list) else [value])]
            return out if isinstance(value, list) else out[0]

        rates = [
            p.name
            for p in self.all_params()
            if is_rate(p.kind)
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

    def state_dict(self) -> dict:  # type: ignore[override]  # Paddle's keys and more
        """``last_epoch`` and ``last_lr`` as every Paddle scheduler has them, the nested
        ``LinearWarmup_LR`` that PaddleOCR's warm-up schedules write (so PaddleOCR can
        load it too), and a ``ppocr_lr`` entry describing the schedule."""
        t = self.last_epoch
        state: dict[str, Any] = {"last_epoch": t, "last_lr": self.last_lr}
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
        if self._momentum_drive is not None:
            self._momentum_drive(t)

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


def _rates(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
    return f"{value:.6g}"


def _step_number(value: Any, what: str, minimum: int = 0) -> int:
    whole = not isinstance(value, bool) and (
        isinstance(value, (int, np.integer))  # any size: the range check below says
        or (
            isinstance(value, (float, np.floating))
            and math.isfinite(value)
            and value == math.floor(value)
        )
    )
    if not whole:
        raise TypeError(f"{what} must be a whole number, got {value!r}")
    if not minimum <= value <= MAX_STEPS:
        digits = int(abs(int(value)).bit_length() * 0.30103)  # str() of 10**5000 fails
        shown = f"{value!r}" if digits < 30 else f"about {'-' if value < 0 else ''}10**{digits}"
        raise ValueError(f"{what} must be from {minimum} to 2**53, got {shown}")
    return int(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


__all__ = ["LRSchedule", "WARMUP_PARAMS", "RUN_KEYS"]
