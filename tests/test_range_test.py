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
        return 0.5 * float(np.mean(residual**2))

    return train_step, lambda_max


def test_the_ramp_is_exponential_from_start_to_end():
    s = RangeTestSettings.checked(start_lr=1e-6, end_lr=1.0, num_iters=61)
    lrs = [s.lr(i) for i in range(61)]
    assert lrs[0] == 1e-6 and lrs[-1] == pytest.approx(1.0, rel=1e-12)
    assert lrs[10] == pytest.approx(1e-5, rel=1e-12)  # a decade every 10 iterations
    ratios = np.array(lrs[1:]) / np.array(lrs[:-1])
    assert np.allclose(ratios, 10**0.1, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_readings_fall_inside_the_stable_band_of_least_squares(seed):
    train_step, lambda_max = least_squares(seed)
    result = range_test(train_step, start_lr=1e-5, end_lr=10.0, num_iters=150)
    stable = 2 / lambda_max
    # the ramp ran into divergence just past the stability limit, stopped there without
    # lag, and says so at the rate where it stopped
    assert result.stop.startswith(f"the loss diverged at lr {result.lrs[-1]:.3g}")
    assert result.diverged_at == result.lrs[-1] and stable < result.lrs[-1] < 3 * stable
    # the edge of divergence is at the limit, the end of the descent well below it
    assert stable / 1.5 < result.edge_lr <= result.diverged_at
    assert stable / 100 < result.descent_end_lr < stable / 3
    # the floor rule (the default): 0.4 of the way from one to the other, in log scale
    expected = result.descent_end_lr**0.6 * result.edge_lr**0.4
    assert result.suggestion == pytest.approx(expected, rel=1e-12)
    assert stable / 10 < result.suggestion < stable / 2 and result.message == ""
    # the other readings stay available, each in the band
    assert stable / 3 < result.minimum_lr < 1.5 * stable
    assert stable / 1000 < result.steepest_lr < result.minimum_lr
    assert result.reading("midpoint") == pytest.approx(
        math.sqrt(result.steepest_lr * result.minimum_lr), rel=1e-12
    )
    for rule, expected in (
        ("steepest", result.steepest_lr),
        ("minimum/10", result.minimum_lr / 10),
        ("midpoint", result.reading("midpoint")),
    ):
        again = range_test(
            least_squares(seed)[0], start_lr=1e-5, end_lr=10.0, num_iters=150, rule=rule
        )
        assert again.suggestion == expected
        assert stable / 1000 < again.suggestion < stable


def synthetic_curve(draw, noise=0.07, spike=1.25, spike_every=50):
    """A range-test curve of the usual shape, on a 200-iteration ramp from 1e-7 to 10:
    a plateau at 95, a descent around 3e-4 to a floor at 18 (the shape of the default
    recognizer's CTC loss), a blow-up past 3.  The batch noise is multiplicative and
    log-normal with the spread measured on that recognizer's floor (log standard
    deviation 0.06-0.07 over five seeds, largest excursion 1.28x), plus a spike of
    ``spike`` every ``spike_every`` iterations on average."""
    rng = np.random.default_rng(draw)

    def train_step(lr):
        x = math.log10(lr)
        clean = 18 + 77 / (1 + math.exp(4 * (x + 3.5))) + 18 * max(0.0, lr - 3.0) ** 2
        jump = spike if rng.random() < 1 / spike_every else 1.0
        return clean * math.exp(noise * rng.normal()) * jump

    return train_step


def test_the_floor_rule_is_reproducible_over_noise_draws():
    """100 draws of the batch noise on one curve: the suggestions lie within 1.5x of each
    other; the midpoint rule, which reads the floor's lowest point, spreads 20x more.
    (With 1.5x the measured noise and a 1.5x spike every 30 iterations, the floor rule
    spreads 1.5x: the margin is not large.)"""
    results = [range_test(synthetic_curve(draw)) for draw in range(100)]
    floor = np.array([r.suggestion for r in results])
    assert floor.max() / floor.min() <= 1.5, (floor.min(), floor.max())
    # where the curve puts it: the descent ends near 1e-3 and the edge is near 3-5
    assert all(5e-4 < r.descent_end_lr < 2e-3 and 2.0 < r.edge_lr < 8.0 for r in results)
    assert 0.01 < np.median(floor) < 0.05
    midpoint = np.array([r.reading("midpoint") for r in results])
    assert midpoint.max() / midpoint.min() > 10 * floor.max() / floor.min()


def test_a_blow_up_inside_the_ramp_stops_it_where_it_happens():
    """The loss leaves its floor at 3 and reaches 30x the floor within a decade: the
    running average alone would trail by tens of iterations; the ramp stops within a few
    iterations of the blow-up, and the stop, the edge and the figure agree."""
    result = range_test(synthetic_curve(0, spike_every=10**9))
    floor_at = 3.0 + math.sqrt(3 * 18 / 18)  # where the clean loss reaches 4x the floor
    assert result.diverged_at is not None and result.stop.startswith("the loss diverged")
    assert floor_at / 1.3 < result.diverged_at < floor_at * 1.3
    assert 3.0 <= result.edge_lr <= result.diverged_at
    assert "never" not in result.message
    data = result.to_dict()
    for key in ("lr", "loss", "suggestion", "stop"):
        assert key in data
    assert data["stop"] == result.stop and data["suggestion"] == result.suggestion
    assert data["lr"][-1] == result.diverged_at


def test_a_single_spike_does_not_stop_the_ramp():
    spikes = {60: 1000.0}
    calls = iter(range(10**6))

    def train_step(lr):
        i = next(calls)
        return spikes.get(i, 10.0 / (1 + lr * 1e4) + 1.0)

    result = range_test(train_step, start_lr=1e-7, end_lr=1.0, num_iters=150)
    assert len(result.lrs) == 150 and result.diverged_at is None


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
    assert 10**-3.5 < result.steepest_lr < 10**-2.5
    assert 1e-3 < result.minimum_lr <= 1.2e-1


def test_the_weights_come_back_and_the_run_is_deterministic():
    def run():
        paddle.seed(3)
        model = paddle.nn.Sequential(
            paddle.nn.Linear(4, 8), paddle.nn.Tanh(), paddle.nn.Linear(8, 1)
        )
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

        result = range_test(train_step, restore=[model], start_lr=1e-4, end_lr=100.0, num_iters=80)
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
    result = range_test(lambda lr: 1.0 / (1.0 + lr), start_lr=1e-3, end_lr=1e3, num_iters=120)
    assert result.stop == "reached end_lr 1000" and len(result.lrs) == 120
    assert result.edge_lr is None and result.diverged_at is None
    # the edge is beyond the ramp: the end of the ramp stands in for it, and it is said
    assert result.suggestion == pytest.approx(
        result.descent_end_lr**0.6 * result.lrs[-1] ** 0.4, rel=1e-12
    )
    assert "never left its floor up to end_lr 1000" in result.message
    assert "lower bound" in result.message
    result.plot(str(tmp_path / "flat.png"))
    assert (tmp_path / "flat.png").exists()


def test_too_few_iterations_give_no_suggestion(tmp_path):
    result = range_test(lambda lr: 5.0 - lr, start_lr=0.1, end_lr=1.0, num_iters=5)
    assert result.suggestion is None and "too few iterations" in result.message
    assert "no suggestion" in result.describe()
    result.plot(str(tmp_path / "few.png"))
    assert (tmp_path / "few.png").exists()


def test_a_loss_that_never_falls_gives_no_suggestion():
    result = range_test(
        lambda lr: 1.0 + lr, start_lr=1e-3, end_lr=1.0, num_iters=60, diverge_factor=1e9
    )
    assert result.suggestion is None


def test_the_ramp_stops_at_a_nan_after_a_good_start():
    result = range_test(
        lambda lr: 3.0 - lr if lr < 0.5 else float("inf"), start_lr=1e-3, end_lr=10.0, num_iters=100
    )
    assert math.isinf(result.losses[-1]) and "inf" in result.stop
    assert len(result.smoothed) == len(result.losses) - 1


def test_a_step_that_returns_no_number_names_train_step():
    with pytest.raises(ConfigTypeError, match="train_step.*returned 'loss'"):
        range_test(lambda lr: "loss", num_iters=10)
    with pytest.raises(ConfigTypeError, match="train_step"):
        range_test(42, num_iters=10)


SETTING_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(
        ["start_lr", "end_lr", "num_iters", "beta", "diverge_factor", "rule", "warmup"]
    ),
    value=SETTING_VALUES,
)
def test_bad_settings_are_errors_that_name_the_setting(key, value):
    names = {"start_lr": "--start-lr", "num_iters": "--num-iters"}
    try:
        s = RangeTestSettings.checked(names=names, **{key: value})
    except (ConfigValueError, ConfigTypeError) as err:
        assert names.get(key, key) in str(err) or (key == "end_lr" and "start_lr" in str(err))
        return
    # accepted: a usable ramp
    assert 0 < s.start_lr < s.end_lr and s.num_iters >= 1 and 0 <= s.beta < 1
    assert math.isfinite(s.lr(s.num_iters - 1))
