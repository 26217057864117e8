"""The ``ppocr-lr`` command: see a schedule before training with it, and run PaddleOCR's
own trainer with ppocr_lr in place of ``ppocr.optimizer``.

    ppocr-lr list
    ppocr-lr show -c my_rec.yml --steps-per-epoch 1200
    ppocr-lr plot -c my_rec.yml -c other_rec.yml -o schedules.png --steps-per-epoch 1200
    ppocr-lr plot --lr '{name: Cosine, learning_rate: 0.001, warmup_epoch: 5}' --epochs 100 --steps-per-epoch 500 -o cos.png
    ppocr-lr check -c my_rec.yml
    ppocr-lr train -c configs/rec/my_rec.yml -o Global.epoch_num=10   # in a PaddleOCR checkout

Also ``python -m ppocr_lr`` and ``python tools/plot_lr.py``.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from typing import Optional, Sequence

from . import preview
from .errors import ConfigTypeError, ConfigValueError

PROG = "ppocr-lr"


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, e.g. 900x500; "
                                         f"got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="See a PaddleOCR learning-rate "
                                     "schedule before training with it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="every YAML name, its keys, defaults and units")
    commands.add_parser("train", help="run PaddleOCR's tools/train.py from a PaddleOCR "
                        "checkout's root with ppocr_lr's build_optimizer (arguments go to "
                        "the trainer; see 'ppocr-lr train --help')")

    def with_sources(name: str, help_text: str, several: bool):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("-c", "--config", action="append", default=[],
                         help="a PaddleOCR config or a file with an lr block"
                              + (" (repeat to compare)" if several else ""))
        sub.add_argument("--lr", action="append", default=[],
                         help="an inline lr block, e.g. '{name: Cosine, learning_rate: 0.001}'")
        sub.add_argument("--epochs", type=_positive, help="run length in epochs (overrides "
                         "Global.epoch_num)")
        sub.add_argument("--steps-per-epoch", type=_positive,
                         help="batches per epoch on each process (the trainer's "
                              "step_each_epoch)")
        sub.add_argument("--dataset-size", type=_positive,
                         help="training samples; with --batch-size gives the steps per epoch")
        sub.add_argument("--batch-size", type=_positive, help="batch size per process")
        sub.add_argument("--nproc", type=_positive, default=1,
                         help="training processes (with --dataset-size)")
        sub.add_argument("-o", "--opt", nargs="+", default=[], metavar="KEY=VALUE",
                         help="overrides such as Optimizer.lr.warmup_epoch=2")
        return sub

    with_sources("show", "the resolved schedule: parameters, warm-up, lr per epoch, "
                 "warnings", several=True)
    plot = with_sources("plot", "draw one or several schedules (PNG or SVG)", several=True)
    plot.add_argument("--output", "-O", dest="output", default="schedule.png",
                      help="figure file, .png or .svg (default: schedule.png)")
    plot.add_argument("--log-y", action="store_true", help="logarithmic learning-rate axis")
    plot.add_argument("--size", type=_size, default=(900, 500), help="WIDTHxHEIGHT pixels")
    plot.add_argument("--title", help="figure title (default: the run length)")
    check = commands.add_parser("check", help="validate a config's Optimizer block; exit "
                                "status 0 only when clean")
    check.add_argument("-c", "--config", action="append", required=True,
                       help="a PaddleOCR config (repeat for several)")
    check.add_argument("--steps-per-epoch", type=_positive,
                       help=f"steps per epoch for the checks (default "
                            f"{preview.NOMINAL_STEPS_PER_EPOCH})")
    check.add_argument("-o", "--opt", nargs="+", default=[], metavar="KEY=VALUE",
                       help="overrides such as Optimizer.lr.warmup_epoch=2")
    return parser


def _previews(args) -> list:
    if not args.config and not args.lr:
        raise ConfigValueError("", "nothing to show: give -c FILE or --lr BLOCK")
    sources = [dict(path=path) for path in args.config] + [dict(inline=text) for text in args.lr]
    return [preview.load(**source, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                         dataset_size=args.dataset_size, batch_size=args.batch_size,
                         nproc=args.nproc, overrides=args.opt) for source in sources]


def main(argv: Optional[Sequence[str]] = None) -> int:
    # `-o` is the trainer's override flag; the figure's file for `plot` is also -o when it
    # ends in .png/.svg, as the usage line shows (`plot -c a.yml -o schedules.png`).
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # every other argument belongs to PaddleOCR's trainer
        from . import paddleocr_swap
        return paddleocr_swap.main(argv[1:], PROG)
    if argv[:1] == ["plot"]:
        argv = _figure_after_o(argv)
    args = _parser().parse_args(argv)
    warnings.filterwarnings("ignore", message="No ccache found")
    try:
        if args.command == "list":
            print(preview.list_schedules())
        elif args.command == "show":
            print("\n\n".join(preview.report(p) for p in _previews(args)))
        elif args.command == "plot":
            previews = _previews(args)
            path = preview.plot(previews, args.output, log_y=args.log_y, size=args.size,
                                title=args.title)
            print(f"wrote {path}: " + "; ".join(
                f"{p.label} ({p.schedule.name}, {p.schedule.total_steps:,} steps)"
                for p in previews))
            for p in previews:
                for note in p.warnings:
                    print(f"warning: {p.label}: {note}", file=sys.stderr)
        elif args.command == "check":
            return _check(args)
    except (ConfigValueError, ConfigTypeError, OSError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    return 0


def _figure_after_o(argv: list) -> list:
    out = []
    i = 0
    while i < len(argv):
        if argv[i] in ("-o", "--opt") and i + 1 < len(argv) and re.search(
                r"\.(png|svg)$", argv[i + 1], re.I) and "=" not in argv[i + 1]:
            out += ["--output", argv[i + 1]]
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def _check(args) -> int:
    from . import config as yaml_config
    status = 0
    for path in args.config:
        document = yaml_config.load_yaml(path)
        if isinstance(document, dict):
            yaml_config.apply_overrides(document, args.opt)
        problems = preview.check(document, args.steps_per_epoch)
        if problems:
            status = 1
            print(f"{path}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"{path}: ok")
    return status


if __name__ == "__main__":
    sys.exit(main())
