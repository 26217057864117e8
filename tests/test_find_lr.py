"""tools/find_lr.py on the tiny recognizer: the suggestion, the figure, nothing else
touched, determinism, two processes, and bad input as one line."""

import json
import os

import numpy as np
import pytest

import ppocr_lr

from test_train import run_cli, tiny, write_config

from tools import lr_range, program  # noqa: E402  (test_train puts ROOT on sys.path)

pytestmark = [pytest.mark.slow]

QUICK = ["--num-iters", "60", "--start-lr", "1e-5", "--end-lr", "10"]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("find_lr")
    out = tmp / "run"
    out.mkdir()
    (out / "latest.pdparams").write_bytes(b"the run's checkpoint")
    config = write_config(tiny(out), tmp / "t.yml")
    result = run_cli(["tools/find_lr.py", "-c", config, *QUICK])
    return result, out, config


def suggestion_of(stdout):
    line = next(line for line in stdout.splitlines() if line.startswith("suggested learning_rate"))
    return float(line.split()[2])


def test_it_prints_a_suggestion_and_the_line_to_paste(first):
    result, out, _ = first
    assert result.returncode == 0, result.stderr[-3000:]
    lr = suggestion_of(result.stdout)
    assert f"paste into Optimizer.lr:  learning_rate: {lr:.3g}" in result.stdout
    assert f"-o Optimizer.lr.learning_rate={lr:.3g}" in result.stdout
    assert "global batch of 32" in result.stdout and "edge of divergence" in result.stdout
    # its progress: the first iteration at once, then every few seconds
    assert "range test: iteration 1/60, lr 1e-05, smoothed loss " in result.stdout
    assert result.stdout.strip().splitlines()[-1] == f"curve: {out}/lr_range_test.png"
    # the tiny recognizer learns at rates from about 1e-3 to 1e-1 (its config: 5e-3)
    assert 1e-3 <= lr <= 0.3


def test_the_figure_and_curve_are_written_and_nothing_else(first):
    result, out, _ = first
    assert sorted(os.listdir(out)) == ["latest.pdparams", "lr_range_test.json", "lr_range_test.png"]
    assert (out / "latest.pdparams").read_bytes() == b"the run's checkpoint"
    assert (out / "lr_range_test.png").stat().st_size > 10_000
    curve = json.loads((out / "lr_range_test.json").read_text())
    assert curve["suggestion"] == pytest.approx(suggestion_of(result.stdout), rel=5e-3)
    assert len(curve["lr"]) == len(curve["loss"]) <= 60 and curve["lr"][0] == 1e-5


def test_the_suggested_rate_trains_the_tiny_recognizer(first, tmp_path):
    result, _, _ = first
    lr = suggestion_of(result.stdout)
    config = tiny(tmp_path / "t", Global__eval_batch_step=[0, 100])
    config["Optimizer"]["lr"] = {"name": "Cosine", "learning_rate": lr, "warmup_epoch": 1}
    program.train(config)
    with open(tmp_path / "t" / "metrics.jsonl") as f:
        losses = [json.loads(line)["loss"] for line in f if '"step"' in line]
    assert np.mean(losses[-4:]) < 0.5 * np.mean(losses[:4])


def test_the_same_seed_gives_the_same_curve(first, tmp_path):
    _, out, config = first
    runs = []
    for i in range(2):
        c = tiny(tmp_path / f"r{i}")
        result, _, _, _ = lr_range.find_lr(c, None, start_lr=1e-5, end_lr=10.0, num_iters=60)
        runs.append(result)
    assert runs[0].losses == runs[1].losses and runs[0].suggestion == runs[1].suggestion
    first_curve = json.loads((out / "lr_range_test.json").read_text())
    assert first_curve["loss"] == runs[0].losses  # the command line's run too


@pytest.mark.distributed
def test_two_processes_suggest_the_same_rate(tmp_path):
    out = tmp_path / "dist"
    config = write_config(tiny(out), tmp_path / "d.yml")
    result = run_cli(
        [
            "-m",
            "paddle.distributed.launch",
            "--nproc_per_node",
            "2",
            "--log_dir",
            str(tmp_path / "log"),
            "tools/find_lr.py",
            "-c",
            config,
            *QUICK,
        ],
        timeout=600,
    )
    logs = [(tmp_path / "log" / f"workerlog.{r}").read_text() for r in (0, 1)]
    assert result.returncode == 0, result.stdout[-2000:] + logs[0][-2000:] + logs[1][-2000:]
    lines = [
        [line for line in log.splitlines() if line.startswith("suggested learning_rate")]
        for log in logs
    ]
    assert len(lines[0]) == 1 and lines[0] == lines[1]
    assert "global batch of 64" in logs[0]  # 2 processes x 32
    # named for its processes: a 1-process test's figure beside it is not replaced
    assert (out / "lr_range_test.2proc.png").exists() and not (out / "lr_range_test.png").exists()
    assert f"curve: {out}/lr_range_test.2proc.png" in logs[0]


def test_too_few_iterations_is_one_error_line_and_the_curve_is_still_written(tmp_path):
    out = tmp_path / "few"
    config = write_config(tiny(out), tmp_path / "f.yml")
    result = run_cli(["tools/find_lr.py", "-c", config, "--num-iters", "4"])
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "too few iterations" in errors[0], result.stderr
    assert "Traceback" not in result.stderr and (out / "lr_range_test.png").exists()


@pytest.mark.parametrize(
    "args, says",
    [
        (["--start-lr", "0"], "error: --start-lr: --start-lr 0.0 and --end-lr 10.0; expected 0 <"),
        (["--start-lr", "1", "--end-lr", "0.1"], "error: --end-lr: --start-lr 1.0 and"),
        (["--num-iters", "0"], "error: --num-iters: got 0; expected 1 to 1,000,000"),
        (["--beta", "1"], "error: --beta: got 1.0; expected 0 <= beta < 1"),
        (["--diverge-factor", "nan"], "error: --diverge-factor: got nan; expected a finite"),
        (["-o", "Global.epoch_numm=3"], "error: -o Global.epoch_numm: unknown key (did you mean"),
        (["--out", "/proc/no/such/dir/x.png", "--num-iters", "12"], "error: /proc/no/such/dir"),
    ],
)
def test_bad_input_is_one_error_line(tmp_path, args, says):
    config = write_config(tiny(tmp_path / "bad"), tmp_path / "b.yml")
    result = run_cli(["tools/find_lr.py", "-c", config, *args])
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(says), result.stderr
    assert "Traceback" not in result.stderr


def test_with_batch_scaling_the_line_to_paste_is_the_rate_at_the_reference_batch():
    from types import SimpleNamespace

    from ppocr_lr.range_test import RangeTestResult, RangeTestSettings

    result = RangeTestResult(
        RangeTestSettings(rule="minimum/10"), lrs=[1e-7, 10.0], steepest_lr=0.001, minimum_lr=0.4
    )
    parts = SimpleNamespace(global_batch=128)
    block = {
        "name": "Cosine",
        "learning_rate": 0.002,
        "batch_scaling": "linear",
        "reference_batch_size": 32,
    }

    def schedule(lr_block):  # as find_lr builds it, at this global batch
        return ppocr_lr.build_lr_scheduler(lr_block, 1, 1, global_batch_size=128)

    lines = lr_range.report(result, parts, None, schedule(block))
    assert "paste into Optimizer.lr:  learning_rate: 0.01" in lines  # 0.04 / (128 / 32)
    assert any(
        "x4 for this global batch of 128" in line and "0.04 at the peak once scaled" in line
        for line in lines
    )
    plain = lr_range.report(result, parts, None, schedule({"name": "OneCycle", "max_lr": 0.1}))
    assert "paste into Optimizer.lr:  max_lr: 0.04" in plain


@pytest.mark.parametrize(
    "block, paste, override",
    [
        # the key that sets the peak, not learning_rate, where the schedule peaks elsewhere
        ({"name": "OneCycle", "max_lr": 0.1}, ["max_lr: 0.02"], "Optimizer.lr.max_lr=0.02"),
        (
            {"name": "Piecewise", "decay_epochs": [3, 5], "values": [0.01, 0.001, 0.0001]},
            ["values: [0.02, 0.002, 0.0002]"],
            "Optimizer.lr.values=[0.02,0.002,0.0002]",
        ),
        # the whole cycle scaled so its high end is the suggestion
        (
            {"name": "Cyclic", "learning_rate": 0.001, "max_lr": 0.01, "up_steps": 20},
            ["learning_rate: 0.002", "max_lr: 0.02"],
            "Optimizer.lr.learning_rate=0.002 Optimizer.lr.max_lr=0.02",
        ),
        # Noam's learning_rate is a multiplier: 0.02 * sqrt(512) * sqrt(40) = 2.862...
        (
            {"name": "Noam", "d_model": 512, "warmup_steps": 40},
            ["learning_rate: 2.86"],
            "Optimizer.lr.learning_rate=2.86",
        ),
        # a key PaddleOCR ignores in the block is not pasted
        (
            {"name": "DecayLearningRate", "learning_rate": 0.1, "end_lr": 0.001},
            ["learning_rate: 0.02"],
            "Optimizer.lr.learning_rate=0.02",
        ),
        (
            {
                "name": "Sequential",
                "boundaries": [50],
                "phases": [
                    {"name": "Const", "learning_rate": 0.01},
                    {"name": "Cosine", "learning_rate": 0.005},
                ],
            },
            ["phases: [{learning_rate: 0.02, name: Const}, {learning_rate: 0.01, name: Cosine}]"],
            "'Optimizer.lr.phases=[{learning_rate: 0.02, name: Const}, {learning_rate: 0.01, "
            "name: Cosine}]'",
        ),
    ],
)
def test_the_line_to_paste_names_the_keys_that_set_the_peak(block, paste, override):
    from ppocr_lr.range_test import RangeTestResult, RangeTestSettings, paste_lines

    result = RangeTestResult(
        RangeTestSettings(rule="minimum/10"), lrs=[1e-7, 10.0], steepest_lr=0.001, minimum_lr=0.2
    )  # suggests 0.02
    with ppocr_lr.messages.collecting() as said:
        schedule = ppocr_lr.build_lr_scheduler(block, 10, 10)
    # only the block that writes a key PaddleOCR ignores is told so
    assert [n.path for n in said] == (["Optimizer.lr.end_lr"] if "end_lr" in block else [])
    lines = paste_lines(result, schedule, 64)
    assert lines[: len(paste)] == [f"paste into Optimizer.lr:  {p}" for p in paste]
    assert lines[len(paste)] == f"or on the command line:   -o {override}"
    # pasted, the block's curve peaks at the suggestion
    import shlex
    import yaml

    edited = dict(block)
    for arg in shlex.split(override):
        key, value = arg.split("=", 1)
        edited[key.rsplit(".", 1)[1]] = yaml.safe_load(value)
    with ppocr_lr.messages.collecting():  # told above
        curve = ppocr_lr.build_lr_scheduler(edited, 10, 10).lr_array(range(101))
    assert max(curve) == pytest.approx(0.02, rel=0.01)


def test_the_peak_of_a_long_run_is_found_on_a_sample():
    """500 epochs of 10,000 steps: the peak at the end of the warm-up, without a curve of
    5 million rates."""
    schedule = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 5}, 500, 10_000
    )
    assert schedule.rates_for_peak(0.004) == {"learning_rate": pytest.approx(0.004, rel=1e-12)}
