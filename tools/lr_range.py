"""The program behind ``tools/find_lr.py``: :func:`ppocr_lr.range_test.range_test` over
the real model, data and optimizer of a training config.

The optimizer is the config's (its betas, weight decay, clipping) with its rate set by
the ramp; the network's weights are put back afterwards, nothing is saved but the figure.
With several processes every rank takes the same steps on its shard and the loss is
averaged over the ranks, so every rank reads the same curve and suggests the same rate.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

import paddle

import ppocr_lr
import ppocr_lr.config
from ppocr_lr.errors import ConfigTypeError, ConfigValueError
from ppocr_lr.optimizer import build_optimizer_at_rate
from ppocr_lr.range_test import (
    every_seconds,
    figure_name,
    RULES,
    RangeTestSettings,
    loss_over_ranks,
    paste_lines,
    range_test,
)

from .program import plateau_follows_the_metric, prepare
from .rec.logs import logger
from .rec.model import CTCLoss
from .rec.schema import known_keys, load_config
from .rec.text import OneLineParser, TrainError
from .rec.tracking import Tracking

OPTIONS = {
    "start_lr": "--start-lr",
    "end_lr": "--end-lr",
    "num_iters": "--num-iters",
    "beta": "--beta",
    "diverge_factor": "--diverge-factor",
    "rule": "--rule",
}


def batches_forever(loader, batches):
    """The training batches, epoch after epoch (the range test may outlast an epoch)."""
    epoch = 1
    while True:
        batches.start_epoch(epoch, skip=0)
        yield from loader
        epoch += 1


def find_lr(config: dict, out: str | None = None, **settings):
    """Run the range test for ``config``; returns ``(result, parts, figure path or None,
    the schedule the config's lr block builds)``."""
    settings = RangeTestSettings.checked(names=OPTIONS, **settings)
    parts = prepare(config, evaluation=False, log_file=None)
    optimizer_block = plateau_follows_the_metric(config.get("Optimizer", {}), parts.indicator)
    optimizer, schedule = build_optimizer_at_rate(
        optimizer_block,
        parts.g["epoch_num"],
        len(parts.loader),
        parts.layer,
        settings.start_lr,
        global_batch_size=parts.global_batch,
    )
    model = paddle.DataParallel(parts.layer) if parts.world > 1 else parts.layer
    model.train()
    loss_fn, stream = CTCLoss(), batches_forever(parts.loader, parts.batches)

    def train_step(lr: float) -> float:
        optimizer.set_lr(lr)
        images, labels, lengths = next(stream)
        loss = loss_fn(model(images), labels, lengths)
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        return loss_over_ranks(loss)

    logger.info(
        f"range test: {settings.num_iters} iterations at most, lr from "
        f"{settings.start_lr:g} to {settings.end_lr:g}, global batch "
        f"{parts.global_batch}"
    )
    progress = every_seconds(5.0, logger.info, settings.num_iters) if parts.rank == 0 else None
    result = range_test(train_step, restore=[parts.layer], progress=progress, **vars(settings))
    path = None
    if parts.rank == 0:
        path = out or os.path.join(parts.g["save_model_dir"], figure_name(parts.world))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        path = result.plot(path, f"range test, global batch {parts.global_batch}")
        with open(os.path.splitext(path)[0] + ".json", "w", encoding="utf-8") as out_file:
            json.dump(result.to_dict(), out_file, allow_nan=True)
        track(result, Tracking(config, parts.g, parts.g["save_model_dir"], parts.rank))
    return result, parts, path, schedule


def track(result, tracking: Tracking) -> None:
    """The range test's curve to the run's trackers (W&B, TensorBoard) when the config
    asks for them: ``range_test/lr``, ``range_test/loss`` (and the smoothed loss) at every
    iteration, ``range_test/suggestion`` at the last."""
    try:
        for i, (lr, loss) in enumerate(zip(result.lrs, result.losses)):
            metrics = {"lr": lr, "loss": loss}
            if i < len(result.smoothed):
                metrics["smoothed_loss"] = result.smoothed[i]
            if i == len(result.lrs) - 1 and result.suggestion is not None:
                metrics["suggestion"] = result.suggestion
            tracking.log(metrics, "RANGE_TEST", i)
    finally:
        tracking.close()


def report(result, parts, path, schedule) -> list[str]:
    lines = [result.describe()]
    if result.suggestion is not None:
        lines += paste_lines(result, schedule, parts.global_batch)
        if result.message:
            lines.append(f"note: {result.message}")
    if path:
        lines.append(f"curve: {path}")
    return lines


def main(argv=None) -> int:
    parser = OneLineParser(
        description="Learning-rate range test: train briefly with an exponentially growing "
        "rate and suggest a learning_rate from the loss curve."
    )
    parser.add_argument("-c", "--config", required=True, help="YAML config")
    parser.add_argument(
        "-o",
        "--opt",
        nargs="+",
        default=[],
        help="overrides such as Global.seed=7 (values parsed as YAML)",
    )
    parser.add_argument("--start-lr", type=float, default=1e-7, help="first rate (1e-7)")
    parser.add_argument("--end-lr", type=float, default=10.0, help="last rate (10)")
    parser.add_argument(
        "--num-iters", type=int, default=200, help="iterations of the ramp, at most (200)"
    )
    parser.add_argument("--beta", type=float, default=0.98, help="loss smoothing (0.98)")
    parser.add_argument(
        "--diverge-factor",
        type=float,
        default=4.0,
        help="stop when the smoothed loss passes this multiple of its best (4)",
    )
    parser.add_argument(
        "--rule",
        choices=RULES,
        default=RULES[0],
        help=f"how the suggestion is read from the curve ({RULES[0]})",
    )
    parser.add_argument(
        "--out",
        help="the figure, .png or .svg (no extension: .png is added); the curve's JSON is "
        "written beside it (default: <save_model_dir>/lr_range_test.png, or "
        "lr_range_test.<N>proc.png with N processes)",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="When training, we now always track")
    warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)
    settings = {key: getattr(args, key) for key in OPTIONS}
    try:
        config = load_config(args.config)
        ppocr_lr.config.apply_overrides(config, args.opt, known_keys)
        result, parts, path, schedule = find_lr(config, args.out, **settings)
    except (TrainError, ConfigValueError, ConfigTypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {args.out or 'the figure'}: {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if result.suggestion is None:
        print(
            f"error: {result.describe()}" + (f" (curve: {path})" if path else ""), file=sys.stderr
        )
        return 1
    print("\n".join(report(result, parts, path, schedule)))
    return 0
