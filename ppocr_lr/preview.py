"""Look at a schedule before training with it: resolve, report, plot, check.

The Python side of the ``ppocr-lr`` command::

    from ppocr_lr import preview
    p = preview.load("configs/rec/rec_synth_ctc.yml", steps_per_epoch=1200)
    print(preview.report(p))
    preview.plot([p], "schedule.png")
    problems = preview.check(preview.read_source("my_rec.yml").config)

A source is a whole PaddleOCR config (its ``Global.epoch_num`` and ``Optimizer.lr``), a
file holding only an ``lr`` block (``lr: {...}`` or the block itself), or an inline block.
A PaddleOCR config has no ``step_each_epoch`` (the trainer counts the loader's batches):
give ``steps_per_epoch``, or ``dataset_size`` with ``batch_size`` (and ``nproc``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np

from . import config as yaml_config
from . import messages
from .errors import ConfigTypeError, ConfigValueError
from .optimizer import resolve_optimizer
from .params import EpochBoundaries, Epochs, StepBoundaries, Steps
from .registry import build_lr_scheduler, scheduler_class
from .scheduler import LRSchedule

NOMINAL_STEPS_PER_EPOCH = 1000  # what `check` uses when the run length does not matter


@dataclass
class Source:
    """Where a schedule comes from: its lr block, and the whole config when there is one."""

    label: str
    lr_block: dict
    config: Optional[dict] = None
    epochs: Optional[int] = None  # Global.epoch_num, when the config has it


@dataclass
class Preview:
    """A resolved schedule and what a user should know about it."""

    label: str
    schedule: LRSchedule
    block: dict = field(default_factory=dict)  # the lr block as written
    run_sources: dict = field(default_factory=dict)  # epochs / step_each_epoch -> origin
    warnings: list = field(default_factory=list)


def read_source(path: Optional[str] = None, inline: Optional[str] = None,
                overrides: Iterable[str] = (), label: Optional[str] = None) -> Source:
    """Read ``path`` (a whole config or an lr block) or an ``inline`` YAML block; ``label``
    names it in reports and legends (default: the file's name, or ``--lr``)."""
    if (path is None) == (inline is None):
        raise ConfigValueError("", "give a config file or an inline --lr block (one of them)")
    document = (yaml_config.load_yaml(path) if path is not None
                else yaml_config.parse_inline(inline))
    label = label or (os.path.splitext(os.path.basename(path))[0] if path else "--lr")
    where = path or "--lr"
    if not isinstance(document, dict):
        raise ConfigValueError("", f"{where}: expected a config or an lr block (a mapping), "
                               f"got {document!r}")
    document = dict(document)
    yaml_config.apply_overrides(document, overrides)
    if "Optimizer" in document or "Global" in document:
        optimizer = document.get("Optimizer")
        if not isinstance(optimizer, dict) or not isinstance(optimizer.get("lr"), dict):
            raise ConfigValueError("Optimizer.lr", f"{where}: missing; expected the "
                                   "learning-rate block under Optimizer")
        epochs = (document.get("Global") or {}).get("epoch_num")
        return Source(label, optimizer["lr"], document, epochs)
    block = document["lr"] if isinstance(document.get("lr"), dict) else document
    return Source(label, block)


def run_length(source: Source, epochs: Optional[int] = None,
               steps_per_epoch: Optional[int] = None, dataset_size: Optional[int] = None,
               batch_size: Optional[int] = None, nproc: int = 1) -> tuple[int, int, dict]:
    """``(epochs, step_each_epoch, origins)`` from the flags and the config."""
    origins = {}
    if epochs is not None:
        origins["epochs"] = "--epochs"
    elif source.epochs is not None:
        epochs, origins["epochs"] = source.epochs, "Global.epoch_num"
    else:
        raise ConfigValueError("", f"{source.label}: the number of epochs is unknown: an lr "
                               "block has no Global.epoch_num, so pass --epochs")
    if steps_per_epoch is not None:
        origins["step_each_epoch"] = "--steps-per-epoch"
    elif dataset_size is not None:
        loader = ((source.config or {}).get("Train") or {}).get("loader") or {}
        batch = batch_size or loader.get("batch_size_per_card")
        if not batch:
            raise ConfigValueError("", "--dataset-size needs --batch-size (or the config's "
                                   "Train.loader.batch_size_per_card)")
        drop_last = loader.get("drop_last", True)
        per_rank = math.ceil(dataset_size / nproc)
        steps_per_epoch = per_rank // batch if drop_last else math.ceil(per_rank / batch)
        origins["step_each_epoch"] = (f"--dataset-size {dataset_size} / {nproc} process(es) / "
                                      f"batch {batch}{' (drop_last)' if drop_last else ''}")
    else:
        raise ConfigValueError("", f"{source.label}: the steps per epoch are unknown: a "
                               "config has no step_each_epoch (the trainer counts the "
                               "loader's batches); pass --steps-per-epoch, or --dataset-size "
                               "with --batch-size")
    return epochs, steps_per_epoch, origins


def build(source: Source, epochs: int, steps_per_epoch: int, origins: dict) -> Preview:
    """Build the schedule, collecting its warnings and what the run says about it."""
    with messages.collecting() as found:
        schedule = build_lr_scheduler(source.lr_block, epochs, steps_per_epoch)
    return Preview(source.label, schedule, dict(source.lr_block), origins,
                   [str(n) for n in found] + _findings(schedule, source.lr_block))


def load(path: Optional[str] = None, inline: Optional[str] = None, *,
         epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None,
         dataset_size: Optional[int] = None, batch_size: Optional[int] = None, nproc: int = 1,
         overrides: Iterable[str] = (), label: Optional[str] = None) -> Preview:
    """:func:`read_source`, :func:`run_length` and :func:`build` in one call."""
    source = read_source(path, inline, overrides, label)
    return build(source, *run_length(source, epochs, steps_per_epoch, dataset_size,
                                     batch_size, nproc))


def _written(s: LRSchedule):
    """``(param, key, kind, value)`` for every key the block wrote, value in steps."""
    for p in type(s).all_params():
        key = s.keys_written.get(p.name)
        if key is not None and s.config[p.name] is not None:
            yield p, key, p.kind_for(key), s.config[p.name]


def _findings(s: LRSchedule, block: dict) -> list[str]:
    """What the numbers say: changes past the end, a decay that misses its end."""
    total, w, spe = s.total_steps, s.warmup_steps, s.run.step_each_epoch
    notes = []
    for p, key, kind, value in _written(s):
        if p.name in ("warmup_steps", "last_epoch"):
            continue
        if isinstance(kind, (EpochBoundaries, StepBoundaries)):
            for i, b in enumerate(value):
                if w + b > total:
                    notes.append(f"{s.path}.{key}[{i}] = {block[key][i]} is past the end of "
                                 f"the run (step {w + b:,} of {total:,}): it never takes effect")
        elif isinstance(kind, (Epochs, Steps)) and value and w + value > total:
            notes.append(f"{s.path}.{key} = {block[key]} ({value:,} steps) is longer than the "
                         f"run after the warm-up ({total - w:,} steps)")
    if w and not s.config["decay_ends_at_last_step"] and w < total:
        twin = build_lr_scheduler(dict(block, decay_ends_at_last_step=True), s.run.epochs, spe)
        last, fitted = s.lr_at(total), twin.lr_at(total)
        if not math.isclose(last, fitted, rel_tol=1e-6, abs_tol=1e-15):
            notes.append(f"the decay runs {w:,} steps past the end of the run (PaddleOCR's "
                         f"warm-up does not shorten it): the last step's learning rate is "
                         f"{last:.6g}, not {fitted:.6g}; decay_ends_at_last_step: true ends "
                         "the decay on the last step")
    return notes


# ------------------------------------------------------------------ text


def epoch_rows(p: Preview, most: int = 24) -> list[int]:
    """The epochs worth a row: all of a short run; otherwise the start, the warm-up's end,
    every boundary, an even spread and the last epoch."""
    s = p.schedule
    epochs, spe = s.run.epochs, s.run.step_each_epoch
    if epochs + 1 <= most:
        return list(range(epochs + 1))
    rows = set(np.linspace(0, epochs, most - 4).round().astype(int).tolist())
    rows.add(math.ceil(s.warmup_steps / spe))
    for _, _, kind, value in _written(s):
        if isinstance(kind, (EpochBoundaries, StepBoundaries)):
            rows |= {math.ceil((s.warmup_steps + b) / spe) for b in value}
    return sorted(r for r in rows if 0 <= r <= epochs)


def report(p: Preview) -> str:
    """The ``ppocr-lr show`` text for one schedule."""
    s = p.schedule
    total, spe, w = s.total_steps, s.run.step_each_epoch, s.warmup_steps
    values = s.lr_array(np.arange(total + 1))
    lines = [f"{p.label}: {s.name} ({type(s).__module__}.{type(s).__name__})",
             f"  run: {s.run.epochs} epochs x {spe:,} steps = {total:,} steps "
             f"(epochs: {p.run_sources.get('epochs', 'given')}; steps per epoch: "
             f"{p.run_sources.get('step_each_epoch', 'given')})"]
    if w:
        start = s.config[type(s).warmup_start_key]
        lines.append(f"  warm-up: {w:,} steps = {w / spe:g} epochs, {start:g} -> "
                     f"{s.peak_lr:g}")
    else:
        lines.append("  warm-up: none")
    lines.append("  parameters:")
    for param in type(s).all_params():
        key = s.keys_written.get(param.name, param.name)
        value, kind = s.config[param.name], param.kind_for(key)
        shown = "-" if value is None else _show(value)
        if value is not None and (param.kind.unit == "steps"
                                  or isinstance(param.kind, (Epochs, EpochBoundaries))):
            shown += " steps"
            if kind.unit == "epochs" and s.sources[param.name] == "config":
                shown = f"{_show(p.block[key])} epochs = {shown}"  # as written, then in steps
        origin = s.sources[param.name]
        if param.name in s.ignored:  # written, but PaddleOCR does not read it
            key, written = s.ignored[param.name]
            origin += f"; {_show(written)} written, ignored as in PaddleOCR"
        lines.append(f"    {key:<24} {shown:<16} [{origin}]")
    for name, value in (("epochs", s.run.epochs), ("step_each_epoch", spe)):
        lines.append(f"    {name:<24} {value:<16} [trainer: {p.run_sources.get(name)}]")
    lines.append(f"  learning rate: max {values.max():.6g} (step {int(values.argmax()):,}), "
                 f"min {values.min():.6g} (step {int(values.argmin()):,}), final "
                 f"{values[-1]:.6g} (step {total:,})")
    lines.append(f"  {'epoch':>7} {'step':>12} {'lr':>14}")
    for epoch in epoch_rows(p):
        step = epoch * spe
        lines.append(f"  {epoch:>7} {step:>12,} {values[step]:>14.6g}")
    lines.append("  warnings:" if p.warnings else "  warnings: none")
    lines += [f"    - {note}" for note in p.warnings]
    return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def list_schedules() -> str:
    """The ``ppocr-lr list`` text: every YAML name, its keys, defaults and units."""
    from .registry import available_schedulers
    from .scheduler import WARMUP_PARAMS
    out = []
    for name in available_schedulers():
        cls = scheduler_class(name)
        summary = (cls.__doc__ or "").strip().split("\n\n")[0].replace("``", "")
        out.append(f"{name}: {' '.join(summary.split())}")
        for p in cls.params:
            out.append(f"    {_describe(p, cls)}")
        if cls.overrides:
            out.append("    (warm-up defaults here: " + ", ".join(
                f"{k} = {v}" for k, v in cls.overrides.items()) + ")")
    out.append("")
    out.append("Every name also takes the warm-up keys:")
    out += [f"    {_describe(p, None)}" for p in WARMUP_PARAMS]
    return "\n".join(out)


def _describe(p, cls) -> str:
    keys = " | ".join(p.keys)
    if p.required:
        default = "required"
    elif p.default is None:
        default = "whole run" if p.aliases and p.kind.unit == "steps" else "-"
    else:
        default = _show(p.default)
    kinds = [(p.name, p.kind), *p.aliases.items()]
    kind = "; ".join(f"{k}: {v.describe()}" for k, v in kinds) if p.aliases else \
        p.kind.describe()
    return f"{keys:<38} {default:<10} {kind}" + (f" -- {p.doc}" if p.doc else "")


# ------------------------------------------------------------------ plot


DRAWN_POINTS = 4000  # per curve; longer runs are drawn as per-bucket min/max envelopes


def _drawable(steps: np.ndarray, values: np.ndarray):
    if steps.size <= 2 * DRAWN_POINTS:
        return steps, values
    buckets = np.array_split(np.arange(steps.size), DRAWN_POINTS)
    xs, ys = [], []
    for b in buckets:
        chunk = values[b[0]:b[-1] + 1]
        lo, hi = int(chunk.argmin()), int(chunk.argmax())
        for i in sorted({lo, hi}):
            xs.append(steps[b[0] + i])
            ys.append(chunk[i])
    return np.array(xs), np.array(ys)


def plot(previews: Sequence[Preview], path: str, log_y: bool = False,
         size: tuple[int, int] = (900, 500), title: Optional[str] = None) -> str:
    """Draw the schedules on one figure (x in epochs, steps on the top axis, warm-up
    shaded) and save it as PNG or SVG (by ``path``'s extension)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    extension = os.path.splitext(path)[1].lower()
    if extension not in (".png", ".svg"):
        raise ConfigValueError("", f"{path}: the figure must be a .png or .svg file")
    width, height = size
    if width < 100 or height < 100:
        raise ConfigValueError("", f"--size {width}x{height}: expected at least 100x100 pixels")
    dpi = 100
    fig, ax = plt.subplots(figsize=(width / dpi, height / dpi), dpi=dpi)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, p in enumerate(previews):
        s, colour = p.schedule, colours[i % len(colours)]
        spe = s.run.step_each_epoch
        steps = np.arange(s.total_steps + 1)
        x, y = _drawable(steps, s.lr_array(steps))
        ax.plot(x / spe, y, color=colour, lw=1.6, label=f"{p.label} ({s.name})")
        if s.warmup_steps:
            ax.axvspan(0, s.warmup_steps / spe, color=colour, alpha=0.12, lw=0)
    first = previews[0].schedule
    spe0 = first.run.step_each_epoch
    top = ax.secondary_xaxis("top", functions=(lambda e: e * spe0, lambda n: n / spe0))
    top.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))  # 200k, 1M
    same = all(p.schedule.run == first.run for p in previews)
    top.set_xlabel("step" if same else f"step ({previews[0].label})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title is None:
        title = (f"{first.run.epochs} epochs x {spe0:,} steps = {first.total_steps:,} steps"
                 if same else "; ".join(f"{p.label}: {p.schedule.run.epochs} x "
                                        f"{p.schedule.run.step_each_epoch:,}" for p in previews))
    ax.set_title(title + ("  (shaded: warm-up)" if any(p.schedule.warmup_steps
                                                         for p in previews) else ""),
                 fontsize="medium", pad=10)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


# ------------------------------------------------------------------ check


def check(config: dict, steps_per_epoch: Optional[int] = None) -> list[str]:
    """Every problem of a config's ``Optimizer`` block (lr, optimizer, regularizer,
    clipping), each with its YAML path; an empty list when it is clean.  No model is built."""
    problems: list[str] = []
    if not isinstance(config, dict):
        return [f"expected a config mapping, got {config!r}"]
    if "Optimizer" not in config:
        if "lr" in config or "name" in config or "learning_rate" in config:
            config = {"Optimizer": {"lr": config.get("lr", config)}}
            lr_only = True
        else:
            return ["Optimizer: missing; expected the Optimizer block of a PaddleOCR config"]
    else:
        lr_only = False
    epochs = (config.get("Global") or {}).get("epoch_num", 1 if lr_only else None)
    if epochs is None:
        problems.append("Global.epoch_num: missing (the run length in epochs)")
        epochs = 1
    spe = steps_per_epoch or NOMINAL_STEPS_PER_EPOCH
    optimizer = config["Optimizer"]

    def attempt(action):
        with messages.collecting() as found:
            try:
                action()
            except (ConfigValueError, ConfigTypeError) as err:
                problems.append(str(err))
        problems.extend(str(n) for n in found)

    if not isinstance(optimizer, dict):
        return problems + [f"Optimizer: got {optimizer!r}; expected a mapping"]
    if "lr" in optimizer:
        attempt(lambda: build_lr_scheduler(optimizer["lr"], epochs, spe))
    if not lr_only:  # the rest of the block, with a stand-in lr so each problem shows once
        stand_in = dict(optimizer, lr={"learning_rate": 1.0}) if "lr" in optimizer else optimizer
        attempt(lambda: resolve_optimizer(stand_in, epochs, spe))
        # the regularizer is read before the clipping keys: check those without it too
        if "regularizer" in stand_in:
            rest = {k: v for k, v in stand_in.items() if k != "regularizer"}
            attempt(lambda: resolve_optimizer(rest, epochs, spe))
    return list(dict.fromkeys(problems))  # each problem once, in the order found
