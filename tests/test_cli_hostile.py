"""The ppocr-lr command against hostile input, in process (fast): every error is one
``ppocr-lr: error: ...`` line and exit status 2, never a traceback; and what show, plot and
check print for the inputs that used to break them."""

import glob
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ALIAS_BOMB_YAML, DEEP_YAML
from ppocr_lr import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REC = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "configs", "lr", "*.yml")))


def run(capsys, *argv):
    """``(exit status, stdout, stderr)`` of ``ppocr-lr argv`` in this process."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as stop:  # argparse's own exits (--help, argument errors)
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(result, *says):
    status, out, err = result
    assert status == 2, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppocr-lr: error: "), err
    for text in says:
        assert text in lines[0], lines[0]


def write(tmp_path, text, name="c.yml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


LR = "{name: Cosine, learning_rate: 0.001}"


@pytest.mark.parametrize(
    "text, says",
    [
        (DEEP_YAML, "nests too deeply"),
        (ALIAS_BOMB_YAML, "expands to more than 1,000,000 values"),
        ("Global: 5\nOptimizer: {lr: {learning_rate: 0.1}}\n", "Global: got 5; expected a block"),
        ("Global: {epoch_num: 3}\nOptimizer: 5\n", "Optimizer: got 5; expected a block"),
        ("Global: {epoch_num: 3}\nOptimizer: {lr: 7}\n", "Optimizer.lr"),
        ("lr: {name: Cosine, learning_rate: 0.1, learning_rate: 0.2}\n", "written twice"),
        ("Global: {epoch_num: 1.0e12}\nOptimizer: {lr: {learning_rate: 0.1}}\n", None),
        ("Global: {epoch_num: 1.0e20}\nOptimizer: {lr: {learning_rate: 0.1}}\n", "2**"),
        ("lr: {name: MultiStepDecay, learning_rate: 0.1, milestones: 500, gamma: 0.5}\n", None),
    ],
)
def test_hostile_files_for_show_and_plot(capsys, tmp_path, text, says):
    path = write(tmp_path, text)
    for argv in (
        ["show", "-c", path, "--epochs", "1000", "--steps-per-epoch", "3"]
        if "lr:" in text.split("\n")[0]
        else ["show", "-c", path, "--steps-per-epoch", "3"],
    ):
        result = run(capsys, *argv)
        if says is None:
            assert result[0] == 0, result
        else:
            assert_one_error_line(result, says)


def test_a_section_that_is_a_scalar_for_the_dataset_size(capsys, tmp_path):
    path = write(
        tmp_path,
        "Global: {epoch_num: 3}\nOptimizer: {lr: {learning_rate: 0.1}}\nTrain: {loader: 5}\n",
    )
    assert_one_error_line(
        run(capsys, "show", "-c", path, "--dataset-size", "100"),
        "Train.loader: got 5; expected a block",
    )


def test_a_scalar_milestone_is_shown_as_written(capsys, tmp_path):
    path = write(
        tmp_path, "lr: {name: MultiStepDecay, learning_rate: 0.1, milestones: '500', gamma: 0.5}\n"
    )
    status, out, _ = run(capsys, "show", "-c", path, "--epochs", "100", "--steps-per-epoch", "3")
    assert status == 0
    assert "Optimizer.lr.milestones[0] = 500 is past the end of the run" in out


@pytest.mark.slow
def test_a_huge_run_is_previewed_on_a_sample(capsys, tmp_path):
    path = write(
        tmp_path,
        "Global: {epoch_num: 1.0e12}\nOptimizer: {lr: {name: Cosine, learning_rate: 0.1}}\n",
    )
    status, out, _ = run(capsys, "show", "-c", path, "--steps-per-epoch", "1")
    assert status == 0 and "sampled steps" in out and "1,000,000,000,000 steps" in out
    status, out, err = run(
        capsys, "plot", "-c", path, "--steps-per-epoch", "1", "-O", tmp_path / "huge.png"
    )
    assert status == 0 and os.path.getsize(tmp_path / "huge.png") > 1000, err


@pytest.mark.parametrize(
    "overrides, says",
    [
        (["Optimizer.lr.eta_min=0", "Optimizer.lr=5"], "Optimizer.lr: "),
        (["=3"], "-o '=3': expected Key.sub=value"),
        (["Optimizer..lr=3"], "expected Key.sub=value"),
        (["Optimizer.lr.warmup_epochs=1"], "did you mean 'warmup_epoch'"),
        (["Nothing.here=1"], "Nothing is not a block of the config"),
    ],
)
def test_bad_overrides(capsys, overrides, says):
    assert_one_error_line(
        run(capsys, "show", "-c", REC, "--steps-per-epoch", "3", "-o", *overrides), says
    )


def test_dollars_in_titles_and_file_names(capsys, tmp_path):
    path = write(tmp_path, f"lr: {LR}\n", name="cost_$5.yml")
    status, _, err = run(
        capsys,
        "plot",
        "-c",
        path,
        "--epochs",
        "3",
        "--steps-per-epoch",
        "4",
        "--title",
        "$x_1$ and $ alone",
        "-O",
        tmp_path / "a$b.png",
    )
    assert status == 0 and os.path.getsize(tmp_path / "a$b.png") > 1000, err


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            [
                "plot",
                "--lr",
                LR,
                "--epochs",
                "2",
                "--steps-per-epoch",
                "2",
                "--size",
                "30000x30000",
            ],
            "100 to 8000 pixels",
        ),
        (
            ["plot", "--lr", LR, "--epochs", "2", "--steps-per-epoch", "2", "--size", "9x"],
            "WIDTHxHEIGHT",
        ),
        (["show", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
        (["show", "--epochs", "0", "--lr", LR], "expected a whole number >= 1"),
        (
            ["show", "--lr", "{unclosed", "--epochs", "2", "--steps-per-epoch", "2"],
            "not valid YAML",
        ),
        (["show", "-c", "/nonexistent.yml", "--steps-per-epoch", "2"], "does not exist"),
        (
            [
                "plot",
                "--lr",
                LR,
                "--epochs",
                "2",
                "--steps-per-epoch",
                "2",
                "-O",
                "/proc/no/such/dir/x.png",
            ],
            "cannot write /proc/no/such/dir/x.png",
        ),
    ],
)
def test_argument_and_output_errors_are_one_line(capsys, argv, says):
    assert_one_error_line(run(capsys, *argv), says)


def test_o_is_always_an_override_and_the_figure_goes_to_output(capsys, tmp_path):
    result = run(
        capsys,
        "plot",
        "--lr",
        LR,
        "--epochs",
        "2",
        "--steps-per-epoch",
        "2",
        "-o",
        str(tmp_path / "x.png"),
    )
    assert_one_error_line(result, "expected Key.sub=value")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_every_shipped_example_checks_clean_with_its_intended_run(capsys, path):
    """The examples are written for the gallery's run: 100 epochs of 100 steps."""
    status, out, err = run(
        capsys, "check", "-c", path, "--epochs", "100", "--steps-per-epoch", "100"
    )
    lines = out.strip().splitlines()
    assert status == 0 and lines[0].split(": ", 1)[1].startswith("ok"), out + err
    # what show warns about the run, as show does: only PaddleOCR's decay past the end
    assert all(" - warning: the decay runs " in line for line in lines[1:]), out


def test_check_without_a_run_length_for_an_lr_block_says_so(capsys):
    status, out, _ = run(capsys, "check", "-c", EXAMPLES[0])
    assert status == 1 and "the run length in epochs is unknown: pass --epochs" in out


def test_show_labels_overrides_prints_yaml_booleans_and_real_boundary_steps(capsys):
    status, out, _ = run(
        capsys,
        "show",
        "-c",
        os.path.join(ROOT, "configs", "lr", "piecewise.yml"),
        "--epochs",
        "60",
        "--steps-per-epoch",
        "1200",
        "-o",
        "lr.warmup_epoch=2",
    )
    assert status == 0
    assert "[20, 40] epochs = [24000, 48000] steps after the warm-up (steps [26400, 50400])" in out
    assert "warmup_epoch" in out and "[override]" in out
    assert "decay_ends_at_last_step  false" in out and "False" not in out


def test_list_has_no_markup_and_survives_a_closed_pipe():
    result = subprocess.run(
        f"{sys.executable} -m ppocr_lr list | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.stdout.startswith("Const: ")
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr


def test_list_text_is_plain(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0 and "``" not in out and ":class:" not in out and "honour" in out


WORDS = [
    "show",
    "plot",
    "check",
    "list",
    "-c",
    REC,
    EXAMPLES[3],
    "--lr",
    LR,
    "{",
    "5",
    "--epochs",
    "--steps-per-epoch",
    "--dataset-size",
    "--batch-size",
    "--nproc",
    "-o",
    "-O",
    "--size",
    "--title",
    "--log-y",
    "0",
    "-1",
    "3",
    "1e400",
    "x.png",
    "Optimizer.lr=3",
    "Global.epoch_num=2",
    "=",
    "Optimizer.lr.name=Nope",
    "900x500",
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(WORDS), max_size=9))
def test_any_command_line_exits_cleanly(capsys, tmp_path, argv):
    argv = [str(tmp_path / w) if w == "x.png" else w for w in argv]
    status, out, err = run(capsys, *argv)
    assert status in (0, 1, 2), (argv, status)
    assert "Traceback" not in err
    if status == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("ppocr-lr: error: "), (
            argv,
            err,
        )


def test_a_valid_one_cycle_whose_shortened_twin_would_not_fit_previews(capsys, tmp_path):
    block = "{name: OneCycle, max_lr: 0.01, three_phase: true, warmup_epoch: 1}"
    for command in ("show", "plot"):
        status, out, err = run(
            capsys,
            command,
            "--lr",
            block,
            "--epochs",
            "2",
            "--steps-per-epoch",
            "3",
            *(["-O", tmp_path / "o.png"] if command == "plot" else []),
        )
        assert status == 0, err


def test_seeds_above_2_to_the_53_stay_distinct():
    import ppocr_lr

    a, b = (
        ppocr_lr.build_lr_scheduler(
            {"name": "NoisyLinearCosine", "learning_rate": 0.1, "seed": seed}, 10, 10
        )
        for seed in (2**60, 2**60 + 1)
    )
    assert a.lr_at(5) != b.lr_at(5)
    assert a.config["seed"] == 2**60 and b.config["seed"] == 2**60 + 1
