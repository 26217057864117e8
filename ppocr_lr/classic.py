"""The classic fixed decays (TensorFlow 1.x's ``*_decay`` family), each formula in its
class's docstring.

Notation: ``s`` = steps since the warm-up ended, ``D`` = ``decay_steps``,
``p = s / D`` (``floor(s / D)`` with ``staircase``), ``lr0`` = ``learning_rate``.  A
duration is written ``<x>_steps`` or ``<x>_epochs`` (``round(epochs * spe)`` steps); left
out, it is the whole run.  Each takes the warm-up keys of
:class:`~ppocr_lr.scheduler.LRSchedule`; the warm-up climbs to the decay's value at its
step 0, so the hand-over is continuous.
"""

from __future__ import annotations

from . import functions as F
from .params import LEARNING_RATE, POSITIVE, RATE, REQUIRED, Flag, Integer, Number, Param, duration
from .registry import register_scheduler
from .scheduler import LRSchedule

DECAY = duration("decay", "length of one decay period (default: the whole run)")
STAIRCASE = Param("staircase", Flag(), False, "decay in whole periods (floor(s / D))")
ALPHA = Param("alpha", Number(0.0, 1.0), 0.0, "floor, as a fraction of learning_rate")


class _RateDecay(LRSchedule):
    """The three decays of ``p``; subclasses set ``formula``, a
    :class:`ppocr_lr.functions._ProgressDecay`."""

    formula: type

    def decay(self, p, run_steps):
        return self.formula(p.learning_rate, p.decay_rate, p.decay_steps or run_steps, p.staircase)


@register_scheduler("Exponential")
class Exponential(_RateDecay):
    """``lr0 * decay_rate ** p``.  Past the end: keeps decaying."""

    formula = F.ExponentialDecay
    params = (
        LEARNING_RATE,
        Param(
            "decay_rate",
            Number(0.0, 1.0, minimum_open=True),
            REQUIRED,
            "factor per period (1: constant; above 1 would grow without bound)",
        ),
        DECAY,
        STAIRCASE,
    )


@register_scheduler("NaturalExp")
class NaturalExp(_RateDecay):
    """``lr0 * exp(-decay_rate * p)``.  Past the end: keeps decaying."""

    formula = F.NaturalExpDecay
    params = (
        LEARNING_RATE,
        Param("decay_rate", Number(minimum=0.0), REQUIRED, "exponent per period"),
        DECAY,
        STAIRCASE,
    )


@register_scheduler("InverseTime")
class InverseTime(_RateDecay):
    """``lr0 / (1 + decay_rate * p)``.  Past the end: keeps decaying."""

    formula = F.InverseTimeDecay
    params = NaturalExp.params


@register_scheduler("Polynomial")
class Polynomial(LRSchedule):
    """Without ``cycle``: ``(lr0 - end_lr) * (1 - min(s, D) / D) ** power + end_lr``
    (``end_lr`` after ``D``).  With ``cycle``: ``D`` grows to ``D * ceil(s / D)`` (``D``
    at ``s = 0``), so the rate jumps back up at every multiple of ``D``."""

    params = (
        LEARNING_RATE,
        Param("end_lr", RATE, 0.0001, "learning rate at the end of each period"),
        Param("power", POSITIVE, 1.0, "exponent; 1 is a straight line"),
        Param("cycle", Flag(), False, "restart the decay after each period"),
        DECAY,
    )

    def decay(self, p, run_steps):
        return F.PolynomialCurve(
            p.learning_rate, p.decay_steps or run_steps, p.end_lr, p.power, p.cycle
        )


@register_scheduler("CosineDecay")
class CosineDecay(LRSchedule):
    """``lr0 * ((1 - alpha) * c + alpha)``, ``c = (1 + cos(pi * min(s, D) / D)) / 2``.
    Past ``D``: ``alpha * lr0``."""

    params = (LEARNING_RATE, DECAY, ALPHA)

    def decay(self, p, run_steps):
        return F.CosineToFloor(p.learning_rate, p.decay_steps or run_steps, p.alpha)


@register_scheduler("CosineRestarts")
class CosineRestarts(LRSchedule):
    """SGDR: cosine periods of ``first_decay_steps * t_mul ** i`` steps whose peaks are
    ``m_mul ** i``; ``lr0 * ((1 - alpha) * c + alpha)`` with ``c`` the cosine of the
    current period.  Past the end: keeps restarting."""

    params = (
        LEARNING_RATE,
        duration("first_decay", "length of the first period (default: the whole run)"),
        Param("t_mul", Number(1.0, 1e6), 2.0, "each period is t_mul times longer"),
        Param(
            "m_mul",
            Number(0.0, 1.0, minimum_open=True),
            1.0,
            "each period's peak is m_mul times the last (above 1 would grow without bound)",
        ),
        ALPHA,
    )

    def decay(self, p, run_steps):
        return F.WarmRestartCurve(
            p.learning_rate, p.first_decay_steps or run_steps, p.t_mul, p.m_mul, p.alpha
        )


LINEAR_COSINE_PARAMS = (
    LEARNING_RATE,
    DECAY,
    # bounded: 2 pi num_periods must stay finite (1e308 periods would make every rate NaN)
    Param("num_periods", Number(0.0, 1e9), 0.5, "cosine periods over D"),
    Param("alpha", Number(0.0, 1.0), 0.0, "added to the linear part"),
    Param("beta", Number(0.0, 1.0), 0.001, "added to the product (the floor, times lr0)"),
)


@register_scheduler("LinearCosine")
class LinearCosine(LRSchedule):
    """``lr0 * ((alpha + lin) * cos + beta)`` with ``s' = min(s, D)``,
    ``lin = (D - s') / D``, ``cos = (1 + cos(2 pi num_periods s' / D)) / 2``.
    Past ``D``: the value at ``D``."""

    params = LINEAR_COSINE_PARAMS

    def decay(self, p, run_steps):
        return F.LinearCosineCurve(
            p.learning_rate, p.decay_steps or run_steps, p.num_periods, p.alpha, p.beta
        )


@register_scheduler("NoisyLinearCosine")
class NoisyLinearCosine(LRSchedule):
    """:class:`LinearCosine` with ``lin + eps`` for ``lin``: ``eps`` is normal with
    variance ``initial_variance / (1 + s') ** variance_decay``, drawn as a pure function of
    ``(seed, s)``: the same after a resume and on every rank.  Past ``D``: the value at
    ``D`` plus noise times the cosine factor there."""

    params = LINEAR_COSINE_PARAMS + (
        Param("initial_variance", Number(0.0, 1e6), 1.0, "variance of the noise at s = 0"),
        Param("variance_decay", Number(minimum=0.0), 0.55, "how fast the variance falls"),
        Param("seed", Integer(minimum=0), 0, "noise seed"),
    )

    def decay(self, p, run_steps):
        return F.LinearCosineCurve(
            p.learning_rate,
            p.decay_steps or run_steps,
            p.num_periods,
            p.alpha,
            p.beta,
            p.initial_variance,
            p.variance_decay,
            p.seed,
        )

    def peak(self, p):
        """The warm-up climbs to the noise-free value at step 0."""
        return p.learning_rate * ((p.alpha + 1.0) + p.beta)
