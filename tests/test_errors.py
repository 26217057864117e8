"""Every bad block gets a ValueError/TypeError naming the YAML path, value and expectation."""

import warnings

import paddle
import pytest

import ppocr_lr
from ppocr_lr import ConfigTypeError, ConfigValueError, ConfigWarning


def build(block, epochs=10, spe=10, **kw):
    return ppocr_lr.build_lr_scheduler(block, epochs, spe, **kw)


def error_of(block, exc=(ValueError, TypeError), epochs=10, spe=10, **kw):
    with pytest.raises(exc) as info:
        build(block, epochs, spe, **kw)
    assert not isinstance(info.value, (KeyError, AttributeError, AssertionError))
    return str(info.value)


def test_unknown_name_lists_names_and_suggests():
    message = error_of({"name": "Cosin", "learning_rate": 0.1}, ConfigValueError)
    assert "Optimizer.lr.name" in message and "'Cosin'" in message
    assert "did you mean 'Cosine'?" in message and "CyclicalCosine" in message
    message = error_of({"name": "cosine", "learning_rate": 0.1}, ConfigValueError)
    assert "did you mean 'Cosine'?" in message


def test_unknown_key_warns_with_the_closest_key_or_raises_when_strict():
    block = {"name": "Cosine", "learning_rate": 0.1, "warmup_epochs": 5}
    with pytest.warns(
        ConfigWarning,
        match=r"Optimizer.lr.warmup_epochs: unknown key "
        r"\(did you mean 'warmup_epoch'\?\)",
    ):
        s = build(block)
    assert s.warmup_steps == 0  # ignored, and said so
    message = error_of(block, ConfigValueError, strict=True)
    assert "Optimizer.lr.warmup_epochs" in message and "warmup_epoch" in message


def test_missing_required_key():
    message = error_of({"name": "Step", "learning_rate": 0.1, "gamma": 0.5}, ConfigValueError)
    assert "Optimizer.lr.step_size: missing" in message and "epochs" in message
    message = error_of({"name": "Cosine"}, ConfigValueError)
    assert "Optimizer.lr.learning_rate: missing" in message


@pytest.mark.parametrize(
    "block, path, says",
    [
        ({"name": "Cosine", "learning_rate": [0.1]}, "Optimizer.lr.learning_rate", "[0.1]"),
        ({"name": "Cosine", "learning_rate": True}, "Optimizer.lr.learning_rate", "True"),
        ({"name": "Cosine", "learning_rate": None}, "Optimizer.lr.learning_rate", "None"),
        (
            {"name": "Step", "learning_rate": 0.1, "step_size": {"a": 1}, "gamma": 0.5},
            "Optimizer.lr.step_size",
            "expected a number of epochs",
        ),
        (
            {"name": "OneCycle", "max_lr": 0.1, "three_phase": "yes"},
            "Optimizer.lr.three_phase",
            "expected true or false",
        ),
        (
            {"name": "Piecewise", "decay_epochs": "10", "values": "x"},
            "Optimizer.lr.values[0]",
            "'x' is not a number",
        ),
    ],
)
def test_wrong_types(block, path, says):
    message = error_of(block)
    assert path in message and says in message


@pytest.mark.parametrize(
    "block, path, says",
    [
        ({"name": "Cosine", "learning_rate": -0.1}, "Optimizer.lr.learning_rate", "in [0, 1e+10]"),
        ({"name": "Cosine", "learning_rate": 1e11}, "Optimizer.lr.learning_rate", "in [0, 1e+10]"),
        (
            {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": -1},
            "Optimizer.lr.warmup_epoch",
            ">= 0",
        ),
        (
            {"name": "Cosine", "learning_rate": 0.1, "eta_min": -1e-5},
            "Optimizer.lr.eta_min",
            "in [0, 1e+10]",
        ),
        (
            {"name": "Step", "learning_rate": 0.1, "step_size": 2, "gamma": 1.5},
            "Optimizer.lr.gamma",
            "in (0, 1]",
        ),
        (
            {"name": "Step", "learning_rate": 0.1, "step_size": 2, "gamma": 0},
            "Optimizer.lr.gamma",
            "in (0, 1]",
        ),
        (
            {"name": "Step", "learning_rate": 0.1, "step_size": 0, "gamma": 0.5},
            "Optimizer.lr.step_size",
            "> 0",
        ),
        (
            {"name": "Step", "learning_rate": 0.1, "step_size": 0.01, "gamma": 0.5},
            "Optimizer.lr.step_size",
            "0 steps at 10 steps per epoch",
        ),
        (
            {"name": "MultiStepDecay", "learning_rate": 0.1, "milestones": [5, 5], "gamma": 0.1},
            "Optimizer.lr.milestones",
            "[1] = 5 is not greater than",
        ),
        (
            {"name": "Piecewise", "decay_epochs": [10, 5], "values": [1, 2, 3]},
            "Optimizer.lr.decay_epochs",
            "strictly increasing",
        ),
        (
            {"name": "Piecewise", "decay_epochs": [5, 10], "values": [1]},
            "Optimizer.lr.values",
            "expected 3",
        ),
        ({"name": "Cosine", "learning_rate": float("nan")}, "Optimizer.lr.learning_rate", "finite"),
        ({"name": "Cosine", "learning_rate": "inf"}, "Optimizer.lr.learning_rate", "finite"),
        ({"name": "Linear", "learning_rate": 0.1, "power": 0}, "Optimizer.lr.power", "> 0"),
        (
            {"name": "OneCycle", "max_lr": 0.1, "anneal_strategy": "cosine"},
            "Optimizer.lr.anneal_strategy",
            "did you mean 'cos'",
        ),
        (
            {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 1, "warmup_steps": 10},
            "Optimizer.lr.warmup_steps and Optimizer.lr.warmup_epoch set the same thing",
            "Keep one",
        ),
        (
            {
                "name": "Cosine",
                "learning_rate": 0.1,
                "warmup_epoch": 10,
                "decay_ends_at_last_step": True,
            },
            "Optimizer.lr.warmup_epoch",
            "no steps for the decay",
        ),
        (
            {"name": "Exponential", "learning_rate": 0.1, "decay_rate": 0.5, "decay_steps": 2.5},
            "Optimizer.lr.decay_steps",
            "whole number",
        ),
    ],
)
def test_out_of_range_values(block, path, says):
    message = error_of(block, ConfigValueError)
    assert path in message and says in message, message


def test_bad_number_string_names_the_key_and_suggests():
    message = error_of({"name": "Cosine", "learning_rate": "5.0-05"}, ConfigValueError)
    assert "Optimizer.lr.learning_rate: '5.0-05' is not a number" in message
    assert "Did you mean 5.0e-05?" in message


@pytest.mark.parametrize(
    "epochs, spe, says",
    [
        (10, 0, "step_each_epoch"),
        (0, 10, "epochs (Global.epoch_num)"),
        (10, 2.5, "whole number"),
        (None, 10, "epochs"),
    ],
)
def test_bad_run_length(epochs, spe, says):
    message = error_of({"name": "Cosine", "learning_rate": 0.1}, epochs=epochs, spe=spe)
    assert says in message


def test_paddleocr_1x_blocks_are_explained():
    message = error_of({"function": "cosine_decay", "step_each_epoch": 20}, ConfigValueError)
    assert "Optimizer.lr.function" in message and "PaddleOCR 1.x" in message
    old = {"function": "ppocr.optimizer,AdamDecay", "base_lr": 0.0005, "beta1": 0.9}
    with pytest.raises(ConfigValueError) as info:
        ppocr_lr.build_optimizer(old, 10, 10, paddle.nn.Linear(2, 2))
    assert "PaddleOCR 1.x" in str(info.value) and "name: Adam" in str(info.value)
    assert "learning_rate: 0.0005" in str(info.value)


def test_not_a_mapping():
    message = error_of(0.001, ConfigTypeError)
    assert "Optimizer.lr: got 0.001; expected a block" in message


def test_direct_construction_reports_paths_relative_to_the_schedule():
    with pytest.raises(ConfigValueError, match=r"^Cosine.eta_min: got -1"):
        ppocr_lr.Cosine(10, 10, learning_rate=0.1, eta_min=-1)


def test_optimizer_errors():
    layer = paddle.nn.Linear(2, 2)
    lr = {"name": "Cosine", "learning_rate": 0.1}

    def opt_error(config, exc=ConfigValueError):
        with pytest.raises(exc) as info:
            ppocr_lr.build_optimizer(config, 10, 10, layer)
        return str(info.value)

    assert "did you mean 'Adam'" in opt_error({"name": "Adma", "lr": lr})
    assert "Optimizer.name: missing" in opt_error({"lr": lr})
    assert "Optimizer.lr: missing" in opt_error({"name": "Adam"})
    assert "Optimizer.momentum: missing" in opt_error({"name": "Momentum", "lr": lr})
    assert "Optimizer.beta1" in opt_error({"name": "Adam", "lr": lr, "beta1": 1.5})
    assert "Optimizer.regularizer.name" in opt_error(
        {"name": "Adam", "lr": lr, "regularizer": {"name": "L3", "factor": 1e-5}}
    )
    assert "did you mean 'L2'" in opt_error(
        {"name": "Adam", "lr": lr, "regularizer": {"name": "l2", "factor": 1e-5}}
    )
    assert "Optimizer.regularizer.factor" in opt_error(
        {"name": "Adam", "lr": lr, "regularizer": {"name": "L2", "factor": "1e-x"}}
    )
    assert "Keep one" in opt_error(
        {
            "name": "Adam",
            "lr": lr,
            "weight_decay": 1e-4,
            "regularizer": {"name": "L2", "factor": 1e-5},
        }
    )
    # both clipping keys: PaddleOCR clips by clip_norm and drops the other; so does
    # ppocr_lr, saying so (an error in strict mode)
    both = {"name": "Adam", "lr": lr, "clip_norm": 1, "clip_norm_global": 1}
    with pytest.warns(
        ppocr_lr.ConfigWarning,
        match=r"Optimizer\.clip_norm_global: set "
        r"together with Optimizer\.clip_norm; ignored, as in PaddleOCR",
    ):
        optimizer, _ = ppocr_lr.build_optimizer(both, 10, 10, layer)
    assert type(optimizer._grad_clip) is paddle.nn.ClipGradByNorm
    assert "Keep one" in opt_error(dict(both, strict=True))
    assert "Optimizer.regularizer.name" in opt_error(
        {"name": "AdamW", "lr": lr, "regularizer": {"name": "L1", "factor": 1e-5}}
    )
    # errors inside the lr block carry the full path
    assert "Optimizer.lr.learning_rate" in opt_error(
        {"name": "Adam", "lr": {"name": "Cosine", "learning_rate": -1}}
    )


def test_optimizer_unknown_keys_warn_like_lr_keys():
    layer = paddle.nn.Linear(2, 2)
    config = {"name": "Adam", "lr": {"name": "Cosine", "learning_rate": 0.1}, "weight_deacy": 1e-4}
    with pytest.warns(
        ConfigWarning,
        match=r"Optimizer.weight_deacy: unknown key "
        r"\(did you mean 'weight_decay'\?\)",
    ):
        ppocr_lr.build_optimizer(config, 10, 10, layer)
    with pytest.raises(ConfigValueError, match="Optimizer.weight_deacy"):
        ppocr_lr.build_optimizer(config, 10, 10, layer, strict=True)


def test_no_error_is_a_bare_key_error_for_any_single_missing_or_garbled_key():
    """Fuzz every example block: drop or garble each key in turn."""
    from test_scheduler import CONFIGS, load

    for path in CONFIGS:
        block = load(path)
        for key in list(block):
            for change in ("drop", "garble"):
                bad = dict(block)
                if change == "drop":
                    bad.pop(key)
                else:
                    bad[key] = {"oops": 1}
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        build(bad)
                except (ConfigValueError, ConfigTypeError) as err:
                    assert f"Optimizer.lr.{key}" in str(err) or "Optimizer.lr" in str(err)
