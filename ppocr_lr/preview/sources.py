"""Reading what to preview: a whole PaddleOCR config, a file holding only an lr block, or
an inline block, with ``-o Key.sub=value`` overrides applied."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .. import config as yaml_config
from ..config import section
from ..errors import ConfigTypeError, ConfigValueError, shown
from ..optimizer import optimizer_known_keys


@dataclass
class Source:
    """Where a schedule comes from: its lr block, and the whole config when there is one."""

    label: str
    lr_block: dict
    config: Optional[dict] = None
    epochs: Optional[object] = None  # Global.epoch_num as written, when the config has it
    overridden: frozenset = field(default_factory=frozenset)  # key paths set with -o


def read_source(
    path: Optional[str] = None,
    inline: Optional[str] = None,
    overrides: Iterable[str] = (),
    label: Optional[str] = None,
) -> Source:
    """Read ``path`` (a whole config or an lr block) or an ``inline`` YAML block; ``label``
    names it in reports and legends (default: the file's name, or ``--lr``)."""
    if (path is None) == (inline is None):
        raise ConfigValueError("", "give a config file or an inline --lr block (one of them)")
    document = (
        yaml_config.load_yaml(path) if path is not None else yaml_config.parse_inline(str(inline))
    )
    label = label or (os.path.splitext(os.path.basename(path))[0] if path else "--lr")
    where = path or "--lr"
    if not isinstance(document, dict):
        raise ConfigValueError(
            "", f"{where}: expected a config or an lr block (a mapping), got {shown(document)}"
        )
    overrides = list(overrides)
    document = dict(document)
    yaml_config.apply_overrides(document, overrides, optimizer_known_keys)
    overridden = frozenset(item.partition("=")[0].strip() for item in overrides)
    if "Optimizer" in document or "Global" in document:
        section(document, "Global")
        optimizer = section(document, "Optimizer")
        if optimizer is None or not isinstance(optimizer.get("lr"), dict):
            got = (
                "missing"
                if optimizer is None or "lr" not in optimizer
                else f"got {shown(optimizer['lr'])}"
            )
            raise ConfigValueError(
                "Optimizer.lr", f"{where}: {got}; expected the learning-rate block under Optimizer"
            )
        epochs = (document.get("Global") or {}).get("epoch_num")
        return Source(label, optimizer["lr"], document, epochs, overridden)
    if "lr" in document:
        block = document["lr"]
        if not isinstance(block, dict):
            raise ConfigTypeError(
                "lr", f"{where}: got {shown(block)}; expected the learning-rate block"
            )
        return Source(
            label,
            block,
            overridden=frozenset(f"Optimizer.{k}" if k.startswith("lr") else k for k in overridden),
        )
    return Source(label, document, overridden=frozenset(f"Optimizer.lr.{k}" for k in overridden))
