"""The third hardening round: each test names the defect it pins (a key or capability that
did nothing without a word, a wrong number, an error that was not one clear line)."""

from __future__ import annotations

import math
import re
import sys
import os

import numpy as np
import paddle
import pytest

import ppocr_lr
from conftest import assert_array_matches_steps
from ppocr_lr import ConfigValueError, messages
from ppocr_lr.config import load_yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SEQ_ONECYCLE = {
    "name": "Sequential",
    "boundaries": [10],
    "phases": [
        {"name": "Const", "learning_rate": 0.001},
        {"name": "OneCycle", "max_lr": 0.01, "cycle_momentum": True},
    ],
}


def notices_of(build):
    with messages.collecting() as said:
        result = build()
    return result, [str(n) for n in said]


# --------------------------------------------------------------- silently lost behaviour


def test_a_onecycle_phase_drives_the_momentum_and_sgd_is_refused_there():
    model = paddle.nn.Linear(2, 2)
    (optimizer, lr), said = notices_of(
        lambda: ppocr_lr.build_optimizer(
            {"name": "Adam", "beta1": 0.9, "lr": SEQ_ONECYCLE}, 3, 10, model
        )
    )
    assert lr.drives_momentum
    assert said == [
        "Optimizer.beta1: 0.9 is written, but Optimizer.lr.phases[1].cycle_momentum drives "
        "beta1; the schedule's beta1 replaces it wherever the schedule drives it"
    ]
    seen = []
    for _ in range(30):
        seen.append(optimizer._beta1)
        lr.step()
    assert seen[:10] == [0.9] * 10  # the Const phase drives nothing: as written
    phase = ppocr_lr.build_lr_scheduler(SEQ_ONECYCLE["phases"][1], 2, 10)
    assert seen[10:] == [phase.momentum_at(t) for t in range(20)]
    assert seen[10] == 0.95 and min(seen) == pytest.approx(0.85)
    with pytest.raises(ConfigValueError, match=r"^Optimizer\.lr\.phases\[1\]\.cycle_momentum: SGD"):
        ppocr_lr.build_optimizer({"name": "SGD", "lr": SEQ_ONECYCLE}, 3, 10, model)


def test_a_plateau_phase_is_reduced_at_the_hand_computed_report():
    s = ppocr_lr.build_lr_scheduler(
        {
            "name": "Sequential",
            "warmup_steps": 2,
            "boundaries": [5],
            "phases": [
                {"name": "Const", "learning_rate": 0.1},
                {"name": "ReduceOnPlateau", "learning_rate": 0.05, "patience": 1, "factor": 0.5},
            ],
        },
        2,
        10,
    )
    for _ in range(6):  # steps 1-6: the block's warm-up (2), then the Const phase (5)
        s.step()
        s.report(1.0)  # heard by nobody: the phase running is the Const one
    s.step()  # step 7: the plateau phase's step 0
    assert s.last_lr == 0.05
    s.report(1.0)  # the plateau's first report: the best
    s.report(1.0)  # one without improvement: patience 1 allows it
    assert s.last_lr == 0.05
    s.report(1.0)  # the second: halved
    assert s.last_lr == 0.025 and s.lr_at(19) == 0.025


def test_last_epoch_in_a_phase_is_refused_with_its_path():
    block = dict(SEQ_ONECYCLE, phases=[{"name": "Const", "learning_rate": 0.1}] * 2)
    block["phases"] = [block["phases"][0], dict(block["phases"][1], last_epoch=4)]
    with pytest.raises(ConfigValueError, match=r"^Optimizer\.lr\.phases\[1\]\.last_epoch: got 4"):
        ppocr_lr.build_lr_scheduler(block, 2, 10)


def test_momentum_keys_without_cycle_momentum_are_told():
    _, said = notices_of(
        lambda: ppocr_lr.build_lr_scheduler(
            {"name": "OneCycle", "max_lr": 0.01, "base_momentum": 0.8, "max_momentum": 0.9}, 2, 10
        )
    )
    assert said == [
        f"Optimizer.lr.{key}: is set, but cycle_momentum is false; it has no effect. Add "
        "cycle_momentum: true to cycle the optimizer's momentum"
        for key in ("base_momentum", "max_momentum")
    ]


@pytest.mark.parametrize(
    "block",
    [
        {"name": "Step", "learning_rate": 0.1, "step_size": 2, "gamma": 0.5},
        {"name": "Cyclic", "learning_rate": 0.01, "max_lr": 0.1, "up_steps": 5},
        {"name": "CosineCycles", "learning_rate": 0.1, "cycle_epochs": 2},
        {"name": "InverseSqrt", "learning_rate": 0.1},
        {"name": "ReduceOnPlateau", "learning_rate": 0.1},
    ],
    ids=lambda b: b["name"],
)
def test_decay_ends_at_last_step_that_changes_nothing_is_told(block):
    s, said = notices_of(
        lambda: ppocr_lr.build_lr_scheduler(
            dict(block, warmup_epoch=1, decay_ends_at_last_step=True), 10, 10
        )
    )
    plain = ppocr_lr.build_lr_scheduler(dict(block, warmup_epoch=1), 10, 10)
    assert np.array_equal(s.lr_array(range(101)), plain.lr_array(range(101)))  # indeed
    assert said == [
        f"Optimizer.lr.decay_ends_at_last_step: is true, but {block['name']}'s decay does not "
        "depend on the run's length here; it has no effect. Leave it out, or set the decay's "
        "length from the run"
    ]
    _, said = notices_of(  # a decay over the run: the key moves its end, and nothing is said
        lambda: ppocr_lr.build_lr_scheduler(
            {
                "name": "Cosine",
                "learning_rate": 0.1,
                "warmup_epoch": 1,
                "decay_ends_at_last_step": True,
            },
            10,
            10,
        )
    )
    assert said == []


def test_a_plateau_resumed_with_another_learning_rate_is_told():
    block = {"name": "ReduceOnPlateau", "learning_rate": 0.1, "patience": 0, "factor": 0.5}
    s = ppocr_lr.build_lr_scheduler(block, 5, 10)
    s.report(1.0)
    s.report(2.0)  # halved: 0.05
    state = s.state_dict()
    again, said = notices_of(lambda: ppocr_lr.build_lr_scheduler(block, 5, 10))
    again.set_state_dict(state)
    assert again.last_lr == 0.05
    changed, _ = notices_of(
        lambda: ppocr_lr.build_lr_scheduler(dict(block, learning_rate=0.2, min_lr=0.01), 5, 10)
    )
    _, said = notices_of(lambda: changed.set_state_dict(state))
    assert said == [
        "Optimizer.lr: resumed from a checkpoint whose block had another learning_rate 0.1 -> "
        "0.2, min_lr 0 -> 0.01 (the rate had reached 0.05 there); the checkpoint's rate 0.05 "
        "and its reductions are kept"
    ]
    assert changed.last_lr == 0.05
    older = dict(
        state, plateau={k: state["plateau"][k] for k in ("best", "bad", "cooldown", "rate")}
    )
    _, said = notices_of(lambda: changed.set_state_dict(older))  # written before the keys
    assert said == [] and changed.last_lr == 0.05


# --------------------------------------------------------------- wrong numbers


@pytest.mark.parametrize("key", ["max_momentum", "base_momentum"])
def test_a_momentum_of_one_is_refused(key):
    with pytest.raises(
        ConfigValueError, match=rf"^Optimizer\.lr\.{key}: got 1\.0; expected a number in \[0, 1\)"
    ):
        ppocr_lr.build_lr_scheduler(
            {"name": "OneCycle", "max_lr": 0.01, "cycle_momentum": True, key: 1.0}, 2, 10
        )


@pytest.mark.parametrize("strategy", ["linear", "cos"])
def test_the_momentum_never_passes_its_bounds(strategy):
    s = ppocr_lr.build_lr_scheduler(
        {"name": "OneCycle", "max_lr": 0.01, "cycle_momentum": True, "anneal_strategy": strategy},
        5,
        7,
    )
    momenta = [s.momentum_at(t) for t in range(40)]
    assert max(momenta) == 0.95 and min(momenta) >= 0.85
    assert momenta[34:] == [0.95] * 6  # from the last phase's end on (step T - 1 = 34)


@pytest.mark.parametrize("metric", [math.inf, -math.inf, 10**400, np.float64("nan")])
def test_a_metric_that_is_not_a_finite_number_is_refused(metric):
    s = ppocr_lr.build_lr_scheduler({"name": "ReduceOnPlateau", "learning_rate": 0.1}, 2, 10)
    with pytest.raises(ValueError, match="reported metric"):
        s.report(metric)
    s.report(0.5)  # and the plateau goes on as if nothing came
    assert s.plateau_state()["best"] == 0.5


@pytest.mark.parametrize("ub", [3.0, 10.0, 20.0])
def test_tanh_cycles_array_and_step_agree_to_a_few_ulp(ub):
    s = ppocr_lr.build_lr_scheduler(
        {"name": "TanhCycles", "learning_rate": 0.1, "ub": ub, "cycle_epochs": 5}, 10, 100
    )
    steps = np.arange(1001)
    assert_array_matches_steps(s.lr_array(steps), [s.lr_at(int(t)) for t in steps], f"ub {ub}")
    # against the formula in long arithmetic: 1 - tanh(x) = 2 / (1 + exp(2x))
    t, length = 499, 500
    x = -7.0 * (1 - t / length) + ub * (t / length)
    assert s.lr_at(t) == pytest.approx(0.05 * 2 / (1 + math.exp(2 * x)), rel=1e-13)


def test_the_warmup_notice_names_the_last_rate_used():
    s, said = notices_of(
        lambda: ppocr_lr.build_lr_scheduler(
            {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 5}, 2, 20
        )
    )
    last = s.lr_at(39)  # steps 0..39 are trained; the rate of step 40 is never used
    assert last == pytest.approx(0.001 * 39 / 100)
    assert f"training ends inside the warm-up, its last step at {last:.6g}" in said[0]


# --------------------------------------------------------------- errors that are one line


def cli_run(capsys, *argv):
    from test_cli_hostile import run

    return run(capsys, *argv)


def one_error_line(result, *says):
    status, out, err = result
    assert status != 0 and err.count("\n") == 1 and err.startswith("ppocr-lr: error: "), err
    assert "Traceback" not in err and all(s in err for s in says), err


def test_yaml_merge_keys_load(tmp_path, capsys):
    path = tmp_path / "merge.yml"
    path.write_text(
        "defaults: &d\n  name: Cosine\n  learning_rate: 0.001\n  warmup_epoch: 2\n"
        "Global: {epoch_num: 3}\n"
        "Optimizer:\n  name: Adam\n  lr:\n    <<: *d\n    warmup_epoch: 1\n"
    )
    document = load_yaml(str(path))
    assert document["Optimizer"]["lr"] == {
        "name": "Cosine",
        "learning_rate": 0.001,
        "warmup_epoch": 1,  # written here: it wins over the merged default, as in YAML
    }
    status, out, _ = cli_run(capsys, "check", "-c", path, "--steps-per-epoch", 10)
    assert status == 0 and out.startswith(f"{path}: ok")
    twice = tmp_path / "twice.yml"
    twice.write_text("lr:\n  learning_rate: 0.1\n  learning_rate: 0.2\n")
    with pytest.raises(ConfigValueError, match="written twice"):
        load_yaml(str(twice))  # a key written twice is still refused


def test_a_nul_byte_is_one_line_naming_where(tmp_path, capsys):
    path = tmp_path / "nul.yml"
    path.write_bytes(b"Optimizer:\n  name: Adam\n  lr: {name: Cosine}\x00\n")
    one_error_line(
        cli_run(capsys, "check", "-c", path, "--epochs", 2),
        "(line 3, column 21): the character U+0000 is not allowed",
    )


def test_numbers_beyond_float_range_name_their_key(tmp_path, capsys):
    huge = 10**400
    with pytest.raises(
        ConfigValueError, match=r"^Optimizer\.lr\.learning_rate: got an integer of about 10\*\*400"
    ):
        ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": huge}, 2, 10)
    path = tmp_path / "big.yml"
    path.write_text(
        f"Global: {{epoch_num: 2}}\nOptimizer:\n  name: Adam\n  lr: {{learning_rate: {huge}}}\n"
    )
    status, out, err = cli_run(capsys, "check", "-c", path)
    assert status == 1 and "Optimizer.lr.learning_rate: got an integer of about 10**400" in out
    one_error_line(
        cli_run(capsys, "show", "-c", path, "--steps-per-epoch", 10),
        "Optimizer.lr.learning_rate: got an integer of about 10**400",
    )
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 2, 10)
    with pytest.raises(
        ValueError, match=r"'last_epoch' must be from -1 to 2\*\*53, got about 10\*\*400$"
    ):
        s.set_state_dict({"last_epoch": huge})
    with pytest.raises(ConfigValueError, match=r"^Optimizer\.lr\.num_periods: got 1e\+308"):
        ppocr_lr.build_lr_scheduler(
            {"name": "LinearCosine", "learning_rate": 0.1, "num_periods": 1e308}, 2, 10
        )


def test_an_unhashable_optimizer_name_from_the_command_line(capsys):
    path = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")
    status, out, err = cli_run(
        capsys, "check", "-c", path, "-o", "Optimizer.name=[a]", "Optimizer.clip_norm=1"
    )
    assert status == 1 and "Optimizer.name: unknown optimizer ['a']" in out and not err


def test_a_config_read_from_a_pipe(capsys):
    read, write = os.pipe()
    with open(os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml"), "rb") as f:
        text = f.read()
    assert len(text) < 60_000  # fits the pipe's buffer: written whole before reading
    os.write(write, text)
    os.close(write)
    try:
        status, out, _ = cli_run(capsys, "check", "-c", f"/dev/fd/{read}")
    finally:
        os.close(read)
    assert status == 0 and out.startswith(f"/dev/fd/{read}: ok"), out


# --------------------------------------------------------------- previews agree


def test_show_previews_a_long_sequential_on_a_sample(capsys):
    block = (
        "{name: Sequential, boundary_epochs: [100], "
        "phases: [{learning_rate: 0.01}, {name: Cosine, learning_rate: 0.01}]}"
    )
    status, out, err = cli_run(
        capsys, "show", "--lr", block, "--epochs", 300, "--steps-per-epoch", 7000
    )
    assert status == 0, err
    assert "learning rate (over " in out and "sampled steps)" in out


def test_show_does_not_warn_falsely_for_a_scaled_block_with_a_warmup(capsys):
    block = "{learning_rate: 0.1, warmup_epoch: 1, batch_scaling: linear, reference_batch_size: 64}"
    status, out, _ = cli_run(
        capsys,
        "show",
        "--lr",
        block,
        "--epochs",
        3,
        "--steps-per-epoch",
        10,
        "--batch-size",
        64,
        "--nproc",
        2,
    )
    assert status == 0 and "warnings: none" in out, out


def test_check_finds_what_building_finds_and_what_show_warns(tmp_path, capsys):
    path = tmp_path / "sgd.yml"
    path.write_text(
        "Global: {epoch_num: 2}\nOptimizer:\n  name: SGD\n"
        "  lr: {name: OneCycle, max_lr: 0.1, cycle_momentum: true}\n"
    )
    status, out, _ = cli_run(capsys, "check", "-c", path)
    assert status == 1 and "Optimizer.lr.cycle_momentum: SGD has no momentum" in out
    paddleocr = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc_paddleocr.yml")
    _, shown, _ = cli_run(capsys, "show", "-c", paddleocr, "--steps-per-epoch", 250)
    status, out, _ = cli_run(capsys, "check", "-c", paddleocr, "--steps-per-epoch", 250)
    warned = [line.split("- ", 1)[1] for line in shown.splitlines() if line.startswith("    - ")]
    assert warned and status == 0 and out.startswith(f"{paddleocr}: ok (1 warning)")
    assert [line.split("- warning: ", 1)[1] for line in out.splitlines()[1:]] == warned


def test_check_takes_an_inline_block(capsys):
    status, out, _ = cli_run(
        capsys, "check", "--lr", "{name: Cosine, learning_rate: 0.1}", "--epochs", 2
    )
    assert status == 0 and out == "--lr {name: Cosine, learning_rate: 0.1}: ok\n"
    status, out, _ = cli_run(capsys, "check", "--lr", "{name: Cosin}", "--epochs", 2)
    assert status == 1 and "Optimizer.lr.name: unknown schedule 'Cosin'" in out


def test_list_says_what_a_left_out_down_phase_is(capsys):
    status, out, _ = cli_run(capsys, "list")
    row = next(line for line in out.splitlines() if "down_steps | down_epochs" in line)
    assert row.split()[3:5] == ["as", "up"] and "whole run" not in row


# --------------------------------------------------------------- the range test


@pytest.mark.parametrize("shift", [18.0, 50.0, 1000.0, -100.0])
def test_a_shifted_loss_gives_the_same_suggestion(shift):
    """A loss shifted by a constant (to near 0, below 0, or up) is the same curve: the
    same suggestion, on draws of the measured noise."""
    from test_range_test import synthetic_curve

    for draw in range(8):
        plain = ppocr_lr.range_test(synthetic_curve(draw))
        curve = synthetic_curve(draw)
        shifted = ppocr_lr.range_test(lambda lr: curve(lr) - shift)
        assert plain.suggestion is not None and shifted.suggestion == plain.suggestion, draw
        assert len(shifted.losses) > 150  # not stopped in the plateau's noise


def test_a_fresh_optimizer_in_restore_is_refused_before_training():
    model = paddle.nn.Linear(2, 1)
    optimizer = paddle.optimizer.Adam(learning_rate=0.1, parameters=model.parameters())
    before = model.weight.numpy().copy()
    calls = []

    def train_step(lr):
        calls.append(lr)
        return 1.0

    with pytest.raises(ConfigValueError, match=r"^restore\[0\]: a fresh optimizer"):
        ppocr_lr.range_test(train_step, restore=[optimizer, model])
    assert calls == [] and np.array_equal(model.weight.numpy(), before)


def test_every_holder_comes_back_even_when_one_cannot(tmp_path):
    model = paddle.nn.Linear(2, 1)
    before = model.weight.numpy().copy()

    class Broken:
        def state_dict(self):
            return {"x": 1}

        def set_state_dict(self, state):
            raise AssertionError("cannot")

    def train_step(lr):
        model.weight.set_value(model.weight.numpy() + 1.0)
        return 1.0 / (1 + lr)

    with pytest.raises(ConfigValueError, match=r"^restore: could not be put back: restore\[0\]"):
        ppocr_lr.range_test(train_step, restore=[Broken(), model], num_iters=10)
    assert np.array_equal(model.weight.numpy(), before)  # the model came back all the same


@pytest.mark.parametrize(
    "returned, says",
    [
        (lambda: paddle.to_tensor([1.0, 2.0]), "2 values"),
        (lambda: 10**400, "beyond float range"),
        (lambda: np.zeros((2, 2)), "4 values"),
        (lambda: True, "a boolean"),
        (lambda: "x", "not a number"),
    ],
)
def test_a_step_that_returns_no_single_number_names_train_step(returned, says):
    with pytest.raises(ppocr_lr.ConfigTypeError, match=rf"^train_step: returned .*{says}"):
        ppocr_lr.range_test(lambda lr: returned(), num_iters=10)


# --------------------------------------------------------------- small things


def test_the_readme_examples_write_under_output():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    figures = re.findall(r"-O (\S+)", readme)
    assert figures and all(f.startswith("output/") for f in figures), figures


def test_plot_makes_the_folder_of_its_figure(tmp_path, capsys):
    path = tmp_path / "new" / "folder" / "cos.png"
    status, out, err = cli_run(
        capsys,
        "plot",
        "--lr",
        "{learning_rate: 0.1}",
        "--epochs",
        2,
        "--steps-per-epoch",
        5,
        "-O",
        path,
    )
    assert status == 0 and path.exists() and out.startswith(f"wrote {path}:"), err


# --------------------------------------------------------------- progress on long work


def test_the_range_test_reports_its_progress_every_few_seconds():
    from test_range_test import synthetic_curve

    seen, said = [], []
    result = ppocr_lr.range_test(synthetic_curve(0), progress=lambda *a: seen.append(a))
    assert [i for i, _, _ in seen] == list(range(len(result.smoothed)))
    assert [lr for _, lr, _ in seen] == result.lrs[: len(seen)]
    assert [loss for _, _, loss in seen] == result.smoothed
    from ppocr_lr.range_test import every_seconds

    ppocr_lr.range_test(synthetic_curve(0), progress=every_seconds(3600, said.append, 200))
    assert len(said) == 1 and said[0].startswith("range test: iteration 1/200, lr 1e-07")


def bench_schedules():
    """``benchmarks/bench_schedules.py`` as a module (it is a script, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_schedules", os.path.join(ROOT, "benchmarks", "bench_schedules.py")
    )
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_schedules"] = bench  # its dataclasses look themselves up there
    spec.loader.exec_module(bench)
    return bench


def test_the_study_says_which_run_of_how_many_with_an_eta(capsys):
    bench = bench_schedules()
    progress = bench.Progress(jobs=2)
    progress.plan(5)
    progress.finished("default Linear seed 2024", None)
    progress.finished("default Cosine seed 2024", 240.0)
    progress.finished("default Cosine seed 2025", 120.0)
    progress.finished("sgd_wide baseline seed 2024", 180.0)
    progress.finished("sgd_wide baseline seed 2025", 180.0)
    assert capsys.readouterr().out.splitlines() == [
        "[1/5] default Linear seed 2024: reused (finished before)",
        "[2/5] default Cosine seed 2024: 240s; 3 left, about 6 min",  # 240 s x 3 / 2 jobs
        "[3/5] default Cosine seed 2025: 120s; 2 left, about 3 min",
        "[4/5] sgd_wide baseline seed 2024: 180s; 1 left, about 2 min",
        "[5/5] sgd_wide baseline seed 2025: 180s",
    ]


def test_the_study_figure_tells_the_baseline_apart_with_one_legend(tmp_path):
    bench = bench_schedules()
    steps = [50 * k for k in range(1, 7)]

    def runs(top):
        return [{"steps": steps, "acc": [top * k / 6 for k in range(1, 7)]} for _ in bench.SEEDS]

    study = {}
    for task in bench.TASKS:
        keys = ["baseline", "Linear"] + ([] if task.held_out else ["ReduceOnPlateau", "Cosine"])
        study[task.key] = {
            "task": task,
            "rate": 0.02,
            "recipe": "Linear",
            "rows": [(k, f"{k} 0.02", {}) for k in keys],
            "runs": {k: runs(0.9 + 0.01 * i) for i, k in enumerate(keys)},
        }
    path = tmp_path / "study.png"
    drawn = {}
    original = bench.line_style

    def remember(key, recipe, others):
        drawn[key] = original(key, recipe, others)
        return drawn[key]

    bench.line_style = remember
    fig = bench.figure(study, str(path))
    assert path.stat().st_size > 10_000
    styles = {k: (v["color"], v["ls"], v.get("marker")) for k, v in drawn.items()}
    assert len(set(styles.values())) == len(styles)  # no two shapes alike
    assert styles["baseline"] == ("black", "-", "o") and drawn["baseline"]["lw"] == 3.0
    assert all(
        v[0] not in ("black", "tab:red")
        for k, v in styles.items()
        if k not in ("baseline", "Linear")
    )
    assert len(fig.axes) == 3 and sum(t.held_out for t in bench.TASKS) == 2  # a panel each
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in fig.axes)
    names = [text.get_text() for text in fig.legends[0].get_texts()]
    assert names == [
        "baseline: the closest PaddleOCR config's schedule",
        "Linear (the recipe)",
        "ReduceOnPlateau",
        "Cosine",
    ]
