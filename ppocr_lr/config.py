"""Reading YAML configs and ``-o Key.sub=value`` overrides, as PaddleOCR's tools do.

Shared by ``tools/train.py`` and the ``ppocr-lr`` command.  Errors are
:class:`~ppocr_lr.errors.ConfigValueError` naming the file, the line or the key.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Optional, Sequence

import yaml

from .errors import ConfigTypeError, ConfigValueError, did_you_mean, shown
from .params import Integer

KnownKeys = Callable[[dict, Sequence[str]], Optional[Iterable[str]]]


# What a config may hold at most, counting every value reached through YAML aliases: a
# PaddleOCR config has a few hundred; an "alias bomb" of a few lines has billions.
MAX_VALUES = 1_000_000
MAX_DEPTH = 100


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader (YAML 1.1, as PaddleOCR reads configs) that refuses a key
    written twice in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults`: its keys may be written again here, as YAML allows
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML's own error follows
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is written twice in one block (first on "
                    f"line {first.line + 1}); YAML would keep only the last",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _size(node, depth: int = 0, counted: dict | None = None) -> int:
    """How many values the document holds with every alias expanded (stops early)."""
    counted = {} if counted is None else counted
    if depth > MAX_DEPTH:
        raise ConfigValueError("", f"the YAML nests deeper than {MAX_DEPTH} levels")
    if id(node) in counted:
        return counted[id(node)]
    total = 1
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    for child in children:
        total += _size(child, depth + 1, counted)
        if total > MAX_VALUES:
            break
    counted[id(node)] = total
    return total


def _load(text, where: str) -> object:
    """Parse YAML text as a config: duplicate keys, alias bombs and runaway nesting are
    errors naming ``where`` and the line."""
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _size(node) > MAX_VALUES:
                raise ConfigValueError(
                    "",
                    f"{where}: the YAML expands to more than "
                    f"{MAX_VALUES:,} values (through aliases)",
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as err:  # a character YAML does not allow (a NUL byte)
        before = text[: err.position] if isinstance(text, str) else ""
        line, column = before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1
        raise ConfigValueError(
            "",
            f"{where} is not valid YAML (line {line}, column {column}): the character "
            f"U+{err.character:04X} is not allowed",
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = " ".join(str(getattr(err, "problem", None) or err).split())  # one line
        raise ConfigValueError("", f"{where} is not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise ConfigValueError("", f"{where}: the YAML nests too deeply") from None


def load_yaml(path: str) -> object:
    """The YAML document in ``path``; a missing file or bad YAML is one clear error."""
    if not os.path.exists(path):  # a pipe (<(cat my.yml)) is not a file, but reads as one
        raise ConfigValueError("", f"config file {path!r} does not exist")
    if os.path.isdir(path):
        raise ConfigValueError("", f"config file {path!r} is a directory")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigValueError("", f"cannot read config file {path}: {err}") from None
    return _load(text, f"config file {path}")


def parse_inline(text: str, what: str = "--lr") -> object:
    """An inline YAML value such as ``'{name: Cosine, learning_rate: 0.001}'``."""
    return _load(text, f"{what} {shown(text)}")


def section(document: dict, path: str) -> Optional[dict]:
    """The block at ``path`` (``Train.loader``) of a config, or None when it is absent; a
    value that is not a block is an error naming the path."""
    node: Any = document
    for i, key in enumerate(path.split(".")):
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return None
        if not isinstance(node, dict):
            raise ConfigTypeError(
                ".".join(path.split(".")[: i + 1]), f"got {shown(node)}; expected a block of keys"
            )
    return node


def global_batch_size(
    config: Optional[dict], batch_size: Optional[int] = None, nproc: int = 1
) -> tuple[Optional[int], str]:
    """``(processes x batch per process, where it came from)``, or ``(None, "")`` when
    neither ``batch_size`` (``--batch-size``) nor ``Train.loader.batch_size_per_card``
    gives the batch."""
    loader = section(config or {}, "Train.loader") or {}
    if not (batch_size or loader.get("batch_size_per_card")):
        return None, ""
    per_process = Integer(minimum=1).parse(
        batch_size or loader["batch_size_per_card"], "Train.loader.batch_size_per_card"
    )
    return per_process * nproc, (
        f"{'--batch-size' if batch_size else 'Train.loader.batch_size_per_card'} "
        f"{per_process} x --nproc {nproc}"
    )


def train_samples(config: Optional[dict]) -> tuple[Optional[int], str, list]:
    """``(samples, where the number came from, label files not found)`` of the config's
    ``Train.dataset``: ``num_samples`` of a ``SynthTextDataset``, or the non-empty lines
    of a ``SimpleDataSet``'s ``label_file_list`` (times ``ratio_list`` where below 1, as
    PaddleOCR samples them; paths from the current directory, as PaddleOCR reads them).
    ``(None, "", missing)`` when the config does not say."""
    dataset = section(config or {}, "Train.dataset") or {}
    name = dataset.get("name")
    if name == "SynthTextDataset" and dataset.get("num_samples") is not None:
        n = Integer(minimum=1).parse(dataset["num_samples"], "Train.dataset.num_samples")
        return n, "Train.dataset.num_samples", []
    files = dataset.get("label_file_list")
    if name != "SimpleDataSet" or not files:
        return None, "", []
    files = [files] if isinstance(files, str) else list(files)
    ratios = dataset.get("ratio_list") or [1.0] * len(files)
    ratios = [ratios] * len(files) if not isinstance(ratios, list) else ratios
    total, missing = 0, []
    for file, ratio in zip(files, ratios + [1.0] * (len(files) - len(ratios))):
        try:
            with open(str(file), encoding="utf-8") as f:
                lines = sum(1 for line in f if line.strip())
        except (OSError, UnicodeDecodeError):
            missing.append(str(file))
            continue
        total += round(lines * float(ratio)) if float(ratio) < 1.0 else lines
    if missing:
        return None, "", missing
    return total, f"the lines of Train.dataset.label_file_list, {len(files)} file(s)", []


def apply_overrides(
    config: dict, overrides: Iterable[str], known_keys: Optional[KnownKeys] = None
) -> None:
    """Apply ``Key.sub=value`` pairs in place (values parsed as YAML, as PaddleOCR).

    Every block on the path must exist.  A key that is not in the config yet is accepted
    only where ``known_keys(config, block)`` lists it (None: the block's reader checks);
    new keys are checked once all overrides are in, so ``name=OneCycle`` may come after
    ``max_lr=0.003``.  Without ``known_keys`` any new key is accepted
    (:func:`ppocr_lr.optimizer.optimizer_known_keys` knows the Optimizer block's)."""
    added = []
    for item in overrides:
        path, _, raw = item.partition("=")
        if not _ or not path.strip() or any(not k.strip() for k in path.split(".")):
            raise ConfigValueError(f"-o {shown(item)}", "expected Key.sub=value")
        try:
            value = _load(raw, f"-o {path}")
        except ConfigValueError:
            value = raw  # not YAML: the text as it is, as PaddleOCR takes it
        keys = path.strip().split(".")
        node, walked = config, []
        for key in keys[:-1]:
            walked.append(key)
            if not isinstance(node, dict) or not isinstance(node.get(key), dict):
                options = list(node) if isinstance(node, dict) else []
                raise ConfigValueError(
                    f"-o {path}",
                    f"{'.'.join(walked)} is not a block of the config{did_you_mean(key, options)}",
                )
            node = node[key]
        if keys[-1] not in node:
            added.append((path, keys))
        node[keys[-1]] = value
    for path, keys in added if known_keys is not None else ():
        known = known_keys(config, keys[:-1])  # type: ignore[misc]  # not None here
        if known is not None and keys[-1] not in known:
            raise ConfigValueError(f"-o {path}", f"unknown key{did_you_mean(keys[-1], known)}")
