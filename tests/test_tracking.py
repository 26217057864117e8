"""Experiment tracking as PaddleOCR's trainer does it: W&B (offline here, no network) and
TensorBoard scalars, read back from their files and checked against the schedule."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import ppocr_lr
from test_train import metrics, tiny, write_config
from tracked_files import tensorboard_scalars, wandb_history
from tools import lr_range, program
from tools.rec.tracking import VISUALDL_WARNING, Tracking

pytestmark = pytest.mark.slow


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")


def tracked_config(out, lr=None, **global_keys):
    config = tiny(out)
    config["Global"].update(use_wandb=True, use_tensorboard=True, **global_keys)
    config["wandb"] = {"project": "ppocr-lr-tests", "name": "tiny"}
    if lr is not None:
        config["Optimizer"]["lr"] = lr
    return config


def test_the_trainer_logs_every_step_and_evaluation(tmp_path, offline):
    out = tmp_path / "run"
    config = tracked_config(out)
    assert program.main(["-c", write_config(config, tmp_path / "c.yml")]) == 0
    schedule = ppocr_lr.build_lr_scheduler(config["Optimizer"]["lr"], 3, 8)
    records = metrics(out)
    steps = {r["global_step"]: r for r in records if r["kind"] == "step"}
    evals = {r["global_step"]: r for r in records if r["kind"] == "eval"}
    history = dict(wandb_history(str(out)))
    assert sorted(history) == list(range(1, 25))  # every step, under its global step
    for step, row in history.items():
        assert row["train/lr"] == schedule.lr_at(step)  # the rate after the step, exactly
        assert row["train/loss"] == pytest.approx(steps[step]["loss"], rel=1e-6)
        assert row["train/acc"] == pytest.approx(steps[step]["acc"])
        assert row["train/samples_per_sec"] > 0
    for step, record in evals.items():
        assert history[step]["eval/acc"] == pytest.approx(record["acc"])
        assert history[step]["eval/norm_edit_dis"] == pytest.approx(record["norm_edit_dis"])
        best = max(r["acc"] for s, r in evals.items() if s <= step)
        assert history[step]["eval/best_acc"] == pytest.approx(best)
    assert sorted(evals) == [5, 10, 15, 20]
    scalars = tensorboard_scalars(str(out / "tensorboard"))
    assert [s for s, _ in scalars["train/lr"]] == list(range(1, 25))
    for step, value in scalars["train/lr"]:  # TensorBoard keeps float32
        assert value == np.float32(schedule.lr_at(step))
    assert [s for s, _ in scalars["eval/acc"]] == sorted(evals)


def test_onecycles_momentum_is_logged_when_it_cycles(tmp_path, offline):
    out = tmp_path / "run"
    lr = {"name": "OneCycle", "max_lr": 0.01, "cycle_momentum": True}
    config = tracked_config(out, lr)
    assert program.main(["-c", write_config(config, tmp_path / "c.yml")]) == 0
    schedule = ppocr_lr.build_lr_scheduler(lr, 3, 8)
    for step, row in wandb_history(str(out)):
        assert row["train/momentum"] == schedule.momentum_at(step)
    plain = tracked_config(tmp_path / "plain")
    assert program.main(["-c", write_config(plain, tmp_path / "p.yml")]) == 0
    assert not any("train/momentum" in row for _, row in wandb_history(str(tmp_path / "plain")))


def test_the_range_test_curve_is_logged(tmp_path, offline):
    out = tmp_path / "range"
    config = tracked_config(out)
    result, _, path, _ = lr_range.find_lr(config, None, num_iters=60, start_lr=1e-5, end_lr=10.0)
    history = wandb_history(str(out))
    assert [step for step, _ in history] == list(range(len(result.lrs)))
    assert [row["range_test/lr"] for _, row in history] == result.lrs
    assert result.suggestion is not None  # as in test_find_lr, with the same ramp
    assert history[-1][1]["range_test/suggestion"] == result.suggestion
    curve = json.load(open(os.path.splitext(path)[0] + ".json"))
    assert curve["loss"] == [row["range_test/loss"] for _, row in history]


def test_tracking_without_its_package_is_one_line_naming_the_extra(
    tmp_path, offline, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "wandb", None)  # `import wandb` fails
    config = tracked_config(tmp_path / "run")
    config["Global"]["use_tensorboard"] = False
    assert program.main(["-c", write_config(config, tmp_path / "c.yml")]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: wandb: the wandb package is not installed; install it with "
        "pip install 'ppocr-lr[wandb]'\n"
    )
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    config = tiny(tmp_path / "tb")
    config["Global"]["use_tensorboard"] = True
    assert program.main(["-c", write_config(config, tmp_path / "t.yml")]) == 2
    assert "Global.use_tensorboard: the tensorboardX package is not installed" in (
        capsys.readouterr().err
    )


def test_visualdl_gives_paddleocrs_warning_and_other_ranks_track_nothing(tmp_path):
    out = tmp_path / "run"
    config = tiny(out)
    config["Global"]["use_visualdl"] = True
    assert program.main(["-c", write_config(config, tmp_path / "c.yml")]) == 0
    assert f"WARNING: {VISUALDL_WARNING}" in (out / "train.log").read_text()
    tracked = tracked_config(out)
    assert Tracking(tracked, tracked["Global"], str(out), rank=1).writers == []
