"""``ppocr-lr find-lr`` in PaddleOCR's own trainer (the stand-in checkout under
``tests/paddleocr_standin``): the checkout builds its model, loss and data, the range test
runs in place of training with PaddleOCR's step, and the checkout is left as it was."""

import json
import os
import subprocess
import sys

import pytest

from test_paddleocr_trainer import STANDIN, in_standin

pytestmark = [pytest.mark.slow]

ARGS = ["--num-iters", "60", "--start-lr", "1e-5", "--end-lr", "100"]


def find_lr(out, *overrides, options=ARGS, launch=None):
    return in_standin(["ppocr-lr", "find-lr", *options], out, overrides, launch=launch)


# The same range test built by hand from the stand-in's parts, in a fresh interpreter (the
# stand-in's ppocr.data switches warnings off for the whole process).
REFERENCE = """
import json, sys, yaml, paddle
sys.path.insert(0, ".")
from ppocr.data import FEATURES, build_dataloader
from ppocr_lr.optimizer import build_optimizer_at_rate
from ppocr_lr.range_test import range_test
config = yaml.safe_load(open("configs/tiny.yml"))
loader = build_dataloader(config, "Train", "cpu", None, 7)
paddle.seed(7)
model = paddle.nn.Linear(FEATURES, 1)
optimizer, _ = build_optimizer_at_rate(config["Optimizer"], 3, len(loader), model, 1e-5)
def batches():
    while True:
        yield from loader
stream = batches()
def step(lr):
    optimizer.set_lr(lr)
    x, y = next(stream)
    loss = paddle.nn.functional.mse_loss(model(x), y)
    loss.backward(); optimizer.step(); optimizer.clear_grad()
    return float(loss)
result = range_test(step, num_iters=60, start_lr=1e-5, end_lr=100.0)
print(json.dumps({"loss": result.losses, "suggestion": result.suggestion}))
"""


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A find-lr run into a folder that already holds a run's log, config and checkpoint."""
    out = tmp_path_factory.mktemp("findlr")
    before = {
        "train.log": b"a training run's log\n",
        "config.yml": b"Global: {}\n",
        "latest.pdparams": b"weights",
    }
    for name, data in before.items():
        (out / name).write_bytes(data)
    return find_lr(out), out, before


def test_it_runs_paddleocrs_step_and_prints_the_lines_to_paste(first):
    result, out, _ = first
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(out / "lr_range_test.json") as f:
        curve = json.load(f)
    for key in ("lr", "loss", "suggestion", "stop"):
        assert key in curve
    # the curve is the one the stand-in's model, data and optimizer give by hand
    reference = subprocess.run(
        [sys.executable, "-c", REFERENCE], cwd=STANDIN, capture_output=True, text=True, timeout=300
    )
    expected = json.loads(reference.stdout.strip().splitlines()[-1])
    assert curve["loss"] == expected["loss"] and curve["suggestion"] == expected["suggestion"]
    lines = result.stdout.strip().splitlines()
    rate = f"{curve['suggestion']:.3g}"
    assert lines[-6].startswith(f"suggested learning_rate: {rate} (")
    assert lines[-5:] == [
        f"paste into Optimizer.lr:  learning_rate: {rate}",
        f"or on the command line:   -o Optimizer.lr.learning_rate={rate}",
        "(found with a global batch of 16; with Optimizer.lr.batch_scaling, write "
        "reference_batch_size: 16)",
        f"figure: {out}/lr_range_test.png",
        f"curve:  {out}/lr_range_test.json",
    ]


def test_the_checkout_is_left_as_it_was(first):
    result, out, before = first
    assert result.returncode == 0
    for name, data in before.items():  # PaddleOCR's start-up rewrote two of them: put back
        assert (out / name).read_bytes() == data, name
    assert sorted(os.listdir(out)) == sorted([*before, "lr_range_test.png", "lr_range_test.json"])


def test_the_paste_names_the_key_that_sets_the_peak(tmp_path):
    result = find_lr(tmp_path, "Optimizer.lr={name: OneCycle, max_lr: 0.01}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "paste into Optimizer.lr:  max_lr: " in result.stdout
    assert "learning_rate" not in result.stdout.split("paste into")[1]


def test_amp_is_one_clear_error(tmp_path):
    result = find_lr(tmp_path, "Global.use_amp=true")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ppocr-lr: error: Global.use_amp: true; the range test runs in full precision. "
        "Run it with -o Global.use_amp=false."
    ]


@pytest.mark.parametrize(
    "options, says",
    [
        (["--num-iters", "0"], "ppocr-lr: error: --num-iters: got 0; expected 1 to 1,000,000"),
        (["--num-iters", "many"], "ppocr-lr: error: --num-iters: got 'many'; expected a number"),
        (["--rule=best"], "ppocr-lr: error: --rule: got 'best'; expected one of floor, "),
        (["--end-lr"], "ppocr-lr: error: --end-lr: got '-c'; expected a number"),
    ],
)
def test_bad_options_are_one_error_line(tmp_path, options, says):
    result = find_lr(tmp_path, options=options)
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(says), result.stderr


@pytest.mark.distributed
def test_two_processes_read_one_curve(tmp_path):
    out, logs = tmp_path / "out", tmp_path / "log"
    result = find_lr(out, launch=logs)
    rank0, rank1 = (logs / "workerlog.0").read_text(), (logs / "workerlog.1").read_text()
    assert result.returncode == 0, rank0[-3000:] + rank1[-3000:]
    assert rank0.count("suggested learning_rate: ") == 1
    assert "suggested learning_rate" not in rank1
    assert "(found with a global batch of 32;" in rank0  # 2 processes x 16
    assert f"figure: {out}/lr_range_test.2proc.png" in rank0
    with open(out / "lr_range_test.2proc.json") as f:
        assert json.load(f)["suggestion"] is not None


@pytest.mark.parametrize(
    "architecture, called_with",
    [
        ({"model_type": "rec", "algorithm": "CRNN"}, "images"),
        ({"model_type": "rec", "algorithm": "SVTR"}, "images, data"),
        ({"model_type": "table", "algorithm": "TableAttn"}, "images, data"),
        ({"model_type": "kie", "algorithm": "LayoutXLM"}, "batch"),
        ({"model_type": "rec", "algorithm": "CAN"}, "batch[:3]"),
        ({"model_type": "rec", "algorithm": "LaTeXOCR"}, "batch"),
        (
            {
                "model_type": "rec",
                "algorithm": "Distillation",
                "Models": {"Teacher": {"algorithm": "SVTR"}},
            },
            "images, data",
        ),
    ],
)
def test_the_forward_is_paddleocrs_for_each_model_type(architecture, called_with):
    from ppocr_lr.paddleocr_find_lr import forward_for

    batch = ["images", "labels", "lengths", "masks"]

    def model(x, data=None):
        if data is not None:
            return f"{x}, data" if data == batch[1:] else "wrong data"
        return {id(batch): "batch"}.get(id(x), "batch[:3]" if x == batch[:3] else x)

    assert forward_for(architecture)(model, batch) == called_with
