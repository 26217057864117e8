"""Resume: save in this process, load in a fresh one, continue bit for bit."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import paddle
import pytest

import ppocr_lr
from ppocr_lr import messages
from conftest import assert_rel
from reference import paddleocr_scheduler, run
from test_scheduler import CONFIGS, load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS, SPE = 12, 25
MORE = 40  # steps continued after loading

CHILD = r"""
import json, sys, warnings
import paddle, ppocr_lr
warnings.simplefilter("ignore")
jobs = json.load(open(sys.argv[1]))
out = []
for job in jobs:
    s = ppocr_lr.build_lr_scheduler(job["block"], job["epochs"], job["spe"])
    state = paddle.load(job["file"])
    if job.get("optimizer"):
        layer = paddle.nn.Linear(2, 2)
        opt, s = ppocr_lr.build_optimizer({"name": "Adam", "lr": job["block"]}, job["epochs"],
                                          job["spe"], layer)
        opt.set_state_dict(state)
    else:
        s.set_state_dict(state)
    seq = [s.last_epoch, s.last_lr]
    for _ in range(job["more"]):
        s.step()
        seq.append(s.last_lr)
    out.append(seq)
json.dump(out, open(sys.argv[2], "w"))
"""


def continue_in_new_process(jobs, tmp_path):
    jobs_file, out_file = tmp_path / "jobs.json", tmp_path / "out.json"
    jobs_file.write_text(json.dumps(jobs))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, HERE]))
    subprocess.run(
        [sys.executable, "-c", CHILD, str(jobs_file), str(out_file)],
        check=True,
        env=env,
        cwd=str(tmp_path),
    )
    return json.loads(out_file.read_text())


def stopping_points(s):
    """Inside the warm-up, its end, around boundaries, the last step, past the end."""
    total, w = s.total_steps, s.warmup_steps
    points = {0, 1, total - 1, total, total + 7}
    if w:
        points |= {w // 2, w - 1, w, w + 1}
    for k in ("milestones", "decay_epochs", "step_size", "cycle"):
        for b in np.atleast_1d(s.config.get(k) or []):
            points |= {w + int(b) - 1, w + int(b)}
    return sorted(p for p in points if p >= 0)


@pytest.mark.slow
def test_every_schedule_resumes_bit_identically_in_a_new_process(tmp_path):
    jobs, expected = [], []
    with messages.collecting() as said:  # at this short run, one example is told:
        for path in CONFIGS:
            build_jobs(load(path), tmp_path, jobs, expected)
    assert {str(n) for n in said} == {  # Sequential's last phase starts after it
        "Optimizer.lr.boundary_epochs[1]: phases[2] starts at step 1000, at or after the end "
        "of the run (300 steps); it never runs"
    }
    results = continue_in_new_process(jobs, tmp_path)
    assert len(results) == len(jobs) > 200
    for job, got, want in zip(jobs, results, expected):
        assert got == want, (job["block"], want[0])  # step, then every lr: exact equality


def build_jobs(block, tmp_path, jobs, expected):
    """Stop ``block`` at each of its stopping points, alone and through an optimizer."""
    probe = ppocr_lr.build_lr_scheduler(block, EPOCHS, SPE)
    for k in stopping_points(probe):
        for via_optimizer in (False, True):
            layer = paddle.nn.Linear(2, 2)
            opt, s = ppocr_lr.build_optimizer({"name": "Adam", "lr": block}, EPOCHS, SPE, layer)
            for _ in range(k):
                s.step()
            file = str(tmp_path / f"{len(jobs)}.pdparams")
            paddle.save(opt.state_dict() if via_optimizer else s.state_dict(), file)
            jobs.append(
                {
                    "block": block,
                    "epochs": EPOCHS,
                    "spe": SPE,
                    "file": file,
                    "more": MORE,
                    "optimizer": via_optimizer,
                }
            )
            whole = run(ppocr_lr.build_lr_scheduler(block, EPOCHS, SPE), k + MORE)
            expected.append([k] + list(whole[k:]))


PADDLEOCR_BLOCKS = [
    {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 2},
    {"name": "Cosine", "learning_rate": 0.001},
    {"name": "Linear", "learning_rate": 0.01, "warmup_epoch": 1, "power": 2.0},
    {"name": "Step", "learning_rate": 0.01, "step_size": 3, "gamma": 0.5, "warmup_epoch": 1},
    {
        "name": "Piecewise",
        "decay_epochs": [4, 8],
        "values": [0.01, 0.001, 0.0001],
        "warmup_epoch": 1,
    },
    {"name": "MultiStepDecay", "learning_rate": 0.01, "milestones": [3, 6], "gamma": 0.1},
    {"name": "Const", "learning_rate": 0.001, "warmup_epoch": 2},
    {"name": "OneCycle", "max_lr": 0.01},
]


@pytest.mark.parametrize("via_optimizer", [False, True])
def test_paddleocr_checkpoints_continue_with_the_same_learning_rates(tmp_path, via_optimizer):
    jobs, expected = [], []
    for block in PADDLEOCR_BLOCKS:
        for k in (0, 5, 24, 25, 26, 49, 50, 51, 90, 299):
            theirs = paddleocr_scheduler(block, EPOCHS, SPE)
            for _ in range(k):
                theirs.step()
            state = theirs.state_dict()
            if via_optimizer:
                layer = paddle.nn.Linear(2, 2)
                state = paddle.optimizer.Adam(
                    learning_rate=theirs, parameters=layer.parameters()
                ).state_dict()
            file = str(tmp_path / f"{len(jobs)}.pdopt")
            paddle.save(state, file)
            more = min(MORE, EPOCHS * SPE - k) if block["name"] == "OneCycle" else MORE
            jobs.append(
                {
                    "block": block,
                    "epochs": EPOCHS,
                    "spe": SPE,
                    "file": file,
                    "more": more,
                    "optimizer": via_optimizer,
                }
            )
            expected.append([k] + list(run(theirs, more)))
    results = continue_in_new_process(jobs, tmp_path)
    for job, got, want in zip(jobs, results, expected):
        assert got[0] == want[0]
        assert_rel(got[1:], want[1:], 1e-9, str(job["block"]))


def test_paddleocr_constant_checkpoint_without_scheduler_state_loads(tmp_path):
    layer = paddle.nn.Linear(2, 2)
    theirs = paddle.optimizer.Adam(learning_rate=0.001, parameters=layer.parameters())
    state = theirs.state_dict()
    assert "LR_Scheduler" not in state
    opt, lr = ppocr_lr.build_optimizer(
        {"name": "Adam", "lr": {"learning_rate": 0.001}}, 3, 4, layer
    )
    with pytest.warns(ppocr_lr.ConfigWarning, match="no learning-rate scheduler state"):
        opt.set_state_dict(state)
    assert opt.get_lr() == 0.001


@pytest.mark.parametrize(
    "saved, loaded, says",
    [
        (
            {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 2},
            {"name": "Cosine", "learning_rate": 0.1},
            "warm-up (steps) 50 -> 0",
        ),
        (
            {"name": "Cosine", "learning_rate": 0.1},
            {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 2},
            "warm-up (steps) 0 -> 50",
        ),
        (
            {"name": "Cosine", "learning_rate": 0.1},
            {"name": "Linear", "learning_rate": 0.1},
            "schedule 'Cosine' -> 'Linear'",
        ),
    ],
)
def test_a_state_from_another_structure_keeps_the_step_and_warns(saved, loaded, says):
    a = ppocr_lr.build_lr_scheduler(saved, EPOCHS, SPE)
    for _ in range(50):
        a.step()
    b = ppocr_lr.build_lr_scheduler(loaded, EPOCHS, SPE)
    with pytest.warns(ppocr_lr.ConfigWarning) as record:
        b.set_state_dict(a.state_dict())
    message = str(record[0].message)
    assert says in message and "learning rate at step 50" in message
    assert b.last_epoch == 50 and b.last_lr == b.lr_at(50)


def test_other_run_length_warns():
    a = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 10, 10)
    a.step(30)
    b = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 20, 10)
    with pytest.warns(ppocr_lr.ConfigWarning, match=r"run length \(steps\) 100 -> 200"):
        b.set_state_dict(a.state_dict())
    assert b.last_epoch == 30


@pytest.mark.parametrize(
    "saved_warm, loaded_warm, says",
    [
        (2, 0, "the checkpoint has a warm-up, this schedule none"),
        (0, 2, "the checkpoint has no warm-up, this schedule a 50-step one"),
        (1, 2, "warm-up (steps) 25 -> 50"),
    ],
)
def test_paddleocr_state_of_another_warmup_never_raises_key_error(saved_warm, loaded_warm, says):
    block = {"name": "Cosine", "learning_rate": 0.1}
    theirs = paddleocr_scheduler(dict(block, warmup_epoch=saved_warm), EPOCHS, SPE)
    for _ in range(80):
        theirs.step()
    ours = ppocr_lr.build_lr_scheduler(dict(block, warmup_epoch=loaded_warm), EPOCHS, SPE)
    with pytest.warns(ppocr_lr.ConfigWarning, match="resumed at step 80") as record:
        ours.set_state_dict(theirs.state_dict())
    assert says in str(record[0].message)
    assert ours.last_epoch == 80


def test_ppocr_lr_state_loads_into_paddles_linear_warmup():
    """The state we write has PaddleOCR's layout, so PaddleOCR can load it back."""
    block = {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 2}
    ours = ppocr_lr.build_lr_scheduler(block, EPOCHS, SPE)
    for _ in range(40):
        ours.step()
    theirs = paddleocr_scheduler(block, EPOCHS, SPE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Paddle notes the extra 'ppocr_lr' entry
        theirs.set_state_dict(ours.state_dict())
    theirs.step()
    ours.step()
    assert theirs.last_epoch == 41 and theirs.last_lr == ours.last_lr


def test_a_state_that_is_not_a_scheduler_state_is_a_clear_error():
    s = ppocr_lr.build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 10, 10)
    with pytest.raises(ValueError, match="expected a mapping with 'last_epoch'"):
        s.set_state_dict({"epoch": 3})
    with pytest.raises(TypeError, match="whole number"):
        s.set_state_dict({"last_epoch": "three"})
