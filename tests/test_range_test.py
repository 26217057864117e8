"""The learning-rate range test: the ramp, its readings on problems whose good rates are
known in closed form, restoring the weights, bad curves, bad settings."""

import math

import numpy as np
import paddle
import pytest
from hypothesis import given, settings, strategies as st

from ppocr_lr import ConfigTypeError, ConfigValueError
from ppocr_lr.range_test import RangeTestSettings, centred_average, range_test


def least_squares(seed=0, n=256, d=8, batch=32):
    """Mini-batch SGD on linear least squares.  Gradient descent on its loss diverges
    above 2 / lambda_max (lambda_max: the largest eigenvalue of X^T X / n), which
    bounds every sensible learning rate; 1 / lambda_max is the best single rate for
    the stiffest direction."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)) * np.linspace(0.3, 2.0, d)
    y = x @ rng.normal(size=d) + 0.01 * rng.normal(size=n)
    lambda_max = np.linalg.eigvalsh(x.T @ x / n).max()
    draw = np.random.default_rng(seed)
    w = np.zeros(d)

    def train_step(lr):
        nonlocal w
        rows = draw.choice(n, batch, replace=False)
        residual = x[rows] @ w - y[rows]
        w = w - lr * x[rows].T @ residual / batch
        return 0.5 * float(np.mean(residual ** 2))

    return train_step, lambda_max


def test_the_ramp_is_exponential_from_start_to_end():
    s = RangeTestSettings.checked(start_lr=1e-6, end_lr=1.0, num_iters=61)
    lrs = [s.lr(i) for i in range(61)]
    assert lrs[0] == 1e-6 and lrs[-1] == pytest.approx(1.0, rel=1e-12)
    assert lrs[10] == pytest.approx(1e-5, rel=1e-12)  # a decade every 10 iterations
    ratios = np.array(lrs[1:]) / np.array(lrs[:-1])
    assert np.allclose(ratios, 10 ** 0.1, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_readings_fall_inside_the_stable_band_of_least_squares(seed):
    train_step, lambda_max = least_squares(seed)
    result = range_test(train_step, start_lr=1e-5, end_lr=10.0, num_iters=150)
    stable = 2 / lambda_max
    # the ramp ran into divergence just past the stability limit, and stopped there
    assert "passed 4x its best" in result.stop
    assert stable < result.lrs[-1] < 4 * stable
    # the minimum sits near the limit, a tenth of it well inside the band
    assert stable / 3 < result.minimum_lr < 1.5 * stable
    assert stable / 30 < result.minimum_lr / 10 < stable / 5
    # the steepest descent is where the loss falls, below the minimum
    assert stable / 1000 < result.steepest_lr < result.minimum_lr
    # the midpoint (the default) between them, in log scale
    assert result.suggestion == pytest.approx(math.sqrt(result.steepest_lr
                                                        * result.minimum_lr), rel=1e-12)
    assert stable / 100 < result.suggestion < stable / 2 and result.message == ""
    for rule, expected in (("steepest", result.steepest_lr),
                           ("minimum/10", result.minimum_lr / 10)):
        again = range_test(least_squares(seed)[0], start_lr=1e-5, end_lr=10.0, num_iters=150,
                           rule=rule)
        assert again.suggestion == expected


def test_the_loss_is_smoothed_without_bias_and_read_without_lag():
    losses = iter([10.0, 10.0, 10.0, 10.0])
    result = range_test(lambda lr: next(losses), num_iters=4, beta=0.9)
    # a constant loss stays constant once the start-up bias is divided out
    assert result.smoothed == pytest.approx([10.0] * 4, rel=1e-12)
    values = np.array([1.0, 2.0, 3.0, 10.0, 5.0])
    assert centred_average(values, 1) == pytest.approx([1.5, 2.0, 5.0, 6.0, 7.5])


def test_a_step_function_loss_is_read_at_its_drop():
    # the loss drops from 10 to 1 at lr 1e-3, rises past 10x that: the steepest descent
    # is at the drop, the minimum before the rise
    def train_step(lr):
        return 10.0 if lr < 1e-3 else (1.0 if lr < 1e-1 else 1.0 + 100 * (lr - 1e-1))

    result = range_test(train_step, start_lr=1e-6, end_lr=10.0, num_iters=141)
    assert 10 ** -3.5 < result.steepest_lr < 10 ** -2.5
    assert 1e-3 < result.minimum_lr <= 1.2e-1


def test_the_weights_come_back_and_the_run_is_deterministic():
    def run():
        paddle.seed(3)
        model = paddle.nn.Sequential(paddle.nn.Linear(4, 8), paddle.nn.Tanh(),
                                     paddle.nn.Linear(8, 1))
        optimizer = paddle.optimizer.SGD(learning_rate=1e-4, parameters=model.parameters())
        before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        rng = np.random.default_rng(0)
        x = paddle.to_tensor(rng.normal(size=(64, 4)).astype("float32"))
        y = paddle.to_tensor(rng.normal(size=(64, 1)).astype("float32"))

        def train_step(lr):
            optimizer.set_lr(lr)
            loss = paddle.mean((model(x) - y) ** 2)
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            return loss  # a one-element tensor is a loss too

        result = range_test(train_step, restore=[model], start_lr=1e-4, end_lr=100.0,
                            num_iters=80)
        after = {k: v.numpy() for k, v in model.state_dict().items()}
        assert all(np.array_equal(before[k], after[k]) for k in before)
        return result

    first, second = run(), run()
    assert first.losses == second.losses and first.suggestion == second.suggestion
    assert first.suggestion is not None


def test_a_loss_that_is_nan_from_the_first_step(tmp_path):
    result = range_test(lambda lr: float("nan"), num_iters=50)
    assert result.suggestion is None and len(result.lrs) == 1
    assert "nan from the first step" in result.message and "not the problem" in result.message
    figure = result.plot(str(tmp_path / "nan.png"))
    assert (tmp_path / "nan.png").stat().st_size > 1000 and figure.endswith("nan.png")


def test_a_ramp_that_never_diverges_says_so(tmp_path):
    result = range_test(lambda lr: 1.0 / (1.0 + lr), start_lr=1e-3, end_lr=1e3,
                        num_iters=120)
    assert "without diverging" in result.stop and len(result.lrs) == 120
    assert result.suggestion is not None and "never diverged" in result.message
    result.plot(str(tmp_path / "flat.png"))
    assert (tmp_path / "flat.png").exists()


def test_too_few_iterations_give_no_suggestion(tmp_path):
    result = range_test(lambda lr: 5.0 - lr, start_lr=0.1, end_lr=1.0, num_iters=5)
    assert result.suggestion is None and "too few iterations" in result.message
    assert "no suggestion" in result.describe()
    result.plot(str(tmp_path / "few.png"))
    assert (tmp_path / "few.png").exists()


def test_a_loss_that_never_falls_gives_no_suggestion():
    result = range_test(lambda lr: 1.0 + lr, start_lr=1e-3, end_lr=1.0, num_iters=60,
                        diverge_factor=1e9)
    assert result.suggestion is None


def test_the_ramp_stops_at_a_nan_after_a_good_start():
    result = range_test(lambda lr: 3.0 - lr if lr < 0.5 else float("inf"),
                        start_lr=1e-3, end_lr=10.0, num_iters=100)
    assert math.isinf(result.losses[-1]) and "inf" in result.stop
    assert len(result.smoothed) == len(result.losses) - 1


def test_a_step_that_returns_no_number_names_train_step():
    with pytest.raises(ConfigTypeError, match="train_step.*returned 'loss'"):
        range_test(lambda lr: "loss", num_iters=10)
    with pytest.raises(ConfigTypeError, match="train_step"):
        range_test(42, num_iters=10)


SETTING_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["start_lr", "end_lr", "num_iters", "beta", "diverge_factor",
                            "rule", "warmup"]), value=SETTING_VALUES)
def test_bad_settings_are_errors_that_name_the_setting(key, value):
    names = {"start_lr": "--start-lr", "num_iters": "--num-iters"}
    try:
        s = RangeTestSettings.checked(names=names, **{key: value})
    except (ConfigValueError, ConfigTypeError) as err:
        assert names.get(key, key) in str(err) or (
            key == "end_lr" and "start_lr" in str(err))
        return
    # accepted: a usable ramp
    assert 0 < s.start_lr < s.end_lr and s.num_iters >= 1 and 0 <= s.beta < 1
    assert math.isfinite(s.lr(s.num_iters - 1))
