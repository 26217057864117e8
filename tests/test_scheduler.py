"""The LRSchedule interface, for every example block under configs/lr/."""

import glob
import math
import os
import warnings

import numpy as np
import pytest
import yaml

import ppocr_lr
from conftest import assert_array_matches_steps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "lr", "*.yml")))
EPOCHS, SPE = 60, 7


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)["lr"]


def build(path, epochs=EPOCHS, spe=SPE):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ppocr_lr.ConfigWarning)  # examples are clean
        return ppocr_lr.build_lr_scheduler(load(path), epochs, spe)


# The names the package promises, by family (not read from the package).
PROMISED = {
    "ppocr_lr.paddleocr": {
        "Linear",
        "Cosine",
        "Step",
        "Piecewise",
        "CyclicalCosine",
        "OneCycle",
        "Const",
        "DecayLearningRate",
        "MultiStepDecay",
        "TwoStepCosine",
        "LinearWarmupCosine",
    },
    "ppocr_lr.classic": {
        "Exponential",
        "NaturalExp",
        "InverseTime",
        "Polynomial",
        "CosineDecay",
        "CosineRestarts",
        "LinearCosine",
        "NoisyLinearCosine",
    },
    "ppocr_lr.modern": {
        "CosineCycles",
        "PolyCycles",
        "TanhCycles",
        "WarmupStableDecay",
        "InverseSqrt",
        "Noam",
        "Cyclic",
        "Sequential",
        "ReduceOnPlateau",
    },
}


def test_every_promised_name_is_registered_in_its_family_and_has_an_example():
    from ppocr_lr.registry import scheduler_class

    names = {load(p).get("name", "Const") for p in CONFIGS}
    builtin = {
        n
        for n in ppocr_lr.available_schedulers()
        if scheduler_class(n).__module__.startswith("ppocr_lr.")
    }
    assert builtin == set().union(*PROMISED.values())
    for module, family in PROMISED.items():
        assert {scheduler_class(n).__module__ for n in family} == {module}
    assert names == builtin


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_step_lr_at_and_lr_array_agree(path):
    s = build(path)
    assert s.total_steps == EPOCHS * SPE
    n = 3 * s.total_steps  # well past the end: no schedule raises there
    stepped = [s.last_lr]
    for _ in range(n):
        s.step()
        stepped.append(s.last_lr)
    assert all(type(v) is float for v in stepped)
    steps = np.arange(n + 1)
    array = s.lr_array(steps)
    assert array.dtype == np.float64
    assert_array_matches_steps(array, stepped, path)
    assert [s.lr_at(int(t)) for t in steps] == stepped  # lr_at is step(), to the bit
    assert np.all(np.isfinite(array))
    # any order, any shape, repeated steps
    shuffled = np.random.default_rng(0).permutation(steps).reshape(-1, 1)
    assert np.array_equal(s.lr_array(shuffled)[:, 0], array[shuffled[:, 0]])


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_lr_at_changes_nothing(path):
    s = build(path)
    for _ in range(5):
        s.step()
    before = (s.last_epoch, s.last_lr)
    s.lr_at(123)
    s.lr_array(np.arange(1000))
    assert (s.last_epoch, s.last_lr) == before
    s.step()
    assert s.last_lr == s.lr_at(6)


def test_step_with_an_epoch_jumps():
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 10, 10)
    s.step(40)
    assert s.last_epoch == 40 and s.last_lr == s.lr_at(40)
    s.step()
    assert s.last_lr == s.lr_at(41)


def test_bad_steps_are_rejected():
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 10, 10)
    with pytest.raises(ValueError, match="must be from 0 to 2\\*\\*53"):
        s.lr_at(-1)
    with pytest.raises(ValueError, match="must be from 0 to 2\\*\\*53"):
        s.lr_at(2**53 + 1)
    with pytest.raises(TypeError, match="whole number"):
        s.lr_at(1.5)
    with pytest.raises(ValueError, match="count from 0"):
        s.lr_array([3, -2])
    with pytest.raises(ValueError, match="count from 0 to 2\\*\\*53"):
        s.lr_array([3, 2**60])
    with pytest.raises(TypeError, match="whole numbers"):
        s.lr_array([0.5])
    assert s.lr_at(np.int64(3)) == s.lr_at(3.0) == s.lr_array([3])[0]


@pytest.mark.parametrize(
    "name, extra, final",
    [
        ("Cosine", {"eta_min": 1e-5, "honour": ["eta_min"]}, 1e-5),
        ("Linear", {"end_lr": 1e-5}, 1e-5),
        ("CosineDecay", {"alpha": 0.01}, 1e-5),
        ("Polynomial", {"end_lr": 1e-5}, 1e-5),
    ],
)
def test_decay_ends_at_last_step_reaches_the_floor_on_the_last_step(name, extra, final):
    block = {
        "name": name,
        "learning_rate": 1e-3,
        "warmup_epoch": 3,
        "decay_ends_at_last_step": True,
        **extra,
    }
    s = ppocr_lr.build_lr_scheduler(block, 20, 10)
    assert s.warmup_steps == 30
    assert s.lr_at(30) == 1e-3
    assert s.lr_at(200) == pytest.approx(final, rel=1e-12)
    assert s.lr_at(199) > s.lr_at(200)
    # the default (PaddleOCR) is still 30 steps short of the floor at the end of the run
    paddleocr = ppocr_lr.build_lr_scheduler(dict(block, decay_ends_at_last_step=False), 20, 10)
    assert paddleocr.lr_at(200) > 1.5 * final
    assert paddleocr.lr_at(230) == pytest.approx(final, rel=1e-12)


def test_cosine_floor():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 1e-3, "eta_min": 1e-4, "honour": "eta_min"}, 10, 10
    )
    values = s.lr_array(np.arange(101))
    assert values.min() == pytest.approx(1e-4, rel=1e-12) and values[100] == values.min()
    assert values[50] == pytest.approx(1e-4 + 0.9e-3 / 2, rel=1e-14)


def test_warmup_start_lr_and_continuity():
    s = ppocr_lr.build_lr_scheduler(
        {
            "name": "Linear",
            "learning_rate": 1e-3,
            "warmup_steps": 10,
            "honour": ["warmup_steps"],
            "warmup_start_lr": 1e-4,
        },
        10,
        10,
    )
    assert s.lr_at(0) == 1e-4
    assert s.lr_at(5) == pytest.approx(1e-4 + 0.9e-3 * 0.5, rel=1e-14)
    assert s.lr_at(10) == 1e-3
    jumps = np.abs(np.diff(s.lr_array(np.arange(0, 30))))
    assert jumps.max() <= 0.9e-3 / 10 * (1 + 1e-12)


def test_last_epoch_key_starts_later():
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.1, "last_epoch": 49}, 10, 10
    )
    assert s.last_epoch == 50 and s.last_lr == s.lr_at(50)


def test_warmup_longer_than_the_run_warns():
    with pytest.warns(ppocr_lr.ConfigWarning, match="longer than the run"):
        s = ppocr_lr.build_lr_scheduler(
            {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 20}, 10, 10
        )
    assert s.lr_at(100) == pytest.approx(0.05, rel=1e-15)


def test_values_are_closed_form_with_no_drift_over_a_long_run():
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 1000, 5000)
    for _ in range(200_000):
        s.step()
    exact = 0.1 * (1 + math.cos(math.pi * 200_000 / 5_000_000)) / 2
    assert s.last_lr == pytest.approx(exact, rel=1e-15)


@pytest.mark.parametrize(
    "steps",
    [
        range(0, 1001),
        range(1000, -1, -7),
        range(5, 6),
        range(0),
        range(3, 10**40, 10**39),
        range(2**53, 2**53 - 10, -3),
    ],
)
def test_lr_array_takes_a_range_as_it_takes_the_same_steps_listed(steps):
    s = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 1}, 10, 100
    )
    if len(steps) and max(steps[0], steps[-1]) > 2**53:
        with pytest.raises(ValueError, match="2\\*\\*53"):
            s.lr_array(steps)
        return
    got = s.lr_array(steps)
    assert got.shape == (len(steps),)
    assert np.array_equal(got, s.lr_array(np.array(list(steps), dtype=np.int64)))
    with pytest.raises(ValueError, match="from 0"):
        s.lr_array(range(-1, 5))
