"""Learning rates as pure functions of the step.

A :class:`Schedule` maps the number of ``step()`` calls made so far, ``t`` (0 right after
construction), to a learning rate.  It holds no state: resuming is just setting ``t``,
and nothing can drift, because every value is computed in closed form from ``t``.

Each formula is written once, in :meth:`Schedule.formula`, against a small backend
``xp`` that is either :data:`SCALAR` (Python ints and floats, the ``math`` module: what
Paddle's own schedulers use, so one ``step()`` is cheap and bit-identical to theirs) or
:data:`VECTOR` (numpy arrays of steps, for plots and whole-run checks).  The two agree
to a few ulp: arithmetic is IEEE in both, and numpy's vectorised ``cos``/``exp``/``log``/
``pow`` may differ from ``math``'s in the last bit.

Combinators join schedules: :class:`Switch` (phases in time, each on its own clock),
:class:`Cycle` (repeat), :class:`Hold` (stop at a step).  Warm-up is
``Switch([W], [Ramp(...), decay], offsets=[0, W])``.
"""

from __future__ import annotations

import bisect
import math
import operator
from types import SimpleNamespace
from typing import Any, Callable, Sequence

import numpy as np

from . import step_code

# --------------------------------------------------------------------------- backends


def _mix64(x: int) -> int:
    """SplitMix64's finaliser: a 64-bit integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


# One step: Python numbers, ``math`` and C builtins (Python code only for the noise hash), so
# ``step()`` costs about what Paddle's own schedulers cost.
SCALAR = SimpleNamespace(
    cos=math.cos,
    exp=math.exp,
    log=math.log,
    sqrt=math.sqrt,
    pow=operator.pow,
    ipow=operator.pow,  # float ** int: C pow() with the int as a double
    floor=math.floor,
    ceil=math.ceil,
    minimum=min,
    maximum=max,
    tanh=math.tanh,
    where=lambda condition, yes, no: yes if condition else no,
    take=operator.getitem,  # table[index]
    count_le=bisect.bisect_right,  # how many sorted values are <= t
    count_lt=bisect.bisect_left,  # how many sorted values are < t
    mix64=_mix64,
    unit_interval=lambda bits: ((bits >> 11) + 1) * 2.0**-53,  # (0, 1] from 53 bits
    as_uint64=lambda t: t & 0xFFFFFFFFFFFFFFFF,
)


class _VectorBackend:
    """Many steps at once: numpy's vectorised functions.  They may differ from ``math``'s
    in the last bit (SIMD loops, ``power(x, 0.5)`` as ``sqrt``), so an array agrees with
    ``lr_at`` to a few ulp, not to the bit."""

    cos = staticmethod(np.cos)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    tanh = staticmethod(np.tanh)
    pow = staticmethod(np.power)
    sqrt = staticmethod(np.sqrt)
    floor = staticmethod(np.floor)
    ceil = staticmethod(np.ceil)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    where = staticmethod(np.where)

    @staticmethod
    def ipow(base: float, exponents):
        """``base ** k`` for an integer array ``k``: a table of the powers in range when
        there are no more of them than steps (a staircase's few values), else numpy's
        ``power``; either way the cost follows the number of steps, not their range."""
        k = np.asarray(exponents)
        if k.size == 0:
            return np.zeros(k.shape)
        low, high = int(k.min()), int(k.max())
        if high - low < k.size:
            table = np.array([base ** float(e) for e in range(low, high + 1)])
            return table[(k - low).astype(np.int64)]
        return np.power(base, k.astype(np.float64))

    @staticmethod
    def take(table: Sequence[float], index):
        return np.asarray(table, dtype=np.float64)[index]

    @staticmethod
    def count_le(sorted_values, t):
        return np.searchsorted(np.asarray(sorted_values), t, side="right")

    @staticmethod
    def count_lt(sorted_values, t):
        return np.searchsorted(np.asarray(sorted_values), t, side="left")

    @staticmethod
    def mix64(x):
        x = np.asarray(x, dtype=np.uint64)
        with np.errstate(over="ignore"):
            x = x + np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))

    @staticmethod
    def unit_interval(bits):
        return ((bits >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53

    @staticmethod
    def as_uint64(t):
        return np.asarray(t).astype(np.uint64)

    @staticmethod
    def cycle_position(t, first: float, mul: float):
        return cycle_position(t, first, mul, VECTOR)


VECTOR = _VectorBackend()


def half_cosine(angle, xp=SCALAR):
    """``(1 + cos(angle)) / 2``, from 1 at 0 down to 0 at pi: the factor of every cosine
    decay here.  Each formula keeps computing its own ``angle`` (``pi * t / T`` and
    ``pi * (t / T)`` differ in the last bit); the factor of one half is exact, so
    ``x * half_cosine(a)`` has the bits of ``x * (1 + cos(a)) / 2`` and of ``0.5 * x * (1 +
    cos(a))``, which the parity tests against Paddle's built-ins check to the bit."""
    return 0.5 * (1 + xp.cos(angle))


def one_minus_tanh(x, xp=SCALAR):
    """``1 - tanh(x)`` without cancellation: ``2 e / (1 + e)`` for ``x >= 0`` and
    ``2 / (1 + e)`` below, ``e = exp(-2 |x|)`` (never overflows).  Near 1 - tanh(10) =
    4e-9 the direct form keeps 8 digits at most, and the scalar and vector ``tanh``
    disagree in those digits."""
    e = xp.exp(-2.0 * xp.maximum(x, -x))
    return xp.where(x >= 0, 2.0 * e / (1.0 + e), 2.0 / (1.0 + e))


# --------------------------------------------------------------------------- base


class Schedule:
    """A learning rate as a pure function of the step ``t`` (an int >= 0)."""

    def __call__(self, t: int) -> float:
        return self.formula(t)

    def scalar(self) -> Callable[[int], float]:
        """A fast function of one step with the same bits as ``self(t)``; what ``step()``
        calls: the formula traced into straight-line code, constants written in
        (:mod:`ppocr_lr.step_code`)."""
        return step_code.step_function(self)

    def emit(self, code: step_code.Code, t):
        """Write this schedule at the (symbolic) step ``t`` into ``code``; its value."""
        return self.formula(t, TRACE)

    def array(self, t: np.ndarray) -> np.ndarray:
        """The learning rate at every step of an int64 array ``t``."""
        # an overflow gives inf, as in the scalar formula; the caller refuses a rate that
        # is not finite with an error naming the step (numpy would warn first)
        with np.errstate(over="ignore", invalid="ignore"):
            values = self.formula(t, VECTOR)
        if np.ndim(values) == 0:
            return np.full(t.shape, float(values))
        return np.asarray(values, dtype=np.float64)

    def formula(self, t, xp=SCALAR):
        raise NotImplementedError


# --------------------------------------------------------------------------- leaves


class Constant(Schedule):
    """``value`` at every step."""

    def __init__(self, value: float):
        self.value = float(value)

    def formula(self, t, xp=SCALAR):
        return self.value


class Ramp(Schedule):
    """Linear from ``start`` (t = 0) towards ``end`` (t = length):
    ``(end - start) * t / length + start`` (Paddle's ``LinearWarmup`` arithmetic)."""

    def __init__(self, start: float, end: float, length: int):
        self.start, self.end, self.length = float(start), float(end), int(length)

    def formula(self, t, xp=SCALAR):
        return (self.end - self.start) * t / self.length + self.start


class PolynomialCurve(Schedule):
    """``(lr0 - end_lr) * (1 - s / D) ** power + end_lr``.

    Without ``cycle``: ``s = min(t, D)`` (it stays at ``end_lr`` after ``D``).  With it:
    ``s = t`` and ``D`` grows to the next multiple of ``decay_steps``,
    ``D * ceil(t / D)`` (``D`` at t = 0).  Paddle's ``PolynomialDecay`` arithmetic."""

    def __init__(
        self, lr0: float, decay_steps: int, end_lr: float, power: float, cycle: bool = False
    ):
        self.lr0, self.decay_steps, self.end_lr = float(lr0), int(decay_steps), float(end_lr)
        self.power, self.cycle = float(power), bool(cycle)

    def formula(self, t, xp=SCALAR):
        if self.cycle:
            length = self.decay_steps * xp.maximum(xp.ceil(t / self.decay_steps), 1)
            progress = t / length
        else:
            progress = xp.minimum(t, self.decay_steps) / self.decay_steps
        base = 1 - progress
        if self.power != 1.0:  # x ** 1.0 is x exactly; skipping pow keeps arrays fast
            base = xp.pow(base, self.power)
        return (self.lr0 - self.end_lr) * base + self.end_lr


class CosineCurve(Schedule):
    """``eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T)) / 2``: half a cosine over
    ``T`` steps, periodic after it (Paddle's closed-form ``CosineAnnealingDecay``)."""

    def __init__(self, lr0: float, period: int, eta_min: float = 0.0):
        self.lr0, self.period, self.eta_min = float(lr0), int(period), float(eta_min)

    def formula(self, t, xp=SCALAR):
        return self.eta_min + (self.lr0 - self.eta_min) * half_cosine(math.pi * t / self.period, xp)


class GeometricSteps(Schedule):
    """``lr0 * gamma ** k(t)``, ``k`` = how many of ``milestones`` are <= t, or
    ``floor(t / every)`` when ``every`` is given (Paddle's ``MultiStepDecay`` and
    ``StepDecay``)."""

    def __init__(
        self, lr0: float, gamma: float, milestones: Sequence[int] = (), every: int | None = None
    ):
        self.lr0, self.gamma = float(lr0), float(gamma)
        self.milestones, self.every = list(milestones), every

    def formula(self, t, xp=SCALAR):
        k = t // self.every if self.every else xp.count_le(self.milestones, t)
        return self.lr0 * xp.ipow(self.gamma, k)


class PiecewiseConstant(Schedule):
    """``values[i]`` for the first ``i`` with ``t < boundaries[i]``, else ``values[-1]``."""

    def __init__(self, boundaries: Sequence[int], values: Sequence[float]):
        self.boundaries, self.values = list(boundaries), [float(v) for v in values]

    def formula(self, t, xp=SCALAR):
        return xp.take(self.values, xp.count_le(self.boundaries, t))


class _ProgressDecay(Schedule):
    """The classic decays of ``p = t / D``, or ``floor(t / D)`` with ``staircase``."""

    def __init__(self, lr0: float, rate: float, decay_steps: int, staircase: bool):
        self.lr0, self.rate = float(lr0), float(rate)
        self.decay_steps, self.staircase = int(decay_steps), bool(staircase)
        self.divide = operator.floordiv if staircase else operator.truediv  # p = divide(t, D)


class ExponentialDecay(_ProgressDecay):
    """``lr0 * rate ** p`` (Paddle's ``ExponentialDecay`` when ``D = 1``)."""

    def formula(self, t, xp=SCALAR):
        power = xp.ipow if self.staircase else xp.pow  # whole powers: exact, table-driven
        return self.lr0 * power(self.rate, self.divide(t, self.decay_steps))


class NaturalExpDecay(_ProgressDecay):
    """``lr0 * exp(-rate * p)`` (Paddle's ``NaturalExpDecay`` arithmetic)."""

    def formula(self, t, xp=SCALAR):
        return self.lr0 * xp.exp(-1 * self.rate * self.divide(t, self.decay_steps))


class InverseTimeDecay(_ProgressDecay):
    """``lr0 / (1 + rate * p)`` (Paddle's ``InverseTimeDecay`` arithmetic)."""

    def formula(self, t, xp=SCALAR):
        return self.lr0 / (1 + self.rate * self.divide(t, self.decay_steps))


class CosineToFloor(Schedule):
    """``lr0 * ((1 - alpha) * c + alpha)``, ``c = (1 + cos(pi * min(t, D) / D)) / 2``."""

    def __init__(self, lr0: float, decay_steps: int, alpha: float):
        self.lr0, self.decay_steps, self.alpha = float(lr0), int(decay_steps), float(alpha)

    def formula(self, t, xp=SCALAR):
        s = xp.minimum(t, self.decay_steps)
        c = half_cosine(math.pi * s / self.decay_steps, xp)
        return self.lr0 * ((1 - self.alpha) * c + self.alpha)


def cycle_position(t, first: float, mul: float, xp):
    """The closed form of ``xp.cycle_position`` (every backend's, the traced step's on a
    miss of its cache).

    ``(i, pos, length)``: the cycle that holds step ``t`` when cycles last ``first``,
    ``first * mul``, ``first * mul**2``, ... steps (SGDR's and timm's cycles), the step's
    position in it and its length."""
    if mul == 1.0:
        i = xp.floor(t / first)
        return i, t - i * first, first
    i = xp.floor(xp.log(1 - t / first * (1 - mul)) / math.log(mul))
    # At the very step a cycle starts the logarithm can land a hair below a whole number
    # (t = 847 for first 7, mul 3): move i to the cycle that really holds t.
    i = i + (t >= _cycle_start(first, mul, i + 1, xp)) - (t < _cycle_start(first, mul, i, xp))
    return i, t - _cycle_start(first, mul, i, xp), first * xp.ipow(mul, i)


def _cycle_start(first: float, mul: float, i, xp):
    """The step cycle ``i`` starts at: ``first * (mul**i - 1) / (mul - 1)``."""
    return first * (1 - xp.ipow(mul, i)) / (1 - mul)


class _CycleCache:
    """The cycle that held the last step a traced ``step()`` saw: the next steps fall in
    it until the cycle ends, and need no logarithm.  Its values are the closed form's for
    every step in ``[start, end)`` (the one cycle whose float start is at or below ``t``
    and whose end is above: what the closed form's correction settles on), so the step
    gives the same bits with or without it.  ``bases``: constants the formula raises to
    the cycle's number (a peak's decay per cycle), their powers kept with the cycle."""

    def __init__(self, first: float, mul: float):
        self.first, self.mul = first, mul
        self.bases: list[float] = []
        self.span: tuple = (1, 0)  # (start, end, cycle, length, *powers): empty at first

    def move(self, t: int) -> tuple:
        i, _, length = cycle_position(t, self.first, self.mul, SCALAR)
        start = _cycle_start(self.first, self.mul, i, SCALAR)
        end = _cycle_start(self.first, self.mul, i + 1, SCALAR)
        self.span = (start, end, i, length, *(SCALAR.ipow(b, i) for b in self.bases))
        return self.span


class _CycleNumber(step_code.Symbol):
    """The cycle's number in traced code: a constant raised to it comes with the cycle."""

    __slots__ = ("cache", "unpacking", "names", "powers")
    cache: _CycleCache  # the cycle kept between steps
    unpacking: list  # the lines that unpack its span
    names: list  # the names they unpack into
    powers: dict  # base -> the name of base ** cycle

    def power(self, base: float) -> step_code.Symbol:
        if base not in self.powers:
            code, cache = self.code, self.cache
            self.powers[base] = code.fresh(is_float=isinstance(base, float))
            self.names.append(self.powers[base].name)
            cache.bases.append(base)
            cache.span = (1, 0) + (0,) * (len(self.names) - 2)  # empty, of the new length
            for index in self.unpacking:  # both unpackings carry the new power
                line = code.lines[index]
                indent = line[: len(line) - len(line.lstrip())]
                code.lines[index] = f"{indent}{', '.join(self.names)} = {line.split(' = ', 1)[1]}"
        return self.powers[base]


class _TraceBackend(step_code.TraceBackend):
    def cycle_position(self, t: Any, first: float, mul: float):
        if not isinstance(t, step_code.Symbol) or mul == 1.0:  # one floor: nothing to save
            return cycle_position(t, first, mul, self)
        code = t.code
        cache = _CycleCache(first, mul)
        name = code.bind(cache)
        start, end, length = (code.fresh(is_float=True) for _ in range(3))
        i = _CycleNumber(code, code.fresh().name)
        i.cache, i.names, i.powers = cache, [start.name, end.name, i.name, length.name], {}
        names = ", ".join(i.names)
        code.line(f"{names} = {name}.span")
        i.unpacking = [len(code.lines) - 1]
        with code.block(f"if not {start.name} <= {t.name} < {end.name}:"):
            code.line(f"{names} = {name}.move({t.name})")
            i.unpacking.append(len(code.lines) - 1)
        cache.span = (1, 0, 0, 0.0)
        return i, code.assign(f"{t.name} - {start.name}", True), length  # t - start

    def ipow(self, base, k):
        if isinstance(k, _CycleNumber) and type(base) in (int, float):
            return k.power(base)
        return self.traced("ipow")(base, k)


SCALAR.cycle_position = lambda t, first, mul: cycle_position(t, first, mul, SCALAR)
#: The scalar backend on a symbolic step: what :meth:`Schedule.scalar` traces a formula with.
TRACE = _TraceBackend(SCALAR)


class WarmRestartCurve(Schedule):
    """SGDR: cosine periods of ``first * t_mul ** i`` steps, peaks scaled by ``m_mul ** i``."""

    def __init__(
        self, lr0: float, first_decay_steps: int, t_mul: float, m_mul: float, alpha: float
    ):
        self.lr0, self.first = float(lr0), int(first_decay_steps)
        self.t_mul, self.m_mul, self.alpha = float(t_mul), float(m_mul), float(alpha)

    def formula(self, t, xp=SCALAR):
        i, pos, length = xp.cycle_position(t, self.first, self.t_mul)
        c = xp.ipow(self.m_mul, i) * half_cosine(math.pi * pos / length, xp)
        return self.lr0 * ((1 - self.alpha) * c + self.alpha)


class TimmCycleCurve(Schedule):
    """timm's cycle schedules: cycle ``i`` lasts ``C * cycle_mul**i`` steps and peaks at
    ``lr0 * cycle_decay**i``; from cycle ``cycle_limit`` on, ``min_lr``.  Within a cycle, at
    ``r = (pos / len)**k`` (``k = k_decay``; timm's ``pos**k / len**k``, which could overflow):

    * ``cosine``: ``min_lr + (peak - min_lr) * (1 + cos(pi * r)) / 2``
    * ``poly``: ``min_lr + (peak - min_lr) * (1 - r) ** power``
    * ``tanh``: ``min_lr + (peak - min_lr) * (1 - tanh(lb * (1 - r) + ub * r)) / 2``
      (with ``r = pos / len``)."""

    def __init__(
        self,
        shape: str,
        lr0: float,
        cycle_steps: int,
        cycle_mul: float,
        cycle_decay: float,
        cycle_limit: int,
        min_lr: float,
        k_decay: float = 1.0,
        power: float = 0.5,
        lb: float = -7.0,
        ub: float = 3.0,
    ):
        self.shape, self.lr0, self.first = shape, float(lr0), int(cycle_steps)
        self.mul, self.decay, self.limit = float(cycle_mul), float(cycle_decay), int(cycle_limit)
        self.min_lr, self.k, self.power = float(min_lr), float(k_decay), float(power)
        self.lb, self.ub = float(lb), float(ub)

    def formula(self, t, xp=SCALAR):
        i, pos, length = xp.cycle_position(t, self.first, self.mul)
        span = self.lr0 * xp.ipow(self.decay, i) - self.min_lr
        if self.shape == "tanh":
            r = pos / length
            value = self.min_lr + 0.5 * span * one_minus_tanh(self.lb * (1 - r) + self.ub * r, xp)
        else:
            r = pos / length if self.k == 1.0 else xp.pow(pos / length, self.k)
            if self.shape == "cosine":
                value = self.min_lr + span * half_cosine(math.pi * r, xp)
            else:
                value = self.min_lr + span * xp.pow(1 - r, self.power)
        return xp.where(i < self.limit, value, self.min_lr)


class LinearCosineCurve(Schedule):
    """``lr0 * ((alpha + lin + eps) * cos + beta)`` with ``s = min(t, D)``,
    ``lin = (D - s) / D``, ``cos = (1 + cos(2 pi num_periods s / D)) / 2``.

    ``eps`` is 0, or with ``initial_variance > 0`` a normal draw of variance
    ``initial_variance / (1 + s) ** variance_decay``, a pure function of ``(seed, t)``:
    the same after a resume and on every rank.  With noise the rate is clipped at 0 (a
    draw can take it below)."""

    def __init__(
        self,
        lr0: float,
        decay_steps: int,
        num_periods: float,
        alpha: float,
        beta: float,
        initial_variance: float = 0.0,
        variance_decay: float = 0.55,
        seed: int = 0,
    ):
        self.lr0, self.decay_steps = float(lr0), int(decay_steps)
        self.num_periods, self.alpha, self.beta = float(num_periods), float(alpha), float(beta)
        self.initial_variance, self.variance_decay = float(initial_variance), float(variance_decay)
        self.seed = int(seed)

    def formula(self, t, xp=SCALAR):
        s = xp.minimum(t, self.decay_steps)
        linear = (self.decay_steps - s) / self.decay_steps
        if self.initial_variance:
            # initial_variance / (1 + s) ** variance_decay, in a form that cannot overflow
            variance = self.initial_variance * xp.exp(-self.variance_decay * xp.log(1 + s))
            linear = linear + xp.sqrt(variance) * standard_normal(self.seed, t, xp)
            cosine = half_cosine(2 * math.pi * self.num_periods * s / self.decay_steps, xp)
            # the noise can take the rate below 0: a learning rate is never negative
            return xp.maximum(self.lr0 * ((self.alpha + linear) * cosine + self.beta), 0.0)
        cosine = half_cosine(2 * math.pi * self.num_periods * s / self.decay_steps, xp)
        return self.lr0 * ((self.alpha + linear) * cosine + self.beta)


def standard_normal(seed: int, t, xp):
    """A standard normal draw that depends only on ``(seed, t)`` (Box-Muller over two
    SplitMix64 hashes of the step), identical in both backends."""
    key = _mix64(int(seed) & 0xFFFFFFFFFFFFFFFF)
    counter = xp.as_uint64(t) * 2
    u1 = xp.unit_interval(xp.mix64(counter ^ key))
    u2 = xp.unit_interval(xp.mix64((counter + 1) ^ key))
    return xp.sqrt(-2.0 * xp.log(u1)) * xp.cos(2 * math.pi * u2)


class OneCyclePhases(Schedule):
    """Phases ``(end_step, from, to)``; at ``t`` the first phase with ``t <= end_step``
    (the last otherwise) anneals ``from -> to`` over ``pct = (t - start) / (end - start)``,
    ``start`` being the previous phase's end (0 first).  ``cos``:
    ``to + (from - to) / 2 * (cos(pi * pct) + 1)``; ``linear``: ``(to - from) * pct + from``,
    clipped at 0 (at ``t = T`` the line overshoots below 0, where PaddleOCR gives a
    negative rate)."""

    def __init__(self, phases: Sequence[tuple[float, float, float]], strategy: str):
        self.ends = [float(p[0]) for p in phases]
        self.starts = [0.0] + self.ends[:-1]
        self.froms = [float(p[1]) for p in phases]
        self.tos = [float(p[2]) for p in phases]
        self.strategy = strategy

    def formula(self, t, xp=SCALAR):
        phase = xp.minimum(xp.count_lt(self.ends, t), len(self.ends) - 1)
        start, end = xp.take(self.starts, phase), xp.take(self.ends, phase)
        first, last = xp.take(self.froms, phase), xp.take(self.tos, phase)
        pct = (t - start) / (end - start)
        if self.strategy == "cos":
            return last + (first - last) * half_cosine(math.pi * pct, xp)
        # one step past the last phase (t = T) the line overshoots below 0: clipped
        return xp.maximum((last - first) * pct + first, 0.0)


class StableDecayCurve(Schedule):
    """Warmup-stable-decay after its warm-up: ``lr0`` for ``stable`` steps, then over
    ``decay`` steps, with ``p`` the decay's progress, ``min_lr + (lr0 - min_lr) * f(p)``:
    ``linear`` ``1 - p``, ``cosine`` ``(1 + cos(pi p)) / 2``, ``1-sqrt`` ``1 - sqrt(p)``;
    ``min_lr`` afterwards."""

    def __init__(self, lr0: float, min_lr: float, stable: int, decay: int, kind: str):
        self.lr0, self.min_lr = float(lr0), float(min_lr)
        self.stable, self.decay, self.kind = int(stable), int(decay), kind

    def formula(self, t, xp=SCALAR):
        p = xp.minimum(xp.maximum(t - self.stable, 0) / self.decay, 1.0)
        if self.kind == "linear":
            factor = 1.0 - p
        elif self.kind == "cosine":
            factor = half_cosine(math.pi * p, xp)
        else:
            factor = 1.0 - xp.sqrt(p)
        return xp.where(t < self.stable, self.lr0, self.min_lr + (self.lr0 - self.min_lr) * factor)


class InverseSqrtCurve(Schedule):
    """``lr0 / sqrt((t + timescale) / timescale)`` (transformers' inverse square root)."""

    def __init__(self, lr0: float, timescale: float):
        self.lr0, self.timescale = float(lr0), float(timescale)

    def formula(self, t, xp=SCALAR):
        return self.lr0 * (1.0 / xp.sqrt((t + self.timescale) / self.timescale))


class NoamCurve(Schedule):
    """``lr0 * d_model**-0.5 * min(t**-0.5, t * warmup**-1.5)``, ``t**-0.5`` read as 1 at
    ``t = 0`` (Paddle's ``NoamDecay`` arithmetic)."""

    def __init__(self, lr0: float, d_model: float, warmup: int):
        self.lr0, self.scale = float(lr0), float(d_model) ** -0.5
        self.ramp = float(warmup) ** -1.5

    def formula(self, t, xp=SCALAR):
        return self.lr0 * self.scale * xp.minimum(xp.pow(xp.maximum(t, 1), -0.5), self.ramp * t)


class CyclicCurve(Schedule):
    """A triangle between ``low`` and ``high``: ``up`` steps up, ``down`` down, scaled by 1
    (``triangular``), ``1 / 2**(cycle - 1)`` (``triangular2``) or ``gamma**t``
    (``exp_range``) (Paddle's ``CyclicLR`` arithmetic)."""

    def __init__(self, low: float, high: float, up: int, down: int, mode: str, gamma: float):
        self.low, self.amplitude = float(low), float(high) - float(low)
        self.size = float(up + down)
        self.up = up / self.size
        self.mode, self.gamma = mode, float(gamma)

    def formula(self, t, xp=SCALAR):
        cycle = 1 + t // self.size
        x = 1.0 + t / self.size - cycle
        height = self.amplitude * xp.where(x <= self.up, x / self.up, (1 - x) / (1 - self.up))
        if self.mode == "triangular2":  # 0.5**n is 1 / 2**n exactly, and cannot overflow
            return self.low + height * xp.pow(0.5, cycle - 1)
        if self.mode == "exp_range":
            return self.low + height * xp.pow(self.gamma, t)
        return self.low + height * 1.0


# --------------------------------------------------------------------------- combinators


#: A Switch with more parts is called as it is from traced code: a chain of comparisons
#: grows with the parts, its ``bisect`` does not.
_MOST_PARTS_TRACED = 32


class Switch(Schedule):
    """Phases in time: ``parts[i]`` on ``boundaries[i-1] <= t < boundaries[i]``.

    Each part runs on its own clock, ``t - offsets[i]`` (0: the absolute step; the part's
    first boundary: it starts at its own step 0 there, as in optax's ``join_schedules``)."""

    def __init__(
        self,
        boundaries: Sequence[int],
        parts: Sequence[Schedule],
        offsets: Sequence[int] | None = None,
    ):
        if len(parts) != len(boundaries) + 1:
            raise ValueError("a Switch needs one part more than boundaries")
        self.boundaries, self.parts = [int(b) for b in boundaries], list(parts)
        self.offsets = [int(o) for o in offsets] if offsets is not None else [0] * len(parts)

    def __call__(self, t: int) -> float:
        i = bisect.bisect_right(self.boundaries, t)
        return self.parts[i](t - self.offsets[i])

    def emit(self, code: step_code.Code, t):
        """An ``if``/``elif``/``else`` chain on the boundaries, each branch computing only
        its own part."""
        if any(b < a for a, b in zip(self.boundaries, self.boundaries[1:])):
            raise step_code.Untraceable("unsorted boundaries")
        if len(self.parts) > _MOST_PARTS_TRACED:
            raise step_code.Untraceable("too many parts for a chain")

        def on_its_clock(i: int):
            offset = self.offsets[i]
            return step_code.emit(self.parts[i], code, t - offset if offset else t)

        if len(self.parts) == 1:
            return on_its_clock(0)
        result = code.fresh()
        for i in range(len(self.parts)):
            if i == len(self.boundaries):
                header = "else:"
            else:
                keyword, edge = "elif" if i else "if", code.value(self.boundaries[i])
                header = f"{keyword} {code.value(t)} < {edge}:"
            with code.block(header):
                code.line(f"{result.name} = {code.value(on_its_clock(i))}")
        return result

    def array(self, t: np.ndarray) -> np.ndarray:
        out = np.empty(t.shape, dtype=np.float64)
        if t.ndim == 1 and (t.size < 2 or np.all(t[1:] >= t[:-1])):
            # sorted steps (a whole run): each part gets a slice, no masks or copies
            edges = [0, *np.searchsorted(t, self.boundaries, side="left"), t.size]
            for part, offset, lo, hi in zip(self.parts, self.offsets, edges, edges[1:]):
                if hi > lo:
                    out[lo:hi] = part.array(t[lo:hi] - offset)
            return out
        which = np.searchsorted(self.boundaries, t, side="right")
        for i, (part, offset) in enumerate(zip(self.parts, self.offsets)):
            here = which == i
            if here.any():
                out[here] = part.array(t[here] - offset)
        return out


class Scaled(Schedule):
    """``inner(t) * factor``: every rate of a schedule times one factor (batch scaling; a
    schedule is linear in its rates, so this scales each of them)."""

    def __init__(self, inner: Schedule, factor: float):
        self.inner, self.factor = inner, float(factor)

    def __call__(self, t: int) -> float:
        return self.inner(t) * self.factor

    def emit(self, code: step_code.Code, t):
        return step_code.emit(self.inner, code, t) * self.factor

    def array(self, t: np.ndarray) -> np.ndarray:
        return self.inner.array(t) * self.factor


class _Wrapper(Schedule):
    """A schedule evaluated at a transformed step, ``inner(clock(t))``."""

    def __init__(self, inner: Schedule):
        self.inner = inner

    def __call__(self, t: int) -> float:
        return self.inner(self.clock(t, SCALAR))

    def emit(self, code: step_code.Code, t):
        return step_code.emit(self.inner, code, self.clock(t, TRACE))

    def array(self, t: np.ndarray) -> np.ndarray:
        return self.inner.array(self.clock(t, VECTOR))

    def clock(self, t, xp):
        raise NotImplementedError


class Cycle(_Wrapper):
    """``inner(t % period)``: the inner schedule repeats every ``period`` steps."""

    def __init__(self, inner: Schedule, period: int):
        super().__init__(inner)
        self.period = int(period)

    def clock(self, t, xp):
        return t % self.period


class Hold(_Wrapper):
    """``inner(min(t, last))``: the value at step ``last`` is kept afterwards."""

    def __init__(self, inner: Schedule, last: int):
        super().__init__(inner)
        self.last = int(last)

    def clock(self, t, xp):
        return xp.minimum(t, self.last)


class EpochClock(_Wrapper):
    """``inner(spe * floor(t / spe))``: the inner schedule moves once an epoch."""

    def __init__(self, inner: Schedule, step_each_epoch: int):
        super().__init__(inner)
        self.spe = int(step_each_epoch)

    def clock(self, t, xp):
        return t - t % self.spe


def warmup(decay: Schedule, steps: int, start: float, peak: float, prefix: bool = True) -> Schedule:
    """``(peak - start) * t / W + start`` for ``t < W``, then ``decay(t - W)`` (a prefix
    warm-up) or ``decay(t)`` (an overlapping one, timm's default)."""
    if steps <= 0:
        return decay
    return Switch([steps], [Ramp(start, peak, steps), decay], offsets=[0, steps if prefix else 0])
