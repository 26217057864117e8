"""Scaling the learning rate with the global batch: every rate of every schedule, the
rules, the errors, the notices, and what ``ppocr-lr show`` says."""

import glob
import math
import os

import numpy as np
import pytest
import yaml

import ppocr_lr
from conftest import assert_rel
from ppocr_lr import ConfigValueError, build_lr_scheduler, messages

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "configs", "lr", "*.yml")))
EPOCHS, SPE = 100, 100

# Blocks whose every rate key is set to something other than 0, floors included.
FLOORS = [
    {
        "name": "Cosine",
        "learning_rate": 0.01,
        "eta_min": 0.001,
        "honour": ["eta_min"],
        "warmup_epoch": 2,
        "warmup_start_lr": 0.0005,
    },
    {"name": "Linear", "learning_rate": 0.01, "end_lr": 0.002, "warmup_epoch": 1},
    {"name": "Piecewise", "decay_epochs": [30, 60], "values": [0.01, 0.003, 0.0007]},
    {"name": "OneCycle", "max_lr": 0.02},
    {
        "name": "CyclicalCosine",
        "learning_rate": 0.01,
        "cycle": 10,
        "eta_min": 1e-4,
        "honour": ["eta_min"],
    },
    {
        "name": "LinearWarmupCosine",
        "learning_rate": 0.01,
        "min_lr": 1e-4,
        "start_lr": 1e-3,
        "warmup_steps": 500,
    },
    {
        "name": "DecayLearningRate",
        "learning_rate": 0.01,
        "end_lr": 1e-4,
        "honour": ["end_lr"],
        "power": 0.9,
    },
    {"name": "Polynomial", "learning_rate": 0.01, "end_lr": 0.001, "power": 2.0},
    {
        "name": "CosineCycles",
        "learning_rate": 0.01,
        "min_lr": 0.0005,
        "cycle_epochs": 20,
        "cycle_limit": 5,
        "cycle_decay": 0.5,
        "warmup_epoch": 3,
        "warmup_start_lr": 1e-4,
    },
    {
        "name": "WarmupStableDecay",
        "learning_rate": 0.01,
        "min_lr": 0.0002,
        "warmup_epoch": 5,
        "decay_ratio": 0.3,
    },
    {"name": "Cyclic", "learning_rate": 0.001, "max_lr": 0.01, "up_epochs": 5},
    {"name": "InverseSqrt", "learning_rate": 0.01, "warmup_steps": 1000},
    {
        "name": "Sequential",
        "boundary_epochs": [10],
        "phases": [
            {"name": "Linear", "learning_rate": 0.0001, "end_lr": 0.01},
            {"name": "Cosine", "learning_rate": 0.01},
        ],
    },
]


def example_blocks():
    for path in EXAMPLES:
        with open(path) as f:
            document = yaml.safe_load(f)
        yield os.path.basename(path), document["lr"]


CASES = list(example_blocks()) + [(f"floors:{b['name']}", b) for b in FLOORS]


def quiet_build(block, **kw):
    with messages.collecting():
        return build_lr_scheduler(block, EPOCHS, SPE, **kw)


def whole_run(schedule):
    return schedule.lr_array(np.arange(EPOCHS * SPE + 1))


@pytest.mark.parametrize("label, block", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(
    "rule, batch, reference, factor",
    [("linear", 256, 64, 4.0), ("sqrt", 256, 64, 2.0), ("linear", 32, 128, 0.25)],
)
def test_every_rate_of_every_schedule_scales(label, block, rule, batch, reference, factor):
    """A schedule's rates are all linear in its rate keys, so scaling every rate key by f
    scales the whole run by f: the curve is the unscaled one times f, at every step."""
    plain = quiet_build(block, global_batch_size=batch)
    scaled = quiet_build(
        dict(block, batch_scaling=rule, reference_batch_size=reference), global_batch_size=batch
    )
    assert scaled.batch_scale == factor
    assert_rel(whole_run(scaled), factor * whole_run(plain), rel=1e-12, what=label)
    if plain.takes_reports:  # and after the metric has stalled twice
        for value in [0.5] * 30:
            plain.report(value)
            scaled.report(value)
        assert scaled.last_lr == pytest.approx(factor * plain.last_lr, rel=1e-12)
        assert plain.last_lr < plain.peak_lr  # it did reduce


def test_the_scaled_keys_are_reported_as_written_and_as_used():
    block = {
        "name": "Piecewise",
        "decay_epochs": [30, 60],
        "values": [0.01, 0.001, 1e-4],
        "warmup_epoch": 1,
        "warmup_start_lr": 1e-4,
        "batch_scaling": "linear",
        "reference_batch_size": 64,
    }
    s = quiet_build(block, global_batch_size=128)
    assert s.scaled == {
        "values": ([0.01, 0.001, 1e-4], [0.02, 0.002, 2e-4]),
        "warmup_start_lr": (1e-4, 2e-4),
    }
    assert s.lr_at(0) == 2e-4 and s.lr_at(SPE) == 0.02
    assert (
        "rates x2 (batch_scaling linear: global batch 128, reference 64): values "
        "[0.01, 0.001, 0.0001] -> [0.02, 0.002, 0.0002]"
    ) in s.describe()
    one = quiet_build(
        {"name": "OneCycle", "max_lr": 0.002, "batch_scaling": "sqrt", "reference_batch_size": 32},
        global_batch_size=128,
    )
    assert one.config["max_lr"] == 0.002  # as written: batch scaling multiplies the curve
    assert one.peak_lr == 0.004 and "max_lr 0.002 -> 0.004" in one.describe()


def test_off_by_default_and_as_written_for_paddleocr():
    s = quiet_build({"name": "Cosine", "learning_rate": 0.001}, global_batch_size=512)
    assert s.batch_scale == 1.0 and s.scaled == {} and s.peak_lr == 0.001
    assert "rates x" not in s.describe()


@pytest.mark.parametrize("batch", [32, 64, 128])
def test_a_phase_that_scales_again_is_refused_at_every_batch(batch):
    """Refused because the block around it scales, whatever the factor (1 at batch 64)."""
    block = {
        "name": "Sequential",
        "boundary_epochs": [10],
        "batch_scaling": "linear",
        "reference_batch_size": 64,
        "phases": [
            {"name": "Const", "learning_rate": 0.001},
            {"name": "Const", "learning_rate": 0.001, "batch_scaling": "sqrt"},
        ],
    }
    with pytest.raises(ConfigValueError, match=r"phases\[1\]\.batch_scaling: 'sqrt' inside"):
        quiet_build(block, global_batch_size=batch)


def test_a_plateau_scales_after_its_reductions_down_to_its_floor():
    """ReduceOnPlateau with reductions that reach below epsilon: the scaled run stays the
    unscaled one times the factor to the end (epsilon and min_lr are rates too)."""
    block = {
        "name": "ReduceOnPlateau",
        "learning_rate": 1e-6,
        "factor": 0.5,
        "patience": 0,
        "epsilon": 1e-8,
    }
    for factor, reference in ((0.01, 6400), (4.0, 16)):
        plain = quiet_build(block, global_batch_size=64)
        scaled = quiet_build(
            dict(block, batch_scaling="linear", reference_batch_size=reference),
            global_batch_size=64,
        )
        for _ in range(40):
            for s in (plain, scaled):
                s.report(1.0)
                s.step()
        assert plain.last_lr < 1e-7  # reduced until a halving is below epsilon
        assert scaled.last_lr == pytest.approx(factor * plain.last_lr, rel=1e-12)
        assert_rel(whole_run(scaled), factor * whole_run(plain), rel=1e-12, what=str(factor))


def test_a_phase_inherits_the_scaling_and_cannot_scale_again():
    with pytest.raises(
        ConfigValueError,
        match=r"Optimizer.lr.phases\[1\].batch_scaling.*"
        "already scaled",
    ):
        quiet_build(
            {
                "name": "Sequential",
                "boundary_epochs": [10],
                "batch_scaling": "linear",
                "reference_batch_size": 32,
                "phases": [
                    {"name": "Const", "learning_rate": 0.001},
                    {
                        "name": "Const",
                        "learning_rate": 0.001,
                        "batch_scaling": "sqrt",
                        "reference_batch_size": 32,
                    },
                ],
            },
            global_batch_size=64,
        )


def test_a_rule_without_a_reference_is_an_error_naming_the_key():
    with pytest.raises(
        ConfigValueError,
        match="Optimizer.lr.reference_batch_size: missing; batch_scaling: linear needs",
    ):
        build_lr_scheduler(
            {"name": "Cosine", "learning_rate": 0.001, "batch_scaling": "linear"},
            10,
            10,
            global_batch_size=64,
        )
    with pytest.raises(
        ConfigValueError, match="Optimizer.lr.batch_scaling: got 'Linear'.*did you mean 'linear'"
    ):
        build_lr_scheduler(
            {
                "name": "Cosine",
                "learning_rate": 0.001,
                "batch_scaling": "Linear",
                "reference_batch_size": 64,
            },
            10,
            10,
        )
    with pytest.raises(ConfigValueError, match="Optimizer.lr.reference_batch_size"):
        build_lr_scheduler(
            {
                "name": "Cosine",
                "learning_rate": 0.001,
                "batch_scaling": "linear",
                "reference_batch_size": 0,
            },
            10,
            10,
        )


def test_a_scaled_rate_past_the_largest_is_an_error_naming_the_key():
    with pytest.raises(
        ConfigValueError,
        match="Optimizer.lr.learning_rate: 1000000000.0 scaled by 1024 for the global batch",
    ):
        build_lr_scheduler(
            {
                "name": "Const",
                "learning_rate": 1e9,
                "batch_scaling": "linear",
                "reference_batch_size": 1,
            },
            1,
            1,
            global_batch_size=1024,
        )


def test_no_global_batch_or_no_rule_is_a_visible_notice():
    with messages.collecting() as said:
        s = build_lr_scheduler(
            {
                "name": "Cosine",
                "learning_rate": 0.001,
                "batch_scaling": "linear",
                "reference_batch_size": 64,
            },
            10,
            10,
        )
    assert s.peak_lr == 0.001
    assert [str(n) for n in said] == [
        "Optimizer.lr.batch_scaling: 'linear' is written, but the trainer did not give its "
        "global batch size (build_optimizer's global_batch_size); the rates are used as "
        "written. Pass global_batch_size=processes x batch_size_per_card"
    ]
    with messages.collecting() as said:
        build_lr_scheduler(
            {"name": "Cosine", "learning_rate": 0.001, "reference_batch_size": 64},
            10,
            10,
            global_batch_size=128,
        )
    assert "Optimizer.lr.reference_batch_size: is set, but batch_scaling is none" in str(said[0])


@pytest.mark.parametrize("bad", [0, -1, 2.5, "many", True, float("nan"), 2**60])
def test_a_bad_global_batch_from_the_trainer_is_an_error(bad):
    with pytest.raises((ValueError, TypeError), match="global_batch_size"):
        build_lr_scheduler({"name": "Const", "learning_rate": 0.001}, 1, 1, global_batch_size=bad)


def test_build_optimizer_passes_the_global_batch():
    import paddle

    model = paddle.nn.Linear(2, 2)
    optimizer, lr = ppocr_lr.build_optimizer(
        {
            "name": "Adam",
            "lr": {
                "name": "Const",
                "learning_rate": 0.001,
                "batch_scaling": "linear",
                "reference_batch_size": 64,
            },
        },
        epochs=1,
        step_each_epoch=10,
        model=model,
        global_batch_size=256,
    )
    assert optimizer.get_lr() == pytest.approx(0.004, rel=1e-12) and lr.batch_scale == 4


def test_show_gives_the_scaled_rates(tmp_path, capsys):
    from ppocr_lr import cli

    config = tmp_path / "c.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "Global": {"epoch_num": 4},
                "Optimizer": {
                    "name": "Adam",
                    "lr": {
                        "name": "Piecewise",
                        "decay_epochs": [2],
                        "values": [0.001, 0.0001],
                        "batch_scaling": "sqrt",
                        "reference_batch_size": 64,
                    },
                },
                "Train": {"loader": {"batch_size_per_card": 64}},
            }
        )
    )
    assert cli.main(["show", "-c", str(config), "--steps-per-epoch", "10", "--nproc", "4"]) == 0
    out = capsys.readouterr().out
    assert (
        "batch scaling: sqrt, every rate x2 (global batch 256 "
        "[Train.loader.batch_size_per_card 64 x --nproc 4], reference 64)"
    ) in out
    assert "[0.002, 0.0002]" in out and "[0.001, 0.0001] scaled x2 for the batch" in out
    assert math.isclose(float(out.split("max ")[1].split()[0]), 0.002)


def test_check_reads_the_batch_from_the_config_or_the_flags(tmp_path, capsys):
    from ppocr_lr import cli

    config = tmp_path / "c.yml"
    block = {
        "name": "Cosine",
        "learning_rate": 0.001,
        "batch_scaling": "linear",
        "reference_batch_size": 64,
    }
    config.write_text(
        yaml.safe_dump(
            {
                "Global": {"epoch_num": 4},
                "Optimizer": {"name": "Adam", "lr": block},
                "Train": {"loader": {"batch_size_per_card": 64}},
            }
        )
    )
    assert cli.main(["check", "-c", str(config), "--nproc", "2"]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")
    lr_only = tmp_path / "lr.yml"
    lr_only.write_text(yaml.safe_dump({"lr": block}))
    assert cli.main(["check", "-c", str(lr_only), "--epochs", "3"]) == 1
    assert (
        "Optimizer.lr.batch_scaling: 'linear' is written, but the trainer did not give"
        in capsys.readouterr().out
    )
    assert cli.main(["check", "-c", str(lr_only), "--epochs", "3", "--batch-size", "32"]) == 0
