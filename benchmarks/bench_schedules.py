"""What rate, what schedule: a measured study on the default recognizer and two tasks held
out from every choice.

Three recognition tasks, each a config under ``configs/rec`` whose lr block is its
baseline, the optimizer and schedule of the closest public PaddleOCR config:

* ``default``: ``configs/rec/rec_synth_ctc_paddleocr.yml`` (CRNN, Adam; PaddleOCR's rec
  configs' Cosine at 0.002), 1,500 iterations;
* ``hard_text`` (held out): ``configs/rec/study/hard_text_paddleocr.yml``, lines of 8-16
  characters from a case-sensitive set with twice the noise (baseline: PP-OCRv3's English
  recognizer, Adam with Cosine at 0.001), 800 iterations;
* ``sgd_wide`` (held out): ``configs/rec/study/sgd_wide_paddleocr.yml``, Momentum SGD with
  weight decay and a wider CRNN (baseline: PaddleOCR's Momentum recognizer, CAN, with
  TwoStepCosine at 0.01), 1,000 iterations.

For each task the range test (``tools/find_lr.py``, its default ``floor`` rule) suggests a
rate.  On the default task only, every shape runs at that rate; the recipe is the shape
that reaches the baseline's final accuracy soonest, *sustained* (the first evaluation from
which the accuracy stays at or above it), among those that end at or above it.  The held-out
tasks then run the baseline and the recipe unchanged, at their own range test's rate.

Every run evaluates the whole held-out set every 50 iterations, on 2 seeds.  Writes
``docs/schedule_study.md``, ``docs/schedule_study.json`` (per task, schedule and seed) and
``docs/figures/schedule_study.png``.  Finished runs are kept under ``--runs`` and not run
again, so an interrupted study continues where it stopped.

    python benchmarks/bench_schedules.py              # the whole study (2 runs at a time)
    python benchmarks/bench_schedules.py --report     # the documents from the runs on disk
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = (2024, 2025)
EVAL_EVERY = 50
# the recipe reaches the baseline's final accuracy in at most this share of its iterations
TARGET_SHARE = 0.6
WARMUP = {"warmup_epoch": 0.5}


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    config: str  # relative to ROOT; its lr block is the baseline
    baseline_source: str  # the public PaddleOCR config the baseline comes from
    held_out: bool


TASKS = (
    Task(
        "default",
        "Default recognizer (CRNN, Adam, 0-9a-z, 1-8 characters), 1,500 iterations",
        "configs/rec/rec_synth_ctc_paddleocr.yml",
        "PaddleOCR's rec configs (Cosine at 0.002)",
        False,
    ),
    Task(
        "hard_text",
        "Harder text (8-16 characters, 0-9a-zA-Z, twice the noise), 800 iterations",
        "configs/rec/study/hard_text_paddleocr.yml",
        "configs/rec/PP-OCRv3/en_PP-OCRv3_rec.yml (Adam, Cosine at 0.001)",
        True,
    ),
    Task(
        "sgd_wide",
        "Momentum SGD with weight decay, wider CRNN, 1,000 iterations",
        "configs/rec/study/sgd_wide_paddleocr.yml",
        "configs/rec/rec_d28_can.yml (Momentum 0.9, TwoStepCosine at 0.01, weight_decay 1e-4)",
        True,
    ),
)

# Each shape as a function of its peak rate (in the order the study runs them).
SHAPES = {
    "Cosine": lambda r: {"name": "Cosine", "learning_rate": r, **WARMUP},
    "WarmupStableDecay": lambda r: {
        "name": "WarmupStableDecay",
        "learning_rate": r,
        "decay_ratio": 0.2,
        "decay_type": "1-sqrt",
        **WARMUP,
    },
    "OneCycle": lambda r: {"name": "OneCycle", "max_lr": r},
    "Linear": lambda r: {"name": "Linear", "learning_rate": r, **WARMUP},
    "Piecewise": lambda r: {
        "name": "Piecewise",
        "decay_epochs": [3, 5],
        "values": [r, r / 10, r / 100],
        **WARMUP,
    },
    "CosineCycles": lambda r: {
        "name": "CosineCycles",
        "learning_rate": r,
        "cycle_epochs": 2,
        "cycle_limit": 3,
        "cycle_decay": 0.5,
        **WARMUP,
    },
    # hears the held-out accuracy every 50 iterations: 3 reports = 150 iterations of patience
    "ReduceOnPlateau": lambda r: {
        "name": "ReduceOnPlateau",
        "learning_rate": r,
        "mode": "max",
        "patience": 3,
        "factor": 0.5,
        **WARMUP,
    },
}


def config_of(task: Task) -> dict:
    with open(os.path.join(ROOT, task.config)) as f:
        return yaml.safe_load(f)


def flow(block: dict) -> str:
    return yaml.safe_dump(block, default_flow_style=True, width=1000).strip()


def shown(block: dict) -> str:
    """``flow`` for the document: numbers to 12 significant digits (0.0195 / 10 is
    0.0019500000000000001 as a float)."""

    def tidy(value):
        if isinstance(value, float):
            return float(f"{value:.12g}")
        if isinstance(value, list):
            return [tidy(v) for v in value]
        return value

    return flow({k: tidy(v) for k, v in block.items()})


def run_dir(runs: str, task: Task, key: str, seed: int) -> str:
    return os.path.join(runs, task.key, key, f"seed{seed}")


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
    return {
        "steps": [r["global_step"] for r in evals],
        "acc": [r["acc"] for r in evals],
        "summary": summary[-1],
    }


class Progress:
    """Which run of how many the study is on, with an ETA from the runs finished so far
    (two at a time: the mean run time x the runs left / the jobs)."""

    def __init__(self, jobs: int):
        self.jobs, self.total, self.done, self.seconds = jobs, 0, 0, []
        self.lock = threading.Lock()

    def plan(self, runs: int) -> None:
        with self.lock:
            self.total += runs

    def finished(self, label: str, seconds: float | None) -> None:
        """One run done: ``seconds`` it took, or None for a run reused from disk."""
        with self.lock:
            self.done += 1
            if seconds is not None:
                self.seconds.append(seconds)
            left = self.total - self.done
            took = "reused (finished before)" if seconds is None else f"{seconds:.0f}s"
            eta = ""
            if self.seconds and left:
                minutes = np.mean(self.seconds) * left / self.jobs / 60
                eta = f"; {left} left, about {minutes:.0f} min"
            print(f"[{self.done}/{self.total}] {label}: {took}{eta}", flush=True)


PROGRESS = Progress(jobs=2)


def train(runs: str, task: Task, key: str, block: dict, seed: int) -> dict:
    out = run_dir(runs, task, key, seed)
    done = read_run(out)
    if done is not None:
        PROGRESS.finished(f"{task.key} {key} seed {seed}", None)
        return done
    os.makedirs(out, exist_ok=True)
    command = [
        sys.executable,
        os.path.join(ROOT, "tools", "train.py"),
        "-c",
        task.config,
        "-o",
        f"Global.save_model_dir={out}",
        f"Global.seed={seed}",
        f"Global.eval_batch_step=[0,{EVAL_EVERY}]",
        "Global.print_batch_step=250",
        "Global.cal_metric_during_train=false",
        f"Optimizer.lr={flow(block)}",
    ]
    started = time.time()
    with open(os.path.join(out, "stdout.log"), "w") as log:
        subprocess.run(
            command,
            check=True,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=ROOT),
        )
    PROGRESS.finished(f"{task.key} {key} seed {seed}", time.time() - started)
    return read_run(out)


def range_test_rate(runs: str, task: Task, run: bool = True) -> tuple[float, dict]:
    """The range test's suggestion for the task (run once, then read from disk)."""
    out = os.path.join(runs, task.key, "range_test")
    result_file = os.path.join(out, "lr_range_test.json")
    if not os.path.exists(result_file) and not run:
        sys.exit(f"error: {result_file} does not exist: run the study first")
    if not os.path.exists(result_file):
        os.makedirs(out, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                os.path.join(ROOT, "tools", "find_lr.py"),
                "-c",
                task.config,
                "-o",
                f"Global.save_model_dir={out}",
            ],
            check=True,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=ROOT),
        )
    with open(result_file) as f:
        result = json.load(f)
    return float(f"{result['suggestion']:.3g}"), result


def reaching(run: dict, threshold: float, sustained: bool) -> float:
    """The first evaluated iteration at or above ``threshold`` (inf if none); with
    ``sustained``, the first from which every later evaluation stays at or above it."""
    steps, accs = run["steps"], run["acc"]
    if sustained:
        for i in range(len(accs)):
            if all(a >= threshold for a in accs[i:]):
                return steps[i]
        return float("inf")
    return next((s for s, a in zip(steps, accs) if a >= threshold), float("inf"))


def measures(run: dict, baseline: dict) -> dict:
    """One run's row of ``schedule_study.json``; ``baseline``: the same seed's baseline."""
    target = baseline["summary"]["final_acc"]

    def both(threshold):
        return {
            "sustained": reaching(run, threshold, True),
            "first_touch": reaching(run, threshold, False),
        }

    return {
        "final_acc": run["summary"]["final_acc"],
        "final_norm_edit_dis": run["summary"]["final_norm_edit_dis"],
        "baseline_final_acc": target,
        "to_baseline_final": both(target),
        "to_90": both(0.90),
        "to_95": both(0.95),
        "seconds": run["summary"]["seconds"],
    }


def entries(task: Task, range_rate: float, recipe: str | None) -> list[tuple[str, str, dict]]:
    """``(key, label, lr block)`` of a task's entries: the baseline, then every shape at the
    range test's rate (the default task) or the recipe's shape alone (a held-out task)."""
    baseline = config_of(task)["Optimizer"]["lr"]
    rate = baseline.get("learning_rate")
    rows = [("baseline", f"{baseline['name']} {rate:g} (PaddleOCR's, the baseline)", baseline)]
    shapes = [recipe] if task.held_out else list(SHAPES)
    return rows + [
        (shape, f"{shape} {range_rate:g}", SHAPES[shape](range_rate)) for shape in shapes if shape
    ]


def table(rows, results) -> list[str]:
    """Every entry's measures: the mean over the seeds, each seed's in brackets."""
    lines = [
        "| schedule | lr block | final word acc | iterations to the baseline's final "
        "acc, sustained (first touch) | to 95%, sustained (first touch) | to 90%, "
        "sustained |",
        "|---|---|---|---|---|---|",
    ]
    for key, label, block in rows:
        m = results[key]
        lines.append(
            f"| {label} | `{shown(block)}` | {percent([r['final_acc'] for r in m])} "
            f"| {reach_cell(m, 'to_baseline_final')} | {reach_cell(m, 'to_95')} | "
            f"{steps_cell([r['to_90']['sustained'] for r in m])} |"
        )
    return lines


def percent(values) -> str:
    return (
        f"{100 * np.mean(values):.1f}% ({', '.join(f'{100 * v:.1f}' for v in values)}; "
        f"spread {100 * (max(values) - min(values)):.1f})"
    )


def steps_cell(values) -> str:
    if any(np.isinf(v) for v in values):
        return "never (" + ", ".join("never" if np.isinf(v) else f"{v:.0f}" for v in values) + ")"
    return f"{np.mean(values):.0f} ({', '.join(f'{v:.0f}' for v in values)})"


def reach_cell(measured, key) -> str:
    return (
        f"{steps_cell([r[key]['sustained'] for r in measured])} "
        f"({steps_cell([r[key]['first_touch'] for r in measured])})"
    )


def verdict(measured_recipe, measured_baseline) -> tuple[bool, str]:
    """The target on every seed: the baseline's final accuracy reached, sustained, in at
    most TARGET_SHARE of the baseline's iterations to it, and a final at or above it."""
    shares = [
        r["to_baseline_final"]["sustained"] / b["to_baseline_final"]["sustained"]
        for r, b in zip(measured_recipe, measured_baseline)
    ]
    above = [r["final_acc"] >= r["baseline_final_acc"] for r in measured_recipe]
    met = all(s <= TARGET_SHARE for s in shares) and all(above)
    shown_shares = ", ".join("never" if np.isinf(s) else f"{100 * s:.0f}%" for s in shares)
    return met, (
        f"the baseline's final accuracy, sustained, in {shown_shares} of the "
        f"baseline's iterations (target: at most {100 * TARGET_SHARE:.0f}% on every "
        f"seed); final accuracy {'at or above' if all(above) else 'below'} the "
        f"baseline's on {'every seed' if all(above) else 'some seed'}: "
        f"**{'met' if met else 'not met'}**"
    )


def choose_recipe(measured: dict, rows) -> str:
    """On the default task: the shape that reaches the baseline's final accuracy soonest,
    sustained (mean over the seeds; never counts as never), among those that end at or above
    it on every seed (all of them when none does); ties go to the higher final accuracy."""
    shapes = [key for key, _, _ in rows if key != "baseline"]
    ending_above = [
        s for s in shapes if all(r["final_acc"] >= r["baseline_final_acc"] for r in measured[s])
    ]

    def rank(shape):
        m = measured[shape]
        return (
            np.mean([r["to_baseline_final"]["sustained"] for r in m]),
            -np.mean([r["final_acc"] for r in m]),
        )

    return min(ending_above or shapes, key=rank)


# Every shape's line, the same in every panel: the baseline black, thick, with dots; the
# recipe red; the others each their own colour and dash (none black or red).
OTHER_STYLES = [
    {"color": "tab:blue", "ls": "--"},
    {"color": "tab:green", "ls": "-."},
    {"color": "tab:purple", "ls": ":"},
    {"color": "tab:orange", "ls": "--"},
    {"color": "tab:brown", "ls": "-."},
    {"color": "tab:cyan", "ls": ":"},
    {"color": "tab:olive", "ls": "--"},
]


def line_style(key: str, recipe: str | None, others: list) -> dict:
    """The style of ``key``'s line (``others``: the shapes seen so far, in order)."""
    if key == "baseline":
        return {"lw": 3.0, "color": "black", "ls": "-", "marker": "o", "markersize": 3.5}
    if key == recipe:
        return {"lw": 2.2, "color": "tab:red", "ls": "-"}
    if key not in others:
        others.append(key)
    return {"lw": 1.3, **OTHER_STYLES[others.index(key) % len(OTHER_STYLES)]}


def figure(study: dict, path: str):
    """A panel per task (the one the recipe was chosen on, then each held-out one): the
    mean held-out accuracy against the iteration (band: every seed), one legend for all
    panels below them."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2 * len(study), 5.4), layout="constrained")
    axes = fig.subplots(1, len(study), squeeze=False)[0]
    handles, others = {}, []
    for ax, (task, part) in zip(axes, study.items()):
        for key, label, _ in part["rows"]:
            runs = part["runs"][key]
            steps = np.array(runs[0]["steps"])
            accs = np.array([r["acc"][: len(steps)] for r in runs])
            style = line_style(key, part["recipe"], others)
            (line,) = ax.plot(steps, accs.mean(axis=0), **style)
            ax.fill_between(
                steps, accs.min(axis=0), accs.max(axis=0), alpha=0.12, color=style["color"]
            )
            name = label.split(" (")[0].rsplit(" ", 1)[0]  # the shape, without its rate
            if key == "baseline":
                name = "baseline: the closest PaddleOCR config's schedule"
            elif key == part["recipe"]:
                name = f"{name} (the recipe)"
            handles.setdefault(key, (line, name))
        top = max(np.max(r["acc"]) for runs in part["runs"].values() for r in runs)
        lowest_final = min(r["acc"][-1] for runs in part["runs"].values() for r in runs)
        ax.set_ylim(max(0.0, min(top - 0.3, lowest_final - 0.1)), min(1.0, top + 0.02))
        ax.set_title(
            ("held out: " if part["task"].held_out else "chosen on: ")
            + f"{part['task'].key} (range test {part['rate']:.3g})",
            fontsize=10,
        )
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"held-out word accuracy (mean of {len(SEEDS)} seeds; band: each)")
    fig.legend(
        [line for line, _ in handles.values()],
        [name for _, name in handles.values()],
        loc="outside lower center",
        ncols=min(len(handles), 4),
        fontsize=8,
        frameon=False,
    )
    fig.suptitle("Accuracy against iteration, every shape at the range test's rate", fontsize=10)
    fig.savefig(path, dpi=90)
    return fig


def report(study: dict, recipe: str, out: str, figure_path: str) -> str:
    lines = [
        "# Schedule study: what rate, what schedule",
        "",
        "Written by `python benchmarks/bench_schedules.py` (rerun it to measure again; "
        "finished runs are reused, `--fresh` starts over). The numbers behind every "
        "table are in [schedule_study.json](schedule_study.json).",
        "",
        f"Each task trains its config with only `Optimizer.lr` changed, on seeds "
        f"{' and '.join(map(str, SEEDS))} (`Global.seed`: the initial weights and the "
        f"order of the batches), evaluating its whole held-out set every {EVAL_EVERY} "
        "iterations. The range test (`tools/find_lr.py`, rule `floor`) suggests a rate "
        "for each task. **The rule of the range test and the recipe's shape were chosen "
        "on the default task alone**; the other two tasks were then run unchanged and "
        'are held out. "Sustained" counts the first evaluation from which the accuracy '
        'stays at or above the level; "first touch" the first that reaches it. '
        "Values are the mean over the seeds, each seed's in brackets. CPU arithmetic "
        "differs between machines: another machine's figures can differ by a few "
        "tenths of a point.",
        "",
        f"![accuracy against iteration](figures/{os.path.basename(figure_path)})",
        "",
    ]
    for part in study.values():
        task = part["task"]
        lines += [
            f"## {'Held out' if task.held_out else 'Chosen on'}: {task.title}",
            "",
            f"`{task.config}`; baseline from {task.baseline_source}. Range test: "
            f"{part['rate']:g} ({part['range_result']['describe']}).",
            "",
        ]
        lines += table(part["rows"], part["measured"])
        met, says = verdict(part["measured"][recipe], part["measured"]["baseline"])
        lines += ["", f"Recipe ({recipe} at {part['rate']:g}): {says}.", ""]
    lines.append(study_time(study))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return "\n".join(lines)


def summary_json(study: dict, recipe: str, path: str) -> None:
    data = {
        "seeds": list(SEEDS),
        "eval_every": EVAL_EVERY,
        "recipe": recipe,
        "target_share": TARGET_SHARE,
        "tasks": {},
    }
    for task_key, part in study.items():
        data["tasks"][task_key] = {
            "config": part["task"].config,
            "held_out": part["task"].held_out,
            "baseline_source": part["task"].baseline_source,
            "range_test_rate": part["rate"],
            "verdict_met": verdict(part["measured"][recipe], part["measured"]["baseline"])[0],
            "schedules": {
                key: {
                    "label": label,
                    "lr": block,
                    "seeds": dict(zip(map(str, SEEDS), part["measured"][key])),
                    # the evaluations themselves, so the figure can be drawn again
                    "curves": {
                        str(seed): {"steps": run["steps"], "acc": run["acc"]}
                        for seed, run in zip(SEEDS, part["runs"][key])
                    },
                }
                for key, label, block in part["rows"]
            },
        }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, default=lambda v: None)
        f.write("\n")


def readme_verdicts(text: str) -> list:
    """The README's lines of the study: each task's recipe verdict (the tables are in
    docs/schedule_study.md)."""
    lines, heading = [], ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:]
        elif line.startswith("Recipe ("):
            lines.append(f"* **{heading}**: {line}")
    return lines


def update_readme(
    lines: list,
    path: str = os.path.join(ROOT, "README.md"),
    start: str = "<!-- study:start -->",
    end: str = "<!-- study:end -->",
) -> None:
    """Put the verdicts between the README's study markers."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


def study_time(study: dict) -> str:
    """What the runs cost, from their own summaries (a resumed study counts each run once)."""
    seconds = [
        r["summary"]["seconds"]
        for part in study.values()
        for runs in part["runs"].values()
        for r in runs
    ]
    return (
        f"Each run took {min(seconds) / 60:.0f} to {max(seconds) / 60:.0f} minutes, two "
        f"at a time on a 2-core machine: the {len(seconds)} runs are "
        f"{sum(seconds) / 2 / 60:.0f} minutes of wall time, plus about a minute per task "
        "for the range test."
    )


def main(argv=None) -> int:
    global SEEDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        default=os.path.join(ROOT, "output", "schedule_study"),
        help="where the runs are kept (reused when finished)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (2)")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(SEEDS),
        help="Global.seed of the runs (2024 2025)",
    )
    parser.add_argument(
        "--report", action="store_true", help="only write the documents from the runs on disk"
    )
    parser.add_argument("--fresh", action="store_true", help="run everything again")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "schedule_study.md"))
    args = parser.parse_args(argv)
    SEEDS = tuple(args.seeds)
    if args.fresh and os.path.isdir(args.runs):
        import shutil

        shutil.rmtree(args.runs)
    figures = os.path.join(os.path.dirname(args.out), "figures")
    os.makedirs(figures, exist_ok=True)
    study = {}
    PROGRESS.jobs = args.jobs
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rates = {t.key: pool.submit(range_test_rate, args.runs, t, not args.report) for t in TASKS}

        def submit(task, rows):
            return {
                key: [
                    pool.submit(read_run, run_dir(args.runs, task, key, s))
                    if args.report
                    else pool.submit(train, args.runs, task, key, block, s)
                    for s in SEEDS
                ]
                for key, _, block in rows
            }

        # the default task's every shape and the held-out baselines first; the held-out
        # recipes once the default task has chosen the recipe
        for task in TASKS:
            rate, result = rates[task.key].result()
            print(f"{task.key}: range test {rate:g}", flush=True)
            rows = entries(task, rate, None)
            if not args.report:  # a held-out task's recipe runs come once it is chosen
                PROGRESS.plan(len(SEEDS) * (len(rows) + (1 if task.held_out else 0)))
            study[task.key] = {
                "task": task,
                "rate": rate,
                "rows": rows,
                "range_result": dict(result, describe=describe(result)),
                "futures": submit(task, rows),
            }
        default = study["default"]
        default["runs"] = {k: [f.result() for f in fs] for k, fs in default["futures"].items()}
        for part in study.values():
            if part["task"].held_out:
                part["runs"] = {"baseline": [f.result() for f in part["futures"]["baseline"]]}
        measure_all(default)
        recipe = choose_recipe(default["measured"], default["rows"])
        print(f"recipe: {recipe}", flush=True)
        for part in study.values():
            if part["task"].held_out:
                part["rows"] = entries(part["task"], part["rate"], recipe)
                futures = submit(part["task"], part["rows"][1:])
                part["runs"].update({k: [f.result() for f in fs] for k, fs in futures.items()})
                measure_all(part)
    if any(r is None for part in study.values() for runs in part["runs"].values() for r in runs):
        sys.exit("error: some runs have not finished; run the study without --report")
    figure_path = os.path.join(figures, "schedule_study.png")
    for part in study.values():
        part["recipe"] = recipe
    figure(study, figure_path)
    summary_json(study, recipe, os.path.splitext(args.out)[0] + ".json")
    text = report(study, recipe, args.out, figure_path)
    update_readme(readme_verdicts(text))
    print(text)
    print(f"\nwrote {args.out}, {os.path.splitext(args.out)[0]}.json and the figure {figure_path}")
    return 0


def measure_all(part: dict) -> None:
    baseline = part["runs"]["baseline"]
    part["measured"] = {
        key: [measures(run, base) for run, base in zip(runs, baseline)]
        for key, runs in part["runs"].items()
    }


def describe(result: dict) -> str:
    """The range test's features in a few words, from its JSON."""
    edge = result.get("edge_lr")
    return f"descent ends at {result['descent_end_lr']:.3g}, edge of divergence at " + (
        f"{edge:.3g}" if edge is not None else "beyond the ramp"
    )


if __name__ == "__main__":
    sys.exit(main())
