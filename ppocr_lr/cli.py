"""The ``ppocr-lr`` command: see a schedule before training with it, and run PaddleOCR's
own trainer with ppocr_lr in place of ``ppocr.optimizer``.

    ppocr-lr list
    ppocr-lr show -c my_rec.yml --steps-per-epoch 1200
    ppocr-lr plot -c my_rec.yml -c other_rec.yml -O schedules.png --steps-per-epoch 1200
    ppocr-lr plot --lr '{name: Cosine, learning_rate: 0.001, warmup_epoch: 5}' \
        --epochs 100 --steps-per-epoch 500 -O cos.png
    ppocr-lr check -c my_rec.yml --steps-per-epoch 1200
    ppocr-lr train -c configs/rec/my_rec.yml -o Global.epoch_num=10   # in a PaddleOCR checkout
    ppocr-lr find-lr -c configs/rec/my_rec.yml                         # likewise

Also ``python -m ppocr_lr`` and ``python tools/plot_lr.py``.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from typing import Optional, Sequence

from . import config as yaml_config
from . import preview
from .errors import ConfigTypeError, ConfigValueError
from .config import global_batch_size
from .optimizer import optimizer_known_keys

PROG = "ppocr-lr"


class _Parser(argparse.ArgumentParser):
    """Argument errors as one ``ppocr-lr: error: ...`` line (the usage is in --help)."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT in pixels, e.g. 900x500; got {text!r}"
        )
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
    parser = _Parser(
        prog=PROG,
        description="See a PaddleOCR learning-rate schedule before "
        "training with it, or train with it in PaddleOCR's own trainer.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="every YAML name, its keys, defaults and units")
    commands.add_parser(
        "find-lr",
        help="the learning-rate range test on a PaddleOCR "
        "checkout's model and data, from its root (see 'ppocr-lr find-lr "
        "--help')",
    )
    commands.add_parser(
        "train",
        help="run PaddleOCR's tools/train.py from a PaddleOCR "
        "checkout's root with ppocr_lr's build_optimizer (arguments go to "
        "the trainer; see 'ppocr-lr train --help')",
    )

    def run_length(sub):
        sub.add_argument(
            "--epochs", type=_positive, help="run length in epochs (overrides Global.epoch_num)"
        )
        sub.add_argument(
            "--steps-per-epoch",
            type=_positive,
            help="batches per epoch on each process (the trainer's step_each_epoch)",
        )
        sub.add_argument(
            "--dataset-size",
            type=_positive,
            help="training samples; with --batch-size gives the steps per epoch",
        )
        sub.add_argument("--batch-size", type=_positive, help="batch size per process")
        sub.add_argument(
            "--nproc",
            type=_positive,
            default=1,
            help="training processes (with --dataset-size; and x the batch "
            "per process = the global batch that batch_scaling uses)",
        )
        sub.add_argument(
            "-o",
            "--opt",
            nargs="+",
            default=[],
            metavar="KEY=VALUE",
            help="overrides such as Optimizer.lr.warmup_epoch=2 (always "
            "overrides, as in PaddleOCR's tools)",
        )

    def with_sources(name: str, help_text: str):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument(
            "-c",
            "--config",
            action="append",
            default=[],
            help="a PaddleOCR config or a file with an lr block (repeat to compare)",
        )
        sub.add_argument(
            "--lr",
            action="append",
            default=[],
            help="an inline lr block, e.g. '{name: Cosine, learning_rate: 0.001}'",
        )
        run_length(sub)
        return sub

    with_sources("show", "the resolved schedule: parameters, warm-up, lr per epoch, warnings")
    plot = with_sources("plot", "draw one or several schedules (PNG or SVG)")
    plot.add_argument(
        "--output",
        "-O",
        dest="output",
        default="schedule.png",
        help="figure file, .png or .svg (default: schedule.png)",
    )
    plot.add_argument("--log-y", action="store_true", help="logarithmic learning-rate axis")
    plot.add_argument("--size", type=_size, default=(900, 500), help="WIDTHxHEIGHT pixels")
    plot.add_argument("--title", help="figure title (default: the run length)")
    # without a run length: Global.epoch_num x NOMINAL_STEPS_PER_EPOCH steps
    with_sources(
        "check",
        "validate a config's Optimizer block (or an lr block); exit status 0 only when "
        "it has no problem (warnings about the run, as show gives them, do not count)",
    )
    return parser


def _previews(args) -> list:
    if not args.config and not args.lr:
        raise ConfigValueError("", "nothing to show: give -c FILE or --lr BLOCK")
    sources = [dict(path=path) for path in args.config] + [dict(inline=text) for text in args.lr]
    return [
        preview.load(
            **source,
            epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch,
            dataset_size=args.dataset_size,
            batch_size=args.batch_size,
            nproc=args.nproc,
            overrides=args.opt,
        )
        for source in sources
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # every other argument belongs to PaddleOCR's trainer
        from . import paddleocr_swap

        return paddleocr_swap.main(argv[1:], PROG)
    if argv[:1] == ["find-lr"]:  # likewise, after the range test's own options
        from . import paddleocr_find_lr

        return paddleocr_find_lr.main(argv[1:], PROG)
    args = _parser().parse_args(argv)
    warnings.filterwarnings("ignore", message="No ccache found")
    try:
        return _run(args)
    except (ConfigValueError, ConfigTypeError, OSError) as err:
        if isinstance(err, BrokenPipeError):  # `ppocr-lr list | head`: the reader left
            sys.stderr.close()
            return 0
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2


def _run(args) -> int:
    try:
        if args.command == "list":
            print(preview.list_schedules())
        elif args.command == "show":
            print("\n\n".join(preview.report(p) for p in _previews(args)))
        elif args.command == "plot":
            previews = _previews(args)
            path = preview.plot(
                previews, args.output, log_y=args.log_y, size=args.size, title=args.title
            )
            print(
                f"wrote {path}: "
                + "; ".join(
                    f"{p.label} ({p.schedule.name}, {p.schedule.total_steps:,} steps)"
                    for p in previews
                )
            )
            for p in previews:
                for note in p.warnings:
                    print(f"warning: {p.label}: {note}", file=sys.stderr)
        elif args.command == "check":
            return _check(args)
    finally:
        sys.stdout.flush()  # a closed pipe shows here, inside the error handling
    return 0


def _check(args) -> int:
    if not args.config and not args.lr:
        raise ConfigValueError("", "nothing to check: give -c FILE or --lr BLOCK")
    status = 0
    sources = [(path, None) for path in args.config] + [(None, text) for text in args.lr]
    for path, inline in sources:
        if path is not None:  # any block, a PaddleOCR 1.x one included
            label, document = path, yaml_config.load_yaml(path)
        else:
            label, document = f"--lr {inline}", {"lr": yaml_config.parse_inline(inline)}
        if isinstance(document, dict):
            yaml_config.apply_overrides(document, args.opt, optimizer_known_keys)
        steps_per_epoch, nominal = args.steps_per_epoch, ""
        if steps_per_epoch is None:  # from --dataset-size, or the data the config names
            source = preview.Source(label, {}, document if isinstance(document, dict) else None)
            try:
                steps_per_epoch = preview.run_length(
                    source, 1, None, args.dataset_size, args.batch_size, args.nproc
                )[1]
            except ConfigValueError:
                if args.dataset_size is not None:
                    raise
                missing = yaml_config.train_samples(source.config)[2]
                if missing:  # it names its data, which is not here: said below
                    nominal = (
                        "the label files of Train.dataset.label_file_list are not here ("
                        + ", ".join(missing)
                        + "); pass --steps-per-epoch for the real run"
                    )
        batch = None
        if isinstance(document, dict) and (args.batch_size or args.nproc > 1):
            batch = global_batch_size(document, args.batch_size, args.nproc)[0]
        problems, warnings = preview.check_with_warnings(
            document, steps_per_epoch, args.epochs, batch
        )
        count = f" ({len(warnings)} warning{'s' if len(warnings) > 1 else ''})" if warnings else ""
        if problems:
            status = 1
            print(f"{label}: {len(problems)} problem{'s' if len(problems) > 1 else ''}{count}")
        else:
            print(f"{label}: ok{count}")
        for problem in problems:
            print(f"  - {problem}")
        for warning in warnings:
            print(f"  - warning: {warning}")
        if nominal:
            print(
                f"  - note: checked on {preview.NOMINAL_STEPS_PER_EPOCH} steps per epoch: {nominal}"
            )
    return status


if __name__ == "__main__":
    sys.exit(main())
