"""PaddleOCR's own trainer with ppocr_lr swapped in, run on the stand-in checkout under
``tests/paddleocr_standin`` (whose ``ppocr.data`` switches Python warnings off at import,
as PaddleOCR's does): no edit to the checkout, PaddleOCR's numbers, every notice on the
console and in ``train.log``, strict mode, one and two processes."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from conftest import assert_rel
from reference import paddleocr_scheduler, run

pytestmark = [pytest.mark.slow]

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "paddleocr_standin")
BIN = os.path.dirname(sys.executable)  # where the ppocr-lr command is installed
SWAP_LINE = "in place of ppocr.optimizer.build_optimizer"

with open(os.path.join(STANDIN, "configs", "tiny.yml")) as f:
    TINY = yaml.safe_load(f)
EPOCHS = TINY["Global"]["epoch_num"]
SPE = TINY["Train"]["dataset"]["num_samples"] // TINY["Train"]["loader"]["batch_size_per_card"]


def standin_environment(extra=None):
    """This environment with the installed ppocr-lr command first on PATH, strict mode unset."""
    environment = {k: v for k, v in os.environ.items() if k != "PPOCR_LR_STRICT"}
    environment["PATH"] = BIN + os.pathsep + environment.get("PATH", "")
    environment.update(extra or {})
    return environment


def in_standin(command, out, overrides, env=None, launch=None):
    """``command -c configs/tiny.yml -o Global.save_model_dir=out overrides...`` from the
    stand-in checkout's root, as a user runs it; with ``launch`` (a log folder) under
    Paddle's launcher, two processes."""
    if launch:
        command = [
            sys.executable,
            "-m",
            "paddle.distributed.launch",
            "--nproc_per_node",
            "2",
            "--log_dir",
            str(launch),
            *command,
        ]
    return subprocess.run(
        [*command, "-c", "configs/tiny.yml", "-o", f"Global.save_model_dir={out}", *overrides],
        cwd=STANDIN,
        env=standin_environment(env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def train(out, *overrides, swap=True, env=None, launch=None):
    """``ppocr-lr train`` (or PaddleOCR's plain ``python tools/train.py``) in the stand-in."""
    command = ["ppocr-lr", "train"] if swap else [sys.executable, "tools/train.py"]
    return in_standin(command, out, overrides, env, launch)


def trace(out):
    with open(os.path.join(out, "lr_trace.jsonl")) as f:
        return [json.loads(line) for line in f]


def log(out):
    with open(os.path.join(out, "train.log")) as f:
        return f.read()


def ok(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A swapped-in run of the stand-in's config (Cosine with a 1-epoch warm-up)."""
    out = tmp_path_factory.mktemp("first")
    return ok(train(out)), out


def test_zero_edit_run_trains_with_paddleocrs_numbers_and_says_so_once(first_run, tmp_path):
    swapped, out = first_run
    plain = ok(train(tmp_path, swap=False))  # PaddleOCR's own optimizer
    ours, theirs = trace(out), trace(tmp_path)
    assert [r["global_step"] for r in ours] == list(range(1, EPOCHS * SPE + 1))
    assert_rel([r["lr"] for r in ours], [r["lr"] for r in theirs], 1e-12, "lr")
    assert [r["loss"] for r in ours] == [r["loss"] for r in theirs]
    # the learning rate PaddleOCR logs after step k is the schedule's at step k
    expected = run(paddleocr_scheduler(TINY["Optimizer"]["lr"], EPOCHS, SPE), EPOCHS * SPE)
    assert_rel([r["lr"] for r in ours], expected[1:], 1e-12, "schedule")
    # the swap is reported once, on the console and in train.log; never without it
    assert swapped.stdout.count(SWAP_LINE) == 1 and log(out).count(SWAP_LINE) == 1
    assert "ppocr_lr" not in plain.stdout + plain.stderr + log(tmp_path)


def test_the_stand_in_switches_warnings_off_as_paddleocr_does(tmp_path):
    """The premise: a notice sent only through warnings.warn would be lost here."""
    probe = (
        "import runpy, sys, warnings; sys.path.insert(0, '.'); import ppocr.data; "
        "print([f[0] for f in warnings.filters][:1])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=STANDIN, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "['ignore']", result.stderr[-2000:]


NOTICES = {
    "typo": (
        ["Optimizer.lr.warmup_epochs=2"],
        "Optimizer.lr.warmup_epochs: unknown key (did you mean 'warmup_epoch'?)",
    ),
    "dropped end_lr": (
        [
            "Optimizer.lr.name=DecayLearningRate",
            "Optimizer.lr.end_lr=1.0e-7",
            "Optimizer.lr.warmup_epoch=0",
        ],
        "Optimizer.lr.end_lr: 1e-07 is written, but PaddleOCR's "
        "DecayLearningRate does not read end_lr",
    ),
    "warm-up longer than the run": (
        ["Optimizer.lr.warmup_epoch=5"],
        "Optimizer.lr.warmup_epoch: the warm-up (50 steps) is longer than the run (30 steps)",
    ),
}


@pytest.mark.parametrize("case", list(NOTICES))
def test_each_notice_is_on_the_console_and_in_train_log(case, tmp_path):
    overrides, says = NOTICES[case]
    result = ok(train(tmp_path, *overrides))
    line = f"ppocr.ppocr_lr WARNING: {says}"
    assert result.stdout.count(line) == 1, result.stdout[-3000:]
    assert log(tmp_path).count(line) == 1
    assert "Warning" not in result.stderr  # the warnings themselves are switched off


def test_a_resume_from_a_schedule_of_another_shape_is_visible(first_run, tmp_path):
    _, out = first_run
    result = ok(
        train(
            tmp_path,
            f"Global.checkpoints={out}/latest",
            f"Global.epoch_num={EPOCHS + 1}",
            "Optimizer.lr.warmup_epoch=0",
        )
    )
    says = (
        f"ppocr.ppocr_lr WARNING: Optimizer.lr: resumed at step {EPOCHS * SPE} from a "
        "checkpoint whose schedule had another shape: run length (steps) 30 -> 40; "
        "warm-up (steps) 10 -> 0"
    )
    assert says in result.stdout and says in log(tmp_path)
    # it continued from the checkpoint's step with this schedule's rates
    expected = run(
        paddleocr_scheduler({"name": "Cosine", "learning_rate": 0.01}, EPOCHS + 1, SPE),
        (EPOCHS + 1) * SPE,
    )
    assert_rel([r["lr"] for r in trace(tmp_path)], expected[EPOCHS * SPE + 1 :], 1e-9, "resumed")


@pytest.mark.parametrize("case", [*NOTICES, "resume"])
def test_strict_mode_from_the_config_makes_each_an_error(case, first_run, tmp_path):
    if case == "resume":
        overrides = [f"Global.checkpoints={first_run[1]}/latest", "Optimizer.lr.warmup_epoch=0"]
        path = "Optimizer.lr: resumed at step 30"
    else:
        overrides, says = NOTICES[case]
        path = says.split(":")[0]
    result = train(tmp_path, *overrides, "Optimizer.strict=true")
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"ppocr-lr: error: {path}"), result.stderr
    assert errors[0].endswith("This is an error because strict mode is on (strict: true).")
    assert f"ERROR: error: {path}" in log(tmp_path)


def test_strict_mode_from_the_environment(tmp_path):
    result = train(tmp_path, *NOTICES["typo"][0], env={"PPOCR_LR_STRICT": "1"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ppocr-lr: error: Optimizer.lr.warmup_epochs: unknown key (did you mean "
        "'warmup_epoch'?). Valid keys: batch_scaling, by_epoch, decay_ends_at_last_step, "
        "eta_min, honour, last_epoch, learning_rate, reference_batch_size, strict, "
        "warmup_epoch, warmup_prefix, warmup_start_lr, warmup_steps. This is an error "
        "because strict mode is on (PPOCR_LR_STRICT=1)."
    ]
    bad = train(tmp_path, env={"PPOCR_LR_STRICT": "maybe"})
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "ppocr-lr: error: PPOCR_LR_STRICT: the environment variable is 'maybe'; expected 1, "
        "true or yes (strict) or 0, false, no or empty (not strict)"
    ]


def test_outside_a_paddleocr_checkout_is_one_error_line(tmp_path):
    result = subprocess.run(
        [os.path.join(BIN, "ppocr-lr"), "train", "-c", "x.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ppocr-lr: error: {tmp_path}/tools/train.py does not exist: run ppocr-lr train from "
        "the root of a PaddleOCR checkout, or name the script with --script"
    ]


@pytest.mark.distributed
def test_two_processes_under_paddles_launcher(tmp_path):
    out, logs = tmp_path / "out", tmp_path / "log"
    result = train(out, *NOTICES["typo"][0], launch=logs)
    rank0, rank1 = (logs / "workerlog.0").read_text(), (logs / "workerlog.1").read_text()
    assert result.returncode == 0, result.stdout[-2000:] + rank0[-3000:] + rank1[-3000:]
    # each process runs half of every epoch; rank 0's rates are PaddleOCR's for that length
    expected = run(
        paddleocr_scheduler(TINY["Optimizer"]["lr"], EPOCHS, SPE // 2), EPOCHS * SPE // 2
    )
    assert_rel([r["lr"] for r in trace(out)], expected[1:], 1e-12, "2 processes")
    notice = "ppocr.ppocr_lr WARNING: Optimizer.lr.warmup_epochs: unknown key"
    assert rank0.count(notice) == 1 and rank0.count(SWAP_LINE) == 1
    assert notice not in rank1 and SWAP_LINE not in rank1 and "Warning" not in rank1
    assert log(out).count(notice) == 1 and log(out).count(SWAP_LINE) == 1


def plateau_rates(total, start, reductions, factor=0.5):
    """The hand-computed rates of a plateau schedule whose every report after the first
    is a plateau (patience 0, an improvement of 1000% asked): evaluations every 5 steps on
    rank 0, each heard at the next step on every rank, from ``reductions`` on."""
    rates, rate = [], start
    for step in range(1, total + 1):
        if step in reductions:
            rate *= factor
        rates.append(rate)
    return rates


PLATEAU = "{name: ReduceOnPlateau, learning_rate: 0.01, patience: 0, threshold: 10.0, factor: 0.5}"


def test_a_plateau_schedule_hears_each_evaluation_in_paddleocrs_trainer(tmp_path):
    """Evaluations at steps 5, 10, ..., 25 (the one at 30 ends the run): the first sets the
    best, each later one is a plateau, heard at the next step: the rate halves at 11, 16,
    21 and 26.  mode is max (PaddleOCR's indicators are better when higher)."""
    result = ok(train(tmp_path, f"Optimizer.lr={PLATEAU}"))
    lrs = [r["lr"] for r in trace(tmp_path)]
    assert_rel(lrs, plateau_rates(EPOCHS * SPE, 0.01, {11, 16, 21, 26}), 1e-12, "plateau")
    assert "never be reduced" not in result.stdout
    says = "ppocr.ppocr_lr INFO: acc stopped improving: the learning rate is now 0.005"
    assert result.stdout.count(says) == 1 and says in log(tmp_path)
    with open(tmp_path / "eval.jsonl") as f:
        assert [json.loads(line)["global_step"] for line in f] == [5, 10, 15, 20, 25, 30]


def test_a_plateau_phase_of_a_sequential_hears_the_evaluations_while_it_runs(tmp_path):
    """Const for 10 steps, then a plateau (logged from step 10: the trace holds the rate
    after each step): the report heard at step 6 goes to the Const phase and is dropped;
    from step 11 the plateau hears them on its own clock (the first sets its best), so it
    halves at 16, 21 and 26, its own steps 7, 12 and 17."""
    block = (
        "{name: Sequential, boundaries: [10], phases: [{name: Const, learning_rate: 0.02}, "
        + PLATEAU
        + "]}"
    )
    ok(train(tmp_path, f"Optimizer.lr={block}"))
    expected = [0.02] * 9 + plateau_rates(EPOCHS * SPE - 9, 0.01, {7, 12, 17})
    assert_rel([r["lr"] for r in trace(tmp_path)], expected, 1e-12, "phase")


@pytest.mark.distributed
def test_a_plateau_in_two_processes_reduces_alike_on_every_rank(tmp_path):
    out, logs = tmp_path / "out", tmp_path / "log"
    result = train(out, f"Optimizer.lr={PLATEAU}", launch=logs)
    rank0, rank1 = (logs / "workerlog.0").read_text(), (logs / "workerlog.1").read_text()
    assert result.returncode == 0, rank0[-3000:] + rank1[-3000:]
    steps = EPOCHS * SPE // 2  # evaluations at 5, 10, 15 on rank 0 only
    expected = plateau_rates(steps, 0.01, {11})
    with open(out / "lr_trace.rank1.jsonl") as f:
        other = [json.loads(line)["lr"] for line in f]
    assert_rel([r["lr"] for r in trace(out)], expected, 1e-12, "rank 0")
    assert other == [r["lr"] for r in trace(out)]


def test_without_ppocr_lr_train_a_plateau_says_nobody_reports(tmp_path, monkeypatch):
    """The one-line edit of tools/train.py (PaddleOCR's trainer unchanged otherwise): no
    evaluation reaches the schedule, and the notice says so."""
    from ppocr_lr import messages, paddleocr_swap

    import paddle

    with messages.collecting() as notices:
        paddleocr_swap.swapped_build_optimizer(
            {"name": "Adam", "lr": {"name": "ReduceOnPlateau", "learning_rate": 0.01}},
            2,
            5,
            paddle.nn.Linear(2, 1),
        )
    assert any("reports none" in str(n) and "ppocr-lr train" in str(n) for n in notices)


def test_the_batch_scaling_start_up_line_reaches_paddleocrs_log(tmp_path):
    result = ok(
        train(tmp_path, "Optimizer.lr.batch_scaling=linear", "Optimizer.lr.reference_batch_size=8")
    )
    says = (
        "rates x2 (batch_scaling linear: global batch 16, reference 8): learning_rate 0.01 -> 0.02"
    )
    assert result.stdout.count(says) == 1 and log(tmp_path).count(says) == 1


@pytest.mark.parametrize(
    "per_card_override, factor", [([], 2.0), (["Train.loader.batch_size_per_card=32"], 4.0)]
)
def test_batch_scaling_in_paddleocrs_trainer(tmp_path, per_card_override, factor):
    """PaddleOCR's build_optimizer is not told the batch: ppocr-lr train reads it from
    the config and the -o overrides the trainer runs with."""
    result = ok(
        train(
            tmp_path,
            "Optimizer.lr.batch_scaling=linear",
            "Optimizer.lr.reference_batch_size=8",
            *per_card_override,
        )
    )
    steps = len(trace(tmp_path))
    lr = dict(TINY["Optimizer"]["lr"], learning_rate=0.01 * factor)
    spe = steps // EPOCHS
    expected = run(paddleocr_scheduler(lr, EPOCHS, spe), steps)
    assert_rel([r["lr"] for r in trace(tmp_path)], expected[1:], 1e-12, "scaled schedule")
    assert "WARNING: Optimizer.lr.batch_scaling" not in result.stdout


@pytest.mark.parametrize(
    "args, batch",
    [
        (["-c", "configs/tiny.yml"], 16),
        (["-c", "configs/tiny.yml", "-o", "Train.loader.batch_size_per_card=24", "Global.x=1"], 24),
        (["--config", "configs/tiny.yml", "--opt", "Train.loader.batch_size_per_card=0"], None),
        (["-c", "configs/tiny.yml", "-o", "Train.loader=null"], None),
        (["-c", "no/such.yml"], None),
        ([], None),
        (["--config=configs/tiny.yml", "-o", "Train.loader.batch_size_per_card=12"], 12),
        (["--config", "configs/tiny.yml", "--opt=Train.loader.batch_size_per_card=20"], 20),
        (["-cconfigs/tiny.yml"], 16),
    ],
)
def test_the_global_batch_is_read_from_the_trainers_arguments(monkeypatch, args, batch):
    from ppocr_lr import paddleocr_swap

    monkeypatch.chdir(STANDIN)
    assert paddleocr_swap.TrainerRun(args).global_batch() == batch
