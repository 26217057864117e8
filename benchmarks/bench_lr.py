"""Speed of ppocr_lr schedules against the Paddle schedulers PaddleOCR would build.

Two measurements per example block (configs/lr/*.yml), side by side in one run:

1. ``step()``: seconds per call of a ppocr_lr schedule and of the Paddle composition
   for the same block (e.g. ``LinearWarmup(CosineAnnealingDecay)``), as a ratio
   (target: <= 1.0, ppocr_lr no slower).
2. a whole run's learning rates: ``lr_array`` over 1,000,000 steps against stepping the
   Paddle scheduler 1,000,000 times and reading its learning rate (target: >= 100x).
3. ``lr_array`` against the bare numpy expression of the same curve, written here (the
   limit on a given machine; target: within 1.5x), for the steps as an array and as a
   ``range``.

Usage::

    python benchmarks/bench_lr.py            # full run, prints a Markdown table
    python benchmarks/bench_lr.py --quick    # fewer steps, for a smoke test
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
import warnings

import numpy as np
import yaml

warnings.filterwarnings("ignore")  # Paddle's import notes and our ConfigWarnings
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ppocr_lr  # noqa: E402
from paddle.optimizer import lr as L  # noqa: E402

EPOCHS, SPE = 500, 2000  # a 1,000,000-step run


def paddle_counterpart(block: dict, epochs: int, spe: int):
    """The Paddle scheduler PaddleOCR builds for ``block`` (or, for the classic names, the
    Paddle built-in of the same family), or None where Paddle has none."""
    b = dict(block)
    name = b.get("name", "Const")
    total = epochs * spe
    lr0 = b.get("learning_rate")
    s = ppocr_lr.build_lr_scheduler(block, epochs, spe)
    decay_steps = s.config.get("decay_steps") or total
    builders = {
        "Const": lambda: L.LambdaDecay(lr0, lambda t: 1.0),
        "Linear": lambda: L.PolynomialDecay(lr0, total, b.get("end_lr", 0.0), b.get("power", 1.0)),
        "Cosine": lambda: L.CosineAnnealingDecay(lr0, total),
        "Step": lambda: L.StepDecay(lr0, b["step_size"] * spe, b["gamma"]),
        "Piecewise": lambda: L.PiecewiseDecay([e * spe for e in b["decay_epochs"]], b["values"]),
        "MultiStepDecay": lambda: L.MultiStepDecay(
            lr0, [m * spe for m in b["milestones"]], b["gamma"]
        ),
        "DecayLearningRate": lambda: L.PolynomialDecay(lr0, total, 0.0, b.get("factor", 0.9)),
        "CyclicalCosine": lambda: L.CosineAnnealingWarmRestarts(lr0, round(b["cycle"] * spe)),
        "OneCycle": lambda: L.OneCycleLR(b["max_lr"], total + 1),
        "TwoStepCosine": lambda: L.CosineAnnealingDecay(lr0, total),
        "LinearWarmupCosine": lambda: L.CosineAnnealingDecay(lr0, total, b.get("min_lr", 1e-8)),
        "Noam": lambda: L.NoamDecay(
            s.config["d_model"], s.config["warmup_steps"], s.config["learning_rate"]
        ),
        "Cyclic": lambda: L.CyclicLR(
            lr0,
            s.config["max_lr"],
            s.config["up_steps"],
            s.config["down_steps"],
            mode=s.config["mode"],
            exp_gamma=s.config["exp_gamma"],
        ),
        "Exponential": lambda: L.ExponentialDecay(lr0, min(b["decay_rate"], 0.999)),
        "NaturalExp": lambda: L.NaturalExpDecay(lr0, b["decay_rate"]),
        "InverseTime": lambda: L.InverseTimeDecay(lr0, b["decay_rate"]),
        "Polynomial": lambda: L.PolynomialDecay(
            lr0, decay_steps, b.get("end_lr", 1e-4), b.get("power", 1.0), b.get("cycle", False)
        ),
        "CosineDecay": lambda: L.CosineAnnealingDecay(lr0, decay_steps),
        "CosineRestarts": lambda: L.CosineAnnealingWarmRestarts(
            lr0, s.config.get("first_decay_steps") or total, int(b.get("t_mul", 2))
        ),
    }
    if name not in builders:
        return None
    inner = builders[name]()
    if s.warmup_steps and name != "LinearWarmupCosine":
        return L.LinearWarmup(inner, s.warmup_steps, 0.0, s.peak_lr)
    if name == "LinearWarmupCosine":
        return L.LinearWarmup(inner, s.warmup_steps, b.get("start_lr", 1e-5), lr0)
    return inner


def per_step_seconds(scheduler, n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        scheduler.step(0)
        step = scheduler.step
        start = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def whole_run_seconds(scheduler, n: int) -> float:
    scheduler.step(0)
    start = time.perf_counter()
    values = [scheduler.last_lr]
    for _ in range(n - 1):
        scheduler.step()
        values.append(scheduler())
    np.asarray(values)
    return time.perf_counter() - start


def bare_numpy(name: str, block: dict, t: np.ndarray) -> np.ndarray:
    """The curve of ``block`` over ``t`` as one numpy expression: PaddleOCR's warm-up from 0
    over ``W`` steps, then the decay on ``t - W`` (at its full length)."""
    lr0, w = block["learning_rate"], round(block.get("warmup_epoch", 0) * SPE)
    s = t - w
    decays = {
        "Const": lambda: np.full(t.shape, lr0),
        "Cosine": lambda: lr0 * 0.5 * (1 + np.cos(np.pi * s / (EPOCHS * SPE))),
        "Linear": lambda: (
            (lr0 - block["end_lr"])
            * (1 - np.minimum(s, EPOCHS * SPE) / (EPOCHS * SPE)) ** block["power"]
            + block["end_lr"]
        ),
        "Step": lambda: lr0 * block["gamma"] ** np.floor(s / (block["step_size"] * SPE)),
        "Exponential": lambda: lr0 * block["decay_rate"] ** (s / (block["decay_epochs"] * SPE)),
    }
    return np.where(t < w, lr0 * t / max(w, 1), decays[name]())


def best_of(repeats: int, run) -> float:
    best = float("inf")
    for _ in range(repeats):  # the first call also faults in fresh memory
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def against_numpy(n: int, repeats: int) -> None:
    print(f"\nlr_array against the bare numpy expression, {n:,} steps (best of {repeats}):\n")
    print("| example | bare numpy | lr_array (array) | ratio | lr_array (range) | ratio |")
    print("|---|---|---|---|---|---|")
    t = np.arange(n)
    for name in ("Const", "Cosine", "Linear", "Step", "Exponential"):
        path = os.path.join(ROOT, "configs", "lr", f"{name.lower()}.yml")
        with open(path) as f:
            block = yaml.safe_load(f)["lr"]
        s = ppocr_lr.build_lr_scheduler(block, EPOCHS, SPE)
        assert np.allclose(s.lr_array(t), bare_numpy(name, block, t), rtol=1e-9, atol=0)
        bare = best_of(repeats, lambda: bare_numpy(name, block, t))
        array = best_of(repeats, lambda: s.lr_array(t))
        ranged = best_of(repeats, lambda: s.lr_array(range(n)))
        print(
            f"| {os.path.basename(path)} | {bare * 1e3:.1f} ms | {array * 1e3:.1f} ms | "
            f"{array / bare:.2f} | {ranged * 1e3:.1f} ms | {ranged / bare:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (smoke test)")
    parser.add_argument("--steps", type=int, default=1_000_000, help="run length for lr_array")
    args = parser.parse_args()
    n_step = 20_000 if args.quick else 200_000
    n_run = 50_000 if args.quick else args.steps
    repeats = 3 if args.quick else 5
    rows = []
    for path in sorted(glob.glob(os.path.join(ROOT, "configs", "lr", "*.yml"))):
        with open(path) as f:
            block = yaml.safe_load(f)["lr"]
        ours = ppocr_lr.build_lr_scheduler(block, EPOCHS, SPE)
        theirs = paddle_counterpart(block, EPOCHS, SPE)
        t_ours = per_step_seconds(ours, n_step, repeats)
        steps = np.arange(n_run)
        t_array = float("inf")
        for _ in range(repeats):  # best of: the first call also faults in fresh memory
            start = time.perf_counter()
            ours.lr_array(steps)
            t_array = min(t_array, time.perf_counter() - start)
        if theirs is None:
            rows.append((os.path.basename(path), ours.name, "-", t_ours, None, None, t_array, None))
            continue
        t_theirs = per_step_seconds(theirs, n_step, repeats)
        t_loop = whole_run_seconds(theirs, n_run)
        rows.append(
            (
                os.path.basename(path),
                ours.name,
                type(theirs).__name__
                + (
                    f"({type(theirs.learning_rate).__name__})"
                    if isinstance(theirs, L.LinearWarmup)
                    else ""
                ),
                t_ours,
                t_theirs,
                t_ours / t_theirs,
                t_array,
                t_loop / t_array,
            )
        )
    print(
        f"step(): best of {repeats} x {n_step:,} calls; whole run: {n_run:,} steps "
        f"(lr_array: best of {repeats} calls; Paddle: one loop)\n"
    )
    print(
        "| example | ppocr_lr | Paddle composition | step() ppocr_lr | step() Paddle | "
        "ratio | lr_array run | Paddle loop / lr_array |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, ours, theirs, t_o, t_t, ratio, t_a, speedup in rows:
        print(
            f"| {name} | {ours} | {theirs} | {t_o * 1e6:.2f} us | "
            + (f"{t_t * 1e6:.2f} us | {ratio:.2f} |" if t_t else "- | - |")
            + f" {t_a * 1e3:.1f} ms | "
            + (f"{speedup:.0f}x |" if speedup else "- |")
        )
    against_numpy(n_run, repeats)


if __name__ == "__main__":
    main()
