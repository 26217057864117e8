"""``build_optimizer``: a YAML ``Optimizer`` block to a Paddle optimizer and its schedule.

A drop-in for PaddleOCR's ``ppocr.optimizer.build_optimizer``: same signature, same
return value ``(optimizer, lr_scheduler)``, same meaning of every key, with every key
checked (a misspelt ``weight_deacy`` is reported, not swallowed).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import paddle
from paddle.optimizer.lr import LRScheduler

from .errors import ConfigTypeError, ConfigValueError, did_you_mean
from .messages import notice
from .params import REQUIRED, Flag, Number, Param, Words, parse_block, pop_strict
from .plan import block_keys
from .registry import build_lr_scheduler, scheduler_class

PATH = "Optimizer"

POSITIVE = Number(minimum=0.0, minimum_open=True)
NONNEGATIVE = Number(minimum=0.0)
# Paddle clips in float32: a norm below its smallest normal number would divide by 0.
CLIP = Number(minimum=1.1754943508222875e-38, maximum=3.4e38)
BETA = Number(minimum=0.0, maximum=1.0, maximum_open=True)
EPSILON = Param("epsilon", POSITIVE, 1e-8, "added to denominators for stability")
BETAS = (
    Param("beta1", BETA, 0.9, "decay of the first-moment average"),
    Param("beta2", BETA, 0.999, "decay of the second-moment average"),
)
LAZY = Param("lazy_mode", Flag(), False, "update only rows with gradients (sparse)")
MULTI_PRECISION = Param("multi_precision", Flag(), False, "keep float32 master weights")


@dataclass(frozen=True)
class OptimizerSpec:
    """A Paddle optimizer as YAML sees it.

    ``decoupled``: the optimizer applies its own (decoupled) weight decay from a float
    (AdamW, Lamb) instead of Paddle's regularizer; ``decay_arg`` is the Paddle argument
    that takes it."""

    factory: Callable[..., paddle.optimizer.Optimizer]
    params: tuple[Param, ...]
    decay_arg: str = "weight_decay"
    decoupled: bool = False
    momentum_attribute: str = ""  # what OneCycle's cycle_momentum drives (Paddle's name)


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "Momentum": OptimizerSpec(
        paddle.optimizer.Momentum,
        (Param("momentum", NONNEGATIVE, REQUIRED, "momentum factor"),),
        momentum_attribute="_momentum",
    ),
    "Adam": OptimizerSpec(
        paddle.optimizer.Adam, BETAS + (EPSILON, LAZY), momentum_attribute="_beta1"
    ),
    "AdamW": OptimizerSpec(
        paddle.optimizer.AdamW,
        BETAS
        + (
            EPSILON,
            MULTI_PRECISION,
            LAZY,
            Param(
                "no_weight_decay_name",
                Words(),
                None,
                "parameters whose structured name contains one of these words get no decay",
            ),
            Param(
                "one_dim_param_no_weight_decay",
                Flag(),
                False,
                "no weight decay for 1-D parameters (biases, norms)",
            ),
        ),
        decoupled=True,
        momentum_attribute="_beta1",
    ),
    "RMSProp": OptimizerSpec(
        paddle.optimizer.RMSProp,
        (
            Param("rho", NONNEGATIVE, 0.95, "decay of the squared-gradient average"),
            Param("momentum", NONNEGATIVE, 0.0, "momentum factor"),
            Param("epsilon", POSITIVE, 1e-6, "added to denominators for stability"),
        ),
        momentum_attribute="_momentum",
    ),
    "Adadelta": OptimizerSpec(
        paddle.optimizer.Adadelta,
        (EPSILON, Param("rho", NONNEGATIVE, 0.95, "decay of the running averages")),
    ),
    "SGD": OptimizerSpec(paddle.optimizer.SGD, ()),
    "Adagrad": OptimizerSpec(
        paddle.optimizer.Adagrad,
        (
            Param("epsilon", POSITIVE, 1e-6, "added to denominators for stability"),
            Param("initial_accumulator_value", NONNEGATIVE, 0.0, "starting sum of squares"),
        ),
    ),
    "Lamb": OptimizerSpec(
        paddle.optimizer.Lamb,
        BETAS
        + (
            Param("epsilon", POSITIVE, 1e-6, "added to denominators for stability"),
            MULTI_PRECISION,
            Param(
                "no_weight_decay_name",
                Words(),
                None,
                "parameters whose structured name contains one of these words get no decay",
            ),
        ),
        decay_arg="lamb_weight_decay",
        decoupled=True,
        momentum_attribute="_beta1",
    ),
}

# Keys every optimizer block may hold besides its optimizer's own.
SHARED_PARAMS = (
    Param(
        "weight_decay",
        NONNEGATIVE,
        None,
        "L2 coefficient when there is no regularizer (AdamW, Lamb: their decoupled "
        "decay, default 0.01)",
    ),
    Param("clip_norm", CLIP, None, "clip each gradient to this L2 norm"),
    Param("clip_norm_global", CLIP, None, "clip all gradients to this global L2 norm"),
)
DECOUPLED_DEFAULT_DECAY = 0.01

REGULARIZERS = {"L1": "L1", "L1Decay": "L1", "L2": "L2", "L2Decay": "L2"}
REGULARIZER_PARAMS = (Param("factor", NONNEGATIVE, 0.0, "regularization coefficient"),)


def build_optimizer(
    config: Mapping[str, Any],
    epochs: int,
    step_each_epoch: int,
    model: paddle.nn.Layer,
    strict: bool = False,
    global_batch_size: int | None = None,
):
    """Build ``(optimizer, lr_scheduler)`` from a YAML ``Optimizer`` block.

    ``epochs`` is ``Global.epoch_num``, ``step_each_epoch`` the training loader's length,
    ``model`` the network (its trainable parameters are optimised).  ``config`` is not
    modified.  Unknown keys and keys PaddleOCR ignores are notices naming the closest
    valid key; ``strict=True``, ``Optimizer.strict: true`` or ``PPOCR_LR_STRICT=1`` makes
    every notice an error.  ``global_batch_size`` (processes x ``batch_size_per_card``)
    lets ``Optimizer.lr.batch_scaling`` scale the rates; PaddleOCR's signature has no
    such argument, so a block asking for scaling without it is a notice."""
    spec, opts, lr_scheduler = resolve_optimizer(
        config, epochs, step_each_epoch, strict, global_batch_size
    )
    optimizer = _assemble(spec, opts, lr_scheduler, model)
    _tolerate_missing_scheduler_state(optimizer)
    if lr_scheduler.drives_momentum:  # refused in resolve_optimizer where there is none
        lr_scheduler.drive_momentum(optimizer, spec.momentum_attribute)
    return optimizer, lr_scheduler


def build_optimizer_at_rate(
    config: Mapping[str, Any],
    epochs: int,
    step_each_epoch: int,
    model: paddle.nn.Layer,
    learning_rate: float,
    strict: bool = False,
    global_batch_size: int | None = None,
):
    """``(optimizer, lr_scheduler)``: the optimizer ``config`` describes (its betas, weight
    decay, clipping) with a plain float ``learning_rate`` in place of the schedule, so that
    ``set_lr`` can drive it (the range test), and the schedule the ``lr`` block builds
    (checked, and telling its batch scaling), which the optimizer does not follow."""
    spec, opts, lr_scheduler = resolve_optimizer(
        config, epochs, step_each_epoch, strict, global_batch_size
    )
    return _assemble(spec, opts, float(learning_rate), model), lr_scheduler


def _assemble(spec: "OptimizerSpec", opts: dict, learning_rate, model):
    parameters = _trainable(model)
    skip_decay = _no_decay_names(
        model,
        opts.pop("no_weight_decay_name", None),
        opts.pop("one_dim_param_no_weight_decay", False),
    )
    if skip_decay and spec.factory is paddle.optimizer.AdamW:
        opts["apply_decay_param_fun"] = lambda param_name: param_name not in skip_decay
    elif skip_decay:
        opts["exclude_from_weight_decay_fn"] = lambda param: param.name in skip_decay
    return spec.factory(learning_rate=learning_rate, parameters=parameters, **opts)


def resolve_optimizer(
    config: Mapping[str, Any],
    epochs: int,
    step_each_epoch: int,
    strict: bool = False,
    global_batch_size: int | None = None,
):
    """Everything ``build_optimizer`` checks and computes that needs no model:
    ``(spec, keyword arguments, lr_scheduler)``."""
    if not isinstance(config, Mapping):
        raise ConfigTypeError(PATH, f"got {config!r}; expected a mapping with name and lr")
    block = copy.deepcopy(dict(config))  # popped as it is read; yours is left alone
    strict = pop_strict(block, PATH, strict)
    _reject_paddleocr_1x(block)
    name = block.pop("name", None)
    if name is None:
        raise ConfigValueError(f"{PATH}.name", "missing; expected one of " + ", ".join(OPTIMIZERS))
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ConfigValueError(
            f"{PATH}.name",
            f"unknown optimizer {name!r}"
            + (did_you_mean(name, OPTIMIZERS) if isinstance(name, str) else ""),
            f"Available: {', '.join(OPTIMIZERS)}",
        )
    spec = OPTIMIZERS[name]
    if "lr" not in block:
        raise ConfigValueError(
            f"{PATH}.lr",
            "missing; expected a learning-rate block such as {name: Cosine, learning_rate: 0.001}",
        )
    lr_scheduler = build_lr_scheduler(
        block.pop("lr"),
        epochs,
        step_each_epoch,
        strict=strict,
        path=f"{PATH}.lr",
        global_batch_size=global_batch_size,
    )
    if lr_scheduler.drives_momentum and not spec.momentum_attribute:
        raise ConfigValueError(
            lr_scheduler.momentum_path,
            f"{name} has no momentum or beta1 to cycle",
            "Use Momentum, RMSProp, Adam, AdamW or Lamb, or leave cycle_momentum out",
        )
    driven = spec.momentum_attribute.lstrip("_")  # beta1 or momentum, as YAML spells it
    if lr_scheduler.drives_momentum and driven in block:
        notice(
            f"{PATH}.{driven}",
            f"{block[driven]!r} is written, but {lr_scheduler.momentum_path} drives {driven}",
            outcome=f"the schedule's {driven} replaces it wherever the schedule drives it",
            strict=strict,
        )
    regularizer = block.pop("regularizer", None)
    opts = dict(parse_block(block, SHARED_PARAMS + spec.params, PATH, strict=strict).values)
    opts[spec.decay_arg] = _weight_decay(regularizer, opts.pop("weight_decay"), name, spec, strict)
    opts["grad_clip"] = _grad_clip(opts.pop("clip_norm"), opts.pop("clip_norm_global"), strict)
    return spec, opts, lr_scheduler


def _reject_paddleocr_1x(config: dict) -> None:
    if "lr" in config or not ({"function", "base_lr"} & set(config)):
        return
    old = config.get("function", "")
    guess = (
        "Adam"
        if "Adam" in str(old)
        else (
            "Momentum" if "Momentum" in str(old) else "RMSProp" if "RMSProp" in str(old) else None
        )
    )
    suggestion = (
        f"name: {guess or '<Adam|Momentum|...>'}, lr: {{name: Cosine, "
        f"learning_rate: {config.get('base_lr', 0.001)}}}"
    )
    raise ConfigValueError(
        PATH,
        f"this is a PaddleOCR 1.x block (function: {old!r}, base_lr, no lr)",
        f"ppocr_lr reads the 2.x layout; write e.g. Optimizer: {{{suggestion}}}",
    )


def _weight_decay(regularizer, weight_decay, name: str, spec: OptimizerSpec, strict: bool):
    """The value of the optimizer's weight-decay argument, as PaddleOCR computes it."""
    if regularizer is not None:
        if weight_decay is not None:
            raise ConfigValueError(
                f"{PATH}.weight_decay",
                "set together with Optimizer.regularizer; both set the weight decay",
                "Keep one of them.",
            )
        kind, factor = _regularizer(regularizer, strict)
        if kind == "L1" and spec.decoupled:
            raise ConfigValueError(
                f"{PATH}.regularizer.name",
                f"got 'L1'; {name} only has a decoupled L2-style decay",
                "Use L2, or Adam/Momentum with L1.",
            )
        return paddle.regularizer.L1Decay(factor) if kind == "L1" else factor
    if weight_decay is None and spec.decoupled:
        return DECOUPLED_DEFAULT_DECAY
    return weight_decay


def _regularizer(block, strict: bool) -> tuple[str, float]:
    path = f"{PATH}.regularizer"
    if not isinstance(block, Mapping):
        raise ConfigTypeError(path, f"got {block!r}; expected {{name: L2, factor: 1.0e-5}}")
    block = dict(block)
    name = block.pop("name", None)
    if not isinstance(name, str) or name not in REGULARIZERS:
        raise ConfigValueError(
            f"{path}.name",
            f"got {name!r}" + (did_you_mean(name, REGULARIZERS) if isinstance(name, str) else ""),
            "Expected L1 or L2 (or L1Decay, L2Decay).",
        )
    parsed = parse_block(block, REGULARIZER_PARAMS, path, strict=strict)
    return REGULARIZERS[name], parsed.values["factor"]


def _grad_clip(clip_norm, clip_norm_global, strict: bool):
    if clip_norm is not None and clip_norm_global is not None:
        notice(
            f"{PATH}.clip_norm_global",
            f"set together with {PATH}.clip_norm",
            "Keep one of them",
            outcome="ignored, as in PaddleOCR, which clips by clip_norm",
            strict=strict,
        )
        clip_norm_global = None
    if clip_norm is not None:
        return paddle.nn.ClipGradByNorm(clip_norm=clip_norm)
    if clip_norm_global is not None:
        return paddle.nn.ClipGradByGlobalNorm(clip_norm=clip_norm_global)
    return None


def _trainable(model) -> list:
    if not isinstance(model, paddle.nn.Layer):
        raise TypeError(
            f"build_optimizer: model must be a paddle.nn.Layer, got {type(model).__name__}"
        )
    return [p for p in model.parameters() if p.trainable]


def _no_decay_names(model, words, one_dim: bool) -> set[str]:
    """Paddle names (``linear_0.w_0``) of the parameters that get no weight decay."""
    names = set()
    for structured, param in model.named_parameters():
        if (words and any(w in structured for w in words)) or (one_dim and len(param.shape) == 1):
            names.add(param.name)
    return names


def _tolerate_missing_scheduler_state(optimizer) -> None:
    """Let this optimizer load a state without a scheduler state, with a notice.

    PaddleOCR builds a plain float learning rate for a ``Const`` block without warm-up,
    so its checkpoints of such runs hold no ``LR_Scheduler`` (or ``None``); Paddle's
    optimizer refuses such a state with an ``AssertionError`` when its learning rate is a
    scheduler.  Only this instance's loading changes: its class stays Paddle's own."""
    load = type(optimizer).set_state_dict

    def set_state_dict(state_dict):
        schedule = optimizer._learning_rate
        if (
            isinstance(state_dict, Mapping)
            and isinstance(schedule, LRScheduler)
            and state_dict.get("LR_Scheduler") is None
        ):
            notice(
                getattr(schedule, "path", PATH),
                "the optimizer state holds no learning-rate scheduler state (PaddleOCR "
                "saves none for a constant learning rate)",
                outcome=f"the schedule stays at step {schedule.last_epoch}",
                strict=getattr(schedule, "strict", False),
            )
            state_dict = dict(state_dict, LR_Scheduler=schedule.state_dict())
        return load(optimizer, state_dict)

    optimizer.set_state_dict = optimizer.set_dict = set_state_dict


def optimizer_known_keys(config: dict, block: Sequence[str]) -> Optional[list[str]]:
    """The keys ppocr_lr reads in ``Optimizer`` and ``Optimizer.lr`` (None elsewhere)."""
    where = ".".join(block)
    found = config.get("Optimizer")
    optimizer: dict = found if isinstance(found, dict) else {}
    if where in ("Optimizer.lr", "lr"):
        lr = optimizer.get("lr") if where != "lr" else config.get("lr")
        if not isinstance(lr, dict):
            return None  # not a block: reported when the schedule is built
        try:
            cls = scheduler_class(lr.get("name", "Const"))
        except (ConfigValueError, ConfigTypeError):
            return None  # the unknown name is reported when the schedule is built
        return block_keys(cls)
    if where == "Optimizer":
        name = optimizer.get("name")
        spec = OPTIMIZERS.get(name) if isinstance(name, str) else None
        params = SHARED_PARAMS + (spec.params if spec else ())
        return ["name", "lr", "regularizer", "strict", *(k for p in params for k in p.keys)]
    return None
