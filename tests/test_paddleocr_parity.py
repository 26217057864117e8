"""Every PaddleOCR name, every step of whole runs, against what PaddleOCR builds."""

import os
import warnings

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import ppocr_lr
from conftest import assert_array_matches_steps, assert_rel
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
    # a learning rate is never negative: where PaddleOCR's is (OneCycle's linear line one
    # step past its last phase), ppocr_lr gives 0
    expected = np.maximum(run(reference, n), 0.0)
    # through the Paddle interface (step) and both pure views
    stepped = run(ours, n)
    assert_rel(stepped, expected, rel, f"{block} x {epochs}x{spe} (step)")
    assert_array_matches_steps(ours.lr_array(np.arange(n + 1)), stepped, str(block))
    return stepped, expected


@given(
    epochs_st,
    spe_st,
    lr_st,
    warm_st,
    st.sampled_from([0.0, 1e-6, 0.0001]),
    st.sampled_from([1.0, 0.5, 2.0, 0.9]),
)
def test_linear_is_paddle_polynomial_decay(epochs, spe, lr0, warm, end_lr, power):
    compare(
        {
            "name": "Linear",
            "learning_rate": lr0,
            "end_lr": end_lr,
            "power": power,
            "warmup_epoch": warm,
        },
        epochs,
        spe,
    )


@given(epochs_st, spe_st, lr_st, warm_st)
def test_cosine_is_paddle_cosine_annealing(epochs, spe, lr0, warm):
    ours, expected = compare(
        {"name": "Cosine", "learning_rate": lr0, "warmup_epoch": warm}, epochs, spe
    )
    if warm * spe >= 1:  # with a warm-up Paddle evaluates the closed form: same bits
        assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, lr_st, warm_st, st.integers(1, 4), st.sampled_from([0.1, 0.5, 0.9]))
def test_step_is_paddle_step_decay(epochs, spe, lr0, warm, step_size, gamma):
    ours, expected = compare(
        {
            "name": "Step",
            "learning_rate": lr0,
            "step_size": step_size,
            "gamma": gamma,
            "warmup_epoch": warm,
        },
        epochs,
        spe,
    )
    assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, warm_st, st.data())
def test_piecewise_is_paddle_piecewise_decay(epochs, spe, warm, data):
    bounds = sorted(data.draw(st.sets(st.integers(1, epochs + 2), min_size=1, max_size=3)))
    values = [0.1 / 10**i for i in range(len(bounds) + 1)]
    ours, expected = compare(
        {"name": "Piecewise", "decay_epochs": bounds, "values": values, "warmup_epoch": warm},
        epochs,
        spe,
    )
    assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, lr_st, warm_st, st.data())
def test_multistep_is_paddle_multistep_decay(epochs, spe, lr0, warm, data):
    milestones = sorted(data.draw(st.sets(st.integers(1, epochs + 2), min_size=1, max_size=4)))
    ours, expected = compare(
        {
            "name": "MultiStepDecay",
            "learning_rate": lr0,
            "milestones": milestones,
            "gamma": 0.1,
            "warmup_epoch": warm,
        },
        epochs,
        spe,
    )
    assert np.array_equal(ours, expected)


@given(epochs_st, spe_st, lr_st, st.sampled_from([0.9, 0.5, 1.0, 2.0]))
def test_decay_learning_rate_is_paddle_polynomial_to_zero(epochs, spe, lr0, factor):
    compare({"name": "DecayLearningRate", "learning_rate": lr0, "factor": factor}, epochs, spe)


@given(epochs_st, spe_st, lr_st, warm_st)
def test_const_and_nameless_blocks(epochs, spe, lr0, warm):
    compare({"name": "Const", "learning_rate": lr0, "warmup_epoch": warm}, epochs, spe)
    compare({"learning_rate": lr0, "warmup_epoch": warm}, epochs, spe)


@given(epochs_st, spe_st, lr_st, warm_st, st.sampled_from([0.5, 1, 2, 3, 0.3]))
def test_cyclical_cosine(epochs, spe, lr0, warm, cycle):
    if round(cycle * spe) == 0:
        return
    compare(
        {"name": "CyclicalCosine", "learning_rate": lr0, "cycle": cycle, "warmup_epoch": warm},
        epochs,
        spe,
    )


@given(
    st.integers(2, 12),
    st.integers(3, 40),
    lr_st,
    st.sampled_from(["cos", "linear"]),
    st.booleans(),
    st.sampled_from([0, 0, 0.5, 1]),
)
def test_one_cycle_whole_run_including_last_step(epochs, spe, max_lr, strategy, three, warm):
    block = {
        "name": "OneCycle",
        "max_lr": max_lr,
        "anneal_strategy": strategy,
        "three_phase": three,
        "warmup_epoch": warm,
    }
    # PaddleOCR raises past the end, so the reference stops at the run's last step
    # (and at its last step minus the warm-up when there is one).
    extra = -round(warm * spe)
    compare(block, epochs, spe, extra=extra)


@given(st.sampled_from([1, 2, 3]), st.sampled_from([300, 201, 150]), lr_st)
def test_two_step_cosine_with_warmup_is_closed_form(spe, epochs, lr0):
    ours, expected = compare(
        {"name": "TwoStepCosine", "learning_rate": lr0, "warmup_epoch": 1}, epochs, spe
    )
    t1 = 200 * spe + spe  # the first cosine ends at T1 after the warm-up
    if epochs * spe > t1:
        assert ours[t1 + 1] > ours[t1]  # rises again after T1: closed form of period T2


def test_two_step_cosine_without_warmup_reproduces_the_zero_plateau():
    with pytest.warns(ppocr_lr.ConfigWarning, match="stays at 0.0"):
        ours = ppocr_lr.build_lr_scheduler({"name": "TwoStepCosine", "learning_rate": 0.01}, 300, 2)
    expected = run(
        paddleocr_scheduler({"name": "TwoStepCosine", "learning_rate": 0.01}, 300, 2), 600
    )
    got = ours.lr_array(np.arange(601))
    assert_rel(got, expected, 1e-9, "TwoStepCosine")
    assert np.all(got[401:601] == 0.0) and got[399] > 0.0


@given(
    st.integers(1, 10),
    st.integers(1, 50),
    lr_st,
    st.integers(0, 600),
    st.sampled_from([0.0, 1e-6, 1e-3]),
)
def test_linear_warmup_cosine_is_paddle_linear_warmup_of_cosine_annealing(
    epochs, spe, lr0, warmup_steps, fraction
):
    """PaddleOCR's composition, warm-ups longer than the run included (no error, and the
    cosine is not shortened by the warm-up)."""
    block = {
        "name": "LinearWarmupCosine",
        "learning_rate": lr0,
        "warmup_steps": warmup_steps,
        "start_lr": lr0 * fraction,
        "min_lr": lr0 / 1000,
    }
    # without a warm-up Paddle's cosine is its recursion: the tolerated ~1e-14 drift
    compare(block, epochs, spe, rel=1e-12 if warmup_steps else 1e-9)


def test_linear_warmup_cosine_pp_formulanet_s_run_shorter_than_the_default_warmup():
    """PP-FormulaNet-S: 20 epochs x 200 steps with the default 5000-step warm-up trains
    (PaddleOCR does) and ends inside the warm-up; the default is named, not warmup_epoch."""
    block = {"name": "LinearWarmupCosine", "learning_rate": 1e-4}
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=r"Optimizer\.lr\.warmup_steps: the warm-up "
        r"\(5000 steps, the default\) is longer than the run \(4000 steps\)",
    ):
        ours = ppocr_lr.build_lr_scheduler(block, 20, 200)
    assert ours.warmup_steps == 5000
    # hand-computed: (lr0 - start_lr) * t / W + start_lr
    assert ours.lr_at(0) == 1e-5
    assert ours.lr_at(4000) == pytest.approx((1e-4 - 1e-5) * 4000 / 5000 + 1e-5, rel=1e-15)
    assert ours.lr_at(5000) == 1e-4


def test_linear_warmup_cosine_last_step_is_paddleocrs_not_min_lr():
    """The cosine keeps T = epochs * spe after the warm-up, so the last lr is the cosine
    at step T - W of T, far from min_lr."""
    ours = ppocr_lr.build_lr_scheduler(
        {"name": "LinearWarmupCosine", "learning_rate": 1e-4, "warmup_steps": 5000}, 20, 1000
    )
    t = 20000 - 5000
    expected = 1e-8 + (1e-4 - 1e-8) * (1 + np.cos(np.pi * t / 20000)) / 2
    assert ours.lr_at(20000) == pytest.approx(expected, rel=1e-14)
    assert ours.lr_at(20000) > 1000 * 1e-8


def test_linear_warmup_cosine_reads_warmup_steps_not_warmup_epoch():
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=r"warmup_epoch: 2 is written, but "
        r"PaddleOCR's LinearWarmupCosine does not read warmup_epoch; ignored",
    ):
        ours = ppocr_lr.build_lr_scheduler(
            {"name": "LinearWarmupCosine", "learning_rate": 1e-4, "warmup_epoch": 2}, 20, 1000
        )
    assert ours.warmup_steps == 5000
    honoured = ppocr_lr.build_lr_scheduler(
        {
            "name": "LinearWarmupCosine",
            "learning_rate": 1e-4,
            "warmup_epoch": 2,
            "honour": ["warmup_epoch"],
        },
        20,
        1000,
    )
    assert honoured.warmup_steps == 2000


@pytest.mark.parametrize(
    "warmup_epoch, spe, steps",
    [
        (0.5, 1, 0),
        (2.5, 1, 2),
        (1.5, 1, 2),
        (0.5, 5, 2),
        (0.02, 120, 2),
        (0.5, 7, 4),
        (3, 10, 30),
        (0.125, 4, 0),
    ],
)
def test_warmup_rounds_half_to_even_like_python(warmup_epoch, spe, steps):
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": warmup_epoch}, 10, spe
    )
    assert s.warmup_steps == steps
    if steps:
        assert s.lr_at(0) == 0.0
        assert s.lr_at(steps - 1) == pytest.approx(0.1 * (steps - 1) / steps, rel=1e-15)
        assert s.lr_at(steps) == 0.1  # hand-over: the decay's step 0


def test_warmup_does_not_shorten_the_decay_by_default():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 2}, 10, 10
    )
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
    block = {
        "name": "Piecewise",
        "decay_epochs": [3, 6],
        "values": [0.1, 0.01, 0.001],
        "warmup_epoch": 1,
    }
    snapshot = {k: (list(v) if isinstance(v, list) else v) for k, v in block.items()}
    a = ppocr_lr.build_lr_scheduler(block, 10, 7)
    b = ppocr_lr.build_lr_scheduler(block, 10, 7)
    assert block == snapshot
    steps = np.arange(100)
    assert np.array_equal(a.lr_array(steps), b.lr_array(steps))


def test_numeric_strings_are_numbers():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": "1e-4", "warmup_epoch": "2"}, 10, 5
    )
    assert s.lr_at(10) == 1e-4 and s.warmup_steps == 10


def test_piecewise_with_as_many_values_as_boundaries_keeps_the_last_value():
    block = {
        "name": "Piecewise",
        "decay_epochs": [700, 800],
        "values": [0.001, 0.0001],
        "warmup_epoch": 5,
    }
    with pytest.warns(ppocr_lr.ConfigWarning, match="keeps the last value"):
        s = ppocr_lr.build_lr_scheduler(block, 800, 3)
    w = 15
    assert s.lr_at(w) == 0.001
    assert s.lr_at(w + 700 * 3 - 1) == 0.001
    assert s.lr_at(w + 700 * 3) == 0.0001
    assert s.lr_at(w + 800 * 3) == 0.0001  # the boundary without a value keeps the last
    assert s.lr_at(10**7) == 0.0001


def test_decay_learning_rate_ignores_end_lr_as_paddleocr_and_says_so():
    block = {"name": "DecayLearningRate", "learning_rate": 0.01, "end_lr": 1e-7}
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=r"Optimizer\.lr\.end_lr: 1e-07 is written, "
        r"but PaddleOCR's DecayLearningRate does not read end_lr; ignored, as in "
        r"PaddleOCR: the schedule uses end_lr = 0\.0\. To use the value written, "
        r"add 'honour: \[end_lr\]'",
    ):
        s = ppocr_lr.build_lr_scheduler(block, 10, 10)
    assert s.lr_at(100) == 0.0
    assert s.lr_at(50) == pytest.approx(0.01 * 0.5**0.9, rel=1e-14)
    with warnings.catch_warnings():  # end_lr 0 is what PaddleOCR uses: nothing to say
        warnings.simplefilter("error")
        ppocr_lr.build_lr_scheduler(dict(block, end_lr=0), 10, 10)


def test_decay_learning_rate_honours_end_lr_and_warmup_when_asked():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ppocr_lr.build_lr_scheduler(
            {
                "name": "DecayLearningRate",
                "learning_rate": 0.01,
                "end_lr": 1e-7,
                "warmup_epoch": 1,
                "honour": ["end_lr", "warmup_epoch"],
            },
            10,
            10,
        )
    assert s.warmup_steps == 10
    assert s.lr_at(110) == 1e-7
    assert s.lr_at(60) == pytest.approx((0.01 - 1e-7) * 0.5**0.9 + 1e-7, rel=1e-14)


@pytest.mark.parametrize(
    "block, key",
    [
        ({"name": "DecayLearningRate", "learning_rate": 0.01, "warmup_epoch": 2}, "warmup_epoch"),
        ({"name": "Cosine", "learning_rate": 0.01, "eta_min": 1e-4}, "eta_min"),
        ({"name": "Cosine", "learning_rate": 0.01, "warmup_steps": 7}, "warmup_steps"),
        ({"name": "CyclicalCosine", "learning_rate": 0.01, "cycle": 2, "eta_min": 1e-4}, "eta_min"),
        ({"name": "OneCycle", "max_lr": 0.01, "pct_start": 0.5}, "pct_start"),
        ({"name": "OneCycle", "max_lr": 0.01, "div_factor": 10}, "div_factor"),
        ({"name": "OneCycle", "max_lr": 0.01, "final_div_factor": 100}, "final_div_factor"),
    ],
)
def test_keys_paddleocr_drops_give_paddleocrs_numbers_and_a_notice(block, key):
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=rf"Optimizer\.lr\.{key}: .* does not read "
        rf"{key}; ignored, as in PaddleOCR.*honour: \[{key}\]",
    ):
        ours = ppocr_lr.build_lr_scheduler(block, 10, 10)
    expected = run(paddleocr_scheduler(block, 10, 10), 100)
    assert_rel(ours.lr_array(np.arange(101)), expected, 1e-9, str(block))
    honoured = ppocr_lr.build_lr_scheduler(dict(block, honour=[key]), 10, 10)
    assert not np.allclose(honoured.lr_array(np.arange(100)), expected[:100])


def test_drop_lists_are_exactly_the_keys_paddleocrs_signatures_lack():
    """Each PaddleOCR name ignores exactly the keys its PaddleOCR function does not take
    (read from the stand-in's signatures), apart from ppocr_lr's own opt-in keys and
    Piecewise's boundaries (PaddleOCR cannot build a block without decay_epochs)."""
    import inspect

    from reference import standin_learning_rate

    own = {
        "warmup_start_lr",
        "decay_ends_at_last_step",
        "warmup_prefix",
        "by_epoch",
        "honour",
        "batch_scaling",
        "reference_batch_size",
        "cycle_momentum",
        "base_momentum",
        "max_momentum",
        "boundaries",
        "learning_rate",
    }  # Piecewise's learning_rate has its own notice
    for name in (
        "Const",
        "Linear",
        "Cosine",
        "Step",
        "Piecewise",
        "CyclicalCosine",
        "OneCycle",
        "DecayLearningRate",
        "MultiStepDecay",
        "TwoStepCosine",
        "LinearWarmupCosine",
    ):
        cls = ppocr_lr.registry.scheduler_class(name)
        reads = set(inspect.signature(getattr(standin_learning_rate, name)).parameters)
        accepted = {k for p in cls.all_params() for k in p.keys}
        expected = accepted - reads - own
        if name == "DecayLearningRate":
            expected.add("end_lr")  # in its signature, but set to 0 whatever is written
        assert set(cls.paddleocr_drops) == expected, name


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
    for t in (total + 1, total + 50, 10**9):  # PaddleOCR raises; the value at T is kept
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
    block = {"name": "CyclicalCosine", "learning_rate": lr0, "cycle": cycle, "warmup_epoch": warm}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)  # warm-ups longer than runs
        ours = ppocr_lr.build_lr_scheduler(block, epochs, spe)
    theirs = L.CosineAnnealingWarmRestarts(lr0, period, 1)
    w = ours.warmup_steps
    if w:
        theirs = L.LinearWarmup(theirs, w, 0.0, lr0)
    n = epochs * spe + EXTRA
    assert np.array_equal(run(ours, n), run(theirs, n))


@given(
    st.integers(2, 12), st.integers(4, 40), lr_st, st.sampled_from(["cos", "linear"]), st.booleans()
)
def test_one_cycle_is_paddle_one_cycle_lr(epochs, spe, max_lr, strategy, three):
    from paddle.optimizer import lr as L

    total = epochs * spe
    ours = ppocr_lr.build_lr_scheduler(
        {"name": "OneCycle", "max_lr": max_lr, "anneal_strategy": strategy, "three_phase": three},
        epochs,
        spe,
    )
    theirs = L.OneCycleLR(
        max_lr,
        total,
        divide_factor=25.0,
        end_learning_rate=max_lr / 25.0 / 1e4,
        phase_pct=0.3,
        anneal_strategy=strategy,
        three_phase=three,
    )
    assert_rel(run(ours, total), np.maximum(run(theirs, total), 0.0), 1e-12, "OneCycle")


def test_one_cycle_linear_is_clipped_at_zero_where_paddleocr_goes_negative():
    block = {"name": "OneCycle", "max_lr": 0.01, "anneal_strategy": "linear"}
    theirs = run(paddleocr_scheduler(block, 10, 10), 100)
    assert theirs[100] < 0.0 and theirs[99] > 0.0  # PaddleOCR's value at t = T
    ours = ppocr_lr.build_lr_scheduler(block, 10, 10)
    assert ours.lr_at(99) == pytest.approx(theirs[99], rel=1e-12)
    assert ours.lr_at(100) == 0.0 and ours.lr_at(10**6) == 0.0


with open(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "paddleocr_blocks.yml")
) as corpus_file:
    CORPUS = yaml.safe_load(corpus_file)


@pytest.mark.parametrize("entry", CORPUS, ids=[e["config"] for e in CORPUS])
def test_every_block_of_the_corpus_gives_paddleocrs_numbers_by_default(entry):
    """Blocks as PaddleOCR's public configs write them: ppocr_lr's default path gives
    PaddleOCR's learning rate at every step of the run (and past it, where PaddleOCR does
    not raise), and says exactly the expected notices."""
    epochs, spe, block = entry["epochs"], entry["spe"], entry["lr"]
    with ppocr_lr.messages.collecting() as said:
        ours = ppocr_lr.build_lr_scheduler(block, epochs, spe)
    assert len(said) == len(entry.get("notices", [])), [str(n) for n in said]
    for notice, expected in zip(said, entry.get("notices", [])):
        assert expected in str(notice)
    total = epochs * spe
    extra = 0 if block.get("name") == "OneCycle" else EXTRA  # PaddleOCR raises past the end
    expected = np.maximum(run(paddleocr_scheduler(block, epochs, spe), total + extra), 0.0)
    stepped = run(ours, total + extra)
    # Paddle's cosine without warm-up is its recursion: the tolerated ~1e-14 drift
    assert_rel(stepped, expected, 1e-9, entry["config"])
    assert_array_matches_steps(ours.lr_array(np.arange(total + extra + 1)), stepped)
