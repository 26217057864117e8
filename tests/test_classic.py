"""The classic decay family against its formulas, hand values and Paddle built-ins."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from paddle.optimizer import lr as L

import ppocr_lr
from conftest import assert_rel
from reference import classic_lr, run

EPOCHS, SPE = 8, 25  # a 200-step run
TOTAL = EPOCHS * SPE

CASES = [
    ("Exponential", {"decay_rate": 0.5, "decay_steps": 30}),
    ("Exponential", {"decay_rate": 0.96, "decay_steps": 7, "staircase": True}),
    ("Exponential", {"decay_rate": 0.1}),  # whole run
    ("NaturalExp", {"decay_rate": 0.5, "decay_steps": 30}),
    ("NaturalExp", {"decay_rate": 2.0, "decay_epochs": 2, "staircase": True}),
    ("InverseTime", {"decay_rate": 0.5, "decay_steps": 30}),
    ("InverseTime", {"decay_rate": 3.0, "decay_steps": 9, "staircase": True}),
    ("Polynomial", {"decay_steps": 80}),
    ("Polynomial", {"decay_steps": 80, "power": 0.5, "end_lr": 0.001}),
    ("Polynomial", {"decay_steps": 33, "power": 2.0, "cycle": True}),
    ("CosineDecay", {"decay_steps": 150}),
    ("CosineDecay", {"alpha": 0.1}),
    ("CosineRestarts", {"first_decay_steps": 20}),
    ("CosineRestarts", {"first_decay_steps": 20, "t_mul": 1.0, "m_mul": 0.8, "alpha": 0.05}),
    ("CosineRestarts", {"first_decay_epochs": 1, "t_mul": 1.5, "m_mul": 0.5}),
    ("LinearCosine", {"decay_steps": 150}),
    ("LinearCosine", {"num_periods": 3.0, "alpha": 0.1, "beta": 0.01}),
]


def expected_values(name, extra, steps):
    kwargs = dict(extra)
    kwargs.pop("first_decay_steps", None)
    kwargs.pop("first_decay_epochs", None)
    if "decay_epochs" in extra:
        kwargs["decay_steps"] = round(kwargs.pop("decay_epochs") * SPE)
    first = extra.get("first_decay_steps", round(extra.get("first_decay_epochs", 0) * SPE))
    kwargs.setdefault("decay_steps", first or TOTAL)
    return np.array([classic_lr(name, int(s), learning_rate=0.1, **kwargs) for s in steps])


@pytest.mark.parametrize("name, extra", CASES, ids=lambda v: str(v))
def test_whole_run_matches_the_formula(name, extra):
    s = ppocr_lr.build_lr_scheduler({"name": name, "learning_rate": 0.1, **extra}, EPOCHS, SPE)
    steps = np.arange(TOTAL + 60)
    assert_rel(s.lr_array(steps), expected_values(name, extra, steps), 1e-12, name)


@pytest.mark.parametrize("name, extra", CASES, ids=lambda v: str(v))
def test_warmup_hands_over_continuously(name, extra):
    block = {
        "name": name,
        "learning_rate": 0.1,
        "warmup_steps": 12,
        "warmup_start_lr": 0.01,
        **extra,
    }
    s = ppocr_lr.build_lr_scheduler(block, EPOCHS, SPE)
    decay0 = expected_values(name, extra, [0])[0]
    assert s.lr_at(0) == 0.01
    assert s.lr_at(11) == pytest.approx(0.01 + (decay0 - 0.01) * 11 / 12, rel=1e-14)
    assert s.lr_at(12) == pytest.approx(decay0, rel=1e-14)
    steps = np.arange(12, TOTAL + 40)
    assert_rel(s.lr_array(steps), expected_values(name, extra, steps - 12), 1e-12, name)


def test_hand_computed_values():
    def lr(block, t):
        return ppocr_lr.build_lr_scheduler(dict(block, learning_rate=0.1), 10, 10).lr_at(t)

    assert lr({"name": "Exponential", "decay_rate": 0.5, "decay_steps": 10}, 10) == pytest.approx(
        0.05, rel=1e-15
    )
    assert lr(
        {"name": "Exponential", "decay_rate": 0.5, "decay_steps": 10, "staircase": True}, 19
    ) == pytest.approx(0.05, rel=1e-15)
    assert lr({"name": "NaturalExp", "decay_rate": 1.0, "decay_steps": 10}, 20) == pytest.approx(
        0.1 * math.e**-2, rel=1e-15
    )
    assert lr({"name": "InverseTime", "decay_rate": 1.0, "decay_steps": 10}, 30) == pytest.approx(
        0.025, rel=1e-15
    )
    assert lr({"name": "Polynomial", "decay_steps": 40, "end_lr": 0.0}, 10) == pytest.approx(
        0.075, rel=1e-15
    )
    # cycle: after one period the rate jumps back up: D' = 80 at s = 41
    assert lr(
        {"name": "Polynomial", "decay_steps": 40, "end_lr": 0.0, "cycle": True}, 41
    ) == pytest.approx(0.1 * 39 / 80, rel=1e-15)
    assert lr({"name": "CosineDecay", "decay_steps": 100, "alpha": 0.2}, 50) == pytest.approx(
        0.1 * (0.8 * 0.5 + 0.2), rel=1e-15
    )
    assert lr({"name": "CosineDecay", "decay_steps": 100, "alpha": 0.2}, 500) == pytest.approx(
        0.02, rel=1e-15
    )
    # SGDR, t_mul 2: periods of 10, 20, 40 steps; step 30 starts the third, peak m_mul**2
    assert lr(
        {"name": "CosineRestarts", "first_decay_steps": 10, "m_mul": 0.5}, 30
    ) == pytest.approx(0.025, rel=1e-15)
    assert lr({"name": "CosineRestarts", "first_decay_steps": 10}, 20) == pytest.approx(
        0.05, rel=1e-15
    )  # halfway through the 20-step second period
    # linear cosine, defaults: at s = D/2, lin = 0.5 and cos = 0.5*(1+cos(pi/2)) = 0.5
    assert lr({"name": "LinearCosine", "decay_steps": 100}, 50) == pytest.approx(
        0.1 * (0.5 * 0.5 + 0.001), rel=1e-14
    )


@given(st.sampled_from([0.5, 0.9, 0.99]), st.integers(5, 300))
def test_exponential_is_paddle_exponential_decay(gamma, n):
    ours = ppocr_lr.build_lr_scheduler(
        {"name": "Exponential", "learning_rate": 0.1, "decay_rate": gamma, "decay_steps": 1}, n, 1
    )
    assert np.array_equal(run(ours, n + 5), run(L.ExponentialDecay(0.1, gamma), n + 5))


@given(st.sampled_from([0.001, 0.1, 1.0]), st.integers(5, 300))
def test_natural_exp_and_inverse_time_are_paddle_built_ins(gamma, n):
    for name, builtin in (("NaturalExp", L.NaturalExpDecay), ("InverseTime", L.InverseTimeDecay)):
        ours = ppocr_lr.build_lr_scheduler(
            {"name": name, "learning_rate": 0.1, "decay_rate": gamma, "decay_steps": 1}, n, 1
        )
        assert np.array_equal(run(ours, n + 5), run(builtin(0.1, gamma), n + 5)), name


@given(st.integers(1, 60), st.sampled_from([0.5, 1.0, 2.0]), st.booleans(), st.sampled_from([0, 7]))
def test_polynomial_is_paddle_polynomial_decay(decay_steps, power, cycle, warm):
    block = {
        "name": "Polynomial",
        "learning_rate": 0.1,
        "decay_steps": decay_steps,
        "power": power,
        "cycle": cycle,
        "warmup_steps": warm,
    }
    ours = ppocr_lr.build_lr_scheduler(block, 10, 10)
    paddle_built = L.PolynomialDecay(0.1, decay_steps, 0.0001, power, cycle)
    if warm:
        paddle_built = L.LinearWarmup(paddle_built, warm, 0.0, 0.1)
    assert np.array_equal(run(ours, 150), run(paddle_built, 150))


@given(st.integers(2, 400))
def test_cosine_decay_is_paddle_cosine_annealing_until_d(d):
    ours = ppocr_lr.build_lr_scheduler(
        {"name": "CosineDecay", "learning_rate": 0.1, "decay_steps": d}, 1, d
    )
    steps = np.arange(d + 1)
    builtin = L.CosineAnnealingDecay(0.1, d)
    closed = []
    for t in steps:
        builtin.step(int(t))  # jumping to t evaluates Paddle's closed form
        closed.append(builtin.last_lr)
    assert_rel(ours.lr_array(steps), closed, 1e-15, "CosineDecay")
    assert ours.lr_at(d + 10) == 0.0


def test_noisy_linear_cosine_noise_has_the_stated_mean_and_variance():
    d, variance0, decay = 200_000, 0.5, 0.55
    s = ppocr_lr.build_lr_scheduler(
        {
            "name": "NoisyLinearCosine",
            "learning_rate": 1.0,
            "initial_variance": variance0,
            "variance_decay": decay,
            "beta": 0.0,
            "num_periods": 0.0,
            "seed": 7,
        },
        1,
        d,
    )
    steps = np.arange(d)
    # num_periods 0: cos factor 1, so lr - lin = eps exactly (up to rounding)
    lin = (d - steps) / d
    eps = s.lr_array(steps) - lin
    z = eps / np.sqrt(variance0 / (1.0 + steps) ** decay)
    assert abs(z.mean()) < 5 / math.sqrt(d)
    assert abs(z.std() - 1.0) < 0.01
    # roughly normal: about 68.3% within one sigma, 95.4% within two
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01
    assert abs(np.mean(np.abs(z) < 2) - 0.9545) < 0.005


def test_noisy_linear_cosine_is_a_pure_function_of_seed_and_step():
    def build(seed):
        return ppocr_lr.build_lr_scheduler(
            {"name": "NoisyLinearCosine", "learning_rate": 0.1, "seed": seed}, 10, 10
        )

    a, b, c = build(3), build(3), build(4)
    steps = np.arange(150)
    assert np.array_equal(a.lr_array(steps), b.lr_array(steps))
    assert not np.array_equal(a.lr_array(steps), c.lr_array(steps))
    # the noise at a step does not depend on what was evaluated before
    assert b.lr_array(np.array([77]))[0] == a.lr_array(steps)[77]
    assert a.lr_at(77) == pytest.approx(a.lr_array(steps)[77], rel=1e-14)
    with_noise = a.lr_array(steps)
    formula = np.array(
        [classic_lr("NoisyLinearCosine", t, learning_rate=0.1, decay_steps=100) for t in steps]
    )
    assert not np.allclose(with_noise, formula)  # there is noise


def test_warmup_epochs_for_classic_durations_round_like_paddleocr():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Exponential", "learning_rate": 0.1, "decay_rate": 0.5, "decay_epochs": 2.5}, 10, 3
    )
    assert s.config["decay_steps"] == round(2.5 * 3) == 8  # half to even... 7.5 -> 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s.lr_at(8) == pytest.approx(0.05, rel=1e-15)


@given(st.integers(1, 40), st.sampled_from([1, 2, 3]), st.sampled_from([0.1, 0.003]))
def test_cosine_restarts_is_paddle_cosine_annealing_warm_restarts(first, t_mul, lr0):
    """Including the first step of every period, where the closed-form logarithm can land
    a hair below a whole number (first 7, t_mul 3: step 847)."""
    n = 4000
    ours = ppocr_lr.build_lr_scheduler(
        {
            "name": "CosineRestarts",
            "learning_rate": lr0,
            "first_decay_steps": first,
            "t_mul": float(t_mul),
        },
        1,
        n,
    )
    theirs = run(L.CosineAnnealingWarmRestarts(lr0, first, t_mul), n)
    assert_rel(ours.lr_array(np.arange(n + 1)), theirs, 1e-9, "CosineRestarts")


def test_cosine_restarts_restarts_exactly_at_period_starts():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "CosineRestarts", "learning_rate": 0.1, "first_decay_steps": 7, "t_mul": 3.0},
        1,
        5000,
    )
    starts = [7 * (3**k - 1) // 2 for k in range(6)]  # 0, 7, 28, 91, 280, 847
    assert [s.lr_at(t) for t in starts] == [0.1] * 6
    assert all(s.lr_at(t - 1) < 0.005 for t in starts[1:])  # the end of a period
