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


class TrainerRun:
    """One run of a checkout's trainer through ppocr_lr: its command-line arguments (read
    for the global batch and the save directory), whether its evaluations are listened
    to, and the schedule that hears them."""

    def __init__(self, args: Sequence[str] = ()):
        self.args = list(args)
        self.listening = False  # True once the checkout's evaluations reach the schedule
        self.reports: Reports | None = None
        self.announced = False

    def build_optimizer(self, config, epochs, step_each_epoch, model):
        """PaddleOCR's ``build_optimizer`` signature, built by ppocr_lr."""
        from . import __version__, build_optimizer
        from .modern import plateau_hears_higher

        if not self.announced:
            self.announced = True
            messages.info(
                f"ppocr_lr {__version__} ({os.path.dirname(os.path.abspath(__file__))}) "
                f"builds the optimizer and learning-rate schedule in place of "
                f"{TARGET}.build_optimizer"
            )
        lr_block = config.get("lr") if isinstance(config, dict) else None
        wants_batch = isinstance(lr_block, dict) and lr_block.get("batch_scaling", "none") != "none"
        if self.listening:  # every main_indicator of PaddleOCR's metrics is better when higher
            config = plateau_hears_higher(config, "Metric.main_indicator")
        optimizer, lr = build_optimizer(
            config,
            epochs=epochs,
            step_each_epoch=step_each_epoch,
            model=model,
            global_batch_size=self.global_batch() if wants_batch else None,
        )
        messages.info(f"schedule: {lr.describe()}")
        if lr.takes_reports and self.listening:
            self.reports = Reports(lr)
        elif lr.takes_reports:  # PaddleOCR's own tools/train.py calls lr.step() and nothing else
            messages.notice(
                "Optimizer.lr.name",
                f"{lr.name} needs evaluations reported to it, and PaddleOCR's trainer reports none",
                "Run it through ppocr-lr train, which reports each evaluation",
                outcome="the rate will never be reduced (only the warm-up applies)",
                strict=lr.strict,
            )
        return optimizer, lr

    def listen_to_evaluations(self, root: str) -> None:
        """Wrap the checkout's ``tools.program.eval`` (which ``program.train`` calls by
        name after each evaluation period, on rank 0) so that its ``main_indicator``
        reaches the schedule."""
        program = importlib.import_module("tools.program")
        origin = os.path.abspath(getattr(program, "__file__", "") or "")
        if not origin.startswith(os.path.join(root, "")) or not callable(
            getattr(program, "eval", None)
        ):
            return  # not PaddleOCR's program.py: nothing to listen to (the notice says so)
        evaluate = program.eval

        def eval_and_report(model, valid_dataloader, post_process_class, eval_class, *a, **kw):
            metric = evaluate(model, valid_dataloader, post_process_class, eval_class, *a, **kw)
            indicator = getattr(eval_class, "main_indicator", None)
            if self.reports is not None and isinstance(metric, dict) and indicator in metric:
                self.reports.heard(metric[indicator], indicator)
            return metric

        setattr(program, "eval", eval_and_report)  # program.train calls it by this name
        self.listening = True

    def config(self) -> dict | None:
        """The config the trainer runs (``-c`` with the ``-o`` overrides of its
        arguments), or None when it cannot be read."""
        from .config import apply_overrides, load_yaml

        args, config_path, overrides = self.args, None, []
        for i, arg in enumerate(args):  # argparse's spellings: -c CFG, -cCFG, --config[=]CFG
            if arg in ("-c", "--config") and i + 1 < len(args):
                config_path = args[i + 1]
            elif arg.startswith("--config="):
                config_path = arg.split("=", 1)[1]
            elif arg.startswith("-c") and not arg.startswith("--"):
                config_path = arg[2:]
            elif arg in ("-o", "--opt"):
                overrides = _take_values(args[i + 1 :])
            elif arg.startswith("--opt="):
                overrides = [arg.split("=", 1)[1], *_take_values(args[i + 1 :])]
        try:
            config = load_yaml(config_path) if config_path else None
            if not isinstance(config, dict):
                return None
            apply_overrides(config, [o for o in overrides if o.startswith(("Train.", "Global."))])
            return config
        except (ConfigValueError, ConfigTypeError, OSError):
            return None

    def global_batch(self) -> int | None:
        """Processes x ``Train.loader.batch_size_per_card`` of the config the trainer runs
        (PaddleOCR's ``build_optimizer`` is not told it), or None when it cannot be read."""
        import paddle.distributed as dist

        from .config import global_batch_size as batch_of

        config = self.config()
        try:
            return batch_of(config, nproc=dist.get_world_size())[0] if config else None
        except (ConfigValueError, ConfigTypeError):
            return None

    def save_model_dir(self) -> str | None:
        """``Global.save_model_dir`` of the config the trainer runs, or None."""
        config = self.config()
        g = config.get("Global") if config else None
        path = g.get("save_model_dir") if isinstance(g, dict) else None
        return path if isinstance(path, str) and path else None


def swapped_build_optimizer(config, epochs, step_each_epoch, model):
    """PaddleOCR's ``build_optimizer`` signature, built by ppocr_lr, for a trainer run
    without ``ppocr-lr train`` (the one-line edit of ``tools/train.py``): nothing is
    known of its arguments, and nobody listens to its evaluations."""
    return TrainerRun().build_optimizer(config, epochs, step_each_epoch, model)


class Reports:
    """Each evaluation's ``Metric.main_indicator`` to a schedule that takes reports, the
    same on every rank.  PaddleOCR evaluates on rank 0 only, after ``lr_scheduler.step()``:
    the value is kept there and delivered at every rank's next ``step()``, broadcast from
    rank 0 when there are several processes (every rank steps, so every rank takes part)."""

    def __init__(self, schedule):
        self.schedule, self.pending, self.indicator = schedule, None, ""
        self._step = schedule.step
        schedule.step = self.step  # the trainer holds the schedule, so it steps through here

    def heard(self, value: float, indicator: str) -> None:
        self.pending, self.indicator = float(value), indicator

    def step(self, *args, **kwargs):
        value = self._shared()
        if value is not None:
            before = self.schedule.last_lr
            self.schedule.report(value)
            if self.schedule.last_lr != before:
                messages.info(
                    f"{self.indicator or 'the metric'} stopped improving: the "
                    f"learning rate is now {self.schedule.last_lr:.6g}"
                )
        return self._step(*args, **kwargs)

    def _shared(self) -> float | None:
        import paddle.distributed as dist

        value, self.pending = self.pending, None
        if dist.get_world_size() == 1:
            return value
        import paddle

        shared = paddle.to_tensor([0.0 if value is None else 1.0, value or 0.0], dtype="float64")
        dist.broadcast(shared, src=0)
        has, value = (float(v) for v in shared.numpy())
        return value if has else None


def _take_values(args: list) -> list:
    values = []
    for arg in args:
        if arg.startswith("-") and "=" not in arg:
            break
        values.append(arg)
    return values


def install(root: str, builder=None) -> None:
    """Import the checkout's ``ppocr.optimizer`` from ``root`` and swap its
    ``build_optimizer`` for ppocr_lr's (or ``builder``, of the same signature)."""
    if not os.path.isfile(os.path.join(root, "ppocr", "optimizer", "__init__.py")):
        raise SwapError(
            f"{root} has no ppocr/optimizer package: run ppocr-lr train from "
            "the root of a PaddleOCR checkout"
        )
    if root not in sys.path:
        sys.path.insert(0, root)
    module = importlib.import_module(TARGET)
    origin = os.path.abspath(getattr(module, "__file__", "") or "")
    if not origin.startswith(os.path.join(root, "")):
        raise SwapError(f"{TARGET} was imported from {origin}, not from the checkout at {root}")
    setattr(module, "build_optimizer", builder or swapped_build_optimizer)


def run(
    trainer: TrainerRun,
    script: str = DEFAULT_SCRIPT,
    root: str | None = None,
    builder=None,
    before=None,
) -> None:
    """Run ``script`` of the checkout at ``root`` (default: the current directory) as
    ``python script trainer.args...`` would, with ``trainer.build_optimizer`` (or
    ``builder``; then evaluations are not listened to), after ``before(root)`` when
    given."""
    root = os.path.abspath(root or os.getcwd())
    path = os.path.join(root, script)
    if not os.path.isfile(path):
        raise SwapError(
            f"{path} does not exist: run ppocr-lr train from the root of a "
            "PaddleOCR checkout, or name the script with --script"
        )
    install(root, builder or trainer.build_optimizer)
    if builder is None:
        trainer.listen_to_evaluations(root)
    if before is not None:
        before(root)
    sys.argv = [path, *trainer.args]
    runpy.run_path(path, run_name="__main__")


def main(args: Sequence[str], prog: str) -> int:
    """``ppocr-lr train [--script PATH] ARGS...``; ARGS go to the script unchanged."""
    args = list(args)
    script = DEFAULT_SCRIPT
    if args[:1] in (["-h"], ["--help"]):
        print(
            f"usage: {prog} train [--script PATH] -c CONFIG [-o KEY=VALUE ...]\n\n"
            "Run PaddleOCR's trainer (default tools/train.py) from the root of a "
            "PaddleOCR checkout,\nwith ppocr_lr's build_optimizer in place of "
            "ppocr.optimizer's. Every other argument goes to the trainer."
        )
        return 0
    if args[:1] == ["--script"]:
        if len(args) < 2:
            print(f"{prog}: error: --script needs a path", file=sys.stderr)
            return 2
        script, args = args[1], args[2:]
    try:
        run(TrainerRun(args), script)
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
            handler.emit(
                logging.LogRecord(messages.PADDLEOCR_LOGGER, logging.ERROR, "", 0, line, None, None)
            )
