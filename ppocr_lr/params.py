"""YAML keys: what each one accepts, its default, its unit, and how a value is read.

A schedule or optimizer declares its keys as a tuple of :class:`Param`.  The same
declaration validates a YAML block, converts units (epochs to steps), fills in
defaults, and documents the key (``ppocr-lr list``, the README table).

Values are read the way a PaddleOCR user writes them: PyYAML (YAML 1.1) loads ``1e-4``
as the *string* ``'1e-4'``, so numeric strings are numbers here.  Anything that is not
a finite number where a number belongs is an error naming the key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .errors import ConfigTypeError, ConfigValueError, did_you_mean, shown
from .messages import notice, strict_from_env

REQUIRED = object()  # default of a key that must be written

#: The longest run, in steps: step counts above 2**53 are no longer exact as floats.
MAX_STEPS = 2**53
#: The largest learning rate a key may hold.  Paddle computes in float32 (3.4e38 at most);
#: this bound leaves room for every formula's products to stay finite.
MAX_LR = 1e10


@dataclass(frozen=True)
class RunLength:
    """The length of the training run a schedule is built for.

    ``epochs`` is ``Global.epoch_num``; ``step_each_epoch`` is the number of
    ``step()`` calls per epoch (the training loader's length, after sharding).
    """

    epochs: int
    step_each_epoch: int
    steps: int | None = None  # a span that is not whole epochs (a phase of Sequential)
    #: Samples per step over all processes, when the trainer says (batch scaling).
    global_batch_size: int | None = None
    #: The batch scaling of an enclosing block (a phase of Sequential), which scales the
    #: phase's rates with its own: (rule, global batch, reference batch, factor).
    scaled_by: tuple | None = None

    @property
    def total_steps(self) -> int:
        return self.steps if self.steps is not None else self.epochs * self.step_each_epoch

    def span(self, steps: int) -> "RunLength":
        """A run of ``steps`` steps at the same steps per epoch and batch."""
        return RunLength(
            max(1, -(-steps // self.step_each_epoch)),
            self.step_each_epoch,
            steps,
            self.global_batch_size,
            self.scaled_by,
        )

    @classmethod
    def checked(
        cls, epochs: Any, step_each_epoch: Any, global_batch_size: Any = None
    ) -> "RunLength":
        whole = Integer(minimum=1, maximum=MAX_STEPS)
        run = cls(
            whole.parse(epochs, "epochs (Global.epoch_num)"),
            whole.parse(
                step_each_epoch, "step_each_epoch (batches per epoch: the training loader's length)"
            ),
            global_batch_size=None
            if global_batch_size is None
            else whole.parse(
                global_batch_size, "global_batch_size (processes x batch_size_per_card)"
            ),
        )
        if run.total_steps > MAX_STEPS:
            raise ConfigValueError(
                "epochs (Global.epoch_num)",
                f"{run.epochs} epochs x {run.step_each_epoch} steps is "
                f"{run.total_steps} steps; expected at most 2**53",
            )
        return run


# --------------------------------------------------------------------------- kinds


class Kind:
    """How one YAML value is read: type, range, unit conversion."""

    unit = ""

    def describe(self) -> str:
        raise NotImplementedError

    def parse(self, value: Any, path: str, run: RunLength | None = None) -> Any:
        raise NotImplementedError


_TYPO_EXPONENT = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?)-(\d+)\s*$")


def read_number(value: Any, path: str, expected: str) -> float:
    """A finite float from a YAML number or numeric string, or a clear error."""
    if isinstance(value, bool) or value is None:
        raise ConfigTypeError(path, f"got {value!r}; expected {expected}")
    if isinstance(value, int) and not -(2**1023) < value < 2**1024:  # past float's range
        raise ConfigValueError(
            path,
            f"got an integer of about 10**{int(value.bit_length() * 0.30103)}; expected "
            f"{expected} (a finite number)",
        )
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            typo = _TYPO_EXPONENT.match(value)
            hint = (
                f"Did you mean {typo.group(1)}e-{typo.group(2)}?"
                if typo
                else "Write a plain number such as 0.001 or 1.0e-3."
            )
            raise ConfigValueError(
                path, f"{value!r} is not a number; expected {expected}", hint
            ) from None
    else:
        raise ConfigTypeError(path, f"got {value!r} ({type(value).__name__}); expected {expected}")
    if not math.isfinite(number):
        raise ConfigValueError(path, f"got {value!r}; expected {expected} (a finite number)")
    return number


def one_number(value: Any) -> float:
    """A number handed in at run time (a metric, a loss): a Python or numpy number, or a
    one-element array or Paddle tensor, as a float.  ``TypeError`` saying why it is not
    one number; ``ValueError`` for a number beyond float range."""
    from paddle import Tensor

    if isinstance(value, bool):
        raise TypeError("a boolean")
    try:
        array = np.asarray(value.numpy() if isinstance(value, Tensor) else value)
    except (TypeError, ValueError):  # a ragged list
        raise TypeError("not a number") from None
    if array.size != 1:
        raise TypeError(f"{array.size} values")
    try:
        return float(array.reshape(()))
    except OverflowError:  # an int of 400 digits
        raise ValueError("a number beyond float range") from None
    except (TypeError, ValueError):  # a string, None
        raise TypeError("not a number") from None


@dataclass(frozen=True)
class Number(Kind):
    """A float, optionally bounded.  ``*_open`` makes a bound exclusive."""

    minimum: float | None = None
    maximum: float | None = None
    minimum_open: bool = False
    maximum_open: bool = False

    def describe(self) -> str:
        low = high = ""
        if self.minimum is not None:
            low = f"{'>' if self.minimum_open else '>='} {self.minimum:g}"
        if self.maximum is not None:
            high = f"{'<' if self.maximum_open else '<='} {self.maximum:g}"
        if low and high:
            return (
                f"a number in {'(' if self.minimum_open else '['}{self.minimum:g}, "
                f"{self.maximum:g}{')' if self.maximum_open else ']'}"
            )
        return "a number" + (f" {low or high}" if low or high else "")

    def parse(self, value, path, run=None):
        number = read_number(value, path, self.describe())
        self.check(number, value, path)
        return number

    def check(self, number: float, written: Any, path: str) -> None:
        too_low = self.minimum is not None and (
            number < self.minimum or (self.minimum_open and number == self.minimum)
        )
        too_high = self.maximum is not None and (
            number > self.maximum or (self.maximum_open and number == self.maximum)
        )
        if too_low or too_high:
            raise ConfigValueError(path, f"got {written!r}; expected {self.describe()}")


#: Learning rates: >= 0 (or > 0) and at most :data:`MAX_LR`.
RATE = Number(minimum=0.0, maximum=MAX_LR)
POSITIVE_RATE = Number(minimum=0.0, minimum_open=True, maximum=MAX_LR)
POSITIVE = Number(minimum=0.0, minimum_open=True)


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number (``30``, ``30.0`` or ``'30'``; not ``30.5``).  Integers are read
    exactly (a seed of 2**60 + 1 is not rounded to a float); a number written as a float
    must be below 2**53, where floats are still exact."""

    minimum: int | None = None
    maximum: int = 2**64 - 1

    def describe(self) -> str:
        low = f" >= {self.minimum}" if self.minimum is not None else ""
        return f"a whole number{low} and <= {_power_of_two(self.maximum)}"

    def parse(self, value, path, run=None):
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            real = read_number(value, path, self.describe())
            if real != math.floor(real) or abs(real) > 2**53:
                raise ConfigValueError(
                    path,
                    f"got {value!r}; expected {self.describe()}"
                    + (" (write a large number as an integer)" if real == math.floor(real) else ""),
                )
            number = int(real)
        if (self.minimum is not None and number < self.minimum) or number > self.maximum:
            raise ConfigValueError(path, f"got {value!r}; expected {self.describe()}")
        return number


def _power_of_two(n: int) -> str:
    for k in (53, 63, 64):
        if n in (2**k, 2**k - 1):
            return f"2**{k}" + ("" if n == 2**k else " - 1")
    return str(n)


@dataclass(frozen=True)
class Flag(Kind):
    """``true`` or ``false``."""

    def describe(self) -> str:
        return "true or false"

    def parse(self, value, path, run=None):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ConfigTypeError(path, f"got {value!r}; expected {self.describe()}")


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of words."""

    options: tuple[str, ...]

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def parse(self, value, path, run=None):
        if isinstance(value, str) and value in self.options:
            return value
        raise ConfigValueError(
            path,
            f"got {value!r}; expected {self.describe()}"
            + (did_you_mean(value, self.options) if isinstance(value, str) else ""),
        )


@dataclass(frozen=True)
class Text(Kind):
    """A string (a name, a path)."""

    def describe(self) -> str:
        return "a string"

    def parse(self, value, path, run=None):
        if isinstance(value, str):
            return value
        raise ConfigTypeError(path, f"got {value!r}; expected {self.describe()}")


@dataclass(frozen=True)
class TextList(Kind):
    """A non-empty list of strings (a single string is a list of one)."""

    def describe(self) -> str:
        return "a non-empty list of strings"

    def parse(self, value, path, run=None):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigTypeError(path, f"got {value!r}; expected {self.describe()}")
        return [Text().parse(v, f"{path}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class Words(Kind):
    """Words separated by spaces (``"norm pos_embed"``), or a list of words."""

    def describe(self) -> str:
        return "words separated by spaces, or a list of words"

    def parse(self, value, path, run=None):
        if isinstance(value, str):
            return value.split()
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return [w for v in value for w in v.split()]
        raise ConfigTypeError(path, f"got {value!r}; expected {self.describe()}")


@dataclass(frozen=True)
class Blocks(Kind):
    """A non-empty list of blocks (mappings), e.g. the phases of a Sequential schedule."""

    def describe(self) -> str:
        return "a non-empty list of blocks such as {name: Cosine, learning_rate: 0.001}"

    def parse(self, value, path, run=None):
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigTypeError(path, f"got {shown(value)}; expected {self.describe()}")
        for i, block in enumerate(value):
            if not isinstance(block, Mapping):
                raise ConfigTypeError(
                    f"{path}[{i}]",
                    f"got {shown(block)}; expected a block "
                    "such as {name: Cosine, learning_rate: 0.001}",
                )
        return [dict(block) for block in value]


@dataclass(frozen=True)
class KeyList(Kind):
    """Keys of the same block, from a fixed set (a single key is a list of one)."""

    options: tuple[str, ...]

    def describe(self) -> str:
        return "a list of keys from " + ", ".join(self.options) if self.options else "[]"

    def parse(self, value, path, run=None):
        if value is None:
            return []
        keys = TextList().parse(value, path)
        for i, key in enumerate(keys):
            if key not in self.options:
                raise ConfigValueError(
                    f"{path}[{i}]",
                    f"got {key!r}{did_you_mean(key, self.options)}; expected {self.describe()}",
                )
        return keys


@dataclass(frozen=True)
class NumberList(Kind):
    """A non-empty list of numbers; ``increasing`` requires strictly increasing ones."""

    item: Number = Number()
    increasing: bool = False

    def describe(self) -> str:
        order = "strictly increasing " if self.increasing else ""
        return f"a non-empty list of {order}numbers ({self.item.describe()} each)"

    def parse(self, value, path, run=None):
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            value = [value]  # `values: 0.001` means one value, as a YAML user would mean it
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigTypeError(path, f"got {value!r}; expected {self.describe()}")
        numbers = [self.item.parse(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if self.increasing:
            for i in range(1, len(numbers)):
                if numbers[i] <= numbers[i - 1]:
                    raise ConfigValueError(
                        path,
                        f"got {list(value)!r}: {path}[{i}] = {value[i]!r} is not greater "
                        f"than {path}[{i - 1}] = {value[i - 1]!r}; "
                        f"expected {self.describe()}",
                    )
        return numbers


@dataclass(frozen=True)
class Epochs(Kind):
    """A duration in epochs, converted to steps with ``round(epochs * step_each_epoch)``
    (PaddleOCR's warm-up and cycle rounding; Python rounds half to even)."""

    allow_zero: bool = False
    unit = "epochs"

    def describe(self) -> str:
        return f"a number of epochs {'>= 0' if self.allow_zero else '> 0'}"

    def parse(self, value, path, run=None):
        epochs = read_number(value, path, self.describe())
        if epochs < 0 or (epochs == 0 and not self.allow_zero):
            raise ConfigValueError(path, f"got {value!r}; expected {self.describe()}")
        steps = _steps(epochs * run.step_each_epoch, value, path, run, round)
        if steps == 0 and not self.allow_zero:
            raise ConfigValueError(
                path,
                f"got {value!r}, which is 0 steps at {run.step_each_epoch} steps per "
                f"epoch; expected at least one step",
            )
        return steps


@dataclass(frozen=True)
class Steps(Kind):
    """A duration in steps (``step()`` calls)."""

    allow_zero: bool = False
    unit = "steps"

    def describe(self) -> str:
        return f"a whole number of steps {'>= 0' if self.allow_zero else '>= 1'}"

    def parse(self, value, path, run=None):
        return Integer(minimum=0 if self.allow_zero else 1, maximum=MAX_STEPS).parse(value, path)


@dataclass(frozen=True)
class EpochBoundaries(Kind):
    """Strictly increasing epochs at which a schedule changes, converted to steps.

    The change happens at the first step ``t`` with ``t >= epoch * step_each_epoch``,
    which is PaddleOCR's ``t < boundary`` test, also for fractional products."""

    unit = "epochs"

    def describe(self) -> str:
        return "a non-empty list of strictly increasing epochs > 0"

    def parse(self, value, path, run=None):
        epochs = NumberList(Number(minimum=0.0, minimum_open=True), increasing=True).parse(
            value, path
        )
        steps = [
            _steps(e * run.step_each_epoch, e, f"{path}[{i}]", run, math.ceil)
            for i, e in enumerate(epochs)
        ]
        for i in range(1, len(steps)):
            if steps[i] == steps[i - 1]:  # the interval between them would vanish
                raise ConfigValueError(
                    path,
                    f"{path}[{i - 1}] = {epochs[i - 1]!r} and {path}[{i}] = "
                    f"{epochs[i]!r} fall on the same step ({steps[i]}) at "
                    f"{run.step_each_epoch} steps per epoch",
                    "Move them apart.",
                )
        return steps


@dataclass(frozen=True)
class StepBoundaries(Kind):
    """Strictly increasing steps at which a schedule changes."""

    unit = "steps"

    def describe(self) -> str:
        return "a non-empty list of strictly increasing whole steps > 0"

    def parse(self, value, path, run=None):
        steps = NumberList(Number(minimum=0.0, minimum_open=True), increasing=True).parse(
            value, path
        )
        for i, s in enumerate(steps):
            if s != int(s) or s > MAX_STEPS:
                raise ConfigValueError(f"{path}[{i}]", f"got {s!r}; expected a whole step <= 2**53")
        return [int(s) for s in steps]


def _steps(product: float, written: Any, path: str, run: RunLength, to_int) -> int:
    """Epochs times steps per epoch as a whole number of steps, or a clear error."""
    if not product <= MAX_STEPS:
        raise ConfigValueError(
            path,
            f"got {written!r}, which is {product:g} steps at "
            f"{run.step_each_epoch} steps per epoch; expected at most "
            "2**53 steps",
        )
    return to_int(product)


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Param:
    """One YAML key of a block.

    ``aliases`` are other spellings of the same setting in other units, e.g. the
    ``decay_steps`` key with the alias ``decay_epochs``: the user writes at most one of
    them and the schedule receives the value under ``name``, converted to ``kind``'s unit
    by the alias's own kind.
    """

    name: str
    kind: Kind
    default: Any = REQUIRED
    doc: str = ""
    aliases: Mapping[str, Kind] = field(default_factory=dict)
    #: What leaving the key out means, where the default is None ("as up"); by default a
    #: left-out duration is the whole run.
    default_text: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def kind_for(self, key: str) -> Kind:
        """How the value written under ``key`` (the name or an alias) is read."""
        return self.kind if key == self.name else self.aliases[key]


#: The key most schedules start their decay from.
LEARNING_RATE = Param("learning_rate", RATE, REQUIRED, "the learning rate the decay starts from")


def duration(name: str, doc: str, default: Any = None, allow_zero: bool = False) -> Param:
    """A duration written as ``<name>_steps`` or ``<name>_epochs``; the schedule receives
    steps under ``<name>_steps``.  ``None`` (the default) means the whole run."""
    return Param(
        f"{name}_steps",
        Steps(allow_zero),
        default,
        doc,
        aliases={f"{name}_epochs": Epochs(allow_zero)},
    )


def pop_strict(block: dict, path: str, strict: bool = False) -> bool:
    """Take the ``strict`` key out of ``block``: strict mode if it or ``strict`` is true.
    (``PPOCR_LR_STRICT`` is read when a notice is raised; a bad value is an error here,
    whether or not anything is ever noticed.)"""
    strict_from_env()
    if isinstance(block, dict) and "strict" in block:
        return Flag().parse(block.pop("strict"), f"{path}.strict") or strict
    return strict


def parse_block(
    block: Mapping[str, Any],
    params: Sequence[Param],
    path: str,
    run: RunLength | None = None,
    strict: bool = False,
    ignore: Iterable[str] = (),
) -> "Parsed":
    """Read ``block`` against ``params``: every param's value (converted, defaults filled
    in), where it came from and which key was written.  An unknown key is a notice naming
    the closest valid key (an error when ``strict``); keys in ``ignore`` are left to the
    caller."""
    if not isinstance(block, Mapping):
        raise ConfigTypeError(path, f"got {block!r}; expected a mapping of keys to values")
    by_key = {key: p for p in params for key in p.keys}
    ignore = set(ignore)
    for key in block:
        if key in by_key or key in ignore:
            continue
        if not isinstance(key, str):
            raise ConfigTypeError(f"{path}.{key!r}", "keys must be strings")
        notice(
            f"{path}.{key}",
            "unknown key" + did_you_mean(key, by_key),
            f"Valid keys: {', '.join(sorted([*by_key, 'strict']))}",
            outcome="it is ignored",
            strict=strict,
        )

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    keys: dict[str, str] = {}
    for p in params:
        written = [k for k in p.keys if k in block]
        if len(written) > 1:
            raise ConfigValueError(
                f"{path}.{written[1]}",
                f"{' and '.join(path + '.' + k for k in written)} set the same thing",
                "Keep one of them.",
            )
        if written and block[written[0]] is None and p.default is None:
            values[p.name] = None  # `key:` left empty in YAML: the same as not written
            sources[p.name] = "config"
            keys[p.name] = written[0]
        elif written:
            key = written[0]
            values[p.name] = p.kind_for(key).parse(block[key], f"{path}.{key}", run)
            sources[p.name] = "config"
            keys[p.name] = key
        elif p.required:
            raise ConfigValueError(
                f"{path}.{p.name}",
                f"missing; expected {p.kind.describe()}" + (f" ({p.doc})" if p.doc else ""),
                "" if not p.aliases else f"Write {' or '.join(p.keys)}.",
            )
        else:
            values[p.name] = p.default
            sources[p.name] = "default"
    return Parsed(values, sources, keys)


@dataclass
class Parsed:
    """A block read by :func:`parse_block`.

    ``values``: param name -> value (durations in steps); ``sources``: param name ->
    ``"config"`` or ``"default"``; ``keys``: param name -> the YAML key written (e.g.
    ``warmup_epoch`` for the ``warmup_steps`` param)."""

    values: dict[str, Any]
    sources: dict[str, str]
    keys: dict[str, str]
