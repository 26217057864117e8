"""show, plot and check need no flags for a config that says its own size: the steps per
epoch come from the training data it names and its loader, for one process or --nproc."""

from __future__ import annotations

import math
import os

import pytest
import yaml

from test_cli_hostile import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REC = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")


def config_with(tmp_path, dataset, loader=None, name="c.yml"):
    with open(REC) as f:
        config = yaml.safe_load(f)
    config["Train"]["dataset"] = dataset
    config["Train"]["loader"].update(loader or {})
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("nproc", [1, 2, 3])
def test_a_synthetic_dataset_gives_its_steps(capsys, nproc):
    status, out, err = run(capsys, "show", "-c", REC, "--nproc", nproc)
    steps = math.ceil(16000 / nproc) // 64  # DistributedBatchSampler with drop_last
    assert status == 0, err
    assert f"6 epochs x {steps} steps = {6 * steps:,} steps" in out
    assert (
        f"steps per epoch: 16000 samples (Train.dataset.num_samples) / {nproc} process(es) "
        "/ batch 64, drop_last)"
    ) in out


def test_label_files_are_counted_as_paddleocr_samples_them(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # label files are read from where the trainer runs
    (tmp_path / "a.txt").write_text("".join(f"img{i}.png\tab\n" for i in range(1000)) + "\n\n")
    (tmp_path / "b.txt").write_text("".join(f"img{i}.png\tcd\n" for i in range(300)))
    path = config_with(
        tmp_path,
        {
            "name": "SimpleDataSet",
            "data_dir": ".",
            "label_file_list": ["./a.txt", "./b.txt"],
            "ratio_list": [1.0, 0.5],
        },
        {"batch_size_per_card": 32, "drop_last": False},
    )
    samples = 1000 + round(300 * 0.5)  # blank lines are not samples
    for command in ("show", "plot"):
        extra = ["-O", tmp_path / "s.png"] if command == "plot" else []
        status, out, err = run(capsys, command, "-c", path, *extra)
        assert status == 0, err
    status, out, _ = run(capsys, "show", "-c", path)
    assert f"x {math.ceil(samples / 32)} steps" in out  # without drop_last: the last batch
    assert (
        f"{samples} samples (the lines of Train.dataset.label_file_list, 2 file(s)) / 1 "
        "process(es) / batch 32)"
    ) in out


def test_check_reads_the_same_run_as_show(capsys):
    _, shown, _ = run(capsys, "show", "-c", REC)
    _, checked, _ = run(capsys, "check", "-c", REC)
    warned = [line.split("- ", 1)[1] for line in shown.splitlines() if line.startswith("    - ")]
    assert [line.split("- warning: ", 1)[1] for line in checked.splitlines()[1:]] == warned
    assert "the decay runs 125 steps past the end" in checked  # 250 steps per epoch, not 1000


def test_label_files_that_are_not_here_are_named_with_the_flags_to_pass(tmp_path, capsys):
    path = config_with(
        tmp_path, {"name": "SimpleDataSet", "label_file_list": ["./train_data/rec/train.txt"]}
    )
    status, _, err = run(capsys, "show", "-c", path)
    assert status == 2 and err.count("\n") == 1
    assert "the label files of Train.dataset.label_file_list are not here " in err
    assert "(./train_data/rec/train.txt, from " in err and "--steps-per-epoch" in err
    status, out, _ = run(capsys, "check", "-c", path)
    assert status == 0 and "note: checked on 1000 steps per epoch" in out
    status, out, _ = run(capsys, "show", "-c", path, "--steps-per-epoch", 7)
    assert status == 0 and "x 7 steps" in out  # a flag still wins
