"""Reading YAML configs and ``-o Key.sub=value`` overrides, as PaddleOCR's tools do.

Shared by ``tools/train.py`` and the ``ppocr-lr`` command.  Errors are
:class:`~ppocr_lr.errors.ConfigValueError` naming the file, the line or the key.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence

import yaml

from .errors import ConfigTypeError, ConfigValueError, did_you_mean
from .optimizer import OPTIMIZERS, SHARED_PARAMS
from .registry import scheduler_class

KnownKeys = Callable[[dict, Sequence[str]], Optional[Iterable[str]]]


def load_yaml(path: str) -> object:
    """The YAML document in ``path``; a missing file or bad YAML is one clear error."""
    if not os.path.isfile(path):
        raise ConfigValueError("", f"config file {path!r} does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigValueError("", f"config file {path} is not valid YAML{where}: "
                               f"{getattr(err, 'problem', None) or err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigValueError("", f"cannot read config file {path}: {err}") from None


def parse_inline(text: str, what: str = "--lr") -> object:
    """An inline YAML value such as ``'{name: Cosine, learning_rate: 0.001}'``."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigValueError(what, f"{text!r} is not valid YAML: "
                               f"{getattr(err, 'problem', None) or err}") from None


def optimizer_known_keys(config: dict, block: Sequence[str]) -> Optional[list[str]]:
    """The keys ppocr_lr reads in ``Optimizer`` and ``Optimizer.lr`` (None elsewhere)."""
    where = ".".join(block)
    optimizer = config.get("Optimizer") if isinstance(config.get("Optimizer"), dict) else {}
    if where in ("Optimizer.lr", "lr"):
        lr = optimizer.get("lr") if where != "lr" else config.get("lr")
        try:
            cls = scheduler_class((lr or {}).get("name", "Const"))
        except (ConfigValueError, ConfigTypeError):
            return None  # the unknown name is reported when the schedule is built
        return ["name", "epochs", "step_each_epoch",
                *(k for p in cls.all_params() for k in p.keys)]
    if where == "Optimizer":
        spec = OPTIMIZERS.get(optimizer.get("name"))
        params = SHARED_PARAMS + (spec.params if spec else ())
        return ["name", "lr", "regularizer", *(k for p in params for k in p.keys)]
    return None


def apply_overrides(config: dict, overrides: Iterable[str],
                    known_keys: KnownKeys = optimizer_known_keys) -> None:
    """Apply ``Key.sub=value`` pairs in place (values parsed as YAML, as PaddleOCR).

    Every block on the path must exist.  A key that is not in the config yet is accepted
    only where ``known_keys(config, block)`` lists it (None: the block's reader checks);
    new keys are checked once all overrides are in, so ``name=OneCycle`` may come after
    ``max_lr=0.003``."""
    added = []
    for item in overrides:
        if "=" not in item:
            raise ConfigValueError(f"-o {item}", "expected Key.sub=value")
        path, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        keys = path.strip().split(".")
        node, walked = config, []
        for key in keys[:-1]:
            walked.append(key)
            if not isinstance(node, dict) or not isinstance(node.get(key), dict):
                options = list(node) if isinstance(node, dict) else []
                raise ConfigValueError(f"-o {path}", f"{'.'.join(walked)} is not a block of "
                                       f"the config{did_you_mean(key, options)}")
            node = node[key]
        if keys[-1] not in node:
            added.append((path, keys))
        node[keys[-1]] = value
    for path, keys in added:
        known = known_keys(config, keys[:-1])
        if known is not None and keys[-1] not in known:
            raise ConfigValueError(f"-o {path}", f"unknown key{did_you_mean(keys[-1], known)}")
