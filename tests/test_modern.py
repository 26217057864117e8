"""The modern schedules (timm's cycles, warmup-stable-decay, inverse square root, Noam,
Cyclic, Sequential), every step of whole runs and past their end: against Paddle's
built-ins where one exists (NoamDecay, CyclicLR) and against references written
independently in tests/reference.py; the shared warmup_prefix and by_epoch keys; the
errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from paddle.optimizer import lr as L

import ppocr_lr
from ppocr_lr import messages
from conftest import assert_array_matches_steps, assert_rel
from reference import inverse_sqrt_lr, run, timm_cycle_lr, wsd_lr

EXTRA = 30


# What a drawn run may be told, and nothing else: a warm-up longer than the run, a
# warm-up key without a warm-up (the notices are checked word for word elsewhere).
EXPECTED_NOTICES = ("is longer than the run", "is set, but there is no warm-up")


def whole_run(block, epochs, spe, extra=EXTRA):
    with messages.collecting() as said:
        s = ppocr_lr.build_lr_scheduler(block, epochs, spe)
    assert all(any(e in str(n) for e in EXPECTED_NOTICES) for n in said), said
    stepped = run(s, epochs * spe + extra)
    assert_array_matches_steps(s.lr_array(np.arange(epochs * spe + extra + 1)), stepped)
    return s, stepped


@given(
    st.integers(1, 10),
    st.integers(1, 40),
    st.sampled_from([1.0, 0.5, 2.0]),
    st.sampled_from([64, 512, 1000]),
    st.integers(1, 300),
)
def test_noam_is_paddle_noam_decay(epochs, spe, lr0, d_model, warmup):
    _, ours = whole_run(
        {"name": "Noam", "learning_rate": lr0, "d_model": d_model, "warmup_steps": warmup},
        epochs,
        spe,
    )
    theirs = run(L.NoamDecay(d_model, warmup, learning_rate=lr0), epochs * spe + EXTRA)
    assert_rel(ours, theirs, 1e-12, "Noam")


@given(
    st.integers(1, 10),
    st.integers(1, 40),
    st.integers(1, 30),
    st.integers(1, 30),
    st.sampled_from(["triangular", "triangular2", "exp_range"]),
    st.sampled_from([1.0, 0.999, 0.9]),
)
def test_cyclic_is_paddle_cyclic_lr(epochs, spe, up, down, mode, gamma):
    _, ours = whole_run(
        {
            "name": "Cyclic",
            "learning_rate": 0.001,
            "max_lr": 0.01,
            "up_steps": up,
            "down_steps": down,
            "mode": mode,
            "exp_gamma": gamma,
        },
        epochs,
        spe,
    )
    theirs = run(
        L.CyclicLR(0.001, 0.01, up, down, mode=mode, exp_gamma=gamma), epochs * spe + EXTRA
    )
    assert_rel(ours, theirs, 1e-9, "Cyclic")


@given(
    st.sampled_from(["cosine", "poly", "tanh"]),
    st.integers(3, 30),
    st.integers(1, 20),
    st.sampled_from([1.0, 2.0, 3.0]),
    st.sampled_from([1.0, 0.5]),
    st.integers(1, 4),
    st.sampled_from([0.0, 1e-5]),
    st.sampled_from([1.0, 2.0]),
    st.integers(0, 15),
    st.booleans(),
)
def test_cycles_are_timms(shape, epochs, spe, mul, decay, limit, min_lr, k, warmup, prefix):
    name = {"cosine": "CosineCycles", "poly": "PolyCycles", "tanh": "TanhCycles"}[shape]
    total, first = epochs * spe, max(epochs * spe // 3, 1)
    block = {
        "name": name,
        "learning_rate": 0.01,
        "cycle_steps": first,
        "cycle_mul": mul,
        "cycle_decay": decay,
        "cycle_limit": limit,
        "min_lr": min_lr,
        "warmup_steps": warmup,
        "warmup_prefix": prefix,
    }
    if shape != "tanh":
        block["k_decay"] = k
    if not warmup:
        del block["warmup_prefix"]
    _, ours = whole_run(block, epochs, spe)
    keys = dict(
        lr0=0.01,
        first=first,
        mul=mul,
        decay=decay,
        limit=limit,
        min_lr=min_lr,
        k=k if shape != "tanh" else 1.0,
    )
    expected = [
        0.01 * t / warmup
        if t < warmup
        else timm_cycle_lr(shape, t - warmup if prefix else t, **keys)
        for t in range(total + EXTRA + 1)
    ]
    assert_rel(ours, expected, 1e-9, name)


def test_a_cycle_starts_exactly_where_the_logarithm_slips():
    """Step 847 for a first cycle of 7 and cycle_mul 3 starts a cycle (the closed-form
    logarithm lands a hair below 4 there)."""
    s = ppocr_lr.build_lr_scheduler(
        {
            "name": "CosineCycles",
            "learning_rate": 0.1,
            "cycle_steps": 7,
            "cycle_mul": 3,
            "cycle_limit": 10,
        },
        1000,
        1,
    )
    assert s.lr_at(847) == 0.1 and s.lr_at(846) < 1e-4


@given(
    st.integers(5, 30),
    st.integers(2, 30),
    st.integers(0, 20),
    st.sampled_from(["cosine", "linear", "1-sqrt"]),
    st.sampled_from([0.0, 1e-5]),
    st.sampled_from([None, 1e-4]),
    st.booleans(),
)
def test_warmup_stable_decay_is_transformers(epochs, spe, warmup, kind, min_lr, start, ratio):
    total = epochs * spe
    block = {
        "name": "WarmupStableDecay",
        "learning_rate": 0.01,
        "decay_type": kind,
        "min_lr": min_lr,
        "warmup_steps": warmup,
    }
    if start is not None:
        block["warmup_start_lr"] = start
    if ratio:
        block["decay_ratio"] = 0.25
        decay = round(0.25 * total)
    else:
        decay = max((total - warmup) // 3, 1)
        block["decay_steps"] = decay
    if decay < 1 or total - warmup - decay < 0:
        with pytest.raises(ppocr_lr.ConfigValueError, match="does not fit a run"):
            ppocr_lr.build_lr_scheduler(block, epochs, spe)
        return
    _, ours = whole_run(block, epochs, spe)
    expected = [
        wsd_lr(
            t,
            lr0=0.01,
            warmup=warmup,
            decay=decay,
            total=total,
            kind=kind,
            min_lr=min_lr,
            start=start,
        )
        for t in range(total + EXTRA + 1)
    ]
    assert_rel(ours, expected, 1e-9, kind)
    assert ours[total] == pytest.approx(min_lr, abs=1e-15)  # ends on the last step


@pytest.mark.parametrize(
    "block, says",
    [
        (
            {"decay_steps": 10, "decay_ratio": 0.1},
            "both Optimizer.lr.decay_steps and Optimizer.lr.decay_ratio are set",
        ),
        ({}, "neither Optimizer.lr.decay_steps and Optimizer.lr.decay_ratio is set"),
        (
            {"decay_steps": 95, "warmup_steps": 10},
            "a decay of 95 steps after a warm-up of 10 steps does not fit a run of 100 steps",
        ),
    ],
)
def test_warmup_stable_decay_errors_name_the_keys(block, says):
    with pytest.raises(ppocr_lr.ConfigValueError, match=says):
        ppocr_lr.build_lr_scheduler(
            {"name": "WarmupStableDecay", "learning_rate": 0.01, **block}, 10, 10
        )


@given(
    st.integers(1, 20), st.integers(1, 30), st.integers(0, 40), st.sampled_from([None, 7.0, 500.0])
)
def test_inverse_sqrt_is_transformers(epochs, spe, warmup, timescale):
    block = {"name": "InverseSqrt", "learning_rate": 0.01, "warmup_steps": warmup}
    if timescale:
        block["timescale"] = timescale
    _, ours = whole_run(block, epochs, spe)
    expected = [
        inverse_sqrt_lr(t, lr0=0.01, warmup=warmup, timescale=timescale)
        for t in range(epochs * spe + EXTRA + 1)
    ]
    assert_rel(ours, expected, 1e-12, "InverseSqrt")


def test_overlapping_warmup_replaces_the_first_steps_of_the_decay():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "CosineDecay", "learning_rate": 0.1, "warmup_steps": 10, "warmup_prefix": False},
        10,
        10,
    )
    assert s.lr_at(0) == 0.0 and s.lr_at(5) == pytest.approx(0.05, rel=1e-15)
    # at t = W the decay's own value at step 10 of its 100 (hand-computed), not its peak
    assert s.lr_at(10) == pytest.approx(0.05 * (1 + math.cos(math.pi * 0.1)), rel=1e-14)
    assert s.lr_at(100) == pytest.approx(0.0, abs=1e-18)  # the decay ends on the last step
    with pytest.raises(ppocr_lr.ConfigValueError, match="warmup_prefix: false together with"):
        ppocr_lr.build_lr_scheduler(
            {
                "name": "CosineDecay",
                "learning_rate": 0.1,
                "warmup_steps": 10,
                "warmup_prefix": False,
                "decay_ends_at_last_step": True,
            },
            10,
            10,
        )


@given(st.integers(2, 12), st.integers(1, 20), st.integers(0, 30))
def test_by_epoch_moves_the_decay_once_an_epoch(epochs, spe, warmup):
    s, ours = whole_run(
        {"name": "CosineDecay", "learning_rate": 0.1, "warmup_steps": warmup, "by_epoch": True},
        epochs,
        spe,
    )
    total = epochs * spe
    expected = [
        0.1 * t / warmup
        if t < warmup
        else 0.05 * (1 + math.cos(math.pi * min(spe * ((t - warmup) // spe), total) / total))
        for t in range(total + EXTRA + 1)
    ]
    assert_rel(ours, expected, 1e-12, "by_epoch")


def test_new_names_are_in_the_registry_and_public():
    for name in (
        "WarmupStableDecay",
        "CosineCycles",
        "PolyCycles",
        "TanhCycles",
        "InverseSqrt",
        "Noam",
        "Cyclic",
    ):
        assert name in ppocr_lr.available_schedulers() and hasattr(ppocr_lr, name)


@given(st.integers(5, 30), st.integers(1, 20), st.integers(1, 4))
def test_sequential_joins_phases_on_their_own_clocks(epochs, spe, first):
    total = epochs * spe
    b1, b2 = first * spe, first * spe + max((total - first * spe) // 2, 1)
    if b2 >= total:
        return
    block = {
        "name": "Sequential",
        "boundaries": [b1, b2],
        "phases": [
            {"name": "Linear", "learning_rate": 0.0, "end_lr": 0.01},
            {"name": "Const", "learning_rate": 0.01},
            {
                "name": "Cosine",
                "learning_rate": 0.01,
                "warmup_steps": 2,
                "honour": ["warmup_steps"],
            },
        ],
    }
    _, ours = whole_run(block, epochs, spe)

    def expected(t):
        if t < b1:  # Linear over its span: from 0 up to 0.01
            return (0.0 - 0.01) * (1 - min(t, b1) / b1) + 0.01
        if t < b2:
            return 0.01
        s, span = t - b2, total - b2  # the cosine's own clock, its T is its span
        if s < 2:
            return 0.01 * s / 2
        return 0.005 * (1 + math.cos(math.pi * (s - 2) / span))

    assert_rel(ours, [expected(t) for t in range(total + EXTRA + 1)], 1e-12, "Sequential")


@pytest.mark.parametrize(
    "block, says",
    [
        (
            {"boundaries": [5, 8], "phases": [{"learning_rate": 0.1}] * 2},
            "Optimizer.lr.boundaries: 2 boundaries for 2 phases; expected 1",
        ),
        (
            {"boundary_epochs": [2], "phases": [{"learning_rate": 0.1}, {"name": "Cosin"}]},
            "Optimizer.lr.phases[1].name: unknown schedule 'Cosin' (did you mean 'Cosine'?)",
        ),
        (
            {"boundaries": [5], "phases": [{"learning_rate": 0.1}, {"name": "Cosine"}]},
            "Optimizer.lr.phases[1].learning_rate: missing",
        ),
        (
            {"boundaries": [5], "phases": [{"learning_rate": 0.1}, 3]},
            "Optimizer.lr.phases[1]: got 3; expected a block",
        ),
    ],
)
def test_sequential_errors_name_the_phase(block, says):
    with pytest.raises((ppocr_lr.ConfigValueError, ppocr_lr.ConfigTypeError)) as err:
        ppocr_lr.build_lr_scheduler({"name": "Sequential", **block}, 10, 10)
    assert says in str(err.value)


def test_a_notice_inside_a_phase_names_its_path():
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=r"Optimizer\.lr\.phases\[0\]\.warmup_epochs: "
        "unknown key",
    ):
        ppocr_lr.build_lr_scheduler(
            {
                "name": "Sequential",
                "boundaries": [5],
                "phases": [{"learning_rate": 0.1, "warmup_epochs": 1}, {"learning_rate": 0.01}],
            },
            10,
            10,
        )


def test_a_phase_after_the_end_of_the_run_is_a_notice():
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=r"Optimizer\.lr\.boundaries\[0\]: phases\[1\] "
        r"starts at step 150, at or after the end of the run \(100 steps\); it "
        "never runs",
    ):
        s = ppocr_lr.build_lr_scheduler(
            {
                "name": "Sequential",
                "boundaries": [150],
                "phases": [{"name": "Cosine", "learning_rate": 0.1}, {"learning_rate": 0.01}],
            },
            10,
            10,
        )
    # phase 0 spans up to its boundary (150 steps): at step 100 the cosine is not done
    assert s.lr_at(100) == pytest.approx(0.05 * (1 + math.cos(math.pi * 100 / 150)), rel=1e-14)
    assert s.lr_at(150) == 0.01


@given(
    st.lists(st.sampled_from([1.0, 0.9, 0.95, 1.1, 0.8, 0.5, 2.0]), min_size=1, max_size=60),
    st.sampled_from(["min", "max"]),
    st.sampled_from(["rel", "abs"]),
    st.integers(0, 3),
    st.integers(0, 2),
    st.sampled_from([0.5, 0.1]),
    st.sampled_from([0.0, 0.003]),
)
def test_reduce_on_plateau_is_paddles(
    reports, mode, threshold_mode, patience, cooldown, factor, min_lr
):
    keys = dict(
        mode=mode,
        threshold_mode=threshold_mode,
        patience=patience,
        cooldown=cooldown,
        factor=factor,
        min_lr=min_lr,
        threshold=0.01,
    )
    ours = ppocr_lr.build_lr_scheduler(
        {"name": "ReduceOnPlateau", "learning_rate": 0.1, **keys}, 10, 10
    )
    theirs = L.ReduceOnPlateau(0.1, **keys)
    for value in reports:
        ours.step(value)  # Paddle's spelling: step(metric)
        theirs.step(value)
        assert ours.last_lr == theirs.last_lr
        assert ours.lr_at(ours.last_epoch) == ours.last_lr


def test_reduce_on_plateau_ignores_reports_during_the_warmup_and_resumes_exactly(tmp_path):
    import json
    import subprocess
    import sys

    block = {
        "name": "ReduceOnPlateau",
        "learning_rate": 0.1,
        "patience": 0,
        "factor": 0.5,
        "warmup_steps": 3,
    }
    s = ppocr_lr.build_lr_scheduler(block, 10, 10)
    s.report(1.0)  # during the warm-up: not counted
    assert s.plateau_state() == {
        "best": None,
        "bad": 0,
        "cooldown": 0,
        "rate": 0.1,
        "learning_rate": 0.1,
        "min_lr": 0.0,
    }
    for _ in range(5):
        s.step()
    s.report(1.0)
    s.report(2.0)  # worse: halved
    assert s.last_lr == 0.05 and s.lr_at(40) == 0.05
    path = tmp_path / "state.json"
    path.write_text(json.dumps(s.state_dict()))
    child = (
        "import json, sys, ppocr_lr\n"
        f"s = ppocr_lr.build_lr_scheduler({block!r}, 10, 10)\n"
        "s.set_state_dict(json.load(open(sys.argv[1])))\n"
        "s.step(); s.report(3.0); s.step()\n"
        "print(json.dumps([s.last_epoch, s.last_lr, s.plateau_state()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", child, str(path)], capture_output=True, text=True, timeout=120
    )
    s.step()
    s.report(3.0)
    s.step()
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        s.last_epoch,
        s.last_lr,
        s.plateau_state(),
    ], out.stderr
    with pytest.raises(ValueError, match="not a plateau state"):
        s.set_state_dict(dict(s.state_dict(), plateau={"best": 1.0, "bad": -1}))
    assert s.last_lr == 0.025  # unchanged by the failed load


@pytest.mark.parametrize("bad", [None, "x", [1.0, 2.0], float("nan"), True])
def test_a_bad_metric_report_is_a_clear_error(bad):
    s = ppocr_lr.build_lr_scheduler({"name": "ReduceOnPlateau", "learning_rate": 0.1}, 10, 10)
    if bad is None:
        s.step(bad)  # no metric: an ordinary iteration
        assert s.last_epoch == 1
        return
    with pytest.raises((TypeError, ValueError), match="metric"):
        s.report(bad)


def anneal(first, last, pct, strategy):
    if strategy == "cos":
        return last + (first - last) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (last - first) * pct + first


@given(st.integers(4, 20), st.integers(2, 20), st.sampled_from(["cos", "linear"]), st.booleans())
def test_one_cycle_momentum_runs_opposite_to_the_rate(epochs, spe, strategy, three):
    total = epochs * spe
    s = ppocr_lr.build_lr_scheduler(
        {
            "name": "OneCycle",
            "max_lr": 0.01,
            "anneal_strategy": strategy,
            "three_phase": three,
            "cycle_momentum": True,
        },
        epochs,
        spe,
    )
    rise = 0.3 * total - 1
    for t in range(total + 5):
        u = min(t, total - 1)  # held at the last phase's end: no overshoot past it
        if u <= rise:
            expected = anneal(0.95, 0.85, u / rise, strategy)
        elif not three:
            expected = anneal(0.85, 0.95, (u - rise) / (total - 1 - rise), strategy)
        elif u <= 0.6 * total - 2:
            expected = anneal(0.85, 0.95, (u - rise) / (0.6 * total - 2 - rise), strategy)
        else:
            expected = 0.95
        assert s.momentum_at(t) == pytest.approx(expected, rel=1e-12, abs=1e-15), t


@pytest.mark.parametrize(
    "name, attribute",
    [("Adam", "_beta1"), ("AdamW", "_beta1"), ("Momentum", "_momentum"), ("RMSProp", "_momentum")],
)
def test_build_optimizer_drives_momentum_every_step(name, attribute):
    import paddle

    model = paddle.nn.Linear(3, 2)
    config = {
        "name": name,
        "lr": {
            "name": "OneCycle",
            "max_lr": 0.01,
            "cycle_momentum": True,
            "warmup_steps": 3,
            "honour": ["warmup_steps"],
        },
    }
    if name == "Momentum":
        config["momentum"] = 0.9  # required by Momentum; the schedule's replaces it
    with messages.collecting() as said:
        optimizer, lr = ppocr_lr.build_optimizer(config, 5, 10, model)
    assert [n.path for n in said] == ["Optimizer.lr.warmup_steps"] + (
        ["Optimizer.momentum"] if name == "Momentum" else []
    )
    assert type(optimizer) is getattr(paddle.optimizer, name)
    for t in range(60):
        assert getattr(optimizer, attribute) == lr.momentum_at(t) and (
            t >= 3 or lr.momentum_at(t) == 0.95
        )
        loss = model(paddle.ones([4, 3])).sum()
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        lr.step()


def test_cycle_momentum_needs_an_optimizer_with_momentum():
    import paddle

    with pytest.raises(
        ppocr_lr.ConfigValueError,
        match=r"Optimizer\.lr\.cycle_momentum: SGD has "
        "no momentum or beta1 to cycle",
    ):
        ppocr_lr.build_optimizer(
            {"name": "SGD", "lr": {"name": "OneCycle", "max_lr": 0.01, "cycle_momentum": True}},
            5,
            10,
            paddle.nn.Linear(2, 2),
        )
