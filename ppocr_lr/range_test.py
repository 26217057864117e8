"""The learning-rate range test: which ``learning_rate`` suits a model and its data.

Train for a short while with a learning rate that grows exponentially, step by step,
from ``start_lr`` to ``end_lr``, and watch the loss::

    lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iters - 1)),   i = 0 .. num_iters-1

The loss is smoothed with an exponential moving average whose start-up bias is removed
(``s_i = m_i / (1 - beta ** (i + 1))`` with ``m_i = beta * m_{i-1} + (1 - beta) * loss_i``).
The ramp stops early once the smoothed loss exceeds ``diverge_factor`` times its best
value, or the loss is not finite.

Three readings of the curve are computed; ``rule`` picks the suggestion:

* ``steepest``: the rate where the averaged loss falls fastest against ``log(lr)``,
  between the start of the ramp and the minimum (PyTorch Lightning's reading).  It marks
  where training starts to move the loss.
* ``minimum/10``: a tenth of the rate at the averaged loss's minimum (fastai's classic
  rule).  The minimum sits just before divergence; a tenth of it keeps a margin.
* ``midpoint`` (the default): the geometric mean of the two, the middle, in log scale, of
  the span where the rate is neither too small to learn nor close to diverging.  On a
  curve with a long flat floor, as a CTC loss gives (a quick drop to predicting blanks,
  then a plateau over three decades), the steepest descent only marks the quick drop (3.1e-4
  on the default recognizer, six times below its config's 0.002) and the minimum lies
  anywhere on the flat floor (0.82 there, so minimum/10 = 0.082); the midpoint (0.016)
  is the one that does not depend on either end being sharp.  500-iteration Cosine runs
  of the default recognizer reach 55.3% at 0.002, 95.5% at 0.006, 97.5% at 0.02 and 95.5%
  at 0.08; ``docs/schedule_study.md`` measures whole runs.

The curve is read on a centred average of the losses, not on the running average that
decides when to stop: that one trails the ramp by about ``1 / (1 - beta)`` iterations.

The test works on any trainer: :func:`range_test` only needs ``train_step(lr) -> loss``,
one optimisation step at that learning rate.  ``tools/find_lr.py`` runs it on the
recognizer of a PaddleOCR-style config.
"""

from __future__ import annotations

import copy
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .errors import ConfigTypeError, ConfigValueError

RULES = ("midpoint", "minimum/10", "steepest")
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
    rule: str = "midpoint"

    def lr(self, i: int) -> float:
        """The ramp's rate at iteration ``i`` (closed form; ``i`` from 0)."""
        if i <= 0 or self.num_iters == 1:
            return self.start_lr
        if i >= self.num_iters - 1:
            return self.end_lr
        low, high = math.log(self.start_lr), math.log(self.end_lr)  # no overflow of the ratio
        return math.exp(low + (high - low) * i / (self.num_iters - 1))

    @classmethod
    def checked(cls, names: Mapping[str, str] | None = None, **values: Any
                ) -> "RangeTestSettings":
        """Settings from user values; errors name each setting as ``names`` spells it
        (``--start-lr`` on the command line)."""
        names = dict(names or {})

        def name(key):
            return names.get(key, key)

        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigTypeError(name(sorted(unknown)[0]), "is not a range-test setting; "
                                  "expected one of " + ", ".join(cls.__dataclass_fields__))
        out = dict(values)
        for key in ("start_lr", "end_lr", "beta", "diverge_factor"):
            if key in out:
                out[key] = _number(out[key], name(key))
        if "num_iters" in out:
            n = out["num_iters"]
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise ConfigTypeError(name("num_iters"), f"got {n!r}; expected a whole "
                                      "number of iterations")
            out["num_iters"] = int(n)
        s = cls(**out)
        if not 0 < s.start_lr < s.end_lr <= 1e10:
            wrong = "start_lr" if "start_lr" in values and not (
                0 < s.start_lr < cls.end_lr) else "end_lr"
            raise ConfigValueError(
                name(wrong), f"{name('start_lr')} {s.start_lr!r} and {name('end_lr')} "
                f"{s.end_lr!r}; expected 0 < {name('start_lr')} < {name('end_lr')} <= 1e10")
        if not 1 <= s.num_iters <= 1_000_000:
            raise ConfigValueError(name("num_iters"), f"got {s.num_iters}; expected 1 to "
                                   "1,000,000 iterations (100 to 300 is usual)")
        if not 0 <= s.beta < 1:
            raise ConfigValueError(name("beta"), f"got {s.beta!r}; expected 0 <= beta < 1")
        if not s.diverge_factor > 1:
            raise ConfigValueError(name("diverge_factor"), f"got {s.diverge_factor!r}; "
                                   "expected a number above 1")
        if s.rule not in RULES:
            raise ConfigValueError(name("rule"), f"got {s.rule!r}; expected one of "
                                   + ", ".join(RULES))
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
    last non-finite one); ``smoothed`` the running average of the finite ones (which decides when the ramp
    stops) and ``curve`` their centred average (from which the rates are read).
    ``suggestion`` is ``None`` when the curve cannot give one; ``message`` then says
    why (and otherwise notes anything worth a look)."""

    settings: RangeTestSettings
    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    smoothed: list = field(default_factory=list)
    curve: list = field(default_factory=list)
    stop: str = ""
    steepest_lr: float | None = None
    minimum_lr: float | None = None
    message: str = ""

    def reading(self, rule: str) -> float | None:
        """The rate ``rule`` reads from the curve (None when the curve gives none)."""
        if self.steepest_lr is None or self.minimum_lr is None:
            return None
        return {"steepest": self.steepest_lr, "minimum/10": self.minimum_lr / 10,
                "midpoint": math.sqrt(self.steepest_lr * self.minimum_lr)}[rule]

    @property
    def suggestion(self) -> float | None:
        return self.reading(self.settings.rule)

    def describe(self) -> str:
        """One line: the suggestion and the rule, or why there is none."""
        if self.suggestion is None:
            return f"no suggestion: {self.message}"
        rule = {"steepest": "the steepest descent of the averaged loss",
                "minimum/10": "a tenth of the rate at the averaged loss's minimum",
                "midpoint": "the geometric mean of the steepest descent and the minimum"
                }[self.settings.rule]
        return (f"suggested learning_rate: {self.suggestion:.3g} ({rule}; steepest descent "
                f"at {self.steepest_lr:.3g}, minimum at {self.minimum_lr:.3g}; "
                f"{len(self.lrs)} iterations, {self.stop})")

    def _caption(self) -> str:
        if self.suggestion is None:
            return f"no suggestion: {self.message}"
        return (f"suggestion {self.suggestion:.3g} (rule {self.settings.rule}); "
                f"{len(self.lrs)} iterations\n{self.stop}")

    def to_dict(self) -> dict:
        """The curve and the readings, for a JSON file."""
        return {"settings": vars(self.settings), "lr": self.lrs, "loss": self.losses,
                "curve": self.curve, "stop": self.stop, "steepest_lr": self.steepest_lr,
                "minimum_lr": self.minimum_lr, "suggestion": self.suggestion,
                "readings": {rule: self.reading(rule) for rule in RULES},
                "message": self.message}

    def plot(self, path: str, title: str = "") -> str:
        """Write the loss against the learning rate (log x), the suggestion marked."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
        try:
            n = len(self.curve)
            if n:
                lrs = np.asarray(self.lrs[:n])
                ax.plot(lrs, self.losses[:n], color="0.7", lw=0.8, label="loss")
                ax.plot(lrs, self.curve, color="C0", lw=1.8, label="loss, centred average")
                if self.suggestion is not None:
                    ax.axvline(self.suggestion, color="C3", ls="--",
                               label=f"suggestion {self.suggestion:.3g} ({self.settings.rule})")
                if self.minimum_lr is not None:
                    ax.axvline(self.minimum_lr, color="0.4", ls=":", lw=1,
                               label=f"minimum at {self.minimum_lr:.3g}")
                if self.steepest_lr is not None and self.settings.rule != "steepest":
                    ax.axvline(self.steepest_lr, color="C2", ls="-.", lw=1,
                               label=f"steepest descent at {self.steepest_lr:.3g}")
                # up to the highest point before the minimum: the divergence is cut off
                lowest = int(np.argmin(self.curve))
                low = min(self.losses[:n])
                top = max(max(self.curve[:lowest + 1]), min(self.curve) * 1.5)
                pad = 0.05 * (top - low) + 1e-12
                ax.set_ylim(low - pad, top + pad)
                ax.legend(fontsize=8, loc="best")
            else:
                ax.text(0.5, 0.5, "no finite loss", ha="center", va="center",
                        transform=ax.transAxes)
            ax.set_xscale("log")
            ax.set_xlim(self.settings.start_lr, self.settings.end_lr)
            ax.set_xlabel("learning rate (log scale)")
            ax.set_ylabel("training loss")
            ax.set_title((title + "\n" if title else "") + self._caption(), fontsize=8)
            ax.grid(True, which="both", alpha=0.3)
            fig.tight_layout()
            fig.savefig(path)
        finally:
            plt.close(fig)
        return path


def _snapshot(holder) -> Any:
    return copy.deepcopy(holder.state_dict())


def range_test(train_step: Callable[[float], Any], *, restore: Iterable[Any] = (),
               **settings: Any) -> RangeTestResult:
    """Run the range test over ``train_step(lr) -> loss`` and read its curve.

    ``train_step`` takes one optimisation step at learning rate ``lr`` (a float) and
    returns that step's loss (a number, or anything ``float()`` takes, such as a
    one-element tensor).  ``restore``: objects with ``state_dict`` / ``set_state_dict``
    (the model, the optimizer) put back as they were before the test, so training can
    start from the same weights.  ``settings`` are :class:`RangeTestSettings` fields:
    ``start_lr`` (1e-7), ``end_lr`` (10), ``num_iters`` (200), ``beta`` (0.98),
    ``diverge_factor`` (4), ``rule`` (``midpoint``, ``minimum/10`` or ``steepest``).

    A curve that gives no suggestion (a loss that is not finite from the first step, too
    few iterations before it diverges) is not an error: the result's ``suggestion`` is
    ``None`` and its ``message`` says why."""
    s = RangeTestSettings.checked(**settings)
    if not callable(train_step):
        raise ConfigTypeError("train_step", f"got {train_step!r}; expected a function "
                              "lr -> loss")
    holders = list(restore)
    saved = [_snapshot(h) for h in holders]
    result = RangeTestResult(s)
    try:
        _ramp(train_step, s, result)
    finally:
        for holder, state in zip(holders, saved):
            holder.set_state_dict(state)
    _read(result)
    return result


def _ramp(train_step, s: RangeTestSettings, result: RangeTestResult) -> None:
    average, best = 0.0, math.inf
    result.stop = f"reached end_lr {s.end_lr:g} without diverging"
    for i in range(s.num_iters):
        lr = s.lr(i)
        returned = train_step(lr)
        try:
            loss = float(returned)
        except (TypeError, ValueError):
            raise ConfigTypeError("train_step", f"returned {returned!r}; expected the "
                                  "step's loss as a number") from None
        result.lrs.append(lr)
        result.losses.append(loss)
        if not math.isfinite(loss):
            result.stop = f"the loss was {loss} at lr {lr:.3g}"
            return
        average = s.beta * average + (1 - s.beta) * loss
        smoothed = average / (1 - s.beta ** (i + 1))
        result.smoothed.append(smoothed)
        best = min(best, smoothed)
        if smoothed > s.diverge_factor * best:
            result.stop = (f"the smoothed loss passed {s.diverge_factor:g}x its best at lr "
                           f"{lr:.3g}")
            return


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


def _read(result: RangeTestResult) -> None:
    s = result.settings
    finite = np.asarray(result.losses[:len(result.smoothed)], dtype=float)
    # The running average trails the ramp by about 1 / (1 - beta) iterations (a factor
    # of 100 in lr with the defaults), which would move the readings to larger rates;
    # the curve is read on a centred average of the raw losses instead.
    smoothed = centred_average(finite, max(2, len(finite) // 40))
    result.curve = smoothed.tolist()
    if not len(smoothed):
        result.message = (f"the loss was {result.losses[0]} from the first step, at "
                          f"lr {s.start_lr:.3g}: the learning rate is not the problem; check "
                          "the data, the labels and the loss")
        return
    lrs = np.asarray(result.lrs[:len(smoothed)])
    lowest = int(np.argmin(smoothed))
    window = slice(min(SKIP_START, lowest), lowest + 1)
    if lowest + 1 - window.start < MIN_POINTS:
        result.message = (f"too few iterations before the loss's minimum ({lowest + 1} of "
                          f"{len(result.lrs)}, {result.stop}); raise num_iters or lower "
                          "start_lr")
        return
    result.minimum_lr = float(lrs[lowest])
    slope = _slope(smoothed[window], np.log(lrs[window]), s)
    result.steepest_lr = float(lrs[window][int(np.argmin(slope))])
    if slope.min() >= 0:
        result.steepest_lr = result.minimum_lr = None
        result.message = ("the loss never went down over the ramp; check the data, or "
                          "start the ramp lower")
    elif result.stop.startswith("reached end_lr"):
        result.message = ("the loss never diverged up to end_lr: the suggestion is a "
                          "reading of a curve that may go on falling; look at the figure")
