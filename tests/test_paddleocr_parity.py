"""Every PaddleOCR name, every step of whole runs, against what PaddleOCR builds."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ppocr_lr
from conftest import assert_rel
from reference import paddleocr_scheduler, run

EXTRA = 25  # steps checked past the end of the run

epochs_st = st.integers(1, 12)
spe_st = st.integers(1, 40)
lr_st = st.sampled_from([1e-3, 5e-4, 0.1, 1.0, 7e-5, 0.02])
warm_st = st.sampled_from([0, 0, 0.02, 0.5, 1, 1.5, 2, 2.5, 3])


def compare(block, epochs, spe, extra=EXTRA, rel=1e-9):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)
        ours = ppocr_lr.build_lr_scheduler(block, epochs, spe)
    reference = paddleocr_scheduler(block, epochs, spe)
    n = epochs * spe + extra
    expected = run(reference, n)
    # through the Paddle interface (step) and both pure views
    stepped = run(ours, n)
    assert_rel(stepped, expected, rel, f"{block} x {epochs}x{spe} (step)")
    assert np.array_equal(ours.lr_array(np.arange(n + 1)), stepped)
    return stepped, expected


@given(epochs_st, spe_st, lr_st, warm_st, st.sampled_from([0.0, 1e-6, 0.0001]),
       st.sampled_from([1.0, 0.5, 2.0, 0.9]))
def test_linear_is_paddle_polynomial_decay(epochs, spe, lr0, warm, end_lr, power):
    compare({"name": "Linear", "learning_rate": lr0, "end_lr": end_lr, "power": power,
             "warmup_epoch": warm}, epochs, spe)


@given(epochs_st, spe_st, lr_st, warm_st)
def test_cosine_is_paddle_cosine_annealing(epochs, spe, lr0, warm):
    ours, expected = compare({"name": "Cosine", "learning_rate": lr0, "warmup_epoch": warm},
                             epochs, spe)
    if warm * spe >= 1:  # with a warm-up Paddle evaluates the closed form: same bits
        assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, lr_st, warm_st, st.integers(1, 4), st.sampled_from([0.1, 0.5, 0.9]))
def test_step_is_paddle_step_decay(epochs, spe, lr0, warm, step_size, gamma):
    ours, expected = compare({"name": "Step", "learning_rate": lr0, "step_size": step_size,
                              "gamma": gamma, "warmup_epoch": warm}, epochs, spe)
    assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, warm_st, st.data())
def test_piecewise_is_paddle_piecewise_decay(epochs, spe, warm, data):
    bounds = sorted(data.draw(st.sets(st.integers(1, epochs + 2), min_size=1, max_size=3)))
    values = [0.1 / 10 ** i for i in range(len(bounds) + 1)]
    ours, expected = compare({"name": "Piecewise", "decay_epochs": bounds, "values": values,
                              "warmup_epoch": warm}, epochs, spe)
    assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, lr_st, warm_st, st.data())
def test_multistep_is_paddle_multistep_decay(epochs, spe, lr0, warm, data):
    milestones = sorted(data.draw(st.sets(st.integers(1, epochs + 2), min_size=1, max_size=4)))
    ours, expected = compare({"name": "MultiStepDecay", "learning_rate": lr0,
                              "milestones": milestones, "gamma": 0.1, "warmup_epoch": warm},
                             epochs, spe)
    assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, lr_st, st.sampled_from([0.9, 0.5, 1.0, 2.0]))
def test_decay_learning_rate_is_paddle_polynomial_to_zero(epochs, spe, lr0, factor):
    compare({"name": "DecayLearningRate", "learning_rate": lr0, "factor": factor},
            epochs, spe)


@given(epochs_st, spe_st, lr_st, warm_st)
def test_const_and_nameless_blocks(epochs, spe, lr0, warm):
    compare({"name": "Const", "learning_rate": lr0, "warmup_epoch": warm}, epochs, spe)
    compare({"learning_rate": lr0, "warmup_epoch": warm}, epochs, spe)


@given(epochs_st, spe_st, lr_st, warm_st, st.sampled_from([0.5, 1, 2, 3, 0.3]))
def test_cyclical_cosine(epochs, spe, lr0, warm, cycle):
    if round(cycle * spe) == 0:
        return
    compare({"name": "CyclicalCosine", "learning_rate": lr0, "cycle": cycle,
             "warmup_epoch": warm}, epochs, spe)


@given(st.integers(2, 12), st.integers(3, 40), lr_st, st.sampled_from(["cos", "linear"]),
       st.booleans(), st.sampled_from([0, 0, 0.5, 1]))
def test_one_cycle_whole_run_including_last_step(epochs, spe, max_lr, strategy, three, warm):
    block = {"name": "OneCycle", "max_lr": max_lr, "anneal_strategy": strategy,
             "three_phase": three, "warmup_epoch": warm}
    # PaddleOCR raises past the end, so the reference stops at the run's last step
    # (and at its last step minus the warm-up when there is one).
    extra = -round(warm * spe)
    compare(block, epochs, spe, extra=extra)


@given(st.sampled_from([1, 2, 3]), st.sampled_from([300, 201, 150]), lr_st)
def test_two_step_cosine_with_warmup_is_closed_form(spe, epochs, lr0):
    ours, expected = compare({"name": "TwoStepCosine", "learning_rate": lr0,
                              "warmup_epoch": 1}, epochs, spe)
    t1 = 200 * spe + spe  # the first cosine ends at T1 after the warm-up
    if epochs * spe > t1:
        assert ours[t1 + 1] > ours[t1]  # rises again after T1: closed form of period T2


def test_two_step_cosine_without_warmup_reproduces_the_zero_plateau():
    with pytest.warns(ppocr_lr.ConfigWarning, match="stays at 0.0"):
        ours = ppocr_lr.build_lr_scheduler({"name": "TwoStepCosine", "learning_rate": 0.01},
                                           300, 2)
    expected = run(paddleocr_scheduler({"name": "TwoStepCosine", "learning_rate": 0.01},
                                       300, 2), 600)
    got = ours.lr_array(np.arange(601))
    assert_rel(got, expected, 1e-9, "TwoStepCosine")
    assert np.all(got[401:601] == 0.0) and got[399] > 0.0


@given(st.integers(2, 10), st.integers(5, 50), lr_st, st.integers(0, 40))
def test_linear_warmup_cosine(epochs, spe, lr0, warmup_steps):
    total = epochs * spe
    if warmup_steps >= total:
        return
    block = {"name": "LinearWarmupCosine", "learning_rate": lr0, "warmup_steps": warmup_steps,
             "start_lr": lr0 / 100, "min_lr": lr0 / 1000}
    ours, _ = compare(block, epochs, spe, rel=1e-12)
    assert ours[total] == pytest.approx(lr0 / 1000, rel=1e-12)  # reached at the last step
    assert ours[-1] == ours[total]  # and kept


def test_paddleocr_defaults_for_linear_warmup_cosine():
    ours = ppocr_lr.build_lr_scheduler({"name": "LinearWarmupCosine", "learning_rate": 1e-4},
                                       20, 1000)
    assert ours.warmup_steps == 5000
    assert ours.lr_at(0) == 1e-5
    assert ours.lr_at(5000) == 1e-4
    assert ours.lr_at(20000) == pytest.approx(1e-8, rel=1e-12)


@pytest.mark.parametrize("warmup_epoch, spe, steps", [
    (0.5, 1, 0), (2.5, 1, 2), (1.5, 1, 2), (0.5, 5, 2), (0.02, 120, 2), (0.5, 7, 4),
    (3, 10, 30), (0.125, 4, 0)])
def test_warmup_rounds_half_to_even_like_python(warmup_epoch, spe, steps):
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1,
                                     "warmup_epoch": warmup_epoch}, 10, spe)
    assert s.warmup_steps == steps
    if steps:
        assert s.lr_at(0) == 0.0
        assert s.lr_at(steps - 1) == pytest.approx(0.1 * (steps - 1) / steps, rel=1e-15)
        assert s.lr_at(steps) == 0.1  # hand-over: the decay's step 0


def test_warmup_does_not_shorten_the_decay_by_default():
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1,
                                     "warmup_epoch": 2}, 10, 10)
    # PaddleOCR: the cosine still has T = 100 steps after the 20-step warm-up
    assert s.lr_at(100) == pytest.approx(0.05 * (1 + np.cos(np.pi * 80 / 100)), rel=1e-14)
    assert s.lr_at(100) > 0.0


def test_trainer_run_length_wins_over_block_keys():
    block = {"name": "Cosine", "learning_rate": 0.1, "epochs": 999, "step_each_epoch": 3}
    with pytest.warns(ppocr_lr.ConfigWarning, match="trainer's value is used"):
        s = ppocr_lr.build_lr_scheduler(block, 10, 20)
    assert s.total_steps == 200
    # equal values are not worth a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ppocr_lr.build_lr_scheduler(dict(block, epochs=10, step_each_epoch=20), 10, 20)


def test_caller_dict_is_not_mutated_and_builds_twice_alike():
    block = {"name": "Piecewise", "decay_epochs": [3, 6], "values": [0.1, 0.01, 0.001],
             "warmup_epoch": 1}
    snapshot = {k: (list(v) if isinstance(v, list) else v) for k, v in block.items()}
    a = ppocr_lr.build_lr_scheduler(block, 10, 7)
    b = ppocr_lr.build_lr_scheduler(block, 10, 7)
    assert block == snapshot
    steps = np.arange(100)
    assert np.array_equal(a.lr_array(steps), b.lr_array(steps))


def test_numeric_strings_are_numbers():
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": "1e-4",
                                     "warmup_epoch": "2"}, 10, 5)
    assert s.lr_at(10) == 1e-4 and s.warmup_steps == 10


def test_piecewise_with_as_many_values_as_boundaries_keeps_the_last_value():
    block = {"name": "Piecewise", "decay_epochs": [700, 800], "values": [0.001, 0.0001],
             "warmup_epoch": 5}
    with pytest.warns(ppocr_lr.ConfigWarning, match="keeps the last value"):
        s = ppocr_lr.build_lr_scheduler(block, 800, 3)
    w = 15
    assert s.lr_at(w) == 0.001
    assert s.lr_at(w + 700 * 3 - 1) == 0.001
    assert s.lr_at(w + 700 * 3) == 0.0001
    assert s.lr_at(w + 800 * 3) == 0.0001  # the boundary without a value keeps the last
    assert s.lr_at(10 ** 7) == 0.0001


def test_decay_learning_rate_honours_end_lr_and_warns():
    with pytest.warns(ppocr_lr.ConfigWarning, match="PaddleOCR would have ignored"):
        s = ppocr_lr.build_lr_scheduler({"name": "DecayLearningRate", "learning_rate": 0.01,
                                         "end_lr": 1e-7}, 10, 10)
    assert s.lr_at(100) == 1e-7
    assert s.lr_at(50) == pytest.approx((0.01 - 1e-7) * 0.5 ** 0.9 + 1e-7, rel=1e-14)
    with warnings.catch_warnings():  # end_lr 0 is what PaddleOCR uses: nothing to say
        warnings.simplefilter("error")
        ppocr_lr.build_lr_scheduler({"name": "DecayLearningRate", "learning_rate": 0.01,
                                     "end_lr": 0}, 10, 10)


def test_one_cycle_last_step_and_past_the_end():
    s = ppocr_lr.build_lr_scheduler({"name": "OneCycle", "max_lr": 0.01}, 10, 10)
    total = 100
    initial, low = 0.01 / 25, 0.01 / 25 / 1e4
    assert s.lr_at(0) == pytest.approx(initial, rel=1e-14)
    # at t = total the last phase extrapolates one step past min (PaddleOCR's value)
    pct = (total - 29.0) / (99 - 29.0)
    expected = low + (0.01 - low) / 2 * (np.cos(np.pi * pct) + 1)
    assert s.lr_at(total) == pytest.approx(expected, rel=1e-14)
    assert s.lr_at(total - 1) == pytest.approx(low, rel=1e-12)
    for t in (total + 1, total + 50, 10 ** 9):  # PaddleOCR raises; the value at T is kept
        assert s.lr_at(t) == s.lr_at(total)
    for _ in range(total + 10):
        s.step()
    assert s.last_lr == s.lr_at(total)


@given(epochs_st, spe_st, lr_st, st.sampled_from([0.5, 1, 2, 3]), warm_st)
def test_cyclical_cosine_is_paddle_warm_restarts_with_fixed_period(epochs, spe, lr0, cycle, warm):
    from paddle.optimizer import lr as L
    period = round(cycle * spe)
    if period == 0:
        return
    block = {"name": "CyclicalCosine", "learning_rate": lr0, "cycle": cycle,
             "warmup_epoch": warm}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)  # warm-ups longer than runs
        ours = ppocr_lr.build_lr_scheduler(block, epochs, spe)
    theirs = L.CosineAnnealingWarmRestarts(lr0, period, 1)
    w = ours.warmup_steps
    if w:
        theirs = L.LinearWarmup(theirs, w, 0.0, lr0)
    n = epochs * spe + EXTRA
    assert np.array_equal(run(ours, n), run(theirs, n))


@given(st.integers(2, 12), st.integers(4, 40), lr_st, st.sampled_from(["cos", "linear"]),
       st.booleans())
def test_one_cycle_is_paddle_one_cycle_lr(epochs, spe, max_lr, strategy, three):
    from paddle.optimizer import lr as L
    total = epochs * spe
    ours = ppocr_lr.build_lr_scheduler({"name": "OneCycle", "max_lr": max_lr,
                                        "anneal_strategy": strategy, "three_phase": three},
                                       epochs, spe)
    theirs = L.OneCycleLR(max_lr, total, divide_factor=25.0,
                          end_learning_rate=max_lr / 25.0 / 1e4, phase_pct=0.3,
                          anneal_strategy=strategy, three_phase=three)
    assert_rel(run(ours, total), run(theirs, total), 1e-12, "OneCycle")  # to the last step
