"""YAML names to schedule classes, and ``build_lr_scheduler``.

A schedule class becomes nameable in YAML with :func:`register_scheduler`; that is all a
user needs to add a schedule from their own code::

    @register_scheduler("Halving")
    class Halving(LRSchedule):
        params = (Param("learning_rate", Number(minimum=0.0)),)
        def decay(self, p, run_steps):
            return GeometricSteps(p.learning_rate, 0.5, every=run_steps // 4)
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from .errors import ConfigTypeError, ConfigValueError, did_you_mean
from .messages import notice
from .params import RunLength, pop_strict, read_number
from .scheduler import RUN_KEYS, LRSchedule

_REGISTRY: dict[str, type[LRSchedule]] = {}

S = TypeVar("S", bound=type[LRSchedule])


def register_scheduler(name: str | type | None = None) -> Any:
    """Register an :class:`LRSchedule` subclass under a YAML ``name``.

    Use as ``@register_scheduler("MyName")``, or bare ``@register_scheduler`` to use the
    class name.  A name can be registered once; registering another class under a taken
    name (a user class called ``Cosine`` included) is an error; re-registering the same
    class (same module and name, e.g. on module reload) is allowed."""

    def register(cls: S, yaml_name: str | None = None) -> S:
        if not (isinstance(cls, type) and issubclass(cls, LRSchedule)):
            raise TypeError(f"register_scheduler: {cls!r} is not an LRSchedule subclass")
        yaml_name = yaml_name or cls.__name__
        taken = _REGISTRY.get(yaml_name)
        if taken is not None and _identity(taken) != _identity(cls):
            raise ValueError(
                f"register_scheduler: the name {yaml_name!r} is taken by "
                f"{_identity(taken)}; register {_identity(cls)} under another "
                "name"
            )
        cls.name = yaml_name
        _REGISTRY[yaml_name] = cls
        return cls

    if isinstance(name, type):  # bare @register_scheduler
        return register(name)
    return lambda cls: register(cls, name)


def _identity(cls: type) -> str:
    """The same class, also after its module is reloaded, has the same identity."""
    return f"{cls.__module__}.{cls.__qualname__}"


def available_schedulers() -> list[str]:
    """Every YAML name that :func:`build_lr_scheduler` accepts, sorted."""
    return sorted(_REGISTRY)


def scheduler_class(name: Any, path: str = "Optimizer.lr.name") -> type[LRSchedule]:
    """The class registered as ``name``; an unknown name lists the names."""
    if not isinstance(name, str):
        raise ConfigTypeError(path, f"got {name!r}; expected a schedule name such as 'Cosine'")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigValueError(
            path,
            f"unknown schedule {name!r}{did_you_mean(name, _REGISTRY)}",
            f"Available: {', '.join(available_schedulers())}",
        ) from None


def build_lr_scheduler(
    lr_config: Mapping[str, Any],
    epochs: int,
    step_each_epoch: int,
    strict: bool = False,
    path: str = "Optimizer.lr",
    global_batch_size: int | None = None,
) -> LRSchedule:
    """Build the schedule a YAML ``Optimizer.lr`` block describes (PaddleOCR's signature).

    ``epochs`` (``Global.epoch_num``) and ``step_each_epoch`` (the training loader's
    length) come from the trainer and win over keys of the same name in the block.  A
    block without ``name`` is ``Const``.  The block is not modified.  Unknown keys and
    keys PaddleOCR ignores are notices (:mod:`ppocr_lr.messages`); ``strict=True``, a
    ``strict: true`` key or ``PPOCR_LR_STRICT=1`` makes every notice an error.

    ``global_batch_size`` (processes x ``batch_size_per_card``) is what a block with
    ``batch_scaling`` scales its rates by; PaddleOCR's trainer does not pass it."""
    if not isinstance(lr_config, Mapping):
        raise ConfigTypeError(
            path,
            f"got {lr_config!r}; expected a block such as {{name: Cosine, learning_rate: 0.001}}",
        )
    if "function" in lr_config:
        raise ConfigValueError(
            f"{path}.function",
            f"got {lr_config['function']!r}: this is a PaddleOCR 1.x decay block",
            "Write a 2.x block instead, e.g. {name: Cosine, learning_rate: 0.001}",
        )
    block = dict(lr_config)
    strict = pop_strict(block, path, strict)
    cls = scheduler_class(block.pop("name", "Const"), f"{path}.name")
    run = RunLength.checked(epochs, step_each_epoch, global_batch_size)
    for key, trainer_value in zip(RUN_KEYS, (run.epochs, run.step_each_epoch)):
        if key in block:
            written = block.pop(key)
            if _differs(written, trainer_value):
                notice(
                    f"{path}.{key}",
                    f"the block says {written!r}, the trainer {trainer_value}",
                    outcome="the trainer's value is used, as in PaddleOCR",
                    strict=strict,
                )
    return cls.from_block(block, run, path=path, strict=strict)


def _differs(written: Any, value: int) -> bool:
    try:
        return read_number(written, "", "") != value
    except (TypeError, ValueError):
        return True
