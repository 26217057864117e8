"""Run an unmodified PaddleOCR checkout's trainer with ppocr_lr in place of
``ppocr.optimizer``: ``ppocr-lr train``.

From the root of a PaddleOCR checkout, with PaddleOCR's usual arguments::

    ppocr-lr train -c configs/rec/PP-OCRv4/en_PP-OCRv4_rec.yml -o Global.epoch_num=10
    python -m paddle.distributed.launch --nproc_per_node 2 ppocr-lr train -c ...

The swap is explicit and happens only here (``import ppocr_lr`` changes nothing): the
checkout's ``ppocr.optimizer.build_optimizer`` is replaced by a function that calls
:func:`ppocr_lr.build_optimizer`, and then the checkout's ``tools/train.py`` runs as its
``__main__``, exactly as ``python tools/train.py`` would run it.  The swap is reported
once, when the optimizer is built, in PaddleOCR's log (console and ``train.log``).
``paddle.distributed.launch`` starts any training command that is not a ``.py`` file as
it is, so the second line runs this command in each process.
"""

from __future__ import annotations

import importlib
import logging
import os
import runpy
import sys
from typing import Sequence

from . import messages
from .errors import ConfigTypeError, ConfigValueError

DEFAULT_SCRIPT = os.path.join("tools", "train.py")
TARGET = "ppocr.optimizer"


class SwapError(Exception):
    """The current directory is not a PaddleOCR checkout this command can run."""


def swapped_build_optimizer(config, epochs, step_each_epoch, model):
    """PaddleOCR's ``build_optimizer`` signature, built by ppocr_lr."""
    from . import __version__, build_optimizer

    if not getattr(swapped_build_optimizer, "reported", False):
        swapped_build_optimizer.reported = True
        messages.info(f"ppocr_lr {__version__} ({os.path.dirname(os.path.abspath(__file__))}) "
                      f"builds the optimizer and learning-rate schedule in place of "
                      f"{TARGET}.build_optimizer")
    lr_block = config.get("lr") if isinstance(config, dict) else None
    wants_batch = isinstance(lr_block, dict) and lr_block.get("batch_scaling", "none") != "none"
    optimizer, lr = build_optimizer(config, epochs=epochs, step_each_epoch=step_each_epoch,
                                    model=model,
                                    global_batch_size=global_batch_size() if wants_batch
                                    else None)
    if hasattr(lr, "report"):  # PaddleOCR's trainer calls lr.step() and nothing else
        messages.notice("Optimizer.lr.name", f"{lr.name} needs evaluations reported to it, "
                        "and PaddleOCR's trainer reports none",
                        "Use it with a trainer that reports (tools/train.py of ppocr-lr does)",
                        outcome="the rate will never be reduced (only the warm-up applies)",
                        strict=lr.strict)
    return optimizer, lr


#: The trainer's command-line arguments (``-c``, ``-o``), for the global batch size.
_ARGS: list = []


def global_batch_size() -> int | None:
    """Processes x ``Train.loader.batch_size_per_card`` of the config the trainer runs
    (PaddleOCR's ``build_optimizer`` is not told it), or None when it cannot be read."""
    import paddle.distributed as dist

    from .config import apply_overrides, load_yaml
    from .preview.run_length import global_batch_size as batch_of

    args, config_path, overrides = list(_ARGS), None, []
    for i, arg in enumerate(args):
        if arg in ("-c", "--config") and i + 1 < len(args):
            config_path = args[i + 1]
        elif arg in ("-o", "--opt"):
            overrides = _take_values(args[i + 1:])
    try:
        config = load_yaml(config_path) if config_path else None
        if not isinstance(config, dict):
            return None
        apply_overrides(config, [o for o in overrides if o.startswith("Train.")])
        return batch_of(config, nproc=dist.get_world_size())[0]
    except (ConfigValueError, ConfigTypeError, OSError):
        return None


def _take_values(args: list) -> list:
    values = []
    for arg in args:
        if arg.startswith("-") and "=" not in arg:
            break
        values.append(arg)
    return values


def install(root: str) -> None:
    """Import the checkout's ``ppocr.optimizer`` from ``root`` and swap its
    ``build_optimizer`` for ppocr_lr's."""
    if not os.path.isfile(os.path.join(root, "ppocr", "optimizer", "__init__.py")):
        raise SwapError(f"{root} has no ppocr/optimizer package: run ppocr-lr train from "
                        "the root of a PaddleOCR checkout")
    if root not in sys.path:
        sys.path.insert(0, root)
    module = importlib.import_module(TARGET)
    origin = os.path.abspath(getattr(module, "__file__", "") or "")
    if not origin.startswith(os.path.join(root, "")):
        raise SwapError(f"{TARGET} was imported from {origin}, not from the checkout at "
                        f"{root}")
    module.build_optimizer = swapped_build_optimizer


def run(args: Sequence[str], script: str = DEFAULT_SCRIPT, root: str | None = None) -> None:
    """Run ``script`` of the checkout at ``root`` (default: the current directory) as
    ``python script args...`` would, with ppocr_lr's ``build_optimizer``."""
    root = os.path.abspath(root or os.getcwd())
    path = os.path.join(root, script)
    if not os.path.isfile(path):
        raise SwapError(f"{path} does not exist: run ppocr-lr train from the root of a "
                        "PaddleOCR checkout, or name the script with --script")
    install(root)
    _ARGS[:] = list(args)
    sys.argv = [path, *args]
    runpy.run_path(path, run_name="__main__")


def main(args: Sequence[str], prog: str) -> int:
    """``ppocr-lr train [--script PATH] ARGS...``; ARGS go to the script unchanged."""
    args = list(args)
    script = DEFAULT_SCRIPT
    if args[:1] in (["-h"], ["--help"]):
        print(f"usage: {prog} train [--script PATH] -c CONFIG [-o KEY=VALUE ...]\n\n"
              "Run PaddleOCR's trainer (default tools/train.py) from the root of a "
              "PaddleOCR checkout,\nwith ppocr_lr's build_optimizer in place of "
              "ppocr.optimizer's. Every other argument goes to the trainer.")
        return 0
    if args[:1] == ["--script"]:
        if len(args) < 2:
            print(f"{prog}: error: --script needs a path", file=sys.stderr)
            return 2
        script, args = args[1], args[2:]
    try:
        run(args, script)
    except SwapError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except (ConfigValueError, ConfigTypeError) as err:
        _log_to_files(f"error: {err}")
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    return 0


def _log_to_files(line: str) -> None:
    """Put an error into PaddleOCR's ``train.log`` too (its file handlers only: the
    console gets the error line once, on standard error)."""
    for handler in logging.getLogger(messages.PADDLEOCR_LOGGER).handlers:
        if isinstance(handler, logging.FileHandler):
            handler.emit(logging.LogRecord(messages.PADDLEOCR_LOGGER, logging.ERROR, "", 0,
                                           line, None, None))
