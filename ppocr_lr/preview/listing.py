"""The text of ``ppocr-lr list``: every YAML name, its keys, defaults and units."""

from __future__ import annotations

import re

from ..registry import available_schedulers, scheduler_class
from ..scheduler import WARMUP_PARAMS
from .report import show_value


def plain(text: str) -> str:
    """Docstring text without reStructuredText markup, for a terminal."""
    text = re.sub(r":\w+:`~?(?:[\w.]+\.)?([\w]+)`", r"\1", text)  # :class:`~a.b.C` -> C
    return text.replace("``", "")


def list_schedules() -> str:
    out = []
    for name in available_schedulers():
        cls = scheduler_class(name)
        summary = (cls.__doc__ or "").strip().split("\n\n")[0]
        out.append(f"{name}: {' '.join(plain(summary).split())}")
        for p in cls.params:
            out.append(f"    {_describe(p)}")
        if cls.paddleocr_drops:
            out.append("    (PaddleOCR does not read " + ", ".join(cls.paddleocr_drops)
                       + ": ignored unless listed in honour)")
    out.append("")
    out.append("Every name also takes the warm-up keys, and strict (every notice an error):")
    out += [f"    {_describe(p)}" for p in WARMUP_PARAMS]
    return "\n".join(out)


def _describe(p) -> str:
    keys = " | ".join(p.keys)
    if p.required:
        default = "required"
    elif p.default is None:
        default = "whole run" if p.aliases and p.kind.unit == "steps" else "-"
    else:
        default = show_value(p.default)
    kinds = [(p.name, p.kind), *p.aliases.items()]
    kind = "; ".join(f"{k}: {v.describe()}" for k, v in kinds) if p.aliases else \
        p.kind.describe()
    return f"{keys:<38} {default:<10} {kind}" + (f" -- {plain(p.doc)}" if p.doc else "")
