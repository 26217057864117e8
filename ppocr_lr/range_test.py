"""The learning-rate range test: which ``learning_rate`` suits a model and its data.

Train for a short while with a learning rate that grows exponentially, step by step,
from ``start_lr`` to ``end_lr``, and watch the loss::

    lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iters - 1)),   i = 0 .. num_iters-1

The loss is smoothed with an exponential moving average whose start-up bias is removed
(``s_i = m_i / (1 - beta ** (i + 1))`` with ``m_i = beta * m_{i-1} + (1 - beta) * loss_i``).
The ramp stops early once the smoothed loss exceeds ``diverge_factor`` times its best
value, or the loss is not finite.

Two features of the curve are read first, because noise cannot move them far: the
**end of the descent** (the first rate at which the loss is within a tenth of its drop
above the floor, the level it settles at) and the **edge of divergence** (the rate from
which the loss stays above that level for good).  Both are crossings of a steep stretch
of the curve, so the noise of single batches moves them little; the lowest point of the
floor, by contrast, lies wherever that noise puts it when the floor is flat.  ``rule``
picks the suggestion:

* ``floor`` (the default): the point two fifths of the way, in log scale, from the end of
  the descent to the edge of divergence, ``end ** 0.6 * edge ** 0.4``.  The floor is the
  span of rates that train without diverging; a rate in its lower part keeps a margin of
  more than a decade below the edge, which a short ramp overestimates (it spends a few
  iterations at each rate), and is high enough to have finished the descent.  On the
  default recognizer (Adam) the descent ends at 6-7e-4 and the edge is at 2.3-6.3 over
  five seeds; the suggestion is 0.016-0.027 (1.7x), where 500-iteration runs peaked
  (55.3% at 0.002, 95.5% at 0.006, 97.5% at 0.02, 95.5% at 0.08).  The fraction was
  chosen on that task alone; ``docs/schedule_study.md`` reports tasks it was not chosen on.
  With an optimizer whose edge is close to its descent (plain SGD), the same fraction lands
  nearer the edge, as it should: the span adapts to the optimizer family.
* ``midpoint``: the geometric mean of the steepest descent and the minimum.
* ``minimum/10``: a tenth of the rate at the averaged loss's minimum (fastai's classic rule).
* ``steepest``: where the averaged loss falls fastest against ``log(lr)`` (PyTorch
  Lightning's reading).  It marks where training starts to move the loss.

The last three read the minimum or the slope of a flat floor, which the noise of single
batches decides: on the default recognizer ``midpoint`` moved 5x with the seed.

The ramp stops at divergence, read without lag: when the median of the last five losses
passes ``diverge_factor`` times the lowest such median (a running average trails the ramp by
about ``1 / (1 - beta)`` iterations, a factor of 10 or more in rate), when the running
average passes ``diverge_factor`` times its best, or at a loss that is not finite.  The
curve itself is read on a centred average of the losses, which has no lag either.

The test works on any trainer: :func:`range_test` only needs ``train_step(lr) -> loss``,
one optimisation step at that learning rate.  ``tools/find_lr.py`` runs it on the
recognizer of a PaddleOCR-style config.
"""

from __future__ import annotations

import copy
import math
import os
import shlex
import time
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import paddle

from .errors import ConfigTypeError, ConfigValueError
from .params import one_number

RULES = ("floor", "midpoint", "minimum/10", "steepest")
# The floor rule: the share of the way from the end of the descent to the edge (log scale).
FLOOR_SHARE = 0.4
# The end of the descent and the edge are crossings of floor + FLOOR_BAND x drop.
FLOOR_BAND = 0.1
# The first this many losses give the start's level and noise (losses that are not all
# positive are stopped relative to the descent from that level).
PLATEAU_OF = 15
# The lag-free divergence test: the median of this many latest losses.
MEDIAN_OF = 5
# The first steps of the ramp are at rates too small to move the loss: their slope is
# noise, so the steepest descent is looked for after them.
SKIP_START = 5
MIN_POINTS = 8


@dataclass(frozen=True)
class RangeTestSettings:
    """The ramp and the reading of its curve (checked: :meth:`checked`)."""

    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_iters: int = 200
    beta: float = 0.98  # smoothing of the loss
    diverge_factor: float = 4.0
    rule: str = "floor"

    def lr(self, i: int) -> float:
        """The ramp's rate at iteration ``i`` (closed form; ``i`` from 0)."""
        if i <= 0 or self.num_iters == 1:
            return self.start_lr
        if i >= self.num_iters - 1:
            return self.end_lr
        low, high = math.log(self.start_lr), math.log(self.end_lr)  # no overflow of the ratio
        return math.exp(low + (high - low) * i / (self.num_iters - 1))

    @classmethod
    def checked(cls, names: Mapping[str, str] | None = None, **values: Any) -> "RangeTestSettings":
        """Settings from user values; errors name each setting as ``names`` spells it
        (``--start-lr`` on the command line)."""
        names = dict(names or {})

        def name(key):
            return names.get(key, key)

        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigTypeError(
                name(sorted(unknown)[0]),
                "is not a range-test setting; "
                "expected one of " + ", ".join(cls.__dataclass_fields__),
            )
        out = dict(values)
        for key in ("start_lr", "end_lr", "beta", "diverge_factor"):
            if key in out:
                out[key] = _number(out[key], name(key))
        if "num_iters" in out:
            n = out["num_iters"]
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise ConfigTypeError(
                    name("num_iters"), f"got {n!r}; expected a whole number of iterations"
                )
            out["num_iters"] = int(n)
        s = cls(**out)
        if not 0 < s.start_lr < s.end_lr <= 1e10:
            wrong = (
                "start_lr"
                if "start_lr" in values and not (0 < s.start_lr < cls.end_lr)
                else "end_lr"
            )
            raise ConfigValueError(
                name(wrong),
                f"{name('start_lr')} {s.start_lr!r} and {name('end_lr')} "
                f"{s.end_lr!r}; expected 0 < {name('start_lr')} < {name('end_lr')} <= 1e10",
            )
        if not 1 <= s.num_iters <= 1_000_000:
            raise ConfigValueError(
                name("num_iters"),
                f"got {s.num_iters}; expected 1 to 1,000,000 iterations (100 to 300 is usual)",
            )
        if not 0 <= s.beta < 1:
            raise ConfigValueError(name("beta"), f"got {s.beta!r}; expected 0 <= beta < 1")
        if not s.diverge_factor > 1:
            raise ConfigValueError(
                name("diverge_factor"), f"got {s.diverge_factor!r}; expected a number above 1"
            )
        if s.rule not in RULES:
            raise ConfigValueError(
                name("rule"), f"got {s.rule!r}; expected one of " + ", ".join(RULES)
            )
        return s


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigTypeError(path, f"got {value!r}; expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigValueError(path, f"got {value!r}; expected a finite number")
    return number


@dataclass
class RangeTestResult:
    """The curve and what it suggests.

    ``lrs`` and ``losses`` hold every iteration run (``losses`` as returned, possibly a
    last non-finite one); ``smoothed`` the running average of the finite ones and
    ``curve`` their centred average (from which the rates are read).
    ``descent_end_lr`` and ``edge_lr`` are the two features the ``floor`` rule reads
    (``edge_lr`` is None when the loss never left its floor before the ramp ended);
    ``floor_loss`` the level the loss settled at.  ``suggestion`` is ``None`` when the
    curve cannot give one; ``message`` then says why (and otherwise notes anything worth a
    look).  ``stop`` says why the ramp ended, at which rate."""

    settings: RangeTestSettings
    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    smoothed: list = field(default_factory=list)
    curve: list = field(default_factory=list)
    stop: str = ""
    diverged_at: float | None = None
    steepest_lr: float | None = None
    minimum_lr: float | None = None
    descent_end_lr: float | None = None
    edge_lr: float | None = None
    floor_loss: float | None = None
    message: str = ""

    def reading(self, rule: str) -> float | None:
        """The rate ``rule`` reads from the curve (None when the curve gives none)."""
        if self.steepest_lr is None or self.minimum_lr is None:
            return None
        if rule == "floor":
            if self.descent_end_lr is None:
                return None
            edge = self.edge_lr if self.edge_lr is not None else self.lrs[-1]
            return math.exp(
                (1 - FLOOR_SHARE) * math.log(self.descent_end_lr) + FLOOR_SHARE * math.log(edge)
            )
        return {
            "steepest": self.steepest_lr,
            "minimum/10": self.minimum_lr / 10,
            "midpoint": math.sqrt(self.steepest_lr * self.minimum_lr),
        }[rule]

    @property
    def suggestion(self) -> float | None:
        return self.reading(self.settings.rule)

    def describe(self) -> str:
        """One line: the suggestion and the rule, or why there is none."""
        if self.suggestion is None:
            return f"no suggestion: {self.message}"
        rule = {
            "floor": f"{FLOOR_SHARE:g} of the way from the end of the descent to the "
            "edge of divergence, log scale",
            "steepest": "the steepest descent of the averaged loss",
            "minimum/10": "a tenth of the rate at the averaged loss's minimum",
            "midpoint": "the geometric mean of the steepest descent and the minimum",
        }[self.settings.rule]

        def rate(value, missing):
            return f"{value:.3g}" if value is not None else missing

        return (
            f"suggested learning_rate: {self.suggestion:.3g} ({rule}; descent ends at "
            f"{rate(self.descent_end_lr, 'no floor')}, edge of divergence at "
            f"{rate(self.edge_lr, 'not reached')}; "
            f"{len(self.lrs)} iterations, {self.stop})"
        )

    def _caption(self) -> str:
        if self.suggestion is None:
            return f"no suggestion: {self.message}"
        return (
            f"suggestion {self.suggestion:.3g} (rule {self.settings.rule}); "
            f"{len(self.lrs)} iterations\n{self.stop}"
        )

    def to_dict(self) -> dict:
        """The curve and the readings, for a JSON file."""
        return {
            "settings": vars(self.settings),
            "lr": self.lrs,
            "loss": self.losses,
            "curve": self.curve,
            "stop": self.stop,
            "diverged_at": self.diverged_at,
            "descent_end_lr": self.descent_end_lr,
            "edge_lr": self.edge_lr,
            "floor_loss": self.floor_loss,
            "steepest_lr": self.steepest_lr,
            "minimum_lr": self.minimum_lr,
            "suggestion": self.suggestion,
            "readings": {rule: self.reading(rule) for rule in RULES},
            "message": self.message,
        }

    def plot(self, path: str, title: str = "") -> str:
        """Write the loss against the learning rate (log x): the floor shaded between the
        end of the descent and the edge, the suggestion marked.  Drawn on a figure of its
        own: the caller's matplotlib backend is left as it is."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4.2), dpi=110)
        ax = fig.subplots()
        n = len(self.curve)
        if n:
            lrs = np.asarray(self.lrs[:n])
            ax.plot(lrs, self.losses[:n], color="0.7", lw=0.8, label="loss")
            ax.plot(lrs, self.curve, color="C0", lw=1.8, label="loss, centred average")
            if self.descent_end_lr is not None:
                edge = self.edge_lr if self.edge_lr is not None else self.lrs[-1]
                ax.axvspan(
                    self.descent_end_lr,
                    edge,
                    color="C2",
                    alpha=0.12,
                    label=f"floor: {self.descent_end_lr:.2g} to "
                    + (f"edge {edge:.2g}" if self.edge_lr is not None else "end of ramp (no edge)"),
                )
            if self.suggestion is not None:
                ax.axvline(
                    self.suggestion,
                    color="C3",
                    ls="--",
                    label=f"suggestion {self.suggestion:.3g} ({self.settings.rule})",
                )
            if self.diverged_at is not None:
                ax.axvline(
                    self.diverged_at,
                    color="k",
                    ls=":",
                    lw=1,
                    label=f"ramp stopped: diverged at {self.diverged_at:.3g}",
                )
            # the whole descent, and the divergence up to the loss the ramp started from
            low, start = min(self.losses[:n]), max(self.curve[: max(1, n // 10)])
            top = max(start, min(self.curve) * 1.5)
            pad = 0.05 * (top - low) + 1e-12
            ax.set_ylim(low - pad, top + pad)
            ax.legend(fontsize=8, loc="lower left")
        else:
            ax.text(0.5, 0.5, "no finite loss", ha="center", va="center", transform=ax.transAxes)
        ax.set_xscale("log")
        ax.set_xlim(self.settings.start_lr, self.settings.end_lr)
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("training loss")
        ax.set_title((title + "\n" if title else "") + self._caption(), fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        if not os.path.splitext(path)[1]:  # what matplotlib would write: say it
            path += ".png"
        fig.savefig(path)
        return path


def loss_over_ranks(loss) -> float:
    """A step's loss (a one-element tensor) as a float, averaged over the ranks when
    several processes train, so that every rank reads the same curve."""
    import paddle.distributed as dist

    world = dist.get_world_size()
    if world == 1:
        return float(loss)
    shared = loss.detach().astype("float64")
    dist.all_reduce(shared)
    return float(shared) / world


def figure_name(processes: int) -> str:
    """The range test's figure in ``save_model_dir``: one name per number of processes,
    so that a 2-process test does not replace a 1-process one (the JSON beside it)."""
    return "lr_range_test.png" if processes == 1 else f"lr_range_test.{processes}proc.png"


def paste_lines(result: RangeTestResult, schedule, global_batch: int | None) -> list[str]:
    """What to write in the config: the lr block's rate keys that make its curve peak at
    the suggestion (:meth:`ppocr_lr.scheduler.LRSchedule.rates_for_peak`: ``max_lr`` for
    OneCycle, every value of Piecewise, both ends of Cyclic, each phase of Sequential),
    in the block and as ``-o`` overrides; then what the global batch means for them."""
    import yaml

    def short(value):
        if isinstance(value, float):
            return float(f"{value:.3g}")
        if isinstance(value, list):
            return [short(v) for v in value]
        if isinstance(value, dict):
            return {k: short(v) for k, v in value.items()}
        return value

    def text(value):
        return (
            yaml.safe_dump(short(value), default_flow_style=True, width=10**6)
            .strip()
            .removesuffix("...")
            .strip()
        )

    keys = schedule.rates_for_peak(result.suggestion)
    lines = [f"paste into Optimizer.lr:  {key}: {text(value)}" for key, value in keys.items()]

    def override(key, value):  # a list of numbers needs no spaces; a mapping does
        arg = f"Optimizer.lr.{key}={text(value)}"
        return arg.replace(", ", ",") if "{" not in arg else shlex.quote(arg)

    lines.append(
        "or on the command line:   -o "
        + " ".join(override(key, value) for key, value in keys.items())
    )
    if schedule.batch_rule:
        rule, _, reference = schedule.batch_rule
        lines.append(
            f"(the block scales its rates x{schedule.batch_scale:.4g} for this global "
            f"batch of {global_batch} (batch_scaling {rule}, reference_batch_size "
            f"{reference}): these are the rates at the reference batch, "
            f"{result.suggestion:.3g} at the peak once scaled)"
        )
    elif global_batch:
        lines.append(
            f"(found with a global batch of {global_batch}; with "
            f"Optimizer.lr.batch_scaling, write reference_batch_size: {global_batch})"
        )
    return lines


def _snapshot(holder) -> Any:
    return copy.deepcopy(holder.state_dict())


def range_test(
    train_step: Callable[[float], Any],
    *,
    restore: Iterable[Any] = (),
    progress: Callable[[int, float, float], None] | None = None,
    **settings: Any,
) -> RangeTestResult:
    """Run the range test over ``train_step(lr) -> loss`` and read its curve.

    ``train_step`` takes one optimisation step at learning rate ``lr`` (a float) and
    returns that step's loss (a number, or anything ``float()`` takes, such as a
    one-element tensor).  ``restore``: objects with ``state_dict`` / ``set_state_dict``
    (the model, the optimizer) put back as they were before the test, so training can
    start from the same weights.  ``progress(iteration, lr, smoothed loss)`` is called
    after every iteration (:func:`every_seconds` thins it out for a log).  ``settings``
    are :class:`RangeTestSettings` fields:
    ``start_lr`` (1e-7), ``end_lr`` (10), ``num_iters`` (200), ``beta`` (0.98),
    ``diverge_factor`` (4), ``rule`` (``floor``, ``midpoint``, ``minimum/10`` or
    ``steepest``).

    A curve that gives no suggestion (a loss that is not finite from the first step, too
    few iterations before it diverges) is not an error: the result's ``suggestion`` is
    ``None`` and its ``message`` says why."""
    s = RangeTestSettings.checked(**settings)
    if not callable(train_step):
        raise ConfigTypeError("train_step", f"got {train_step!r}; expected a function lr -> loss")
    holders = list(restore)
    saved = [_snapshot(h) for h in holders]
    for i, (holder, state) in enumerate(zip(holders, saved)):
        if isinstance(holder, paddle.optimizer.Optimizer) and not state:
            raise ConfigValueError(
                f"restore[{i}]",
                "a fresh optimizer (no step taken yet) has no state to put back: after "
                "the test its moments would stay",
                "Build a new optimizer after the range test, and leave it out of restore",
            )
    result = RangeTestResult(s)
    try:
        _ramp(train_step, s, result, progress)
    finally:
        failed = []
        for i, (holder, state) in enumerate(zip(holders, saved)):
            try:  # every holder, even when one fails
                holder.set_state_dict(state)
            except Exception as err:  # noqa: BLE001 - said below, naming which
                failed.append(f"restore[{i}] ({type(holder).__name__}): {err}")
        if failed:
            raise ConfigValueError("restore", "could not be put back: " + "; ".join(failed))
    _read(result)
    return result


def every_seconds(seconds: float, say: Callable[[str], None], num_iters: int):
    """A ``progress`` for :func:`range_test` that says the iteration, the rate and the
    smoothed loss at the first iteration and then at most once every ``seconds``."""
    last = [-math.inf]

    def progress(i: int, lr: float, smoothed: float) -> None:
        now = time.monotonic()
        if now - last[0] >= seconds:
            last[0] = now
            say(
                f"range test: iteration {i + 1}/{num_iters}, lr {lr:.3g}, smoothed loss "
                f"{smoothed:.4g}"
            )

    return progress


def _ramp(train_step, s: RangeTestSettings, result: RangeTestResult, progress=None) -> None:
    average, best, lowest_median = 0.0, math.inf, math.inf
    start, spread = math.nan, math.inf
    result.stop = f"reached end_lr {s.end_lr:g}"
    for i in range(s.num_iters):
        lr = s.lr(i)
        loss = _loss_value(train_step(lr))
        result.lrs.append(lr)
        result.losses.append(loss)
        if not math.isfinite(loss):
            result.stop, result.diverged_at = f"the loss was {loss} at lr {lr:.3g}", lr
            return
        average = s.beta * average + (1 - s.beta) * loss
        smoothed = average / (1 - s.beta ** (i + 1))
        result.smoothed.append(smoothed)
        best = min(best, smoothed)
        if progress is not None:
            progress(i, lr, smoothed)
        if i < PLATEAU_OF:  # the start's level and its noise, from the first losses
            first = np.asarray(result.losses)
            start = float(np.median(first))
            spread = float(np.median(np.abs(first - start))) if i else math.inf
        if len(result.smoothed) >= MEDIAN_OF:
            # lag-free: the median of the latest losses ignores a single spike and trails
            # the ramp by two iterations, not by the running average's fifty
            median = float(np.median(result.losses[-MEDIAN_OF:]))
            lowest_median = min(lowest_median, median)
            if _risen(median, lowest_median, start, s.diverge_factor, spread):
                result.stop, result.diverged_at = (
                    f"the loss diverged at lr {lr:.3g} (the median of the last {MEDIAN_OF} "
                    f"losses {_how_risen(lowest_median, s.diverge_factor, spread)} its lowest)",
                    lr,
                )
                return
        if _risen(smoothed, best, start, s.diverge_factor, spread):
            result.stop, result.diverged_at = (
                f"the loss diverged at lr {lr:.3g} (the smoothed loss "
                f"{_how_risen(best, s.diverge_factor, spread)} its best)",
                lr,
            )
            return


def _how_risen(lowest: float, factor: float, spread: float) -> str:
    """How :func:`_risen` read the rise, in words."""
    if lowest > 2 * spread:
        return f"passed {factor:g}x"
    return f"rose {factor - 1:g}x the descent above"


def _risen(value: float, lowest: float, start: float, factor: float, spread: float) -> bool:
    """Whether ``value`` has risen ``factor`` times above ``lowest``: as a ratio when
    ``lowest`` is positive and stands clear of the noise (the ``spread`` of the first
    losses), else by ``factor - 1`` times the descent from ``start`` to ``lowest``, once
    that descent stands out from the noise.  A loss shifted by a constant (to near 0 or
    below it) then stops after its rise, not at once or in its noise."""
    if lowest > 2 * spread:  # well above 0, beyond the noise: a ratio to it means something
        return value > factor * lowest
    descent = start - lowest
    return descent > 4 * spread and value - lowest > (factor - 1) * descent


def _loss_value(returned: Any) -> float:
    """What ``train_step`` returned, as one float (a number, or a one-element array or
    tensor); anything else is an error naming ``train_step``."""
    try:
        return one_number(returned)
    except (TypeError, ValueError) as err:
        text = " ".join(repr(returned).split())  # one line, even for an array's repr
        shown = text if len(text) < 80 else text[:77] + "..."
        raise ConfigTypeError(
            "train_step", f"returned {shown}: {err}; expected the step's loss"
        ) from None


def centred_average(values: np.ndarray, half_width: int) -> np.ndarray:
    """Mean over ``i - half_width .. i + half_width`` (fewer points at the ends): a
    smoothing without the lag of the running average, for reading the curve."""
    total = np.concatenate([[0.0], np.cumsum(values, dtype=float)])
    i = np.arange(len(values))
    low, high = np.maximum(i - half_width, 0), np.minimum(i + half_width + 1, len(values))
    return (total[high] - total[low]) / (high - low)


def _slope(curve: np.ndarray, log_lr: np.ndarray, s: RangeTestSettings) -> np.ndarray:
    """d(loss) / d(log lr) over a quarter of a decade on each side: a step-to-step slope
    is mostly the noise of single batches."""
    per_decade = (s.num_iters - 1) / (math.log10(s.end_lr) - math.log10(s.start_lr))
    k = max(1, round(per_decade / 4))
    i = np.arange(len(curve))
    low, high = np.maximum(i - k, 0), np.minimum(i + k, len(curve) - 1)
    return (curve[high] - curve[low]) / (log_lr[high] - log_lr[low])


def centred_median(values: np.ndarray, half_width: int) -> np.ndarray:
    """Median over ``i - half_width .. i + half_width`` (fewer points at the ends): where a
    level is crossed, a spike of one batch moves it no more than one point."""
    n = len(values)
    return np.array(
        [np.median(values[max(0, i - half_width) : i + half_width + 1]) for i in range(n)]
    )


def _floor_features(result: RangeTestResult, losses: np.ndarray, lrs: np.ndarray) -> None:
    """The end of the descent and the edge of divergence (see the module's docstring).

    Both are crossings of one level, ``floor + FLOOR_BAND * (start - floor)``, by the
    centred median of the losses.  The start is the median of the first twentieth of the
    ramp; the floor the median of the losses on it (the points below the level of a first
    estimate, the lowest centred median): levels, not locations, so the noise of a flat
    floor hardly moves them."""
    n = len(losses)
    curve = centred_median(losses, max(2, n // 40))  # 0.4 of a decade with the defaults
    start = float(np.median(losses[: max(3, n // 20)]))
    floor = float(curve.min())
    if not start > floor:
        return
    on_floor = curve <= floor + FLOOR_BAND * (start - floor)
    floor = float(np.median(losses[on_floor]))
    if not start > floor:
        return
    result.floor_loss = floor
    band = floor + FLOOR_BAND * (start - floor)
    end = int(np.argmax(curve <= band))
    if curve[end] > band:
        return
    result.descent_end_lr = float(lrs[end])
    # the edge on the median of MEDIAN_OF losses, as the ramp's stop: a wider window is
    # one-sided at the end of the ramp and misses a blow-up in its last iterations
    above = centred_median(losses, MEDIAN_OF // 2) > band
    above[:end] = False
    stays_above = np.flip(np.logical_and.accumulate(np.flip(above)))
    if stays_above.any():
        result.edge_lr = float(lrs[int(np.argmax(stays_above))])
    elif result.diverged_at is not None:
        result.edge_lr = result.diverged_at  # a non-finite loss straight off the floor


def _read(result: RangeTestResult) -> None:
    s = result.settings
    finite = np.asarray(result.losses[: len(result.smoothed)], dtype=float)
    smoothed = centred_average(finite, max(2, len(finite) // 40))
    result.curve = smoothed.tolist()
    if not len(smoothed):
        result.message = (
            f"the loss was {result.losses[0]} from the first step, at "
            f"lr {s.start_lr:.3g}: the learning rate is not the problem; check "
            "the data, the labels and the loss"
        )
        return
    lrs = np.asarray(result.lrs[: len(smoothed)])
    lowest = int(np.argmin(smoothed))
    window = slice(min(SKIP_START, lowest), lowest + 1)
    if lowest + 1 - window.start < MIN_POINTS:
        result.message = (
            f"too few iterations before the loss's minimum ({lowest + 1} of "
            f"{len(result.lrs)}, {result.stop}); raise num_iters or lower "
            "start_lr"
        )
        return
    slope = _slope(smoothed[window], np.log(lrs[window]), s)
    if slope.min() >= 0:
        result.message = (
            "the loss never went down over the ramp; check the data, or start the ramp lower"
        )
        return
    result.minimum_lr = float(lrs[lowest])
    result.steepest_lr = float(lrs[window][int(np.argmin(slope))])
    _floor_features(result, finite, lrs)
    if result.edge_lr is not None and result.diverged_at is None:
        result.stop += f"; the loss left its floor for good at lr {result.edge_lr:.3g}"
    if s.rule == "floor" and result.descent_end_lr is None:
        result.message = (
            "the loss never settled on a floor below its start; check the "
            "data, or start the ramp lower"
        )
    elif result.edge_lr is None:
        result.message = (
            f"the loss never left its floor up to end_lr {s.end_lr:g}: the "
            "edge of divergence is beyond the ramp, so the suggestion is a "
            "lower bound; raise end_lr"
        )
