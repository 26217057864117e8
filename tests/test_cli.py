"""The ppocr-lr command through its installed entry point, the tools/ scripts, the gallery."""

import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml
from PIL import Image

import ppocr_lr

pytestmark = [pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY = shutil.which("ppocr-lr", path=os.path.dirname(sys.executable)) or shutil.which("ppocr-lr")
REC = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")
LR = os.path.join(ROOT, "configs", "lr")


def cli(*args, cwd=ROOT):
    assert ENTRY, "ppocr-lr is not installed (pip install -e .)"
    return subprocess.run([ENTRY, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def assert_clean_error(result, *says):
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppocr-lr: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for text in says:
        assert text in lines[0], lines[0]


def test_list_shows_every_name_with_keys_defaults_and_units():
    result = cli("list")
    assert result.returncode == 0
    out = result.stdout
    for name in ppocr_lr.available_schedulers():
        assert f"\n{name}: " in "\n" + out, name
    assert "decay_steps | decay_epochs" in out and "whole run" in out
    assert "step_size" in out and "a number of epochs > 0" in out
    assert "warmup_steps | warmup_epoch" in out and "decay_ends_at_last_step" in out
    assert "end_lr                                 0.0001" in out  # Polynomial's default


def test_show_resolves_a_whole_paddleocr_config(tmp_path):
    config = tmp_path / "my_rec.yml"
    with open(REC) as f:
        data = yaml.safe_load(f)
    data["Global"]["epoch_num"] = 500
    data["Optimizer"]["lr"] = {
        "name": "Cosine",
        "learning_rate": 0.001,
        "warmup_epoch": 5,
        "eta_minn": 1e-6,
    }
    config.write_text(yaml.safe_dump(data))
    result = cli("show", "-c", str(config), "--steps-per-epoch", "1200")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "my_rec: Cosine" in out
    assert "500 epochs x 1,200 steps = 600,000 steps" in out
    assert "epochs: Global.epoch_num" in out and "steps per epoch: --steps-per-epoch" in out
    assert "warm-up: 6,000 steps = 5 epochs, 0 -> 0.001" in out
    assert "learning_rate            0.001            [config]" in out
    assert "eta_min                  0                [default]" in out
    assert "warmup_epoch             5 epochs = 6000 steps [config]" in out
    assert "[trainer: --steps-per-epoch]" in out
    final = 0.001 * (1 + math.cos(math.pi * 594000 / 600000)) / 2
    assert f"final {final:.6g} (step 600,000)" in out
    assert "max 0.001 (step 6,000)" in out
    # epoch rows: condensed to about two dozen, with the warm-up's end
    rows = [line for line in out.splitlines() if line.strip() and line.split()[0].isdigit()]
    assert 15 <= len(rows) <= 26
    assert any(line.split()[:2] == ["5", "6,000"] for line in rows)
    assert "eta_minn: unknown key (did you mean 'eta_min'?)" in out
    assert "the decay runs 6,000 steps past the end of the run" in out


def test_show_warns_about_boundaries_past_the_end_and_long_warmups():
    result = cli(
        "show",
        "--lr",
        "{name: Piecewise, decay_epochs: [10, 40], values: [0.1, 0.01, 0.001], warmup_epoch: 3}",
        "--epochs",
        "30",
        "--steps-per-epoch",
        "10",
    )
    assert result.returncode == 0, result.stderr
    assert (
        "decay_epochs[1] = 40 is past the end of the run (the rate would change at step 430 of 300)"
    ) in result.stdout
    assert "decay_epochs[0]" not in result.stdout
    result = cli(
        "show",
        "--lr",
        "{name: Cosine, learning_rate: 0.1, warmup_epoch: 40}",
        "--epochs",
        "30",
        "--steps-per-epoch",
        "10",
    )
    assert "longer than the run" in result.stdout


def test_show_takes_the_run_length_from_dataset_and_batch_size():
    result = cli("show", "-c", REC, "--dataset-size", "10000", "--batch-size", "64", "--nproc", "2")
    assert result.returncode == 0, result.stderr
    # 10000 / 2 processes = 5000 each, 78 full batches of 64 (drop_last in the config)
    assert "6 epochs x 78 steps = 468 steps" in result.stdout
    result = cli(
        "show",
        "-c",
        REC,
        "--steps-per-epoch",
        "100",
        "-o",
        "Global.epoch_num=3",
        "Optimizer.lr.warmup_epoch=1",
    )
    assert "3 epochs x 100 steps = 300 steps" in result.stdout
    assert "warm-up: 100 steps = 1 epochs" in result.stdout


def png(path):
    with Image.open(path) as image:
        image.load()
        return image.size, len(np.unique(np.asarray(image.convert("L"))))


def test_plot_several_configs_to_png_and_svg(tmp_path):
    out = tmp_path / "schedules.png"
    result = cli(
        "plot",
        "-c",
        os.path.join(LR, "cosine.yml"),
        "-c",
        os.path.join(LR, "one_cycle.yml"),
        "-c",
        os.path.join(LR, "piecewise.yml"),
        "-O",
        str(out),
        "--epochs",
        "60",
        "--steps-per-epoch",
        "50",
        "--size",
        "640x360",
        "--log-y",
    )
    assert result.returncode == 0, result.stderr
    assert "cosine (Cosine, 3,000 steps); one_cycle (OneCycle" in result.stdout
    size, shades = png(out)
    assert size == (640, 360) and shades > 20
    svg = tmp_path / "cos.svg"
    result = cli(
        "plot",
        "--lr",
        "{name: Cosine, learning_rate: 0.001, warmup_epoch: 5}",
        "--epochs",
        "100",
        "--steps-per-epoch",
        "500",
        "-O",
        str(svg),
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in svg.read_text()[:1000]


def test_plot_a_million_steps_with_the_python_api(tmp_path):
    from ppocr_lr import preview

    p = preview.load(os.path.join(LR, "noisy_linear_cosine.yml"), epochs=500, steps_per_epoch=2000)
    path = preview.plot([p], str(tmp_path / "million.png"), size=(800, 400))
    size, shades = png(path)
    assert size == (800, 400) and shades > 20
    assert p.schedule.total_steps == 1_000_000


def test_check_lists_every_problem_with_its_path(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("""
Global: {epoch_num: 100}
Optimizer:
  name: Adam
  weight_deacy: 1.0e-4
  clip_norm: 10
  clip_norm_global: 5
  lr: {name: Cosine, learning_rate: 5.0-05, warmup_epochs: 5}
  regularizer: {name: L3, factor: 1.0e-5}
""")
    result = cli("check", "-c", str(bad), "-c", REC)
    assert result.returncode == 1
    out = result.stdout
    assert f"{bad}: 5 problems" in out and f"{REC}: ok" in out
    for text in (
        "Optimizer.lr.learning_rate: '5.0-05' is not a number",
        "Optimizer.lr.warmup_epochs: unknown key (did you mean 'warmup_epoch'?)",
        "Optimizer.regularizer.name: got 'L3'",
        "Optimizer.weight_deacy: unknown key (did you mean 'weight_decay'?)",
        "Optimizer.clip_norm_global: set together with Optimizer.clip_norm",
    ):
        assert text in out, text
    assert cli("check", "-c", REC).returncode == 0
    for block, says in (
        ({"name": "Adamm", "lr": {"learning_rate": 0.1}}, "did you mean 'Adam'"),
        ({"function": "ppocr.optimizer,AdamDecay", "base_lr": 0.001}, "PaddleOCR 1.x"),
        (
            {
                "name": "Adam",
                "lr": {
                    "name": "Cosine",
                    "learning_rate": 0.1,
                    "warmup_epoch": 1,
                    "warmup_steps": 3,
                },
            },
            "Keep one of them",
        ),
        ({"name": "Momentum", "lr": {"learning_rate": 0.1}}, "Optimizer.momentum: missing"),
    ):
        path = tmp_path / "one.yml"
        path.write_text(yaml.safe_dump({"Global": {"epoch_num": 10}, "Optimizer": block}))
        result = cli("check", "-c", str(path))
        assert result.returncode == 1 and says in result.stdout, result.stdout


def test_errors_are_one_line_and_a_non_zero_exit(tmp_path):
    assert_clean_error(
        cli("show", "-c", str(tmp_path / "missing.yml"), "--epochs", "3", "--steps-per-epoch", "3"),
        "does not exist",
    )
    broken = tmp_path / "broken.yml"
    broken.write_text("lr: {name: Cosine, learning_rate: [0.1\n")
    assert_clean_error(
        cli("show", "-c", str(broken), "--epochs", "3", "--steps-per-epoch", "3"),
        "not valid YAML (line",
    )
    assert_clean_error(
        cli(
            "show",
            "--lr",
            "{name: Cosin, learning_rate: 0.1}",
            "--epochs",
            "3",
            "--steps-per-epoch",
            "3",
        ),
        "did you mean 'Cosine'",
    )
    assert_clean_error(  # label files that are not here: named, with the flags to pass
        cli("show", "-c", os.path.join(ROOT, "configs", "rec", "rec_simple_dataset.yml")),
        "the steps per epoch are unknown: the label files of Train.dataset.label_file_list "
        "are not here (./data/synth_train/label.txt, from",
        "--steps-per-epoch",
    )
    assert_clean_error(
        cli("show", "--lr", "{learning_rate: 0.1}", "--steps-per-epoch", "3"),
        "the number of epochs is unknown",
        "--epochs",
    )
    assert_clean_error(
        cli(
            "plot",
            "--lr",
            "{learning_rate: 0.1}",
            "--epochs",
            "3",
            "--steps-per-epoch",
            "3",
            "--output",
            str(tmp_path / "x.jpg"),
        ),
        ".png or .svg",
    )
    assert_clean_error(
        cli("show", "-c", REC, "--steps-per-epoch", "3", "-o", "Optimizer.lr.warmup_epochs=1"),
        "did you mean 'warmup_epoch'",
    )
    result = cli("show", "--steps-per-epoch", "zero")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_module_and_tools_script(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ppocr_lr", "list"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0 and "OneCycle" in result.stdout
    out = tmp_path / "from_tools.png"
    result = subprocess.run(
        [sys.executable, "tools/plot_lr.py", "-c", REC, "--steps-per-epoch", "250", "-O", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert png(out)[0] == (900, 500)


def test_gallery_script_writes_every_figure(tmp_path):
    result = subprocess.run(
        [sys.executable, "tools/make_gallery.py", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert set(names) >= {
        "polynomial.png",
        "exponential.png",
        "cosine.png",
        "linear_cosine.png",
        "piecewise.png",
        "one_cycle.png",
        "warmup_end.png",
    }
    committed = sorted(os.listdir(os.path.join(ROOT, "docs", "gallery")))
    assert names == committed  # the README's gallery is what the script makes
    for name in names:
        size, shades = png(tmp_path / name)
        assert size == (900, 450) and shades > 20, name
