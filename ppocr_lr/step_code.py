"""One ``step()`` as straight-line Python: a schedule's formula traced into a function.

A formula is written once, against the backend ``xp`` (:mod:`ppocr_lr.functions`).  Run
on the scalar backend it pays, at every step, for what does not depend on the step: the
attribute look-ups of its constants, the branches on its keys, a call through ``xp`` for
each ``min`` or ``**``.  :func:`step_function` runs the formula once on a *symbolic* step
instead.  Every operation whose operands are all known is done then, with the same
Python arithmetic, and what depends on the step is recorded, operation by operation, in
the order Python evaluates it.  The record becomes one function, ``lr(t)``, with the
constants written in.

The result is bit-identical to the scalar formula, because it *is* the scalar formula:
the same operations on the same values in the same order; only where they run changes.
``min(a, b)`` becomes ``b if b < a else a`` (what the built-in returns), ``xp.where``
a conditional (both sides are computed first, as the scalar backend does), and a
:class:`~ppocr_lr.functions.Switch` an ``if`` per boundary.  A part that cannot be
traced (a formula that branches on the step in Python, a schedule registered from user
code with only ``__call__``) is called as a function from the traced code, so tracing
never changes a value, only how fast one step is.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Mapping, Sequence

__all__ = [
    "Code",
    "Symbol",
    "TraceBackend",
    "Untraceable",
    "compile_function",
    "emit",
    "step_function",
]


class Untraceable(Exception):
    """The formula needs the step's value in Python (an ``if`` on it, ``int()`` of it)."""


class Code:
    """The function being written: its lines, the objects it refers to, fresh names."""

    def __init__(self, depth: int = 1) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {}
        self.count = 0
        self.depth = depth
        # expression -> the name it is already held in, in this block and the enclosing
        # ones (every operation written is pure, so one step computes each once)
        self.known: dict[str, Symbol] = {}

    def value(self, x: Any) -> str:
        """``x`` as Python source: a plain finite number written in, anything else by
        name."""
        if isinstance(x, Symbol):
            return x.name
        if type(x) is bool:
            return repr(x)
        if type(x) in (int, float) and math.isfinite(x):
            text = repr(x)
            return f"({text})" if text.startswith("-") else text
        return self.bind(x)

    def bind(self, x: Any) -> str:
        for name, known in self.env.items():
            if known is x:
                return name
        name = f"_k{len(self.env)}"
        self.env[name] = x
        return name

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def fresh(self) -> "Symbol":
        name = f"_{self.count}"
        self.count += 1
        return Symbol(self, name)

    def assign(self, expression: str) -> "Symbol":
        known = self.known.get(expression)
        if known is not None:
            return known
        symbol = self.fresh()
        self.line(f"{symbol.name} = {expression}")
        self.known[expression] = symbol
        return symbol

    @contextlib.contextmanager
    def block(self, header: str):
        """Lines under ``header`` (``if ...:``, ``else:``); what they compute is not known
        after them."""
        self.line(header)
        known, self.known = self.known, dict(self.known)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            self.known = known

    @contextlib.contextmanager
    def attempt(self):
        """Undo the lines written inside when the body fails."""
        lines, count, depth, known = len(self.lines), self.count, self.depth, dict(self.known)
        try:
            yield
        except BaseException:
            del self.lines[lines:]
            self.count, self.depth, self.known = count, depth, known
            raise


def _binary(op: str, reverse: bool = False):
    def method(self: "Symbol", other: Any) -> "Symbol":
        code = self.code
        left, right = (code.value(other), self.name) if reverse else (self.name, code.value(other))
        return code.assign(f"{left} {op} {right}")

    return method


class Symbol:
    """A value that depends on the step: operations on it are written down."""

    __slots__ = ("code", "name")
    __hash__ = None  # type: ignore[assignment]  # == is an operation here

    def __init__(self, code: Code, name: str):
        self.code, self.name = code, name

    def __bool__(self):
        raise Untraceable("a Python branch on the step")

    def __index__(self):
        raise Untraceable("the step used as an index")

    __int__ = __float__ = __index__

    def __neg__(self) -> "Symbol":
        return self.code.assign(f"-{self.name}")

    def __pos__(self) -> "Symbol":
        return self.code.assign(f"+{self.name}")


for _op, _names in {
    "+": ("add", "radd"),
    "-": ("sub", "rsub"),
    "*": ("mul", "rmul"),
    "/": ("truediv", "rtruediv"),
    "//": ("floordiv", "rfloordiv"),
    "%": ("mod", "rmod"),
    "**": ("pow", "rpow"),
    "&": ("and", "rand"),
    "|": ("or", "ror"),
    "^": ("xor", "rxor"),
    ">>": ("rshift", "rrshift"),
    "<<": ("lshift", "rlshift"),
}.items():
    setattr(Symbol, f"__{_names[0]}__", _binary(_op))
    setattr(Symbol, f"__{_names[1]}__", _binary(_op, reverse=True))
for _op, _name in {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}.items():
    setattr(Symbol, f"__{_name}__", _binary(_op))


def _code_of(args) -> Code | None:
    return next((a.code for a in args if isinstance(a, Symbol)), None)


class TraceBackend:
    """A scalar backend's functions, written down when an argument is a :class:`Symbol`
    and computed at once otherwise."""

    def __init__(self, scalar: Any) -> None:
        self.scalar = scalar

    def __getattr__(self, name: str) -> Callable:
        function = getattr(self.scalar, name)
        template = _TEMPLATES.get(name)

        def traced(*args):
            code = _code_of(args)
            if code is None:
                return function(*args)
            values = [code.value(a) for a in args]
            if template is not None:
                return code.assign(template.format(*values))
            return code.assign(f"{code.bind(function)}({', '.join(values)})")

        setattr(self, name, traced)  # looked up once
        return traced


# The scalar backend's operators and built-ins, as what they compute (CPython's min(a, b)
# keeps a unless b < a; max(a, b) keeps a unless b > a).
_TEMPLATES = {
    "pow": "{0} ** {1}",
    "ipow": "{0} ** {1}",
    "minimum": "{1} if {1} < {0} else {0}",
    "maximum": "{1} if {1} > {0} else {0}",
    "where": "{1} if {0} else {2}",
    "take": "{0}[{1}]",
}


def emit(schedule, code: Code, t: Any) -> Any:
    """Write ``schedule`` at step ``t`` into ``code``; its value (a symbol or a number).
    A schedule that cannot be traced is called by name."""
    try:
        with code.attempt():
            return schedule.emit(code, t)
    except Exception:  # not traceable: called as it is (the value cannot differ)
        return code.assign(f"{code.bind(schedule)}({code.value(t)})")


def compile_function(
    schedule,
    signature: str = "lr(t)",
    head: Sequence[str] = (),
    tail: Sequence[str] = ("return {value}",),
    env: Mapping[str, Any] | None = None,
) -> Callable:
    """A function ``def <signature>:`` whose body is ``head`` (which must leave the step in
    ``t``), ``schedule`` traced at ``t``, then ``tail`` with ``{value}`` standing for the
    learning rate.  ``env`` holds the names ``head`` and ``tail`` use."""
    code = Code()
    code.env.update(env or {})
    for text in head:
        code.line(text)
    value = code.value(emit(schedule, code, Symbol(code, "t")))
    for text in tail:
        code.line(text.format(value=value))
    source = f"def {signature}:\n" + "\n".join(code.lines) + "\n"
    namespace = dict(code.env)
    exec(compile(source, f"<{type(schedule).__name__} step>", "exec"), namespace)  # noqa: S102
    function = namespace[signature.split("(")[0]]
    function.source = source  # for a reader who wants to see what runs
    return function


def step_function(schedule) -> Callable[[int], float]:
    """``schedule``'s value at one step as one function of ``t``, bit-identical to
    ``schedule(t)``."""
    return compile_function(schedule)
