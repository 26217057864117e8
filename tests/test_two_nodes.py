"""Beyond one machine: Paddle's launcher with two nodes simulated here (``--nnodes 2``, the
master on 127.0.0.1, one process per node, CPU and gloo) gives PaddleOCR's trainer the
same schedule, batch scaling and evaluations' reports, and the range test the same curve
and suggestion, as two processes on one node."""

import json
import socket
import subprocess
import sys

import pytest

from test_paddleocr_trainer import STANDIN, standin_environment

pytestmark = [pytest.mark.slow, pytest.mark.distributed]

SCALED = ["Optimizer.lr.batch_scaling=linear", "Optimizer.lr.reference_batch_size=16"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(command, out, logs, nodes, overrides=()):
    """``command`` under the launcher: one node of two processes, or two nodes of one."""
    tail = [
        *command,
        "-c",
        "configs/tiny.yml",
        "-o",
        f"Global.save_model_dir={out}",
        *overrides,
        *SCALED,
    ]
    base = [sys.executable, "-m", "paddle.distributed.launch"]
    if nodes == 1:
        runs = [[*base, "--nproc_per_node", "2", "--log_dir", str(logs / "node0"), *tail]]
    else:
        master = f"127.0.0.1:{free_port()}"
        runs = [
            [
                *base,
                "--nnodes",
                "2",
                "--master",
                master,
                "--rank",
                str(rank),
                "--nproc_per_node",
                "1",
                "--log_dir",
                str(logs / f"node{rank}"),
                *tail,
            ]
            for rank in range(2)
        ]
    started = [
        subprocess.Popen(
            run,
            cwd=STANDIN,
            env=standin_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for run in runs
    ]
    outputs = [p.communicate(timeout=600)[0] for p in started]
    for p, output in zip(started, outputs):
        assert p.returncode == 0, output[-3000:]
    return (logs / "node0" / "workerlog.0").read_text()


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("plateau", [False, True])
def test_the_trainer_on_two_nodes_is_the_trainer_on_one(tmp_path, plateau):
    """With a plateau, rank 0's evaluations reach the other node's process too (the block
    is replaced first; the batch-scaling keys are then added to it)."""
    extra = (
        ["Optimizer.lr={name: ReduceOnPlateau, learning_rate: 0.01, patience: 0, threshold: 10.0}"]
        if plateau
        else []
    )
    traces = {}
    for nodes in (1, 2):
        out = tmp_path / f"out{nodes}"
        log = launch(["ppocr-lr", "train"], out, tmp_path / f"logs{nodes}", nodes, extra)
        assert "global batch 32, reference 16" in log  # both nodes' batches
        traces[nodes] = [lines(out / "lr_trace.jsonl"), lines(out / "lr_trace.rank1.jsonl")]
    if plateau:  # evaluations at 5 and 10 of 15 steps: one plateau, heard at step 11
        rates = [r["lr"] for r in traces[2][0]]
        assert rates[9] == pytest.approx(0.02, rel=1e-12)
        assert rates[10] == pytest.approx(0.002, rel=1e-12)
    for rank in range(2):
        assert [r["lr"] for r in traces[2][rank]] == [r["lr"] for r in traces[1][rank]]
    assert [r["lr"] for r in traces[2][0]] == [r["lr"] for r in traces[2][1]]


def test_the_range_test_on_two_nodes_is_the_range_test_on_one(tmp_path):
    curves, said = {}, {}
    for nodes in (1, 2):
        out = tmp_path / f"out{nodes}"
        log = launch(
            ["ppocr-lr", "find-lr", "--num-iters", "60", "--start-lr", "1e-5", "--end-lr", "100"],
            out,
            tmp_path / f"logs{nodes}",
            nodes,
        )
        with open(out / "lr_range_test.2proc.json") as f:  # 2 processes, on 1 node or 2
            curves[nodes] = json.load(f)
        said[nodes] = [line for line in log.splitlines() if line.startswith(("suggested", "paste"))]
        assert "(the block scales its rates x2 for this global batch of 32" in log
    assert curves[2]["loss"] == curves[1]["loss"] and curves[2]["lr"] == curves[1]["lr"]
    assert curves[2]["suggestion"] == curves[1]["suggestion"] is not None
    assert said[2] == said[1] and len(said[1]) == 2
