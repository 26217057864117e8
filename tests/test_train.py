"""tools/train.py end to end on a tiny config: schedule, resume, kill, distributed, data."""

import copy
import json
import math
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import yaml

import ppocr_lr
import ppocr_lr.config
from conftest import ALIAS_BOMB_YAML, DEEP_YAML

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools import program  # noqa: E402
from tools.make_synth_dataset import write as write_synth  # noqa: E402
from tools.rec.data import SimpleDataSet, SynthTextDataset  # noqa: E402
from tools.rec.text import CharacterSet  # noqa: E402

with open(os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")) as f:
    BASE = yaml.safe_load(f)


def tiny(out, **changes):
    """The default config shrunk to seconds: 256 lines of 64 px, 8 steps per epoch."""
    c = copy.deepcopy(BASE)
    c["Global"].update(
        epoch_num=3,
        print_batch_step=4,
        save_model_dir=str(out),
        eval_batch_step=[0, 5],
        max_text_length=5,
        save_epoch_step=2,
    )
    c["Architecture"]["Backbone"]["channels"] = [8, 16, 16, 24]
    c["Architecture"]["Neck"]["hidden_size"] = 16
    c["Optimizer"]["lr"] = {"name": "Cosine", "learning_rate": 0.005, "warmup_epoch": 1}
    for mode, n in (("Train", 256), ("Eval", 40)):
        c[mode]["dataset"].update(num_samples=n, image_shape=[1, 32, 64])
        c[mode]["loader"]["batch_size_per_card"] = 32
    for key, value in changes.items():
        section, name = key.split("__")
        c[section][name] = value
    return c


def write_config(config, path):
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    return str(path)


def metrics(out, name="metrics.jsonl"):
    with open(os.path.join(out, name)) as f:
        return [json.loads(line) for line in f]


def run_cli(args, cwd=ROOT, **kw):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, **kw
    )


def test_training_reduces_the_loss_and_logs_the_schedule_at_every_step(tmp_path):
    config = tiny(tmp_path / "out", Global__epoch_num=4)
    assert program.main(["-c", write_config(config, tmp_path / "c.yml")]) == 0
    records = metrics(tmp_path / "out")
    steps = [r for r in records if r["kind"] == "step"]
    assert [r["global_step"] for r in steps] == list(range(1, 33))
    schedule = ppocr_lr.build_lr_scheduler(config["Optimizer"]["lr"], 4, 8)
    # PaddleOCR's log convention: the lr after step k, the one update k+1 uses
    assert [r["lr"] for r in steps] == [schedule.lr_at(r["global_step"]) for r in steps]
    losses = [r["loss"] for r in steps]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["global_step"] for r in evals] == [5, 10, 15, 20, 25, 30]
    summary = records[-1]
    assert summary["kind"] == "summary" and 0.0 <= summary["final_acc"] <= 1.0
    out = tmp_path / "out"
    for name in ("latest", "best_accuracy", "iter_epoch_2", "iter_epoch_4"):
        for suffix in (".pdparams", ".pdopt", ".states"):
            assert (out / (name + suffix)).exists(), name + suffix
    log = (out / "train.log").read_text()
    assert "epoch: [1/4], global_step: 4, lr: 0.002500" in log
    assert "samples/s:" in log and "eta:" in log
    from PIL import Image

    with Image.open(out / "train_curves.png") as image:
        assert image.size[0] > 300 and len(np.unique(np.asarray(image.convert("L")))) > 10


def final_digest(out):
    return [r for r in metrics(out) if r["kind"] == "summary"][-1]["weights_sha256"]


@pytest.mark.slow
def test_resume_gives_bit_identical_weights(tmp_path):
    config = tiny(tmp_path / "whole")
    assert program.main(["-c", write_config(config, tmp_path / "a.yml")]) == 0
    reference = final_digest(tmp_path / "whole")
    # a second identical run is identical (the test below relies on it)
    again = tiny(tmp_path / "again")
    assert program.main(["-c", write_config(again, tmp_path / "b.yml")]) == 0
    assert final_digest(tmp_path / "again") == reference
    # resume mid-epoch from best_accuracy (saved at step 5 of the first 8-step epoch)
    cut = tiny(tmp_path / "cut", Global__epoch_num=3)
    assert (
        program.main(
            [
                "-c",
                write_config(cut, tmp_path / "c.yml"),
                "-o",
                "Global.checkpoints=" + str(tmp_path / "whole" / "best_accuracy"),
            ]
        )
        == 0
    )
    assert final_digest(tmp_path / "cut") == reference
    steps = [r for r in metrics(tmp_path / "cut") if r["kind"] == "step"]
    assert steps[0]["global_step"] == 6 and steps[-1]["global_step"] == 24


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_weights(tmp_path):
    out = tmp_path / "killed"
    config = write_config(tiny(out, Global__epoch_num=4), tmp_path / "k.yml")
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "tools/train.py", "-c", config],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:
        if "global_step: 12," in line:  # in epoch 2, after epoch 1's checkpoint
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    resumed = run_cli(
        ["tools/train.py", "-c", config, "-o", f"Global.checkpoints={out}/latest"], timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stdout and "global step 8" in resumed.stdout
    whole = tmp_path / "whole"
    assert (
        program.main(["-c", write_config(tiny(whole, Global__epoch_num=4), tmp_path / "w.yml")])
        == 0
    )
    assert final_digest(out) == final_digest(whole)
    lrs = [r["lr"] for r in metrics(out) if r["kind"] == "step"]
    assert lrs == [r["lr"] for r in metrics(whole) if r["kind"] == "step"]


def test_pretrained_model_loads_weights_and_starts_the_schedule_fresh(tmp_path):
    first = tiny(tmp_path / "first", Global__epoch_num=1)
    assert program.main(["-c", write_config(first, tmp_path / "a.yml")]) == 0
    second = tiny(tmp_path / "second", Global__epoch_num=1)
    second["Global"]["pretrained_model"] = str(tmp_path / "first" / "latest")
    assert program.main(["-c", write_config(second, tmp_path / "b.yml")]) == 0
    steps = [r for r in metrics(tmp_path / "second") if r["kind"] == "step"]
    assert steps[0]["global_step"] == 1
    first_loss = [r for r in metrics(tmp_path / "first") if r["kind"] == "step"][0]["loss"]
    assert steps[0]["loss"] < first_loss  # it starts from trained weights


@pytest.mark.slow
@pytest.mark.distributed
def test_two_processes_share_the_schedule_and_the_weights(tmp_path):
    out = tmp_path / "dist"
    # with the rate scaled for the global batch: 2 processes x 32 = twice the reference
    config = tiny(out, Global__epoch_num=2, Global__eval_batch_step=[0, 4])
    config["Optimizer"]["lr"].update(batch_scaling="linear", reference_batch_size=32)
    config = write_config(config, tmp_path / "d.yml")
    result = run_cli(
        [
            "-m",
            "paddle.distributed.launch",
            "--nproc_per_node",
            "2",
            "--log_dir",
            str(tmp_path / "log"),
            "tools/train.py",
            "-c",
            config,
        ],
        timeout=600,
    )
    logs = "".join(p.read_text() for p in (tmp_path / "log").glob("workerlog.*"))
    assert result.returncode == 0, result.stdout[-2000:] + logs[-3000:]
    rank0, rank1 = metrics(out), metrics(out, "metrics.rank1.jsonl")
    lr0 = [(r["global_step"], r["lr"]) for r in rank0 if r["kind"] == "step"]
    lr1 = [(r["global_step"], r["lr"]) for r in rank1 if r["kind"] == "step"]
    assert lr0 == lr1 and len(lr0) == 8  # 256 lines / 2 ranks / 32 per batch = 4 per epoch
    schedule = ppocr_lr.build_lr_scheduler(
        {"name": "Cosine", "learning_rate": 0.01, "warmup_epoch": 1}, 2, 4
    )
    assert [lr for _, lr in lr0] == [schedule.lr_at(s) for s, _ in lr0]
    assert (
        "rates x2 (batch_scaling linear: global batch 64, reference 32): learning_rate "
        "0.005 -> 0.01"
    ) in (out / "train.log").read_text()
    assert rank0[-1]["weights_sha256"] == rank1[-1]["weights_sha256"]
    assert not (out / "train.log").read_text().count("rank 1")
    # rank 0 evaluates the whole held-out set (40 lines), not its shard; the evaluation at
    # the last step and the final one are the same numbers
    evals = [r for r in rank0 if r["kind"] == "eval"]
    assert [r["global_step"] for r in evals] == [4, 8] and all(r["samples"] == 40 for r in evals)
    assert (rank0[-1]["final_acc"], rank0[-1]["final_norm_edit_dis"]) == (
        evals[-1]["acc"],
        evals[-1]["norm_edit_dis"],
    )


def test_resuming_a_finished_run_changes_nothing(tmp_path):
    out = tmp_path / "done"
    config = write_config(tiny(out, Global__epoch_num=1), tmp_path / "c.yml")
    assert program.main(["-c", config]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert program.main(["-c", config, "-o", f"Global.checkpoints={out}/latest"]) == 0
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert before.keys() == after.keys()
    for name in before:  # train.log gains the line that says so; nothing else changes
        if name != "train.log":
            assert before[name] == after[name], name
    assert "the run is already complete (global step 8 of 8)" in after["train.log"].decode()


@pytest.mark.slow
def test_simple_dataset_round_trip(tmp_path):
    label_file = write_synth(
        str(tmp_path / "synth"), 20, seed=5, max_text_length=6, height=32, width=96
    )
    charset = CharacterSet("0123456789abcdefghijklmnopqrstuvwxyz", 6)
    rendered = SynthTextDataset(
        {"num_samples": 20, "seed": 5, "image_shape": [1, 32, 96]}, charset, "x"
    )
    loaded = SimpleDataSet(
        {
            "data_dir": str(tmp_path / "synth"),
            "label_file_list": [label_file],
            "image_shape": [1, 32, 96],
        },
        charset,
        "x",
    )
    assert len(loaded) == 20
    for i in range(20):
        a, b = rendered[i], loaded[i]
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    cli = run_cli(["tools/make_synth_dataset.py", "--out", str(tmp_path / "cli"), "--num", "5"])
    assert cli.returncode == 0 and "wrote 5 images" in cli.stdout
    # and it trains from disk
    config = tiny(tmp_path / "fromdisk", Global__epoch_num=1, Global__max_text_length=6)
    config["Train"]["dataset"] = {
        "name": "SimpleDataSet",
        "data_dir": str(tmp_path / "synth"),
        "label_file_list": [label_file],
        "image_shape": [1, 32, 96],
    }
    config["Train"]["loader"]["batch_size_per_card"] = 4
    config["Eval"]["dataset"]["image_shape"] = [1, 32, 96]
    assert program.main(["-c", write_config(config, tmp_path / "s.yml")]) == 0


def test_the_shipped_simple_dataset_config_trains_from_disk(tmp_path):
    for part, seed in (("synth_train", 1), ("synth_eval", 2)):
        write_synth(str(tmp_path / part), 16, seed=seed, max_text_length=8, height=32, width=128)
    overrides = [
        f"Global.save_model_dir={tmp_path / 'out'}",
        "Global.epoch_num=1",
        "Architecture.Backbone.channels=[8, 8, 8, 8]",
        "Architecture.Neck.hidden_size=8",
    ]
    for mode, part in (("Train", "synth_train"), ("Eval", "synth_eval")):
        overrides += [
            f"{mode}.dataset.data_dir={tmp_path / part}",
            f"{mode}.dataset.label_file_list=[{tmp_path / part / 'label.txt'}]",
            f"{mode}.loader.batch_size_per_card=8",
        ]
    path = os.path.join(ROOT, "configs", "rec", "rec_simple_dataset.yml")
    assert program.main(["-c", path, "-o", *overrides]) == 0
    assert metrics(tmp_path / "out")[-1]["final_acc"] >= 0.0


def bad_run(tmp_path, capsys, config=None, overrides=(), path=None):
    if path is None:
        path = write_config(config, tmp_path / "bad.yml")
    code = program.main(["-c", str(path), *(["-o", *overrides] if overrides else [])])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err
    return err


def test_bad_inputs_are_one_clear_line(tmp_path, capsys):
    assert "does not exist" in bad_run(tmp_path, capsys, path=tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("Global:\n  epoch_num: [1\n")
    assert "not valid YAML (line" in bad_run(tmp_path, capsys, path=broken)
    config = tiny(tmp_path / "o")
    err = bad_run(tmp_path, capsys, config, ["Global.epoch_nmu=3"])
    assert "Global.epoch_nmu" in err and "did you mean 'epoch_num'" in err
    err = bad_run(tmp_path, capsys, config, ["Globl.epoch_num=3"])
    assert "did you mean 'Global'" in err
    err = bad_run(tmp_path, capsys, config, ["Optimizer.lr.max_lrr=0.1"])
    assert "-o Optimizer.lr.max_lrr: unknown key" in err
    ppocr_lr.config.apply_overrides(
        config, ["Optimizer.lr.max_lr=0.003", "Optimizer.lr.name=OneCycle"], program.known_keys
    )
    assert config["Optimizer"]["lr"]["max_lr"] == 0.003  # any order
    config = tiny(tmp_path / "o")
    err = bad_run(tmp_path, capsys, config, ["Optimizer.lr.name=Cosin"])
    assert "Optimizer.lr.name" in err and "did you mean 'Cosine'" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    config = tiny(tmp_path / "o")
    config["Train"]["dataset"] = {
        "name": "SimpleDataSet",
        "data_dir": str(tmp_path),
        "label_file_list": [str(empty)],
    }
    assert "the dataset is empty" in bad_run(tmp_path, capsys, config)
    config["Train"]["dataset"]["label_file_list"] = [str(tmp_path / "missing.txt")]
    assert "cannot read" in bad_run(tmp_path, capsys, config)
    labels = tmp_path / "labels.txt"
    labels.write_text("a.png\tabcdefghij\n")
    config["Train"]["dataset"]["label_file_list"] = [str(labels)]
    err = bad_run(tmp_path, capsys, config)
    assert "labels.txt:1" in err and "more than Global.max_text_length (5)" in err
    labels.write_text("a.png\tab#\n")
    err = bad_run(tmp_path, capsys, config)
    assert "not in the dictionary: '#'" in err
    config = tiny(tmp_path / "o")
    config["Global"]["checkpoints"] = str(tmp_path / "nothing" / "latest")
    assert "not a complete checkpoint" in bad_run(tmp_path, capsys, config)
    config = tiny(tmp_path / "o")
    config["Train"]["dataset"]["image_shape"] = [3, 32, 64]
    assert "expected [1, height, width]" in bad_run(tmp_path, capsys, config)
    config = tiny(tmp_path / "o")
    config["Loss"] = {"name": "AttentionLoss"}
    assert "Loss.name: got 'AttentionLoss'; this trainer implements CTCLoss" in bad_run(
        tmp_path, capsys, config
    )
    config = tiny(tmp_path / "o")
    config["Metric"]["main_indicator"] = "accuracy"
    assert "did you mean 'acc'" in bad_run(tmp_path, capsys, config)
    config = tiny(tmp_path / "o")
    err = bad_run(tmp_path, capsys, config, ["Train.dataset.num_sample=10"])
    assert "Train.dataset.num_sample" in err and "did you mean 'num_samples'" in err


def test_corrupt_and_mismatched_checkpoints_are_errors(tmp_path, capsys):
    config = tiny(tmp_path / "ok", Global__epoch_num=1)
    assert program.main(["-c", write_config(config, tmp_path / "a.yml")]) == 0
    prefix = tmp_path / "ok" / "latest"
    other = tiny(tmp_path / "other", Global__epoch_num=2)
    other["Architecture"]["Backbone"]["channels"] = [8, 16, 16, 32]
    other["Global"]["checkpoints"] = str(prefix)
    assert "do not fit this model" in bad_run(tmp_path, capsys, other)
    data = bytearray((tmp_path / "ok" / "latest.pdparams").read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / "ok" / "latest.pdparams").write_bytes(bytes(data))
    resume = tiny(tmp_path / "r", Global__epoch_num=2)
    resume["Global"]["checkpoints"] = str(prefix)
    assert "does not belong to" in bad_run(tmp_path, capsys, resume)


def test_an_interrupted_save_is_finished_or_dropped(tmp_path):
    from tools.rec import checkpoint
    import paddle

    prefix = str(tmp_path / "latest")
    checkpoint.save(prefix, {"w": paddle.ones([2])}, {"m": paddle.zeros([1])}, {"global_step": 1})
    # crash after writing the new set, before renaming: the next load finishes the commit
    checkpoint.save(
        prefix, {"w": paddle.ones([2]) * 2}, {"m": paddle.zeros([1])}, {"global_step": 2}
    )
    os.replace(prefix + ".pdparams", prefix + ".pdparams.tmp")  # as if mid-rename
    os.replace(prefix + ".states", prefix + ".states.tmp")
    model, _, record = checkpoint.load(prefix)
    assert record["global_step"] == 2 and float(model["w"][0]) == 2.0
    # crash while the record was being written: the old checkpoint stays
    with open(prefix + ".states.tmp", "wb") as f:
        f.write(b"\x80half")
    model, _, record = checkpoint.load(prefix)
    assert record["global_step"] == 2 and not os.path.exists(prefix + ".states.tmp")


@pytest.mark.parametrize(
    "change, says",
    [
        ({"Global": 5}, "Global: got 5; expected a block"),
        ({"Architecture": 5}, "Architecture: got 5; expected a block"),
        ({"Architecture": {"Backbone": 5}}, "Architecture.Backbone: got 5; expected a block"),
        ({"Architecture": {"Neck": {"name": "Transformer"}}}, "Architecture.Neck.name: got"),
        ({"Train": 5}, "Train.dataset: missing"),
        ({"Eval": [1]}, "Eval.dataset: missing"),
        ({"Optimizer": 5}, "Optimizer: got 5"),
        ({"Loss": "CTC"}, "Loss.name"),
    ],
)
def test_a_scalar_where_a_section_belongs_is_one_line(tmp_path, capsys, change, says):
    config = dict(tiny(tmp_path / "o"), **change)
    assert says in bad_run(tmp_path, capsys, config)


@pytest.mark.parametrize(
    "text, says",
    [
        (DEEP_YAML, "nests too deeply"),
        (ALIAS_BOMB_YAML, "expands to more than 1,000,000 values"),
        ("Global: {epoch_num: 3, epoch_num: 4}\n", "written twice"),
    ],
)
def test_hostile_yaml_is_one_line(tmp_path, capsys, text, says):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    assert says in bad_run(tmp_path, capsys, path=path)


@pytest.mark.parametrize(
    "overrides, says",
    [
        (["=3"], "expected Key.sub=value"),
        (["Optimizer.lr.eta_min=0", "Optimizer.lr=5"], "Optimizer.lr: got 5"),
        (["Global.epoch_num=1e400"], "Global.epoch_num"),
    ],
)
def test_bad_overrides_are_one_line(tmp_path, capsys, overrides, says):
    assert says in bad_run(tmp_path, capsys, tiny(tmp_path / "o"), overrides)


def test_the_trainer_reports_the_metric_to_a_plateau_schedule(tmp_path, capsys):
    out = tmp_path / "plateau"
    config = tiny(out, Global__epoch_num=4, Global__eval_batch_step=[0, 2])
    config["Optimizer"]["lr"] = {
        "name": "ReduceOnPlateau",
        "learning_rate": 0.005,
        "patience": 0,
        "factor": 0.5,
        "threshold": 10.0,
        "threshold_mode": "abs",
    }  # no report ever improves
    assert program.main(["-c", write_config(config, tmp_path / "p.yml")]) == 0
    steps = [r for r in metrics(out) if r["kind"] == "step"]
    evals = [r["global_step"] for r in metrics(out) if r["kind"] == "eval"]
    # the first report sets the best; each later one halves the rate from the next step on
    rate = {s["global_step"]: s["lr"] for s in steps}
    assert rate[evals[1]] == 0.005 and rate[evals[1] + 1] == 0.0025
    assert rate[evals[2]] == 0.0025 and rate[evals[2] + 1] == 0.00125
    log = (out / "train.log").read_text()
    assert "acc stopped improving: the learning rate is now 0.0025" in log
    config["Optimizer"]["lr"]["mode"] = "min"
    assert "Optimizer.lr.mode: got 'min'" in bad_run(tmp_path, capsys, config)


def test_a_non_finite_loss_stops_the_run_with_one_line_and_keeps_the_checkpoint(
    tmp_path, capsys, monkeypatch
):
    """The loss turns NaN at global step 11 (epoch 2): the run stops there with exit
    status 1, before the NaN reaches the weights, and epoch 1's checkpoint is the last."""
    from tools.rec.model import CTCLoss

    calls = []

    class TurnsNaN(CTCLoss):
        def forward(self, logits, labels, lengths):
            calls.append(1)
            loss = super().forward(logits, labels, lengths)
            return loss * float("nan") if len(calls) == 11 else loss

    monkeypatch.setattr(program, "CTCLoss", TurnsNaN)
    out = tmp_path / "nan"
    config = write_config(tiny(out), tmp_path / "c.yml")
    assert program.main(["-c", config]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: the loss is nan at global step 11 ")
    lr = ppocr_lr.build_lr_scheduler(tiny(out)["Optimizer"]["lr"], 3, 8).lr_at(10)
    assert f"(epoch 2, lr {lr:.6g})" in err
    assert f"the last good checkpoint is {out}/latest (epoch 1)" in err
    record = ppocr_lr_checkpoint_record(out / "latest")
    assert record["global_step"] == 8 and record["epoch"] == 2
    steps = [r for r in metrics(out) if r["kind"] == "step"]
    assert [r["global_step"] for r in steps] == list(range(1, 11))  # nothing logged for 11
    assert all(math.isfinite(r["loss"]) for r in steps)


def ppocr_lr_checkpoint_record(prefix):
    from tools.rec import checkpoint

    return checkpoint.load(str(prefix))[2]


def test_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        program.main(["-c"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("error: argument -c/--config: expected one argument")


def test_resuming_a_finished_run_says_it_is_done(tmp_path):
    out = tmp_path / "done"
    config = write_config(tiny(out, Global__epoch_num=1), tmp_path / "c.yml")
    assert program.main(["-c", config]) == 0
    assert program.main(["-c", config, "-o", f"Global.checkpoints={out}/latest"]) == 0
    log = (out / "train.log").read_text()
    assert "after epoch 1 of 1 (the run is complete)" in log and "at epoch 2" not in log
