"""The traced step (ppocr_lr.step_code) against the formula it was traced from: the same
bits at every step, in every order, for every example block and for schedules that
cannot be traced."""

from __future__ import annotations

import glob
import math
import os
import random

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import ppocr_lr
from ppocr_lr import functions as F
from ppocr_lr.params import LEARNING_RATE
from ppocr_lr.step_code import step_function

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "configs", "lr", "*.yml")))


def untraced(schedule: F.Schedule, t: int):
    """The formula on the scalar backend, as it is written (no tracing anywhere)."""
    if isinstance(schedule, F.Switch):
        i = sum(1 for b in schedule.boundaries if b <= t)
        return untraced(schedule.parts[i], t - schedule.offsets[i])
    if isinstance(schedule, F._Wrapper):
        return untraced(schedule.inner, schedule.clock(t, F.SCALAR))
    return schedule.formula(t, F.SCALAR)


def outcome(function, t):
    try:
        return function(t)
    except Exception as error:  # noqa: BLE001 - the same error is the same outcome
        return type(error)


def same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_every_example_steps_with_the_formulas_bits(path):
    with open(path) as f:
        block = yaml.safe_load(f)["lr"]
    s = ppocr_lr.build_lr_scheduler(block, 50, 200)
    rng = random.Random(path)
    steps = list(range(0, 12_000, 7)) + [rng.randrange(2**53) for _ in range(400)] + [2**53]
    rng.shuffle(steps)  # any order: a cycle's cache must not change a value
    for t in steps:
        want = outcome(lambda t: untraced(s.schedule, t), t)
        assert same(outcome(s._lr, t), want), (t, want)
    # step() is the same code with the counter around it
    s.step(0)
    for t in range(1, 3_000):
        s.step()
        assert s.last_lr == untraced(s.schedule, t)


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(1, 10_000),
    mul=st.sampled_from([1.0, 1.5, 2.0, 3.0, 7.0]),
    steps=st.lists(st.integers(0, 2**53), min_size=1, max_size=40),
)
def test_the_cycle_cache_gives_the_closed_forms_cycle(first, mul, steps):
    """Cycles of first * mul**i steps: the cached step equals the closed form, whatever
    the order of the steps (cycle starts included)."""
    starts = [int(first * (mul**i - 1) / (mul - 1)) if mul != 1 else first * i for i in range(8)]
    for curve in (
        F.WarmRestartCurve(1.0, first, mul, 0.5, 0.0),  # peaks x 0.5 a cycle: a cached power
        F.TimmCycleCurve("cosine", 0.1, first, mul, 0.7, 5, 1e-4, k_decay=2.0),
    ):
        traced = step_function(curve)
        for t in steps + starts + [s - 1 for s in starts if s] + steps[::-1]:
            assert same(outcome(traced, t), outcome(lambda t: curve.formula(t, F.SCALAR), t))


class Branchy(F.Schedule):
    """A formula that branches on the step in Python: it cannot be traced."""

    def formula(self, t, xp=F.SCALAR):
        return 0.1 if t < 5 else 0.2


class CallOnly(F.Schedule):
    """A schedule written with __call__ only."""

    def __call__(self, t):
        return 1.0 / (1 + t)


def test_what_cannot_be_traced_is_called_as_it_is():
    joined = F.warmup(F.Switch([10], [Branchy(), CallOnly()], offsets=[0, 10]), 3, 0.0, 0.1)
    traced = step_function(joined)
    assert "Branchy" not in traced.source  # called by name, through the environment
    for t in range(40):
        assert traced(t) == joined(t)
    assert traced(4) == 0.1 and traced(3 + 4) == 0.1 and traced(3 + 10) == 1.0


def test_the_traced_code_holds_no_attribute_lookups_of_the_formula():
    """Constants are written in: Cosine after a warm-up is a few lines of arithmetic."""
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 1}, 10, 100
    )
    source = s._lr.source
    assert "self" not in source and "0.001" in source and "if t < 100:" in source
    assert math.isclose(s.lr_at(100), 0.001) and s.lr_at(50) == 0.001 * 50 / 100


def test_a_plateau_reduction_reaches_the_traced_step():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "ReduceOnPlateau", "learning_rate": 0.1, "patience": 0, "factor": 0.5}, 5, 10
    )
    s.report(1.0)
    s.report(2.0)  # worse: halved
    s.step()
    assert s.last_lr == 0.05 and s.lr_at(30) == 0.05


def test_a_subclass_with_its_own_step_keeps_it():
    calls = []

    @ppocr_lr.register_scheduler("CountingConst")
    class CountingConst(ppocr_lr.LRSchedule):
        params = (LEARNING_RATE,)

        def decay(self, p, run_steps):
            return F.Constant(p.learning_rate)

        def step(self, epoch=None):
            calls.append(epoch)
            super().step(epoch)

    try:
        s = ppocr_lr.build_lr_scheduler({"name": "CountingConst", "learning_rate": 0.2}, 2, 3)
        s.step()
        assert len(calls) == 2 and s.last_lr == 0.2  # construction's step, then ours
    finally:
        ppocr_lr.registry._REGISTRY.pop("CountingConst", None)


def test_a_deep_copy_is_a_schedule_of_its_own():
    """The traced code refers to the curve it was traced from: a copy gets its own, so a
    copied plateau's reductions stay in the copy, and a copied optimizer's momentum drive
    drives the copy."""
    import copy

    import paddle

    s = ppocr_lr.build_lr_scheduler(
        {"name": "ReduceOnPlateau", "learning_rate": 0.1, "patience": 0, "factor": 0.5}, 2, 10
    )
    c = copy.deepcopy(s)
    c.report(1.0)
    c.report(2.0)  # halved in the copy
    c.step()
    assert (c.last_lr, c.lr_at(3)) == (0.05, 0.05) and (s.last_lr, s.lr_at(3)) == (0.1, 0.1)
    cosine = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 1}, 3, 10
    )
    twin = copy.deepcopy(cosine)
    for _ in range(25):
        cosine.step()
        twin.step()
        assert twin.last_lr == cosine.last_lr
    model = paddle.nn.Linear(2, 2)
    optimizer, lr = ppocr_lr.build_optimizer(
        {"name": "Adam", "lr": {"name": "OneCycle", "max_lr": 0.01, "cycle_momentum": True}},
        2,
        10,
        model,
    )
    other = copy.deepcopy(optimizer)
    for _ in range(5):
        other._learning_rate.step()
    assert other._beta1 == lr.momentum_at(5) and optimizer._beta1 == lr.momentum_at(0)


def test_a_shallow_copy_steps_itself():
    import copy

    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 3, 10)
    c = copy.copy(s)
    c.step()
    c.step()
    assert (c.last_epoch, s.last_epoch) == (2, 0) and c.last_lr == s.lr_at(2)
