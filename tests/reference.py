"""Independent references the tests compare ppocr_lr against.

* :func:`paddleocr_scheduler`: the Paddle scheduler PaddleOCR builds for a block, made of
  Paddle's own built-ins (``PolynomialDecay``, ``CosineAnnealingDecay``, ``StepDecay``,
  ``PiecewiseDecay``, ``MultiStepDecay``, ``LinearWarmup``) where PaddleOCR uses them, and
  of small ``LRScheduler`` classes written here from ``paddleocr-semantics.md`` for
  PaddleOCR's own ones (cyclical cosine, one-cycle, two-step cosine), stepped the way
  PaddleOCR steps them (recursions included).
* :func:`classic_lr`: the classic formulas of ``decay-formulas.md``, one ``math``
  expression each, evaluated per step.

None of this imports ppocr_lr.
"""

from __future__ import annotations

import math

import numpy as np
from paddle.optimizer import lr as L


def run(scheduler, steps: int) -> np.ndarray:
    """``last_lr`` after construction and after each of ``steps`` ``step()`` calls."""
    out = [scheduler.last_lr]
    for _ in range(steps):
        scheduler.step()
        out.append(scheduler.last_lr)
    return np.array(out, dtype=np.float64)


class CyclicalCosineRef(L.LRScheduler):
    """The spec: C = round(cycle * spe); lr(0) = lr0; 0.5*lr0*(1 + cos(pi*(t % C)/C))."""

    def __init__(self, lr0, cycle_steps):
        self.cycle_steps = cycle_steps
        super().__init__(lr0)

    def get_lr(self):
        if self.last_epoch == 0:
            return self.base_lr
        return 0.5 * self.base_lr * (
            1 + math.cos(math.pi * (self.last_epoch % self.cycle_steps) / self.cycle_steps))


class OneCycleRef(L.LRScheduler):
    """The spec's phase table; raises past the end, like PaddleOCR."""

    def __init__(self, max_lr, total, strategy="cos", three_phase=False):
        initial = max_lr / 25.0
        low = initial / 1e4
        self.total = total
        if three_phase:
            self.phases = [
                {"end": 0.3 * total - 1, "from": initial, "to": max_lr},
                {"end": 0.6 * total - 2, "from": max_lr, "to": initial},
                {"end": total - 1, "from": initial, "to": low}]
        else:
            self.phases = [{"end": 0.3 * total - 1, "from": initial, "to": max_lr},
                           {"end": total - 1, "from": max_lr, "to": low}]
        self.strategy = strategy
        super().__init__(max_lr)

    def get_lr(self):
        t = self.last_epoch
        if t > self.total:
            raise ValueError("past the end")
        begin = 0
        for i, phase in enumerate(self.phases):
            if t <= phase["end"] or i == len(self.phases) - 1:
                pct = (t - begin) / (phase["end"] - begin)
                if self.strategy == "cos":
                    return phase["to"] + (phase["from"] - phase["to"]) / 2.0 * (
                        math.cos(math.pi * pct) + 1)
                return (phase["to"] - phase["from"]) * pct + phase["from"]
            begin = phase["end"]


class TwoStepCosineRef(L.LRScheduler):
    """Two cosine periods T1 (t <= T1) and T2, stepped with the same ratio recursion as
    Paddle's CosineAnnealingDecay; closed form when jumped to (as LinearWarmup does)."""

    def __init__(self, lr0, t1, t2):
        self.t1, self.t2 = t1, t2
        super().__init__(lr0)

    def _period(self):
        return self.t1 if self.last_epoch <= self.t1 else self.t2

    def get_lr(self):
        t, period = self.last_epoch, self._period()
        if t == 0:
            return self.base_lr
        if (t - 1 - period) % (2 * period) == 0:
            return self.last_lr + self.base_lr * (1 - math.cos(math.pi / period)) / 2
        return (1 + math.cos(math.pi * t / period)) / (
            1 + math.cos(math.pi * (t - 1) / period)) * self.last_lr

    def _get_closed_form_lr(self):
        return self.base_lr * (1 + math.cos(math.pi * self.last_epoch / self._period())) / 2


class LinearWarmupCosineRef(L.LRScheduler):
    """The spec: linear start_lr -> lr0 over W steps, cosine lr0 -> min_lr reached at the
    last training step (kept afterwards)."""

    def __init__(self, lr0, warmup, total, start_lr, min_lr):
        self.warmup, self.total, self.start_lr, self.min_lr = warmup, total, start_lr, min_lr
        super().__init__(lr0)

    def get_lr(self):
        t = self.last_epoch
        if t < self.warmup:
            return self.start_lr + (self.base_lr - self.start_lr) * t / self.warmup
        progress = min(t - self.warmup, self.total - self.warmup) / (self.total - self.warmup)
        return self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def paddleocr_scheduler(block: dict, epochs: int, spe: int):
    """What PaddleOCR's ``build_lr_scheduler`` returns for ``block`` (float for Const)."""
    b = dict(block)
    name = b.pop("name", "Const")
    total = epochs * spe
    warm = round(float(b.get("warmup_epoch", 0)) * spe)
    peak = b.get("learning_rate")
    if name == "Linear":
        inner = L.PolynomialDecay(b["learning_rate"], total, end_lr=b.get("end_lr", 0.0),
                                  power=b.get("power", 1.0))
    elif name == "Cosine":
        inner = L.CosineAnnealingDecay(b["learning_rate"], T_max=total)
    elif name == "Step":
        inner = L.StepDecay(b["learning_rate"], step_size=b["step_size"] * spe, gamma=b["gamma"])
    elif name == "Piecewise":
        inner = L.PiecewiseDecay([e * spe for e in b["decay_epochs"]], b["values"])
        peak = b["values"][0]
    elif name == "MultiStepDecay":
        inner = L.MultiStepDecay(b["learning_rate"], [m * spe for m in b["milestones"]],
                                 b["gamma"])
    elif name == "DecayLearningRate":
        inner = L.PolynomialDecay(b["learning_rate"], total, end_lr=0.0,
                                  power=b.get("factor", 0.9))
        warm = 0
    elif name == "CyclicalCosine":
        inner = CyclicalCosineRef(b["learning_rate"], round(b["cycle"] * spe))
    elif name == "OneCycle":
        inner = OneCycleRef(b["max_lr"], total, b.get("anneal_strategy", "cos"),
                            b.get("three_phase", False))
        peak = b["max_lr"]
    elif name == "TwoStepCosine":
        inner = TwoStepCosineRef(b["learning_rate"], 200 * spe, total)
    elif name == "LinearWarmupCosine":
        return LinearWarmupCosineRef(b["learning_rate"], b.get("warmup_steps", 5000), total,
                                     b.get("start_lr", 1e-5), b.get("min_lr", 1e-8))
    elif name == "Const":
        inner = float(b["learning_rate"])
        if warm == 0:
            return L.LambdaDecay(inner, lambda t: 1.0)
    else:
        raise KeyError(name)
    if warm > 0:
        return L.LinearWarmup(inner, warmup_steps=warm, start_lr=0.0, end_lr=peak)
    return inner


# ----------------------------------------------------------------- classic formulas


def classic_lr(name: str, s: int, *, learning_rate, decay_steps=None, decay_rate=None,
               staircase=False, end_lr=0.0001, power=1.0, cycle=False, alpha=0.0,
               t_mul=2.0, m_mul=1.0, num_periods=0.5, beta=0.001, eps=0.0) -> float:
    """decay-formulas.md, one strategy per branch, at global step ``s``."""
    lr0, D = learning_rate, decay_steps
    p = math.floor(s / D) if staircase else s / D
    if name == "Exponential":
        return lr0 * decay_rate ** p
    if name == "NaturalExp":
        return lr0 * math.exp(-decay_rate * p)
    if name == "InverseTime":
        return lr0 / (1 + decay_rate * p)
    if name == "Polynomial":
        if cycle:
            Dc = D * math.ceil(s / D) if s > 0 else D
            return (lr0 - end_lr) * (1 - s / Dc) ** power + end_lr
        return (lr0 - end_lr) * (1 - min(s, D) / D) ** power + end_lr
    if name == "CosineDecay":
        c = 0.5 * (1 + math.cos(math.pi * min(s, D) / D))
        return lr0 * ((1 - alpha) * c + alpha)
    if name == "CosineRestarts":
        # walk the periods (lengths D, D*t_mul, D*t_mul**2, ...) instead of the closed-form
        # logarithm, so a rounding slip at a period's first step cannot hide here too
        i, start, length = 0, 0.0, float(D)
        while s >= start + length:
            i, start, length = i + 1, start + length, length * t_mul
        f = (s - start) / length
        c = 0.5 * m_mul ** i * (1 + math.cos(math.pi * f))
        return lr0 * ((1 - alpha) * c + alpha)
    if name in ("LinearCosine", "NoisyLinearCosine"):
        sc = min(s, D)
        lin = (D - sc) / D
        cos = 0.5 * (1 + math.cos(2 * math.pi * num_periods * sc / D))
        return lr0 * ((alpha + lin + eps) * cos + beta)
    raise KeyError(name)
