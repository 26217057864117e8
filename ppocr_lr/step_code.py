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
:class:`~ppocr_lr.functions.Switch` an ``if``/``else`` per boundary, each branch computing
only its own part.  An expression met twice in one step is computed once (every operation
is pure), and ``x * 1.0``, ``x / 1.0`` and ``x - 0.0`` are left out where ``x`` is
certainly a float (exact in IEEE 754; ``x + 0.0`` is kept: it turns -0.0 into 0.0).  A
part that cannot be traced (a formula that branches on the step in Python, a schedule
registered from user code with only ``__call__``) is called as a function from the traced
code, so tracing never changes a value, only how fast one step is.

The generated source is compiled with ``exec`` from numbers written with ``repr`` and
names of this module's own making; nothing a user writes becomes source text (a
constant that is not a plain finite number is passed by name).
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

    def fresh(self, is_float: bool = False) -> "Symbol":
        name = f"_{self.count}"
        self.count += 1
        return Symbol(self, name, is_float)

    def assign(self, expression: str, is_float: bool = False) -> "Symbol":
        known = self.known.get(expression)
        if known is not None:
            return known
        symbol = self.fresh(is_float)
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


# ``x op c`` that is ``x`` itself, bit for bit, when ``x`` is a float (IEEE 754: times or
# over one is exact, and x - 0.0 keeps even -0.0; x + 0.0 does not, so it stays).
_IDENTITIES = {("*", 1.0), ("/", 1.0), ("-", 0.0)}
_COMMUTING = {"*"}
_COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}


def _binary(op: str, reverse: bool = False):
    def method(self: "Symbol", other: Any) -> "Symbol":
        code = self.code
        if (
            self.is_float
            and type(other) is float
            and (op, other) in _IDENTITIES
            and (not reverse or op in _COMMUTING)
        ):
            return self
        left, right = (code.value(other), self.name) if reverse else (self.name, code.value(other))
        floats = op == "/" or (op not in _COMPARISONS and (self.is_float or _is_float(other)))
        return code.assign(f"{left} {op} {right}", floats)

    return method


def _is_float(x: Any) -> bool:
    """Whether ``x`` is certainly a float (a float constant or a float symbol)."""
    return type(x) is float or (isinstance(x, Symbol) and x.is_float)


class Symbol:
    """A value that depends on the step: operations on it are written down."""

    __slots__ = ("code", "name", "is_float")
    __hash__ = None  # type: ignore[assignment]  # == is an operation here

    def __init__(self, code: Code, name: str, is_float: bool = False):
        # is_float: certainly a Python float (False: an int, a bool, or not known)
        self.code, self.name, self.is_float = code, name, is_float

    def __bool__(self):
        raise Untraceable("a Python branch on the step")

    def __index__(self):
        raise Untraceable("the step used as an index")

    __int__ = __float__ = __index__

    def __neg__(self) -> "Symbol":
        return self.code.assign(f"-{self.name}", self.is_float)

    def __pos__(self) -> "Symbol":
        return self.code.assign(f"+{self.name}", self.is_float)


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
        traced = self.traced(name)
        setattr(self, name, traced)  # looked up once
        return traced

    def traced(self, name: str) -> Callable:
        """The scalar backend's ``name``, traced."""
        function = getattr(self.scalar, name)
        template = _TEMPLATES.get(name)

        def traced(*args):
            code = _code_of(args)
            if code is None:
                return function(*args)
            values = [code.value(a) for a in args]
            floats = _RESULT_IS_FLOAT.get(name, lambda *a: False)(*args)
            if template is not None:
                return code.assign(template.format(*values), floats)
            return code.assign(f"{code.bind(function)}({', '.join(values)})", floats)

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
# Which of them certainly give a float, from their arguments.
_RESULT_IS_FLOAT = {
    **dict.fromkeys(("cos", "exp", "log", "sqrt", "tanh", "unit_interval"), lambda *a: True),
    "pow": lambda a, b: _is_float(a) or _is_float(b),
    "ipow": lambda a, b: _is_float(a) or _is_float(b),
    "minimum": lambda a, b: _is_float(a) and _is_float(b),
    "maximum": lambda a, b: _is_float(a) and _is_float(b),
    "where": lambda c, a, b: _is_float(a) and _is_float(b),
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
