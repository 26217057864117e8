"""Figures of one or several schedules (``ppocr-lr plot``), drawn with matplotlib's
``Figure`` directly: the caller's pyplot backend is left as it is."""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

from ..errors import ConfigValueError
from .resolve import Preview

DRAWN_POINTS = 4000  # per curve; longer runs are drawn as per-bucket min/max envelopes
MAX_PIXELS = 8000  # per side


def _drawable(steps: np.ndarray, values: np.ndarray):
    """At most ``2 * DRAWN_POINTS`` points that keep every bucket's minimum and maximum,
    so no spike is lost."""
    if steps.size <= 2 * DRAWN_POINTS:
        return steps, values
    buckets = np.array_split(np.arange(steps.size), DRAWN_POINTS)
    xs, ys = [], []
    for b in buckets:
        chunk = values[b[0] : b[-1] + 1]
        for i in sorted({int(chunk.argmin()), int(chunk.argmax())}):
            xs.append(steps[b[0] + i])
            ys.append(chunk[i])
    return np.array(xs), np.array(ys)


def _literal(text: str) -> str:
    """Text matplotlib shows as written (a ``$`` would start mathtext)."""
    return text.replace("$", r"\$")


def plot(
    previews: Sequence[Preview],
    path: str,
    log_y: bool = False,
    size: tuple[int, int] = (900, 500),
    title: Optional[str] = None,
) -> str:
    """Draw the schedules on one figure (x in epochs, steps on the top axis, warm-up
    shaded) and save it as PNG or SVG (by ``path``'s extension)."""
    import matplotlib
    import matplotlib.ticker
    from matplotlib.figure import Figure

    extension = os.path.splitext(path)[1].lower()
    if extension not in (".png", ".svg"):
        raise ConfigValueError("", f"{path}: the figure must be a .png or .svg file")
    width, height = size
    if not (100 <= width <= MAX_PIXELS and 100 <= height <= MAX_PIXELS):
        raise ConfigValueError(
            "", f"--size {width}x{height}: expected 100 to {MAX_PIXELS} pixels a side"
        )
    dpi = 100
    # constrained layout: the legend goes below the axes, where it covers no curve
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, p in enumerate(previews):
        s, colour = p.schedule, colours[i % len(colours)]
        spe = s.run.step_each_epoch
        x, y = _drawable(*p.curve())
        note = ", no reduction" if s.takes_reports else ""
        ax.plot(x / spe, y, color=colour, lw=1.6, label=_literal(f"{p.label} ({s.name}{note})"))
        if s.warmup_steps:
            ax.axvspan(0, min(s.warmup_steps, s.total_steps) / spe, color=colour, alpha=0.12, lw=0)
    first = previews[0].schedule
    spe0 = first.run.step_each_epoch
    top = ax.secondary_xaxis("top", functions=(lambda e: e * spe0, lambda n: n / spe0))
    top.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))  # 200k, 1M
    same = all(p.schedule.run == first.run for p in previews)
    top.set_xlabel("step" if same else _literal(f"step ({previews[0].label})"))
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    fig.legend(
        loc="outside lower center", ncols=min(len(previews), 3), fontsize="small", frameon=False
    )
    if title is None:
        title = (
            f"{first.run.epochs} epochs x {spe0:,} steps = {first.total_steps:,} steps"
            if same
            else "; ".join(
                f"{p.label}: {p.schedule.run.epochs} x {p.schedule.run.step_each_epoch:,}"
                for p in previews
            )
        )
    shaded = "  (shaded: warm-up)" if any(p.schedule.warmup_steps for p in previews) else ""
    ax.set_title(_literal(title) + shaded, fontsize="medium", pad=10)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)  # -O output/x.png
        fig.savefig(path, dpi=dpi)
    except OSError as err:
        raise ConfigValueError("", f"cannot write {path}: {err.strerror or err}") from None
    return path
