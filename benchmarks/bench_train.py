"""Training speed of tools/train.py with the default recognizer, on 1 and 2 processes.

For each process count, trains one epoch of the default config (configs/rec/
rec_synth_ctc.yml, fewer lines) and reads the run's summary: seconds per training step,
the share of a step spent in the scheduler (``lr.step()`` plus the optimizer reading the
learning rate; target: under 0.1%), and samples per second over all processes.

    python benchmarks/bench_train.py                 # 1 and 2 processes
    python benchmarks/bench_train.py --samples 1600  # shorter
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")


def run(processes: int, samples: int, out: str) -> dict:
    overrides = [
        f"Global.save_model_dir={out}",
        "Global.epoch_num=1",
        f"Train.dataset.num_samples={samples}",
        "Eval.dataset.num_samples=250",
        "Global.eval_batch_step=[0,100000]",
        "Global.print_batch_step=10",
    ]
    command = [
        sys.executable,
        os.path.join(ROOT, "tools", "train.py"),
        "-c",
        CONFIG,
        "-o",
        *overrides,
    ]
    if processes > 1:
        command = [
            sys.executable,
            "-m",
            "paddle.distributed.launch",
            "--nproc_per_node",
            str(processes),
            "--log_dir",
            os.path.join(out, "launch"),
            *command[1:],
        ]
    subprocess.run(
        command,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    with open(os.path.join(out, "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f]
    summary = [r for r in records if r["kind"] == "summary"][-1]
    steps = sum(r["kind"] == "step" for r in records)
    return {"processes": processes, "steps": steps, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=6400, help="training lines")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    batch = 64
    print("| processes | steps | ms per step | scheduler share of a step | samples/s (all) |")
    print("|---|---|---|---|---|")
    for n in args.processes:
        with tempfile.TemporaryDirectory() as out:
            r = run(n, args.samples, out)
        print(
            f"| {n} | {r['steps']} | {r['step_seconds'] * 1e3:.1f} | "
            f"{r['scheduler_share'] * 100:.4f}% | {batch * n / r['step_seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
