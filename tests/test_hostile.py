"""Property tests: every kind of bad value at every key of every schedule and of the
Optimizer block, hostile run lengths, steps and checkpoint states.  What may come out:
a schedule whose every learning rate is a finite float >= 0, or a ConfigValueError /
ConfigTypeError naming the YAML key.  Never a bare KeyError, AttributeError,
OverflowError, AssertionError, or a rate no optimizer should get."""

import glob
import math
import os

import numpy as np
import paddle
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ppocr_lr
from ppocr_lr import ConfigTypeError, ConfigValueError
from ppocr_lr.messages import collecting
from ppocr_lr.params import (
    MAX_STEPS,
    EpochBoundaries,
    Epochs,
    Flag,
    Integer,
    KeyList,
    Number,
    NumberList,
    StepBoundaries,
    Steps,
)
from ppocr_lr.registry import scheduler_class

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = {}
for path in sorted(glob.glob(os.path.join(ROOT, "configs", "lr", "*.yml"))):
    with open(path) as f:
        block = yaml.safe_load(f)["lr"]
    EXAMPLES.setdefault(block.get("name", "Const"), block)
NAMES = sorted(EXAMPLES)
CLEAR = (ConfigValueError, ConfigTypeError)

# What YAML (and a careless caller) can put where a value belongs.
BAD = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(["1e-x", "5.0-05", "", "nan", "inf", "-1", "1e400"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.lists(st.one_of(st.floats(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from([5e-324, 1e308, -1e308, 2**53 + 1, 2**64, -0.0]),
)


def checked_run(schedule):
    """Every learning rate that matters: each step of a short run, the edges of a long one
    and far past the end; all finite floats >= 0, from step(), lr_at and lr_array."""
    total, w = schedule.total_steps, schedule.warmup_steps
    edges = sorted(
        t
        for t in {
            0,
            1,
            max(w - 1, 0),
            w,
            w + 1,
            total - 1,
            total,
            total + 1,
            2 * total,
            10**6,
            MAX_STEPS,
        }
        if 0 <= t <= MAX_STEPS
    )
    steps = np.array(edges + list(range(min(total + 3, 400))), dtype=np.int64)
    values = schedule.lr_array(steps)
    assert values.dtype == np.float64 and np.all(np.isfinite(values)) and np.all(values >= 0)
    for t in edges:
        lr = schedule.lr_at(t)
        assert type(lr) is float and math.isfinite(lr) and lr >= 0.0, (t, lr)
    for _ in range(3):
        schedule.step()
        assert type(schedule.last_lr) is float and 0.0 <= schedule.last_lr < math.inf


def build(block, epochs=12, spe=9):
    with collecting():
        return ppocr_lr.build_lr_scheduler(block, epochs, spe)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.data(), BAD)
def test_any_bad_value_at_any_key_is_a_clear_error_or_a_valid_schedule(name, data, value):
    keys = sorted({k for p in scheduler_class(name).all_params() for k in p.keys})
    key = data.draw(st.sampled_from(keys))
    block = {
        k: v
        for k, v in EXAMPLES[name].items()
        if k
        not in {k2 for p in scheduler_class(name).all_params() if key in p.keys for k2 in p.keys}
    }
    block[key] = value
    try:
        schedule = build(block)
    except CLEAR as err:
        assert str(err).startswith("Optimizer.lr"), str(err)
        return
    checked_run(schedule)


def valid(kind, data):
    """A value a key of this kind accepts, from anywhere in its range (the edges too)."""
    if isinstance(kind, Flag):
        return data.draw(st.booleans())
    if isinstance(kind, (Integer, Steps)):
        low = getattr(kind, "minimum", None)
        low = (0 if kind.allow_zero else 1) if isinstance(kind, Steps) else (low or 0)
        return data.draw(st.one_of(st.integers(low, low + 50), st.integers(low, 10**6)))
    if isinstance(kind, Epochs):
        return data.draw(st.sampled_from([0.5, 1, 2, 3.5, 7]))
    if isinstance(kind, (EpochBoundaries, StepBoundaries)):
        return sorted(set(data.draw(st.lists(st.integers(1, 30), min_size=1, max_size=4))))
    if isinstance(kind, NumberList):  # learning rates (Piecewise's values)
        return data.draw(st.lists(st.floats(0, 1e10), min_size=1, max_size=5))
    if isinstance(kind, KeyList):
        return []
    if isinstance(kind, Number):
        low = kind.minimum if kind.minimum is not None else -1e10
        high = kind.maximum if kind.maximum is not None else 1e12
        edges = [
            x
            for x in (low, high, 1.0, 0.5, 1e-300, 1e300)
            if low <= x <= high
            and not (kind.minimum_open and x == low)
            and not (kind.maximum_open and x == high)
        ]
        return data.draw(
            st.one_of(
                st.sampled_from(edges),
                st.floats(low, high, exclude_min=kind.minimum_open, exclude_max=kind.maximum_open),
            )
        )
    return data.draw(st.sampled_from(getattr(kind, "options", ["cos"])))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.data(), st.integers(1, 40), st.integers(1, 60))
def test_values_in_range_give_finite_non_negative_rates_everywhere(name, data, epochs, spe):
    """Any combination of in-range values: either a clear error (a run too short for the
    values, boundaries on the same step, ...) or every rate valid, never a refused rate."""
    cls = scheduler_class(name)
    block = {"name": name}
    for param in cls.all_params():
        if param.required or data.draw(st.booleans()):
            key = data.draw(st.sampled_from(param.keys))
            block[key] = valid(param.kind_for(key), data)
    block["honour"] = list(cls.paddleocr_drops)
    block.pop("last_epoch", None)
    try:
        schedule = build(block, epochs, spe)
    except CLEAR as err:
        assert "learning rate at step" not in str(err), str(err)  # never the runtime guard
        return
    checked_run(schedule)


@pytest.mark.parametrize("key", [True, 3, None, 1.5, ("a",), "strict", "path", "self"])
def test_any_key_is_a_key_of_the_block(key):
    block = dict(EXAMPLES["Cosine"], **{} if not isinstance(key, str) else {})
    block[key] = 1 if key != "strict" else True
    if key == "strict":
        build(block)  # a known key: strict mode on, nothing else to say
        return
    with pytest.raises(CLEAR) as err:
        with collecting():
            ppocr_lr.build_lr_scheduler(block, 10, 10, strict=True)
    assert str(err.value).startswith("Optimizer.lr."), str(err.value)


@given(st.one_of(BAD, st.integers(-5, 5)), st.one_of(BAD, st.integers(-5, 5)))
def test_hostile_run_lengths(epochs, spe):
    try:
        schedule = build(EXAMPLES["Cosine"], epochs, spe)
    except CLEAR as err:
        assert "epochs" in str(err) or "step_each_epoch" in str(err) or "Optimizer.lr" in str(err)
        return
    checked_run(schedule)


@given(st.sampled_from(NAMES), BAD)
def test_hostile_steps_are_clear_errors(name, step):
    schedule = build(EXAMPLES[name])
    before = (schedule.last_epoch, schedule.last_lr)
    for call in ("lr_at", "step", "lr_array"):
        if step is None and call == "step":
            continue  # step() with no step is Paddle's ordinary "advance one"
        try:
            result = getattr(schedule, call)(step)
        except (TypeError, ValueError) as err:
            # ReduceOnPlateau.step(x) reports a metric, as Paddle's does
            assert (
                "step" in str(err)
                or "epoch" in str(err)
                or (name == "ReduceOnPlateau" and "metric" in str(err))
            ), str(err)
            assert (schedule.last_epoch, schedule.last_lr) == before
        else:  # a valid step, or (lr_array) an array of them, of any shape
            values = np.asarray(schedule.last_lr if call == "step" else result, dtype=float)
            assert np.all(np.isfinite(values)) and np.all(values >= 0)
            before = (schedule.last_epoch, schedule.last_lr)


@given(
    st.sampled_from(NAMES),
    st.one_of(
        BAD,
        st.dictionaries(
            st.sampled_from(["last_epoch", "last_lr", "LinearWarmup_LR", "ppocr_lr", "x"]),
            st.one_of(
                BAD,
                st.dictionaries(
                    st.sampled_from(
                        ["last_epoch", "name", "total_steps", "warmup_steps", "format"]
                    ),
                    BAD,
                ),
            ),
        ),
    ),
)
def test_hostile_checkpoint_states_load_whole_or_not_at_all(name, state):
    schedule = build(EXAMPLES[name])
    schedule.step()
    before = schedule.state_dict()
    try:
        with collecting():
            schedule.set_state_dict(state)
    except (TypeError, ValueError) as err:
        assert "last_epoch" in str(err) or "step" in str(err), str(err)
        assert schedule.state_dict() == before
        return
    assert 0.0 <= schedule.last_lr < math.inf


def test_a_failed_strict_resume_leaves_the_schedule_as_it_was():
    schedule = ppocr_lr.build_lr_scheduler(dict(EXAMPLES["Cosine"], strict=True), 10, 10)
    schedule.step()
    other = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 20, 10)
    other.step(57)
    with pytest.raises(ConfigValueError, match="resumed at step 57"):
        schedule.set_state_dict(other.state_dict())
    assert schedule.last_epoch == 1 and schedule.last_lr == schedule.lr_at(1)


class Tiny(paddle.nn.Layer):
    def __init__(self):
        super().__init__()
        self.fc = paddle.nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)


OPTIMIZER_BASE = {
    "Momentum": {"momentum": 0.9},
    "Adam": {},
    "AdamW": {},
    "RMSProp": {},
    "Adadelta": {},
    "SGD": {},
    "Adagrad": {},
    "Lamb": {},
}


@settings(max_examples=300)
@given(st.sampled_from(sorted(OPTIMIZER_BASE)), st.data(), BAD)
def test_any_bad_value_at_any_optimizer_key(name, data, value):
    from ppocr_lr.optimizer import OPTIMIZERS, SHARED_PARAMS

    keys = [
        "name",
        "lr",
        "regularizer",
        "strict",
        "weight_deacy",
        *(k for p in SHARED_PARAMS + OPTIMIZERS[name].params for k in p.keys),
    ]
    key = data.draw(st.sampled_from(keys))
    config = {
        "name": name,
        "lr": {"name": "Cosine", "learning_rate": 0.01},
        **OPTIMIZER_BASE[name],
        key: value,
    }
    if key == "regularizer" and data.draw(st.booleans()):
        config["regularizer"] = {"name": value, "factor": 1e-4}
    try:
        with collecting():
            optimizer, lr = ppocr_lr.build_optimizer(config, 3, 4, Tiny())
    except CLEAR as err:
        assert str(err).startswith("Optimizer"), str(err)
        return
    assert type(optimizer).__module__.startswith("paddle.")
    assert 0.0 <= optimizer.get_lr() < math.inf


@pytest.mark.parametrize("state", [{}, {"LR_Scheduler": None}])
def test_an_optimizer_state_without_scheduler_state_loads_with_a_notice(state):
    model = Tiny()
    optimizer, lr = ppocr_lr.build_optimizer(
        {"name": "SGD", "lr": {"learning_rate": 0.1}}, 3, 4, model
    )
    lr.step(5)
    with collecting() as said:
        optimizer.set_state_dict(state)
    assert lr.last_epoch == 5 and "holds no learning-rate scheduler state" in str(said[0])
    assert type(optimizer) is paddle.optimizer.SGD


def test_a_user_class_cannot_take_a_built_in_name():
    with pytest.raises(ValueError, match="the name 'Cosine' is taken by ppocr_lr.paddleocr.Cosine"):

        @ppocr_lr.register_scheduler("Cosine")
        class Cosine(ppocr_lr.LRSchedule):
            params = ()


def test_every_public_name_resolves():
    namespace = {}
    exec("from ppocr_lr import *", namespace)
    assert set(ppocr_lr.__all__) <= set(namespace)
    for name in ppocr_lr.__all__:
        assert getattr(ppocr_lr, name) is namespace[name]


@pytest.mark.parametrize(
    "name, block",
    [
        ("Step", {"name": "Step", "learning_rate": 0.1, "step_size": 1, "gamma": 0.5}),
        (
            "CosineRestarts",
            {"name": "CosineRestarts", "learning_rate": 0.1, "first_decay_steps": 1, "t_mul": 1.0},
        ),
        (
            "Exponential",
            {
                "name": "Exponential",
                "learning_rate": 0.1,
                "decay_rate": 0.5,
                "decay_steps": 1,
                "staircase": True,
            },
        ),
    ],
)
def test_lr_array_cost_follows_the_number_of_steps_not_their_range(name, block):
    schedule = build(block, 10, 1)
    values = schedule.lr_array([0, 10**10, MAX_STEPS])  # instant, no 10**10 table
    assert values[0] == 0.1 and np.all(values[1:] >= 0) and np.all(np.isfinite(values))
