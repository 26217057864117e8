"""The text of ``ppocr-lr show``: the schedule, every parameter with its value and where
it came from, the warm-up, the learning rate at each epoch worth a row, and the notices."""

from __future__ import annotations

import math

import numpy as np

from ..params import EpochBoundaries, Epochs, StepBoundaries
from .findings import written
from .resolve import Preview


def epoch_rows(p: Preview, most: int = 24) -> list[int]:
    """The epochs worth a row: all of a short run; otherwise the start, the warm-up's end,
    every boundary, an even spread and the last epoch."""
    s = p.schedule
    epochs, spe = s.run.epochs, s.run.step_each_epoch
    if epochs + 1 <= most:
        return list(range(epochs + 1))
    rows = set(np.linspace(0, epochs, most - 4).round().astype(int).tolist())
    rows.add(math.ceil(s.warmup_steps / spe))
    for _, _, kind, value in written(s):
        if isinstance(kind, (EpochBoundaries, StepBoundaries)):
            rows |= {math.ceil((s.warmup_steps + b) / spe) for b in value[:most]}
    return sorted(r for r in rows if 0 <= r <= epochs)


def show_value(value) -> str:
    """A value as YAML writes it: ``0.001``, ``false``, ``[20, 40]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)


def _parameter_rows(p: Preview) -> list[str]:
    s = p.schedule
    w = s.warmup_steps
    rows = []
    for param in type(s).all_params():
        key = s.keys_written.get(param.name, param.name)
        value, kind = s.config[param.name], param.kind_for(key)
        if key in s.scaled:  # the rate used: as written times the batch factor
            value = s.scaled[key][1]
        shown = "-" if value is None else show_value(value)
        if value is not None and (
            param.kind.unit == "steps" or isinstance(param.kind, (Epochs, EpochBoundaries))
        ):
            shown += " steps"
            if kind.unit == "epochs" and s.sources[param.name] == "config":
                shown = f"{show_value(p.block[key])} epochs = {shown}"  # as written, in steps
            if isinstance(value, list) and w:  # where the rate really changes
                shown += f" after the warm-up (steps {show_value([w + b for b in value])})"
        origin = s.sources[param.name]
        if origin == "config" and f"{s.path}.{key}" in p.overridden:
            origin = "override"
        if key in s.scaled:
            origin += f"; {show_value(s.scaled[key][0])} scaled x{s.batch_scale:.6g} for the batch"
        if param.name in s.ignored:  # written, but PaddleOCR does not read it
            key, value_written = s.ignored[param.name]
            origin += f"; {show_value(value_written)} written, ignored as in PaddleOCR"
        rows.append(f"    {key:<24} {shown:<16} [{origin}]")
    return rows


def report(p: Preview) -> str:
    """The ``ppocr-lr show`` text for one schedule."""
    s = p.schedule
    total, spe, w = s.total_steps, s.run.step_each_epoch, s.warmup_steps
    steps, values = p.curve()
    lines = [
        f"{p.label}: {s.name} ({type(s).__module__}.{type(s).__name__})",
        f"  run: {s.run.epochs:,} epochs x {spe:,} steps = {total:,} steps "
        f"(epochs: {p.run_sources.get('epochs', 'given')}; steps per epoch: "
        f"{p.run_sources.get('step_each_epoch', 'given')})",
    ]
    if w:
        start = s.config["warmup_start_lr"]
        lines.append(f"  warm-up: {w:,} steps = {w / spe:g} epochs, {start:g} -> {s.peak_lr:g}")
    else:
        lines.append("  warm-up: none")
    if s.batch_rule is not None:
        rule, batch, reference = s.batch_rule
        lines.append(
            f"  batch scaling: {rule}, every rate x{s.batch_scale:.6g} (global batch "
            f"{batch} [{p.run_sources.get('global_batch_size', 'given')}], "
            f"reference {reference})"
        )
    lines.append("  parameters:")
    lines += _parameter_rows(p)
    for name, value in (("epochs", s.run.epochs), ("step_each_epoch", spe)):
        lines.append(f"    {name:<24} {value:<16} [trainer: {p.run_sources.get(name)}]")
    sampled = f" (over {steps.size:,} sampled steps)" if p.sampled else ""
    lines.append(
        f"  learning rate{sampled}: max {values.max():.6g} (step "
        f"{int(steps[values.argmax()]):,}), min {values.min():.6g} (step "
        f"{int(steps[values.argmin()]):,}), final {values[-1]:.6g} (step {total:,})"
    )
    lines.append(f"  {'epoch':>7} {'step':>12} {'lr':>14}")
    rows = epoch_rows(p)
    for epoch, lr in zip(rows, s.lr_array(np.array(rows, dtype=np.int64) * spe)):
        lines.append(f"  {epoch:>7} {epoch * spe:>12,} {lr:>14.6g}")
    if s.takes_reports:
        lines.append(
            "  note: the rate falls only when evaluations report a plateau; shown as if none does"
        )
    lines.append("  warnings:" if p.warnings else "  warnings: none")
    lines += [f"    - {note}" for note in p.warnings]
    return "\n".join(lines)
