"""Every YAML name, its keys, defaults and units, from the ``Param`` declarations: the text
of ``ppocr-lr list`` and the Markdown of ``docs/reference.md``."""

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
            out.append(
                "    (PaddleOCR does not read "
                + ", ".join(cls.paddleocr_drops)
                + ": ignored unless listed in honour)"
            )
    out.append("")
    out.append("Every name also takes the warm-up keys, and strict (every notice an error):")
    out += [f"    {_describe(p)}" for p in WARMUP_PARAMS]
    return "\n".join(out)


def _fields(p) -> tuple[str, str, str, str]:
    """``(keys, default, accepted values, meaning)`` of one key."""
    keys = " | ".join(p.keys)
    if p.required:
        default = "required"
    elif p.default is None:
        default = p.default_text or ("whole run" if p.aliases and p.kind.unit == "steps" else "-")
    else:
        default = show_value(p.default)
    kinds = [(p.name, p.kind), *p.aliases.items()]
    kind = "; ".join(f"{k}: {v.describe()}" for k, v in kinds) if p.aliases else p.kind.describe()
    return keys, default, kind, plain(p.doc) if p.doc else ""


def _describe(p) -> str:
    keys, default, kind, doc = _fields(p)
    return f"{keys:<38} {default:<10} {kind}" + (f" -- {doc}" if doc else "")


def reference_markdown() -> str:
    """``docs/reference.md``: a section per name (its formula, a table of its keys), then
    the keys every name takes.  ``python tools/make_reference.py`` writes it; a test checks
    that the file is current."""

    def table(params):
        rows = ["| key | default | accepted values | meaning |", "|---|---|---|---|"]
        for p in params:
            cells = (c.replace("|", "\\|") for c in _fields(p))
            rows.append("| " + " | ".join(cells) + " |")
        return rows

    out = [
        "# YAML reference",
        "",
        "Generated from the `Param` declarations by `python tools/make_reference.py`; "
        "`ppocr-lr list` prints the same in a terminal.",
        "",
    ]
    for name in available_schedulers():
        cls = scheduler_class(name)
        summary = " ".join(plain((cls.__doc__ or "").strip().split("\n\n")[0]).split())
        out += [f"## {name}", "", summary, ""]
        out += table(cls.params) if cls.params else ["(no keys of its own)"]
        if cls.paddleocr_drops:
            out += [
                "",
                "PaddleOCR does not read "
                + ", ".join(f"`{k}`" for k in cls.paddleocr_drops)
                + ": ignored, with a notice, unless listed in `honour`.",
            ]
        out.append("")
    out += [
        "## Keys of every name",
        "",
        "The warm-up and batch-scaling keys below; also `strict: true` (every notice an "
        "error) and, where PaddleOCR ignores keys, `honour: [key, ...]`.",
        "",
    ]
    out += table(WARMUP_PARAMS)
    return "\n".join(out) + "\n"
