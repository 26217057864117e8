"""The range test on a PaddleOCR checkout's own model and data: ``ppocr-lr find-lr``.

From the root of a PaddleOCR checkout, with PaddleOCR's usual arguments::

    ppocr-lr find-lr -c configs/rec/PP-OCRv4/en_PP-OCRv4_rec.yml
    ppocr-lr find-lr --num-iters 300 -c my_rec.yml -o Global.seed=7
    python -m paddle.distributed.launch --nproc_per_node 2 ppocr-lr find-lr -c my_rec.yml

The checkout's ``tools/train.py`` runs as ``python tools/train.py`` would: it builds the
dataloader with the config's transforms, the model, the loss and the metric exactly as
for training.  Two things differ: ``ppocr.optimizer.build_optimizer`` gives the optimizer
the config describes (betas, weight decay, clipping) with a plain rate that the ramp sets,
and ``tools.program.train``, which receives all of these, runs the range test
(:func:`ppocr_lr.range_test.range_test`) instead of training.  Each step is PaddleOCR's
forward, loss and backward for the config's ``model_type`` and ``algorithm``; with several
processes the loss is averaged over the ranks, so every rank reads the same curve.

Writes ``lr_range_test.png`` and ``lr_range_test.json`` into ``Global.save_model_dir`` and
prints the suggestion and the lines to paste.  The model's weights are put back, nothing
is saved, and the ``train.log`` and ``config.yml`` that PaddleOCR's start-up writes there
are left as they were before.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Sequence

from . import paddleocr_swap as swap
from .errors import ConfigTypeError, ConfigValueError
from .range_test import (
    RULES,
    RangeTestSettings,
    every_seconds,
    figure_name,
    loss_over_ranks,
    paste_lines,
    range_test,
)

#: PaddleOCR's recognizers whose forward takes the labels too (``extra_input``).
EXTRA_INPUT = (
    "SRN",
    "NRTR",
    "SAR",
    "SEED",
    "SVTR",
    "SVTR_LCNet",
    "SPIN",
    "VisionLAN",
    "RobustScanner",
    "RFL",
    "DRRG",
    "SATRN",
    "SVTR_HGNet",
    "ParseQ",
    "CPPD",
)
#: Algorithms whose forward takes the whole batch.
WHOLE_BATCH = (
    "LaTeXOCR",
    "UniMERNet",
    "PP-FormulaNet-S",
    "PP-FormulaNet-L",
    "PP-FormulaNet_plus-S",
    "PP-FormulaNet_plus-M",
    "PP-FormulaNet_plus-L",
)
OPTIONS = {
    "--start-lr": ("start_lr", float),
    "--end-lr": ("end_lr", float),
    "--num-iters": ("num_iters", int),
    "--beta": ("beta", float),
    "--diverge-factor": ("diverge_factor", float),
    "--rule": ("rule", str),
}
FILES_LEFT_AS_THEY_WERE = ("train.log", "config.yml")


class FindLR:
    """One range test in a checkout: the settings, then what the takeover found."""

    def __init__(self, settings: RangeTestSettings, trainer: swap.TrainerRun):
        self.settings, self.trainer = settings, trainer
        self.result = self.schedule = self.global_batch = None
        self.rank = 0
        self.lines: list = []

    def build_optimizer(self, config, epochs, step_each_epoch, model):
        """PaddleOCR's ``build_optimizer`` signature: the optimizer at the ramp's first rate
        (``set_lr`` drives it), and the schedule the lr block builds (for the paste)."""
        from .modern import plateau_hears_higher
        from .optimizer import build_optimizer_at_rate

        config = plateau_hears_higher(config, "Metric.main_indicator")
        self.global_batch = self.trainer.global_batch()  # read once: it reads the config
        optimizer, self.schedule = build_optimizer_at_rate(
            config,
            epochs,
            step_each_epoch,
            model,
            self.settings.start_lr,
            global_batch_size=self.global_batch,
        )
        return optimizer, self.schedule

    def train(
        self,
        config,
        train_dataloader,
        valid_dataloader,
        device,
        model,
        loss_class,
        optimizer,
        lr_scheduler,
        post_process_class,
        eval_class,
        pre_best_model_dict,
        logger,
        step_pre_epoch,
        vdl_writer,
        scaler=None,
        *args,
        **kwargs,
    ):
        """In place of PaddleOCR's ``program.train``: the range test, then the report."""
        import paddle.distributed as dist

        g = config["Global"]
        if g.get("use_amp"):
            raise ConfigValueError(
                "Global.use_amp",
                "true; the range test runs in full precision",
                "Run it with -o Global.use_amp=false.",
            )
        forward = forward_for(config.get("Architecture") or {})
        batches = _forever(train_dataloader)
        model.train()

        def train_step(lr: float) -> float:
            optimizer.set_lr(lr)
            batch = next(batches)
            loss = loss_class(forward(model, batch), batch)["loss"]
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            return loss_over_ranks(loss)

        batch = self.global_batch
        logger.info(
            f"range test: {self.settings.num_iters} iterations at most, lr from "
            f"{self.settings.start_lr:g} to {self.settings.end_lr:g}"
            + (f", global batch {batch}" if batch else "")
        )
        self.rank = dist.get_rank()
        progress = (
            every_seconds(5.0, logger.info, self.settings.num_iters) if self.rank == 0 else None
        )
        self.result = range_test(
            train_step, restore=[model], progress=progress, **vars(self.settings)
        )
        if self.rank != 0:
            return
        out = g["save_model_dir"]
        os.makedirs(out, exist_ok=True)
        path = self.result.plot(
            os.path.join(out, figure_name(dist.get_world_size())),
            f"range test, {g.get('epoch_num', '?')}-epoch config, global batch {batch or '?'}",
        )
        curve = os.path.splitext(path)[0] + ".json"
        with open(curve, "w", encoding="utf-8") as f:
            json.dump(self.result.to_dict(), f, allow_nan=True)
        self.lines = [self.result.describe()]
        if self.result.suggestion is not None:
            self.lines += paste_lines(self.result, self.schedule, batch)
            if self.result.message:
                self.lines.append(f"note: {self.result.message}")
        self.lines += [f"figure: {path}", f"curve:  {curve}"]


def forward_for(architecture):
    """PaddleOCR's forward for the config's ``model_type`` and ``algorithm``."""
    model_type, algorithm = architecture.get("model_type"), architecture.get("algorithm")
    extra = algorithm in EXTRA_INPUT or (
        algorithm == "Distillation"
        and any(
            isinstance(m, dict) and m.get("algorithm") in EXTRA_INPUT
            for m in (architecture.get("Models") or {}).values()
        )
    )
    if model_type == "table" or extra:
        return lambda model, batch: model(batch[0], data=batch[1:])
    if model_type in ("kie", "sr") or algorithm in WHOLE_BATCH:
        return lambda model, batch: model(batch)
    if algorithm == "CAN":
        return lambda model, batch: model(batch[:3])
    return lambda model, batch: model(batch[0])


def _forever(loader):
    """The training batches, epoch after epoch (the ramp may outlast an epoch)."""
    while True:
        yielded = False
        for batch in loader:
            yielded = True
            yield batch
        if not yielded:
            raise ConfigValueError("Train.loader", "the training dataloader gives no batch")


def _split(args: Sequence[str]) -> tuple[dict, list]:
    """The range test's options (``--num-iters 300`` or ``--num-iters=300``), and every
    other argument, which goes to the trainer."""
    settings, rest, args = {}, [], list(args)
    i = 0
    while i < len(args):
        name, _, value = args[i].partition("=")
        if name in OPTIONS:
            key, kind = OPTIONS[name]
            if not value:
                if i + 1 >= len(args):
                    raise ConfigValueError(name, "needs a value")
                value, i = args[i + 1], i + 1
            try:
                settings[key] = kind(value)
            except ValueError:
                raise ConfigTypeError(
                    name, f"got {value!r}; expected {'a number' if kind is not str else 'a rule'}"
                ) from None
        else:
            rest.append(args[i])
        i += 1
    return settings, rest


def _snapshot(save_dir: str | None) -> dict:
    """The bytes of the files PaddleOCR's start-up writes into ``save_dir`` (None: absent)."""
    state: dict[str, bytes | None] = {}
    for name in FILES_LEFT_AS_THEY_WERE if save_dir else ():
        path = os.path.join(str(save_dir), name)
        try:
            with open(path, "rb") as f:
                state[path] = f.read()
        except FileNotFoundError:
            state[path] = None
    return state


def _put_back(state: dict) -> None:
    for path, data in state.items():
        if data is None:
            if os.path.exists(path):
                os.remove(path)
        else:
            with open(path, "wb") as f:
                f.write(data)


def main(args: Sequence[str], prog: str) -> int:
    """``ppocr-lr find-lr [--script PATH] [range-test options] ARGS...``."""
    args = list(args)
    if args[:1] in (["-h"], ["--help"]):
        print(
            f"usage: {prog} find-lr [--script PATH] [--start-lr 1e-7] [--end-lr 10] "
            f"[--num-iters 200] [--beta 0.98] [--diverge-factor 4] "
            f"[--rule {'|'.join(RULES)}] -c CONFIG [-o KEY=VALUE ...]\n\n"
            "The learning-rate range test on a PaddleOCR checkout's model and data, from "
            "the checkout's root:\nits tools/train.py builds everything as for training, "
            "then the range test runs instead.\nWrites lr_range_test.png and "
            "lr_range_test.json into Global.save_model_dir; prints the\nsuggestion and "
            "the lines to paste. Other arguments go to the trainer."
        )
        return 0
    script = swap.DEFAULT_SCRIPT
    if args[:1] == ["--script"]:
        if len(args) < 2:
            print(f"{prog}: error: --script needs a path", file=sys.stderr)
            return 2
        script, args = args[1], args[2:]
    finder, saved = None, {}
    try:
        settings, rest = _split(args)
        finder = FindLR(
            RangeTestSettings.checked(
                names={key: name for name, (key, _) in OPTIONS.items()}, **settings
            ),
            swap.TrainerRun(rest),
        )
        saved = _snapshot(finder.trainer.save_model_dir())

        def takeover(root):
            program = importlib.import_module("tools.program")
            program.train = finder.train

        swap.run(finder.trainer, script, builder=finder.build_optimizer, before=takeover)
    except swap.SwapError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except (ConfigValueError, ConfigTypeError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    finally:
        _put_back(saved)
    if finder.result is None or finder.rank != 0:  # the trainer stopped early, or not rank 0
        return 0
    if finder.lines:
        print("\n".join(finder.lines))
    if finder.result.suggestion is None:
        print(f"{prog}: error: {finder.result.describe()}", file=sys.stderr)
        return 1
    return 0
