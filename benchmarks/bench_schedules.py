"""Which schedule trains the default recognizer fastest: a measured study.

Trains the recognizer of ``configs/rec/rec_synth_ctc.yml`` (1,500 iterations: 6 epochs of
250 batches of 64) once per schedule and seed, with only ``Optimizer.lr`` changed,
evaluating the whole held-out set (1,000 lines) every 50 iterations:

* the baseline: PaddleOCR's Cosine at 0.002 with half an epoch of warm-up, the lr block of
  ``configs/rec/rec_synth_ctc_paddleocr.yml`` (the shipped default before this study);
* the range test (``tools/find_lr.py``, run first) suggests a rate; at that rate, each of
  Cosine, Linear, Piecewise, OneCycle, WarmupStableDecay, CosineCycles and
  ReduceOnPlateau.

Cosine at the suggested rate against the default measures what the rate does; the shapes
at the suggested rate against each other measure what the shape does at the rate a user of
the range test would train with.  The recipe is the one of them that reaches 95% soonest.

Writes ``docs/schedule_study.md`` (the table and the verdict) and
``docs/figures/schedule_study.png``.  Runs that finished are kept under ``--runs`` and
not run again, so an interrupted study continues where it stopped.

    python benchmarks/bench_schedules.py              # the whole study (2 runs at a time)
    python benchmarks/bench_schedules.py --report     # the document from the runs on disk
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc.yml")
BASELINE = os.path.join(ROOT, "configs", "rec", "rec_synth_ctc_paddleocr.yml")
SEEDS = (2024, 2025)
EVAL_EVERY = 50
THRESHOLDS = (0.90, 0.95)
TARGET_SHARE = 0.6  # the recipe reaches 95% in at most this share of the default's iterations
WARMUP = {"warmup_epoch": 0.5}

# Each shape as a function of its peak rate (in the order the study runs them).
SHAPES = {
    "Cosine": lambda r: {"name": "Cosine", "learning_rate": r, **WARMUP},
    "WarmupStableDecay": lambda r: {"name": "WarmupStableDecay", "learning_rate": r,
                                    "decay_ratio": 0.2, "decay_type": "1-sqrt", **WARMUP},
    "OneCycle": lambda r: {"name": "OneCycle", "max_lr": r},
    "Linear": lambda r: {"name": "Linear", "learning_rate": r, **WARMUP},
    "Piecewise": lambda r: {"name": "Piecewise", "decay_epochs": [3, 5],
                            "values": [r, r / 10, r / 100], **WARMUP},
    "CosineCycles": lambda r: {"name": "CosineCycles", "learning_rate": r, "cycle_epochs": 2,
                               "cycle_limit": 3, "cycle_decay": 0.5, **WARMUP},
    # hears the held-out accuracy every 50 iterations: 3 reports = 150 iterations of patience
    "ReduceOnPlateau": lambda r: {"name": "ReduceOnPlateau", "learning_rate": r,
                                  "mode": "max", "patience": 3, "factor": 0.5, **WARMUP},
}


def baseline_rate() -> float:
    with open(BASELINE) as f:
        return float(yaml.safe_load(f)["Optimizer"]["lr"]["learning_rate"])


def flow(block: dict) -> str:
    return yaml.safe_dump(block, default_flow_style=True, width=1000).strip()


def shown(block: dict) -> str:
    """``flow`` for the document: numbers to 12 significant digits (0.0161 / 10 is
    0.0016099999999999999 as a float)."""
    def tidy(value):
        if isinstance(value, float):
            return float(f"{value:.12g}")
        if isinstance(value, list):
            return [tidy(v) for v in value]
        return value

    return flow({k: tidy(v) for k, v in block.items()})


def run_dir(runs: str, key: str, seed: int) -> str:
    return os.path.join(runs, key, f"seed{seed}")


def read_run(path: str) -> dict | None:
    """The evaluations and the summary of a finished run, else None."""
    metrics = os.path.join(path, "metrics.jsonl")
    if not os.path.exists(metrics):
        return None
    with open(metrics) as f:
        records = [json.loads(line) for line in f if line.strip()]
    summary = [r for r in records if r.get("kind") == "summary"]
    if not summary:
        return None
    evals = [r for r in records if r.get("kind") == "eval"]
    return {"steps": [r["global_step"] for r in evals], "acc": [r["acc"] for r in evals],
            "summary": summary[-1]}


def train(runs: str, key: str, block: dict, seed: int) -> dict:
    out = run_dir(runs, key, seed)
    done = read_run(out)
    if done is not None:
        return done
    os.makedirs(out, exist_ok=True)
    command = [sys.executable, os.path.join(ROOT, "tools", "train.py"), "-c", CONFIG, "-o",
               f"Global.save_model_dir={out}", f"Global.seed={seed}",
               f"Global.eval_batch_step=[0,{EVAL_EVERY}]", "Global.print_batch_step=250",
               "Global.cal_metric_during_train=false", f"Optimizer.lr={flow(block)}"]
    started = time.time()
    with open(os.path.join(out, "stdout.log"), "w") as log:
        subprocess.run(command, check=True, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    print(f"  {key} seed {seed}: {time.time() - started:.0f}s", flush=True)
    return read_run(out)


def range_test_rate(runs: str, run: bool = True) -> tuple[float, dict]:
    """The range test's suggestion for the config (run once, then read from disk)."""
    out = os.path.join(runs, "range_test")
    result_file = os.path.join(out, "lr_range_test.json")
    if not os.path.exists(result_file) and not run:
        sys.exit(f"error: {result_file} does not exist: run the study first")
    if not os.path.exists(result_file):
        os.makedirs(out, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "find_lr.py"), "-c",
                        CONFIG, "-o", f"Global.save_model_dir={out}"], check=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    with open(result_file) as f:
        result = json.load(f)
    return float(f"{result['suggestion']:.3g}"), result


def first_reaching(run: dict, threshold: float) -> float:
    """The first evaluated iteration at or above ``threshold`` (inf if none)."""
    for step, acc in zip(run["steps"], run["acc"]):
        if acc >= threshold:
            return step
    return float("inf")


def entries(rate: float, range_rate: float, readings: dict) -> list[tuple[str, str, dict]]:
    """``(key, label, lr block)`` of every entry of the study; ``readings``: other rules
    of the range test -> their rates, each run with Cosine."""
    rows = [("default", f"Cosine {rate:g} (PaddleOCR's, the baseline)",
             SHAPES["Cosine"](rate))]
    rows += [(shape, f"{shape} {range_rate:g}", make(range_rate))
             for shape, make in SHAPES.items()]
    rows += [(f"Cosine_{rule.replace('/', '')}", f"Cosine {r:g} (range test, {rule})",
              SHAPES["Cosine"](r)) for rule, r in readings.items()]
    return rows


def best_entry(results: dict, rows) -> str | None:
    """The entry at the range test's rate that reached 95% soonest on average (a seed that
    never did counts as never); ties go to the higher final accuracy."""
    def rank(row):
        runs = results[row[0]]
        reach = np.mean([first_reaching(r, 0.95) for r in runs])
        return (reach, -np.mean([r["summary"]["final_acc"] for r in runs]))

    candidates = [row for row in rows
                  if row[0] != "default" and not row[0].startswith("Cosine_")]
    return min(candidates, key=rank)[0] if candidates else None


def spread(values) -> str:
    values = [v for v in values]
    if any(np.isinf(v) for v in values):
        shown = ", ".join("not reached" if np.isinf(v) else f"{v:.0f}" for v in values)
        return f"- ({shown})"
    mean = np.mean(values)
    return f"{mean:.4g} ({', '.join(f'{v:.4g}' for v in values)})"


def percent(values) -> str:
    return (f"{100 * np.mean(values):.1f}% ({', '.join(f'{100 * v:.1f}' for v in values)}; "
            f"spread {100 * (max(values) - min(values)):.1f})")


def figure(results: dict, rows, path: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.8))
    axes = fig.subplots(1, 2)
    for i, (key, label, _) in enumerate(rows):
        runs = results[key]
        steps = np.array(runs[0]["steps"])
        accs = np.array([r["acc"][:len(steps)] for r in runs])
        style = {"lw": 2.4, "color": "black"} if key == "default" else {
            "lw": 1.4, "color": f"C{i % 10}"}
        for ax in axes:
            ax.plot(steps, accs.mean(axis=0), label=label, **style)
            ax.fill_between(steps, accs.min(axis=0), accs.max(axis=0), alpha=0.15,
                            color=style["color"])
    axes[0].set_ylim(0, 1.0)
    axes[1].set_ylim(0.85, 1.0)
    axes[1].set_title("zoom: 85% and above", fontsize=9)
    for ax in axes:
        ax.axhline(0.95, color="0.5", ls=":", lw=1)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"held-out word accuracy (mean of {len(SEEDS)} seeds; band: all)")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Default recognizer, 1,500 iterations: accuracy against iteration, "
                 "per schedule", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def report(results: dict, rows, rate: float, range_rate: float, range_result: dict,
           recipe: str, out: str, figure_path: str) -> str:
    lines = ["# Schedule study: the default recognizer, 1,500 iterations", "",
             "Written by `python benchmarks/bench_schedules.py` (rerun it to measure again; "
             "finished runs are reused, `--fresh` starts over).", "",
             f"Every run is the recognizer of `configs/rec/rec_synth_ctc.yml` (CRNN, Adam, "
             f"batch 64, 6 epochs of 250 iterations) with only `Optimizer.lr` changed, seeds "
             f"{' and '.join(map(str, SEEDS))} (`Global.seed`: the initial weights and the "
             f"order of the batches), "
             f"the whole held-out set (1,000 lines) evaluated every {EVAL_EVERY} iterations. "
             f"The range test (`tools/find_lr.py`, rule "
             f"`{range_result['settings']['rule']}`) suggests {range_rate:g}; every schedule "
             f"but the baseline (PaddleOCR's Cosine at {rate:g}, "
             f"`configs/rec/rec_synth_ctc_paddleocr.yml`) runs at that rate. "
             f"ReduceOnPlateau hears the held-out accuracy at every evaluation, so its "
             f"patience of 3 is 150 iterations. Values are the mean over the seeds, each "
             f"seed's in brackets.",
             "", f"![accuracy against iteration](figures/{os.path.basename(figure_path)})", "",
             "| schedule | lr block | final word acc | norm. edit dist | iterations to 90% "
             "| iterations to 95% |", "|---|---|---|---|---|---|"]
    for key, label, block in rows:
        runs = results[key]
        lines.append(
            f"| {label} | `{shown(block)}` | {percent([r['summary']['final_acc'] for r in runs])} "
            f"| {spread([r['summary']['final_norm_edit_dis'] for r in runs])} | "
            f"{spread([first_reaching(r, 0.90) for r in runs])} | "
            f"{spread([first_reaching(r, 0.95) for r in runs])} |")
    default = [first_reaching(r, 0.95) for r in results["default"]]
    mine = [first_reaching(r, 0.95) for r in results[recipe]]
    shares = [m / d for m, d in zip(mine, default)]
    met = all(s <= TARGET_SHARE for s in shares)
    label = dict((k, l) for k, l, _ in rows)[recipe]
    lines += ["", "## Verdict", "",
              f"The recipe is **{label}**: the rate from the range test with the shape that "
              f"reached 95% soonest at that rate. It reaches 95% at iteration "
              f"{', '.join(f'{m:g}' for m in mine)} (seeds {', '.join(map(str, SEEDS))}); the "
              f"baseline at {', '.join(f'{d:g}' for d in default)}: "
              f"{', '.join(f'{100 * s:.0f}%' for s in shares)} of the baseline's iterations "
              f"(target: at most {100 * TARGET_SHARE:.0f}% on every seed): "
              f"**{'met' if met else 'not met'}**.", "",
              study_time(results, rows)]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    table = [line for line in lines if line.startswith("|")]
    update_readme(table + ["", lines[lines.index("## Verdict") + 2]])
    return "\n".join(lines)


def update_readme(lines: list, path: str = os.path.join(ROOT, "README.md"),
                  start: str = "<!-- study:start -->", end: str = "<!-- study:end -->") -> None:
    """Put the table and the verdict between the README's study markers."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


def study_time(results: dict, rows) -> str:
    """What the runs cost, from their own summaries (an interrupted and resumed study
    counts each run once)."""
    seconds = [r["summary"]["seconds"] for key, _, _ in rows for r in results[key]]
    return (f"Each run took {min(seconds) / 60:.0f} to {max(seconds) / 60:.0f} minutes, two "
            f"at a time on this 2-core machine: the {len(seconds)} runs are "
            f"{sum(seconds) / 2 / 60:.0f} minutes of wall time, plus about 2 minutes for the "
            "range test.")


def main(argv=None) -> int:
    global SEEDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=os.path.join(ROOT, "output", "schedule_study"),
                        help="where the runs are kept (reused when finished)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (2)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS),
                        help="Global.seed of the runs (2024 2025; one seed halves the time)")
    parser.add_argument("--report", action="store_true",
                        help="only write the document from the runs on disk")
    parser.add_argument("--fresh", action="store_true", help="run everything again")
    parser.add_argument("--other-readings", nargs="*", default=[], metavar="RULE",
                        help="also run Cosine at these readings of the range test "
                             "(minimum/10, steepest)")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "schedule_study.md"))
    args = parser.parse_args(argv)
    SEEDS = tuple(args.seeds)
    if args.fresh and os.path.isdir(args.runs):
        import shutil
        shutil.rmtree(args.runs)
    figures = os.path.join(os.path.dirname(args.out), "figures")
    os.makedirs(figures, exist_ok=True)
    rate = baseline_rate()
    range_rate, range_result = range_test_rate(args.runs, run=not args.report)
    print(f"range test: {range_rate:g}", flush=True)
    readings = {rule: float(f"{range_result['readings'][rule]:.3g}")
                for rule in args.other_readings}
    rows = entries(rate, range_rate, readings)

    def run_all(todo):
        if args.report:
            return {key: [read_run(run_dir(args.runs, key, s)) for s in SEEDS]
                    for key, _, _ in todo}
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {(key, s): pool.submit(train, args.runs, key, block, s)
                       for key, _, block in todo for s in SEEDS}
            return {key: [futures[(key, s)].result() for s in SEEDS] for key, _, _ in todo}

    results = run_all(rows)
    if args.report:  # a study still running: the entries finished so far
        rows = [row for row in rows if all(results[row[0]])]
    recipe = best_entry(results, rows)
    if recipe is None or "default" not in [row[0] for row in rows]:
        sys.exit("error: the default and at least one entry at the range test's rate must "
                 "have finished")
    figure_path = os.path.join(figures, "schedule_study.png")
    figure(results, rows, figure_path)
    print(report(results, rows, rate, range_rate, range_result, recipe, args.out,
                 figure_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
