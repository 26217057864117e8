"""Independent references the tests compare ppocr_lr against.

* :func:`paddleocr_scheduler`: the Paddle scheduler PaddleOCR builds for a block, from the
  PaddleOCR stand-in in ``tests/paddleocr_standin`` (its ``ppocr.optimizer``: Paddle's own
  built-ins composed as PaddleOCR composes them, and PaddleOCR's three own schedulers
  written from PaddleOCR's documented semantics), stepped the way PaddleOCR steps them
  (recursions included).
* :func:`classic_lr`: the classic decay formulas (TensorFlow 1.x's ``*_decay``), one ``math``
  expression each, evaluated per step.

None of this imports ppocr_lr.
"""

from __future__ import annotations

import copy
import math
import os
import sys

import numpy as np
from paddle.optimizer import lr as L

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paddleocr_standin")

# Only the stand-in's ppocr.optimizer is imported here (not ppocr.data, whose import
# switches warnings off, as PaddleOCR's does).
sys.path.insert(0, STANDIN)
try:
    from ppocr.optimizer import build_lr_scheduler as standin_build_lr_scheduler  # noqa: E402
    from ppocr.optimizer import learning_rate as standin_learning_rate  # noqa: E402,F401
finally:
    sys.path.remove(STANDIN)


def run(scheduler, steps: int) -> np.ndarray:
    """``last_lr`` after construction and after each of ``steps`` ``step()`` calls."""
    out = [scheduler.last_lr]
    for _ in range(steps):
        scheduler.step()
        out.append(scheduler.last_lr)
    return np.array(out, dtype=np.float64)


def paddleocr_scheduler(block: dict, epochs: int, spe: int):
    """What PaddleOCR's ``build_lr_scheduler`` returns for ``block``, as a scheduler (a
    constant ``LambdaDecay`` where PaddleOCR returns a float).  A Piecewise with as many
    values as boundaries, which Paddle 3 refuses, gets the meaning it trained with under
    Paddle 2.x: the last boundary keeps the last value."""
    block = copy.deepcopy(block)
    if block.get("name") == "Piecewise" and len(block["values"]) == len(block["decay_epochs"]):
        block["values"] = list(block["values"]) + [block["values"][-1]]
    built = standin_build_lr_scheduler(block, epochs, spe)
    if isinstance(built, (int, float, str)):
        return L.LambdaDecay(float(built), lambda t: 1.0)
    return built


# ----------------------------------------------------------------- classic formulas


def classic_lr(
    name: str,
    s: int,
    *,
    learning_rate,
    decay_steps=None,
    decay_rate=None,
    staircase=False,
    end_lr=0.0001,
    power=1.0,
    cycle=False,
    alpha=0.0,
    t_mul=2.0,
    m_mul=1.0,
    num_periods=0.5,
    beta=0.001,
    eps=0.0,
) -> float:
    """The classic decay formulas, one strategy per branch, at global step ``s``."""
    lr0, D = learning_rate, decay_steps
    p = math.floor(s / D) if staircase else s / D
    if name == "Exponential":
        return lr0 * decay_rate**p
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
        c = 0.5 * m_mul**i * (1 + math.cos(math.pi * f))
        return lr0 * ((1 - alpha) * c + alpha)
    if name in ("LinearCosine", "NoisyLinearCosine"):
        sc = min(s, D)
        lin = (D - sc) / D
        cos = 0.5 * (1 + math.cos(2 * math.pi * num_periods * sc / D))
        return lr0 * ((alpha + lin + eps) * cos + beta)
    raise KeyError(name)


# ----------------------------------------------------------------- modern schedules


def timm_cycle_lr(
    shape: str,
    s: int,
    *,
    lr0,
    first,
    mul=1.0,
    decay=1.0,
    limit=1,
    min_lr=0.0,
    k=1.0,
    power=0.5,
    lb=-7.0,
    ub=3.0,
) -> float:
    """timm's cycle schedules at decay step ``s``: walk the cycles (lengths first,
    first*mul, ...) instead of the closed-form logarithm."""
    i, start, length = 0, 0.0, float(first)
    while s >= start + length:
        i, start, length = i + 1, start + length, length * mul
    if i >= limit:
        return min_lr
    pos, peak = s - start, lr0 * decay**i
    if shape == "cosine":
        return min_lr + 0.5 * (peak - min_lr) * (1 + math.cos(math.pi * pos**k / length**k))
    if shape == "poly":
        return min_lr + (peak - min_lr) * (1 - pos**k / length**k) ** power
    r = pos / length
    return min_lr + 0.5 * (peak - min_lr) * (1 - math.tanh(lb * (1 - r) + ub * r))


def wsd_lr(t: int, *, lr0, warmup, decay, total, kind="cosine", min_lr=0.0, start=None):
    """transformers' warmup-stable-decay (its lambda times lr0, min_lr absolute)."""
    start = min_lr if start is None else start
    stable = total - warmup - decay
    if t < warmup:
        return start + (lr0 - start) * t / warmup
    if t < warmup + stable:
        return lr0
    if t < total:
        p = (t - warmup - stable) / decay
        factor = {
            "linear": 1 - p,
            "cosine": 0.5 * (1 + math.cos(math.pi * p)),
            "1-sqrt": 1 - math.sqrt(p),
        }[kind]
        return min_lr + (lr0 - min_lr) * factor
    return min_lr


def inverse_sqrt_lr(t: int, *, lr0, warmup, timescale=None) -> float:
    """transformers' get_inverse_sqrt_schedule, times lr0."""
    timescale = timescale or (warmup or 10000)
    if t < warmup:
        return lr0 * t / warmup
    return lr0 / math.sqrt((t - warmup + timescale) / timescale)
